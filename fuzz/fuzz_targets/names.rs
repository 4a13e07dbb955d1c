//! The names and ids a host reads from a form: `FactorId` (a factor's id
//! in a form field), `FactorName`, `AdminId` and `Reason` on any text.
//! What parses is the input trimmed, within its limit, with no control or
//! invisible character; checking it again changes nothing, and it
//! survives a serde_json round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::{AdminId, FactorId, FactorName, NameError, Reason};
use serde::{Serialize, de::DeserializeOwned};

/// `parsed` is `text` trimmed, checked again to itself, and read back from
/// its JSON; a refusal is refused from JSON too.
fn check<T>(
    text: &str,
    parsed: Result<T, NameError>,
    again: impl Fn(&str) -> Result<T, NameError>,
    max: usize,
) where
    T: core::fmt::Display + PartialEq + core::fmt::Debug + Serialize + DeserializeOwned,
{
    let json = serde_json::to_string(text).expect("a string serializes");
    match parsed {
        Ok(name) => {
            let shown = name.to_string();
            assert_eq!(shown, text.trim());
            assert!(!shown.is_empty() && shown.chars().count() <= max);
            assert!(!shown.chars().any(char::is_control));
            assert_eq!(again(&shown).as_ref(), Ok(&name));
            let back: T = serde_json::from_str(&json).expect("what parses deserializes");
            assert_eq!(back, name);
        }
        Err(_) => assert!(serde_json::from_str::<T>(&json).is_err()),
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(id) = text.parse::<FactorId>() {
        assert_eq!(id.to_string(), text.to_ascii_lowercase());
        let json = serde_json::to_string(&id).expect("serializes");
        assert_eq!(serde_json::from_str::<FactorId>(&json).ok(), Some(id));
    }
    check(
        text,
        FactorName::new(text),
        FactorName::new,
        FactorName::MAX_CHARS,
    );
    check(text, AdminId::new(text), AdminId::new, AdminId::MAX_CHARS);
    check(text, Reason::new(text), Reason::new, Reason::MAX_CHARS);
});
