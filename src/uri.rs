//! `otpauth://` key URIs, the text inside the QR code that authenticator
//! apps scan (Google Authenticator wiki, "Key Uri Format").

mod migration;
mod parse;
mod percent;

use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::fmt;

use zeroize::Zeroizing;

pub use migration::{MigrationBatch, RefusedKey};

use crate::algorithm::Algorithm;
use crate::code::Digits;
use crate::error::UriError;
use crate::hotp::{Hotp, HotpConfig};
use crate::secret::Secret;
use crate::totp::{Totp, TotpConfig};

/// The kind of key a URI describes, with what only that kind has.
///
/// ```
/// use mfa::{KeyUri, OtpType};
///
/// let key = KeyUri::parse("otpauth://hotp/Example:alice?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&counter=7")?;
/// assert_eq!(key.otp_type(), OtpType::Hotp { counter: 7 });
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum OtpType {
    /// Time-based (RFC 6238), `otpauth://totp/`.
    Totp {
        /// The step length in seconds (default 30).
        period: u64,
    },
    /// Counter-based (RFC 4226), `otpauth://hotp/`.
    Hotp {
        /// The counter the app starts from.
        counter: u64,
    },
}

/// The parameters the Key URI format gives a meaning to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Param {
    Secret,
    Issuer,
    Algorithm,
    Digits,
    Period,
    Counter,
}

impl Param {
    const ALL: [Self; 6] = [
        Self::Secret,
        Self::Issuer,
        Self::Algorithm,
        Self::Digits,
        Self::Period,
        Self::Counter,
    ];

    /// The name, in lower case.
    const fn name(self) -> &'static str {
        match self {
            Self::Secret => "secret",
            Self::Issuer => "issuer",
            Self::Algorithm => "algorithm",
            Self::Digits => "digits",
            Self::Period => "period",
            Self::Counter => "counter",
        }
    }

    /// The parameter `name` stands for, in any case.
    fn from_name(name: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|param| param.name().eq_ignore_ascii_case(name))
    }
}

/// An `otpauth://` key URI: a key with its issuer and account name, as an
/// authenticator app stores it.
///
/// Build one from a [`Totp`] or [`Hotp`] for enrollment, then show
/// [`to_uri`](Self::to_uri) as a QR code (feature `qr`); or
/// [`parse`](Self::parse) one that another system produced and turn it into
/// a [`Totp`] or [`Hotp`].
///
/// # What is written
///
/// `otpauth://totp/Issuer:Account?secret=…&issuer=Issuer`, then
/// `algorithm`, `digits` and `period` *only where they differ from the
/// defaults* SHA1, 6 and 30, then `counter` for HOTP (always). This is what
/// Google's own examples and `pyotp` write: an app that honours the
/// parameters and an app that ignores them both read the defaults from the
/// short form, so every app computes what the server verifies; the URI, and
/// so the QR code, stays as small as it can be. The label and every value
/// are percent-encoded per RFC 3986 (only `A–Z a–z 0–9 - . _ ~` are left as
/// they are; a space is `%20`, never `+`; non-ASCII text is UTF-8), and the
/// secret is upper-case Base32 without padding.
///
/// # Compatibility
///
/// SHA-1, 6 digits and 30 seconds (TOTP) are the only parameters every app
/// honours. Some apps (older Google Authenticator versions on Android among
/// them) silently ignore `algorithm`, `digits` and `period` and then show
/// codes the server never accepts; some support only TOTP. Other values are allowed,
/// and visible: [`is_universal`](Self::is_universal) tells, and
/// [`require_universal`](Self::require_universal) refuses them, for a
/// service that wants to be sure.
///
/// # Secrets
///
/// The URI holds the secret. [`Debug`](fmt::Debug) shows the secret's
/// length only, there is no `Display`, and [`to_uri`](Self::to_uri) returns
/// a string that is zeroized on drop.
///
/// ```
/// use mfa::{KeyUri, Secret, Totp, TotpConfig};
///
/// let secret = Secret::from_base32("JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")?;
/// let totp = Totp::new(&secret, TotpConfig::default())?;
/// let uri = KeyUri::totp(&totp, "Example Co", "alice@example.com")?.require_universal()?;
/// assert_eq!(
///     uri.to_uri().as_str(),
///     "otpauth://totp/Example%20Co:alice%40example.com?secret=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP&issuer=Example%20Co"
/// );
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KeyUri {
    otp_type: OtpType,
    secret: Secret,
    algorithm: Algorithm,
    digits: Digits,
    account: String,
    label_issuer: Option<String>,
    issuer_param: Option<String>,
    extra: Vec<(String, String)>,
}

impl KeyUri {
    /// The longest input [`parse`](Self::parse) and
    /// [`MigrationBatch::parse`] accept: 4 KiB, more than the largest QR
    /// code holds (2,953 bytes), so parsing allocates a bounded amount.
    pub const MAX_LEN: usize = 4_096;

    /// The longest TOTP period a key URI may have: 86,400 seconds, a day.
    /// A longer one is no second factor (`period=18446744073709551615`
    /// gives a code that never changes), so [`parse`](Self::parse) and
    /// [`totp`](Self::totp) refuse it with [`UriError::InvalidPeriod`].
    /// Only 30 seconds is [universal](Self::is_universal).
    ///
    /// ```
    /// use mfa::{KeyUri, UriError};
    ///
    /// let day = KeyUri::parse("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=86400")?;
    /// assert_eq!(day.period(), Some(KeyUri::MAX_PERIOD));
    /// assert!(!day.is_universal());
    /// assert_eq!(
    ///     KeyUri::parse("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=86401").unwrap_err(),
    ///     UriError::InvalidPeriod
    /// );
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub const MAX_PERIOD: u64 = 86_400;

    /// The URI of a TOTP key, with the issuer in both the label and the
    /// `issuer` parameter, as the Key URI format recommends.
    ///
    /// # Errors
    ///
    /// [`UriError::EmptyIssuer`], [`UriError::ColonInIssuer`],
    /// [`UriError::EmptyAccount`], [`UriError::ColonInAccount`],
    /// [`UriError::AccountStartsWithSpace`], [`UriError::NonZeroT0`] for a
    /// key whose T0 is not 0 (a key URI cannot say it), or
    /// [`UriError::InvalidPeriod`] for a period over
    /// [`MAX_PERIOD`](Self::MAX_PERIOD).
    ///
    /// ```
    /// use mfa::{Algorithm, Digits, KeyUri, Secret, Totp, TotpConfig, UriError};
    ///
    /// let secret = Secret::generate()?;
    /// let totp = Totp::new(&secret, TotpConfig::builder().digits(Digits::EIGHT).build()?)?;
    /// let uri = KeyUri::totp(&totp, "Example", "alice")?;
    /// assert!(uri.to_uri().contains("&digits=8"));
    /// assert!(!uri.is_universal()); // some apps would show 6 digits
    /// assert_eq!(KeyUri::totp(&totp, "Example", "a:b").unwrap_err(), UriError::ColonInAccount);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn totp(totp: &Totp, issuer: &str, account: &str) -> Result<Self, UriError> {
        let config = totp.config();
        if config.t0() != 0 {
            return Err(UriError::NonZeroT0);
        }
        if config.period() > Self::MAX_PERIOD {
            return Err(UriError::InvalidPeriod);
        }
        Self::build(
            OtpType::Totp {
                period: config.period(),
            },
            totp.secret(),
            config.algorithm(),
            config.digits(),
            issuer,
            account,
        )
    }

    /// The URI of an HOTP key, starting at `counter` (the next counter the
    /// server expects), with the issuer in both the label and the `issuer`
    /// parameter.
    ///
    /// # Errors
    ///
    /// As [`totp`](Self::totp), but for T0 and the period.
    ///
    /// ```
    /// use mfa::{Hotp, HotpConfig, KeyUri, Secret};
    ///
    /// let hotp = Hotp::new(&Secret::generate()?, HotpConfig::default())?;
    /// let uri = KeyUri::hotp(&hotp, 0, "Example", "alice")?;
    /// assert!(uri.to_uri().starts_with("otpauth://hotp/Example:alice?secret="));
    /// assert!(uri.to_uri().ends_with("&issuer=Example&counter=0"));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn hotp(hotp: &Hotp, counter: u64, issuer: &str, account: &str) -> Result<Self, UriError> {
        let config = hotp.config();
        Self::build(
            OtpType::Hotp { counter },
            hotp.secret(),
            config.algorithm(),
            config.digits(),
            issuer,
            account,
        )
    }

    fn build(
        otp_type: OtpType,
        secret: &Secret,
        algorithm: Algorithm,
        digits: Digits,
        issuer: &str,
        account: &str,
    ) -> Result<Self, UriError> {
        if issuer.is_empty() {
            return Err(UriError::EmptyIssuer);
        }
        if issuer.contains(':') {
            return Err(UriError::ColonInIssuer);
        }
        if account.is_empty() {
            return Err(UriError::EmptyAccount);
        }
        if account.contains(':') {
            return Err(UriError::ColonInAccount);
        }
        if account.starts_with(' ') {
            return Err(UriError::AccountStartsWithSpace);
        }
        Self {
            otp_type,
            secret: secret.clone(),
            algorithm,
            digits,
            account: account.to_string(),
            label_issuer: Some(issuer.to_string()),
            issuer_param: Some(issuer.to_string()),
            extra: Vec::new(),
        }
        .fitting()
    }

    /// The key, if the URI it writes is at most [`MAX_LEN`](Self::MAX_LEN)
    /// bytes: what it writes must parse back (a name of raw spaces read
    /// leniently is written three times as long, as `%20`).
    pub(crate) fn fitting(self) -> Result<Self, UriError> {
        let len = self.to_uri().len();
        if len > Self::MAX_LEN {
            return Err(UriError::TooLong {
                len,
                max: Self::MAX_LEN,
            });
        }
        Ok(self)
    }

    /// Adds a parameter the Key URI format does not define, such as
    /// FreeOTP's `image` (a logo URL), written after the others.
    ///
    /// # Errors
    ///
    /// [`UriError::ReservedParameter`] for a name the URI writes itself
    /// (`secret`, `issuer`, `algorithm`, `digits`, `period`, `counter`, in
    /// any case), [`UriError::EmptyParameterName`], [`UriError::Steam`] for
    /// `encoder=steam`, which would make apps show Steam Guard codes.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let uri = mfa::KeyUri::totp(&totp, "Example", "alice")?
    ///     .with_param("image", "https://example.com/logo.png")?;
    /// assert!(uri.to_uri().ends_with("&image=https%3A%2F%2Fexample.com%2Flogo.png"));
    /// assert_eq!(uri.extra_param("image"), Some("https://example.com/logo.png"));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn with_param(mut self, name: &str, value: &str) -> Result<Self, UriError> {
        if name.is_empty() {
            return Err(UriError::EmptyParameterName);
        }
        if let Some(known) = Param::from_name(name) {
            return Err(UriError::ReservedParameter { name: known.name() });
        }
        if parse::is_steam_encoder(name, value) {
            return Err(UriError::Steam);
        }
        self.extra.push((name.to_string(), value.to_string()));
        self.fitting()
    }

    /// Parses an `otpauth://` URI, as authenticator apps read it.
    ///
    /// Accepted:
    /// - `Issuer:Account`, `Issuer%3AAccount` (the separator may be
    ///   percent-encoded), spaces after the separator, no issuer at all, or
    ///   the issuer only as a parameter; the label is split at its *first*
    ///   colon and any later one belongs to the account
    ///   (`Example:alice@google.com:443`, as `pyotp`, Aegis and Google
    ///   Authenticator read it);
    /// - a `/` left unescaped inside the label (some writers, `pyotp`
    ///   included, leave it); non-ASCII characters not percent-encoded;
    /// - the scheme, the type, the parameter names and the algorithm in
    ///   any case; the secret in any case, with or without `=` padding,
    ///   with spaces or hyphens;
    /// - secrets of 80 bits or more, through
    ///   [`Secret::from_base32_legacy`]: real issuers still hand out
    ///   80-bit keys, so check `key.secret().is_short()` if you need 128;
    /// - an HOTP URI without `counter`, read as counter 0 (Google
    ///   Authenticator, FreeOTP, `pyotp` and otplib do the same);
    /// - parameters the format does not define (`image`, `color`, …), kept
    ///   in order in [`extra_params`](Self::extra_params);
    /// - a label issuer that differs from the `issuer` parameter (Microsoft
    ///   writes such URIs): both are kept, and [`issuer`](Self::issuer)
    ///   returns the parameter, as newer Google Authenticator versions do;
    /// - a parameter with an empty value is taken as absent (as `pyotp`
    ///   does); a fragment (`#…`) and ASCII whitespace around the URI are
    ///   ignored.
    ///
    /// In the query, `+` is a space (form encoding, as Android's `Uri`,
    /// Dart, `pyotp` and `totp-rs` read it: Aegis and ente Auth export
    /// `issuer=Air+Canada`); `%2B` is a plus sign. In the label, `+` is a
    /// plus sign, as in any URI path. A parameter that carries meaning may
    /// appear only once: apps disagree on which of two `secret`s or
    /// `digits` they use, so such a URI could show codes the server does
    /// not expect. `period` is ignored for HOTP and `counter` for TOTP.
    /// Steam Guard keys (`otpauth://steam/…` or `encoder=steam`) are
    /// refused: their codes are five characters of Steam's own alphabet,
    /// which this crate does not make.
    ///
    /// Parsing never panics, refuses inputs over [`MAX_LEN`](Self::MAX_LEN)
    /// bytes, and allocates no more than a few times the input's length.
    ///
    /// # Errors
    ///
    /// A [`UriError`] naming the problem: [`UriError::NotOtpauth`] (or
    /// [`UriError::MigrationUri`]), [`UriError::UnknownType`],
    /// [`UriError::Steam`], [`UriError::MissingSecret`],
    /// [`UriError::Secret`], [`UriError::UnknownAlgorithm`],
    /// [`UriError::InvalidDigits`], [`UriError::InvalidPeriod`] (0, or over
    /// [`MAX_PERIOD`](Self::MAX_PERIOD)), [`UriError::InvalidCounter`],
    /// [`UriError::InvalidPercentEncoding`], [`UriError::InvalidUtf8`],
    /// [`UriError::DuplicateParameter`] or [`UriError::TooLong`].
    ///
    /// ```
    /// use mfa::{Algorithm, KeyUri, OtpType};
    ///
    /// let key = KeyUri::parse(
    ///     "otpauth://totp/ACME%20Co%3A%20john.doe@email.com?secret=hxdmvjecjjwsrb3hwizr4ifugftmxboz\
    ///      &issuer=ACME%20Co&algorithm=sha256&digits=8&period=60&image=https://acme.example/logo.png",
    /// )?;
    /// assert_eq!(key.issuer(), Some("ACME Co"));
    /// assert_eq!(key.account(), "john.doe@email.com");
    /// assert_eq!(key.algorithm(), Algorithm::Sha256);
    /// assert_eq!(key.otp_type(), OtpType::Totp { period: 60 });
    /// assert_eq!(key.extra_param("image"), Some("https://acme.example/logo.png"));
    ///
    /// let totp = key.to_totp()?; // ready to make and check codes
    /// assert_eq!(totp.config().period(), 60);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn parse(uri: &str) -> Result<Self, UriError> {
        parse::parse(uri)
    }

    /// The type, and the period (TOTP) or counter (HOTP).
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let uri = mfa::KeyUri::totp(&totp, "Example", "alice")?;
    /// assert_eq!(uri.otp_type(), mfa::OtpType::Totp { period: 30 });
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn otp_type(&self) -> OtpType {
        self.otp_type
    }

    /// The secret. Check [`Secret::is_short`] on parsed keys: parsing
    /// accepts the 80-bit keys some issuers still hand out.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP")?;
    /// assert!(key.secret().is_short()); // 80 bits
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The hash function (default SHA-1).
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP")?;
    /// assert_eq!(key.algorithm(), mfa::Algorithm::Sha1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits (default 6).
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=8")?;
    /// assert_eq!(key.digits(), mfa::Digits::EIGHT);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn digits(&self) -> Digits {
        self.digits
    }

    /// The TOTP period in seconds, or `None` for HOTP.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP")?;
    /// assert_eq!(key.period(), Some(30));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn period(&self) -> Option<u64> {
        match self.otp_type {
            OtpType::Totp { period } => Some(period),
            OtpType::Hotp { .. } => None,
        }
    }

    /// The HOTP counter, or `None` for TOTP.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=3")?;
    /// assert_eq!(key.counter(), Some(3));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn counter(&self) -> Option<u64> {
        match self.otp_type {
            OtpType::Hotp { counter } => Some(counter),
            OtpType::Totp { .. } => None,
        }
    }

    /// The account name: the label after the issuer and its colon.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/Example:%20alice?secret=JBSWY3DPEHPK3PXP")?;
    /// assert_eq!(key.account(), "alice");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn account(&self) -> &str {
        &self.account
    }

    /// The issuer: the `issuer` parameter if there is one, otherwise the
    /// label's prefix. The parameter wins because newer apps (Google
    /// Authenticator among them) use it and older ones read only the
    /// label; see [`label_issuer`](Self::label_issuer) and
    /// [`issuer_param`](Self::issuer_param) for both.
    ///
    /// ```
    /// // A label issuer that differs from the parameter, as Microsoft writes.
    /// let key = mfa::KeyUri::parse(
    ///     "otpauth://totp/Contoso:alice@contoso.com?secret=JBSWY3DPEHPK3PXP&issuer=Microsoft",
    /// )?;
    /// assert_eq!(key.issuer(), Some("Microsoft"));
    /// assert_eq!(key.label_issuer(), Some("Contoso"));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn issuer(&self) -> Option<&str> {
        self.issuer_param
            .as_deref()
            .or(self.label_issuer.as_deref())
    }

    /// The issuer written before the colon in the label, if any.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&issuer=Example")?;
    /// assert_eq!(key.label_issuer(), None);
    /// assert_eq!(key.issuer(), Some("Example"));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn label_issuer(&self) -> Option<&str> {
        self.label_issuer.as_deref()
    }

    /// The `issuer` parameter, if any.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP")?;
    /// assert_eq!(key.issuer_param(), None);
    /// assert_eq!(key.issuer(), Some("Example"));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn issuer_param(&self) -> Option<&str> {
        self.issuer_param.as_deref()
    }

    /// The parameters the Key URI format does not define, decoded, in
    /// their order in the URI (repeats included).
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&color=ff0000&lock=false")?;
    /// let extra: Vec<_> = key.extra_params().collect();
    /// assert_eq!(extra, [("color", "ff0000"), ("lock", "false")]);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn extra_params(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.extra.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The first value of a parameter the Key URI format does not define.
    /// Names are compared exactly.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&image=https%3A%2F%2Fx.example%2Fi.png")?;
    /// assert_eq!(key.extra_param("image"), Some("https://x.example/i.png"));
    /// assert_eq!(key.extra_param("color"), None);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn extra_param(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }

    /// Whether every authenticator app reads this key as the server does:
    /// TOTP with SHA-1, 6 digits and a 30-second period. Any other period
    /// is not universal, as any other algorithm or number of digits: some
    /// apps ignore the parameter and show 30-second codes. HOTP is not
    /// universal (some apps support only TOTP).
    ///
    /// ```
    /// use mfa::{Algorithm, KeyUri, Secret, Totp, TotpConfig};
    ///
    /// let secret = Secret::generate()?;
    /// let sha256 = Totp::new(&secret, TotpConfig::builder().algorithm(Algorithm::Sha256).build()?)?;
    /// assert!(!KeyUri::totp(&sha256, "Example", "alice")?.is_universal());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn is_universal(&self) -> bool {
        self.otp_type == OtpType::Totp { period: 30 }
            && self.algorithm == Algorithm::Sha1
            && self.digits == Digits::SIX
    }

    /// Returns the key if it is [universal](Self::is_universal), for a
    /// service that wants to be sure every app shows the right codes.
    ///
    /// # Errors
    ///
    /// [`UriError::NotUniversal`] otherwise.
    ///
    /// ```
    /// use mfa::{KeyUri, Secret, Totp, TotpConfig, UriError};
    ///
    /// let secret = Secret::generate()?;
    /// let totp = Totp::new(&secret, TotpConfig::builder().period(60).build()?)?;
    /// let uri = KeyUri::totp(&totp, "Example", "alice")?;
    /// assert_eq!(uri.require_universal().unwrap_err(), UriError::NotUniversal);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn require_universal(self) -> Result<Self, UriError> {
        if self.is_universal() {
            Ok(self)
        } else {
            Err(UriError::NotUniversal)
        }
    }

    /// The URI text: it holds the secret, so it is zeroized on drop. Show
    /// it once (as a QR code) and do not log it.
    ///
    /// A parsed URI is written back with both issuers as they were, its
    /// parameters in canonical form and order, and its extra parameters
    /// at the end; parsing the result gives back an equal `KeyUri`.
    ///
    /// ```
    /// let text = "otpauth://totp/Example:alice?secret=jbsw%20y3dp%20ehpk%203pxp&issuer=Example&digits=6";
    /// let key = mfa::KeyUri::parse(text)?;
    /// assert_eq!(
    ///     key.to_uri().as_str(),
    ///     "otpauth://totp/Example:alice?secret=JBSWY3DPEHPK3PXP&issuer=Example"
    /// );
    /// assert_eq!(mfa::KeyUri::parse(&key.to_uri())?, key);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn to_uri(&self) -> Zeroizing<String> {
        let secret = self.secret.expose_base32();
        write_exact(|out| self.write_uri(out, &secret))
    }

    fn write_uri(&self, out: &mut dyn fmt::Write, secret: &str) -> fmt::Result {
        out.write_str(match self.otp_type {
            OtpType::Totp { .. } => "otpauth://totp/",
            OtpType::Hotp { .. } => "otpauth://hotp/",
        })?;
        if let Some(issuer) = &self.label_issuer {
            percent::encode(out, issuer)?;
            // A literal colon: `pyotp` splits the label only there.
            out.write_char(':')?;
        } else if self.account.contains(':') {
            // A parsed `:a:b` has no issuer and the account `a:b`; the
            // leading colon keeps it so when read back.
            out.write_char(':')?;
        }
        percent::encode(out, &self.account)?;
        // Base32 symbols are unreserved; nothing to encode.
        out.write_str("?secret=")?;
        out.write_str(secret)?;
        if let Some(issuer) = &self.issuer_param {
            out.write_str("&issuer=")?;
            percent::encode(out, issuer)?;
        }
        if self.algorithm != Algorithm::Sha1 {
            write!(out, "&algorithm={}", self.algorithm)?;
        }
        if self.digits != Digits::SIX {
            write!(out, "&digits={}", self.digits.get())?;
        }
        match self.otp_type {
            OtpType::Totp { period: 30 } => {}
            OtpType::Totp { period } => write!(out, "&period={period}")?,
            OtpType::Hotp { counter } => write!(out, "&counter={counter}")?,
        }
        for (name, value) in &self.extra {
            out.write_char('&')?;
            percent::encode(out, name)?;
            out.write_char('=')?;
            percent::encode(out, value)?;
        }
        Ok(())
    }

    /// The default [`TotpConfig`] with this key's algorithm, digits and
    /// period; to set the window or resynchronisation range, change it with
    /// [`to_builder`](TotpConfig::to_builder), then call [`Totp::new`].
    ///
    /// # Errors
    ///
    /// [`UriError::NotTotp`] for an HOTP key, [`UriError::Param`] if the
    /// parameters are out of range.
    ///
    /// ```
    /// use mfa::{KeyUri, Totp, Window};
    ///
    /// let key = KeyUri::parse("otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&period=60")?;
    /// let config = key.totp_config()?.to_builder().window(Window::EXACT).build()?;
    /// let totp = Totp::new(key.secret(), config)?;
    /// assert_eq!(totp.config().period(), 60);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn totp_config(&self) -> Result<TotpConfig, UriError> {
        match self.otp_type {
            OtpType::Totp { period } => TotpConfig::builder()
                .algorithm(self.algorithm)
                .digits(self.digits)
                .period(period)
                .build()
                .map_err(UriError::Param),
            OtpType::Hotp { .. } => Err(UriError::NotTotp),
        }
    }

    /// A ready [`Totp`] with this key's secret and parameters and the
    /// default window.
    ///
    /// # Errors
    ///
    /// [`UriError::NotTotp`] for an HOTP key.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://totp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&digits=8")?;
    /// assert_eq!(key.to_totp()?.generate(59)?.to_string(), "94287082"); // RFC 6238
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn to_totp(&self) -> Result<Totp, UriError> {
        Totp::new(&self.secret, self.totp_config()?).map_err(UriError::Param)
    }

    /// The default [`HotpConfig`] with this key's algorithm and digits.
    /// The counter is state to store, not configuration: read it with
    /// [`counter`](Self::counter).
    ///
    /// # Errors
    ///
    /// [`UriError::NotHotp`] for a TOTP key, [`UriError::Param`] if the
    /// parameters are out of range.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://hotp/alice?secret=JBSWY3DPEHPK3PXP&counter=0&digits=8")?;
    /// assert_eq!(key.hotp_config()?.digits(), mfa::Digits::EIGHT);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn hotp_config(&self) -> Result<HotpConfig, UriError> {
        match self.otp_type {
            OtpType::Hotp { .. } => HotpConfig::builder()
                .algorithm(self.algorithm)
                .digits(self.digits)
                .build()
                .map_err(UriError::Param),
            OtpType::Totp { .. } => Err(UriError::NotHotp),
        }
    }

    /// A ready [`Hotp`] with this key's secret and parameters and the
    /// default look-ahead; start verifying at [`counter`](Self::counter).
    ///
    /// # Errors
    ///
    /// [`UriError::NotHotp`] for a TOTP key.
    ///
    /// ```
    /// let key = mfa::KeyUri::parse("otpauth://hotp/alice?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=0")?;
    /// let hotp = key.to_hotp()?;
    /// assert_eq!(hotp.generate(key.counter().unwrap_or(0)).to_string(), "755224"); // RFC 4226
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn to_hotp(&self) -> Result<Hotp, UriError> {
        Hotp::new(&self.secret, self.hotp_config()?).map_err(UriError::Param)
    }
}

/// Counts the bytes written, to size a buffer exactly.
struct Counter(usize);

impl fmt::Write for Counter {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0 = self.0.saturating_add(s.len());
        Ok(())
    }
}

/// Runs `render` twice: once to measure, once into a string of exactly
/// that capacity, so text that holds a secret is never reallocated (which
/// would leave an unzeroized copy behind) and is zeroized on drop.
pub(crate) fn write_exact(
    render: impl Fn(&mut dyn fmt::Write) -> fmt::Result,
) -> Zeroizing<String> {
    let mut counter = Counter(0);
    // Neither a `Counter` nor a `String` ever fails to write, so the
    // results carry nothing.
    let _ = render(&mut counter);
    let mut out = Zeroizing::new(String::with_capacity(counter.0));
    let _ = render(&mut *out);
    out
}

#[cfg(test)]
mod tests;
