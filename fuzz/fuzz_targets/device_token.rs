//! `DeviceToken::parse` and `DeviceId::parse` on any text (the cookie a
//! browser sends back). What parses is canonical: writing it again gives
//! the same text, and a device id survives a serde_json round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::{DeviceId, DeviceToken};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(token) = DeviceToken::parse(text) {
        assert_eq!(token.to_cookie_value().as_str(), text);
        assert!(!format!("{token:?}").contains(text));
    }
    if let Ok(id) = DeviceId::parse(text) {
        assert_eq!(id.to_string(), text);
        let json = serde_json::to_string(&id).expect("serializes");
        assert_eq!(serde_json::from_str::<DeviceId>(&json).ok(), Some(id));
    }
});
