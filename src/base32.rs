//! RFC 4648 Base32, written for secrets.
//!
//! The `base32` crate is used in the tests as an independent implementation,
//! but not here: its decoder keeps unzeroized stack copies of the decoded
//! bits and looks symbols up in a table indexed by the secret character.
//! This codec maps each symbol with branch-free arithmetic (in the style of
//! `base64ct`), decodes into one allocation of exactly the final size, and
//! zeroizes its temporaries.
//!
//! RustCrypto's `base32ct` (0.3) decodes in constant time too, but one case
//! only, without separators, and with one error for any fault; it also
//! leaves the values of the last symbols in an unzeroized local. Reading
//! what users type (either case, spaces and hyphens, optional padding, an
//! error naming the character) would still need both passes below, plus a
//! normalised copy of the secret for it, so this decoder stays. It is
//! checked against the `base32` crate (property tests, and differentially
//! by the `secret_base32` fuzz target), and timed by the `base32` test of
//! `benches/ct.rs` (letters vs digits at 10 M samples: |t| = 729, digits
//! 4 ns slower, with the old separator test; 1.6 to 2.5 with `classify`).

use alloc::string::String;
use alloc::vec::Vec;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, Zeroizing};

use crate::error::SecretError;

/// Value of a Base32 symbol (either case), or -1, without a secret-dependent
/// branch or table lookup.
#[allow(clippy::arithmetic_side_effects)] // i16 arithmetic on a u8 cannot overflow
fn symbol_value(c: u8) -> i16 {
    let c = i16::from(c);
    let mut value: i16 = -1;
    // 'A'..='Z' -> 0..=25
    value += (((0x40 - c) & (c - 0x5b)) >> 8) & (c - 0x40);
    // 'a'..='z' -> 0..=25
    value += (((0x60 - c) & (c - 0x7b)) >> 8) & (c - 0x60);
    // '2'..='7' -> 26..=31
    value += (((0x31 - c) & (c - 0x38)) >> 8) & (c - 0x17);
    value
}

/// The Base32 symbol of a 5-bit value, without a secret-dependent branch.
#[allow(clippy::arithmetic_side_effects, clippy::cast_possible_truncation)] // v < 32
fn symbol(v: u8) -> char {
    let v = i16::from(v & 0x1f);
    // v + 'A' for 0..=25; v - 26 + '2' for 26..=31.
    let shift = ((25 - v) >> 8) & (i16::from(b'2') - 26 - i16::from(b'A'));
    char::from((v + i16::from(b'A') + shift) as u8)
}

/// What one input byte is, worked out without a branch or table lookup on
/// the byte, the flags behind `subtle`'s optimisation barrier.
///
/// The decoder then branches only on these flags, and they are the same for
/// every Base32 symbol: which symbols are letters and which are digits never
/// reaches a branch. (Before, `b == b' ' || b == b'-' || b == b'='` compiled
/// to a range compare and a jump that letters took and digits did not.)
struct Class {
    /// The 5-bit value when `symbol` is set, else 0.
    value: u8,
    /// A space or a hyphen, the separators authenticator apps allow.
    separator: Choice,
    /// `=`, padding.
    padding: Choice,
    /// A Base32 symbol, either case.
    symbol: Choice,
}

#[allow(clippy::cast_sign_loss, clippy::cast_possible_truncation)] // masks of i16 -1..=31
fn classify(b: u8) -> Class {
    let v = symbol_value(b);
    // v is -1 (all bits set) or 0..=31: bit 8 is set only for -1.
    let is_symbol = ((v >> 8) as u8 & 1) ^ 1;
    Class {
        value: (v & !(v >> 8) & 0x1f) as u8,
        separator: b.ct_eq(&b' ') | b.ct_eq(&b'-'),
        padding: b.ct_eq(&b'='),
        symbol: Choice::from(is_symbol),
    }
}

/// Decodes lenient Base32: any case, spaces and hyphens anywhere, optional
/// `=` padding at the end. Returns at most `max_len` bytes or an error.
///
/// Only the form of the input reaches a branch: where the separators and
/// padding are, its length, and the first character that is not Base32
/// (which ends decoding with an error).
pub(crate) fn decode(input: &str, max_len: usize) -> Result<Zeroizing<Vec<u8>>, SecretError> {
    // Pass 1: validate and count symbols. Nothing secret is stored. Every
    // separator, padding and symbol is ASCII, so the first byte that is not
    // ASCII is an invalid character, and every byte before it is a whole
    // character: byte index = character index.
    let mut symbols: usize = 0;
    let mut padding_from: Option<usize> = None;
    for (index, &b) in input.as_bytes().iter().enumerate() {
        let position = index.saturating_add(1);
        let class = classify(b);
        if bool::from(class.separator) {
            continue;
        }
        if bool::from(class.padding) {
            padding_from.get_or_insert(position);
            continue;
        }
        if padding_from.is_some() {
            return Err(SecretError::PaddingNotAtEnd { position });
        }
        if !bool::from(class.symbol) {
            let character = input
                .get(index..)
                .and_then(|rest| rest.chars().next())
                .unwrap_or(char::REPLACEMENT_CHARACTER);
            return Err(SecretError::InvalidCharacter {
                character,
                position,
            });
        }
        symbols = symbols.saturating_add(1);
    }
    if symbols == 0 {
        return Err(SecretError::Empty);
    }
    // 8 symbols carry 5 bytes; 1, 3 or 6 trailing symbols cannot end a
    // whole byte and mean a symbol is missing or extra.
    if matches!(symbols % 8, 1 | 3 | 6) {
        return Err(SecretError::InvalidLength { symbols });
    }
    let len = (symbols / 8)
        .saturating_mul(5)
        .saturating_add((symbols % 8).saturating_mul(5) / 8);
    if len > max_len {
        return Err(SecretError::TooLong {
            bits: len.saturating_mul(8),
            max_bits: max_len.saturating_mul(8),
        });
    }

    // Pass 2: decode into an allocation of exactly `len` bytes, which is
    // never reallocated, so no copy of the secret is left behind. Validated
    // in pass 1: every byte is a symbol, a separator or padding.
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    let mut acc: u16 = 0;
    let mut bits: u32 = 0;
    for &b in input.as_bytes() {
        let mut class = classify(b);
        if !bool::from(class.symbol) {
            continue;
        }
        acc = (acc << 5) | u16::from(class.value);
        class.value.zeroize();
        bits = bits.saturating_add(5);
        if bits >= 8 {
            bits = bits.saturating_sub(8);
            #[allow(clippy::cast_possible_truncation)]
            out.push((acc >> bits) as u8);
            acc &= (1u16 << bits).wrapping_sub(1);
        }
    }
    // Any bits left over are the zero fill of the last symbol; authenticator
    // apps ignore them, and so do we.
    acc.zeroize();
    Ok(out)
}

/// Encodes as upper-case Base32 without padding, the form `otpauth://` URIs
/// and authenticator apps use.
pub(crate) fn encode(data: &[u8]) -> Zeroizing<String> {
    let symbols = data.len().saturating_mul(8).div_ceil(5);
    let mut out = Zeroizing::new(String::with_capacity(symbols));
    let mut acc: u16 = 0;
    let mut bits: u32 = 0;
    for &byte in data {
        acc = (acc << 8) | u16::from(byte);
        bits = bits.saturating_add(8);
        while bits >= 5 {
            bits = bits.saturating_sub(5);
            #[allow(clippy::cast_possible_truncation)]
            out.push(symbol((acc >> bits) as u8));
        }
        acc &= (1u16 << bits).wrapping_sub(1);
    }
    if bits > 0 {
        #[allow(clippy::cast_possible_truncation)]
        out.push(symbol((acc << 5u32.saturating_sub(bits)) as u8));
    }
    acc.zeroize();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn symbol_tables_match_rfc4648() {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        for (v, &c) in (0u8..).zip(ALPHABET.iter()) {
            assert_eq!(symbol(v), char::from(c));
            assert_eq!(symbol_value(c), i16::from(v));
            assert_eq!(symbol_value(c.to_ascii_lowercase()), i16::from(v));
        }
        let valid = |c: u8| ALPHABET.contains(&c.to_ascii_uppercase());
        for c in 0..=255u8 {
            assert_eq!(symbol_value(c) >= 0, valid(c), "byte {c}");
        }
    }

    #[test]
    fn classify_matches_the_alphabet() {
        const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
        for b in 0..=255u8 {
            let class = classify(b);
            let position = ALPHABET.iter().position(|&c| c == b.to_ascii_uppercase());
            assert_eq!(bool::from(class.symbol), position.is_some(), "byte {b}");
            assert_eq!(usize::from(class.value), position.unwrap_or(0), "byte {b}");
            assert_eq!(bool::from(class.separator), b == b' ' || b == b'-');
            assert_eq!(bool::from(class.padding), b == b'=');
        }
    }

    #[test]
    fn rfc4648_vectors() {
        let cases: [(&[u8], &str); 7] = [
            (b"", ""),
            (b"f", "MY"),
            (b"fo", "MZXQ"),
            (b"foo", "MZXW6"),
            (b"foob", "MZXW6YQ"),
            (b"fooba", "MZXW6YTB"),
            (b"foobar", "MZXW6YTBOI"),
        ];
        for (raw, text) in cases {
            assert_eq!(encode(raw).as_str(), text);
            if !raw.is_empty() {
                assert_eq!(decode(text, 64).as_deref().map(Vec::as_slice), Ok(raw));
            }
        }
        // RFC 4648 §10 with padding, lower case and separators.
        assert_eq!(
            decode("mzxw-6ytb oi======", 64)
                .as_deref()
                .map(Vec::as_slice),
            Ok(&b"foobar"[..])
        );
    }

    /// The length checked against `max_len` counts the bytes of a partial
    /// last group too, and a secret of exactly `max_len` bytes passes.
    #[test]
    fn max_len_is_inclusive_and_counts_partial_groups() {
        for (text, len) in [
            ("MY", 1),
            ("MZXQ", 2),
            ("MZXW6", 3),
            ("MZXW6YQ", 4),
            ("MZXW6YTB", 5),
            ("MZXW6YTBOI", 6),
        ] {
            assert_eq!(decode(text, len).map(|d| d.len()), Ok(len), "{text}");
            assert_eq!(
                decode(text, len - 1),
                Err(SecretError::TooLong {
                    bits: len * 8,
                    max_bits: (len - 1) * 8
                }),
                "{text}"
            );
        }
    }

    #[test]
    fn errors_name_the_problem() {
        assert_eq!(
            decode("MZX1", 64),
            Err(SecretError::InvalidCharacter {
                character: '1',
                position: 4
            })
        );
        assert_eq!(
            decode("MZXé", 64),
            Err(SecretError::InvalidCharacter {
                character: 'é',
                position: 4
            })
        );
        assert_eq!(
            decode("MY=Q", 64),
            Err(SecretError::PaddingNotAtEnd { position: 4 })
        );
        assert_eq!(decode(" - ==", 64), Err(SecretError::Empty));
        assert_eq!(
            decode("MZX", 64),
            Err(SecretError::InvalidLength { symbols: 3 })
        );
        assert_eq!(
            decode("MZXW6YTB", 4),
            Err(SecretError::TooLong {
                bits: 40,
                max_bits: 32
            })
        );
    }
}
