//! `PhoneNumber::parse`, `EmailAddress::parse` and `Destination::sms` /
//! `email` on any text. What parses is normalized: parsing its text again
//! gives the same value, and so does a serde_json round trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::{Destination, EmailAddress, PhoneNumber};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    if let Ok(phone) = PhoneNumber::parse(text) {
        assert_eq!(PhoneNumber::parse(phone.as_str()).as_ref(), Ok(&phone));
        let json = serde_json::to_string(&phone).expect("serializes");
        assert_eq!(serde_json::from_str::<PhoneNumber>(&json).ok(), Some(phone));
    }
    if let Ok(email) = EmailAddress::parse(text) {
        assert_eq!(EmailAddress::parse(email.as_str()).as_ref(), Ok(&email));
        let json = serde_json::to_string(&email).expect("serializes");
        assert_eq!(
            serde_json::from_str::<EmailAddress>(&json).ok(),
            Some(email)
        );
    }
    for destination in [Destination::sms(text), Destination::email(text)]
        .into_iter()
        .flatten()
    {
        assert_eq!(destination.to_string(), destination.as_str());
        let json = serde_json::to_string(&destination).expect("serializes");
        assert_eq!(
            serde_json::from_str::<Destination>(&json).ok(),
            Some(destination)
        );
    }
    // The stored forms, read straight from JSON.
    let _ = serde_json::from_slice::<Destination>(data);
});
