//! The alphabet of recovery codes: Crockford's Base32
//! (<https://www.crockford.com/base32.html>), `0-9` and `A-Z` without
//! `I`, `L`, `O` and `U`.
//!
//! Written for secrets, like `crate::base32`: each symbol is mapped with
//! branch-free arithmetic, without a table indexed by a secret value, and
//! temporaries are zeroized. `base32ct`, the constant-time Base32 crate,
//! has only the RFC 4648 alphabets, so this one stays.

use alloc::string::String;

use zeroize::{Zeroize, Zeroizing};

use super::RecoveryError;

/// Random bytes in a code: 80 bits.
pub(crate) const CODE_BYTES: usize = 10;
/// Symbols in a code: 16 of 5 bits.
pub(crate) const SYMBOLS: usize = 16;
/// Symbols between hyphens in the displayed form.
const GROUP: usize = 4;
/// Length of the displayed form, `XXXX-XXXX-XXXX-XXXX`.
pub(crate) const DISPLAY_LEN: usize = SYMBOLS + SYMBOLS / GROUP - 1;

/// -1 (all bits set) if `lo <= c <= hi`, else 0; for `c` and the bounds in
/// 0..=255.
#[allow(clippy::arithmetic_side_effects)] // i16 arithmetic on bytes cannot overflow
const fn in_range(c: i16, lo: u8, hi: u8) -> i16 {
    let lo = lo as i16;
    let hi = hi as i16;
    ((lo - 1 - c) & (c - hi - 1)) >> 8
}

/// The value of a symbol as typed (either case), or -1. The letters that
/// are easily mistaken for digits are read as those digits: `O` as 0, `I`
/// and `L` as 1 (as Crockford's decoding does). `U` is invalid.
#[allow(clippy::arithmetic_side_effects)] // i16 arithmetic on bytes cannot overflow
pub(crate) const fn value(byte: u8) -> i16 {
    let c = byte as i16;
    let c = c - (in_range(c, b'a', b'z') & 0x20);
    let mut v: i16 = -1;
    v += in_range(c, b'0', b'9') & (c - b'0' as i16 + 1);
    v += in_range(c, b'A', b'H') & (c - b'A' as i16 + 11);
    v += in_range(c, b'J', b'K') & (c - b'J' as i16 + 19);
    v += in_range(c, b'M', b'N') & (c - b'M' as i16 + 21);
    v += in_range(c, b'P', b'T') & (c - b'P' as i16 + 23);
    v += in_range(c, b'V', b'Z') & (c - b'V' as i16 + 28);
    v += in_range(c, b'O', b'O') & 1;
    v += in_range(c, b'I', b'I') & 2;
    v += in_range(c, b'L', b'L') & 2;
    v
}

/// 1 if `v >= k`, else 0; for `v` and `k` in 0..=255.
#[allow(clippy::arithmetic_side_effects)] // i16 arithmetic on bytes cannot overflow
const fn at_least(v: i16, k: i16) -> i16 {
    ((k - 1 - v) >> 8) & 1
}

/// The upper-case symbol of a 5-bit value.
#[allow(
    clippy::arithmetic_side_effects, // i16 arithmetic on values below 32
    clippy::cast_possible_truncation, // the result is an ASCII byte
    clippy::cast_sign_loss
)]
pub(crate) const fn symbol(v: u8) -> u8 {
    let v = (v & 0x1f) as i16;
    let digit = v + b'0' as i16;
    // Skip I (after H = 17), L (after K = 19), O (after N = 21), U (after T = 26).
    let letter = v - 10
        + b'A' as i16
        + at_least(v, 18)
        + at_least(v, 20)
        + at_least(v, 22)
        + at_least(v, 27);
    let is_letter = -at_least(v, 10);
    (digit ^ (is_letter & (digit ^ letter))) as u8
}

/// The displayed form of 10 random bytes: 16 symbols in groups of four,
/// `XXXX-XXXX-XXXX-XXXX`, in a string allocated at its final size.
pub(crate) fn encode(bytes: &[u8; CODE_BYTES]) -> Zeroizing<String> {
    let mut out = Zeroizing::new(String::with_capacity(DISPLAY_LEN));
    let mut written: usize = 0;
    for half in bytes.chunks_exact(5) {
        // 40 bits, 8 symbols.
        let mut acc = half.iter().fold(0u64, |acc, &b| (acc << 8) | u64::from(b));
        for shift in (0..8u32).rev() {
            if written > 0 && written.is_multiple_of(GROUP) {
                out.push('-');
            }
            let v = acc.wrapping_shr(shift.saturating_mul(5)) & 0x1f;
            out.push(char::from(symbol(u8::try_from(v).unwrap_or(0))));
            written = written.saturating_add(1);
        }
        acc.zeroize();
    }
    out
}

/// Characters ignored between symbols: whitespace, the hyphen-minus and
/// the Unicode hyphens and dashes (U+2010 to U+2015) that word processors
/// and phones substitute for it.
fn is_separator(c: char) -> bool {
    c.is_whitespace() || c == '-' || ('\u{2010}'..='\u{2015}').contains(&c)
}

/// Reads a code as typed: any case, separators anywhere, `O`/`I`/`L` read
/// as `0`/`1`; exactly 16 symbols.
pub(crate) fn decode(input: &str) -> Result<Zeroizing<[u8; CODE_BYTES]>, RecoveryError> {
    let mut values = Zeroizing::new([0u8; SYMBOLS]);
    let mut found: usize = 0;
    for (index, c) in input.chars().enumerate() {
        if is_separator(c) {
            continue;
        }
        let v = u8::try_from(c).map_or(-1, value);
        let Ok(v) = u8::try_from(v) else {
            return Err(RecoveryError::InvalidCharacter {
                position: index.saturating_add(1),
            });
        };
        if let Some(slot) = values.get_mut(found) {
            *slot = v;
        }
        found = found.saturating_add(1);
    }
    if found != SYMBOLS {
        return Err(RecoveryError::WrongLength {
            expected: SYMBOLS,
            found,
        });
    }
    let mut out = Zeroizing::new([0u8; CODE_BYTES]);
    for (half, symbols) in out.chunks_exact_mut(5).zip(values.chunks_exact(8)) {
        let mut acc = symbols
            .iter()
            .fold(0u64, |acc, &v| (acc << 5) | u64::from(v));
        let mut be = acc.to_be_bytes();
        for (dst, src) in half.iter_mut().zip(be.iter().skip(3)) {
            *dst = *src;
        }
        be.zeroize();
        acc.zeroize();
    }
    Ok(out)
}
