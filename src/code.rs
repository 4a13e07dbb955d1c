//! One-time codes: their length and their text.

use core::fmt;

use subtle::{Choice, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::error::{CodeError, ParamError};

/// The number of digits of a code: 6, 7 or 8 (RFC 4226 §5.3).
///
/// ```
/// use mfa::Digits;
///
/// assert_eq!(Digits::new(8)?, Digits::EIGHT);
/// assert!(Digits::new(5).is_err());
/// assert!(Digits::new(9).is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Digits(u8);

impl Digits {
    /// Six digits, the default and what every app shows.
    pub const SIX: Self = Self(6);
    /// Seven digits.
    pub const SEVEN: Self = Self(7);
    /// Eight digits.
    pub const EIGHT: Self = Self(8);

    /// Validates a number of digits.
    ///
    /// # Errors
    ///
    /// [`ParamError::Digits`] outside 6 to 8.
    ///
    /// ```
    /// assert_eq!(mfa::Digits::new(7)?.get(), 7);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub const fn new(digits: u8) -> Result<Self, ParamError> {
        match digits {
            6..=8 => Ok(Self(digits)),
            _ => Err(ParamError::Digits(digits)),
        }
    }

    /// The number of digits.
    ///
    /// ```
    /// assert_eq!(mfa::Digits::SIX.get(), 6);
    /// ```
    #[must_use]
    pub const fn get(self) -> u8 {
        self.0
    }

    /// Reduces a 31-bit truncated HMAC value to a code (RFC 4226 §5.3).
    /// Each arm divides by a constant, which compiles to a multiplication,
    /// so the time taken does not depend on the value.
    #[allow(clippy::arithmetic_side_effects)] // remainder by a non-zero constant
    pub(crate) const fn reduce(self, value: u32) -> u32 {
        match self.0 {
            6 => value % 1_000_000,
            7 => value % 10_000_000,
            _ => value % 100_000_000,
        }
    }
}

impl Default for Digits {
    fn default() -> Self {
        Self::SIX
    }
}

/// Serializes as the number.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl serde::Serialize for Digits {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_u8(self.0)
    }
}

/// Deserializes a number, validated by [`Digits::new`].
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for Digits {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let digits = <u8 as serde::Deserialize>::deserialize(deserializer)?;
        Self::new(digits).map_err(serde::de::Error::custom)
    }
}

/// A one-time code: a number and how many digits it is shown with.
///
/// [`Display`](fmt::Display) prints it zero-padded (`012345`), which is how
/// the user sees it. [`Debug`](fmt::Debug) hides the value, because a code
/// is a credential for as long as it is valid. Equality is constant-time,
/// and the value is zeroized on drop.
///
/// ```
/// use mfa::{Code, Digits};
///
/// let code = Code::parse("012 345", Digits::SIX)?;
/// assert_eq!(code.to_string(), "012345");
/// assert_eq!(format!("{code:?}"), "Code { digits: 6, .. }");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct Code {
    value: u32,
    digits: Digits,
}

impl Code {
    pub(crate) const fn new(value: u32, digits: Digits) -> Self {
        Self { value, digits }
    }

    /// Parses what a user typed: exactly `digits` ASCII digits; ASCII spaces
    /// anywhere are ignored (apps show `123 456`). Does not allocate.
    ///
    /// # Errors
    ///
    /// [`CodeError::NotADigit`] for any other character,
    /// [`CodeError::WrongLength`] for the wrong number of digits.
    ///
    /// ```
    /// use mfa::{Code, CodeError, Digits};
    ///
    /// assert!(Code::parse(" 94287082 ", Digits::EIGHT).is_ok());
    /// assert_eq!(Code::parse("12a456", Digits::SIX), Err(CodeError::NotADigit { position: 3 }));
    /// ```
    pub fn parse(input: &str, digits: Digits) -> Result<Self, CodeError> {
        let mut value: u32 = 0;
        let mut found: usize = 0;
        // By bytes: every accepted character is ASCII, so the first byte
        // that is not a digit or a space starts the first character that
        // is not, and its byte index is its character index.
        for (index, &b) in input.as_bytes().iter().enumerate() {
            let digit = b.wrapping_sub(b'0');
            if digit < 10 {
                // At most one per byte: no overflow.
                found = found.wrapping_add(1);
                // Exact when there are at most 8 digits (below 10^8), and
                // otherwise refused below.
                value = value.wrapping_mul(10).wrapping_add(u32::from(digit));
            } else if b != b' ' {
                return Err(CodeError::NotADigit {
                    position: index.saturating_add(1),
                });
            }
        }
        if found != usize::from(digits.get()) {
            return Err(CodeError::WrongLength {
                expected: digits.get(),
                found: u8::try_from(found).unwrap_or(u8::MAX),
            });
        }
        Ok(Self { value, digits })
    }

    /// The number of digits.
    ///
    /// ```
    /// let code = mfa::Code::parse("12345678", mfa::Digits::EIGHT)?;
    /// assert_eq!(code.digits(), mfa::Digits::EIGHT);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn digits(&self) -> Digits {
        self.digits
    }

    pub(crate) const fn value(&self) -> u32 {
        self.value
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:0width$}",
            self.value,
            width = usize::from(self.digits.get())
        )
    }
}

impl fmt::Debug for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Code")
            .field("digits", &self.digits.get())
            .finish_non_exhaustive()
    }
}

impl ConstantTimeEq for Code {
    fn ct_eq(&self, other: &Self) -> Choice {
        self.value.ct_eq(&other.value) & self.digits.0.ct_eq(&other.digits.0)
    }
}

/// Constant-time.
impl PartialEq for Code {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Code {}

impl Drop for Code {
    fn drop(&mut self) {
        self.value.zeroize();
    }
}

impl ZeroizeOnDrop for Code {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    #[test]
    fn digits_boundaries() {
        for n in 0..=u8::MAX {
            assert_eq!(Digits::new(n).is_ok(), (6..=8).contains(&n), "{n}");
        }
    }

    #[test]
    fn parse_accepts_spaces_and_rejects_the_rest() {
        let six = Digits::SIX;
        assert_eq!(Code::parse("123456", six).map(|c| c.value()), Ok(123_456));
        assert_eq!(
            Code::parse(" 123 456 ", six).map(|c| c.value()),
            Ok(123_456)
        );
        assert_eq!(Code::parse("000000", six).map(|c| c.value()), Ok(0));
        assert_eq!(
            Code::parse("12345", six).map(|c| c.value()),
            Err(CodeError::WrongLength {
                expected: 6,
                found: 5
            })
        );
        assert_eq!(
            Code::parse("1234567", six).map(|c| c.value()),
            Err(CodeError::WrongLength {
                expected: 6,
                found: 7
            })
        );
        assert_eq!(
            Code::parse("", six).map(|c| c.value()),
            Err(CodeError::WrongLength {
                expected: 6,
                found: 0
            })
        );
        for (bad, position) in [
            ("123-456", 4),
            ("12345\t6", 6),
            ("١٢٣٤٥٦", 1),
            ("+12345", 1),
        ] {
            assert_eq!(
                Code::parse(bad, six).map(|c| c.value()),
                Err(CodeError::NotADigit { position }),
                "{bad}"
            );
        }
        let long = "9".repeat(1000);
        assert_eq!(
            Code::parse(&long, Digits::EIGHT).map(|c| c.value()),
            Err(CodeError::WrongLength {
                expected: 8,
                found: 255
            })
        );
    }

    #[test]
    fn display_is_zero_padded() {
        assert_eq!(Code::new(42, Digits::SIX).to_string(), "000042");
        assert_eq!(Code::new(42, Digits::EIGHT).to_string(), "00000042");
    }

    /// The bytes just past each end of `0..=9` (`/` and `:`) are not
    /// digits: the range check is exact at both ends.
    #[test]
    fn parse_refuses_the_neighbours_of_the_digits() {
        for input in ["12:456", "12/456"] {
            assert_eq!(
                Code::parse(input, Digits::SIX),
                Err(CodeError::NotADigit { position: 3 })
            );
        }
    }

    #[test]
    fn parse_keeps_the_digits() {
        for digits in [Digits::SIX, Digits::SEVEN, Digits::EIGHT] {
            let input = "12345678".get(..usize::from(digits.get())).unwrap_or("");
            assert_eq!(Code::parse(input, digits).map(|c| c.digits()), Ok(digits));
        }
    }

    #[test]
    fn debug_shows_the_digits_only() {
        let code = Code::new(123_456, Digits::SIX);
        assert_eq!(alloc::format!("{code:?}"), "Code { digits: 6, .. }");
    }

    #[test]
    fn equality_compares_value_and_digits() {
        let code = Code::new(42, Digits::SIX);
        assert!(code == Code::new(42, Digits::SIX));
        assert!(code != Code::new(43, Digits::SIX));
        assert!(code != Code::new(42, Digits::SEVEN));
        assert!(bool::from(code.ct_eq(&Code::new(42, Digits::SIX))));
        assert!(!bool::from(code.ct_eq(&Code::new(42, Digits::EIGHT))));
    }

    #[cfg(feature = "serde")]
    #[test]
    fn digits_serialize_as_the_number() {
        for digits in [Digits::SIX, Digits::SEVEN, Digits::EIGHT] {
            let json = serde_json::to_string(&digits).ok();
            assert_eq!(json, Some(digits.get().to_string()));
            let back = json.and_then(|j| serde_json::from_str::<Digits>(&j).ok());
            assert_eq!(back, Some(digits));
        }
        for bad in ["5", "9", "0", "-6", "\"6\""] {
            assert!(serde_json::from_str::<Digits>(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn reduce_matches_plain_remainder() {
        for v in [0, 1, 999_999, 1_000_000, 123_456_789, 0x7fff_ffff] {
            assert_eq!(Digits::SIX.reduce(v), v % 1_000_000);
            assert_eq!(Digits::SEVEN.reduce(v), v % 10_000_000);
            assert_eq!(Digits::EIGHT.reduce(v), v % 100_000_000);
        }
    }
}
