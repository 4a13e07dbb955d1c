//! The test vectors of RFC 4226 Appendix D and RFC 6238 Appendix B, every
//! row, as data.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use mfa::{Algorithm, Digits, Hotp, HotpConfig, Secret, Totp, TotpConfig, Window};

/// RFC 4226 Appendix D: secret ASCII "12345678901234567890", 6 digits.
const HOTP: [(u64, &str); 10] = [
    (0, "755224"),
    (1, "287082"),
    (2, "359152"),
    (3, "969429"),
    (4, "338314"),
    (5, "254676"),
    (6, "287922"),
    (7, "162583"),
    (8, "399871"),
    (9, "520489"),
];

/// RFC 6238 Appendix B: 8 digits, X = 30, T0 = 0.
const TOTP: [(u64, &str, &str, &str); 6] = [
    (59, "94287082", "46119246", "90693936"),
    (1_111_111_109, "07081804", "68084774", "25091201"),
    (1_111_111_111, "14050471", "67062674", "99943326"),
    (1_234_567_890, "89005924", "91819424", "93441116"),
    (2_000_000_000, "69279037", "90698825", "38618901"),
    (20_000_000_000, "65353130", "77737706", "47863826"),
];

/// The RFC 6238 seeds: the ASCII digits repeated to the hash length.
fn seed(algorithm: Algorithm) -> Secret {
    let bytes: Vec<u8> = b"1234567890"
        .iter()
        .copied()
        .cycle()
        .take(algorithm.output_len())
        .collect();
    Secret::from_bytes(&bytes).expect("RFC seeds are long enough")
}

fn rfc6238(algorithm: Algorithm) -> Totp {
    let config = TotpConfig::builder()
        .algorithm(algorithm)
        .digits(Digits::EIGHT)
        .window(Window::EXACT)
        .build()
        .unwrap();
    Totp::new(&seed(algorithm), config).expect("valid parameters")
}

#[test]
fn rfc4226_appendix_d() {
    let hotp = Hotp::new(
        &seed(Algorithm::Sha1),
        HotpConfig::builder().look_ahead(0).build().unwrap(),
    )
    .expect("valid parameters");
    for (counter, code) in HOTP {
        assert_eq!(
            hotp.generate(counter).to_string(),
            code,
            "counter {counter}"
        );
        let accepted = hotp
            .verify(code, counter.checked_sub(1))
            .expect("the code verifies");
        assert_eq!((accepted.counter, accepted.offset), (counter, 0));
        // Once used, it is refused.
        assert!(
            hotp.verify(code, Some(counter)).is_err(),
            "counter {counter}"
        );
    }
}

#[test]
fn rfc6238_appendix_b() {
    for (i, algorithm) in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]
        .into_iter()
        .enumerate()
    {
        let totp = rfc6238(algorithm);
        for row in TOTP {
            let (time, expected) = (row.0, [row.1, row.2, row.3][i]);
            assert_eq!(
                totp.generate(time).expect("after T0").to_string(),
                expected,
                "{algorithm} at {time}"
            );
            let accepted = totp.verify(expected, time, None).expect("verifies");
            assert_eq!(accepted.step, time / 30);
            assert_eq!(accepted.offset, 0);
        }
    }
}

#[test]
fn rfc6238_step_values() {
    // RFC 6238 Appendix B lists T in hex for each time.
    let totp = rfc6238(Algorithm::Sha1);
    let steps = [
        (59, 0x1),
        (1_111_111_109, 0x23523EC),
        (1_111_111_111, 0x23523ED),
        (1_234_567_890, 0x273EF07),
        (2_000_000_000, 0x3F940AA),
        (20_000_000_000, 0x27BC86AA),
    ];
    for (time, step) in steps {
        assert_eq!(totp.step_at(time), Ok(step), "time {time}");
    }
}

#[test]
fn six_digit_codes_are_the_last_six_of_eight() {
    // Truncation is the same; only the modulus differs (RFC 4226 §5.3).
    for algorithm in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
        let eight = rfc6238(algorithm);
        let six = Totp::new(
            &seed(algorithm),
            TotpConfig::builder().algorithm(algorithm).build().unwrap(),
        )
        .expect("valid parameters");
        let seven = Totp::new(
            &seed(algorithm),
            TotpConfig::builder()
                .algorithm(algorithm)
                .digits(Digits::SEVEN)
                .build()
                .unwrap(),
        )
        .expect("valid parameters");
        for (time, ..) in TOTP {
            let long = eight.generate(time).expect("after T0").to_string();
            assert_eq!(six.generate(time).expect("after T0").to_string(), long[2..]);
            assert_eq!(
                seven.generate(time).expect("after T0").to_string(),
                long[1..]
            );
        }
    }
}
