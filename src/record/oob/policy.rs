//! The rules for out-of-band codes: length, lifetime, attempts, resends.

use crate::error::ParamError;
use crate::record::throttle::ThrottlePolicy;

/// How out-of-band (SMS and e-mail) codes are made, how long they live, and
/// how often they may be tried and sent.
///
/// | setting | default | allowed | source |
/// |---|---|---|---|
/// | [`digits`](OobPolicyBuilder::digits) | 6 | 6 to 10 | NIST SP 800-63B: at least 6 digits |
/// | [`ttl`](OobPolicyBuilder::ttl) | 300 s | 1 to 600 s | NIST SP 800-63B: valid at most 10 minutes |
/// | [`max_attempts`](OobPolicyBuilder::max_attempts) | 5 per code | 1 to 5 | Twilio Verify: 5 checks per code |
/// | [`resend_cooldown`](OobPolicyBuilder::resend_cooldown) | 60 s | 0 to 3,600 s | |
/// | [`max_sends_per_hour`](OobPolicyBuilder::max_sends_per_hour) | 5 | 1 to 60 | Twilio Verify: 5 sends per verification |
/// | [`max_sends_per_day`](OobPolicyBuilder::max_sends_per_day) | 10 | 1 to 1,440 | bounds texts asked for without guessing |
/// | [`throttle`](OobPolicyBuilder::throttle) | [`ThrottlePolicy::default`] | see there | NIST SP 800-63B: at most 100 failures |
///
/// Why 5 sends an hour: a user who did not get a message asks again once or
/// twice; every further message costs money and is how SMS pumping (toll
/// fraud) and message bombing of a victim's phone work. Five is what Twilio
/// Verify allows per verification, and with the 60-second cooldown it still
/// lets a user retry for five minutes in a row. The hour is a sliding
/// window over the times of the last sends.
///
/// The per-code attempt cap and the account-wide [`Throttle`](crate::Throttle)
/// work together: a new code starts with its own 5 attempts, but the
/// failure count of the throttle carries over (NIST SP 800-63B: issuing a
/// new code SHALL NOT reset it), so resending never buys an attacker more
/// than the throttle allows.
///
/// Build one with [`OobPolicy::builder`]: the setters do not check,
/// [`OobPolicyBuilder::build`] does, so a policy is always in range.
///
/// ```
/// use mfa::OobPolicy;
///
/// let policy = OobPolicy::builder().digits(8).ttl(600).build()?;
/// assert_eq!((policy.digits(), policy.ttl()), (8, 600));
/// assert!(OobPolicy::builder().ttl(601).build().is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawOobPolicy")
)]
pub struct OobPolicy {
    digits: u8,
    ttl: u64,
    max_attempts: u8,
    resend_cooldown: u64,
    max_sends_per_hour: u8,
    max_sends_per_day: u16,
    throttle: ThrottlePolicy,
}

impl Default for OobPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl OobPolicy {
    /// The fewest digits (NIST SP 800-63B).
    pub const MIN_DIGITS: u8 = 6;
    /// The most digits.
    pub const MAX_DIGITS: u8 = 10;
    /// The longest lifetime of a code: 600 s (NIST SP 800-63B, 10 minutes).
    pub const MAX_TTL: u64 = 600;
    /// The most attempts at one code.
    pub const MAX_ATTEMPTS: u8 = 5;
    /// The longest resend cooldown: one hour.
    pub const MAX_RESEND_COOLDOWN: u64 = 3_600;
    /// The highest cap on sends per hour.
    pub const MAX_SENDS_PER_HOUR: u8 = 60;
    /// The sliding window the send cap counts over, in seconds.
    pub const SEND_WINDOW: u64 = 3_600;
    /// The most codes any policy sends a day.
    pub const MAX_SENDS_PER_DAY: u16 = 1_440;
    /// The window of the daily cap, from its first send: a day.
    pub const DAY_WINDOW: u64 = 86_400;

    pub(crate) const DEFAULT: Self = Self {
        digits: 6,
        ttl: 300,
        max_attempts: 5,
        resend_cooldown: 60,
        max_sends_per_hour: 5,
        max_sends_per_day: 10,
        throttle: ThrottlePolicy::DEFAULT,
    };

    /// A builder starting from the [default](Self::default) policy.
    ///
    /// ```
    /// let policy = mfa::OobPolicy::builder().ttl(120).build()?;
    /// assert_eq!((policy.ttl(), policy.digits()), (120, 6));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn builder() -> OobPolicyBuilder {
        OobPolicyBuilder {
            policy: Self::DEFAULT,
        }
    }

    /// A builder starting from this policy, to change some of its
    /// settings.
    ///
    /// ```
    /// let policy = mfa::OobPolicy::default();
    /// let longer = policy.to_builder().digits(8).build()?;
    /// assert_eq!((longer.digits(), longer.ttl()), (8, policy.ttl()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn to_builder(&self) -> OobPolicyBuilder {
        OobPolicyBuilder { policy: *self }
    }

    /// The number of digits of a code.
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::default().digits(), 6);
    /// ```
    #[must_use]
    pub const fn digits(&self) -> u8 {
        self.digits
    }

    /// How long a code is valid, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::default().ttl(), 300);
    /// ```
    #[must_use]
    pub const fn ttl(&self) -> u64 {
        self.ttl
    }

    /// How many attempts one code gets.
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::default().max_attempts(), 5);
    /// ```
    #[must_use]
    pub const fn max_attempts(&self) -> u8 {
        self.max_attempts
    }

    /// The least time between two sends, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::default().resend_cooldown(), 60);
    /// ```
    #[must_use]
    pub const fn resend_cooldown(&self) -> u64 {
        self.resend_cooldown
    }

    /// How many codes may be sent in any hour.
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::default().max_sends_per_hour(), 5);
    /// ```
    #[must_use]
    pub const fn max_sends_per_hour(&self) -> u8 {
        self.max_sends_per_hour
    }

    /// How many codes may be sent in a day (from the first send).
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::default().max_sends_per_day(), 10);
    /// ```
    #[must_use]
    pub const fn max_sends_per_day(&self) -> u16 {
        self.max_sends_per_day
    }

    /// The throttling of failed attempts.
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::default().throttle(), mfa::ThrottlePolicy::default());
    /// ```
    #[must_use]
    pub const fn throttle(&self) -> ThrottlePolicy {
        self.throttle
    }

    /// The policy if every setting is in range (see
    /// [`OobPolicyBuilder::build`]); a built or deserialized policy always
    /// is.
    pub(crate) const fn validated(self) -> Result<Self, ParamError> {
        if self.digits < Self::MIN_DIGITS || self.digits > Self::MAX_DIGITS {
            return Err(out_of_range(
                "digits of an out-of-band code",
                self.digits as u64,
                Self::MIN_DIGITS as u64,
                Self::MAX_DIGITS as u64,
            ));
        }
        if self.ttl == 0 || self.ttl > Self::MAX_TTL {
            return Err(ParamError::CodeLifetime {
                seconds: self.ttl,
                max: Self::MAX_TTL,
            });
        }
        if self.max_attempts == 0 || self.max_attempts > Self::MAX_ATTEMPTS {
            return Err(out_of_range(
                "attempts per out-of-band code",
                self.max_attempts as u64,
                1,
                Self::MAX_ATTEMPTS as u64,
            ));
        }
        if self.resend_cooldown > Self::MAX_RESEND_COOLDOWN {
            return Err(out_of_range(
                "resend cooldown in seconds",
                self.resend_cooldown,
                0,
                Self::MAX_RESEND_COOLDOWN,
            ));
        }
        if self.max_sends_per_hour == 0 || self.max_sends_per_hour > Self::MAX_SENDS_PER_HOUR {
            return Err(out_of_range(
                "out-of-band codes sent per hour",
                self.max_sends_per_hour as u64,
                1,
                Self::MAX_SENDS_PER_HOUR as u64,
            ));
        }
        if self.max_sends_per_day == 0 || self.max_sends_per_day > Self::MAX_SENDS_PER_DAY {
            return Err(out_of_range(
                "out-of-band codes sent per day",
                self.max_sends_per_day as u64,
                1,
                Self::MAX_SENDS_PER_DAY as u64,
            ));
        }
        match self.throttle.validated() {
            Ok(_) => Ok(self),
            Err(e) => Err(e),
        }
    }
}

/// Builds an [`OobPolicy`]: set what differs from the default, then
/// [`build`](Self::build), which checks every setting against its allowed
/// range (see the table on [`OobPolicy`]).
///
/// ```
/// use mfa::{OobPolicy, OobPolicyBuilder};
///
/// let builder: OobPolicyBuilder = OobPolicy::builder().max_attempts(3);
/// assert_eq!(builder.build()?.max_attempts(), 3);
/// assert!(builder.max_attempts(6).build().is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct OobPolicyBuilder {
    policy: OobPolicy,
}

impl Default for OobPolicyBuilder {
    fn default() -> Self {
        OobPolicy::builder()
    }
}

impl OobPolicyBuilder {
    /// Sets the cap on codes sent in a day (1 to 1,440; default 10): the
    /// window starts at the first send and lasts 24 hours. With the hourly
    /// cap alone, asking for codes without ever guessing would text a
    /// phone 120 times a day.
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::builder().max_sends_per_day(3).build()?.max_sends_per_day(), 3);
    /// assert!(mfa::OobPolicy::builder().max_sends_per_day(0).build().is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn max_sends_per_day(mut self, sends: u16) -> Self {
        self.policy.max_sends_per_day = sends;
        self
    }

    /// Sets the number of digits (6 to 10).
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::builder().digits(8).build()?.digits(), 8);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn digits(mut self, digits: u8) -> Self {
        self.policy.digits = digits;
        self
    }

    /// Sets how long a code is valid, in seconds (1 to 600).
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::builder().ttl(120).build()?.ttl(), 120);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn ttl(mut self, seconds: u64) -> Self {
        self.policy.ttl = seconds;
        self
    }

    /// Sets how many attempts one code gets (1 to 5).
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::builder().max_attempts(3).build()?.max_attempts(), 3);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn max_attempts(mut self, attempts: u8) -> Self {
        self.policy.max_attempts = attempts;
        self
    }

    /// Sets the least time between two sends, in seconds (0 to 3,600).
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::builder().resend_cooldown(30).build()?.resend_cooldown(), 30);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn resend_cooldown(mut self, seconds: u64) -> Self {
        self.policy.resend_cooldown = seconds;
        self
    }

    /// Sets how many codes may be sent in any hour (1 to 60).
    ///
    /// ```
    /// assert_eq!(mfa::OobPolicy::builder().max_sends_per_hour(3).build()?.max_sends_per_hour(), 3);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn max_sends_per_hour(mut self, sends: u8) -> Self {
        self.policy.max_sends_per_hour = sends;
        self
    }

    /// Sets the throttling of failed attempts, across codes.
    ///
    /// ```
    /// use mfa::{OobPolicy, ThrottlePolicy};
    ///
    /// let throttle = ThrottlePolicy::builder().max_failures(5).build()?;
    /// let policy = OobPolicy::builder().throttle(throttle).build()?;
    /// assert_eq!(policy.throttle().max_failures(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn throttle(mut self, throttle: ThrottlePolicy) -> Self {
        self.policy.throttle = throttle;
        self
    }

    /// The checked policy.
    ///
    /// # Errors
    ///
    /// [`ParamError::CodeLifetime`] for a lifetime of 0 or over 600 s,
    /// [`ParamError::OutOfRange`] for the other settings, or the error of
    /// [`ThrottlePolicyBuilder::build`](crate::ThrottlePolicyBuilder::build).
    ///
    /// ```
    /// use mfa::{OobPolicy, ParamError};
    ///
    /// assert!(OobPolicy::builder().ttl(600).build().is_ok());
    /// assert_eq!(
    ///     OobPolicy::builder().ttl(601).build(),
    ///     Err(ParamError::CodeLifetime { seconds: 601, max: 600 })
    /// );
    /// ```
    pub const fn build(self) -> Result<OobPolicy, ParamError> {
        self.policy.validated()
    }
}

const fn out_of_range(name: &'static str, value: u64, min: u64, max: u64) -> ParamError {
    ParamError::OutOfRange {
        name,
        value,
        min,
        max,
    }
}

/// The serialized form, validated into an [`OobPolicy`] on deserialization.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(rename = "OobPolicy", deny_unknown_fields)]
struct RawOobPolicy {
    digits: u8,
    ttl: u64,
    max_attempts: u8,
    resend_cooldown: u64,
    max_sends_per_hour: u8,
    max_sends_per_day: u16,
    throttle: ThrottlePolicy,
}

#[cfg(feature = "serde")]
impl TryFrom<RawOobPolicy> for OobPolicy {
    type Error = ParamError;

    fn try_from(raw: RawOobPolicy) -> Result<Self, Self::Error> {
        Self {
            digits: raw.digits,
            ttl: raw.ttl,
            max_attempts: raw.max_attempts,
            resend_cooldown: raw.resend_cooldown,
            max_sends_per_hour: raw.max_sends_per_hour,
            max_sends_per_day: raw.max_sends_per_day,
            throttle: raw.throttle,
        }
        .validated()
    }
}
