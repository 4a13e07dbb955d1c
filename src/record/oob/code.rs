//! The text of an out-of-band code: drawn without bias, handed out once,
//! parsed from what the user typed.

use alloc::string::String;
use core::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use crate::error::CodeError;

/// The most digits a code can have, the size of the buffers below.
pub(crate) const MAX_DIGITS: usize = 10;

/// The digits of a code as ASCII, with their count; zeroized on drop.
pub(crate) struct Digits {
    buf: Zeroizing<[u8; MAX_DIGITS]>,
    len: usize,
}

impl Digits {
    pub(crate) fn as_bytes(&self) -> &[u8] {
        self.buf.get(..self.len).unwrap_or_default()
    }
}

/// How many draws a random source gets before it is judged broken. A
/// working one needs a second draw with probability below 10^10 / 2^64
/// (about 5 × 10^-10), so eight draws in a row are only ever missed by a
/// source that repeats itself.
const MAX_DRAWS: usize = 8;

/// Draws a uniformly random code of `digits` digits (6 to 10) from `fill`,
/// by rejection sampling: a 64-bit draw is used only below the largest
/// multiple of 10^digits, so no code is more likely than another (no modulo
/// bias). `None` if `fill` fails or keeps returning out-of-range values.
pub(crate) fn draw<E>(
    digits: u8,
    fill: &mut impl FnMut(&mut [u8]) -> Result<(), E>,
) -> Option<Digits> {
    let len = usize::from(digits);
    if !(1..=MAX_DIGITS).contains(&len) {
        return None;
    }
    let modulus = 10u64.checked_pow(u32::from(digits))?;
    // The count of accepted draws: the largest multiple of `modulus` that
    // fits, so each remainder is hit equally often.
    let limit = u64::MAX.checked_div(modulus)?.checked_mul(modulus)?;
    let mut bytes = Zeroizing::new([0u8; 8]);
    for _ in 0..MAX_DRAWS {
        fill(bytes.as_mut_slice()).ok()?;
        let mut value = u64::from_be_bytes(*bytes);
        if value < limit {
            let mut out = Digits {
                buf: Zeroizing::new([0u8; MAX_DIGITS]),
                len,
            };
            value = value.checked_rem(modulus)?;
            // Least significant digit last. Division by the constant 10
            // compiles to a multiplication, so the time is the same for
            // every value.
            for slot in out.buf.iter_mut().take(len).rev() {
                *slot = b'0'.saturating_add(u8::try_from(value.checked_rem(10)?).ok()?);
                value = value.checked_div(10)?;
            }
            value.zeroize();
            return Some(out);
        }
        value.zeroize();
    }
    None
}

/// The digits XOR the first bytes of `pad`; the rest is zero.
pub(crate) fn mask(digits: &Digits, pad: &[u8; 32]) -> [u8; MAX_DIGITS] {
    let mut out = [0u8; MAX_DIGITS];
    for ((slot, digit), pad) in out.iter_mut().zip(digits.as_bytes()).zip(pad) {
        *slot = digit ^ pad;
    }
    out
}

/// The `digits` digits that `mask` hid under `pad`; `None` if they are not
/// all ASCII digits (a record changed by hand, or another key).
pub(crate) fn unmask(masked: &[u8; MAX_DIGITS], pad: &[u8; 32], digits: u8) -> Option<Digits> {
    let len = usize::from(digits);
    let mut out = Digits {
        buf: Zeroizing::new([0u8; MAX_DIGITS]),
        len,
    };
    for ((slot, byte), pad) in out.buf.iter_mut().zip(masked).zip(pad).take(len) {
        *slot = byte ^ pad;
    }
    (len <= MAX_DIGITS && out.as_bytes().iter().all(u8::is_ascii_digit)).then_some(out)
}

/// Parses what the user typed: exactly `digits` ASCII digits, ASCII spaces
/// anywhere ignored (the same rules as [`Code::parse`](crate::Code::parse)).
pub(crate) fn parse(input: &str, digits: u8) -> Result<Digits, CodeError> {
    let expected = usize::from(digits).min(MAX_DIGITS);
    let mut out = Digits {
        buf: Zeroizing::new([0u8; MAX_DIGITS]),
        len: 0,
    };
    let mut found: usize = 0;
    for (index, c) in input.chars().enumerate() {
        match c {
            ' ' => {}
            '0'..='9' => {
                if let Some(slot) = out.buf.get_mut(found) {
                    *slot = u8::try_from(c).unwrap_or(b'0');
                }
                found = found.saturating_add(1);
            }
            _ => {
                return Err(CodeError::NotADigit {
                    position: index.saturating_add(1),
                });
            }
        }
    }
    if found != expected {
        return Err(CodeError::WrongLength {
            expected: digits,
            found: u8::try_from(found).unwrap_or(u8::MAX),
        });
    }
    out.len = found;
    Ok(out)
}

/// The text of an out-of-band code, to deliver and then drop.
///
/// It is a credential for as long as it is valid, so it is zeroized on drop,
/// `Debug` shows only its length, there is no `Display`, and getting the
/// text is an explicit call: [`expose`](Self::expose).
///
/// ```
/// use mfa::{Destination, OobKey, OobPolicy, OobRecord};
///
/// let key = OobKey::generate()?;
/// let to = Destination::sms("+14155552671")?;
/// let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &key, &to, 1_700_000_000).into_parts();
/// let delivery = delivery?;
/// let code = delivery.code();
/// assert_eq!(code.expose().len(), 6);
/// assert!(code.expose().bytes().all(|b| b.is_ascii_digit()));
/// assert_eq!(format!("{code:?}"), "OobCode { digits: 6, .. }");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct OobCode {
    text: Zeroizing<String>,
}

impl OobCode {
    pub(crate) fn new(digits: &Digits) -> Self {
        let bytes = digits.as_bytes();
        // Allocated at its final size and never grown, so no copy of the
        // code is left behind in a freed buffer.
        let mut text = Zeroizing::new(String::with_capacity(bytes.len()));
        text.extend(bytes.iter().map(|&b| char::from(b)));
        Self { text }
    }

    /// The code's digits, to put in the message. Handle with care: do not
    /// log it.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let key = OobKey::generate()?;
    /// # let to = Destination::email("ada@example.com")?;
    /// let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &key, &to, 0).into_parts();
    /// let message = format!("Your code is {}. It expires in 5 minutes.", delivery?.code().expose());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for OobCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OobCode")
            .field("digits", &self.text.len())
            .finish_non_exhaustive()
    }
}

/// The only field is a [`Zeroizing`] string, which clears its buffer on
/// drop.
impl ZeroizeOnDrop for OobCode {}
