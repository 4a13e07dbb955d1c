//! How many recovery codes, how they are hashed, how failures are
//! throttled.

use crate::error::ParamError;
use crate::record::throttle::ThrottlePolicy;

/// How recovery codes are generated and checked.
///
/// | setting | default | allowed | source |
/// |---|---|---|---|
/// | [`count`](RecoveryPolicyBuilder::count) | 10 codes | 1 to 20 | Google backup codes: 10 |
/// | [`iterations`](RecoveryPolicyBuilder::iterations) | 10,000 | 1,000 to 1,000,000 | NIST SP 800-63B rev 3 §5.1.1.2: at least 10,000 for PBKDF2; RFC 8018 §4.2: at least 1,000 |
/// | [`throttle`](RecoveryPolicyBuilder::throttle) | [`ThrottlePolicy::unlimited`] | any | NIST SP 800-63B §5.1.2.2: no rate limit needed for 64 bits or more; a lockout would let a password holder keep the owner's last way in locked |
///
/// The iteration count is stored with each set of codes, so raising it
/// later applies to sets generated from then on while older sets keep
/// working.
///
/// Build one with [`RecoveryPolicy::builder`], which checks the settings.
///
/// ```
/// use mfa::RecoveryPolicy;
///
/// let policy = RecoveryPolicy::builder().count(8).build()?;
/// assert_eq!((policy.count(), policy.iterations()), (8, 10_000));
/// assert!(RecoveryPolicy::builder().count(0).build().is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawRecoveryPolicy")
)]
pub struct RecoveryPolicy {
    count: u8,
    iterations: u32,
    throttle: ThrottlePolicy,
}

impl Default for RecoveryPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl RecoveryPolicy {
    /// The most codes in a set.
    pub const MAX_COUNT: u8 = 20;
    /// The fewest PBKDF2 iterations (RFC 8018 §4.2).
    pub const MIN_ITERATIONS: u32 = 1_000;
    /// The most PBKDF2 iterations, so that a misconfiguration or a tampered
    /// record cannot make each check take seconds.
    pub const MAX_ITERATIONS: u32 = 1_000_000;

    pub(crate) const DEFAULT: Self = Self {
        count: 10,
        iterations: 10_000,
        // 80-bit codes need no rate limit (NIST SP 800-63B §5.1.2.2),
        // and a lockout would let a password holder keep the owner's
        // last way in locked: rate-limit clients in front instead.
        throttle: ThrottlePolicy::unlimited(),
    };

    /// A builder starting from the [default](Self::default) policy.
    ///
    /// ```
    /// let policy = mfa::RecoveryPolicy::builder().count(8).build()?;
    /// assert_eq!((policy.count(), policy.iterations()), (8, 10_000));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn builder() -> RecoveryPolicyBuilder {
        RecoveryPolicyBuilder {
            policy: Self::DEFAULT,
        }
    }

    /// A builder starting from this policy, to change some of its
    /// settings.
    ///
    /// ```
    /// let policy = mfa::RecoveryPolicy::default();
    /// let slower = policy.to_builder().iterations(50_000).build()?;
    /// assert_eq!((slower.iterations(), slower.count()), (50_000, policy.count()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn to_builder(&self) -> RecoveryPolicyBuilder {
        RecoveryPolicyBuilder { policy: *self }
    }

    /// How many codes a set has.
    ///
    /// ```
    /// assert_eq!(mfa::RecoveryPolicy::default().count(), 10);
    /// ```
    #[must_use]
    pub const fn count(&self) -> u8 {
        self.count
    }

    /// The PBKDF2 iteration count for new sets.
    ///
    /// ```
    /// assert_eq!(mfa::RecoveryPolicy::default().iterations(), 10_000);
    /// ```
    #[must_use]
    pub const fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The throttling of failed attempts.
    ///
    /// ```
    /// assert_eq!(mfa::RecoveryPolicy::default().throttle(), mfa::ThrottlePolicy::unlimited());
    /// ```
    #[must_use]
    pub const fn throttle(&self) -> ThrottlePolicy {
        self.throttle
    }

    /// The policy if every setting is in range (see
    /// [`RecoveryPolicyBuilder::build`]); a built or deserialized policy
    /// always is.
    pub(crate) const fn validated(self) -> Result<Self, ParamError> {
        if self.count == 0 || self.count > Self::MAX_COUNT {
            return Err(ParamError::OutOfRange {
                name: "recovery codes per set",
                value: self.count as u64,
                min: 1,
                max: Self::MAX_COUNT as u64,
            });
        }
        if self.iterations < Self::MIN_ITERATIONS || self.iterations > Self::MAX_ITERATIONS {
            return Err(ParamError::OutOfRange {
                name: "PBKDF2 iterations for recovery codes",
                value: self.iterations as u64,
                min: Self::MIN_ITERATIONS as u64,
                max: Self::MAX_ITERATIONS as u64,
            });
        }
        match self.throttle.validated() {
            Ok(_) => Ok(self),
            Err(e) => Err(e),
        }
    }
}

/// Builds a [`RecoveryPolicy`]: set what differs from the default, then
/// [`build`](Self::build), which checks every setting against its allowed
/// range (see the table on [`RecoveryPolicy`]).
///
/// ```
/// use mfa::{RecoveryPolicy, RecoveryPolicyBuilder};
///
/// let builder: RecoveryPolicyBuilder = RecoveryPolicy::builder().count(12);
/// assert_eq!(builder.build()?.count(), 12);
/// assert!(builder.count(21).build().is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecoveryPolicyBuilder {
    policy: RecoveryPolicy,
}

impl Default for RecoveryPolicyBuilder {
    fn default() -> Self {
        RecoveryPolicy::builder()
    }
}

impl RecoveryPolicyBuilder {
    /// Sets how many codes a set has (1 to 20).
    ///
    /// ```
    /// assert_eq!(mfa::RecoveryPolicy::builder().count(5).build()?.count(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn count(mut self, count: u8) -> Self {
        self.policy.count = count;
        self
    }

    /// Sets the PBKDF2-HMAC-SHA256 iteration count (1,000 to 1,000,000).
    /// Each check costs one PBKDF2 run, whatever the number of codes.
    ///
    /// ```
    /// let policy = mfa::RecoveryPolicy::builder().iterations(50_000).build()?;
    /// assert_eq!(policy.iterations(), 50_000);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn iterations(mut self, iterations: u32) -> Self {
        self.policy.iterations = iterations;
        self
    }

    /// Sets the throttling of failed attempts.
    ///
    /// ```
    /// use mfa::{RecoveryPolicy, ThrottlePolicy};
    ///
    /// let throttle = ThrottlePolicy::builder().max_failures(5).build()?;
    /// let policy = RecoveryPolicy::builder().throttle(throttle).build()?;
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
    /// [`ParamError::OutOfRange`], or the error of
    /// [`ThrottlePolicyBuilder::build`](crate::ThrottlePolicyBuilder::build).
    ///
    /// ```
    /// use mfa::{ParamError, RecoveryPolicy};
    ///
    /// assert!(matches!(
    ///     RecoveryPolicy::builder().iterations(999).build(),
    ///     Err(ParamError::OutOfRange { value: 999, min: 1_000, .. })
    /// ));
    /// ```
    pub const fn build(self) -> Result<RecoveryPolicy, ParamError> {
        self.policy.validated()
    }
}

/// The serialized form, validated into a [`RecoveryPolicy`] on
/// deserialization.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(rename = "RecoveryPolicy", deny_unknown_fields)]
struct RawRecoveryPolicy {
    count: u8,
    iterations: u32,
    throttle: ThrottlePolicy,
}

#[cfg(feature = "serde")]
impl TryFrom<RawRecoveryPolicy> for RecoveryPolicy {
    type Error = ParamError;

    fn try_from(raw: RawRecoveryPolicy) -> Result<Self, Self::Error> {
        Self {
            count: raw.count,
            iterations: raw.iterations,
            throttle: raw.throttle,
        }
        .validated()
    }
}
