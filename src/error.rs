//! Error types, one small enum per concern, and [`Error`] to carry any of
//! them. None of them ever holds secret material.

use core::fmt;

/// Why a secret could not be parsed, accepted or generated.
///
/// The variants describe the *input*, never the secret: an invalid character
/// is not part of any valid secret, and lengths are public.
///
/// ```
/// use mfa::{Secret, SecretError};
///
/// let err = Secret::from_base32("JBSW Y3DP 1").unwrap_err();
/// assert_eq!(err, SecretError::InvalidCharacter { character: '1', position: 11 });
/// assert_eq!(err.to_string(), "invalid Base32 character '1' at position 11");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SecretError {
    /// The text holds no Base32 symbol at all.
    Empty,
    /// A character that is not a Base32 symbol, a space, a hyphen or
    /// trailing `=` padding. `position` counts characters from 1.
    InvalidCharacter {
        /// The offending character.
        character: char,
        /// Its position in the input, counting characters from 1.
        position: usize,
    },
    /// A symbol after `=` padding. `position` counts characters from 1.
    PaddingNotAtEnd {
        /// Position of the first symbol after the padding, from 1.
        position: usize,
    },
    /// A number of symbols (1, 3 or 6 modulo 8) that no whole number of
    /// bytes encodes to: a symbol is missing or extra.
    InvalidLength {
        /// The number of Base32 symbols found.
        symbols: usize,
    },
    /// The secret is shorter than allowed: 128 bits (RFC 4226 R6), or 80 bits
    /// through the explicitly named legacy constructors.
    TooShort {
        /// Length of the secret in bits.
        bits: usize,
        /// The minimum that applied.
        min_bits: usize,
    },
    /// The secret is longer than [`Secret::MAX_LEN`](crate::Secret::MAX_LEN).
    TooLong {
        /// Length of the secret in bits.
        bits: usize,
        /// The maximum.
        max_bits: usize,
    },
    /// The operating system's random source failed; no secret was made.
    RandomSource,
}

impl fmt::Display for SecretError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Empty => f.write_str("the secret is empty"),
            Self::InvalidCharacter {
                character,
                position,
            } => write!(
                f,
                "invalid Base32 character {character:?} at position {position}"
            ),
            Self::PaddingNotAtEnd { position } => write!(
                f,
                "Base32 symbol after '=' padding at position {position}; padding may only end the secret"
            ),
            Self::InvalidLength { symbols } => write!(
                f,
                "{symbols} Base32 symbols do not make whole bytes; a symbol is missing or extra"
            ),
            Self::TooShort { bits, min_bits } => {
                write!(
                    f,
                    "the secret has {bits} bits; at least {min_bits} are required"
                )
            }
            Self::TooLong { bits, max_bits } => {
                write!(
                    f,
                    "the secret has {bits} bits; at most {max_bits} are allowed"
                )
            }
            Self::RandomSource => f.write_str("the operating system's random source failed"),
        }
    }
}

impl core::error::Error for SecretError {}

/// An invalid parameter, rejected when a [`Totp`](crate::Totp),
/// [`Hotp`](crate::Hotp), [`Digits`](crate::Digits) or
/// [`Window`](crate::Window) is built.
///
/// ```
/// use mfa::{Digits, ParamError};
///
/// assert_eq!(Digits::new(5), Err(ParamError::Digits(5)));
/// assert_eq!(ParamError::Digits(5).to_string(), "5 digits is not supported; use 6, 7 or 8");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParamError {
    /// The number of digits is not 6, 7 or 8 (RFC 4226 §5.3).
    Digits(u8),
    /// A TOTP period of zero seconds.
    ZeroPeriod,
    /// A verification window wider than [`Window::MAX`](crate::Window::MAX)
    /// steps on one side.
    WindowTooLarge {
        /// The requested number of steps.
        steps: u8,
        /// The maximum.
        max: u8,
    },
    /// An HOTP look-ahead larger than
    /// [`HotpConfig::MAX_LOOK_AHEAD`](crate::HotpConfig::MAX_LOOK_AHEAD).
    LookAheadTooLarge {
        /// The requested look-ahead.
        steps: u8,
        /// The maximum.
        max: u8,
    },
    /// A resynchronisation range larger than the type's `MAX_RESYNC`.
    ResyncTooLarge {
        /// The requested range.
        steps: u32,
        /// The maximum.
        max: u32,
    },
    /// An algorithm name other than SHA1, SHA256 or SHA512.
    UnknownAlgorithm,
    /// A lockout threshold outside 1 to 100 consecutive failures (NIST
    /// SP 800-63B allows at most 100).
    MaxFailures(u32),
    /// A maximum backoff delay shorter than the initial one.
    MaxDelay,
}

impl fmt::Display for ParamError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Digits(n) => write!(f, "{n} digits is not supported; use 6, 7 or 8"),
            Self::ZeroPeriod => f.write_str("the TOTP period must be at least 1 second"),
            Self::WindowTooLarge { steps, max } => {
                write!(
                    f,
                    "a window of {steps} steps is too large; at most {max} on each side"
                )
            }
            Self::LookAheadTooLarge { steps, max } => {
                write!(
                    f,
                    "a look-ahead of {steps} counters is too large; at most {max}"
                )
            }
            Self::ResyncTooLarge { steps, max } => {
                write!(
                    f,
                    "a resynchronisation range of {steps} is too large; at most {max}"
                )
            }
            Self::UnknownAlgorithm => f.write_str("unknown algorithm; use SHA1, SHA256 or SHA512"),
            Self::MaxFailures(n) => write!(
                f,
                "a lockout after {n} failures is not allowed; use 1 to 100 (NIST SP 800-63B)"
            ),
            Self::MaxDelay => {
                f.write_str("the maximum backoff delay must not be below the initial delay")
            }
        }
    }
}

impl core::error::Error for ParamError {}

/// A time that TOTP cannot turn into a time step.
///
/// ```
/// use mfa::{Secret, TimeError, Totp, TotpConfig};
///
/// let totp = Totp::new(&Secret::generate()?, TotpConfig::default().t0(1_000))?;
/// assert_eq!(totp.step_at(999), Err(TimeError::BeforeT0));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum TimeError {
    /// The time is before the configured T0 (RFC 6238 §4.2).
    BeforeT0,
    /// The system clock reads a time before the Unix epoch.
    ClockBeforeUnixEpoch,
}

impl fmt::Display for TimeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::BeforeT0 => "the time is before T0",
            Self::ClockBeforeUnixEpoch => "the system clock is before the Unix epoch",
        })
    }
}

impl core::error::Error for TimeError {}

/// Why the text a user typed is not a code of the expected form.
///
/// This is about the shape of the user's own input, which is public; it says
/// nothing about the secret or the expected code.
///
/// ```
/// use mfa::{Code, CodeError, Digits};
///
/// assert_eq!(
///     Code::parse("12345", Digits::SIX),
///     Err(CodeError::WrongLength { expected: 6, found: 5 })
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodeError {
    /// A character other than an ASCII digit or a space. `position` counts
    /// characters from 1.
    NotADigit {
        /// Position of the character, counting from 1.
        position: usize,
    },
    /// Too many or too few digits.
    WrongLength {
        /// The number of digits the code must have.
        expected: u8,
        /// The number of digits found (capped at 255).
        found: u8,
    },
}

impl fmt::Display for CodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::NotADigit { position } => {
                write!(
                    f,
                    "the code may only hold digits; position {position} is not one"
                )
            }
            Self::WrongLength { expected, found } => {
                write!(f, "the code must have {expected} digits, not {found}")
            }
        }
    }
}

impl core::error::Error for CodeError {}

/// Why a submitted code was not accepted.
///
/// [`VerifyError::Rejected`] is deliberately opaque: a wrong code, a code
/// outside the window and a replayed code are indistinguishable, so an
/// attacker learns nothing but "no".
///
/// ```
/// use mfa::{Secret, Totp, TotpConfig, VerifyError};
///
/// let totp = Totp::new(&Secret::generate()?, TotpConfig::default())?;
/// let code = totp.generate(1_700_000_000)?.to_string();
/// let first = totp.verify(&code, 1_700_000_000, None)?;
/// // The same code again, after recording the accepted step, is refused.
/// assert_eq!(
///     totp.verify(&code, 1_700_000_000, Some(first.step)),
///     Err(VerifyError::Rejected)
/// );
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyError {
    /// The input is not a code of the right form; no HMAC was computed.
    Malformed(CodeError),
    /// The code was not accepted. Nothing more is said, on purpose.
    Rejected,
    /// The verification time cannot be turned into a TOTP step.
    Time(TimeError),
}

impl fmt::Display for VerifyError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Malformed(e) => e.fmt(f),
            Self::Rejected => f.write_str("the code was rejected"),
            Self::Time(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for VerifyError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Malformed(e) => Some(e),
            Self::Rejected => None,
            Self::Time(e) => Some(e),
        }
    }
}

impl From<CodeError> for VerifyError {
    fn from(e: CodeError) -> Self {
        Self::Malformed(e)
    }
}

impl From<TimeError> for VerifyError {
    fn from(e: TimeError) -> Self {
        Self::Time(e)
    }
}

/// Any error of this crate, for callers that handle them alike.
///
/// Every specific error converts into it with `?`.
///
/// ```
/// fn new_key() -> Result<mfa::Totp, mfa::Error> {
///     let secret = mfa::Secret::generate()?;
///     Ok(mfa::Totp::new(&secret, mfa::TotpConfig::default())?)
/// }
/// assert!(new_key().is_ok());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Error {
    /// See [`SecretError`].
    Secret(SecretError),
    /// See [`ParamError`].
    Param(ParamError),
    /// See [`TimeError`].
    Time(TimeError),
    /// See [`CodeError`].
    Code(CodeError),
    /// See [`VerifyError`].
    Verify(VerifyError),
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Secret(e) => e.fmt(f),
            Self::Param(e) => e.fmt(f),
            Self::Time(e) => e.fmt(f),
            Self::Code(e) => e.fmt(f),
            Self::Verify(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for Error {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        Some(match self {
            Self::Secret(e) => e,
            Self::Param(e) => e,
            Self::Time(e) => e,
            Self::Code(e) => e,
            Self::Verify(e) => e,
        })
    }
}

macro_rules! into_error {
    ($($variant:ident($ty:ty)),*) => {$(
        impl From<$ty> for Error {
            fn from(e: $ty) -> Self {
                Self::$variant(e)
            }
        }
    )*};
}

into_error!(
    Secret(SecretError),
    Param(ParamError),
    Time(TimeError),
    Code(CodeError),
    Verify(VerifyError)
);
