//! `Secret::from_base32` and `from_base32_legacy` on any text. What parses
//! encodes back to Base32 that parses to the same key, and agrees with the
//! `base32` crate on the same symbols.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::Secret;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let strict = Secret::from_base32(text);
    let Ok(secret) = Secret::from_base32_legacy(text) else {
        assert!(
            strict.is_err(),
            "strict accepts what legacy refuses: {text:?}"
        );
        return;
    };
    if let Ok(strict) = strict {
        assert_eq!(strict, secret);
    } else {
        assert!(
            secret.is_short(),
            "only short keys are legacy-only: {text:?}"
        );
    }
    let encoded = secret.expose_base32();
    let back = Secret::from_base32_legacy(&encoded).expect("own output parses");
    assert_eq!(back, secret);
    // The same symbols, cleaned of separators and padding, through an
    // independent decoder.
    let symbols: String = text
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '='))
        .map(|c| c.to_ascii_uppercase())
        .collect();
    let reference = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &symbols);
    assert_eq!(
        reference.as_deref(),
        Some(secret.expose_bytes()),
        "the base32 crate reads {text:?} differently"
    );
});
