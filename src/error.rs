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
    /// An out-of-band code lifetime of 0 or longer than 600 s (NIST
    /// SP 800-63B: at most 10 minutes).
    CodeLifetime {
        /// The requested lifetime in seconds.
        seconds: u64,
        /// The maximum.
        max: u64,
    },
    /// A setting outside its allowed range.
    OutOfRange {
        /// What the setting is.
        name: &'static str,
        /// The requested value.
        value: u64,
        /// The smallest allowed value.
        min: u64,
        /// The largest allowed value.
        max: u64,
    },
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
            Self::CodeLifetime { seconds, max } => write!(
                f,
                "a code lifetime of {seconds} s is not allowed; use 1 to {max} s (NIST SP 800-63B)"
            ),
            Self::OutOfRange {
                name,
                value,
                min,
                max,
            } => write!(f, "{name}: {value} is out of range; use {min} to {max}"),
        }
    }
}

impl core::error::Error for ParamError {}

/// A time that TOTP cannot turn into a time step.
///
/// ```
/// use mfa::{Secret, TimeError, Totp, TotpConfig};
///
/// let totp = Totp::new(&Secret::generate()?, TotpConfig::builder().t0(1_000).build()?)?;
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

/// Why a key URI could not be built, parsed or turned into a key.
///
/// No variant holds secret material: an invalid Base32 character is never
/// part of a valid secret, and positions and lengths are public.
///
/// ```
/// use mfa::{KeyUri, UriError};
///
/// let err = KeyUri::parse("otpauth://totp/Example:alice?issuer=Example").unwrap_err();
/// assert_eq!(err, UriError::MissingSecret);
/// assert_eq!(err.to_string(), "the URI has no secret parameter; add secret=<Base32 key>");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum UriError {
    /// Building: the issuer is empty.
    EmptyIssuer,
    /// The issuer holds a colon, which separates it from the account in
    /// the label (Key URI format).
    ColonInIssuer,
    /// Building: the account name is empty.
    EmptyAccount,
    /// Building: the account name holds a colon, which some apps would
    /// take for the issuer's separator. (Parsing reads a second colon as
    /// part of the account, as apps do.)
    ColonInAccount,
    /// Building: the account name starts with a space, which apps drop
    /// after the issuer's colon.
    AccountStartsWithSpace,
    /// Building: the TOTP key counts steps from a T0 other than 0, which a
    /// key URI cannot say; every app would show other codes.
    NonZeroT0,
    /// [`KeyUri::require_universal`](crate::KeyUri::require_universal): the
    /// key is not TOTP with SHA-1, 6 digits and 30 seconds.
    NotUniversal,
    /// Building: [`KeyUri::with_param`](crate::KeyUri::with_param) was given
    /// the name of a parameter the URI writes itself.
    ReservedParameter {
        /// The parameter, in lower case.
        name: &'static str,
    },
    /// Building: [`KeyUri::with_param`](crate::KeyUri::with_param) was given
    /// an empty name.
    EmptyParameterName,
    /// Parsing: the input is longer than
    /// [`KeyUri::MAX_LEN`](crate::KeyUri::MAX_LEN) bytes.
    TooLong {
        /// Length of the input in bytes.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// Parsing: the input does not start with `otpauth://`.
    NotOtpauth,
    /// Parsing: the input is a Google Authenticator export
    /// (`otpauth-migration://`), which
    /// [`MigrationBatch::parse`](crate::MigrationBatch::parse) reads.
    MigrationUri,
    /// The OTP type is neither `totp` nor `hotp`.
    UnknownType,
    /// A Steam Guard key: `otpauth://steam/…` (Aegis, ente Auth) or
    /// `encoder=steam` (KeePassXC, `pyotp`). Its codes are five characters
    /// of Steam's own alphabet, which this crate does not make; reading it
    /// as TOTP would show six digits that Steam never accepts.
    Steam,
    /// There is no `secret` parameter, or it is empty.
    MissingSecret,
    /// The secret is not valid Base32 or has a length outside 80 to 1024
    /// bits.
    Secret(SecretError),
    /// The algorithm is not SHA1, SHA256 or SHA512.
    UnknownAlgorithm,
    /// The number of digits is not 6, 7 or 8.
    InvalidDigits,
    /// The period is not a whole number of seconds from 1 to
    /// [`KeyUri::MAX_PERIOD`](crate::KeyUri::MAX_PERIOD) (a day).
    InvalidPeriod,
    /// The counter is not a whole number from 0 to 2^64 - 1.
    InvalidCounter,
    /// A `%` that does not start a two-digit hexadecimal escape.
    /// `position` counts characters of the input from 1.
    InvalidPercentEncoding {
        /// Position of the `%`, counting characters from 1.
        position: usize,
    },
    /// A percent-encoded part of the URI is not valid UTF-8.
    InvalidUtf8,
    /// A parameter that carries meaning (`secret`, `issuer`, `algorithm`,
    /// `digits`, `period`, `counter`) appears twice: apps disagree on which
    /// one counts, so the URI is ambiguous.
    DuplicateParameter {
        /// The parameter, in lower case.
        name: &'static str,
    },
    /// [`KeyUri::to_totp`](crate::KeyUri::to_totp) on an HOTP key.
    NotTotp,
    /// [`KeyUri::to_hotp`](crate::KeyUri::to_hotp) on a TOTP key.
    NotHotp,
    /// The key's parameters were refused when making a
    /// [`Totp`](crate::Totp) or [`Hotp`](crate::Hotp).
    Param(ParamError),
}

impl fmt::Display for UriError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::EmptyIssuer => f.write_str("the issuer is empty; name the service"),
            Self::ColonInIssuer => f.write_str(
                "the issuer may not contain ':', which separates it from the account name",
            ),
            Self::EmptyAccount => {
                f.write_str("the account name is empty; use the user's login or e-mail")
            }
            Self::ColonInAccount => f.write_str(
                "the account name may not contain ':', which separates the issuer from it",
            ),
            Self::AccountStartsWithSpace => f.write_str(
                "the account name starts with a space, which apps drop; remove it",
            ),
            Self::NonZeroT0 => f.write_str(
                "a key URI cannot express a T0 other than 0; apps would show other codes",
            ),
            Self::NotUniversal => f.write_str(
                "some apps ignore non-default parameters; use TOTP with SHA1, 6 digits and 30 seconds",
            ),
            Self::ReservedParameter { name } => write!(
                f,
                "the {name} parameter is written from the key itself and cannot be added"
            ),
            Self::EmptyParameterName => f.write_str("a URI parameter needs a name"),
            Self::TooLong { len, max } => write!(
                f,
                "the URI is {len} bytes long; at most {max} are accepted"
            ),
            Self::NotOtpauth => f.write_str("not a key URI; it must start with otpauth://"),
            Self::MigrationUri => f.write_str(
                "this is a Google Authenticator export (otpauth-migration://); import it as one",
            ),
            Self::UnknownType => f.write_str("unknown OTP type; use otpauth://totp/ or otpauth://hotp/"),
            Self::Steam => f.write_str(
                "this is a Steam Guard key, whose codes are 5 characters of Steam's alphabet; \
                 it cannot be read as TOTP",
            ),
            Self::MissingSecret => {
                f.write_str("the URI has no secret parameter; add secret=<Base32 key>")
            }
            Self::Secret(e) => write!(f, "invalid secret: {e}"),
            Self::UnknownAlgorithm => {
                f.write_str("unknown algorithm; use SHA1, SHA256 or SHA512")
            }
            Self::InvalidDigits => f.write_str("the digits parameter must be 6, 7 or 8"),
            Self::InvalidPeriod => write!(
                f,
                "the period must be a whole number of seconds from 1 to {} (a day)",
                crate::KeyUri::MAX_PERIOD
            ),
            Self::InvalidCounter => f.write_str(
                "the counter parameter must be a whole number from 0 to 18446744073709551615",
            ),
            Self::InvalidPercentEncoding { position } => write!(
                f,
                "invalid percent-encoding at position {position}; '%' must start an escape such as %20"
            ),
            Self::InvalidUtf8 => f.write_str("a percent-encoded part of the URI is not valid UTF-8"),
            Self::DuplicateParameter { name } => write!(
                f,
                "the {name} parameter appears more than once; keep exactly one"
            ),
            Self::NotTotp => f.write_str("this is an HOTP key, not a TOTP key"),
            Self::NotHotp => f.write_str("this is a TOTP key, not an HOTP key"),
            Self::Param(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for UriError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Secret(e) => Some(e),
            Self::Param(e) => Some(e),
            _ => None,
        }
    }
}

impl From<SecretError> for UriError {
    fn from(e: SecretError) -> Self {
        Self::Secret(e)
    }
}

/// Why a Google Authenticator export (`otpauth-migration://offline?data=`)
/// could not be read.
///
/// ```
/// use mfa::{MigrationBatch, MigrationError};
///
/// // One field header, then nothing: the payload ends mid-field.
/// let err = MigrationBatch::parse("otpauth-migration://offline?data=Cg%3D%3D").unwrap_err();
/// assert_eq!(err, MigrationError::Truncated);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum MigrationError {
    /// The input is longer than
    /// [`KeyUri::MAX_LEN`](crate::KeyUri::MAX_LEN) bytes.
    TooLong {
        /// Length of the input in bytes.
        len: usize,
        /// The maximum.
        max: usize,
    },
    /// The input does not start with `otpauth-migration://offline`.
    NotMigration,
    /// There is no `data` parameter (or no query at all), or it is empty.
    MissingData,
    /// The `data` parameter appears more than once.
    DuplicateData,
    /// A `%` that does not start a two-digit hexadecimal escape.
    /// `position` counts characters of the input from 1.
    InvalidPercentEncoding {
        /// Position of the `%`, counting characters from 1.
        position: usize,
    },
    /// The data is not Base64. `position` counts characters of the decoded
    /// `data` value from 1.
    InvalidBase64 {
        /// Position of the first character that is wrong, from 1.
        position: usize,
    },
    /// The payload ends inside a field: a cut varint, or a length that
    /// runs past the end.
    Truncated,
    /// A varint longer than 64 bits.
    VarintTooLong,
    /// A known field with the wrong wire type.
    WrongWireType {
        /// The field number.
        field: u32,
    },
    /// A wire type that this format never uses (groups, or 6 and 7).
    UnsupportedWireType {
        /// The wire type.
        wire_type: u8,
    },
    /// The export holds no key.
    NoKeys,
    /// [`MigrationBatch::require_all`](crate::MigrationBatch::require_all):
    /// a key of the export was refused.
    Key {
        /// Which key, counting from 1.
        position: usize,
        /// What is wrong with it.
        error: UriError,
    },
}

impl fmt::Display for MigrationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooLong { len, max } => write!(
                f,
                "the export URI is {len} bytes long; at most {max} are accepted"
            ),
            Self::NotMigration => f.write_str(
                "not a Google Authenticator export; it must start with otpauth-migration://offline",
            ),
            Self::MissingData => f.write_str(
                "the export URI has no data; it needs ?data=<Base64 payload> after otpauth-migration://offline",
            ),
            Self::DuplicateData => {
                f.write_str("the data parameter appears more than once; keep exactly one")
            }
            Self::InvalidPercentEncoding { position } => write!(
                f,
                "invalid percent-encoding at position {position}; '%' must start an escape such as %2B"
            ),
            Self::InvalidBase64 { position } => write!(
                f,
                "the data is not Base64: character {position} is wrong, missing or extra"
            ),
            Self::Truncated => f.write_str("the export data is cut short; scan or copy it again"),
            Self::VarintTooLong => f.write_str("the export data holds a number over 64 bits"),
            Self::WrongWireType { field } => {
                write!(f, "field {field} of the export data has the wrong type")
            }
            Self::UnsupportedWireType { wire_type } => write!(
                f,
                "the export data uses wire type {wire_type}, which this format never uses"
            ),
            Self::NoKeys => f.write_str("the export holds no key"),
            Self::Key { position, error } => write!(f, "key {position} of the export: {error}"),
        }
    }
}

impl core::error::Error for MigrationError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Key { error, .. } => Some(error),
            _ => None,
        }
    }
}

/// Why a QR code could not be made (feature `qr`).
///
/// ```
/// use mfa::{ErrorCorrection, QrCode, QrError};
///
/// let too_long = "x".repeat(3_000);
/// assert_eq!(
///     QrCode::encode(&too_long, ErrorCorrection::Medium).unwrap_err(),
///     QrError::TooLong { len: 3_000 }
/// );
/// ```
#[cfg(feature = "qr")]
#[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum QrError {
    /// The text does not fit in the largest QR code (version 40) at the
    /// chosen error correction level.
    TooLong {
        /// Length of the text in bytes.
        len: usize,
    },
    /// A PNG module size outside 1 to
    /// [`QrCode::MAX_MODULE_PX`](crate::QrCode::MAX_MODULE_PX) pixels.
    ModuleSize {
        /// The requested size in pixels.
        px: u8,
    },
}

#[cfg(feature = "qr")]
impl fmt::Display for QrError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::TooLong { len } => write!(
                f,
                "{len} bytes do not fit in a QR code; shorten the issuer or account name, or lower the error correction"
            ),
            Self::ModuleSize { px } => write!(
                f,
                "a module of {px} pixels is not supported; use 1 to {}",
                crate::QrCode::MAX_MODULE_PX
            ),
        }
    }
}

#[cfg(feature = "qr")]
impl core::error::Error for QrError {}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::{String, ToString};
    use core::error::Error;

    /// The text of an error's source, if it has one.
    fn source_text(e: &dyn Error) -> Option<String> {
        e.source().map(ToString::to_string)
    }

    /// An error that wraps another shows it and gives it as its source;
    /// the others have none.
    #[test]
    fn wrapping_errors_show_and_source_what_they_wrap() {
        let time = TimeError::BeforeT0;
        let code = CodeError::WrongLength {
            expected: 6,
            found: 5,
        };
        assert_eq!(time.to_string(), "the time is before T0");
        for (e, inner) in [
            (VerifyError::from(code), code.to_string()),
            (VerifyError::from(time), time.to_string()),
        ] {
            assert_eq!(e.to_string(), inner);
            assert_eq!(source_text(&e), Some(inner));
        }
        assert_eq!(VerifyError::Rejected.to_string(), "the code was rejected");
        assert_eq!(source_text(&VerifyError::Rejected), None);

        let secret = SecretError::Empty;
        let param = ParamError::ZeroPeriod;
        let uri = UriError::from(secret);
        assert_eq!(uri, UriError::Secret(secret));
        assert_eq!(source_text(&uri), Some(secret.to_string()));
        assert_eq!(
            source_text(&UriError::Param(param)),
            Some(param.to_string())
        );
        assert_eq!(source_text(&UriError::EmptyIssuer), None);

        let key = MigrationError::Key {
            position: 2,
            error: uri,
        };
        assert_eq!(source_text(&key), Some(uri.to_string()));
        assert_eq!(source_text(&MigrationError::NoKeys), None);
    }

    #[cfg(feature = "qr")]
    #[test]
    fn qr_errors_say_what_to_change() {
        let text = QrError::ModuleSize { px: 0 }.to_string();
        assert!(
            text.starts_with("a module of 0 pixels is not supported"),
            "{text}"
        );
    }
}
