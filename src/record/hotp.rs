//! The HOTP factor record: a key, the last used counter and the throttle.

use crate::error::{ParamError, VerifyError};
use crate::hotp::{Hotp, HotpMatch};

use super::attempt::{Attempt, VerifyFailure};
use super::store::Versioned;
use super::throttle::{Throttle, ThrottlePolicy};
use super::totp::Shared;

/// An HOTP factor as the host persists it: the key (a ready [`Hotp`], with
/// its secret and parameters), the last used counter, the [`Throttle`]
/// state and its [`ThrottlePolicy`], and a [`version`](Self::version).
///
/// Every operation is a pure function of (record, input, `now`) that
/// returns an [`Attempt`]: the outcome and the new record, to be written
/// with compare-and-set before the outcome is acted on. `now` only drives
/// the throttle.
///
/// # Rules
///
/// - **Throttle first** (RFC 4226 §7.3): an attempt during backoff or
///   lockout is refused without evaluating the code and changes nothing;
///   a malformed or wrong code counts as a failure; a success resets the
///   count. Malformed input computes no HMAC but is counted, as for
///   [`TotpRecord`](crate::TotpRecord).
/// - **Look-ahead and replay** (RFC 4226 §7.2, §7.4): codes of the next
///   counter and up to [`HotpConfig::look_ahead`] after it are
///   accepted, and the matched counter becomes the last used one, so that code and
///   every earlier one are never accepted again.
/// - **Resynchronisation** (RFC 4226 §7.4): two consecutive codes within
///   the key's resynchronisation range move the counter past the second.
///
/// With the `serde` feature the record serializes with its secret (as
/// Base32): encrypt it at rest. `Debug` shows no secret.
///
/// [`HotpConfig::look_ahead`]: crate::HotpConfig::look_ahead
///
/// ```
/// use mfa::{Hotp, HotpConfig, HotpRecord, Secret, VerifyFailure};
///
/// let secret = Secret::from_bytes(b"12345678901234567890")?;
/// let record = HotpRecord::new(Hotp::new(&secret, HotpConfig::default())?);
///
/// // RFC 4226 Appendix D: counter 2, two presses ahead.
/// let (record, outcome) = record.verify("359152", 1_000).into_parts();
/// assert_eq!(outcome?.counter, 2);
/// let record = record.ok_or(VerifyFailure::Rejected)?;
/// assert_eq!((record.next_counter(), record.version()), (3, 1));
///
/// // Counter 1 is now behind: rejected, and counted.
/// let (record, outcome) = record.verify("287082", 1_001).into_parts();
/// assert_eq!(outcome, Err(VerifyFailure::Rejected));
/// assert_eq!(record.map(|r| r.throttle().failures()), Some(1));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HotpRecord {
    hotp: Shared<Hotp>,
    last_counter: Option<u64>,
    throttle: Throttle,
    policy: ThrottlePolicy,
    version: u64,
}

impl HotpRecord {
    /// A new record for a key, expecting counter 0, with the default
    /// [`ThrottlePolicy`], version 0.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// let record = mfa::HotpRecord::new(hotp);
    /// assert_eq!((record.next_counter(), record.version()), (0, 0));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn new(hotp: Hotp) -> Self {
        Self {
            hotp: Shared::new(hotp),
            last_counter: None,
            throttle: Throttle::default(),
            policy: ThrottlePolicy::default(),
            version: 0,
        }
    }

    /// A new record with a throttle policy of your own.
    ///
    /// # Errors
    ///
    /// [`ParamError`] if the policy is not valid; a [`ThrottlePolicy`] is
    /// checked when it is built ([`ThrottlePolicyBuilder::build`]) or
    /// deserialized, so this check only repeats that one.
    ///
    /// [`ThrottlePolicyBuilder::build`]: crate::ThrottlePolicyBuilder::build
    ///
    /// ```
    /// use mfa::{HotpRecord, ThrottlePolicy};
    ///
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// let record = HotpRecord::with_policy(hotp.clone(), ThrottlePolicy::builder().max_failures(5).build()?)?;
    /// assert_eq!(record.policy().max_failures(), 5);
    /// assert!(ThrottlePolicy::builder().max_failures(101).build().is_err());
    /// // The forgiven failures (3 by default) must be fewer than the lockout's.
    /// assert!(ThrottlePolicy::builder().max_failures(3).build().is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn with_policy(hotp: Hotp, policy: ThrottlePolicy) -> Result<Self, ParamError> {
        Ok(Self {
            policy: policy.validated()?,
            ..Self::new(hotp)
        })
    }

    /// The same record expecting `counter` next: for importing a token
    /// whose counter is already past 0. Does not change the version.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// let record = mfa::HotpRecord::new(hotp).starting_at(42);
    /// assert_eq!(record.next_counter(), 42);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn starting_at(self, counter: u64) -> Self {
        Self {
            last_counter: counter.checked_sub(1),
            ..self
        }
    }

    /// Checks a code against the next counter and the look-ahead, after the
    /// throttle; `now` (Unix seconds) drives the throttle only.
    ///
    /// On success the new record expects the counter after the match and
    /// resets the failure count; on a counted failure it records the
    /// failure and the backoff; when refused there is no new record.
    ///
    /// ```
    /// use mfa::{HotpRecord, Refused, VerifyFailure};
    ///
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::from_bytes(b"12345678901234567890")?, mfa::HotpConfig::default())?;
    /// let mut failed = HotpRecord::new(hotp);
    /// // Three typos are forgiven (default policy): each next attempt is
    /// // evaluated at once. The fourth failure starts a 1-second backoff.
    /// for _ in 0..4 {
    ///     let (record, outcome) = failed.verify("000000", 100).into_parts();
    ///     assert_eq!(outcome, Err(VerifyFailure::Rejected));
    ///     failed = record.ok_or(VerifyFailure::Rejected)?;
    /// }
    /// assert_eq!(
    ///     failed.verify("755224", 100).into_parts().1,
    ///     Err(VerifyFailure::Refused(Refused::Backoff { retry_at: 101, retry_after: 1 }))
    /// );
    /// assert!(failed.verify("755224", 101).into_parts().1.is_ok());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn verify(&self, input: &str, now: u64) -> Attempt<Self, HotpMatch> {
        if let Err(refused) = self.throttle.check(now) {
            return Attempt::new(None, Err(VerifyFailure::Refused(refused)));
        }
        self.settle(self.hotp.verify(input, self.last_counter), now)
    }

    /// Resynchronises a counter that fell far behind from two consecutive
    /// codes (see [`Hotp::resync`]); the counter moves past `second`.
    /// Throttled and counted like [`verify`](Self::verify), one attempt
    /// for the pair.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::from_bytes(b"12345678901234567890")?, mfa::HotpConfig::default())?;
    /// let record = mfa::HotpRecord::new(hotp);
    /// // RFC 4226 Appendix D, counters 7 and 8: beyond the look-ahead of 5.
    /// assert!(record.verify("399871", 0).into_parts().1.is_err());
    /// let (synced, outcome) = record.resync("162583", "399871", 0).into_parts();
    /// assert_eq!(outcome?.counter, 8);
    /// assert_eq!(synced.map(|r| r.next_counter()), Some(9));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn resync(&self, first: &str, second: &str, now: u64) -> Attempt<Self, HotpMatch> {
        if let Err(refused) = self.throttle.check(now) {
            return Attempt::new(None, Err(VerifyFailure::Refused(refused)));
        }
        self.settle(self.hotp.resync(first, second, self.last_counter), now)
    }

    /// The record with its failure count and backoff cleared, for when the
    /// user proved themselves another way (a recovery code, an
    /// administrator). Write it with compare-and-set like any other change.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// let record = mfa::HotpRecord::new(hotp);
    /// let failed = record.verify("12345", 0).into_parts().0.ok_or(mfa::VerifyFailure::Rejected)?;
    /// assert_eq!(failed.throttle().failures(), 1);
    /// assert_eq!(failed.unlock().throttle().failures(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use = "write the unlocked record with compare-and-set"]
    pub fn unlock(&self) -> Self {
        Self {
            throttle: self.throttle.after_success(),
            version: self.version.wrapping_add(1),
            ..self.clone()
        }
    }

    /// The key.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// let record = mfa::HotpRecord::new(hotp);
    /// assert_eq!(record.hotp().config().look_ahead(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn hotp(&self) -> &Hotp {
        &self.hotp
    }

    /// The counter the next code is expected to have (saturating at
    /// `u64::MAX`; see [`last_counter`](Self::last_counter) for the exact
    /// state).
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// assert_eq!(mfa::HotpRecord::new(hotp).next_counter(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn next_counter(&self) -> u64 {
        match self.last_counter {
            Some(last) => last.saturating_add(1),
            None => 0,
        }
    }

    /// The counter of the last accepted code, `None` before the first.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// assert_eq!(mfa::HotpRecord::new(hotp).last_counter(), None);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn last_counter(&self) -> Option<u64> {
        self.last_counter
    }

    /// The throttle state.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// assert_eq!(mfa::HotpRecord::new(hotp).throttle().retry_at(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn throttle(&self) -> Throttle {
        self.throttle
    }

    /// The throttle policy.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// assert_eq!(mfa::HotpRecord::new(hotp).policy().max_failures(), 10);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn policy(&self) -> ThrottlePolicy {
        self.policy
    }

    /// The version: 0 when made, one more after each change.
    ///
    /// ```
    /// # let hotp = mfa::Hotp::new(&mfa::Secret::generate()?, mfa::HotpConfig::default())?;
    /// assert_eq!(mfa::HotpRecord::new(hotp).version(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    fn settle(&self, result: Result<HotpMatch, VerifyError>, now: u64) -> Attempt<Self, HotpMatch> {
        let (last_counter, throttle, outcome) = match result {
            Ok(matched) => (
                Some(matched.counter),
                self.throttle.after_success(),
                Ok(matched),
            ),
            Err(e) => (
                self.last_counter,
                self.throttle.after_failure(now, &self.policy),
                Err(match e {
                    VerifyError::Malformed(e) => VerifyFailure::Malformed(e),
                    VerifyError::Rejected | VerifyError::Time(_) => VerifyFailure::Rejected,
                }),
            ),
        };
        let record = Self {
            hotp: self.hotp.clone(),
            last_counter,
            throttle,
            policy: self.policy,
            version: self.version.wrapping_add(1),
        };
        Attempt::new(Some(record), outcome)
    }
}

impl Versioned for HotpRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

/// Field by field; the secrets are compared in constant time.
impl PartialEq for HotpRecord {
    fn eq(&self, other: &Self) -> bool {
        self.hotp.secret() == other.hotp.secret()
            && self.hotp.config() == other.hotp.config()
            && self.last_counter == other.last_counter
            && self.throttle == other.throttle
            && self.policy == other.policy
            && self.version == other.version
    }
}

impl Eq for HotpRecord {}

#[cfg(feature = "serde")]
mod serde_impl {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::HotpRecord;
    use crate::hotp::{Hotp, HotpConfig};
    use crate::record::throttle::{Throttle, ThrottlePolicy};
    use crate::secret::Secret;

    #[derive(Serialize)]
    #[serde(rename = "HotpRecord")]
    struct Fields<'a> {
        secret: &'a Secret,
        config: &'a HotpConfig,
        last_counter: Option<u64>,
        throttle: Throttle,
        policy: ThrottlePolicy,
        version: u64,
    }

    #[derive(Deserialize)]
    #[serde(rename = "HotpRecord", deny_unknown_fields)]
    struct Owned {
        secret: Secret,
        config: HotpConfig,
        // Required: serde would otherwise read a missing `Option` as
        // `None`, which would forget the last used counter (a replay).
        #[serde(deserialize_with = "Option::deserialize")]
        last_counter: Option<u64>,
        throttle: Throttle,
        policy: ThrottlePolicy,
        version: u64,
    }

    /// `{secret, config, last_counter, throttle, policy, version}`, the
    /// secret as Base32 text.
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    impl Serialize for HotpRecord {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            Fields {
                secret: self.hotp.secret(),
                config: self.hotp.config(),
                last_counter: self.last_counter,
                throttle: self.throttle,
                policy: self.policy,
                version: self.version,
            }
            .serialize(serializer)
        }
    }

    /// Validates the secret, the parameters and the throttle policy;
    /// unknown fields are refused. The HMAC key schedule is run again.
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    impl<'de> Deserialize<'de> for HotpRecord {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let fields = Owned::deserialize(deserializer)?;
            Ok(HotpRecord {
                hotp: Hotp::new(&fields.secret, fields.config)
                    .map_err(D::Error::custom)?
                    .into(),
                last_counter: fields.last_counter,
                throttle: fields.throttle,
                policy: fields.policy.validated().map_err(D::Error::custom)?,
                version: fields.version,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{HotpConfig, Secret};

    fn record(key: u8, config: HotpConfig) -> HotpRecord {
        let secret = Secret::from_bytes(&[key; 20]).expect("a 160-bit key");
        HotpRecord::new(Hotp::new(&secret, config).expect("a valid profile"))
    }

    /// Equality reads every field: records that differ in one are unequal.
    #[test]
    fn records_differing_in_one_field_are_unequal() {
        let base = record(0x5a, HotpConfig::default());
        assert!(base == base.clone());
        let ahead = HotpConfig::builder()
            .look_ahead(3)
            .build()
            .expect("a valid profile");
        let failed = base.throttle.after_failure(1_000, &base.policy);
        for (field, other) in [
            ("key", record(0x5b, HotpConfig::default())),
            ("config", record(0x5a, ahead)),
            ("last_counter", base.clone().starting_at(5)),
            (
                "throttle",
                HotpRecord {
                    throttle: failed,
                    ..base.clone()
                },
            ),
            (
                "policy",
                HotpRecord {
                    policy: ThrottlePolicy::unlimited(),
                    ..base.clone()
                },
            ),
            (
                "version",
                HotpRecord {
                    version: 1,
                    ..base.clone()
                },
            ),
        ] {
            assert!(base != other, "{field}");
        }
    }

    /// The last counter is the one before the next; unlocking clears the
    /// throttle and is a new version.
    #[test]
    fn last_counter_and_unlock() {
        let base = record(0x5a, HotpConfig::default());
        for (start, last) in [(0, None), (1, Some(0)), (42, Some(41))] {
            assert_eq!(base.clone().starting_at(start).last_counter(), last);
        }
        let failed = HotpRecord {
            throttle: base.throttle.after_failure(1_000, &base.policy),
            version: 7,
            ..base.clone()
        };
        let unlocked = failed.unlock();
        assert_eq!((unlocked.version(), unlocked.throttle().failures()), (8, 0));
    }
}
