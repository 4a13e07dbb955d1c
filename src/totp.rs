//! TOTP, the time-based one-time password of RFC 6238.

use subtle::Choice;

use crate::algorithm::Algorithm;
use crate::code::{Code, Digits};
use crate::error::{ParamError, TimeError, VerifyError};
use crate::mac::Keyed;
use crate::secret::Secret;
use crate::window::Window;

/// Parameters of a TOTP key and its verifier, checked: build one with
/// [`TotpConfig::builder`].
///
/// The default is the profile every authenticator app supports: SHA-1,
/// 6 digits, 30-second steps from T0 = 0, a window of one step each way
/// (RFC 6238 §5.2), and a resynchronisation range of 120 steps each way
/// (an hour at 30 s).
///
/// ```
/// use mfa::{Algorithm, Digits, TotpConfig, Window};
///
/// let config = TotpConfig::builder()
///     .algorithm(Algorithm::Sha256)
///     .digits(Digits::EIGHT)
///     .period(60)
///     .window(Window::new(2, 1)?)
///     .build()?;
/// assert_eq!(config.period(), 60);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct TotpConfig {
    algorithm: Algorithm,
    digits: Digits,
    period: u64,
    t0: u64,
    window: Window,
    resync: u32,
}

impl Default for TotpConfig {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl TotpConfig {
    /// The largest resynchronisation range: 2,880 steps each way (a day at
    /// 30 s, enough for a phone set to the wrong time zone).
    pub const MAX_RESYNC: u32 = 2_880;

    const DEFAULT: Self = Self {
        algorithm: Algorithm::Sha1,
        digits: Digits::SIX,
        period: 30,
        t0: 0,
        window: Window::DEFAULT,
        resync: 120,
    };

    /// A builder starting from the [default](Self::default) parameters.
    ///
    /// ```
    /// let config = mfa::TotpConfig::builder().period(60).build()?;
    /// assert_eq!((config.period(), config.digits()), (60, mfa::Digits::SIX));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn builder() -> TotpConfigBuilder {
        TotpConfigBuilder {
            config: Self::DEFAULT,
        }
    }

    /// A builder starting from these parameters, to change some of them.
    ///
    /// ```
    /// let config = mfa::TotpConfig::default();
    /// let slower = config.to_builder().period(60).build()?;
    /// assert_eq!((slower.period(), slower.t0()), (60, config.t0()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn to_builder(&self) -> TotpConfigBuilder {
        TotpConfigBuilder { config: *self }
    }

    /// The hash function.
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::default().algorithm(), mfa::Algorithm::Sha1);
    /// ```
    #[must_use]
    pub const fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The number of digits.
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::default().digits(), mfa::Digits::SIX);
    /// ```
    #[must_use]
    pub const fn digits(&self) -> Digits {
        self.digits
    }

    /// The step length in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::default().period(), 30);
    /// ```
    #[must_use]
    pub const fn period(&self) -> u64 {
        self.period
    }

    /// T0 in Unix seconds.
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::default().t0(), 0);
    /// ```
    #[must_use]
    pub const fn t0(&self) -> u64 {
        self.t0
    }

    /// The verification window.
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::default().window(), mfa::Window::default());
    /// ```
    #[must_use]
    pub const fn window(&self) -> Window {
        self.window
    }

    /// The resynchronisation range.
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::default().resync(), 120);
    /// ```
    #[must_use]
    pub const fn resync(&self) -> u32 {
        self.resync
    }

    /// Whether these are the parameters every authenticator app honours:
    /// SHA-1, 6 digits, 30 seconds, T0 = 0. Some apps (older Google
    /// Authenticator among them) silently ignore other values and show
    /// codes the server will never accept.
    ///
    /// ```
    /// use mfa::{Digits, TotpConfig};
    ///
    /// assert!(TotpConfig::default().is_universal());
    /// assert!(!TotpConfig::builder().digits(Digits::EIGHT).build()?.is_universal());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn is_universal(&self) -> bool {
        self.algorithm == Algorithm::Sha1
            && self.digits == Digits::SIX
            && self.period == 30
            && self.t0 == 0
    }

    const fn validate(&self) -> Result<(), ParamError> {
        if self.period == 0 {
            return Err(ParamError::ZeroPeriod);
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

/// Builds a [`TotpConfig`]: set what differs from the default, then
/// [`build`](Self::build), which checks the result.
///
/// ```
/// use mfa::{Algorithm, ParamError, TotpConfig, TotpConfigBuilder};
///
/// let builder: TotpConfigBuilder = TotpConfig::builder().algorithm(Algorithm::Sha512);
/// assert_eq!(builder.build()?.algorithm(), Algorithm::Sha512);
/// assert_eq!(builder.period(0).build(), Err(ParamError::ZeroPeriod));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpConfigBuilder {
    config: TotpConfig,
}

impl Default for TotpConfigBuilder {
    fn default() -> Self {
        TotpConfig::builder()
    }
}

impl TotpConfigBuilder {
    /// Sets the hash function.
    ///
    /// ```
    /// let c = mfa::TotpConfig::builder().algorithm(mfa::Algorithm::Sha512).build()?;
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
    /// let c = mfa::TotpConfig::builder().digits(mfa::Digits::EIGHT).build()?;
    /// assert_eq!(c.digits(), mfa::Digits::EIGHT);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn digits(mut self, digits: Digits) -> Self {
        self.config.digits = digits;
        self
    }

    /// Sets the step length X in seconds; [`build`](Self::build) refuses 0.
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::builder().period(60).build()?.period(), 60);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn period(mut self, seconds: u64) -> Self {
        self.config.period = seconds;
        self
    }

    /// Sets T0, the Unix time at which step 0 starts.
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::builder().t0(100).build()?.t0(), 100);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn t0(mut self, unix_seconds: u64) -> Self {
        self.config.t0 = unix_seconds;
        self
    }

    /// Sets the verification window.
    ///
    /// ```
    /// let c = mfa::TotpConfig::builder().window(mfa::Window::EXACT).build()?;
    /// assert_eq!(c.window(), mfa::Window::EXACT);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn window(mut self, window: Window) -> Self {
        self.config.window = window;
        self
    }

    /// Sets how many steps each way from now [`Totp::resync`] searches.
    /// [`build`](Self::build) checks it against
    /// [`MAX_RESYNC`](TotpConfig::MAX_RESYNC).
    ///
    /// ```
    /// assert_eq!(mfa::TotpConfig::builder().resync(240).build()?.resync(), 240);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn resync(mut self, steps: u32) -> Self {
        self.config.resync = steps;
        self
    }

    /// The checked parameters.
    ///
    /// # Errors
    ///
    /// [`ParamError::ZeroPeriod`], or [`ParamError::ResyncTooLarge`].
    ///
    /// ```
    /// use mfa::{ParamError, TotpConfig};
    ///
    /// assert!(TotpConfig::builder().resync(TotpConfig::MAX_RESYNC).build().is_ok());
    /// assert_eq!(
    ///     TotpConfig::builder().resync(TotpConfig::MAX_RESYNC + 1).build(),
    ///     Err(ParamError::ResyncTooLarge { steps: 2_881, max: 2_880 })
    /// );
    /// ```
    pub const fn build(self) -> Result<TotpConfig, ParamError> {
        match self.config.validate() {
            Ok(()) => Ok(self.config),
            Err(e) => Err(e),
        }
    }
}

/// An accepted TOTP code.
///
/// Store [`step`](Self::step) as the last accepted step, so that neither
/// this code nor any earlier one is accepted again (RFC 6238 §5.2).
/// [`offset`](Self::offset) is how many steps the code was from "now": the
/// drift to record and apply next time (RFC 6238 §6).
///
/// ```
/// use mfa::{Secret, Totp, TotpConfig};
///
/// let totp = Totp::new(&Secret::generate()?, TotpConfig::default())?;
/// let code = totp.generate(1_000_000 - 30)?.to_string(); // one step old
/// let m = totp.verify(&code, 1_000_000, None)?;
/// assert_eq!((m.step, m.offset), (1_000_000 / 30 - 1, -1));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TotpMatch {
    /// The time step the code was made for.
    pub step: u64,
    /// `step` minus the step of the verification time (not counting any
    /// drift passed in): negative if the code was old or the phone is slow.
    pub offset: i64,
}

/// A TOTP key (RFC 6238): makes and checks time-based codes.
///
/// The HMAC key schedule is computed once in [`Totp::new`], and the derived
/// state is zeroized on drop. Making or checking a code does not allocate.
///
/// ```
/// use mfa::{Secret, Totp, TotpConfig};
///
/// let secret = Secret::generate()?;
/// let totp = Totp::new(&secret, TotpConfig::default())?;
///
/// let now = 1_700_000_000;
/// let typed = totp.generate(now)?.to_string();    // what the app shows
/// let accepted = totp.verify(&typed, now, None)?; // None: no code used yet
/// // Persist `accepted.step`; pass it as the last step next time.
/// assert!(totp.verify(&typed, now, Some(accepted.step)).is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Totp {
    mac: Keyed,
    secret: Secret,
    config: TotpConfig,
}

impl Totp {
    /// Builds a TOTP key and runs the HMAC key schedule.
    ///
    /// # Errors
    ///
    /// [`ParamError::ZeroPeriod`], or [`ParamError::ResyncTooLarge`]; a
    /// [`TotpConfig`] is checked when it is built or deserialized, so this
    /// check only repeats that one.
    ///
    /// ```
    /// use mfa::{Secret, Totp, TotpConfig};
    ///
    /// let secret = Secret::generate()?;
    /// let totp = Totp::new(&secret, TotpConfig::builder().period(60).build()?)?;
    /// assert_eq!(totp.step_at(120)?, 2);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn new(secret: &Secret, config: TotpConfig) -> Result<Self, ParamError> {
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
    /// let key = mfa::Totp::new(&secret, mfa::TotpConfig::default())?;
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
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(totp.config().period(), 30);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn config(&self) -> &TotpConfig {
        &self.config
    }

    /// The time step of a Unix time: `floor((time - T0) / X)`.
    ///
    /// # Errors
    ///
    /// [`TimeError::BeforeT0`] for a time before T0.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(totp.step_at(59)?, 1);
    /// assert_eq!(totp.step_at(u64::MAX)?, u64::MAX / 30);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub const fn step_at(&self, unix_time: u64) -> Result<u64, TimeError> {
        match unix_time.checked_sub(self.config.t0) {
            // `validate` refuses a zero period.
            Some(elapsed) => match elapsed.checked_div(self.config.period) {
                Some(step) => Ok(step),
                None => Ok(0),
            },
            None => Err(TimeError::BeforeT0),
        }
    }

    /// The code at a Unix time.
    ///
    /// # Errors
    ///
    /// [`TimeError::BeforeT0`] for a time before T0.
    ///
    /// ```
    /// use mfa::{Digits, Secret, Totp, TotpConfig};
    ///
    /// let secret = Secret::from_bytes(b"12345678901234567890")?;
    /// let totp = Totp::new(&secret, TotpConfig::builder().digits(Digits::EIGHT).build()?)?;
    /// assert_eq!(totp.generate(59)?.to_string(), "94287082"); // RFC 6238 Appendix B
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn generate(&self, unix_time: u64) -> Result<Code, TimeError> {
        Ok(self.generate_at_step(self.step_at(unix_time)?))
    }

    /// The code of a time step. Any `u64` is valid.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(totp.generate_at_step(1), totp.generate(30)?);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn generate_at_step(&self, step: u64) -> Code {
        Code::new(self.mac.code(step, self.config.digits), self.config.digits)
    }

    /// Checks what the user typed against the steps of the window around
    /// `now`.
    ///
    /// `last_step` is the step of the last accepted code (`None` if there
    /// was none): that step and every earlier one never match, even inside
    /// the window (RFC 6238 §5.2). The bound is applied inside the
    /// constant-time scan: every candidate is computed and compared, with no
    /// early exit, and the only outcome is accept or reject.
    ///
    /// # Errors
    ///
    /// [`VerifyError::Malformed`] if the input is not a code of the right
    /// length (no HMAC is computed), [`VerifyError::Time`] for a time before
    /// T0, otherwise [`VerifyError::Rejected`].
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let code = totp.generate(1_000)?.to_string();
    /// assert_eq!(totp.verify(&code, 1_000 + 30, None)?.offset, -1);
    /// assert!(totp.verify(&code, 1_000 + 60, None).is_err()); // outside the window
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn verify(
        &self,
        input: &str,
        now: u64,
        last_step: Option<u64>,
    ) -> Result<TotpMatch, VerifyError> {
        self.verify_with_drift(input, now, 0, last_step)
    }

    /// [`verify`](Self::verify) with the window centred `drift` steps away
    /// from now: the offset recorded after earlier successes (RFC 6238 §6).
    /// The returned offset is still relative to now, so it is the new drift
    /// to record.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify).
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// // The user's phone runs three steps behind.
    /// let code = totp.generate(10_000 - 90)?.to_string();
    /// assert!(totp.verify(&code, 10_000, None).is_err());
    /// assert_eq!(totp.verify_with_drift(&code, 10_000, -3, None)?.offset, -3);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[inline]
    pub fn verify_with_drift(
        &self,
        input: &str,
        now: u64,
        drift: i64,
        last_step: Option<u64>,
    ) -> Result<TotpMatch, VerifyError> {
        let code = Code::parse(input, self.config.digits)?;
        let now_step = self.step_at(now)?;
        let window = self.config.window;
        let center = i128::from(now_step).saturating_add(i128::from(drift));
        let (first, last) = step_range(
            center.saturating_sub(i128::from(window.behind())),
            center.saturating_add(i128::from(window.ahead())),
        );
        // An empty range (the window lies wholly outside 0..=u64::MAX)
        // has `first > last` and scans nothing.
        let (found, matched) =
            self.mac
                .scan((first, last), self.config.digits, code.value(), last_step);
        accept(found, matched, now_step)
    }

    /// Whether `input` is the code of a step *behind* every window: from
    /// the step of `now` minus the resynchronisation range
    /// ([`TotpConfig::resync`]) up to the step just before the oldest of
    /// the windows around now and around now plus `drift`, and after
    /// `last_step`. For the message of a rejected code ("this code looks
    /// old: check your phone's time"): it accepts nothing. Every candidate
    /// is computed and compared as in [`verify`](Self::verify), with no
    /// early exit; the count depends only on the (public) configuration,
    /// drift and times.
    ///
    /// Only steps below every window are searched, never above the lowest
    /// one: a guess that matches a later step would become valid once a
    /// window reaches it, so telling the guesser so would let them wait and
    /// win. That holds for a step between the two windows too (with a
    /// negative drift, the window around now plus the drift moves up onto
    /// it). Windows only move up, and the step a success consumes is in
    /// one, so a step below them all never becomes valid: saying that its
    /// code is old gives nothing away that can be used.
    pub(crate) fn behind_window(
        &self,
        input: &str,
        now: u64,
        drift: i64,
        last_step: Option<u64>,
    ) -> bool {
        let (Ok(code), Ok(now_step)) = (Code::parse(input, self.config.digits), self.step_at(now))
        else {
            return false;
        };
        let now_step = i128::from(now_step);
        let lowest = now_step.saturating_add(i128::from(drift.min(0)));
        let (first, last) = step_range(
            now_step.saturating_sub(i128::from(self.config.resync)),
            lowest
                .saturating_sub(i128::from(self.config.window.behind()))
                .saturating_sub(1),
        );
        let (found, _) = self
            .mac
            .scan((first, last), self.config.digits, code.value(), last_step);
        bool::from(found)
    }

    /// Resynchronises a phone whose clock is far off: finds two consecutive
    /// codes, `first` then `second`, within the configured resynchronisation
    /// range of now, and returns the match of `second`, whose offset is the
    /// drift to record (the "resync MFA device" of cloud consoles; RFC 6238
    /// §6). Store its step as the last accepted step.
    ///
    /// Every candidate is computed and compared in constant time.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify).
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// // The phone is 20 minutes (40 steps) fast.
    /// let now = 1_700_000_000;
    /// let first = totp.generate(now + 1_200)?.to_string();
    /// let second = totp.generate(now + 1_230)?.to_string();
    /// assert_eq!(totp.resync(&first, &second, now, None)?.offset, 41);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn resync(
        &self,
        first: &str,
        second: &str,
        now: u64,
        last_step: Option<u64>,
    ) -> Result<TotpMatch, VerifyError> {
        let digits = self.config.digits;
        let first = Code::parse(first, digits)?;
        let second = Code::parse(second, digits)?;
        let now_step = self.step_at(now)?;
        let range = i128::from(self.config.resync);
        let center = i128::from(now_step);
        let (lo, hi) = step_range(center.saturating_sub(range), center.saturating_add(range));
        let (found, matched) =
            self.mac
                .scan_pair((lo, hi), digits, (first.value(), second.value()), last_step);
        accept(found, matched, now_step)
    }
}

#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
impl Totp {
    /// [`generate`](Self::generate) at the system clock's time.
    ///
    /// # Errors
    ///
    /// [`TimeError`] if the clock is before the Unix epoch or T0.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let code = totp.generate_now()?;
    /// assert_eq!(code.to_string().len(), 6);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn generate_now(&self) -> Result<Code, TimeError> {
        self.generate(crate::unix_now()?)
    }

    /// [`verify`](Self::verify) at the system clock's time.
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify).
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let code = totp.generate_now()?.to_string();
    /// assert!(totp.verify_now(&code, None).is_ok());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn verify_now(
        &self,
        input: &str,
        last_step: Option<u64>,
    ) -> Result<TotpMatch, VerifyError> {
        self.verify(input, crate::unix_now()?, last_step)
    }

    /// The current time step by the system clock.
    ///
    /// # Errors
    ///
    /// [`TimeError`] if the clock is before the Unix epoch or T0.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert!(totp.step_now()? > 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn step_now(&self) -> Result<u64, TimeError> {
        self.step_at(crate::unix_now()?)
    }
}

/// Clamps an inclusive range of steps to `0..=u64::MAX`. A range wholly
/// outside comes back with `first > last`.
fn step_range(first: i128, last: i128) -> (u64, u64) {
    let clamp = |s: i128| u64::try_from(s.clamp(0, i128::from(u64::MAX))).unwrap_or(u64::MAX);
    if last < 0 {
        return (1, 0);
    }
    if first > i128::from(u64::MAX) {
        return (u64::MAX, u64::MAX - 1);
    }
    (clamp(first), clamp(last))
}

fn accept(found: Choice, step: u64, now_step: u64) -> Result<TotpMatch, VerifyError> {
    if bool::from(found) {
        let offset = i128::from(step).saturating_sub(i128::from(now_step));
        Ok(TotpMatch {
            step,
            offset: i64::try_from(offset).unwrap_or(if offset < 0 { i64::MIN } else { i64::MAX }),
        })
    } else {
        Err(VerifyError::Rejected)
    }
}

/// Deserializes `{algorithm, digits, period, t0, window, resync}`, every
/// field required, and validates it as [`Totp::new`] does.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for TotpConfig {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename = "TotpConfig", deny_unknown_fields)]
        struct Fields {
            algorithm: Algorithm,
            digits: Digits,
            period: u64,
            t0: u64,
            window: Window,
            resync: u32,
        }
        let f = <Fields as serde::Deserialize>::deserialize(deserializer)?;
        let config = Self {
            algorithm: f.algorithm,
            digits: f.digits,
            period: f.period,
            t0: f.t0,
            window: f.window,
            resync: f.resync,
        };
        config.validate().map_err(serde::de::Error::custom)?;
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MAX: i128 = u64::MAX as i128;

    /// The range is clamped to `0..=u64::MAX`, and empty (`first > last`)
    /// when it lies wholly outside, at both ends and one step either side.
    #[test]
    fn step_range_clamps_and_empties() {
        assert_eq!(step_range(-5, -3), (1, 0));
        assert_eq!(step_range(-2, -1), (1, 0));
        assert_eq!(step_range(-1, 0), (0, 0));
        assert_eq!(step_range(-1, 1), (0, 1));
        assert_eq!(step_range(4, 6), (4, 6));
        assert_eq!(step_range(MAX - 1, MAX + 1), (u64::MAX - 1, u64::MAX));
        assert_eq!(step_range(MAX, MAX + 2), (u64::MAX, u64::MAX));
        assert_eq!(step_range(MAX + 1, MAX + 3), (u64::MAX, u64::MAX - 1));
        assert_eq!(step_range(MAX + 2, MAX + 4), (u64::MAX, u64::MAX - 1));
    }

    /// The offset is the matched step minus now's, saturated to `i64` in
    /// the right direction; no match is a rejection.
    #[test]
    fn accept_saturates_the_offset() {
        let yes = Choice::from(1);
        let m = |step, now| accept(yes, step, now).map(|m| (m.step, m.offset));
        assert_eq!(m(7, 5), Ok((7, 2)));
        assert_eq!(m(5, 7), Ok((5, -2)));
        assert_eq!(m(9, 9), Ok((9, 0)));
        assert_eq!(m(u64::MAX, 0), Ok((u64::MAX, i64::MAX)));
        assert_eq!(m(0, u64::MAX), Ok((0, i64::MIN)));
        assert_eq!(
            accept(Choice::from(0), 7, 5).map(|m| m.step),
            Err(VerifyError::Rejected)
        );
    }

    /// Universal is exactly SHA-1, 6 digits, 30 s from T0 = 0; the window
    /// and the resynchronisation range do not matter.
    #[test]
    fn universal_is_the_default_profile_only() {
        let default = TotpConfig::default();
        assert!(default.is_universal());
        let wide = TotpConfig {
            window: Window::new(3, 2).expect("a valid window"),
            resync: 7,
            ..default
        };
        assert!(wide.is_universal());
        for other in [
            TotpConfig {
                algorithm: Algorithm::Sha256,
                ..default
            },
            TotpConfig {
                digits: Digits::EIGHT,
                ..default
            },
            TotpConfig {
                period: 60,
                ..default
            },
            TotpConfig { t0: 1, ..default },
        ] {
            assert!(!other.is_universal(), "{other:?}");
        }
    }

    /// The builder sets every field, each getter reads its own, and a
    /// configuration goes back to a builder unchanged.
    #[test]
    fn builder_and_getters_carry_every_field() {
        let window = Window::new(2, 1).expect("a valid window");
        let config = TotpConfig::builder()
            .algorithm(Algorithm::Sha512)
            .digits(Digits::EIGHT)
            .period(60)
            .t0(5)
            .window(window)
            .resync(9)
            .build()
            .expect("valid parameters");
        assert_eq!(config.algorithm(), Algorithm::Sha512);
        assert_eq!(config.digits(), Digits::EIGHT);
        assert_eq!(config.period(), 60);
        assert_eq!(config.t0(), 5);
        assert_eq!(config.window(), window);
        assert_eq!(config.resync(), 9);
        assert_eq!(config.to_builder().build(), Ok(config));
    }

    /// A deserialized configuration keeps every field and is validated.
    #[cfg(feature = "serde")]
    #[test]
    fn deserialize_keeps_every_field_and_validates() {
        let config = TotpConfig {
            algorithm: Algorithm::Sha512,
            digits: Digits::EIGHT,
            period: 60,
            t0: 5,
            window: Window::new(2, 1).expect("a valid window"),
            resync: 9,
        };
        let json = serde_json::to_value(config).expect("serializes");
        assert_eq!(
            serde_json::from_value::<TotpConfig>(json.clone()).ok(),
            Some(config)
        );
        for (field, bad) in [("period", 0), ("resync", 2_881)] {
            let mut edited = json.clone();
            edited[field] = bad.into();
            assert!(
                serde_json::from_value::<TotpConfig>(edited).is_err(),
                "{field}"
            );
        }
    }

    #[cfg(feature = "std")]
    #[test]
    fn step_now_reads_the_clock() {
        let secret = Secret::from_bytes(&[0x3c; 20]).expect("a 160-bit key");
        let totp = Totp::new(&secret, TotpConfig::default()).expect("the default profile");
        let before = totp.step_at(crate::unix_now().expect("a clock after 1970"));
        let now = totp.step_now().expect("a clock after 1970");
        let after = totp.step_at(crate::unix_now().expect("a clock after 1970"));
        assert!(before.is_ok_and(|b| b <= now) && after.is_ok_and(|a| now <= a));
        assert!(now > 1_700_000_000 / 30);
    }
}
