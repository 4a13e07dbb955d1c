//! Adversarial review of issue 13 (account lifecycle): what an attacker
//! could slip through the new public API.

use mfa::{AdminId, FactorName, NameError, Reason};

/// A factor name, an admin id or a reset reason is shown to the owner or
/// written to the audit log: a bidirectional override can make "Work
/// phone" read as another name, a line separator can start a forged line in
/// a log viewer, a zero-width space can make two names look the same.
#[test]
fn names_and_reasons_refuse_invisible_and_line_separating_characters() {
    for hostile in [
        "Work\u{202e}enohp", // right-to-left override
        "Work\u{200b}phone", // zero-width space
        "Work\u{2028}phone", // line separator
        "Work\u{2029}phone", // paragraph separator
        "Work\u{feff}phone", // byte-order mark
        "Work\u{2066}phone", // left-to-right isolate
    ] {
        assert_eq!(
            FactorName::new(hostile),
            Err(NameError::Invisible),
            "{hostile:?}"
        );
        assert_eq!(
            AdminId::new(hostile),
            Err(NameError::Invisible),
            "{hostile:?}"
        );
        assert_eq!(
            Reason::new(hostile),
            Err(NameError::Invisible),
            "{hostile:?}"
        );
    }
    // Ordinary text, accents and emoji still pass.
    assert!(FactorName::new("Téléphone 📱").is_ok());
    assert!(Reason::new("lost phone, ticket 4711").is_ok());
}
