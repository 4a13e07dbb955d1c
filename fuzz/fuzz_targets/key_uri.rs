//! `KeyUri::parse` on any text; whatever parses is written back with
//! `to_uri`, which must parse to the same key, and converts to a `Totp` or
//! `Hotp` without panicking.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::{KeyUri, OtpType};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(key) = KeyUri::parse(text) else {
        return;
    };
    let written = key.to_uri();
    // Found by this target and fixed: a key is refused (`TooLong`) unless
    // the URI it writes fits in `MAX_LEN`, so what it writes parses back.
    assert!(
        written.len() <= KeyUri::MAX_LEN,
        "{} bytes written",
        written.len()
    );
    let again = KeyUri::parse(&written).expect("to_uri output parses");
    assert_eq!(
        again,
        key,
        "round trip of {text:?} via {:?}",
        written.as_str()
    );
    assert_eq!(
        again.to_uri().as_str(),
        written.as_str(),
        "to_uri is stable"
    );
    let _ = key.is_universal();
    let _ = key.issuer();
    let _ = key.extra_params().count();
    match key.otp_type() {
        OtpType::Totp { .. } => {
            let _ = key.totp_config();
            let _ = key.to_totp();
        }
        OtpType::Hotp { .. } => {
            let _ = key.hotp_config();
            let _ = key.to_hotp();
        }
        _ => {}
    }
    let _ = key.require_universal();
});
