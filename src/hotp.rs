//! HOTP, the counter-based one-time password of RFC 4226.

use subtle::Choice;

use crate::algorithm::Algorithm;
use crate::code::{Code, Digits};
use crate::error::{ParamError, VerifyError};
use crate::mac::Keyed;
use crate::secret::Secret;

/// Parameters of an HOTP key and its verifier, checked: build one with
/// [`HotpConfig::builder`].
///
/// The default is SHA-1, 6 digits, a look-ahead of 5 counters (as
/// django-otp) and a resynchronisation range of 100 counters.
///
/// ```
/// use mfa::{Algorithm, Digits, HotpConfig};
///
/// let config = HotpConfig::builder()
///     .algorithm(Algorithm::Sha256)
///     .digits(Digits::EIGHT)
///     .look_ahead(3)
///     .build()?;
/// assert_eq!(config.look_ahead(), 3);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct HotpConfig {
    algorithm: Algorithm,
    digits: Digits,
    look_ahead: u8,
    resync: u32,
}

impl Default for HotpConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl HotpConfig {
    /// The largest look-ahead: 20 counters (21 candidates, the same work as
    /// the largest TOTP window).
    pub const MAX_LOOK_AHEAD: u8 = 20;
    /// The largest resynchronisation range: 1,000 counters.
    pub const MAX_RESYNC: u32 = 1_000;

    const DEFAULT: Self = Self {
        algorithm: Algorithm::Sha1,
        digits: Digits::SIX,
        look_ahead: 5,
        resync: 100,
    };

    /// A builder starting from the [default](Self::default) parameters.
    ///
    /// ```
    /// let config = mfa::HotpConfig::builder().look_ahead(2).build()?;
    /// assert_eq!((config.look_ahead(), config.resync()), (2, 100));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn builder() -> HotpConfigBuilder {
        HotpConfigBuilder {
            config: Self::DEFAULT,
        }
    }

    /// A builder starting from these parameters, to change some of them.
    ///
    /// ```
    /// let config = mfa::HotpConfig::default();
    /// let strict = config.to_builder().look_ahead(0).build()?;
    /// assert_eq!((strict.look_ahead(), strict.digits()), (0, config.digits()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn to_builder(&self) -> HotpConfigBuilder {
        HotpConfigBuilder { config: *self }
    }

    /// The hash function.
    ///
    /// ```
    /// assert_eq!(mfa::HotpConfig::default().algorithm(), mfa::Algorithm::Sha1);
    /// ```
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits.
    ///
    /// ```
    /// assert_eq!(mfa::HotpConfig::default().digits(), mfa::Digits::SIX);
    /// ```
    #[must_use]
    pub const fn digits(&self) -> Digits {
        self.digits
    }

    /// The look-ahead.
    ///
    /// ```
    /// assert_eq!(mfa::HotpConfig::default().look_ahead(), 5);
    /// ```
    #[must_use]
    pub const fn look_ahead(&self) -> u8 {
        self.look_ahead
    }

    /// The resynchronisation range.
    ///
    /// ```
    /// assert_eq!(mfa::HotpConfig::default().resync(), 100);
    /// ```
    #[must_use]
    pub const fn resync(&self) -> u32 {
        self.resync
    }

    const fn validate(&self) -> Result<(), ParamError> {
        if self.look_ahead > Self::MAX_LOOK_AHEAD {
            return Err(ParamError::LookAheadTooLarge {
                steps: self.look_ahead,
                max: Self::MAX_LOOK_AHEAD,
            });
        }
        if self.resync > Self::MAX_RESYNC {
            return Err(ParamError::ResyncTooLarge {
                steps: self.resync,
                max: Self::MAX_RESYNC,
            });
        }
        Ok(())
    }
}

/// Builds an [`HotpConfig`]: set what differs from the default, then
/// [`build`](Self::build), which checks the result.
///
/// ```
/// use mfa::{HotpConfig, HotpConfigBuilder, ParamError};
///
/// let builder: HotpConfigBuilder = HotpConfig::builder().look_ahead(10);
/// assert_eq!(builder.build()?.look_ahead(), 10);
/// assert_eq!(
///     builder.look_ahead(21).build(),
///     Err(ParamError::LookAheadTooLarge { steps: 21, max: 20 })
/// );
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HotpConfigBuilder {
    config: HotpConfig,
}

impl Default for HotpConfigBuilder {
    fn default() -> Self {
        HotpConfig::builder()
    }
}

impl HotpConfigBuilder {
    /// Sets the hash function.
    ///
    /// ```
    /// let c = mfa::HotpConfig::builder().algorithm(mfa::Algorithm::Sha512).build()?;
    /// assert_eq!(c.algorithm(), mfa::Algorithm::Sha512);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn algorithm(mut self, algorithm: Algorithm) -> Self {
        self.config.algorithm = algorithm;
        self
    }

    /// Sets the number of digits.
    ///
    /// ```
    /// let c = mfa::HotpConfig::builder().digits(mfa::Digits::EIGHT).build()?;
    /// assert_eq!(c.digits(), mfa::Digits::EIGHT);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn digits(mut self, digits: Digits) -> Self {
        self.config.digits = digits;
        self
    }

    /// Sets how many counters past the expected one a code may come from
    /// (RFC 4226 §7.4; keep it small). [`build`](Self::build) checks it
    /// against [`MAX_LOOK_AHEAD`](HotpConfig::MAX_LOOK_AHEAD).
    ///
    /// ```
    /// assert_eq!(mfa::HotpConfig::builder().look_ahead(0).build()?.look_ahead(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn look_ahead(mut self, counters: u8) -> Self {
        self.config.look_ahead = counters;
        self
    }

    /// Sets how far past the expected counter [`Hotp::resync`] searches.
    /// [`build`](Self::build) checks it against
    /// [`MAX_RESYNC`](HotpConfig::MAX_RESYNC).
    ///
    /// ```
    /// assert_eq!(mfa::HotpConfig::builder().resync(500).build()?.resync(), 500);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn resync(mut self, counters: u32) -> Self {
        self.config.resync = counters;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    ///
    /// [`ParamError::LookAheadTooLarge`], or [`ParamError::ResyncTooLarge`].
    ///
    /// ```
    /// use mfa::{HotpConfig, ParamError};
    ///
    /// assert!(HotpConfig::builder().resync(HotpConfig::MAX_RESYNC).build().is_ok());
    /// assert_eq!(
    ///     HotpConfig::builder().resync(1_001).build(),
    ///     Err(ParamError::ResyncTooLarge { steps: 1_001, max: 1_000 })
    /// );
    /// ```
    pub const fn build(self) -> Result<HotpConfig, ParamError> {
        match self.config.validate() {
            Ok(()) => Ok(self.config),
            Err(e) => Err(e),
        }
    }
}

/// An accepted HOTP code: the counter it was made with.
///
/// Store [`counter`](Self::counter) as the last used counter and pass it to
/// the next [`Hotp::verify`], so that neither this code nor any earlier one
/// is accepted again (RFC 4226 §7.2). This is the same convention as
/// [`Totp::verify`](crate::Totp::verify) and its last step.
///
/// ```
/// use mfa::{Hotp, HotpConfig, Secret};
///
/// let hotp = Hotp::new(&Secret::from_bytes(b"12345678901234567890")?, HotpConfig::default())?;
/// let m = hotp.verify("359152", None)?; // RFC 4226 Appendix D, counter 2
/// assert_eq!((m.counter, m.offset), (2, 2));
/// assert!(hotp.verify("359152", Some(m.counter)).is_err()); // replay
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HotpMatch {
    /// The counter the code was made with: store it as the last used one.
    pub counter: u64,
    /// How many counters past the first acceptable one it was.
    pub offset: u64,
}

/// An HOTP key (RFC 4226): makes and checks counter-based codes.
///
/// The HMAC key schedule is computed once in [`Hotp::new`], and the derived
/// state is zeroized on drop. Making or checking a code does not allocate.
///
/// ```
/// use mfa::{Hotp, HotpConfig, Secret};
///
/// let secret = Secret::from_bytes(b"12345678901234567890")?;
/// let hotp = Hotp::new(&secret, HotpConfig::default())?;
/// assert_eq!(hotp.generate(0).to_string(), "755224"); // RFC 4226 Appendix D
///
/// // The server stores the last used counter; a code a few presses ahead
/// // is accepted, and becomes the last used counter.
/// let used = hotp.verify("969429", Some(0))?.counter;
/// assert_eq!(used, 3);
/// assert!(hotp.verify("338314", Some(used)).is_ok()); // counter 4
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Hotp {
    mac: Keyed,
    secret: Secret,
    config: HotpConfig,
}

impl Hotp {
    /// Builds an HOTP key and runs the HMAC key schedule.
    ///
    /// # Errors
    ///
    /// [`ParamError`] for a look-ahead or resynchronisation range over its
    /// maximum; an [`HotpConfig`] is checked when it is built or
    /// deserialized, so this check only repeats that one.
    ///
    /// ```
    /// use mfa::{Hotp, HotpConfig, Secret};
    ///
    /// let secret = Secret::from_bytes(b"12345678901234567890")?;
    /// let hotp = Hotp::new(&secret, HotpConfig::builder().look_ahead(0).build()?)?;
    /// assert!(hotp.verify("287082", None).is_err()); // counter 1, past the look-ahead
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn new(secret: &Secret, config: HotpConfig) -> Result<Self, ParamError> {
        config.validate()?;
        Ok(Self {
            mac: Keyed::new(secret, config.algorithm),
            secret: secret.clone(),
            config,
        })
    }

    /// The secret, for building an `otpauth://` URI or storing the key.
    ///
    /// ```
    /// # let secret = mfa::Secret::generate()?;
    /// let key = mfa::Hotp::new(&secret, mfa::HotpConfig::default())?;
    /// assert_eq!(key.secret(), &secret);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn secret(&self) -> &Secret {
        &self.secret
    }

    /// The parameters.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// assert_eq!(hotp.config().digits(), mfa::Digits::SIX);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn config(&self) -> &HotpConfig {
        &self.config
    }

    /// The code for `counter`. Any `u64` is valid.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::from_bytes(b"12345678901234567890")?, mfa::HotpConfig::default())?;
    /// assert_eq!(hotp.generate(9).to_string(), "520489");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn generate(&self, counter: u64) -> Code {
        Code::new(
            self.mac.code(counter, self.config.digits),
            self.config.digits,
        )
    }

    /// Checks `input` against the counters after `last_counter` (the
    /// [`HotpMatch::counter`] of the last success, `None` if there was none):
    /// the next one and up to `look_ahead` more (RFC 4226 §7.4).
    ///
    /// Every candidate is computed and compared in constant time, with no
    /// early exit.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Malformed`] if the input is not a code of the right
    /// length (no HMAC is computed), otherwise [`VerifyError::Rejected`].
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::from_bytes(b"12345678901234567890")?, mfa::HotpConfig::default())?;
    /// assert!(hotp.verify("755224", None).is_ok()); // counter 0
    /// assert_eq!(hotp.verify("755224", Some(0)), Err(mfa::VerifyError::Rejected)); // used
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn verify(&self, input: &str, last_counter: Option<u64>) -> Result<HotpMatch, VerifyError> {
        let code = Code::parse(input, self.config.digits)?;
        let range = after(last_counter, self.config.look_ahead.into());
        let (found, matched) = self.mac.scan(range, self.config.digits, code.value(), None);
        accept(found, matched, range.0)
    }

    /// Resynchronises a counter that fell far behind (RFC 4226 §7.4): finds
    /// two consecutive codes, `first` then `second`, within the configured
    /// resynchronisation range after `last_counter`, and returns the match
    /// of `second`. Store its counter as the last used one.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify).
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::from_bytes(b"12345678901234567890")?, mfa::HotpConfig::default())?;
    /// // RFC 4226 Appendix D, counters 7 and 8, found from the start.
    /// let m = hotp.resync("162583", "399871", None)?;
    /// assert_eq!(m.counter, 8);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn resync(
        &self,
        first: &str,
        second: &str,
        last_counter: Option<u64>,
    ) -> Result<HotpMatch, VerifyError> {
        let digits = self.config.digits;
        let first = Code::parse(first, digits)?;
        let second = Code::parse(second, digits)?;
        let range = after(last_counter, self.config.resync.into());
        let (found, matched) =
            self.mac
                .scan_pair(range, digits, (first.value(), second.value()), None);
        accept(found, matched, range.0)
    }
}

/// The counters after `last_counter`: the next one and `span` more, clamped
/// to `u64`. After `u64::MAX` nothing is left: the range comes back empty
/// (`first > last`).
const fn after(last_counter: Option<u64>, span: u64) -> (u64, u64) {
    let first = match last_counter {
        None => 0,
        Some(last) => match last.checked_add(1) {
            Some(next) => next,
            None => return (u64::MAX, u64::MAX - 1),
        },
    };
    (first, first.saturating_add(span))
}

fn accept(found: Choice, counter: u64, expected: u64) -> Result<HotpMatch, VerifyError> {
    if bool::from(found) {
        Ok(HotpMatch {
            counter,
            offset: counter.saturating_sub(expected),
        })
    } else {
        Err(VerifyError::Rejected)
    }
}

/// Deserializes `{algorithm, digits, look_ahead, resync}`, every field
/// required, and validates it as [`Hotp::new`] does.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for HotpConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename = "HotpConfig", deny_unknown_fields)]
        struct Fields {
            algorithm: Algorithm,
            digits: Digits,
            look_ahead: u8,
            resync: u32,
        }
        let f = <Fields as serde::Deserialize>::deserialize(deserializer)?;
        let config = Self {
            algorithm: f.algorithm,
            digits: f.digits,
            look_ahead: f.look_ahead,
            resync: f.resync,
        };
        config.validate().map_err(serde::de::Error::custom)?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The builder sets every field, each getter reads its own, and a
    /// configuration goes back to a builder unchanged.
    #[test]
    fn builder_and_getters_carry_every_field() {
        let config = HotpConfig::builder()
            .algorithm(Algorithm::Sha256)
            .digits(Digits::SEVEN)
            .look_ahead(3)
            .resync(40)
            .build()
            .expect("valid parameters");
        assert_eq!(config.algorithm(), Algorithm::Sha256);
        assert_eq!(config.digits(), Digits::SEVEN);
        assert_eq!(config.look_ahead(), 3);
        assert_eq!(config.resync(), 40);
        assert_eq!(config.to_builder().build(), Ok(config));
    }

    /// A deserialized configuration keeps every field and is validated.
    #[cfg(feature = "serde")]
    #[test]
    fn deserialize_keeps_every_field_and_validates() {
        let config = HotpConfig {
            algorithm: Algorithm::Sha256,
            digits: Digits::SEVEN,
            look_ahead: 3,
            resync: 40,
        };
        let json = serde_json::to_value(config).expect("serializes");
        assert_eq!(
            serde_json::from_value::<HotpConfig>(json.clone()).ok(),
            Some(config)
        );
        for (field, bad) in [("look_ahead", 21), ("resync", 1_001)] {
            let mut edited = json.clone();
            edited[field] = bad.into();
            assert!(
                serde_json::from_value::<HotpConfig>(edited).is_err(),
                "{field}"
            );
        }
    }
}
