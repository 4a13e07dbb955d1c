//! Where an out-of-band code is delivered: a phone number (SMS) or an
//! e-mail address, validated and in one canonical form, so that the code is
//! bound to exactly one destination.

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

/// The channel an out-of-band code is delivered through.
///
/// ```
/// use mfa::{Channel, Destination};
///
/// assert_eq!(Destination::sms("+14155552671")?.channel(), Channel::Sms);
/// assert_eq!(Destination::email("ada@example.com")?.channel(), Channel::Email);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Channel {
    /// A text message to a phone number. NIST SP 800-63B calls SMS a
    /// *restricted* authenticator: offer an alternative.
    Sms,
    /// An e-mail. Not an out-of-band authenticator under NIST SP 800-63B
    /// rev 4; use it for identity verification and recovery.
    Email,
}

impl Channel {
    /// A byte that identifies the channel inside a code hash.
    pub(crate) const fn tag(self) -> u8 {
        match self {
            Self::Sms => 1,
            Self::Email => 2,
        }
    }
}

/// A phone number in E.164 form: `+`, then 7 to 15 digits, the first of
/// which (the start of the country code) is not 0.
///
/// ITU-T E.164 caps a number at 15 digits and gives country codes 1 to 3
/// digits that never start with 0; it sets no minimum. The shortest numbers
/// in service are 7 digits (Niue, `+683` and 4 digits), hence
/// [`MIN_DIGITS`](Self::MIN_DIGITS).
///
/// Parsing accepts what people type around the digits (spaces, hyphens,
/// dots and parentheses) and keeps only `+` and the digits, so
/// `+1 (415) 555-2671` and `+14155552671` are the same number. It does not
/// check that the country code is assigned or that the number exists, and
/// it does not accept national forms (`0412 …`, `00 44 …`): convert those
/// with the country you know, then parse.
///
/// ```
/// use mfa::{DestinationError, PhoneNumber};
///
/// let phone: PhoneNumber = "+1 (415) 555-2671".parse()?;
/// assert_eq!(phone.as_str(), "+14155552671");
/// assert_eq!("0412 345 678".parse::<PhoneNumber>(), Err(DestinationError::MissingPlus));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    /// The fewest digits, country code included (Niue: `+683` and 4).
    pub const MIN_DIGITS: usize = 7;
    /// The most digits, country code included (ITU-T E.164).
    pub const MAX_DIGITS: usize = 15;

    /// Parses and normalizes a phone number; see the type's documentation.
    ///
    /// # Errors
    ///
    /// [`DestinationError::MissingPlus`], [`DestinationError::InvalidCharacter`],
    /// [`DestinationError::PhoneLength`] or [`DestinationError::CountryCode`].
    ///
    /// ```
    /// use mfa::{DestinationError, PhoneNumber};
    ///
    /// assert_eq!(PhoneNumber::parse("+44 20 7946 0958")?.as_str(), "+442079460958");
    /// assert_eq!(PhoneNumber::parse("+0123456789"), Err(DestinationError::CountryCode));
    /// assert_eq!(PhoneNumber::parse("+1234567890123456"), Err(DestinationError::PhoneLength { digits: 16 }));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, DestinationError> {
        let mut normalized = String::with_capacity(Self::MAX_DIGITS.saturating_add(1));
        let mut digits: usize = 0;
        let mut seen_plus = false;
        for (index, c) in input.chars().enumerate() {
            let position = index.saturating_add(1);
            match c {
                ' ' | '-' | '.' | '(' | ')' => {}
                '+' if !seen_plus && digits == 0 => {
                    seen_plus = true;
                    normalized.push('+');
                }
                '0'..='9' if seen_plus => {
                    if digits == 0 && c == '0' {
                        return Err(DestinationError::CountryCode);
                    }
                    digits = digits.saturating_add(1);
                    if digits <= Self::MAX_DIGITS {
                        normalized.push(c);
                    }
                }
                '0'..='9' => return Err(DestinationError::MissingPlus),
                _ => return Err(DestinationError::InvalidCharacter { position }),
            }
        }
        if !seen_plus {
            return Err(DestinationError::MissingPlus);
        }
        if !(Self::MIN_DIGITS..=Self::MAX_DIGITS).contains(&digits) {
            return Err(DestinationError::PhoneLength { digits });
        }
        Ok(Self(normalized))
    }

    /// The number in E.164 form: `+` and the digits.
    ///
    /// ```
    /// assert_eq!(mfa::PhoneNumber::parse("+33 1 23 45 67 89")?.as_str(), "+33123456789");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl FromStr for PhoneNumber {
    type Err = DestinationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Validates, as deserialization does.
impl TryFrom<String> for PhoneNumber {
    type Error = DestinationError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PhoneNumber> for String {
    fn from(phone: PhoneNumber) -> Self {
        phone.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// An e-mail address, checked pragmatically.
///
/// What is checked:
/// - at most 254 bytes in all (RFC 5321 §4.5.3.1.3, with RFC 3696 erratum
///   1690), exactly one `@`;
/// - a local part of 1 to 64 bytes (RFC 5321 §4.5.3.1.1) made of letters,
///   digits, ``!#$%&'*+-/=?^_`{|}~``, non-ASCII letters (RFC 6531), and dots
///   that neither start nor end it nor follow each other (RFC 5322
///   `dot-atom`);
/// - a domain of at least two labels separated by dots, each 1 to 63 bytes
///   of letters, digits, hyphens (not first or last) or non-ASCII letters,
///   the last one not all digits;
/// - nowhere whitespace, control characters or invisible formatting
///   characters (zero-width and bidirectional marks), which could make two
///   addresses look alike.
///
/// What is not: quoted local parts (`"a b"@example.com`), comments, IP
/// literals (`user@[192.0.2.1]`), Unicode normalization or IDNA mapping of
/// the domain, and whether the domain or mailbox exists. The domain is
/// lower-cased (domains are case-insensitive); the local part is kept as
/// typed (RFC 5321 §2.4 lets the receiving server treat it as
/// case-sensitive). Only delivery proves an address.
///
/// ```
/// use mfa::{DestinationError, EmailAddress};
///
/// let email: EmailAddress = "Ada.Lovelace@Example.COM".parse()?;
/// assert_eq!(email.as_str(), "Ada.Lovelace@example.com");
/// assert_eq!("ada@localhost".parse::<EmailAddress>(), Err(DestinationError::EmailDomain));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "String", into = "String")
)]
pub struct EmailAddress(String);

impl EmailAddress {
    /// The longest address in bytes (RFC 5321 path limit, RFC 3696 erratum
    /// 1690).
    pub const MAX_LEN: usize = 254;
    /// The longest local part in bytes (RFC 5321 §4.5.3.1.1).
    pub const MAX_LOCAL_LEN: usize = 64;
    /// The longest domain label in bytes (RFC 1035 §2.3.4).
    pub const MAX_LABEL_LEN: usize = 63;

    /// Parses an e-mail address; see the type's documentation.
    ///
    /// # Errors
    ///
    /// [`DestinationError::EmailLength`], [`DestinationError::InvalidCharacter`],
    /// [`DestinationError::EmailAt`], [`DestinationError::EmailLocalPart`] or
    /// [`DestinationError::EmailDomain`].
    ///
    /// ```
    /// use mfa::{DestinationError, EmailAddress};
    ///
    /// assert!(EmailAddress::parse("o'brien+mfa@mail.example.ie").is_ok());
    /// assert_eq!(EmailAddress::parse("ada@@example.com"), Err(DestinationError::EmailAt));
    /// assert_eq!(
    ///     EmailAddress::parse("ada lovelace@example.com"),
    ///     Err(DestinationError::InvalidCharacter { position: 4 })
    /// );
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn parse(input: &str) -> Result<Self, DestinationError> {
        if input.len() > Self::MAX_LEN {
            return Err(DestinationError::EmailLength { len: input.len() });
        }
        let mut seen_at = false;
        for (index, c) in input.chars().enumerate() {
            let position = index.saturating_add(1);
            if c == '@' {
                if seen_at {
                    return Err(DestinationError::EmailAt);
                }
                seen_at = true;
            } else if !is_atext(c) && c != '.' {
                return Err(DestinationError::InvalidCharacter { position });
            }
        }
        let (local, domain) = input.split_once('@').ok_or(DestinationError::EmailAt)?;
        if !valid_local_part(local) {
            return Err(DestinationError::EmailLocalPart);
        }
        if !valid_domain(domain) {
            return Err(DestinationError::EmailDomain);
        }
        let mut normalized = String::with_capacity(input.len());
        normalized.push_str(local);
        normalized.push('@');
        normalized.extend(domain.chars().map(|c| c.to_ascii_lowercase()));
        Ok(Self(normalized))
    }

    /// The address, with the domain lower-cased.
    ///
    /// ```
    /// assert_eq!(mfa::EmailAddress::parse("ada@EXAMPLE.org")?.as_str(), "ada@example.org");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// RFC 5322 `atext`, plus non-ASCII characters (RFC 6531) other than
/// whitespace, controls and invisible formatting characters.
fn is_atext(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric() || "!#$%&'*+-/=?^_`{|}~".contains(c)
    } else {
        !c.is_whitespace() && !c.is_control() && !is_invisible(c)
    }
}

/// Zero-width characters, bidirectional marks and overrides, invisible
/// operators and the byte-order mark.
pub(crate) fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00ad}'
            | '\u{061c}'
            | '\u{180e}'
            | '\u{200b}'..='\u{200f}'
            | '\u{202a}'..='\u{202e}'
            | '\u{2060}'..='\u{206f}'
            | '\u{feff}'
    )
}

/// A `dot-atom` of 1 to 64 bytes (the characters are already checked).
fn valid_local_part(local: &str) -> bool {
    (1..=EmailAddress::MAX_LOCAL_LEN).contains(&local.len())
        && local.split('.').all(|atom| !atom.is_empty())
}

/// At least two labels of 1 to 63 bytes, letters, digits and inner
/// hyphens (non-ASCII letters allowed), the last not all digits.
fn valid_domain(domain: &str) -> bool {
    let label_ok = |label: &str| {
        (1..=EmailAddress::MAX_LABEL_LEN).contains(&label.len())
            && !label.starts_with('-')
            && !label.ends_with('-')
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || !c.is_ascii())
    };
    let mut labels = domain.split('.');
    let last_ok = labels
        .next_back()
        .is_some_and(|last| label_ok(last) && !last.bytes().all(|b| b.is_ascii_digit()));
    let mut count: usize = 1;
    let others_ok = labels.all(|label| {
        count = count.saturating_add(1);
        label_ok(label)
    });
    last_ok && others_ok && count >= 2
}

impl FromStr for EmailAddress {
    type Err = DestinationError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

/// Validates, as deserialization does.
impl TryFrom<String> for EmailAddress {
    type Error = DestinationError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<EmailAddress> for String {
    fn from(email: EmailAddress) -> Self {
        email.0
    }
}

impl fmt::Display for EmailAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where an out-of-band code goes, validated: the channel is implied by the
/// kind of address.
///
/// A code is bound to its destination (the destination is part of the
/// code's keyed hash), so a code sent to one number cannot confirm another.
/// Destinations are personal data but not secrets: `Debug` and `Display`
/// show them.
///
/// ```
/// use mfa::{Channel, Destination};
///
/// let to = Destination::sms("+44 7700 900123")?;
/// assert_eq!((to.channel(), to.as_str()), (Channel::Sms, "+447700900123"));
/// assert_eq!(to.to_string(), "+447700900123");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Destination {
    /// A text message to this phone number.
    Sms(PhoneNumber),
    /// An e-mail to this address.
    Email(EmailAddress),
}

impl Destination {
    /// An SMS destination, from a phone number in E.164 form.
    ///
    /// # Errors
    ///
    /// As [`PhoneNumber::parse`].
    ///
    /// ```
    /// assert!(mfa::Destination::sms("+14155552671").is_ok());
    /// assert!(mfa::Destination::sms("4155552671").is_err());
    /// ```
    pub fn sms(phone: &str) -> Result<Self, DestinationError> {
        PhoneNumber::parse(phone).map(Self::Sms)
    }

    /// An e-mail destination.
    ///
    /// # Errors
    ///
    /// As [`EmailAddress::parse`].
    ///
    /// ```
    /// assert!(mfa::Destination::email("ada@example.com").is_ok());
    /// assert!(mfa::Destination::email("ada@example").is_err());
    /// ```
    pub fn email(address: &str) -> Result<Self, DestinationError> {
        EmailAddress::parse(address).map(Self::Email)
    }

    /// The channel the code goes through.
    ///
    /// ```
    /// let to = mfa::Destination::email("ada@example.com")?;
    /// assert_eq!(to.channel(), mfa::Channel::Email);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn channel(&self) -> Channel {
        match self {
            Self::Sms(_) => Channel::Sms,
            Self::Email(_) => Channel::Email,
        }
    }

    /// The address in canonical form.
    ///
    /// ```
    /// let to = mfa::Destination::sms("+1 415 555 2671")?;
    /// assert_eq!(to.as_str(), "+14155552671");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        match self {
            Self::Sms(phone) => phone.as_str(),
            Self::Email(email) => email.as_str(),
        }
    }
}

impl fmt::Display for Destination {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<PhoneNumber> for Destination {
    fn from(phone: PhoneNumber) -> Self {
        Self::Sms(phone)
    }
}

impl From<EmailAddress> for Destination {
    fn from(email: EmailAddress) -> Self {
        Self::Email(email)
    }
}

/// Why a phone number or e-mail address was not accepted.
///
/// ```
/// use mfa::{DestinationError, PhoneNumber};
///
/// let err = PhoneNumber::parse("+1 415 555 267x").unwrap_err();
/// assert_eq!(err, DestinationError::InvalidCharacter { position: 15 });
/// assert_eq!(err.to_string(), "character 15 is not allowed in a phone number or e-mail address");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DestinationError {
    /// A phone number that does not start with `+` and the country code.
    MissingPlus,
    /// A character that has no place there. `position` counts characters
    /// from 1.
    InvalidCharacter {
        /// Position of the character, counting from 1.
        position: usize,
    },
    /// A phone number with fewer than 7 or more than 15 digits.
    PhoneLength {
        /// The number of digits found.
        digits: usize,
    },
    /// A country code that starts with 0 (E.164 has none).
    CountryCode,
    /// An e-mail address longer than 254 bytes.
    EmailLength {
        /// The length found, in bytes.
        len: usize,
    },
    /// An e-mail address without exactly one `@`.
    EmailAt,
    /// An empty local part (before the `@`), one longer than 64 bytes, or
    /// one with a leading, trailing or doubled dot.
    EmailLocalPart,
    /// A domain (after the `@`) that is not a host name with a dot.
    EmailDomain,
}

impl fmt::Display for DestinationError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::MissingPlus => f.write_str(
                "the phone number must start with + and the country code (E.164), such as +14155552671",
            ),
            Self::InvalidCharacter { position } => write!(
                f,
                "character {position} is not allowed in a phone number or e-mail address"
            ),
            Self::PhoneLength { digits } => write!(
                f,
                "the phone number has {digits} digits; E.164 numbers have 7 to 15, country code included"
            ),
            Self::CountryCode => f.write_str("no country code starts with 0"),
            Self::EmailLength { len } => write!(
                f,
                "the e-mail address has {len} bytes; at most 254 are allowed"
            ),
            Self::EmailAt => f.write_str("an e-mail address has exactly one @"),
            Self::EmailLocalPart => f.write_str(
                "the part before the @ must be 1 to 64 characters, without leading, trailing or doubled dots",
            ),
            Self::EmailDomain => {
                f.write_str("the part after the @ must be a domain name such as example.com")
            }
        }
    }
}

impl core::error::Error for DestinationError {}
