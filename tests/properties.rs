//! Property tests: window and replay rules hold for arbitrary keys,
//! parameters and times; Base32 round-trips and is lenient; parsers never
//! panic; every parameter is validated at its boundary.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use mfa::{
    Algorithm, Code, CodeError, Digits, Hotp, HotpConfig, HotpConfigBuilder, ParamError, Secret,
    SecretError, TimeError, Totp, TotpConfig, TotpConfigBuilder, VerifyError, Window,
};
use proptest::prelude::*;

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

fn digits() -> impl Strategy<Value = Digits> {
    prop_oneof![Just(Digits::SIX), Just(Digits::SEVEN), Just(Digits::EIGHT)]
}

fn secret() -> impl Strategy<Value = Secret> {
    proptest::collection::vec(any::<u8>(), Secret::MIN_LEN..=Secret::MAX_LEN)
        .prop_map(|bytes| Secret::from_bytes(&bytes).expect("length in range"))
}

prop_compose! {
    fn totp()(
        secret in secret(),
        algorithm in algorithm(),
        digits in digits(),
        period in 1u64..=300,
        t0 in prop_oneof![Just(0u64), 0u64..1_000_000],
        behind in 0..=Window::MAX,
        ahead in 0..=Window::MAX,
    ) -> Totp {
        let config = TotpConfig::builder()
            .algorithm(algorithm)
            .digits(digits)
            .period(period)
            .t0(t0)
            .window(Window::new(behind, ahead).expect("within MAX")).build().unwrap();
        Totp::new(&secret, config).expect("valid parameters")
    }
}

/// The steps of the window around `now_step`, clamped to `u64`.
fn window_steps(totp: &Totp, now_step: u64) -> impl Iterator<Item = u64> {
    let w = totp.config().window();
    now_step.saturating_sub(u64::from(w.behind()))..=now_step.saturating_add(u64::from(w.ahead()))
}

/// The oracle: the highest step of the window, after `last`, whose code is
/// `code`. Codes of other steps can collide with it (about one in 10^6), so
/// the properties are stated against this rather than assumed away.
fn expected_match(totp: &Totp, code: &Code, now_step: u64, last: Option<u64>) -> Option<u64> {
    window_steps(totp, now_step)
        .filter(|&s| last.is_none_or(|l| s > l))
        .filter(|&s| totp.generate_at_step(s) == *code)
        .max()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    /// A code made at step `s` is accepted at every "now" whose window holds
    /// `s`, with offset `s - now_step`, and nowhere else.
    #[test]
    fn totp_accepts_exactly_inside_the_window(
        totp in totp(),
        step in 0u64..(1 << 40),
        shift in -14i64..=14,
        into_step in 0u64..300,
    ) {
        let config = *totp.config();
        let code = totp.generate_at_step(step);
        let Some(now_step) = step.checked_add_signed(shift) else { return Ok(()) };
        let Some(now) = now_step
            .checked_mul(config.period())
            .and_then(|t| t.checked_add(config.t0()))
            .and_then(|t| t.checked_add(into_step % config.period()))
        else { return Ok(()) };
        prop_assert_eq!(totp.step_at(now), Ok(now_step));

        let result = totp.verify(&code.to_string(), now, None);
        match expected_match(&totp, &code, now_step, None) {
            Some(expected) => {
                let m = result.expect("the oracle found the code in the window");
                prop_assert_eq!(m.step, expected);
                prop_assert_eq!(i128::from(m.offset), i128::from(expected) - i128::from(now_step));
                let w = config.window();
                let inside = -i64::from(w.behind()) <= -shift && -shift <= i64::from(w.ahead());
                if inside {
                    // With no collision above it, the match is `step` itself.
                    prop_assert!(m.step >= step);
                }
            }
            None => {
                prop_assert_eq!(result, Err(VerifyError::Rejected));
                let w = config.window();
                prop_assert!(shift > i64::from(w.behind()) || -shift > i64::from(w.ahead()));
            }
        }
    }

    /// Steps at or before the last accepted one never match (RFC 6238 §5.2).
    #[test]
    fn totp_never_accepts_at_or_before_the_last_step(
        totp in totp(),
        now_step in 20u64..(1 << 40),
        pick in 0usize..21,
        last_shift in -12i64..=12,
    ) {
        let config = *totp.config();
        let steps: Vec<u64> = window_steps(&totp, now_step).collect();
        let step = steps[pick % steps.len()];
        let code = totp.generate_at_step(step);
        let last = now_step.checked_add_signed(last_shift).expect("small shift");
        let now = now_step * config.period() + config.t0();

        let result = totp.verify(&code.to_string(), now, Some(last));
        match expected_match(&totp, &code, now_step, Some(last)) {
            Some(expected) => {
                let m = result.expect("the oracle found a fresh match");
                prop_assert!(m.step > last);
                prop_assert_eq!(m.step, expected);
            }
            None => {
                prop_assert_eq!(result, Err(VerifyError::Rejected));
                prop_assert!(step <= last);
            }
        }
    }

    /// Drift moves the window and the offset stays relative to now.
    #[test]
    fn totp_drift_moves_the_window(
        totp in totp(),
        now_step in 100u64..(1 << 40),
        drift in -50i64..=50,
    ) {
        let config = *totp.config();
        let step = now_step.checked_add_signed(drift).expect("small drift");
        let code = totp.generate_at_step(step);
        let now = now_step * config.period() + config.t0();
        let m = totp.verify_with_drift(&code.to_string(), now, drift, None)
            .expect("the code is at the centre of the drifted window");
        prop_assert!(m.step >= step);
        prop_assert_eq!(m.offset, i64::try_from(m.step).unwrap() - i64::try_from(now_step).unwrap());
    }

    /// Two consecutive codes from a clock off by up to the resync range are
    /// found, and the offset of the second is the drift.
    #[test]
    fn totp_resync_finds_consecutive_codes(
        secret in secret(),
        algorithm in algorithm(),
        now_step in 200u64..(1 << 40),
        drift in -119i64..=119,
    ) {
        let totp = Totp::new(&secret, TotpConfig::builder().algorithm(algorithm).build().unwrap()).expect("valid");
        let first_step = now_step.checked_add_signed(drift).expect("small drift");
        let first = totp.generate_at_step(first_step).to_string();
        let second = totp.generate_at_step(first_step + 1).to_string();
        let m = totp.resync(&first, &second, now_step * 30, None).expect("found");
        // A false pair (two consecutive collisions) has probability ~1e-12.
        prop_assert_eq!(m.step, first_step + 1);
        prop_assert_eq!(m.offset, drift + 1);
        // Replay: after recording it, the same pair is refused.
        prop_assert_eq!(
            totp.resync(&first, &second, now_step * 30, Some(m.step)),
            Err(VerifyError::Rejected)
        );
    }

    /// HOTP accepts counters `counter ..= counter + look_ahead` only.
    #[test]
    fn hotp_look_ahead(
        secret in secret(),
        algorithm in algorithm(),
        digits in digits(),
        look_ahead in 0..=HotpConfig::MAX_LOOK_AHEAD,
        expected in 0u64..(1 << 50),
        shift in -5i64..=25,
    ) {
        let config = HotpConfig::builder().algorithm(algorithm).digits(digits).look_ahead(look_ahead).build().unwrap();
        let hotp = Hotp::new(&secret, config).expect("valid");
        let Some(counter) = expected.checked_add_signed(shift) else { return Ok(()) };
        let code = hotp.generate(counter);
        let oracle = (expected..=expected + u64::from(look_ahead))
            .filter(|&c| hotp.generate(c) == code)
            .max();
        match (hotp.verify(&code.to_string(), expected.checked_sub(1)), oracle) {
            (Ok(m), Some(c)) => {
                prop_assert_eq!(m.counter, c);
                prop_assert_eq!(m.offset, c - expected);
            }
            (Err(VerifyError::Rejected), None) => {
                prop_assert!(shift < 0 || shift > i64::from(look_ahead));
            }
            (got, want) => prop_assert!(false, "got {got:?}, oracle {want:?}"),
        }
    }

    /// HOTP resynchronisation finds a pair up to the configured range.
    #[test]
    fn hotp_resync(
        secret in secret(),
        expected in 0u64..(1 << 50),
        ahead in 0u64..99,
    ) {
        let hotp = Hotp::new(&secret, HotpConfig::default()).expect("valid");
        let first = hotp.generate(expected + ahead).to_string();
        let second = hotp.generate(expected + ahead + 1).to_string();
        let m = hotp.resync(&first, &second, expected.checked_sub(1)).expect("found");
        prop_assert_eq!(m.counter, expected + ahead + 1);
    }

    /// Base32 round trip, and the encoding matches the `base32` crate.
    #[test]
    fn base32_round_trip(bytes in proptest::collection::vec(any::<u8>(), 16..=128)) {
        let secret = Secret::from_bytes(&bytes).expect("length in range");
        let text = secret.expose_base32();
        let reference = base32::encode(base32::Alphabet::Rfc4648 { padding: false }, &bytes);
        prop_assert_eq!(text.as_str(), reference.as_str());
        let back = Secret::from_base32(&text).expect("our own output parses");
        prop_assert_eq!(back.expose_bytes(), &bytes[..]);
    }

    /// Case, spaces, hyphens and padding make no difference.
    #[test]
    fn base32_is_lenient(
        bytes in proptest::collection::vec(any::<u8>(), 16..=64),
        separators in proptest::collection::vec((any::<prop::sample::Index>(), prop_oneof![Just(' '), Just('-')]), 0..10),
        lower in proptest::collection::vec(any::<bool>(), 0..128),
    ) {
        let padded = base32::encode(base32::Alphabet::Rfc4648 { padding: true }, &bytes);
        let (symbols, padding) = padded.split_at(padded.trim_end_matches('=').len());
        let mut chars: Vec<char> = symbols
            .chars()
            .zip(lower.iter().chain(std::iter::repeat(&false)))
            .map(|(c, &l)| if l { c.to_ascii_lowercase() } else { c })
            .collect();
        for (at, sep) in separators {
            let i = at.index(chars.len() + 1);
            chars.insert(i, sep);
        }
        let messy: String = chars.into_iter().collect::<String>() + padding;
        let secret = Secret::from_base32(&messy).expect("lenient input");
        prop_assert_eq!(secret.expose_bytes(), &bytes[..]);
    }

    /// The Base32 parser never panics, and every error it gives is true of
    /// the input.
    #[test]
    fn base32_parser_never_panics(text in any::<String>()) {
        match Secret::from_base32_legacy(&text) {
            Ok(secret) => prop_assert!(secret.len() >= Secret::LEGACY_MIN_LEN),
            Err(SecretError::InvalidCharacter { character, position }) => {
                prop_assert_eq!(text.chars().nth(position - 1), Some(character));
                prop_assert!(!character.is_ascii_alphanumeric() || "0189".contains(character));
            }
            Err(SecretError::PaddingNotAtEnd { position }) => {
                prop_assert!(text.chars().take(position - 1).any(|c| c == '='));
            }
            Err(_) => {}
        }
    }

    /// The code parser never panics, and accepts exactly digit strings of
    /// the right length once spaces are removed.
    #[test]
    fn code_parser_never_panics(text in "[0-9 a\\-]{0,12}|\\PC*", digits in digits()) {
        let stripped: String = text.chars().filter(|&c| c != ' ').collect();
        let valid = stripped.len() == usize::from(digits.get())
            && stripped.chars().all(|c| c.is_ascii_digit());
        match Code::parse(&text, digits) {
            Ok(code) => {
                prop_assert!(valid);
                prop_assert_eq!(code.to_string(), stripped);
            }
            Err(CodeError::NotADigit { position }) => {
                let c = text.chars().nth(position - 1).expect("position inside the input");
                prop_assert!(c != ' ' && !c.is_ascii_digit());
            }
            Err(e) => prop_assert!(!valid, "{e}"),
        }
    }
}

#[test]
fn parameter_boundaries() {
    let secret = Secret::generate().expect("random source");
    // Built, then keyed: the bounds are checked by the builder.
    let totp = |config: TotpConfigBuilder| {
        config
            .build()
            .and_then(|c| Totp::new(&secret, c))
            .map(|_| ())
    };
    let hotp = |config: HotpConfigBuilder| {
        config
            .build()
            .and_then(|c| Hotp::new(&secret, c))
            .map(|_| ())
    };

    assert_eq!(
        totp(TotpConfig::builder().period(0)),
        Err(ParamError::ZeroPeriod)
    );
    assert_eq!(totp(TotpConfig::builder().period(1)), Ok(()));
    assert_eq!(totp(TotpConfig::builder().period(u64::MAX)), Ok(()));
    let max = TotpConfig::MAX_RESYNC;
    assert_eq!(totp(TotpConfig::builder().resync(max)), Ok(()));
    assert_eq!(
        totp(TotpConfig::builder().resync(max + 1)),
        Err(ParamError::ResyncTooLarge {
            steps: max + 1,
            max
        })
    );
    assert_eq!(
        Window::new(10, 10).map(|w| (w.behind(), w.ahead())),
        Ok((10, 10))
    );
    assert!(Window::new(11, 0).is_err() && Window::new(0, 11).is_err());

    let max = HotpConfig::MAX_LOOK_AHEAD;
    assert_eq!(hotp(HotpConfig::builder().look_ahead(max)), Ok(()));
    assert_eq!(
        hotp(HotpConfig::builder().look_ahead(max + 1)),
        Err(ParamError::LookAheadTooLarge {
            steps: max + 1,
            max
        })
    );
    let max = HotpConfig::MAX_RESYNC;
    assert_eq!(hotp(HotpConfig::builder().resync(max)), Ok(()));
    assert_eq!(
        hotp(HotpConfig::builder().resync(max + 1)),
        Err(ParamError::ResyncTooLarge {
            steps: max + 1,
            max
        })
    );
}

#[test]
fn time_before_t0_is_an_error_not_a_wrapped_counter() {
    let secret = Secret::generate().expect("random source");
    let totp = Totp::new(&secret, TotpConfig::builder().t0(1_000).build().unwrap()).expect("valid");
    assert_eq!(totp.step_at(999), Err(TimeError::BeforeT0));
    assert_eq!(totp.step_at(1_000), Ok(0));
    assert_eq!(totp.step_at(1_029), Ok(0));
    assert_eq!(totp.step_at(1_030), Ok(1));
    assert_eq!(
        totp.generate(999).map(|c| c.to_string()),
        Err(TimeError::BeforeT0)
    );
    let code = totp.generate(1_000).expect("at T0").to_string();
    assert_eq!(
        totp.verify(&code, 999, None),
        Err(VerifyError::Time(TimeError::BeforeT0))
    );
    assert!(totp.verify(&code, 1_000, None).is_ok());
}

#[test]
fn extremes_of_u64_never_panic() {
    let secret = Secret::generate().expect("random source");
    let wide = TotpConfig::builder()
        .window(Window::symmetric(Window::MAX).expect("MAX"))
        .build()
        .unwrap();
    for config in [
        wide,
        wide.to_builder().period(1).build().unwrap(),
        wide.to_builder().period(u64::MAX).build().unwrap(),
        wide.to_builder().t0(u64::MAX).build().unwrap(),
    ] {
        let totp = Totp::new(&secret, config).expect("valid");
        for now in [config.t0(), u64::MAX - 1, u64::MAX] {
            if now < config.t0() {
                assert_eq!(totp.step_at(now), Err(TimeError::BeforeT0));
                continue;
            }
            let step = totp.step_at(now).expect("not before T0");
            let code = totp.generate(now).expect("not before T0").to_string();
            let m = totp.verify(&code, now, None).expect("own code");
            assert!(m.step >= step);
            for drift in [i64::MIN, -1, 1, i64::MAX] {
                let _ = totp.verify_with_drift(&code, now, drift, None);
            }
            let _ = totp.resync(&code, &code, now, Some(u64::MAX));
            assert_eq!(
                totp.verify(&code, now, Some(u64::MAX)),
                Err(VerifyError::Rejected)
            );
        }
    }
    // The top of the counter range: u64::MAX is accepted once, and after it
    // nothing is.
    let hotp = Hotp::new(&secret, HotpConfig::default()).expect("valid");
    let top = hotp.generate(u64::MAX).to_string();
    let m = hotp
        .verify(&top, Some(u64::MAX - 3))
        .expect("inside the look-ahead");
    assert_eq!((m.counter, m.offset), (u64::MAX, 2));
    assert_eq!(
        hotp.verify(&top, Some(u64::MAX)),
        Err(VerifyError::Rejected)
    );
    let below = hotp.generate(u64::MAX - 1).to_string();
    assert_eq!(
        hotp.resync(&below, &top, Some(u64::MAX - 5))
            .map(|m| m.counter),
        Ok(u64::MAX)
    );
    assert_eq!(
        hotp.resync(&below, &top, Some(u64::MAX)),
        Err(VerifyError::Rejected)
    );
}

#[test]
fn malformed_input_is_rejected_before_any_hmac() {
    let secret = Secret::generate().expect("random source");
    let totp = Totp::new(&secret, TotpConfig::default()).expect("valid");
    assert_eq!(
        totp.verify("12345", 59, None),
        Err(VerifyError::Malformed(CodeError::WrongLength {
            expected: 6,
            found: 5
        }))
    );
    assert_eq!(
        totp.verify("12345x", 59, None),
        Err(VerifyError::Malformed(CodeError::NotADigit { position: 6 }))
    );
    // Spaces are allowed, as apps show "123 456".
    let code = totp.generate(59).expect("after T0").to_string();
    let spaced = format!("{} {}", &code[..3], &code[3..]);
    assert!(totp.verify(&spaced, 59, None).is_ok());
}
