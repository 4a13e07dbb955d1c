//! Unit tests of the format: the pinned vector, the associated data, the
//! parser's edges. The behaviour through the public API is in
//! `tests/seal.rs`.

#![allow(
    clippy::unwrap_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use alloc::vec::Vec;

use super::*;

/// The key of draft-irtf-cfrg-xchacha-03 §A.3.1 (0x80 ..= 0x9f).
const KEY: [u8; 32] = [
    0x80, 0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x8f,
    0x90, 0x91, 0x92, 0x93, 0x94, 0x95, 0x96, 0x97, 0x98, 0x99, 0x9a, 0x9b, 0x9c, 0x9d, 0x9e, 0x9f,
];
/// Its nonce (0x40 ..= 0x57).
const NONCE: [u8; 24] = [
    0x40, 0x41, 0x42, 0x43, 0x44, 0x45, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4c, 0x4d, 0x4e, 0x4f,
    0x50, 0x51, 0x52, 0x53, 0x54, 0x55, 0x56, 0x57,
];

/// Version 1, key id 7, that key and nonce, context `totp_factor/42`,
/// plaintext `12345678901234567890`: made by PyNaCl 1.6.2
/// (`crypto_aead_xchacha20poly1305_ietf_encrypt`) with the associated data
/// built by hand as the format says. It pins the format: a change that
/// breaks it breaks every value already stored.
const PINNED: &str = "0100000007404142434445464748494a4b4c4d4e4f5051525354555657\
                      c03e40c06ec6c362c22246e1c59aa863057f4b5e9ce0a5dacf2c5336\
                      b05a1f51125153b7";

fn unhex(text: &str) -> Vec<u8> {
    let digits: Vec<u8> = text
        .bytes()
        .filter(|b| !b.is_ascii_whitespace())
        .map(|b| match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            _ => panic!("not hex: {b}"),
        })
        .collect();
    digits.chunks(2).map(|p| (p[0] << 4) | p[1]).collect()
}

fn ring() -> Keyring {
    Keyring::new(SealingKey::from_bytes(7, &KEY).unwrap())
}

#[test]
fn pinned_vector_is_what_seal_writes() {
    let sealed = ring()
        .seal_with_nonce(&NONCE, b"totp_factor/42", b"12345678901234567890")
        .unwrap();
    assert_eq!(sealed, unhex(PINNED));
}

#[test]
fn pinned_vector_opens() {
    let plaintext = ring().open(b"totp_factor/42", &unhex(PINNED)).unwrap();
    assert_eq!(plaintext.as_slice(), b"12345678901234567890");
}

#[test]
fn associated_data_layout() {
    let aad = associated_data(1, 0x0102_0304, b"ctx");
    let mut want = b"mfa-seal".to_vec();
    want.extend_from_slice(&[1, 1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 0, 3]);
    want.extend_from_slice(b"ctx");
    assert_eq!(aad, want);
    assert_eq!(aad.capacity(), aad.len());
    assert_eq!(AAD_FIXED_LEN, 8 + 1 + 4 + 8);
}

#[test]
fn layout_constants() {
    assert_eq!(HEADER_LEN, 29);
    assert_eq!(Keyring::OVERHEAD, 45);
    assert_eq!(SealingKey::LEN, 32);
}

#[test]
fn parse_splits_the_fields() {
    let sealed = unhex(PINNED);
    let parts = Parts::parse(&sealed).unwrap();
    assert_eq!(parts.version, 1);
    assert_eq!(parts.key_id, 7);
    assert_eq!(parts.nonce, &NONCE);
    assert_eq!(parts.ciphertext.len(), 20);
    assert_eq!(parts.tag, &sealed[sealed.len() - 16..]);
}

#[test]
fn parse_edges() {
    let truncated = |len| SealError::Truncated { len, min: 45 };
    assert_eq!(Parts::parse(&[]).err(), Some(truncated(0)));
    assert_eq!(Parts::parse(&[1]).err(), Some(truncated(1)));
    assert_eq!(
        Parts::parse(&[2]).err(),
        Some(SealError::UnknownVersion { version: 2 })
    );
    assert_eq!(Parts::parse(&[1; 44]).err(), Some(truncated(44)));
    let empty = Parts::parse(&[1; 45]).unwrap();
    assert!(empty.ciphertext.is_empty());
}

#[test]
fn text_prefix_holds_the_key_id() {
    // Every key id survives the 8-character prefix that
    // `is_current_str` decodes.
    for id in [0, 1, 7, 0x00ff_ff00, u32::MAX] {
        let keys = Keyring::new(SealingKey::from_bytes(id, &KEY).unwrap());
        let text = keys.seal_to_string(b"", b"").unwrap();
        assert!(keys.is_current_str(&text), "id {id}");
        let other = Keyring::new(SealingKey::from_bytes(id ^ 1, &KEY).unwrap());
        assert!(!other.is_current_str(&text), "id {id}");
    }
}

#[test]
fn seal_fills_exactly_its_capacity() {
    // One allocation of the right size.
    let sealed = ring().seal(b"c", &[0x55; 100]).unwrap();
    assert_eq!(sealed.len(), 145);
    assert_eq!(sealed.capacity(), sealed.len());
}
