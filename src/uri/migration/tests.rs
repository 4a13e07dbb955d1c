//! Unit tests of the export reader, on payloads built byte by byte from
//! the schema.

// Test-side encoders with small, known operands.
#![allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)]

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;

use super::*;
use crate::error::SecretError;

fn varint(mut v: u64) -> Vec<u8> {
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
}

/// A varint field: key (field << 3 | 0), value.
fn num(field: u32, v: u64) -> Vec<u8> {
    let mut out = varint(u64::from(field) << 3);
    out.extend(varint(v));
    out
}

/// A length-delimited field: key (field << 3 | 2), length, bytes.
fn bytes(field: u32, b: &[u8]) -> Vec<u8> {
    let mut out = varint((u64::from(field) << 3) | 2);
    out.extend(varint(b.len() as u64));
    out.extend_from_slice(b);
    out
}

fn cat(parts: &[Vec<u8>]) -> Vec<u8> {
    parts.concat()
}

/// RFC 4226's secret.
const SECRET: &[u8] = b"12345678901234567890";

/// A TOTP entry: SHA1, 6 digits.
fn totp_entry(name: &str, issuer: &str) -> Vec<u8> {
    cat(&[
        bytes(1, SECRET),
        bytes(2, name.as_bytes()),
        bytes(3, issuer.as_bytes()),
        num(4, 1),
        num(5, 1),
        num(6, 2),
    ])
}

fn payload(entries: &[Vec<u8>]) -> Vec<u8> {
    let mut out: Vec<u8> = entries.iter().flat_map(|e| bytes(1, e)).collect();
    out.extend(cat(&[num(2, 1), num(3, 1), num(4, 0), num(5, 7)]));
    out
}

fn base64(data: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(char::from(alphabet[((n >> (18 - 6 * i)) & 63) as usize]));
        }
        if pad {
            for _ in chunk.len()..3 {
                out.push('=');
            }
        }
    }
    out
}

const STANDARD: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL_SAFE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// The URI Google Authenticator writes: standard Base64, percent-encoded.
fn uri(payload: &[u8]) -> String {
    let mut data = String::new();
    super::super::percent::encode(&mut data, &base64(payload, STANDARD, true)).expect("String");
    format!("otpauth-migration://offline?data={data}")
}

fn parse_payload(payload: &[u8]) -> Result<MigrationBatch, MigrationError> {
    MigrationBatch::parse(&uri(payload))
}

#[test]
fn base64_matches_the_reference_encoder() {
    // Python: base64.b64encode(b"12345678901234567890").
    assert_eq!(
        base64(SECRET, STANDARD, true),
        "MTIzNDU2Nzg5MDEyMzQ1Njc4OTA="
    );
    for len in 0..40 {
        let data: Vec<u8> = (0..len).map(|i| (i * 37 + 250) as u8).collect();
        for (alphabet, pad) in [(STANDARD, true), (STANDARD, false), (URL_SAFE, false)] {
            let text = base64(&data, alphabet, pad);
            assert_eq!(
                base64_decode(text.as_bytes()).map(|d| d.to_vec()),
                Ok(data.clone()),
                "{text}"
            );
        }
    }
}

#[test]
fn base64_errors() {
    let err = |text: &str| base64_decode(text.as_bytes()).map(|d| d.to_vec());
    assert_eq!(
        err("QUJD!"),
        Err(MigrationError::InvalidBase64 { position: 5 })
    );
    assert_eq!(
        err("QU=J"),
        Err(MigrationError::InvalidBase64 { position: 3 })
    );
    assert_eq!(
        err("QUJDR"),
        Err(MigrationError::InvalidBase64 { position: 6 })
    );
    assert_eq!(
        err("QUI==="),
        Err(MigrationError::InvalidBase64 { position: 4 })
    );
    assert_eq!(
        err("QUI=="),
        Err(MigrationError::InvalidBase64 { position: 4 })
    );
    assert_eq!(err("QUI="), Ok(b"AB".to_vec()));
    // Unused bits that are not zero: an encoding no exporter writes.
    assert_eq!(
        err("QUJ"),
        Err(MigrationError::InvalidBase64 { position: 3 })
    );
    // A '+' turned into a space by a form decoder still reads, and so do
    // URL-safe symbols.
    assert_eq!(err("+/+/"), err(" / /"));
    assert_eq!(err("+/+/"), err("-_-_"));
    for c in 0..=255u8 {
        let valid = STANDARD.contains(&c) || URL_SAFE.contains(&c) || c == b' ';
        let (symbol, is_symbol) = standard_symbol(c);
        assert_eq!(is_symbol, valid, "{c}");
        if valid {
            let expected = match c {
                b' ' | b'-' => b'+',
                b'_' => b'/',
                _ => c,
            };
            assert_eq!(symbol, expected, "{c}");
        }
    }
}

#[test]
fn one_totp_key() {
    let batch = parse_payload(&payload(&[totp_entry("Example:alice", "Example")])).expect("valid");
    assert_eq!(
        (
            batch.version(),
            batch.batch_size(),
            batch.batch_index(),
            batch.batch_id()
        ),
        (1, 1, 0, 7)
    );
    let [key] = batch.keys() else {
        panic!("one key")
    };
    assert_eq!(key.label_issuer(), Some("Example"));
    assert_eq!(key.issuer_param(), Some("Example"));
    assert_eq!(key.account(), "alice");
    assert_eq!(key.otp_type(), OtpType::Totp { period: 30 });
    assert_eq!(key.secret().expose_bytes(), SECRET);
    assert_eq!(
        key.to_uri().as_str(),
        "otpauth://totp/Example:alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&issuer=Example"
    );
}

#[test]
fn several_keys_with_hotp_and_every_parameter() {
    let hotp = cat(&[
        bytes(1, b"0123456789"), // 80 bits: accepted, and short
        bytes(2, b"bob@example.com"),
        num(4, 2),
        num(5, 2),
        num(6, 1),
        num(7, 300),
    ]);
    let sha512 = cat(&[
        bytes(1, &[7; 64]),
        bytes(2, b"GitHub: carol"),
        num(4, 3),
        num(6, 2),
    ]);
    let batch = parse_payload(&payload(&[
        totp_entry("Example:alice", "Example"),
        hotp,
        sha512,
    ]))
    .expect("valid");
    let keys = batch.into_keys();
    assert_eq!(keys.len(), 3);
    assert_eq!(keys[1].otp_type(), OtpType::Hotp { counter: 300 });
    assert_eq!(keys[1].algorithm(), Algorithm::Sha256);
    assert_eq!(keys[1].digits(), Digits::EIGHT);
    assert_eq!(
        (keys[1].issuer(), keys[1].account()),
        (None, "bob@example.com")
    );
    assert!(keys[1].secret().is_short());
    assert_eq!(
        keys[1].to_uri().as_str(),
        "otpauth://hotp/bob%40example.com?secret=GAYTEMZUGU3DOOBZ&algorithm=SHA256&digits=8&counter=300"
    );
    assert_eq!(keys[2].algorithm(), Algorithm::Sha512);
    assert_eq!(keys[2].digits(), Digits::SIX);
    assert_eq!(
        (keys[2].issuer(), keys[2].account()),
        (Some("GitHub"), "carol")
    );
    // Each written URI reads back as the same key.
    for key in &keys {
        assert_eq!(KeyUri::parse(&key.to_uri()).as_ref(), Ok(key));
    }
}

#[test]
fn unspecified_enums_and_absent_fields_take_the_defaults() {
    let entry = bytes(1, SECRET);
    let batch = parse_payload(&bytes(1, &entry)).expect("valid");
    let key = &batch.keys()[0];
    assert_eq!(key.otp_type(), OtpType::Totp { period: 30 });
    assert_eq!(
        (key.algorithm(), key.digits()),
        (Algorithm::Sha1, Digits::SIX)
    );
    assert_eq!((key.issuer(), key.account()), (None, ""));
    assert_eq!((batch.version(), batch.batch_size()), (0, 0));
}

#[test]
fn unknown_fields_of_every_wire_type_are_skipped() {
    let unknown = cat(&[
        num(8, 5),
        bytes(9, b"unique-id"),
        varint((10 << 3) | 1),
        vec![0; 8],
        varint((11 << 3) | 5),
        vec![0; 4],
        num(1 << 20, 1),
    ]);
    let entry = cat(&[totp_entry("Example:alice", "Example"), unknown.clone()]);
    let mut data = payload(&[entry]);
    data.extend(unknown);
    let batch = parse_payload(&data).expect("valid");
    assert_eq!(batch.keys()[0].account(), "alice");
    // A field number beyond u32 is unknown too.
    let mut data = payload(&[totp_entry("a", "")]);
    data.extend(varint(u64::MAX << 3));
    data.extend(varint(1));
    assert!(parse_payload(&data).is_ok());
}

#[test]
fn repeated_scalar_fields_take_the_last_value() {
    let entry = cat(&[totp_entry("a", ""), num(4, 2), bytes(2, b"b")]);
    let batch = parse_payload(&payload(&[entry])).expect("valid");
    assert_eq!(batch.keys()[0].algorithm(), Algorithm::Sha256);
    assert_eq!(batch.keys()[0].account(), "b");
}

#[test]
fn structural_errors() {
    let good = payload(&[totp_entry("Example:alice", "Example")]);
    // A prefix cut inside the entry ends in the middle of something or
    // holds no key; one cut after it may still be a whole payload.
    let entry_end = 2 + totp_entry("Example:alice", "Example").len();
    for len in 0..good.len() {
        let result = MigrationBatch::from_payload(&good[..len]);
        if len < entry_end {
            assert!(
                matches!(
                    result,
                    Err(MigrationError::Truncated | MigrationError::NoKeys)
                ),
                "{len}: {result:?}"
            );
        } else {
            assert!(
                matches!(result, Ok(_) | Err(MigrationError::Truncated)),
                "{len}: {result:?}"
            );
        }
    }
    let cases = [
        (vec![0x0a], MigrationError::Truncated),
        (vec![0x0a, 0x80], MigrationError::Truncated),
        (vec![0x0a, 0x05, 1, 2], MigrationError::Truncated),
        (
            cat(&[varint(10), varint(u64::MAX)]),
            MigrationError::Truncated,
        ),
        (
            vec![
                0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
            ],
            MigrationError::VarintTooLong,
        ),
        (
            vec![
                0x10, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02,
            ],
            MigrationError::VarintTooLong,
        ),
        (vec![0x08, 0x01], MigrationError::WrongWireType { field: 1 }),
        (
            cat(&[bytes(2, b"x"), bytes(1, &totp_entry("a", ""))]),
            MigrationError::WrongWireType { field: 2 },
        ),
        (
            bytes(1, &num(1, 5)),
            MigrationError::WrongWireType { field: 1 },
        ),
        (
            bytes(1, &bytes(6, b"x")),
            MigrationError::WrongWireType { field: 6 },
        ),
        (
            vec![0x0b],
            MigrationError::UnsupportedWireType { wire_type: 3 },
        ),
        (
            vec![0x0c],
            MigrationError::UnsupportedWireType { wire_type: 4 },
        ),
        (
            vec![0x0e],
            MigrationError::UnsupportedWireType { wire_type: 6 },
        ),
        (
            vec![0x0f],
            MigrationError::UnsupportedWireType { wire_type: 7 },
        ),
        (bytes(1, &[0x0a, 0x7f]), MigrationError::Truncated),
        (cat(&[num(2, 1), num(3, 1)]), MigrationError::NoKeys),
        (vec![0x00, 0x00], MigrationError::NoKeys),
    ];
    for (data, error) in cases {
        assert_eq!(
            MigrationBatch::from_payload(&data),
            Err(error),
            "{data:02x?}"
        );
        assert_eq!(parse_payload(&data), Err(error), "{data:02x?}");
    }
    // The largest varint, u64::MAX, is ten bytes and valid.
    assert!(
        MigrationBatch::from_payload(&cat(&[num(2, u64::MAX), bytes(1, &totp_entry("a", ""))]))
            .is_ok()
    );
}

#[test]
fn key_errors_name_the_key() {
    let key_error = |entry: Vec<u8>, error: UriError| {
        let data = payload(&[totp_entry("a", ""), entry]);
        let batch = parse_payload(&data).expect("one good key");
        assert_eq!(batch.keys().len(), 1);
        assert_eq!(batch.refused().len(), 1);
        assert_eq!(
            (batch.refused()[0].position(), batch.refused()[0].error()),
            (2, error)
        );
        assert_eq!(
            batch.require_all(),
            Err(MigrationError::Key { position: 2, error })
        );
    };
    key_error(bytes(2, b"no secret"), UriError::MissingSecret);
    key_error(
        bytes(1, b"short"),
        UriError::Secret(SecretError::TooShort {
            bits: 40,
            min_bits: 80,
        }),
    );
    key_error(
        cat(&[bytes(1, SECRET), num(4, 4)]),
        UriError::UnknownAlgorithm,
    );
    key_error(cat(&[bytes(1, SECRET), num(5, 3)]), UriError::InvalidDigits);
    key_error(cat(&[bytes(1, SECRET), num(6, 3)]), UriError::UnknownType);
    key_error(
        cat(&[bytes(1, SECRET), num(6, 1), num(7, u64::MAX)]),
        UriError::InvalidCounter,
    );
    key_error(
        cat(&[bytes(1, SECRET), bytes(2, &[0xff])]),
        UriError::InvalidUtf8,
    );
    key_error(
        cat(&[bytes(1, SECRET), bytes(3, &[0xc3])]),
        UriError::InvalidUtf8,
    );
}

#[test]
fn refused_keys_leave_the_others() {
    let short = cat(&[bytes(1, b"12345678"), bytes(2, b"bob"), bytes(3, b"ACME")]);
    let bad_digits = cat(&[bytes(1, SECRET), bytes(2, &[0xff, b'x']), num(5, 3)]);
    let data = payload(&[
        totp_entry("Example:alice", "Example"),
        short,
        totp_entry("a:b:c", ""),
        bad_digits,
    ]);
    let batch = parse_payload(&data).expect("a valid export");
    let names: Vec<_> = batch
        .keys()
        .iter()
        .map(|k| (k.issuer(), k.account()))
        .collect();
    assert_eq!(names, [(Some("Example"), "alice"), (Some("a"), "b:c")]);
    let refused: Vec<_> = batch
        .refused()
        .iter()
        .map(|r| (r.position(), r.name(), r.issuer(), r.error()))
        .collect();
    assert_eq!(
        refused,
        [
            (
                2,
                "bob",
                "ACME",
                UriError::Secret(SecretError::TooShort {
                    bits: 64,
                    min_bits: 80
                })
            ),
            (4, "\u{fffd}x", "", UriError::InvalidUtf8),
        ]
    );
    assert_eq!(
        batch.refused()[0].to_string(),
        "key 2 of the export (\"bob\", issuer \"ACME\") was not imported: invalid secret: \
         the secret has 64 bits; at least 80 are required"
    );
    assert_eq!(
        batch.clone().require_all(),
        Err(MigrationError::Key {
            position: 2,
            error: UriError::Secret(SecretError::TooShort {
                bits: 64,
                min_bits: 80
            })
        })
    );
    // Every key refused: still a batch, with no key.
    let batch = parse_payload(&payload(&[bytes(2, b"no secret")])).expect("valid");
    assert!(batch.keys().is_empty());
    assert_eq!(batch.refused()[0].error(), UriError::MissingSecret);
    // All imported: `require_all` passes it on.
    let batch = parse_payload(&payload(&[totp_entry("a", "")])).expect("valid");
    assert_eq!(batch.clone().require_all(), Ok(batch));
}

#[test]
fn uri_envelope() {
    let data = payload(&[totp_entry("Example:alice", "Example")]);
    let standard = base64(&data, STANDARD, true);
    let unpadded = base64(&data, URL_SAFE, false);
    let spaced = standard.replace('+', " ");
    for text in [
        uri(&data),
        format!("OTPAUTH-MIGRATION://OFFLINE?data={standard}"),
        format!(" otpauth-migration://offline/?x=1&data={unpadded}#frag\n"),
        format!("otpauth-migration://offline?data={spaced}"),
    ] {
        assert_eq!(
            MigrationBatch::parse(&text).map(|b| b.keys().len()),
            Ok(1),
            "{text}"
        );
    }
    let cases = [
        (
            "otpauth://totp/a?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ".into(),
            MigrationError::NotMigration,
        ),
        (
            "otpauth-migration://online?data=AA".into(),
            MigrationError::NotMigration,
        ),
        (
            "otpauth-migration://offlinex?data=AA".into(),
            MigrationError::NotMigration,
        ),
        (
            "otpauth-migration://offlinex".into(),
            MigrationError::NotMigration,
        ),
        (
            "otpauth-migration://offline".into(),
            MigrationError::MissingData,
        ),
        (
            "otpauth-migration://offline/".into(),
            MigrationError::MissingData,
        ),
        (
            "otpauth-migration://offline?".into(),
            MigrationError::MissingData,
        ),
        (
            "otpauth-migration://offline?data".into(),
            MigrationError::MissingData,
        ),
        (
            "otpauth-migration://offline?data=AA&data=AA".into(),
            MigrationError::DuplicateData,
        ),
        (
            "otpauth-migration://offline?data=AA%3".into(),
            MigrationError::InvalidPercentEncoding { position: 36 },
        ),
        (
            "otpauth-migration://offline?data=AA*A".into(),
            MigrationError::InvalidBase64 { position: 3 },
        ),
        (
            format!("otpauth-migration://offline?data={}", "A".repeat(5_000)),
            MigrationError::TooLong {
                len: 5_033,
                max: 4_096,
            },
        ),
    ];
    for (text, error) in cases {
        assert_eq!(MigrationBatch::parse(&text), Err(error), "{text}");
        let message = format!("{error}");
        assert!(
            message.chars().next().is_some_and(char::is_lowercase),
            "{message}"
        );
    }
}

#[test]
fn decoded_payload_is_exactly_sized() {
    for len in 0..20 {
        let data = vec![0xa5u8; len];
        let decoded = base64_decode(base64(&data, STANDARD, false).as_bytes()).expect("valid");
        assert_eq!(decoded.len(), decoded.capacity());
    }
}

#[test]
fn an_export_may_reach_the_length_limit_exactly() {
    // No data (other parameters are ignored), so a URI that is not too
    // long is refused as having none.
    let head = "otpauth-migration://offline?x=";
    let exact = format!("{head}{}", "a".repeat(KeyUri::MAX_LEN - head.len()));
    assert_eq!(exact.len(), KeyUri::MAX_LEN);
    assert_eq!(
        MigrationBatch::parse(&exact),
        Err(MigrationError::MissingData)
    );
    let over = format!("{exact}a");
    assert_eq!(
        MigrationBatch::parse(&over),
        Err(MigrationError::TooLong {
            len: KeyUri::MAX_LEN + 1,
            max: KeyUri::MAX_LEN
        })
    );
}

#[test]
fn the_batch_fields_read_their_own_values() {
    // The third of four QR codes of export 9, format version 2.
    let mut data: Vec<u8> = bytes(1, &totp_entry("Example:alice", "Example"));
    data.extend(cat(&[num(2, 2), num(3, 4), num(4, 2), num(5, 9)]));
    let batch = parse_payload(&data).expect("valid");
    assert_eq!(
        (
            batch.version(),
            batch.batch_size(),
            batch.batch_index(),
            batch.batch_id()
        ),
        (2, 4, 2, 9)
    );
}
