//! `OobRecord::verify` (SMS and e-mail codes) on any typed text, at fuzzed
//! times, against the destination the code went to or another one. A code
//! that verifies is the one sent, typed with separators at most, and is
//! refused the second time.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mfa::{Destination, OobKey, OobPolicy, OobRecord};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    typed: &'a str,
    digits: u8,
    fill: u8,
    after: u16,
    other: bool,
    email: bool,
}

fuzz_target!(|input: Input<'_>| {
    let Ok(key) = OobKey::from_bytes(&[7; 32]) else {
        return;
    };
    let policy = OobPolicy::builder()
        .digits(OobPolicy::MIN_DIGITS + input.digits % 5)
        .build()
        .expect("6 to 10 digits");
    let to = if input.email {
        Destination::email("ada@example.com")
    } else {
        Destination::sms("+14155552671")
    };
    let Ok(to) = to else { return };
    let fill = |buf: &mut [u8]| -> Result<(), ()> {
        buf.fill(input.fill % 0x80);
        Ok(())
    };
    let (record, delivery) = OobRecord::new()
        .issue_with(&policy, &key, &to, 1_000, fill)
        .into_parts();
    let (Some(record), Ok(delivery)) = (record, delivery) else {
        return;
    };
    let sent: String = delivery.code().expose().to_owned();
    let against = if input.other {
        Destination::sms("+14155550000").expect("valid")
    } else {
        to.clone()
    };
    let now = 1_000 + u64::from(input.after);
    let (next, outcome) = record
        .verify(&policy, &key, &against, input.typed, now)
        .into_parts();
    if outcome.is_ok() {
        assert!(!input.other, "accepted for another destination");
        let typed: String = input.typed.chars().filter(char::is_ascii_digit).collect();
        assert_eq!(typed, sent, "accepted {:?}", input.typed);
        let next = next.expect("a success has a new record");
        let (_, again) = next
            .verify(&policy, &key, &to, input.typed, now)
            .into_parts();
        assert!(again.is_err(), "a used code is refused");
    }
});
