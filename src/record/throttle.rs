//! Throttling of failed attempts: exponential backoff and a hard lockout,
//! per factor and across sessions (RFC 4226 §7.3, NIST SP 800-63B).

use core::fmt;

use crate::error::ParamError;

/// How failed attempts are throttled.
///
/// After the `n`-th consecutive failure, the next attempt is evaluated only
/// from `initial_delay × 2^(n-1)` seconds later, capped at `max_delay`
/// (default 1 s, 2 s, 4 s … capped at 5 minutes, as django-otp). After
/// `max_failures` consecutive failures (default 10, never more than
/// [`ThrottlePolicy::NIST_MAX_FAILURES`] = 100, NIST SP 800-63B) the factor is
/// locked out until it is reset by a success through another path (a
/// recovery code, an administrator). A success resets the count.
///
/// ```
/// use mfa::ThrottlePolicy;
///
/// let policy = ThrottlePolicy::default().max_failures(5).max_delay(60);
/// assert_eq!(policy.delay_after(1), 1);
/// assert_eq!(policy.delay_after(4), 8);
/// assert_eq!(policy.validated()?.get_max_failures(), 5);
/// assert!(ThrottlePolicy::default().max_failures(101).validated().is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize))]
pub struct ThrottlePolicy {
    initial_delay: u64,
    max_delay: u64,
    max_failures: u32,
}

impl Default for ThrottlePolicy {
    fn default() -> Self {
        Self {
            initial_delay: 1,
            max_delay: 300,
            max_failures: 10,
        }
    }
}

impl ThrottlePolicy {
    /// The upper bound NIST SP 800-63B puts on consecutive failed attempts.
    pub const NIST_MAX_FAILURES: u32 = 100;

    /// Sets the delay after the first failure, in seconds (0 disables the
    /// backoff, leaving only the lockout).
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().initial_delay(2).delay_after(3), 8);
    /// ```
    #[must_use]
    pub const fn initial_delay(mut self, seconds: u64) -> Self {
        self.initial_delay = seconds;
        self
    }

    /// Sets the cap on the delay, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().max_delay(10).delay_after(9), 10);
    /// ```
    #[must_use]
    pub const fn max_delay(mut self, seconds: u64) -> Self {
        self.max_delay = seconds;
        self
    }

    /// Sets how many consecutive failures lock the factor out (1 to 100).
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().max_failures(3).get_max_failures(), 3);
    /// ```
    #[must_use]
    pub const fn max_failures(mut self, failures: u32) -> Self {
        self.max_failures = failures;
        self
    }

    /// The number of consecutive failures that locks the factor out.
    ///
    /// ```
    /// assert_eq!(mfa::ThrottlePolicy::default().get_max_failures(), 10);
    /// ```
    #[must_use]
    pub const fn get_max_failures(&self) -> u32 {
        self.max_failures
    }

    /// Checks the policy: `max_failures` from 1 to 100, `max_delay` not
    /// below `initial_delay`.
    ///
    /// # Errors
    ///
    /// [`ParamError::MaxFailures`] or [`ParamError::MaxDelay`].
    ///
    /// ```
    /// use mfa::{ParamError, ThrottlePolicy};
    ///
    /// assert_eq!(
    ///     ThrottlePolicy::default().max_failures(0).validated(),
    ///     Err(ParamError::MaxFailures(0))
    /// );
    /// ```
    pub const fn validated(self) -> Result<Self, ParamError> {
        if self.max_failures == 0 || self.max_failures > Self::NIST_MAX_FAILURES {
            return Err(ParamError::MaxFailures(self.max_failures));
        }
        if self.max_delay < self.initial_delay {
            return Err(ParamError::MaxDelay);
        }
        Ok(self)
    }

    /// The wait in seconds after `failures` consecutive failures:
    /// `initial_delay × 2^(failures-1)`, capped at `max_delay`; 0 after none.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::default();
    /// assert_eq!([0, 1, 2, 3, 9, 10].map(|n| p.delay_after(n)), [0, 1, 2, 4, 256, 300]);
    /// ```
    #[must_use]
    pub const fn delay_after(&self, failures: u32) -> u64 {
        if failures == 0 {
            return 0;
        }
        let exponent = failures.saturating_sub(1);
        let factor = if exponent >= 64 {
            u64::MAX
        } else {
            1u64 << exponent
        };
        let delay = self.initial_delay.saturating_mul(factor);
        if delay > self.max_delay {
            self.max_delay
        } else {
            delay
        }
    }
}

/// Deserializes `{initial_delay, max_delay, max_failures}`, every field
/// required, checked by [`ThrottlePolicy::validated`], so that a stored
/// policy cannot lift the NIST bound.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for ThrottlePolicy {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(serde::Deserialize)]
        #[serde(rename = "ThrottlePolicy", deny_unknown_fields)]
        struct Fields {
            initial_delay: u64,
            max_delay: u64,
            max_failures: u32,
        }
        let f = <Fields as serde::Deserialize>::deserialize(deserializer)?;
        Self {
            initial_delay: f.initial_delay,
            max_delay: f.max_delay,
            max_failures: f.max_failures,
        }
        .validated()
        .map_err(serde::de::Error::custom)
    }
}

/// Why an attempt was refused without evaluating the code.
///
/// ```
/// use mfa::Refused;
///
/// assert_eq!(Refused::Backoff { retry_at: 1_000 }.to_string(), "too many failed attempts; try again at 1000");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Refused {
    /// Too soon after a failure; attempts are evaluated again from
    /// `retry_at` (Unix seconds).
    Backoff {
        /// The first Unix second at which an attempt is evaluated.
        retry_at: u64,
    },
    /// Too many consecutive failures: locked out until reset through
    /// another path.
    LockedOut,
}

impl fmt::Display for Refused {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Backoff { retry_at } => {
                write!(f, "too many failed attempts; try again at {retry_at}")
            }
            Self::LockedOut => f.write_str(
                "locked out after too many failed attempts; use a recovery code or ask for a reset",
            ),
        }
    }
}

impl core::error::Error for Refused {}

/// The persisted throttle state of one factor: consecutive failures and
/// when the next attempt may be evaluated. Plain data, part of a record.
///
/// ```
/// use mfa::{Refused, Throttle, ThrottlePolicy};
///
/// let policy = ThrottlePolicy::default();
/// let t = Throttle::default().after_failure(100, &policy);
/// assert_eq!(t.check(100, &policy), Err(Refused::Backoff { retry_at: 101 }));
/// assert_eq!(t.check(101, &policy), Ok(()));
/// assert_eq!(t.after_success().failures(), 0);
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Throttle {
    failures: u32,
    retry_at: u64,
}

impl Throttle {
    /// Whether an attempt at `now` may be evaluated.
    ///
    /// # Errors
    ///
    /// [`Refused`]: locked out, or in backoff until a stated time.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::default();
    /// assert!(mfa::Throttle::default().check(0, &p).is_ok());
    /// ```
    pub const fn check(&self, now: u64, policy: &ThrottlePolicy) -> Result<(), Refused> {
        if self.failures >= policy.max_failures {
            return Err(Refused::LockedOut);
        }
        if now < self.retry_at {
            return Err(Refused::Backoff {
                retry_at: self.retry_at,
            });
        }
        Ok(())
    }

    /// The state after a failed attempt at `now`.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::default();
    /// let t = mfa::Throttle::default().after_failure(10, &p).after_failure(11, &p);
    /// assert_eq!((t.failures(), t.retry_at()), (2, 13));
    /// ```
    #[must_use]
    pub const fn after_failure(self, now: u64, policy: &ThrottlePolicy) -> Self {
        let failures = self.failures.saturating_add(1);
        Self {
            failures,
            retry_at: now.saturating_add(policy.delay_after(failures)),
        }
    }

    /// The state after a success: no failures, no wait.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::default();
    /// let t = mfa::Throttle::default().after_failure(0, &p).after_success();
    /// assert_eq!(t, mfa::Throttle::default());
    /// ```
    #[must_use]
    pub const fn after_success(self) -> Self {
        Self {
            failures: 0,
            retry_at: 0,
        }
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

    /// Whether the lockout is in force under `policy`.
    ///
    /// ```
    /// let p = mfa::ThrottlePolicy::default().max_failures(1);
    /// assert!(mfa::Throttle::default().after_failure(0, &p).is_locked_out(&p));
    /// ```
    #[must_use]
    pub const fn is_locked_out(&self, policy: &ThrottlePolicy) -> bool {
        self.failures >= policy.max_failures
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_edges() {
        let p = ThrottlePolicy::default();
        let mut t = Throttle::default();
        let mut now = 1_000;
        for n in 1..p.get_max_failures() {
            t = t.after_failure(now, &p);
            let delay = p.delay_after(n);
            assert_eq!(delay, (1u64 << (n - 1)).min(300));
            assert_eq!(
                t.check(now + delay - 1, &p),
                Err(Refused::Backoff {
                    retry_at: now + delay
                })
            );
            assert_eq!(t.check(now + delay, &p), Ok(()));
            now += delay;
        }
    }

    #[test]
    fn lockout_at_exactly_max_failures() {
        let p = ThrottlePolicy::default().initial_delay(0);
        let mut t = Throttle::default();
        for _ in 0..9 {
            t = t.after_failure(0, &p);
        }
        assert_eq!(t.check(0, &p), Ok(()), "the 10th attempt is evaluated");
        t = t.after_failure(0, &p);
        assert_eq!(t.check(u64::MAX, &p), Err(Refused::LockedOut), "no 11th");
        assert_eq!(t.after_success().check(0, &p), Ok(()));
    }

    #[test]
    fn policy_bounds() {
        let p = ThrottlePolicy::default();
        assert!(p.max_failures(1).validated().is_ok());
        assert!(p.max_failures(100).validated().is_ok());
        assert_eq!(
            p.max_failures(101).validated(),
            Err(ParamError::MaxFailures(101))
        );
        assert_eq!(
            p.max_failures(0).validated(),
            Err(ParamError::MaxFailures(0))
        );
        assert_eq!(
            p.initial_delay(10).max_delay(9).validated(),
            Err(ParamError::MaxDelay)
        );
        assert_eq!(p.delay_after(u32::MAX), 300);
        assert_eq!(p.max_delay(u64::MAX).delay_after(200), u64::MAX);
        let t = Throttle {
            failures: u32::MAX,
            retry_at: u64::MAX,
        };
        assert_eq!(t.after_failure(u64::MAX, &p).failures(), u32::MAX);
    }
}
