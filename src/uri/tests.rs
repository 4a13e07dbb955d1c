//! Unit tests of key URIs: each real-world quirk, each error.

use alloc::format;
use alloc::string::String;
use alloc::vec;

use super::*;
use crate::error::SecretError;
use crate::window::Window;

/// RFC 4226's secret, "12345678901234567890".
const RFC: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

fn parse(uri: &str) -> Result<KeyUri, UriError> {
    KeyUri::parse(uri)
}

fn totp_uri(query: &str) -> String {
    format!("otpauth://totp/Example:alice?secret={RFC}{query}")
}

fn rfc_totp(config: TotpConfig) -> Totp {
    Totp::new(
        &Secret::from_bytes(b"12345678901234567890").expect("valid"),
        config,
    )
    .expect("valid")
}

#[test]
fn builds_the_canonical_form() {
    let uri = KeyUri::totp(
        &rfc_totp(TotpConfig::default()),
        "Example",
        "alice@example.com",
    )
    .expect("valid");
    assert_eq!(
        uri.to_uri().as_str(),
        format!("otpauth://totp/Example:alice%40example.com?secret={RFC}&issuer=Example")
    );
    assert!(uri.is_universal());

    let config = TotpConfig::builder()
        .algorithm(Algorithm::Sha512)
        .digits(Digits::EIGHT)
        .period(60)
        .window(Window::EXACT)
        .build()
        .unwrap();
    let uri = KeyUri::totp(&rfc_totp(config), "Ex Co", "a b").expect("valid");
    assert_eq!(
        uri.to_uri().as_str(),
        format!(
            "otpauth://totp/Ex%20Co:a%20b?secret={RFC}&issuer=Ex%20Co&algorithm=SHA512&digits=8&period=60"
        )
    );
    assert!(!uri.is_universal());
    assert_eq!(uri.require_universal(), Err(UriError::NotUniversal));
}

#[test]
fn builds_hotp_with_its_counter() {
    let hotp = Hotp::new(
        &Secret::from_bytes(b"12345678901234567890").expect("valid"),
        HotpConfig::builder().digits(Digits::SEVEN).build().unwrap(),
    )
    .expect("valid");
    let uri = KeyUri::hotp(&hotp, 0, "Example", "alice").expect("valid");
    assert_eq!(
        uri.to_uri().as_str(),
        format!("otpauth://hotp/Example:alice?secret={RFC}&issuer=Example&digits=7&counter=0")
    );
    // HOTP is not universal, whatever its parameters.
    let plain = Hotp::new(hotp.secret(), HotpConfig::default()).expect("valid");
    let uri = KeyUri::hotp(&plain, u64::MAX, "Example", "alice").expect("valid");
    assert!(!uri.is_universal());
    assert!(uri.to_uri().ends_with("&counter=18446744073709551615"));
}

#[test]
fn refuses_what_cannot_be_written() {
    let totp = rfc_totp(TotpConfig::default());
    let cases = [
        ("", "alice", UriError::EmptyIssuer),
        ("Ex:ample", "alice", UriError::ColonInIssuer),
        ("Example", "", UriError::EmptyAccount),
        ("Example", "al:ice", UriError::ColonInAccount),
        ("Example", " alice", UriError::AccountStartsWithSpace),
    ];
    for (issuer, account, error) in cases {
        assert_eq!(
            KeyUri::totp(&totp, issuer, account),
            Err(error),
            "{issuer:?} {account:?}"
        );
    }
    let shifted = rfc_totp(TotpConfig::builder().t0(1).build().unwrap());
    assert_eq!(
        KeyUri::totp(&shifted, "Example", "alice"),
        Err(UriError::NonZeroT0)
    );
}

#[test]
fn extra_params_are_checked_and_written_last() {
    let totp = rfc_totp(TotpConfig::default());
    let uri = KeyUri::totp(&totp, "Example", "alice").expect("valid");
    for name in [
        "secret",
        "Issuer",
        "ALGORITHM",
        "digits",
        "period",
        "counter",
    ] {
        assert!(
            matches!(
                uri.clone().with_param(name, "x"),
                Err(UriError::ReservedParameter { .. })
            ),
            "{name}"
        );
    }
    assert_eq!(
        uri.clone().with_param("", "x"),
        Err(UriError::EmptyParameterName)
    );
    let uri = uri
        .with_param("color", "#ff0000")
        .and_then(|u| u.with_param("a&b", "c=d"))
        .expect("valid");
    assert!(
        uri.to_uri()
            .ends_with("&issuer=Example&color=%23ff0000&a%26b=c%3Dd")
    );
    assert_eq!(parse(&uri.to_uri()), Ok(uri));
}

#[test]
fn parses_the_google_wiki_examples() {
    let key =
        parse("otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example")
            .expect("valid");
    assert_eq!(key.issuer(), Some("Example"));
    assert_eq!(key.label_issuer(), Some("Example"));
    assert_eq!(key.issuer_param(), Some("Example"));
    assert_eq!(key.account(), "alice@google.com");
    assert_eq!(key.otp_type(), OtpType::Totp { period: 30 });
    assert_eq!((key.period(), key.counter()), (Some(30), None));
    assert!(key.secret().is_short());
    assert!(key.is_universal());

    let key = parse(
        "otpauth://totp/ACME%20Co:john.doe@email.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
    )
    .expect("valid");
    assert_eq!(key.issuer(), Some("ACME Co"));
    assert_eq!(key.account(), "john.doe@email.com");
    assert!(!key.secret().is_short());
    assert!(key.is_universal());
}

#[test]
fn separator_may_be_encoded_and_followed_by_spaces() {
    for label in [
        "Example:alice",
        "Example%3Aalice",
        "Example%3aalice",
        "Example:%20alice",
        "Example: alice",
        "Example%3A%20%20alice",
    ] {
        let key = parse(&format!("otpauth://totp/{label}?secret={RFC}")).expect(label);
        assert_eq!(key.label_issuer(), Some("Example"), "{label}");
        assert_eq!(key.account(), "alice", "{label}");
    }
}

#[test]
fn issuer_may_be_missing_or_only_a_parameter() {
    let key = parse(&format!("otpauth://totp/alice?secret={RFC}")).expect("valid");
    assert_eq!((key.issuer(), key.account()), (None, "alice"));

    let key = parse(&format!("otpauth://totp/alice?secret={RFC}&issuer=Example")).expect("valid");
    assert_eq!(key.issuer(), Some("Example"));
    assert_eq!(key.label_issuer(), None);

    // An empty label, and an empty issuer before the colon.
    let key = parse(&format!("otpauth://totp?secret={RFC}")).expect("valid");
    assert_eq!((key.issuer(), key.account()), (None, ""));
    let key = parse(&format!("otpauth://totp/:alice?secret={RFC}")).expect("valid");
    assert_eq!((key.label_issuer(), key.account()), (None, "alice"));
}

#[test]
fn differing_issuers_are_both_kept_and_the_parameter_wins() {
    let key = parse(&format!(
        "otpauth://totp/Contoso:alice@contoso.com?secret={RFC}&issuer=Microsoft"
    ))
    .expect("valid");
    assert_eq!(key.issuer(), Some("Microsoft"));
    assert_eq!(key.label_issuer(), Some("Contoso"));
    assert_eq!(key.issuer_param(), Some("Microsoft"));
    assert_eq!(parse(&key.to_uri()), Ok(key));
}

#[test]
fn lowercase_padded_and_grouped_secrets() {
    let expected = Secret::from_base32(RFC).expect("valid");
    for secret in [
        "gezdgnbvgy3tqojqgezdgnbvgy3tqojq",
        "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "GEZD%20GNBV%20GY3T%20QOJQ%20GEZD%20GNBV%20GY3T%20QOJQ",
        "gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq",
    ] {
        let key = parse(&format!("otpauth://totp/a?secret={secret}")).expect(secret);
        assert_eq!(key.secret(), &expected, "{secret}");
    }
    // 80 bits padded to a multiple of 8 symbols: JBSWY3DPEHPK3PXP is 16.
    let key = parse("otpauth://totp/a?secret=MFRGGZDFMZTWQ2LK").expect("valid");
    assert_eq!(key.secret().bits(), 80);
    let key = parse("otpauth://totp/a?secret=MFRGGZDFMZTWQ2LKNM%3D%3D%3D%3D%3D%3D").expect("valid");
    assert_eq!(key.secret().bits(), 88);
    let key = parse("otpauth://totp/a?secret=MFRGGZDFMZTWQ2LKNM======").expect("valid");
    assert_eq!(key.secret().bits(), 88);
    assert!(key.secret().is_short());
}

#[test]
fn algorithm_names_in_any_case() {
    for (name, algorithm) in [
        ("sha1", Algorithm::Sha1),
        ("Sha256", Algorithm::Sha256),
        ("SHA512", Algorithm::Sha512),
        ("sha-512", Algorithm::Sha512),
    ] {
        let key = parse(&totp_uri(&format!("&algorithm={name}"))).expect(name);
        assert_eq!(key.algorithm(), algorithm, "{name}");
    }
}

#[test]
fn unescaped_slash_in_the_label() {
    let key = parse(&format!("otpauth://totp/Acme/Corp:alice/dev?secret={RFC}")).expect("valid");
    assert_eq!(key.label_issuer(), Some("Acme/Corp"));
    assert_eq!(key.account(), "alice/dev");
    assert!(
        key.to_uri()
            .starts_with("otpauth://totp/Acme%2FCorp:alice%2Fdev?")
    );
}

#[test]
fn unknown_parameters_are_kept_in_order() {
    let key = parse(&totp_uri(
        "&image=https%3A%2F%2Fexample.com%2Fa.png&color=red&lock=false&color=blue&flag",
    ))
    .expect("valid");
    let extra: Vec<_> = key.extra_params().collect();
    assert_eq!(
        extra,
        [
            ("image", "https://example.com/a.png"),
            ("color", "red"),
            ("lock", "false"),
            ("color", "blue"),
            ("flag", ""),
        ]
    );
    assert_eq!(key.extra_param("color"), Some("red"));
    assert_eq!(key.extra_param("Color"), None);
    assert_eq!(parse(&key.to_uri()), Ok(key));
}

#[test]
fn lenient_envelope() {
    let canonical = parse(&totp_uri("")).expect("valid");
    for uri in [
        format!("  {}\n", totp_uri("")),
        format!("OTPAUTH://TOTP/Example:alice?SECRET={RFC}"),
        format!("{}#fragment", totp_uri("")),
        format!("{}&&", totp_uri("")),
        format!("{}&digits=&period=&algorithm=", totp_uri("")),
        format!("otpauth://totp/Example:alice?secret={RFC}&issuer="),
        format!("otpauth://totp/Example:alice?secr%65t={RFC}"),
    ] {
        assert_eq!(parse(&uri).as_ref(), Ok(&canonical), "{uri}");
    }
    // `+` is a plus sign in the label (a path), a space in the query (a
    // form), where `%2B` is a plus sign.
    let key = parse(&format!("otpauth://totp/A+B:c+d?secret={RFC}&issuer=A+B")).expect("valid");
    assert_eq!((key.label_issuer(), key.account()), (Some("A+B"), "c+d"));
    assert_eq!(key.issuer_param(), Some("A B"));
    let key = parse(&format!(
        "otpauth://totp/a?secret={RFC}&issuer=A%2BB&x+y=1+2"
    ))
    .expect("valid");
    assert_eq!(key.issuer(), Some("A+B"));
    assert_eq!(key.extra_param("x y"), Some("1 2"));
    assert!(key.to_uri().ends_with("&issuer=A%2BB&x%20y=1%202"));
    // Raw non-ASCII text (an IRI) and its percent-encoded form are equal.
    let raw = parse(&format!("otpauth://totp/Café:zoë?secret={RFC}")).expect("valid");
    let encoded = parse(&format!("otpauth://totp/Caf%C3%A9:zo%C3%AB?secret={RFC}")).expect("valid");
    assert_eq!(raw, encoded);
    assert_eq!(raw.label_issuer(), Some("Café"));
}

#[test]
fn a_second_colon_belongs_to_the_account() {
    for label in ["a:b:c", "a%3Ab%3Ac", "a:%20b:c", "a%3A%20b%3Ac"] {
        let key = parse(&format!("otpauth://totp/{label}?secret={RFC}")).expect(label);
        assert_eq!((key.label_issuer(), key.account()), (Some("a"), "b:c"));
        assert!(key.to_uri().starts_with("otpauth://totp/a:b%3Ac?"));
        assert_eq!(parse(&key.to_uri()).as_ref(), Ok(&key));
    }
    // No issuer before the first colon: the account keeps the rest, and
    // is written back after a colon so that it reads the same.
    let key = parse(&format!("otpauth://totp/:b:c?secret={RFC}")).expect("valid");
    assert_eq!((key.label_issuer(), key.account()), (None, "b:c"));
    assert!(key.to_uri().starts_with("otpauth://totp/:b%3Ac?"));
    assert_eq!(parse(&key.to_uri()), Ok(key));
}

#[test]
fn hotp_without_a_counter_starts_at_zero() {
    for query in ["", "&counter=", "&counter=&period=60"] {
        let key = parse(&format!("otpauth://hotp/a?secret={RFC}{query}")).expect(query);
        assert_eq!(key.counter(), Some(0), "{query}");
        assert!(key.to_uri().ends_with("&counter=0"), "{query}");
    }
}

#[test]
fn steam_encoder_is_refused_when_building() {
    let uri = KeyUri::totp(&rfc_totp(TotpConfig::default()), "Steam", "alice").expect("valid");
    assert_eq!(
        uri.clone().with_param("Encoder", "STEAM"),
        Err(UriError::Steam)
    );
    assert!(uri.with_param("encoder", "base32").is_ok());
}

#[test]
fn periods_over_a_day_are_refused_when_building() {
    let day = rfc_totp(
        TotpConfig::builder()
            .period(KeyUri::MAX_PERIOD)
            .build()
            .unwrap(),
    );
    let key = KeyUri::totp(&day, "Example", "alice").expect("valid");
    assert!(key.to_uri().ends_with("&period=86400"));
    assert!(!key.is_universal());
    let longer = rfc_totp(
        TotpConfig::builder()
            .period(KeyUri::MAX_PERIOD + 1)
            .build()
            .unwrap(),
    );
    assert_eq!(
        KeyUri::totp(&longer, "Example", "alice"),
        Err(UriError::InvalidPeriod)
    );
}

#[test]
fn type_specific_parameters() {
    let key = parse(&format!(
        "otpauth://hotp/a?secret={RFC}&counter=42&period=abc"
    ))
    .expect("valid");
    assert_eq!(key.otp_type(), OtpType::Hotp { counter: 42 });
    assert_eq!((key.period(), key.counter()), (None, Some(42)));
    let key = parse(&format!("otpauth://totp/a?secret={RFC}&counter=x&period=1")).expect("valid");
    assert_eq!(key.otp_type(), OtpType::Totp { period: 1 });
    let key = parse(&format!(
        "otpauth://hotp/a?secret={RFC}&counter=18446744073709551615"
    ))
    .expect("valid");
    assert_eq!(key.counter(), Some(u64::MAX));
}

#[test]
fn the_length_limit_counts_the_input_as_given() {
    // Whitespace around a URI is trimmed but counts toward the limit,
    // which is inclusive; the key itself writes back far shorter.
    let padded = |len: usize| format!("{:<len$}", totp_uri(""));
    assert!(parse(&padded(KeyUri::MAX_LEN)).is_ok());
    assert_eq!(
        parse(&padded(KeyUri::MAX_LEN + 1)).err(),
        Some(UriError::TooLong {
            len: KeyUri::MAX_LEN + 1,
            max: KeyUri::MAX_LEN,
        })
    );
}

#[test]
fn each_error_names_its_problem() {
    let long = format!("otpauth://totp/{}?secret={RFC}", "a".repeat(5_000));
    let cases: Vec<(String, UriError)> = vec![
        (
            long,
            UriError::TooLong {
                len: 5_055,
                max: 4_096,
            },
        ),
        (format!("https://totp/a?secret={RFC}"), UriError::NotOtpauth),
        (
            format!("otpauth:/totp/a?secret={RFC}"),
            UriError::NotOtpauth,
        ),
        (String::new(), UriError::NotOtpauth),
        (
            "otpauth-migration://offline?data=AA".into(),
            UriError::MigrationUri,
        ),
        (
            format!("otpauth://motp/a?secret={RFC}"),
            UriError::UnknownType,
        ),
        (format!("otpauth:///a?secret={RFC}"), UriError::UnknownType),
        ("otpauth://totp/a".into(), UriError::MissingSecret),
        ("otpauth://totp/a?secret=".into(), UriError::MissingSecret),
        (
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PX1".into(),
            UriError::Secret(SecretError::InvalidCharacter {
                character: '1',
                position: 16,
            }),
        ),
        (
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PX".into(),
            UriError::Secret(SecretError::TooShort {
                bits: 72,
                min_bits: 80,
            }),
        ),
        (totp_uri("&algorithm=MD5"), UriError::UnknownAlgorithm),
        (totp_uri("&digits=5"), UriError::InvalidDigits),
        (totp_uri("&digits=9"), UriError::InvalidDigits),
        (totp_uri("&digits=six"), UriError::InvalidDigits),
        (totp_uri("&digits=+6"), UriError::InvalidDigits),
        // `%2B` is a plus sign, which `u8::from_str` alone would accept.
        (totp_uri("&digits=%2B6"), UriError::InvalidDigits),
        (totp_uri("&period=%2B30"), UriError::InvalidPeriod),
        (totp_uri("&digits=300"), UriError::InvalidDigits),
        (totp_uri("&period=0"), UriError::InvalidPeriod),
        (totp_uri("&period=86401"), UriError::InvalidPeriod),
        (
            totp_uri("&period=18446744073709551615"),
            UriError::InvalidPeriod,
        ),
        (totp_uri("&period=-30"), UriError::InvalidPeriod),
        (totp_uri("&period=30s"), UriError::InvalidPeriod),
        (
            totp_uri("&period=18446744073709551616"),
            UriError::InvalidPeriod,
        ),
        (format!("otpauth://steam/a?secret={RFC}"), UriError::Steam),
        (totp_uri("&encoder=Steam"), UriError::Steam),
        (
            format!("otpauth://hotp/a?secret={RFC}&counter=x"),
            UriError::InvalidCounter,
        ),
        (
            format!("otpauth://hotp/a?secret={RFC}&counter=-1"),
            UriError::InvalidCounter,
        ),
        (
            format!("otpauth://hotp/a?secret={RFC}&counter=18446744073709551616"),
            UriError::InvalidCounter,
        ),
        (
            format!("otpauth://totp/a%2?secret={RFC}"),
            UriError::InvalidPercentEncoding { position: 17 },
        ),
        (
            format!("otpauth://totp/é?secret={RFC}&issuer=%zz"),
            UriError::InvalidPercentEncoding { position: 65 },
        ),
        (
            format!("otpauth://totp/%FF?secret={RFC}"),
            UriError::InvalidUtf8,
        ),
        (totp_uri("&issuer=%C3"), UriError::InvalidUtf8),
        (totp_uri("&x=%C3"), UriError::InvalidUtf8),
        (
            totp_uri(&format!("&secret={RFC}")),
            UriError::DuplicateParameter { name: "secret" },
        ),
        (
            totp_uri("&digits=6&Digits=8"),
            UriError::DuplicateParameter { name: "digits" },
        ),
        (
            totp_uri("&issuer=&issuer=x"),
            UriError::DuplicateParameter { name: "issuer" },
        ),
    ];
    for (uri, error) in cases {
        assert_eq!(parse(&uri), Err(error), "{uri}");
        // Every message is a lowercase sentence that says what to fix.
        let message = format!("{error}");
        assert!(
            message.chars().next().is_some_and(char::is_lowercase),
            "{message}"
        );
    }
}

#[test]
fn errors_and_debug_hold_no_secret() {
    let key = parse(&totp_uri("")).expect("valid");
    let debug = format!("{key:?}");
    assert!(!debug.contains(RFC), "{debug}");
    assert!(!debug.contains("GEZD"), "{debug}");
    assert!(debug.contains("Secret { len: 20, .. }"), "{debug}");
    let error = parse("otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJ1").expect_err("bad");
    assert!(!format!("{error} {error:?}").contains("GEZD"));
}

#[test]
fn converts_into_ready_keys() {
    let key = parse(&format!("otpauth://totp/a?secret={RFC}&digits=8")).expect("valid");
    let totp = key.to_totp().expect("a TOTP key");
    assert_eq!(
        totp.generate(59).map(|c| c.to_string()),
        Ok(String::from("94287082"))
    );
    assert_eq!(key.to_hotp().map(|_| ()), Err(UriError::NotHotp));
    assert_eq!(key.hotp_config(), Err(UriError::NotHotp));

    let key = parse(&format!("otpauth://hotp/a?secret={RFC}&counter=5")).expect("valid");
    let hotp = key.to_hotp().expect("an HOTP key");
    assert_eq!(hotp.generate(5).to_string(), "254676");
    assert_eq!(key.to_totp().map(|_| ()), Err(UriError::NotTotp));
    assert_eq!(key.totp_config(), Err(UriError::NotTotp));
}

#[test]
fn exactly_sized_output() {
    let key = parse(&totp_uri("&x=%E2%82%AC%20y")).expect("valid");
    let uri = key.to_uri();
    assert_eq!(uri.len(), uri.capacity());
}

#[test]
fn the_written_uri_may_reach_the_limit_exactly() {
    // The URI a key writes may be MAX_LEN bytes, not one more: an added
    // parameter of unreserved characters grows it by `&x=` and its value.
    let key = KeyUri::totp(&rfc_totp(TotpConfig::default()), "Example", "alice").expect("valid");
    let room = KeyUri::MAX_LEN - key.to_uri().len() - "&x=".len();
    let fits = key
        .clone()
        .with_param("x", &"a".repeat(room))
        .expect("fits");
    assert_eq!(fits.to_uri().len(), KeyUri::MAX_LEN);
    assert_eq!(
        key.with_param("x", &"a".repeat(room + 1)).err(),
        Some(UriError::TooLong {
            len: KeyUri::MAX_LEN + 1,
            max: KeyUri::MAX_LEN,
        })
    );
}
