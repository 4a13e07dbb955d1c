//! Property tests of key URIs and Google Authenticator exports: parsing
//! never panics, whatever the input; building then parsing gives back the
//! same key for any issuer and account (Unicode, spaces, `& ? / + % = #`);
//! whatever parses is written back to a URI that parses to the same key.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use mfa::{
    Algorithm, Digits, Hotp, HotpConfig, KeyUri, MigrationBatch, MigrationError, OtpType, Secret,
    Totp, TotpConfig, UriError,
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
    proptest::collection::vec(any::<u8>(), Secret::LEGACY_MIN_LEN..=Secret::MAX_LEN)
        .prop_map(|bytes| Secret::from_bytes_legacy(&bytes).expect("length in range"))
}

/// Characters URIs treat specially, weighted up, and any other but ':'.
fn name_char() -> impl Strategy<Value = char> {
    prop_oneof![
        3 => prop::sample::select(vec![
            '&', '?', '/', '+', '%', '=', '#', ' ', '@', '~', '.', '-', '_', '\'', '"', ';',
            '[', ']', '\\', '\n', '\t', '\0', '\u{7f}', 'é', '日', '🙂', '\u{feff}',
        ]),
        2 => any::<char>().prop_filter("the separator is refused", |&c| c != ':'),
        2 => prop::char::range('a', 'z'),
    ]
}

fn issuer() -> impl Strategy<Value = String> {
    proptest::collection::vec(name_char(), 1..32).prop_map(|v| v.into_iter().collect())
}

/// An account name: no leading space, which apps drop after the colon.
fn account() -> impl Strategy<Value = String> {
    issuer().prop_map(|s| {
        if s.starts_with(' ') {
            format!("x{s}")
        } else {
            s
        }
    })
}

/// An extra parameter: any name but those the format defines.
fn extra_param() -> impl Strategy<Value = (String, String)> {
    (issuer(), proptest::collection::vec(name_char(), 0..16))
        .prop_map(|(name, value)| (name, value.into_iter().collect::<String>()))
        .prop_filter("reserved names are refused", |(name, _)| {
            ![
                "secret",
                "issuer",
                "algorithm",
                "digits",
                "period",
                "counter",
            ]
            .iter()
            .any(|known| known.eq_ignore_ascii_case(name))
        })
}

/// Fragments of real and broken key URIs, to be strung together.
fn uri_token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "otpauth://",
            "totp",
            "hotp",
            "/",
            ":",
            "%3A",
            "%3a",
            "%20",
            " ",
            "?",
            "&",
            "=",
            "#",
            "+",
            "%",
            "%4",
            "%zz",
            "%C3",
            "%A9",
            "%FF",
            "secret=",
            "SECRET=",
            "issuer=",
            "algorithm=",
            "sha256",
            "SHA-512",
            "md5",
            "digits=",
            "8",
            "6",
            "9",
            "period=",
            "0",
            "60",
            "counter=",
            "-1",
            "18446744073709551616",
            "image=",
            "GEZDGNBVGY3TQOJQ",
            "gezdgnbvgy3tqojq",
            "JBSWY3DPEHPK3PXP",
            "====",
            "1",
            "Example",
            "alice@x",
            "é",
        ])
        .prop_map(String::from),
        "[^:]{0,6}",
    ]
}

fn structured_uri() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "otpauth://totp/",
            "otpauth://hotp/",
            "otpauth://TOTP/",
            "",
        ]),
        proptest::collection::vec(uri_token(), 0..24),
    )
        .prop_map(|(prefix, tokens)| format!("{prefix}{}", tokens.concat()))
}

/// Label pieces: names, escapes, separators, spaces, slashes, Unicode.
fn label_token() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec![
            "Example",
            "alice@x.org",
            " ",
            "%20",
            ":",
            "%3A",
            "%3a",
            "/",
            "+",
            "%2B",
            "é",
            "%C3%A9",
            "%25",
            "&",
            "=",
            "日本",
            "%F0%9F%99%82",
            ".",
            "~",
        ])
        .prop_map(String::from),
        "[a-zA-Z0-9]{0,6}",
    ]
}

/// One `name=value` parameter, valid most of the time.
fn param() -> impl Strategy<Value = String> {
    let value = prop_oneof![
        label_token(),
        prop::sample::select(vec![
            "", "6", "7", "8", "30", "60", "0", "x", "SHA1", "sha256", "SHA-512"
        ])
        .prop_map(String::from),
    ];
    (
        prop::sample::select(vec![
            "issuer",
            "Issuer",
            "algorithm",
            "digits",
            "period",
            "counter",
            "image",
            "color",
            "lock",
            "x%20y",
            "",
        ]),
        value,
    )
        .prop_map(|(name, value)| format!("{name}={value}"))
}

/// A URI with a valid core (type, secret, counter) and quirky rest.
fn mostly_valid_uri() -> impl Strategy<Value = String> {
    (
        prop::sample::select(vec![
            "otpauth://totp/",
            "otpauth://hotp/",
            "OTPAUTH://Totp/",
        ]),
        proptest::collection::vec(label_token(), 0..6),
        prop::sample::select(vec![
            "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
            "JBSWY3DPEHPK3PXP",
            "MFRGGZDFMZTWQ2LKNM%3D%3D%3D%3D%3D%3D",
        ]),
        any::<u32>(),
        proptest::collection::vec(param(), 0..5),
        prop::sample::select(vec!["", "#x", "&", " "]),
    )
        .prop_map(|(prefix, label, secret, counter, params, end)| {
            let mut uri = format!(
                "{prefix}{}?secret={secret}&counter={counter}",
                label.concat()
            );
            for p in params {
                uri.push('&');
                uri.push_str(&p);
            }
            uri + end
        })
}

fn base64(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    out.replace('+', "%2B").replace('/', "%2F")
}

/// Protobuf-shaped bytes: field keys with every wire type, varints of
/// every length, lengths that fit or overrun, and nested entries.
fn protobuf_like() -> impl Strategy<Value = Vec<u8>> {
    let leaf = prop_oneof![
        (0u64..16, 0u64..8).prop_map(|(field, wire)| vec![((field << 3) | wire) as u8]),
        any::<u64>().prop_map(|mut v| {
            let mut out = Vec::new();
            loop {
                let byte = (v & 0x7f) as u8;
                v >>= 7;
                if v == 0 {
                    out.push(byte);
                    return out;
                }
                out.push(byte | 0x80);
            }
        }),
        proptest::collection::vec(any::<u8>(), 0..24),
        Just(b"\x0a\x1412345678901234567890".to_vec()),
    ];
    leaf.prop_recursive(3, 64, 8, |inner| {
        proptest::collection::vec(inner, 0..8).prop_map(|parts| {
            let body = parts.concat();
            let mut out = vec![0x0a, body.len().min(127) as u8];
            out.extend(body);
            out
        })
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn parsing_never_panics_on_any_string(text in any::<String>()) {
        let _ = KeyUri::parse(&text);
        let _ = MigrationBatch::parse(&text);
    }

    #[test]
    fn parsing_never_panics_after_a_valid_prefix(
        prefix in prop::sample::select(vec![
            "otpauth://totp/",
            "otpauth://hotp/",
            "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "otpauth-migration://offline?data=",
        ]),
        rest in any::<String>(),
    ) {
        let text = format!("{prefix}{rest}");
        let _ = KeyUri::parse(&text);
        let _ = MigrationBatch::parse(&text);
    }

    #[test]
    fn parsing_never_panics_on_uri_fragments(uri in structured_uri()) {
        let _ = KeyUri::parse(&uri);
    }

    /// Whatever parses is written back to a URI that parses to the same
    /// key, and holds no colon in its names.
    #[test]
    fn what_parses_round_trips(uri in mostly_valid_uri()) {
        if let Ok(key) = KeyUri::parse(&uri) {
            prop_assert!(!key.account().contains(':'));
            prop_assert!(!key.label_issuer().is_some_and(|i| i.contains(':')));
            let written = key.to_uri();
            prop_assert_eq!(KeyUri::parse(&written), Ok(key), "{} -> {}", uri, written.as_str());
        }
    }

    #[test]
    fn export_parsing_never_panics(payload in protobuf_like()) {
        let uri = format!("otpauth-migration://offline?data={}", base64(&payload));
        if let Ok(batch) = MigrationBatch::parse(&uri) {
            prop_assert!(!batch.keys().is_empty());
            for key in batch.keys() {
                let reparsed = KeyUri::parse(&key.to_uri());
                prop_assert_eq!(reparsed.as_ref(), Ok(key));
            }
        }
    }

    #[test]
    fn export_parsing_never_panics_on_random_bytes(payload in proptest::collection::vec(any::<u8>(), 0..600)) {
        let uri = format!("otpauth-migration://offline?data={}", base64(&payload));
        let _ = MigrationBatch::parse(&uri);
    }

    #[test]
    fn inputs_over_the_limit_are_refused(extra in 1usize..8_192) {
        let text = format!("otpauth://totp/{}?secret=GEZDGNBVGY3TQOJQ", "a".repeat(KeyUri::MAX_LEN + extra));
        prop_assert_eq!(
            KeyUri::parse(&text),
            Err(UriError::TooLong { len: text.len(), max: KeyUri::MAX_LEN })
        );
        let text = format!("otpauth-migration://offline?data={}", "A".repeat(KeyUri::MAX_LEN + extra));
        prop_assert_eq!(
            MigrationBatch::parse(&text),
            Err(MigrationError::TooLong { len: text.len(), max: KeyUri::MAX_LEN })
        );
    }

    #[test]
    fn totp_build_then_parse_gives_the_same_key(
        secret in secret(),
        algorithm in algorithm(),
        digits in digits(),
        period in prop_oneof![Just(30u64), 1u64..=u64::MAX],
        issuer in issuer(),
        account in account(),
        extras in proptest::collection::vec(extra_param(), 0..3),
        time in any::<u64>(),
    ) {
        let config = TotpConfig::default().algorithm(algorithm).digits(digits).period(period);
        let totp = Totp::new(&secret, config).unwrap();
        let mut built = KeyUri::totp(&totp, &issuer, &account).unwrap();
        for (name, value) in &extras {
            built = built.with_param(name, value).unwrap();
        }
        let uri = built.to_uri();
        let parsed = KeyUri::parse(&uri).unwrap();
        prop_assert_eq!(parsed.issuer(), Some(issuer.as_str()));
        prop_assert_eq!(parsed.label_issuer(), Some(issuer.as_str()));
        prop_assert_eq!(parsed.account(), account.as_str());
        prop_assert_eq!(parsed.otp_type(), OtpType::Totp { period });
        prop_assert_eq!(parsed.secret(), &secret);
        let parsed_extras: Vec<(&str, &str)> = parsed.extra_params().collect();
        let built_extras: Vec<(&str, &str)> =
            extras.iter().map(|(n, v)| (n.as_str(), v.as_str())).collect();
        prop_assert_eq!(parsed_extras, built_extras);
        prop_assert_eq!(parsed.is_universal(), totp.config().is_universal());
        prop_assert_eq!(&parsed, &built);
        // Only unreserved characters and escapes: no space, no '+'.
        prop_assert!(uri.bytes().all(|b| b.is_ascii_graphic() && b != b'+'));
        let again = parsed.to_totp().unwrap();
        prop_assert_eq!(again.generate(time), totp.generate(time));
    }

    #[test]
    fn hotp_build_then_parse_gives_the_same_key(
        secret in secret(),
        algorithm in algorithm(),
        digits in digits(),
        counter in any::<u64>(),
        issuer in issuer(),
        account in account(),
    ) {
        let config = HotpConfig::default().algorithm(algorithm).digits(digits);
        let hotp = Hotp::new(&secret, config).unwrap();
        let built = KeyUri::hotp(&hotp, counter, &issuer, &account).unwrap();
        let parsed = KeyUri::parse(&built.to_uri()).unwrap();
        prop_assert_eq!(&parsed, &built);
        prop_assert_eq!(parsed.counter(), Some(counter));
        prop_assert_eq!(parsed.account(), account.as_str());
        prop_assert_eq!(parsed.issuer(), Some(issuer.as_str()));
        prop_assert_eq!(parsed.to_hotp().unwrap().generate(counter), hotp.generate(counter));
    }

    #[test]
    fn names_with_a_colon_are_refused(
        before in "[^:]{0,8}",
        after in "[^:]{0,8}",
        account in account(),
    ) {
        let totp = Totp::new(&Secret::generate().unwrap(), TotpConfig::default()).unwrap();
        let with_colon = format!("{before}:{after}");
        prop_assert_eq!(
            KeyUri::totp(&totp, &with_colon, &account),
            Err(UriError::ColonInIssuer)
        );
        prop_assert_eq!(
            KeyUri::totp(&totp, "Example", &format!("x{with_colon}")),
            Err(UriError::ColonInAccount)
        );
    }
}

/// The generator behind `what_parses_round_trips` must mostly produce
/// URIs that parse, or the property would hold vacuously.
#[test]
fn the_round_trip_generator_mostly_parses() {
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    let mut runner = TestRunner::deterministic();
    let strategy = mostly_valid_uri();
    let parsed = (0..1_000)
        .filter(|_| {
            let uri = strategy.new_tree(&mut runner).unwrap().current();
            KeyUri::parse(&uri).is_ok()
        })
        .count();
    assert!(parsed > 300, "only {parsed} of 1000 generated URIs parse");
}
