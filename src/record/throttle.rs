//! Throttling of failed attempts: forgiven typos, exponential backoff, and
//! timed lockouts that grow as they repeat (RFC 4226 §7.3, NIST SP 800-63B).

use core::fmt;

use crate::error::ParamError;

/// How failed attempts are throttled.
///
/// After the `n`-th failure in a row on a record with no recent lockout,
/// the next attempt is evaluated only after a wait:
///
/// | failures in a row `n` | wait | default |
/// |---|---|---|
/// | 1 to [`free_failures`](ThrottlePolicyBuilder::free_failures) | none: typos are forgiven | 1–3 |
/// | up to [`max_failures`](ThrottlePolicyBuilder::max_failures) − 1 | `initial_delay × 2^(j-1)` for the `j`-th failure past the free ones, capped at [`max_delay`](ThrottlePolicyBuilder::max_delay) | 1 s, 2 s, … 32 s |
/// | `max_failures` and each one after | a **lockout**: [`lockout`](ThrottlePolicyBuilder::lockout) doubling with each lockout, capped at [`max_lockout`](ThrottlePolicyBuilder::max_lockout) | 15 min, 30 min, 1 h, … 1 day |
///
/// A record that was locked out stays wary: its lockouts are counted (its
/// *strikes*) and a success does not reset them, so while it has strikes
/// one wrong code is forgiven after a success and the next one locks, at
/// the lockout its strikes have reached. An owner's daily log-on therefore
/// buys an attacker no fresh run of guesses. Strikes and failures are
/// forgotten once [`forget_after`](ThrottlePolicyBuilder::forget_after) (30 days) passes
/// without a failure. A proof through another path (a recovery code)
/// lifts a lockout at once, and leaves the strikes.
///
/// Every wait ends: no wrong code locks the owner out for longer than
/// `max_lockout` (at most [`MAX_LOCKOUT`](Self::MAX_LOCKOUT), a week), and
/// from the 17th failure in a row an attacker gets one guess per
/// `max_lockout`, long before the 100 consecutive failures NIST SP 800-63B
/// allows at most. [`unlimited`](Self::unlimited) throttles nothing: for
/// secrets of 64 bits or more, such as recovery codes, NIST SP 800-63B
/// (§5.1.2.2) asks for no rate limit, and one would let a password holder
/// keep the owner's last way in locked.
///
/// ```
/// use mfa::ThrottlePolicy;
///
/// let policy = ThrottlePolicy::default();
/// // Three typos are free, then 1 s, 2 s, 4 s …, then a 15-minute lockout.
/// assert_eq!([1, 3, 4, 5, 9, 10].map(|n| policy.wait_after(n)), [0, 0, 1, 2, 32, 900]);
/// // Each failure after that locks, twice as long each time, up to a day.
/// assert_eq!([11, 12, 16, 17, 100].map(|n| policy.wait_after(n)), [1_800, 3_600, 57_600, 86_400, 86_400]);
/// assert!(ThrottlePolicy::builder().max_failures(101).build().is_err());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ThrottlePolicy {
    limited: bool,
    free_failures: u32,
    initial_delay: u64,
    max_delay: u64,
    max_failures: u32,
    lockout: u64,
    max_lockout: u64,
    forget_after: u64,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl ThrottlePolicy {
    /// The upper bound NIST SP 800-63B puts on consecutive failed attempts:
    /// from this many on, every failure waits the longest lockout.
    pub const NIST_MAX_FAILURES: u32 = 100;
    /// The longest lockout any policy may impose: a week.
    pub const MAX_LOCKOUT: u64 = 604_800;
    /// The longest a record may remember its failures: a year.
    pub const MAX_FORGET_AFTER: u64 = 31_536_000;

    pub(crate) const DEFAULT: Self = Self {
        limited: true,
        free_failures: 3,
        initial_delay: 1,
        max_delay: 300,
        max_failures: 10,
        lockout: 900,
        max_lockout: 86_400,
        forget_after: 2_592_000,
    };

    /// A builder starting from the [default](Self::default) policy.
    ///
    /// ```
    /// let policy = mfa::ThrottlePolicy::builder().max_failures(5).build()?;
    /// assert_eq!((policy.max_failures(), policy.lockout()), (5, 900));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn builder() -> ThrottlePolicyBuilder {
        ThrottlePolicyBuilder {
            policy: Self::DEFAULT,
        }
    }

    /// A builder starting from this policy, to change some of its
    /// settings.
    ///
    /// ```
    /// let policy = mfa::ThrottlePolicy::default();
    /// let longer = policy.to_builder().lockout(1_800).build()?;
    /// assert_eq!((longer.lockout(), longer.max_failures()), (1_800, policy.max_failures()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn to_builder(&self) -> ThrottlePolicyBuilder {
        ThrottlePolicyBuilder { policy: *self }
    }

    /// A policy that throttles nothing: every attempt is evaluated, and
    /// failures are only counted. For secrets of 64 bits or more (recovery
    /// codes); rate-limit clients in front of it, since each attempt costs
    /// a key derivation.
    ///
    /// ```
    /// let none = mfa::ThrottlePolicy::unlimited();
    /// assert!(!none.is_limited());
    /// assert_eq!(none.wait_after(1_000), 0);
    /// ```
    #[must_use]
    pub const fn unlimited() -> Self {
        Self {
            limited: false,
            free_failures: 0,
            initial_delay: 0,
            max_delay: 0,
            max_failures: Self::NIST_MAX_FAILURES,
            lockout: 1,
            max_lockout: 1,
            forget_after: Self::MAX_FORGET_AFTER,
        }
    }

    /// Whether the policy throttles at all (see [`unlimited`](Self::unlimited)).
    ///
    /// ```
    /// assert!(mfa::ThrottlePolicy::default().is_limited());
    /// ```
    #[must_use]
    pub const fn is_limited(&self) -> bool {
        self.limited
    }

    /// How long without a failure a record forgets its failures and
    /// strikes, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().forget_after(), 2_592_000);
    /// ```
    #[must_use]
    pub const fn forget_after(&self) -> u64 {
        self.forget_after
    }

    /// How many failures in a row carry no wait (typos).
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().free_failures(), 3);
    /// ```
    #[must_use]
    pub const fn free_failures(&self) -> u32 {
        self.free_failures
    }

    /// The wait after the first failure past the free ones, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().initial_delay(), 1);
    /// ```
    #[must_use]
    pub const fn initial_delay(&self) -> u64 {
        self.initial_delay
    }

    /// The cap on the backoff between failures, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().max_delay(), 300);
    /// ```
    #[must_use]
    pub const fn max_delay(&self) -> u64 {
        self.max_delay
    }

    /// The number of consecutive failures that starts a lockout.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().max_failures(), 10);
    /// ```
    #[must_use]
    pub const fn max_failures(&self) -> u32 {
        self.max_failures
    }

    /// The first lockout, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().lockout(), 900);
    /// ```
    #[must_use]
    pub const fn lockout(&self) -> u64 {
        self.lockout
    }

    /// The longest lockout, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().max_lockout(), 86_400);
    /// ```
    #[must_use]
    pub const fn max_lockout(&self) -> u64 {
        self.max_lockout
    }

    /// The policy if it is in range (see [`ThrottlePolicyBuilder::build`]);
    /// a built or deserialized policy always is.
    pub(crate) const fn validated(self) -> Result<Self, ParamError> {
        if self.max_failures == 0 || self.max_failures > Self::NIST_MAX_FAILURES {
            return Err(ParamError::MaxFailures(self.max_failures));
        }
        if self.free_failures >= self.max_failures {
            return Err(ParamError::OutOfRange {
                name: "failures forgiven before any wait",
                value: self.free_failures as u64,
                min: 0,
                max: self.max_failures.saturating_sub(1) as u64,
            });
        }
        if self.max_delay < self.initial_delay {
            return Err(ParamError::MaxDelay);
        }
        if self.max_delay > self.max_lockout {
            return Err(ParamError::OutOfRange {
                name: "seconds of the longest backoff",
                value: self.max_delay,
                min: self.initial_delay,
                max: self.max_lockout,
            });
        }
        if self.lockout == 0 || self.lockout > Self::MAX_LOCKOUT {
            return Err(ParamError::OutOfRange {
                name: "seconds of the first lockout",
                value: self.lockout,
                min: 1,
                max: Self::MAX_LOCKOUT,
            });
        }
        if self.max_lockout < self.lockout || self.max_lockout > Self::MAX_LOCKOUT {
            return Err(ParamError::OutOfRange {
                name: "seconds of the longest lockout",
                value: self.max_lockout,
                min: self.lockout,
                max: Self::MAX_LOCKOUT,
            });
        }
        if self.forget_after < self.max_lockout || self.forget_after > Self::MAX_FORGET_AFTER {
            return Err(ParamError::OutOfRange {
                name: "seconds without a failure before failures are forgotten",
                value: self.forget_after,
                min: self.max_lockout,
                max: Self::MAX_FORGET_AFTER,
            });
        }
        Ok(self)
    }

    /// The wait in seconds after `failures` consecutive failures (see the
    /// table above); 0 after none.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::default();
    /// assert_eq!([0, 3, 4, 9, 10, 11, 16, 17].map(|n| p.wait_after(n)), [0, 0, 1, 32, 900, 1_800, 57_600, 86_400]);
    /// assert_eq!(mfa::ThrottlePolicy::unlimited().wait_after(10), 0);
    /// ```
    #[must_use]
    pub const fn wait_after(&self, failures: u32) -> u64 {
        // A run from a record without strikes: every failure from
        // `max_failures` on is a lockout, and each adds a strike.
        let strikes = match failures.checked_sub(self.max_failures) {
            Some(earlier) => earlier,
            None => 0,
        };
        self.wait(failures, strikes).0
    }

    /// The wait after the `failures`-th failure in a row of a record with
    /// `strikes` earlier lockouts, and whether it is a lockout.
    const fn wait(&self, failures: u32, strikes: u32) -> (u64, bool) {
        if !self.limited || failures == 0 {
            return (0, false);
        }
        // While a record has strikes, one typo is forgiven (if any are).
        let free = if strikes == 0 || self.free_failures < 1 {
            self.free_failures
        } else {
            1
        };
        if failures >= self.max_failures || (strikes > 0 && failures > free) {
            let lockout = doubled(self.lockout, strikes.saturating_add(1));
            let lockout = if lockout > self.max_lockout {
                self.max_lockout
            } else {
                lockout
            };
            return (lockout, true);
        }
        if failures <= free {
            return (0, false);
        }
        let delay = doubled(self.initial_delay, failures.saturating_sub(free));
        let delay = if delay > self.max_delay {
            self.max_delay
        } else {
            delay
        };
        (delay, false)
    }
}

/// Builds a [`ThrottlePolicy`]: set what differs from the default, then
/// [`build`](Self::build), which checks the result.
///
/// ```
/// use mfa::{ParamError, ThrottlePolicy, ThrottlePolicyBuilder};
///
/// let builder: ThrottlePolicyBuilder = ThrottlePolicy::builder().free_failures(0);
/// assert_eq!(builder.build()?.wait_after(1), 1);
/// assert_eq!(builder.max_failures(101).build(), Err(ParamError::MaxFailures(101)));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThrottlePolicyBuilder {
    policy: ThrottlePolicy,
}

impl Default for ThrottlePolicyBuilder {
    fn default() -> Self {
        ThrottlePolicy::builder()
    }
}

impl ThrottlePolicyBuilder {
    /// Sets how long without a failure a record forgets its failures and
    /// strikes (from `max_lockout` to a year; default 30 days).
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::builder().forget_after(86_400).build()?;
    /// assert_eq!(p.forget_after(), 86_400);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn forget_after(mut self, seconds: u64) -> Self {
        self.policy.forget_after = seconds;
        self
    }

    /// Sets how many failures in a row carry no wait (typos), fewer than
    /// [`max_failures`](Self::max_failures).
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::builder().free_failures(0).build()?.wait_after(1), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn free_failures(mut self, failures: u32) -> Self {
        self.policy.free_failures = failures;
        self
    }

    /// Sets the wait after the first failure past the free ones, in
    /// seconds (0 disables the backoff, leaving the lockouts).
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::builder().initial_delay(2).build()?.wait_after(6), 8);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn initial_delay(mut self, seconds: u64) -> Self {
        self.policy.initial_delay = seconds;
        self
    }

    /// Sets the cap on the backoff between failures, in seconds (from
    /// `initial_delay` to `max_lockout`).
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::builder().max_delay(10).build()?.wait_after(9), 10);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn max_delay(mut self, seconds: u64) -> Self {
        self.policy.max_delay = seconds;
        self
    }

    /// Sets how many consecutive failures start a lockout (1 to 100); each
    /// further run of as many starts a longer one.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::builder().max_failures(5).build()?.max_failures(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn max_failures(mut self, failures: u32) -> Self {
        self.policy.max_failures = failures;
        self
    }

    /// Sets the first lockout, in seconds (at least 1); each repeated
    /// lockout doubles it.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::builder().lockout(60).build()?;
    /// // The 10th failure in a row locks for 60 s, the 11th for 120 s.
    /// assert_eq!([9, 10, 11, 12].map(|n| p.wait_after(n)), [32, 60, 120, 240]);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn lockout(mut self, seconds: u64) -> Self {
        self.policy.lockout = seconds;
        self
    }

    /// Sets the longest lockout, in seconds (from `lockout` to a week):
    /// the longest an attacker can keep the owner out of this record.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::builder().max_lockout(3_600).build()?.wait_after(100), 3_600);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn max_lockout(mut self, seconds: u64) -> Self {
        self.policy.max_lockout = seconds;
        self
    }

    /// The checked policy: `max_failures` from 1 to 100, fewer free
    /// failures than that, `initial_delay ≤ max_delay ≤ max_lockout`,
    /// `1 ≤ lockout ≤ max_lockout ≤ MAX_LOCKOUT`, and
    /// `max_lockout ≤ forget_after ≤ MAX_FORGET_AFTER`.
    ///
    /// # Errors
    ///
    /// [`ParamError::MaxFailures`], [`ParamError::MaxDelay`] or
    /// [`ParamError::OutOfRange`].
    ///
    /// ```
    /// use mfa::{ParamError, ThrottlePolicy};
    ///
    /// assert_eq!(
    ///     ThrottlePolicy::builder().max_failures(0).build(),
    ///     Err(ParamError::MaxFailures(0))
    /// );
    /// assert!(ThrottlePolicy::builder().max_lockout(ThrottlePolicy::MAX_LOCKOUT + 1).build().is_err());
    /// ```
    pub const fn build(self) -> Result<ThrottlePolicy, ParamError> {
        self.policy.validated()
    }
}

/// `base × 2^(n-1)` for `n ≥ 1`, saturating.
const fn doubled(base: u64, n: u32) -> u64 {
    let exponent = n.saturating_sub(1);
    let factor = if exponent >= 64 {
        u64::MAX
    } else {
        1u64 << exponent
    };
    base.saturating_mul(factor)
}

/// Deserializes every field, required, checked as
/// [`ThrottlePolicyBuilder::build`] does, so that a stored policy cannot lift the
/// NIST bound or lock for longer than a week.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for ThrottlePolicy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename = "ThrottlePolicy", deny_unknown_fields)]
        struct Fields {
            free_failures: u32,
            initial_delay: u64,
            max_delay: u64,
            max_failures: u32,
            lockout: u64,
            max_lockout: u64,
            forget_after: u64,
            limited: bool,
        }
        let f = <Fields as serde::Deserialize>::deserialize(deserializer)?;
        Self {
            limited: f.limited,
            free_failures: f.free_failures,
            initial_delay: f.initial_delay,
            max_delay: f.max_delay,
            max_failures: f.max_failures,
            lockout: f.lockout,
            max_lockout: f.max_lockout,
            forget_after: f.forget_after,
        }
        .validated()
        .map_err(serde::de::Error::custom)
    }
}

/// Why an attempt was refused without evaluating the code, and for how
/// long: both carry the time attempts are evaluated again, and the wait
/// from the moment of the refusal, which is what `Display` says.
///
/// ```
/// use mfa::Refused;
///
/// let refused = Refused::Backoff { retry_at: 1_002, retry_after: 2 };
/// assert_eq!(refused.to_string(), "too many failed attempts; try again in 2 s");
/// assert_eq!((refused.retry_at(), refused.retry_after()), (1_002, 2));
/// let locked = Refused::LockedOut { retry_at: 1_900, retry_after: 900 };
/// assert_eq!(locked.to_string(), "locked after too many failed attempts; try again in 15 min");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refused {
    /// Too soon after a failure.
    Backoff {
        /// The first Unix second at which an attempt is evaluated.
        retry_at: u64,
        /// Seconds from the refusal to `retry_at`.
        retry_after: u64,
    },
    /// Too many consecutive failures: locked out for a while (see
    /// [`ThrottlePolicy`]). A recovery code lifts a factor's lockout.
    LockedOut {
        /// The first Unix second at which an attempt is evaluated.
        retry_at: u64,
        /// Seconds from the refusal to `retry_at`.
        retry_after: u64,
    },
}

impl Refused {
    /// The first Unix second at which an attempt is evaluated again.
    ///
    /// ```
    /// assert_eq!(mfa::Refused::Backoff { retry_at: 7, retry_after: 1 }.retry_at(), 7);
    /// ```
    #[must_use]
    pub const fn retry_at(&self) -> u64 {
        match *self {
            Self::Backoff { retry_at, .. } | Self::LockedOut { retry_at, .. } => retry_at,
        }
    }

    /// Seconds to wait, from the refusal: for a `Retry-After` header.
    ///
    /// ```
    /// assert_eq!(mfa::Refused::LockedOut { retry_at: 7, retry_after: 5 }.retry_after(), 5);
    /// ```
    #[must_use]
    pub const fn retry_after(&self) -> u64 {
        match *self {
            Self::Backoff { retry_after, .. } | Self::LockedOut { retry_after, .. } => retry_after,
        }
    }
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Backoff { retry_after, .. } => write!(
                f,
                "too many failed attempts; try again in {}",
                Wait(retry_after)
            ),
            Self::LockedOut { retry_after, .. } => write!(
                f,
                "locked after too many failed attempts; try again in {}",
                Wait(retry_after)
            ),
        }
    }
}

impl core::error::Error for Refused {}

/// A wait in seconds, as a person reads it: `2 s`, `15 min`, `3 h`,
/// `2 days` (rounded up, so it never says less than it is).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Wait(pub(crate) u64);

impl fmt::Display for Wait {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s = self.0;
        let up = |unit: u64| s.div_ceil(unit);
        if s < 120 {
            write!(f, "{s} s")
        } else if s < 7_200 {
            write!(f, "{} min", up(60))
        } else if s < 172_800 {
            write!(f, "{} h", up(3_600))
        } else {
            write!(f, "{} days", up(86_400))
        }
    }
}

/// The persisted throttle state of one record: consecutive failures, when
/// the next attempt may be evaluated, whether that wait is a lockout, the
/// lockouts so far (its strikes, which a success keeps), and the time of
/// the last failure (from which failures and strikes are forgotten after
/// [`ThrottlePolicy::forget_after`]). Plain data, part of a record.
///
/// Whether an attempt is refused depends only on this state and `now`,
/// never on the policy of the call that asks: a wait already imposed runs
/// its course under any policy, and a policy change reaches a record at
/// its next failure.
///
/// ```
/// use mfa::{Refused, Throttle, ThrottlePolicy};
///
/// let policy = ThrottlePolicy::builder().free_failures(0).build()?;
/// let t = Throttle::default().after_failure(100, &policy);
/// assert_eq!(t.check(100), Err(Refused::Backoff { retry_at: 101, retry_after: 1 }));
/// assert_eq!(t.check(101), Ok(()));
/// assert_eq!(t.after_success().failures(), 0);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
pub struct Throttle {
    failures: u32,
    retry_at: u64,
    locked: bool,
    strikes: u32,
    last_failure: u64,
}

impl Throttle {
    /// Whether an attempt at `now` may be evaluated.
    ///
    /// # Errors
    ///
    /// [`Refused`]: locked out, or in backoff, until a stated time.
    ///
    /// ```
    /// assert!(mfa::Throttle::default().check(0).is_ok());
    /// ```
    pub const fn check(&self, now: u64) -> Result<(), Refused> {
        if now >= self.retry_at {
            return Ok(());
        }
        let retry_at = self.retry_at;
        let retry_after = retry_at.saturating_sub(now);
        Err(if self.locked {
            Refused::LockedOut {
                retry_at,
                retry_after,
            }
        } else {
            Refused::Backoff {
                retry_at,
                retry_after,
            }
        })
    }

    /// The state after a failed attempt at `now`, under `policy`.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::default();
    /// let mut t = mfa::Throttle::default();
    /// for _ in 0..4 {
    ///     t = t.after_failure(10, &p);
    /// }
    /// assert_eq!((t.failures(), t.retry_at()), (4, 11));
    /// ```
    #[must_use]
    pub const fn after_failure(self, now: u64, policy: &ThrottlePolicy) -> Self {
        // Forgotten after a quiet spell.
        let quiet = self.last_failure.saturating_add(policy.forget_after);
        let base = if self.failures == 0 && self.strikes == 0 || now >= quiet {
            Self::cleared()
        } else {
            self
        };
        let failures = base.failures.saturating_add(1);
        let (wait, locked) = policy.wait(failures, base.strikes);
        Self {
            failures,
            retry_at: now.saturating_add(wait),
            locked,
            strikes: if locked {
                base.strikes.saturating_add(1)
            } else {
                base.strikes
            },
            last_failure: now,
        }
    }

    /// The state after a success: no failures, no wait.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::builder().free_failures(0).max_failures(1).build()?;
    /// let locked = mfa::Throttle::default().after_failure(10, &p);
    /// let t = locked.after_success();
    /// assert_eq!((t.failures(), t.retry_at(), t.is_lockout()), (0, 0, false));
    /// // The strike stays: the next failure locks for twice as long.
    /// assert_eq!((t.strikes(), t.after_failure(20, &p).retry_at()), (1, 20 + 1_800));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn after_success(self) -> Self {
        Self {
            failures: 0,
            retry_at: 0,
            locked: false,
            ..self
        }
    }

    /// No failures, no wait, no strikes: a fresh record (an
    /// administrator's reset).
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::builder().free_failures(0).max_failures(1).build()?;
    /// let t = mfa::Throttle::default().after_failure(0, &p);
    /// assert_eq!((t.strikes(), mfa::Throttle::cleared().strikes()), (1, 0));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn cleared() -> Self {
        Self {
            failures: 0,
            retry_at: 0,
            locked: false,
            strikes: 0,
            last_failure: 0,
        }
    }

    /// Lockouts since the record last forgot its failures; a success
    /// does not reset them (see [`ThrottlePolicy`]).
    ///
    /// ```
    /// assert_eq!(mfa::Throttle::default().strikes(), 0);
    /// ```
    #[must_use]
    pub const fn strikes(&self) -> u32 {
        self.strikes
    }

    /// Consecutive failures since the last success.
    ///
    /// ```
    /// assert_eq!(mfa::Throttle::default().failures(), 0);
    /// ```
    #[must_use]
    pub const fn failures(&self) -> u32 {
        self.failures
    }

    /// The first Unix second at which an attempt is evaluated again (0 if
    /// there is no wait).
    ///
    /// ```
    /// assert_eq!(mfa::Throttle::default().retry_at(), 0);
    /// ```
    #[must_use]
    pub const fn retry_at(&self) -> u64 {
        self.retry_at
    }

    /// Whether a lockout is in force at `now`.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::builder().free_failures(0).max_failures(1).build()?;
    /// let t = mfa::Throttle::default().after_failure(0, &p);
    /// assert!(t.is_locked_out(899) && !t.is_locked_out(900));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn is_locked_out(&self, now: u64) -> bool {
        self.locked && now < self.retry_at
    }

    /// Whether the last failure started a lockout (it may have run out
    /// since): what a lockout notice is sent for.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::builder().free_failures(0).max_failures(1).build()?;
    /// assert!(mfa::Throttle::default().after_failure(0, &p).is_lockout());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn is_lockout(&self) -> bool {
        self.locked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The builder sets every field, each getter reads its own, and a
    /// policy goes back to a builder unchanged.
    /// Both getters of a refusal read their own field, for each kind
    /// (the doctests read them too, but mutation runs skip doctests).
    #[test]
    fn a_refusal_reads_its_own_fields() {
        let backoff = Refused::Backoff {
            retry_at: 1_000,
            retry_after: 16,
        };
        let locked = Refused::LockedOut {
            retry_at: 2_000,
            retry_after: 900,
        };
        assert_eq!((backoff.retry_at(), backoff.retry_after()), (1_000, 16));
        assert_eq!((locked.retry_at(), locked.retry_after()), (2_000, 900));
    }

    /// With no typo forgiven (`free_failures(0)`), a record with a strike
    /// locks again at its first failure: the one typo forgiven while a
    /// record has strikes is forgiven only if any are.
    #[test]
    fn no_free_failures_means_none_after_a_lockout_either() {
        let p = ThrottlePolicy::builder()
            .free_failures(0)
            .max_failures(5)
            .build()
            .unwrap();
        let mut t = Throttle::default();
        for at in 1..=5 {
            t = t.after_failure(at, &p);
        }
        assert!(t.is_lockout());
        let t = t.after_success().after_failure(10_000, &p);
        assert!(t.is_lockout(), "{t:?}");
    }

    #[test]
    fn builder_and_getters_carry_every_field() {
        let policy = ThrottlePolicy::builder()
            .free_failures(2)
            .initial_delay(3)
            .max_delay(40)
            .max_failures(7)
            .lockout(600)
            .max_lockout(7_200)
            .forget_after(86_400)
            .build()
            .expect("a valid policy");
        assert!(policy.is_limited());
        assert_eq!(policy.free_failures(), 2);
        assert_eq!(policy.initial_delay(), 3);
        assert_eq!(policy.max_delay(), 40);
        assert_eq!(policy.max_failures(), 7);
        assert_eq!(policy.lockout(), 600);
        assert_eq!(policy.max_lockout(), 7_200);
        assert_eq!(policy.forget_after(), 86_400);
        assert_eq!(policy.to_builder().build(), Ok(policy));
        assert!(!ThrottlePolicy::unlimited().is_limited());
    }

    #[test]
    fn free_failures_then_backoff_edges() {
        let p = ThrottlePolicy::default();
        let mut t = Throttle::default();
        let mut now = 1_000;
        for n in 1..p.max_failures() {
            t = t.after_failure(now, &p);
            let wait = p.wait_after(n);
            if n <= 3 {
                assert_eq!(wait, 0, "failure {n} is a forgiven typo");
                assert_eq!(t.check(now), Ok(()));
                continue;
            }
            assert_eq!(wait, 1u64 << (n - 4));
            assert_eq!(
                t.check(now + wait - 1),
                Err(Refused::Backoff {
                    retry_at: now + wait,
                    retry_after: 1
                })
            );
            assert_eq!(t.check(now + wait), Ok(()));
            now += wait;
        }
    }

    #[test]
    fn lockouts_from_max_failures_on_grow_and_end() {
        let p = ThrottlePolicy::builder()
            .free_failures(0)
            .initial_delay(0)
            .build()
            .unwrap();
        let mut t = Throttle::default();
        let mut now = 1;
        let mut lockouts = alloc::vec::Vec::new();
        for n in 1..=20 {
            t = t.after_failure(now, &p);
            assert_eq!(t.is_lockout(), n >= 10, "failure {n}");
            if t.is_lockout() {
                let wait = t.retry_at() - now;
                assert_eq!(wait, p.wait_after(n));
                assert_eq!(
                    t.check(t.retry_at() - 1),
                    Err(Refused::LockedOut {
                        retry_at: t.retry_at(),
                        retry_after: 1
                    })
                );
                assert_eq!(t.check(t.retry_at()), Ok(()), "the lockout ends");
                lockouts.push((n, wait));
            }
            now = t.retry_at().max(now);
        }
        let day = 86_400;
        assert_eq!(
            lockouts,
            [
                (10, 900),
                (11, 1_800),
                (12, 3_600),
                (13, 7_200),
                (14, 14_400),
                (15, 28_800),
                (16, 57_600),
                (17, day),
                (18, day),
                (19, day),
                (20, day),
            ]
        );
        assert_eq!(t.strikes(), 11);
    }

    #[test]
    fn strikes_outlive_a_success_and_are_forgotten_after_a_quiet_spell() {
        let p = ThrottlePolicy::default();
        let mut t = Throttle::default();
        let mut now = 1_000;
        for _ in 0..10 {
            t = t.after_failure(now, &p);
            now = t.retry_at().max(now);
        }
        assert_eq!((t.strikes(), t.retry_at() - (now - 900)), (1, 900));
        // The owner gets in; one typo is forgiven, the next locks (30 min).
        let t = t.after_success();
        assert_eq!((t.failures(), t.strikes()), (0, 1));
        let t = t.after_failure(now, &p);
        assert_eq!(t.check(now), Ok(()), "one typo after a success");
        let t = t.after_failure(now, &p);
        assert_eq!(
            t.check(now),
            Err(Refused::LockedOut {
                retry_at: now + 1_800,
                retry_after: 1_800
            })
        );
        // 30 days without a failure: forgotten, three typos free again.
        let later = now + p.forget_after();
        let mut t = t.after_success();
        for _ in 0..3 {
            t = t.after_failure(later, &p);
            assert_eq!(t.check(later), Ok(()));
        }
        assert_eq!(t.strikes(), 0);
        // A day short of that, still wary.
        let early = now + p.forget_after() - 1;
        let t = Throttle::default()
            .after_failure(
                now,
                &ThrottlePolicy::builder()
                    .free_failures(0)
                    .max_failures(1)
                    .build()
                    .unwrap(),
            )
            .after_success()
            .after_failure(early, &p)
            .after_failure(early, &p);
        assert!(t.is_locked_out(early));
        // A proof through another path clears everything.
        assert_eq!(Throttle::cleared(), Throttle::default());
    }

    #[test]
    fn unlimited_counts_and_never_waits() {
        let p = ThrottlePolicy::unlimited();
        assert_eq!(p.validated(), Ok(p));
        let mut t = Throttle::default();
        for n in 1..=1_000 {
            t = t.after_failure(5, &p);
            assert_eq!((t.check(5), t.failures()), (Ok(()), n));
        }
    }

    #[test]
    fn policy_bounds() {
        let p = ThrottlePolicy::default();
        let b = ThrottlePolicy::builder();
        assert_eq!(b.build(), Ok(p));
        assert!(b.max_failures(1).free_failures(0).build().is_ok());
        assert!(b.max_failures(100).build().is_ok());
        assert_eq!(
            b.max_failures(101).build(),
            Err(ParamError::MaxFailures(101))
        );
        assert_eq!(b.max_failures(0).build(), Err(ParamError::MaxFailures(0)));
        assert!(b.max_failures(3).build().is_err(), "3 free of 3");
        assert!(b.max_failures(4).build().is_ok());
        assert_eq!(
            b.initial_delay(10).max_delay(9).build(),
            Err(ParamError::MaxDelay)
        );
        assert!(b.lockout(0).build().is_err());
        assert!(b.max_lockout(899).build().is_err());
        // No backoff longer than the longest lockout (a week at most).
        assert!(b.max_delay(86_401).build().is_err());
        assert!(b.max_delay(86_400).build().is_ok());
        assert!(b.initial_delay(700_000).max_delay(700_000).build().is_err());
        assert!(b.forget_after(86_399).build().is_err());
        assert!(b.forget_after(86_400).build().is_ok());
        assert!(
            b.forget_after(ThrottlePolicy::MAX_FORGET_AFTER + 1)
                .build()
                .is_err()
        );
        assert!(b.max_lockout(900).build().is_ok());
        assert!(
            b.lockout(ThrottlePolicy::MAX_LOCKOUT)
                .max_lockout(ThrottlePolicy::MAX_LOCKOUT)
                .build()
                .is_ok()
        );
        assert!(
            b.max_lockout(ThrottlePolicy::MAX_LOCKOUT + 1)
                .build()
                .is_err()
        );
        assert_eq!(p.wait_after(u32::MAX), 86_400);
        let t = Throttle {
            failures: u32::MAX,
            retry_at: u64::MAX,
            locked: true,
            strikes: u32::MAX,
            last_failure: u64::MAX - 2,
        };
        assert_eq!(t.after_failure(u64::MAX - 1, &p).failures(), u32::MAX);
        assert_eq!(t.check(u64::MAX), Ok(()));
    }

    #[test]
    fn waits_read_as_a_person_would() {
        use alloc::string::ToString;
        let cases = [
            (1, "1 s"),
            (119, "119 s"),
            (120, "2 min"),
            (121, "3 min"),
            (900, "15 min"),
            (7_200, "2 h"),
            (86_400, "24 h"),
            (172_800, "2 days"),
        ];
        for (s, text) in cases {
            assert_eq!(Wait(s).to_string(), text);
        }
    }
}
