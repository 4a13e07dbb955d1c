//! `Code::parse`, `Totp::verify`, `verify_with_drift` and `resync`, and
//! `Hotp::verify` and `resync`, on typed input with fuzzed parameters,
//! times and replay bounds. A freshly generated code is always accepted.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use mfa::{Algorithm, Code, Digits, Hotp, HotpConfig, Secret, Totp, TotpConfig, Window};

#[derive(Arbitrary, Debug)]
struct Input<'a> {
    first: &'a str,
    second: &'a str,
    key: [u8; 20],
    algorithm: u8,
    digits: u8,
    period: u16,
    t0: u32,
    behind: u8,
    ahead: u8,
    look_ahead: u8,
    // Resynchronisation scans up to 2 × this; kept small so the target
    // stays fast. The bounds themselves are unit-tested.
    resync: u8,
    now: u64,
    drift: i64,
    last: Option<u64>,
}

fuzz_target!(|input: Input<'_>| {
    for digits in [Digits::SIX, Digits::SEVEN, Digits::EIGHT] {
        if let Ok(code) = Code::parse(input.first, digits) {
            assert_eq!(code.digits(), digits);
            let shown = code.to_string();
            assert_eq!(Code::parse(&shown, digits), Ok(code));
        }
    }
    let Ok(secret) = Secret::from_bytes(&input.key) else {
        return;
    };
    let algorithm = match input.algorithm % 3 {
        0 => Algorithm::Sha1,
        1 => Algorithm::Sha256,
        _ => Algorithm::Sha512,
    };
    let digits = Digits::new(6 + input.digits % 3).unwrap_or_default();
    let window = Window::new(input.behind % 11, input.ahead % 11).unwrap_or_default();
    let config = TotpConfig::builder()
        .algorithm(algorithm)
        .digits(digits)
        .period(u64::from(input.period))
        .t0(u64::from(input.t0))
        .window(window)
        .resync(u32::from(input.resync % 16))
        .build();
    // A zero period is refused by the builder.
    if let Ok(totp) = config.and_then(|config| Totp::new(&secret, config)) {
        let _ = totp.verify(input.first, input.now, input.last);
        let _ = totp.verify_with_drift(input.first, input.now, input.drift, input.last);
        let _ = totp.resync(input.first, input.second, input.now, input.last);
        if let Ok(code) = totp.generate(input.now) {
            let step = totp.step_at(input.now).expect("generate succeeded");
            let matched = totp.verify(&code.to_string(), input.now, None);
            assert!(matched.is_ok(), "a fresh code is accepted");
            if let Some(last) = input.last.filter(|&l| l >= step.saturating_add(10)) {
                assert!(
                    totp.verify(&code.to_string(), input.now, Some(last))
                        .is_err()
                );
            }
        }
    }
    let config = HotpConfig::builder()
        .algorithm(algorithm)
        .digits(digits)
        .look_ahead(input.look_ahead % 21)
        .resync(u32::from(input.resync % 16))
        .build();
    if let Ok(hotp) = config.and_then(|config| Hotp::new(&secret, config)) {
        let _ = hotp.verify(input.first, input.last);
        let _ = hotp.resync(input.first, input.second, input.last);
        let next = input.last.map_or(Some(0), |l| l.checked_add(1));
        if let Some(next) = next {
            let code = hotp.generate(next);
            assert!(
                hotp.verify(&code.to_string(), input.last).is_ok(),
                "the next code is accepted"
            );
        }
    }
});
