//! Sealed values as they come back from a client or a row: a cookie's
//! text, a column's bytes, a key from the configuration. Nothing panics,
//! nothing forged opens, and what is sealed opens again.
//!
//! Input: one byte that picks the mode, then a context (up to the first
//! zero byte) and the rest:
//! - 0: `Keyring::open` of the rest's bytes; `is_current` agrees with the
//!   header; `open_str` of its Base64url gives the same answer.
//! - 1: `Keyring::open_str` and `is_current_str` of the rest as text.
//! - 2: the rest sealed, one byte of the sealed value (at a position and
//!   with a bit pattern from the rest's first two bytes) edited: it opens
//!   only unedited, to the same bytes, and never under another context.
//! - 3: `SealingKey::from_base64` of the rest as text, under an id from the
//!   context's length; what loads writes back the same text (trimmed).
//! - 4: `RecordCodec::open` (a `SendBudget`) and `decode` (an account) of
//!   the rest's bytes under the context as the row id: a row opens as one
//!   kind at most, and what opens seals again to the same JSON.
//!
//! Seeds hold values genuinely sealed under the ring (`common/keys.rs`),
//! written by `cargo run --manifest-path fuzz/Cargo.toml --example seeds`.
//! - 5: the rest read as an account's JSON, sealed by a `RecordCodec` and
//!   opened again to the same JSON; under another row id it does not open.
#![no_main]

#[path = "common/keys.rs"]
mod keys;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mfa::{Keyring, Protection, RecordCodec, SealError, SealingKey, SendBudget, TotpRecord};

fn keys() -> &'static Keyring {
    static KEYS: OnceLock<Keyring> = OnceLock::new();
    KEYS.get_or_init(keys::keyring)
}

fn codec() -> &'static RecordCodec {
    static CODEC: OnceLock<RecordCodec> = OnceLock::new();
    CODEC.get_or_init(|| RecordCodec::new(keys().clone()))
}

/// Base64url without padding, written here so that the check does not
/// rest on the encoder under test.
fn base64url(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..=chunk.len() {
            out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
        }
    }
    out
}

fuzz_target!(|data: &[u8]| {
    let [mode, rest @ ..] = data else { return };
    let (context, rest) = match rest.iter().position(|&b| b == 0) {
        Some(at) => (&rest[..at], &rest[at + 1..]),
        None => (rest, &[][..]),
    };
    let keys = keys();
    match mode % 6 {
        0 => {
            let opened = keys.open(context, rest);
            if opened.is_ok() {
                assert!(rest.len() >= Keyring::OVERHEAD);
            }
            let header_current = rest.first() == Some(&Keyring::VERSION)
                && rest.get(1..5) == Some(&keys::CURRENT.to_be_bytes()[..]);
            assert_eq!(keys.is_current(rest), header_current);
            assert_eq!(keys.open_str(context, &base64url(rest)), opened);
            // The text form reads 8 characters (6 bytes): shorter values,
            // which never open, are not current as text.
            if rest.len() >= 6 {
                assert_eq!(keys.is_current_str(&base64url(rest)), header_current);
            } else {
                assert!(!keys.is_current_str(&base64url(rest)));
            }
        }
        1 => {
            if let Ok(text) = core::str::from_utf8(rest) {
                let _ = keys.open_str(context, text);
                let _ = keys.is_current_str(text);
            }
        }
        2 => {
            let [at, flip, plaintext @ ..] = rest else {
                return;
            };
            let mut sealed = keys.seal(context, plaintext).expect("sealed");
            assert_eq!(sealed.len(), plaintext.len() + Keyring::OVERHEAD);
            assert!(keys.is_current(&sealed));
            assert_eq!(
                keys.open(context, &sealed).expect("opens").as_slice(),
                plaintext
            );
            let mut other = context.to_vec();
            other.push(*at);
            assert_eq!(keys.open(&other, &sealed), Err(SealError::NotAuthentic));
            let at = usize::from(*at) % sealed.len();
            sealed[at] ^= *flip;
            let opened = keys.open(context, &sealed);
            if *flip == 0 {
                assert_eq!(opened.expect("unedited").as_slice(), plaintext);
            } else {
                assert!(opened.is_err(), "an edited value opened");
            }
        }
        3 => {
            if let Ok(text) = core::str::from_utf8(rest) {
                let id = u32::try_from(context.len()).unwrap_or(u32::MAX);
                if let Ok(key) = SealingKey::from_base64(id, text) {
                    assert_eq!(key.id(), id);
                    let again = key.expose_base64();
                    // Base64 is read strictly: one text per key.
                    assert_eq!(again.as_str(), text.trim_ascii());
                    let reloaded = SealingKey::from_base64(id, &again).expect("own output loads");
                    assert_eq!(reloaded.expose_bytes(), key.expose_bytes());
                    assert!(!format!("{key:?}").contains(again.as_str()));
                }
            }
        }
        4 => {
            if let Ok(id) = core::str::from_utf8(context) {
                let budget = codec().open::<SendBudget>(id, rest);
                let account = codec().decode::<TotpRecord>(id, rest);
                // Each kind seals in its own context: a row is one or none.
                assert!(
                    budget.is_err() || account.is_err(),
                    "a row opened as a budget and as an account"
                );
                if let Ok(account) = account {
                    let row = codec().encode(id, &account).expect("encodes");
                    let back = codec().decode::<TotpRecord>(id, &row).expect("decodes");
                    assert_eq!(
                        serde_json::to_string(&back).expect("serializes"),
                        serde_json::to_string(&account).expect("serializes")
                    );
                }
                if let Ok(budget) = budget {
                    let row = codec().seal(id, &budget).expect("seals");
                    assert_eq!(codec().open::<SendBudget>(id, &row).ok(), Some(budget));
                }
            }
        }
        _ => {
            let Ok(id) = core::str::from_utf8(context) else {
                return;
            };
            let Ok(account) = serde_json::from_slice::<Protection<TotpRecord>>(rest) else {
                return;
            };
            let row = codec().encode(id, &account).expect("encodes");
            let back = codec().decode::<TotpRecord>(id, &row).expect("decodes");
            assert_eq!(
                serde_json::to_string(&back).expect("serializes"),
                serde_json::to_string(&account).expect("serializes")
            );
            let other = format!("{id}/");
            assert!(codec().decode::<TotpRecord>(&other, &row).is_err());
            assert!(codec().open::<SendBudget>(id, &row).is_err());
        }
    }
});
