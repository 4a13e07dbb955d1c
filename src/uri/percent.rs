//! RFC 3986 percent-encoding, written for key URIs.
//!
//! Encoding leaves only the unreserved characters (RFC 3986 §2.3) as they
//! are, so a space is `%20` (never `+`) and `&`, `=`, `#`, `?`, `/`, `+`,
//! `%` and `:` can never be misread by any parser. Decoding is strict: a
//! `%` must start a two-digit hexadecimal escape. The label is decoded as
//! a path (`+` is a plus sign, as Android's `Uri.getPath` reads it); query
//! names and values as a form (`+` is a space, as Android's
//! `getQueryParameter`, Dart's `Uri`, Python's `parse_qsl` and so `pyotp`,
//! and `totp-rs` read them).
//!
//! Why not a crate: `percent-encoding` passes a stray `%` through
//! unchanged, which the key URI rules refuse; `form_urlencoded` does the
//! same and replaces invalid UTF-8 with U+FFFD, which would change a name
//! silently; neither writes into a buffer that is sized once and zeroized,
//! which a decoded `secret` needs. The few lines here replace both.

use core::fmt;

use alloc::vec::Vec;
use zeroize::Zeroizing;

/// Whether a byte is unreserved (RFC 3986 §2.3) and is written as is.
const fn is_unreserved(b: u8) -> bool {
    b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~')
}

/// The upper-case hexadecimal digit of a nibble.
fn hex_digit(nibble: u8) -> char {
    let n = nibble & 0x0f;
    char::from(if n < 10 {
        b'0'.wrapping_add(n)
    } else {
        b'A'.wrapping_add(n.wrapping_sub(10))
    })
}

/// The value of a hexadecimal digit of either case.
fn hex_value(b: u8) -> Option<u8> {
    char::from(b)
        .to_digit(16)
        .and_then(|v| u8::try_from(v).ok())
}

/// Writes `text` percent-encoded, UTF-8 byte by UTF-8 byte.
pub(crate) fn encode(out: &mut dyn fmt::Write, text: &str) -> fmt::Result {
    for b in text.bytes() {
        if is_unreserved(b) {
            out.write_char(char::from(b))?;
        } else {
            out.write_char('%')?;
            out.write_char(hex_digit(b >> 4))?;
            out.write_char(hex_digit(b))?;
        }
    }
    Ok(())
}

/// Decodes the escapes of `text`, a path segment such as the label (`+`
/// is a plus sign), into one allocation that is never reallocated (the
/// output is never longer than the input) and is zeroized on drop, since
/// it may be a secret.
///
/// On an invalid escape, returns the byte offset of its `%` in `text`.
pub(crate) fn decode(text: &str) -> Result<Zeroizing<Vec<u8>>, usize> {
    decode_with(text, b'+')
}

/// Decodes a query name or value as a form does: as [`decode`], but a `+`
/// is a space (`%2B` stays a plus sign).
pub(crate) fn decode_query(text: &str) -> Result<Zeroizing<Vec<u8>>, usize> {
    decode_with(text, b' ')
}

/// Decodes escapes, writing `plus` for each literal `+`.
fn decode_with(text: &str, plus: u8) -> Result<Zeroizing<Vec<u8>>, usize> {
    let bytes = text.as_bytes();
    let mut out = Zeroizing::new(Vec::with_capacity(bytes.len()));
    let mut rest = bytes;
    while let Some((&b, tail)) = rest.split_first() {
        if b == b'%' {
            let high = tail.first().copied().and_then(hex_value);
            let low = tail.get(1).copied().and_then(hex_value);
            let (Some(high), Some(low), Some(after)) = (high, low, tail.get(2..)) else {
                return Err(bytes.len().saturating_sub(rest.len()));
            };
            out.push((high << 4) | low);
            rest = after;
        } else if b == b'+' {
            out.push(plus);
            rest = tail;
        } else {
            out.push(b);
            rest = tail;
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::String;

    fn encoded(text: &str) -> String {
        let mut out = String::new();
        encode(&mut out, text).expect("writing to a String");
        out
    }

    #[test]
    fn encodes_everything_but_unreserved() {
        assert_eq!(encoded("aZ09-._~"), "aZ09-._~");
        assert_eq!(
            encoded("a b+c&d=e#f?g/h%i:j@k"),
            "a%20b%2Bc%26d%3De%23f%3Fg%2Fh%25i%3Aj%40k"
        );
        assert_eq!(encoded("é€"), "%C3%A9%E2%82%AC");
        assert_eq!(encoded(""), "");
    }

    #[test]
    fn decodes_strictly() {
        let ok = |text: &str| decode(text).map(|v| String::from_utf8(v.to_vec()).expect("utf-8"));
        assert_eq!(ok("a%20b+c%3a%3A"), Ok(String::from("a b+c::")));
        assert_eq!(ok("%C3%a9"), Ok(String::from("é")));
        assert_eq!(ok("é/x"), Ok(String::from("é/x")));
        assert_eq!(decode("abc%").map(|_| ()), Err(3));
        assert_eq!(decode("abc%4").map(|_| ()), Err(3));
        assert_eq!(decode("%4G").map(|_| ()), Err(0));
        assert_eq!(decode("ok%41%%41").map(|_| ()), Err(5));
        assert_eq!(decode("é%zz").map(|_| ()), Err(2));
    }

    #[test]
    fn query_values_read_plus_as_a_space() {
        let query =
            |text: &str| decode_query(text).map(|v| String::from_utf8(v.to_vec()).expect("utf-8"));
        assert_eq!(query("Air+Canada"), Ok(String::from("Air Canada")));
        assert_eq!(query("a%2Bb+c%20d"), Ok(String::from("a+b c d")));
        assert_eq!(query("++"), Ok(String::from("  ")));
        assert_eq!(decode_query("a+%4").map(|_| ()), Err(2));
    }

    #[test]
    fn round_trips_every_byte() {
        let all: String = (0u32..0x800).filter_map(char::from_u32).collect();
        let text = encoded(&all);
        assert!(text.bytes().all(|b| b.is_ascii_graphic()));
        assert_eq!(decode(&text).map(|v| v.to_vec()), Ok(all.into_bytes()));
    }
}
