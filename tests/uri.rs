//! Key URIs and Google Authenticator exports.
//!
//! Property tests: parsing never panics, whatever the input; building then
//! parsing gives back the same key for any issuer and account (Unicode,
//! spaces, `& ? / + % = #`); whatever parses is written back to a URI that
//! parses to the same key.
//!
//! Then the inputs of other projects' own test suites and data files
//! (issue 11, "Import fidelity"), each test named after its source: what
//! authenticator apps read is read the same way, and what would give wrong
//! codes is refused with a message that says why.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use mfa::{
    Algorithm, Digits, Hotp, HotpConfig, KeyUri, MigrationBatch, MigrationError, OtpType, Secret,
    SecretError, Totp, TotpConfig, UriError, Window,
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
            // The label splits at its first colon; the account may hold more.
            prop_assert!(!key.label_issuer().is_some_and(|i| i.contains(':')));
            let written = key.to_uri();
            prop_assert_eq!(KeyUri::parse(&written), Ok(key), "{} -> {}", uri, written.as_str());
        }
    }

    #[test]
    fn export_parsing_never_panics(payload in protobuf_like()) {
        let uri = format!("otpauth-migration://offline?data={}", base64(&payload));
        if let Ok(batch) = MigrationBatch::parse(&uri) {
            // Every entry is either a key or a refused key, and the refused
            // ones are numbered in order among all entries.
            let entries = batch.keys().len() + batch.refused().len();
            prop_assert!(entries > 0);
            let positions: Vec<usize> = batch.refused().iter().map(|r| r.position()).collect();
            prop_assert!(positions.windows(2).all(|w| w[0] < w[1]), "{:?}", positions);
            prop_assert!(positions.iter().all(|&p| (1..=entries).contains(&p)), "{:?}", positions);
            prop_assert_eq!(batch.clone().require_all().is_ok(), positions.is_empty());
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
        period in prop_oneof![Just(30u64), 1u64..=KeyUri::MAX_PERIOD],
        issuer in issuer(),
        account in account(),
        extras in proptest::collection::vec(extra_param(), 0..3),
        time in any::<u64>(),
    ) {
        let config = TotpConfig::builder().algorithm(algorithm).digits(digits).period(period).build().unwrap();
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
        let config = HotpConfig::builder().algorithm(algorithm).digits(digits).build().unwrap();
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
    fn periods_over_a_day_are_refused_both_ways(period in KeyUri::MAX_PERIOD + 1..=u64::MAX) {
        let totp = Totp::new(&Secret::generate().unwrap(), TotpConfig::builder().period(period).build().unwrap()).unwrap();
        prop_assert_eq!(KeyUri::totp(&totp, "Example", "alice"), Err(UriError::InvalidPeriod));
        let uri = format!("otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&period={period}");
        prop_assert_eq!(KeyUri::parse(&uri), Err(UriError::InvalidPeriod));
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

// ---------------------------------------------------------------------
// Other projects' inputs (issue 11). Each test is named after the project
// whose test suite or data file the input comes from.
// ---------------------------------------------------------------------

/// Asserts the error and that its message is a lowercase sentence holding
/// `says`.
fn assert_refused(uri: &str, error: UriError, says: &str) {
    assert_eq!(KeyUri::parse(uri), Err(error), "{uri}");
    let message = error.to_string();
    assert!(message.contains(says), "{uri}: {message}");
    assert!(
        message.chars().next().is_some_and(char::is_lowercase),
        "{message}"
    );
}

/// The protobuf payload of an export's `data` value, as its project wrote
/// it (percent-encoded or not).
fn export_payload(data: &str) -> Vec<u8> {
    use base64ct::{Base64, Encoding};
    let data = data
        .replace("%2B", "+")
        .replace("%2F", "/")
        .replace("%3D", "=");
    let mut out = vec![0; data.len()];
    let len = Base64::decode(&data, &mut out).unwrap().len();
    out.truncate(len);
    out
}

/// An export URI of payloads put one after the other, which protobuf reads
/// as one payload with all their keys (the batch fields of the last win).
fn export_of(payloads: &[Vec<u8>]) -> String {
    use base64ct::{Base64, Encoding};
    let payload = payloads.concat();
    let mut buf = vec![0; Base64::encoded_len(&payload)];
    let data = Base64::encode(&payload, &mut buf).unwrap();
    format!(
        "otpauth-migration://offline?data={}",
        data.replace('+', "%2B")
            .replace('/', "%2F")
            .replace('=', "%3D")
    )
}

/// One `OtpParameters` entry of an export, TOTP, SHA-1, 6 digits.
fn export_entry(secret: &[u8], name: &str, issuer: &str) -> Vec<u8> {
    let field = |number: u8, bytes: &[u8]| {
        let mut out = vec![number << 3 | 2, bytes.len() as u8];
        out.extend_from_slice(bytes);
        out
    };
    let entry = [
        field(1, secret),
        field(2, name.as_bytes()),
        field(3, issuer.as_bytes()),
        vec![0x20, 1, 0x28, 1, 0x30, 2],
    ]
    .concat();
    field(1, &entry)
}

// Finding 1: `+` in a query value is a space.

/// Aegis's `plain.txt` import fixture: `issuer=Air+Canada`.
#[test]
fn aegis_export_plus_in_issuer() {
    let key = KeyUri::parse(
        "otpauth://hotp/Air%20Canada:Benjamin?secret=KUVJJOM753IHTNDSZVCNKL7GII&issuer=Air+Canada&algorithm=SHA256&digits=7&counter=50",
    )
    .unwrap();
    assert_eq!(key.issuer(), Some("Air Canada"));
    assert_eq!(key.label_issuer(), Some("Air Canada"));
    assert_eq!(key.account(), "Benjamin");
    assert_eq!(
        (key.algorithm(), key.digits(), key.counter()),
        (Algorithm::Sha256, Digits::SEVEN, Some(50))
    );
    // Written back with `%20`, so the right name sticks.
    assert_eq!(
        key.to_uri().as_str(),
        "otpauth://hotp/Air%20Canada:Benjamin?secret=KUVJJOM753IHTNDSZVCNKL7GII&issuer=Air%20Canada&algorithm=SHA256&digits=7&counter=50"
    );
}

/// Aegis's `ente_auth.txt` fixture, an ente Auth export: the same issuer,
/// and ente's `codeDisplay` JSON kept as an extra parameter.
#[test]
fn ente_auth_export_plus_in_issuer() {
    let key = KeyUri::parse(
        "otpauth://hotp/Air%20Canada:Benjamin?secret=KUVJJOM753IHTNDSZVCNKL7GII&issuer=Air+Canada&algorithm=SHA256&digits=7&counter=50&codeDisplay=%7B%22pinned%22%3Afalse%2C%22trashed%22%3Afalse%2C%22lastUsedAt%22%3A0%2C%22tapCount%22%3A0%2C%22tags%22%3A%5B%5D%7D",
    )
    .unwrap();
    assert_eq!(key.issuer(), Some("Air Canada"));
    assert_eq!(
        key.extra_param("codeDisplay"),
        Some(r#"{"pinned":false,"trashed":false,"lastUsedAt":0,"tapCount":0,"tags":[]}"#)
    );
    // ente writes parameters in any order and lower-case algorithms.
    let key = KeyUri::parse(
        "otpauth://hotp/WWE:Mason?algorithm=sha512&digits=8&issuer=WWE&period=30&secret=5VAML3X35THCEBVRLV24CGBKOY&counter=10300&codeDisplay=%7B%7D",
    )
    .unwrap();
    assert_eq!(
        (key.algorithm(), key.counter()),
        (Algorithm::Sha512, Some(10_300))
    );
}

/// johncallahan/otpauth_migration's test builds its export from
/// `…&issuer=ACME+Co`; the export holds the issuer "ACME Co", and both
/// read as the same key.
#[test]
fn otpauth_migration_plus_in_issuer() {
    let key = KeyUri::parse(
        "otpauth://totp/ACME%20Co:john.doe@example.com?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME+Co",
    )
    .unwrap();
    assert_eq!(key.issuer(), Some("ACME Co"));
    let export = MigrationBatch::parse(
        "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACjn4Pv4Ag==",
    )
    .unwrap();
    assert_eq!(export.keys()[0], key);
    assert_eq!(
        export.keys()[1].to_uri().as_str(),
        "otpauth://totp/Example:alice%40google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    );
}

/// extract_otp_secrets' `test_plus_problem_export.txt`: `+` and `/` left
/// unescaped in the data, which form decoding turns into spaces.
#[test]
fn extract_otp_secrets_plus_problem_export() {
    let batch = MigrationBatch::parse(
        "otpauth-migration://offline?data=ClEKFAciUeGF4aS6IDCvMv99ySZ1ekKsEiVTZXJlbml0eUxhYnM6dGVzdDFAc2VyZW5pdHlsYWJzLmNvLnVrGgxTZXJlbml0eUxhYnMgASgBMAIKUQoUkIY8/fbrHZWTb4CBln18lvqt0HcSJVNlcmVuaXR5TGFiczp0ZXN0MkBzZXJlbml0eWxhYnMuY28udWsaDFNlcmVuaXR5TGFicyABKAEwAgpRChScf+1/Ua4d4gCY0W/7fj9VBkM9PBIlU2VyZW5pdHlMYWJzOnRlc3QzQHNlcmVuaXR5bGFicy5jby51axoMU2VyZW5pdHlMYWJzIAEoATACClEKFG6Qu0ryTSFA/l5rmvTIXtNeb5LtEiVTZXJlbml0eUxhYnM6dGVzdDRAc2VyZW5pdHlsYWJzLmNvLnVrGgxTZXJlbml0eUxhYnMgASgBMAIQARgBIAAogtTa1vz/////AQ==",
    )
    .unwrap();
    let accounts: Vec<_> = batch.keys().iter().map(KeyUri::account).collect();
    assert_eq!(
        accounts,
        [
            "test1@serenitylabs.co.uk",
            "test2@serenitylabs.co.uk",
            "test3@serenitylabs.co.uk",
            "test4@serenitylabs.co.uk"
        ]
    );
    assert!(batch.refused().is_empty());
}

// Finding 2: a second colon belongs to the account.

/// pass-otp's tests: "Insert TOTP URI with port number".
#[test]
fn pass_otp_label_with_second_colon() {
    let uri = "otpauth://totp/Example:alice@google.com:443?secret=JBSWY3DPEHPK3PXP&issuer=Example";
    let key = KeyUri::parse(uri).unwrap();
    assert_eq!(key.issuer(), Some("Example"));
    assert_eq!(key.label_issuer(), Some("Example"));
    assert_eq!(key.account(), "alice@google.com:443");
    let written = key.to_uri();
    assert_eq!(
        written.as_str(),
        "otpauth://totp/Example:alice%40google.com%3A443?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    );
    assert_eq!(KeyUri::parse(&written), Ok(key));
}

/// pass-otp's tests: "Parses a complex TOTP URI with port number" and
/// "Parses a HOTP URI with port number".
#[test]
fn pass_otp_complex_and_hotp_labels_with_second_colon() {
    let key = KeyUri::parse(
        "otpauth://totp/ACME%20Co:john.doe@email.com:443?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ&issuer=ACME%20Co&algorithm=SHA1&digits=6&period=30",
    )
    .unwrap();
    assert_eq!(
        (key.issuer(), key.account()),
        (Some("ACME Co"), "john.doe@email.com:443")
    );
    assert!(key.is_universal());
    let key = KeyUri::parse(
        "otpauth://hotp/Example:alice@google.com:443?secret=JBSWY3DPEHPK3PXP&counter=10&issuer=Example",
    )
    .unwrap();
    assert_eq!(
        (key.account(), key.counter()),
        ("alice@google.com:443", Some(10))
    );
}

/// pass-otp's label inside a Google Authenticator export, beside
/// johncallahan/otpauth_migration's keys: all of them are read.
#[test]
fn pass_otp_label_with_second_colon_inside_an_export() {
    let uri = export_of(&[
        export_payload(
            "CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACjn4Pv4Ag%3D%3D",
        ),
        export_entry(
            b"Hello!\xde\xad\xbe\xef",
            "Example:alice@google.com:443",
            "Example",
        ),
    ]);
    let batch = MigrationBatch::parse(&uri).unwrap();
    let names: Vec<_> = batch
        .keys()
        .iter()
        .map(|k| (k.issuer(), k.account()))
        .collect();
    assert_eq!(
        names,
        [
            (Some("ACME Co"), "john.doe@example.com"),
            (Some("Example"), "alice@google.com"),
            (Some("Example"), "alice@google.com:443"),
        ]
    );
    assert!(batch.refused().is_empty());
}

// Finding 3: Steam Guard keys are refused, however they are written.

/// pyotp's `test_parse_steam` and `test_algorithms`: `encoder=steam`, with
/// and without `period` and `digits` (which Steam ignores).
#[test]
fn pyotp_steam_encoder_refused() {
    for uri in [
        "otpauth://totp/Steam:?secret=FMXNK4QEGKVPULRTADY6JIDK5VHUBGZW&encoder=steam",
        "otpauth://totp/Steam:?secret=FMXNK4QEGKVPULRTADY6JIDK5VHUBGZW&period=15&digits=7&encoder=steam",
    ] {
        assert_refused(uri, UriError::Steam, "Steam Guard");
    }
    // Without the encoder it is an ordinary key, as pyotp reads it.
    let key = KeyUri::parse("otpauth://totp/Steam:?secret=FMXNK4QEGKVPULRTADY6JIDK5VHUBGZW");
    assert_eq!(key.map(|k| k.is_universal()), Ok(true));
}

/// KeePassXC's `TestTotp::testSteamDefaultUri` URL (`digits=5` and
/// `encoder=steam`): the Steam error, not the one about digits.
#[test]
fn keepassxc_steam_encoder_refused() {
    assert_refused(
        "otpauth://totp/test:test@example.com?secret=63BEDWCQZKTQWPESARIERL5DTTQFCJTK&issuer=Valve&algorithm=SHA1&digits=5&period=30&encoder=steam",
        UriError::Steam,
        "5 characters of Steam's alphabet",
    );
}

/// Aegis's `plain.txt` and `ente_auth.txt`: `otpauth://steam/`, now with
/// the Steam error rather than "unknown OTP type".
#[test]
fn aegis_export_steam_type_refused() {
    for uri in [
        "otpauth://steam/Boeing:Sophia?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Boeing&algorithm=SHA1&digits=5&period=30",
        "otpauth://steam/Boeing:Sophia?secret=JRZCL47CMXVOQMNPZR2F7J4RGI&issuer=Boeing&algorithm=SHA1&digits=5&period=30&codeDisplay=%7B%7D",
    ] {
        assert_refused(uri, UriError::Steam, "cannot be read as TOTP");
    }
}

// Finding 4: an HOTP URI without `counter` starts at 0.

/// Google Authenticator for Android's
/// `testAccountSetup_validHotpUriWithoutCounterAccepted`.
#[test]
fn google_authenticator_hotp_uri_without_counter() {
    let key = KeyUri::parse("otpauth://hotp/9.99.99.999?secret=CQAHUXJ2VWDI7WFF").unwrap();
    assert_eq!(key.otp_type(), OtpType::Hotp { counter: 0 });
    assert_eq!(key.account(), "9.99.99.999");
    // `counter` is always written.
    assert_eq!(
        key.to_uri().as_str(),
        "otpauth://hotp/9.99.99.999?secret=CQAHUXJ2VWDI7WFF&counter=0"
    );
    assert_eq!(
        key.to_hotp().unwrap().generate(0),
        Hotp::new(key.secret(), HotpConfig::default())
            .unwrap()
            .generate(0)
    );
}

/// pass-otp's "Fails for missing counter" input: pass-otp refuses it, but
/// Google Authenticator, FreeOTP, pyotp and otplib read counter 0, and so
/// does `mfa` now.
#[test]
fn pass_otp_hotp_without_counter_reads_as_zero() {
    let key = KeyUri::parse("otpauth://hotp?secret=HXDMVJECJJWSRB3HWIZR4IFUGFTMXBOZ").unwrap();
    assert_eq!(
        (key.counter(), key.account(), key.issuer()),
        (Some(0), "", None)
    );
}

// Finding 5: one bad key does not sink the export.

/// johncallahan/otpauth_migration's two keys, then the one key of Google
/// Authenticator's own export in that project's tests, whose secret has
/// only 72 bits: the two are imported, the third reported.
#[test]
fn otpauth_migration_export_with_a_short_key_keeps_the_others() {
    let uri = export_of(&[
        export_payload(
            "CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAEgACjn4Pv4Ag%3D%3D",
        ),
        export_payload("ChcKCRyKCQygkMoJFBIEdGVzdCABKAEwAhABGAEgACiTqI3MBw%3D%3D"),
    ]);
    let batch = MigrationBatch::parse(&uri).unwrap();
    let accounts: Vec<_> = batch.keys().iter().map(KeyUri::account).collect();
    assert_eq!(accounts, ["john.doe@example.com", "alice@google.com"]);
    let [refused] = batch.refused() else {
        panic!("one refused key: {:?}", batch.refused())
    };
    assert_eq!(
        (refused.position(), refused.name(), refused.issuer()),
        (3, "test", "")
    );
    let short = UriError::Secret(SecretError::TooShort {
        bits: 72,
        min_bits: 80,
    });
    assert_eq!(refused.error(), short);
    assert_eq!(
        refused.to_string(),
        "key 3 of the export (\"test\") was not imported: invalid secret: the secret has 72 bits; at least 80 are required"
    );
    assert_eq!(
        batch.require_all(),
        Err(MigrationError::Key {
            position: 3,
            error: short
        })
    );
}

/// johncallahan/otpauth_migration's `errorString3`: an export whose only
/// key has a 48-bit secret. A batch with no key, and the reason.
#[test]
fn otpauth_migration_export_whose_only_key_is_refused() {
    let batch = MigrationBatch::parse(
        "otpauth-migration://offline?data=CjEKBkhlbGxvIRIYRXhhbXBsZTphbGljZUBnb29nbGUuY29tGgdFeGFtcGxlIAEoATAC",
    )
    .unwrap();
    assert!(batch.keys().is_empty());
    let [refused] = batch.refused() else {
        panic!("one refused key")
    };
    assert_eq!(
        (refused.position(), refused.name(), refused.issuer()),
        (1, "Example:alice@google.com", "Example")
    );
    assert_eq!(
        refused.error(),
        UriError::Secret(SecretError::TooShort {
            bits: 48,
            min_bits: 80
        })
    );
}

/// extract_otp_secrets' `example_export.txt`, each export against the URI
/// that project lists for it (`url_list_output.txt`).
#[test]
fn extract_otp_secrets_example_exports() {
    let exports = [
        "otpauth-migration://offline?data=CjUKEPqlBekzoNEukL7qlsjBCDYSDnBpQHJhc3BiZXJyeXBpGgtyYXNwYmVycnlwaSABKAEwAhABGAEgACjr4JKK%2B%2F%2F%2F%2F%2F8B",
        "otpauth-migration://offline?data=CigKEPqlBekzoNEukL7qlsjBCDYSDnBpQHJhc3BiZXJyeXBpIAEoATACEAEYASAAKLzjp5n4%2F%2F%2F%2F%2FwE%3D",
        "otpauth-migration://offline?data=CigKEPqlBekzoNEukL7qlsjBCDYSDnBpQHJhc3BiZXJyeXBpIAEoATACCjUKEPqlBekzoNEukL7qlsjBCDYSDnBpQHJhc3BiZXJyeXBpGgtyYXNwYmVycnlwaSABKAEwAhABGAEgACiQ7OOa%2Bf%2F%2F%2F%2F8B",
        "otpauth-migration://offline?data=CiUKEPqlBekzoNEukL7qlsjBCDYSCWhvdHAgZGVtbyABKAEwATgEEAEYASAAKNuv15j6%2F%2F%2F%2F%2FwE%3D",
        "otpauth-migration://offline?data=CjYKEPqlBekzoNEukL7qlsjBCDYSHGVuY29kaW5nOiDCv8Okw4TDqcOJPyAoZGVtbykgASgBMAIQARgBIAAorfCurv%2F%2F%2F%2F%2F%2FAQ%3D%3D",
    ];
    let listed = [
        "otpauth://totp/pi%40raspberrypi?secret=7KSQL2JTUDIS5EF65KLMRQIIGY&issuer=raspberrypi",
        "otpauth://totp/pi%40raspberrypi?secret=7KSQL2JTUDIS5EF65KLMRQIIGY",
        "otpauth://totp/pi%40raspberrypi?secret=7KSQL2JTUDIS5EF65KLMRQIIGY",
        "otpauth://totp/pi%40raspberrypi?secret=7KSQL2JTUDIS5EF65KLMRQIIGY&issuer=raspberrypi",
        "otpauth://hotp/hotp%20demo?secret=7KSQL2JTUDIS5EF65KLMRQIIGY&counter=4",
        "otpauth://totp/encoding%3A%20%C2%BF%C3%A4%C3%84%C3%A9%C3%89%3F%20%28demo%29?secret=7KSQL2JTUDIS5EF65KLMRQIIGY",
    ];
    let keys: Vec<KeyUri> = exports
        .iter()
        .flat_map(|uri| MigrationBatch::parse(uri).unwrap().into_keys())
        .collect();
    let expected: Vec<KeyUri> = listed.iter().map(|u| KeyUri::parse(u).unwrap()).collect();
    assert_eq!(keys, expected);
    // The first five are written exactly as that project writes them.
    for (key, uri) in keys.iter().zip(&listed[..5]) {
        assert_eq!(key.to_uri().as_str(), *uri);
    }
}

// Finding 6: an export URI without a query says what is missing.

/// extract_otp_secrets' "no data query parameter in input URL" case, and
/// its `test_export_wrong_data.txt`.
#[test]
fn extract_otp_secrets_export_without_data() {
    for uri in [
        "otpauth-migration://offline",
        "otpauth-migration://offline/",
        "otpauth-migration://offline?",
        "otpauth-migration://offline?version=1",
    ] {
        let error = MigrationBatch::parse(uri).unwrap_err();
        assert_eq!(error, MigrationError::MissingData, "{uri}");
        assert_eq!(
            error.to_string(),
            "the export URI has no data; it needs ?data=<Base64 payload> after otpauth-migration://offline"
        );
    }
    assert_eq!(
        MigrationBatch::parse("otpauth-migration://offline?data=XXXX"),
        Err(MigrationError::Truncated)
    );
    // A wrong host still says what the URI must start with.
    assert_eq!(
        MigrationBatch::parse("otpauth-migration://online?data=XXXX"),
        Err(MigrationError::NotMigration)
    );
}

// Finding 7: the period is bounded, and only 30 seconds is universal.

/// The issue's `period=18446744073709551615`, whose code never changes,
/// and periods just past a day: refused.
#[test]
fn period_of_u64_max_refused() {
    for period in ["18446744073709551615", "86401", "31536000"] {
        assert_refused(
            &format!("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period={period}"),
            UriError::InvalidPeriod,
            "from 1 to 86400 (a day)",
        );
    }
}

/// Aegis's `plain.txt`: periods of 20 and 50 seconds are read, and flagged
/// as not universal, like 7 or 8 digits.
#[test]
fn aegis_export_periods_other_than_30_are_not_universal() {
    for (uri, period) in [
        (
            "otpauth://totp/SPDX:James?secret=5OM4WOOGPLQEF6UGN3CPEOOLWU&issuer=SPDX&algorithm=SHA256&digits=7&period=20",
            20,
        ),
        (
            "otpauth://totp/Airbnb:Elijah?secret=7ELGJSGXNCCTV3O6LKJWYFV2RA&issuer=Airbnb&algorithm=SHA512&digits=8&period=50",
            50,
        ),
        (
            "otpauth://totp/Deno:Mason?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&issuer=Deno&algorithm=SHA1&digits=6&period=60",
            60,
        ),
    ] {
        let key = KeyUri::parse(uri).unwrap();
        assert_eq!(key.period(), Some(period));
        assert!(!key.is_universal(), "{uri}");
        let error = key.require_universal().unwrap_err();
        assert_eq!(error, UriError::NotUniversal);
        assert!(error.to_string().contains("30 seconds"), "{error}");
    }
    let deno = KeyUri::parse(
        "otpauth://totp/Deno:Mason?secret=4SJHB4GSD43FZBAI7C2HLRJGPQ&issuer=Deno&algorithm=SHA1&digits=6&period=30",
    )
    .unwrap();
    assert!(deno.is_universal());
}

// The choices issue 11 keeps, each with its refusal and message.

/// pyotp's `test_algorithms` input, two `algorithm`s: refused, as pyotp
/// itself now does ("Duplicate algorithm parameter").
#[test]
fn pyotp_duplicate_algorithm_refused() {
    assert_refused(
        "otpauth://hotp?algorithm=SHA1&secret=GEZDGNBV&algorithm=SHA1",
        UriError::DuplicateParameter { name: "algorithm" },
        "the algorithm parameter appears more than once; keep exactly one",
    );
    assert_refused(
        "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&secret=GEZDGNBVGY3TQOJQ",
        UriError::DuplicateParameter { name: "secret" },
        "keep exactly one",
    );
}

/// The `otpauth` JavaScript library (hectorm/otpauth) writes SHA-224,
/// SHA-384 and SHA3 keys and up to 10 digits, which most apps ignore:
/// refused.
#[test]
fn otpauth_js_sha224_sha384_and_nine_digits_refused() {
    let base = "otpauth://totp/ACME:OTPAuth?issuer=ACME&secret=OR6O5BU2ZCD6PPEJ6OB2LKW5SXUZ7LJM6KS3ND7PX664ZOTWZOY6JJN24KX3N2FPVPT3BA7RXO6ISLJN26MOLF4O6GDK3AHTQ6S3XY4PW7UITDRA6OUZPCGVU7Z2HHE34KL2G";
    for algorithm in ["SHA224", "SHA384", "SHA-384", "SHA3-384", "SHA3-512"] {
        assert_refused(
            &format!("{base}&algorithm={algorithm}&digits=6&period=30"),
            UriError::UnknownAlgorithm,
            "unknown algorithm; use SHA1, SHA256 or SHA512",
        );
    }
    for digits in ["9", "10", "5"] {
        assert_refused(
            &format!("{base}&algorithm=SHA1&digits={digits}&period=30"),
            UriError::InvalidDigits,
            "the digits parameter must be 6, 7 or 8",
        );
    }
    assert!(KeyUri::parse(&format!("{base}&algorithm=SHA1&digits=6&period=30")).is_ok());
}

/// The 80-bit floor: the Google Authenticator wiki's 80-bit example is
/// read and `is_short()`; johncallahan/otpauth_migration's `errorList3`
/// key of 48 bits is refused.
#[test]
fn google_wiki_80_bit_key_is_short_and_otpauth_migration_48_bit_key_refused() {
    let key = KeyUri::parse(
        "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEHPK3PXP&issuer=Example",
    )
    .unwrap();
    assert_eq!(key.secret().bits(), 80);
    assert!(key.secret().is_short());
    assert_refused(
        "otpauth://totp/Example:alice@google.com?secret=JBSWY3DPEH&issuer=Example",
        UriError::Secret(SecretError::TooShort {
            bits: 48,
            min_bits: 80,
        }),
        "the secret has 48 bits; at least 80 are required",
    );
}

/// The Google Authenticator wiki's "literal or url-encoded colon": `%3A`
/// separates the issuer, whatever pyotp (which since its issue #174 reads
/// it as part of a name) does.
#[test]
fn google_wiki_percent_encoded_colon_is_the_separator() {
    let key = KeyUri::parse(
        "otpauth://totp/ACME%3AOTPAuth?issuer=ACME&secret=OR6O5BU2ZCD6PPEJ6OB2LKW5SXUZ7LJM6KS3ND7PX664ZOTWZOY6JJN24KX3N2FPVPT3BA7RXO6ISLJN26MOLF4O6GDK3AHTQ6S3XY4PW7UITDRA6OUZPCGVU7Z2HHE34KL2G&counter=0",
    )
    .unwrap();
    assert_eq!(
        (key.label_issuer(), key.account()),
        (Some("ACME"), "OTPAuth")
    );
    // Written back with a literal colon, which every reader splits at.
    assert!(key.to_uri().starts_with("otpauth://totp/ACME:OTPAuth?"));
}

/// The window cap: ±10 steps, where otplib allows up to 99 checks and
/// google-authenticator-libpam up to 100.
#[test]
fn window_beyond_ten_steps_refused() {
    assert!(Window::symmetric(Window::MAX).is_ok());
    let error = Window::symmetric(11).unwrap_err();
    assert_eq!(
        error.to_string(),
        "a window of 11 steps is too large; at most 10 on each side"
    );
    assert_eq!(Window::MAX, 10);
}

/// Found by the `key_uri` fuzz target: a label of raw spaces, read
/// leniently, was written back as `%20` three times as long, past
/// `KeyUri::MAX_LEN`, so the URI the crate wrote did not parse.
#[test]
fn fuzz_a_uri_the_crate_writes_always_parses_back() {
    let spaces = " ".repeat(1_500);
    let input = format!("otpauth://totp/a{spaces}b?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    assert!(input.len() < mfa::KeyUri::MAX_LEN);
    assert_eq!(
        mfa::KeyUri::parse(&input),
        Err(mfa::UriError::TooLong {
            len: 4_557,
            max: mfa::KeyUri::MAX_LEN
        })
    );
    // Building refuses the same, and adding a long parameter too.
    let totp = mfa::Totp::new(
        &mfa::Secret::generate().unwrap(),
        mfa::TotpConfig::default(),
    )
    .unwrap();
    let long = "x".repeat(4_096);
    assert!(matches!(
        mfa::KeyUri::totp(&totp, "Example", &long),
        Err(mfa::UriError::TooLong { .. })
    ));
    let key = mfa::KeyUri::totp(&totp, "Example", "alice").unwrap();
    assert!(matches!(
        key.with_param("image", &long),
        Err(mfa::UriError::TooLong { .. })
    ));
    // What fits is written and read back.
    let fits = mfa::KeyUri::totp(&totp, "Example", &"y".repeat(3_900)).unwrap();
    assert_eq!(mfa::KeyUri::parse(&fits.to_uri()).unwrap(), fits);
}
