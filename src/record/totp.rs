//! The TOTP factor record: a key and the state that guards it.

use crate::error::{ParamError, VerifyError};
use crate::totp::{Totp, TotpMatch};

use super::attempt::{Attempt, VerifyFailure};
use super::store::Versioned;
use super::throttle::{Throttle, ThrottlePolicy};

/// The key of a record, shared between a record and the records made from
/// it, so that an operation does not copy the key schedule and the secret
/// (and zeroize the copy when it is dropped): an `Arc`, or a `Box` on
/// targets without atomics. The key is zeroized when the last owner drops.
#[cfg(target_has_atomic = "ptr")]
pub(super) type Shared<T> = alloc::sync::Arc<T>;
#[cfg(not(target_has_atomic = "ptr"))]
pub(super) type Shared<T> = alloc::boxed::Box<T>;

/// A TOTP factor as the host persists it: the key (a ready [`Totp`], with
/// its secret and parameters), the last accepted step, the recorded clock
/// drift, the [`Throttle`] state and its [`ThrottlePolicy`], and a
/// [`version`](Self::version).
///
/// Every operation is a pure function of (record, input, `now`) that
/// returns an [`Attempt`]: the outcome and the new record, to be written
/// with compare-and-set before the outcome is acted on. Nothing reads a
/// clock, and nothing blocks.
///
/// # Rules
///
/// - **Throttle first.** An attempt during backoff or lockout is refused
///   without evaluating the code ([`VerifyFailure::Refused`], which says
///   until when) and changes nothing. Every other attempt with a malformed
///   or wrong code counts as a failure; a success resets the count.
/// - **Replay** (RFC 6238 §5.2): a code whose step is at or before the last
///   accepted one is rejected, even inside the window. A new record has no
///   last step, so the code that confirms an enrollment, checked through
///   the record, consumes its step.
/// - **Drift** (RFC 6238 §6): the window is centred on now plus the recorded
///   drift, and each success records its offset from now as the new drift.
///   The drift is bounded by the key's resynchronisation range,
///   [`TotpConfig::resync`](crate::TotpConfig::resync) (default 120
///   steps, an hour at 30 s; at most 2,880): RFC 6238 §6 asks for a limit
///   on how far out of sync a prover may be, and a phone further off than
///   that must be resynchronised explicitly, after extra authentication,
///   with [`resync`](Self::resync).
/// - **Clock behind** (Moodle tool_mfa PR #163): a rejected code that is
///   the code of an earlier step, below the windows (around now and
///   around the recorded drift) but within the resynchronisation range of
///   now, and after the last accepted step, is reported as
///   [`VerifyFailure::ClockBehind`], so the user can be told "this code
///   looks old: check your phone's time" instead of "wrong code". It is
///   still a rejection: counted by the throttle like any other, never
///   accepted, no step consumed, the drift unchanged. Only steps below
///   every window are reported, never steps ahead of one: a guess that
///   matches a later step becomes valid when a window reaches it (time
///   moves the windows up; with a negative drift, the lower window moves
///   onto the steps between the two), and saying so would let a guesser
///   wait for it. The search runs only on a rejection, over every
///   candidate of the range in constant time (up to
///   [`max_drift`](Self::max_drift) HMACs, 120 by default).
/// - **Malformed input** (wrong length, not digits) computes no HMAC but
///   counts as a failed attempt. A typo costs the user one attempt (check
///   the length in the form first: it is public); in exchange the failure
///   count means "attempts past the throttle", whatever their shape, and
///   no kind of input is free to send.
///
/// The policy (window and drift bound in the key's [`TotpConfig`], the
/// throttle policy) lives in the record, validated when the record is made
/// or deserialized, so the record alone decides and cannot be checked
/// against the wrong policy.
///
/// With the `serde` feature the record serializes with its secret (as
/// Base32): encrypt it at rest. `Debug` shows no secret.
///
/// [`TotpConfig`]: crate::TotpConfig
///
/// ```
/// use mfa::{Secret, Totp, TotpConfig, TotpRecord, VerifyFailure};
///
/// let totp = Totp::new(&Secret::generate()?, TotpConfig::default())?;
/// let record = TotpRecord::new(totp);
/// let now = 1_700_000_000;
/// let code = record.totp().generate(now)?.to_string(); // what the user's app shows
///
/// let (record_1, outcome) = record.verify(&code, now).into_parts();
/// // Write record_1 with compare-and-set on version 0, then act on `outcome`.
/// assert_eq!(outcome?.offset, 0);
/// let record_1 = record_1.ok_or(VerifyFailure::Rejected)?;
/// assert_eq!(record_1.version(), 1);
///
/// // The same code again is a replay: rejected, and counted.
/// let (record_2, outcome) = record_1.verify(&code, now).into_parts();
/// assert_eq!(outcome, Err(VerifyFailure::Rejected));
/// assert_eq!(record_2.map(|r| r.throttle().failures()), Some(1));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TotpRecord {
    totp: Shared<Totp>,
    last_step: Option<u64>,
    drift: i64,
    throttle: Throttle,
    policy: ThrottlePolicy,
    version: u64,
}

impl TotpRecord {
    /// A new record for a key, with the default [`ThrottlePolicy`], no code
    /// accepted yet, no drift, version 0.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let record = mfa::TotpRecord::new(totp);
    /// assert_eq!((record.last_step(), record.drift(), record.version()), (None, 0, 0));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn new(totp: Totp) -> Self {
        Self {
            totp: Shared::new(totp),
            last_step: None,
            drift: 0,
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
    /// use mfa::{ThrottlePolicy, TotpRecord};
    ///
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let record = TotpRecord::with_policy(totp.clone(), ThrottlePolicy::builder().max_failures(5).build()?)?;
    /// assert_eq!(record.policy().max_failures(), 5);
    /// assert!(ThrottlePolicy::builder().max_failures(0).build().is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn with_policy(totp: Totp, policy: ThrottlePolicy) -> Result<Self, ParamError> {
        Ok(Self {
            policy: policy.validated()?,
            ..Self::new(totp)
        })
    }

    /// Checks a code at `now` (Unix seconds): throttle, then the window
    /// around now plus the recorded drift, refusing replays. When a drift
    /// is recorded, the window around now is scanned as well, so a phone
    /// whose clock has since been corrected is not locked out; that doubles
    /// the candidates (and an attacker's odds per guess) while the drift is
    /// not 0.
    ///
    /// On success the new record stores the matched step and its offset as
    /// the drift, and resets the failure count. On a counted failure it
    /// records the failure and the backoff: a code from a step behind the
    /// window is [`VerifyFailure::ClockBehind`], any other rejection
    /// [`VerifyFailure::Rejected`]. When refused, or when `now` is
    /// before T0, there is no new record. With no drift the cost is that of
    /// [`Totp::verify_with_drift`]: the new record shares the key.
    ///
    /// ```
    /// use mfa::{Refused, ThrottlePolicy, TotpRecord, VerifyFailure};
    ///
    /// let secret = mfa::Secret::from_bytes(b"12345678901234567890")?;
    /// let record = TotpRecord::new(mfa::Totp::new(&secret, mfa::TotpConfig::default())?);
    /// let now = 59; // step 1: the window holds 755224, 287082 and 359152
    /// let mut failed = record.clone();
    /// // Three typos are forgiven (default policy): the next attempt is
    /// // evaluated at once.
    /// for _ in 0..3 {
    ///     let (record, outcome) = failed.verify("000000", now).into_parts();
    ///     assert_eq!(outcome, Err(VerifyFailure::Rejected));
    ///     failed = record.ok_or(VerifyFailure::Rejected)?;
    /// }
    /// assert_eq!(failed.throttle().retry_at(), now);
    ///
    /// // One second of backoff after the fourth failure.
    /// let (failed, _) = failed.verify("000000", now).into_parts();
    /// let failed = failed.ok_or(VerifyFailure::Rejected)?;
    /// let (none, outcome) = failed.verify("123456", now).into_parts();
    /// assert!(none.is_none());
    /// assert_eq!(outcome, Err(VerifyFailure::Refused(Refused::Backoff { retry_at: now + 1, retry_after: 1 })));
    ///
    /// // A phone five minutes slow shows the code of ten steps ago: outside
    /// // the window, so not accepted, but said to be old; and counted.
    /// let slow = record.totp().generate(1_000_000 - 300)?.to_string();
    /// let (counted, outcome) = record.verify(&slow, 1_000_000).into_parts();
    /// assert_eq!(outcome, Err(VerifyFailure::ClockBehind));
    /// assert_eq!(counted.map(|r| (r.throttle().failures(), r.drift())), Some((1, 0)));
    /// // A phone five minutes fast: its code is only wrong (see the rules).
    /// let fast = record.totp().generate(1_000_000 + 300)?.to_string();
    /// assert_eq!(record.verify(&fast, 1_000_000).into_parts().1, Err(VerifyFailure::Rejected));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn verify(&self, input: &str, now: u64) -> Attempt<Self, TotpMatch> {
        if let Err(refused) = self.throttle.check(now) {
            return Attempt::new(None, Err(VerifyFailure::Refused(refused)));
        }
        let around_drift = self
            .totp
            .verify_with_drift(input, now, self.drift, self.last_step);
        let result = if self.drift == 0 {
            around_drift
        } else {
            // Also the window around now, so that a phone whose clock was
            // corrected after a drift was recorded (NTP, a manual fix) still
            // verifies, and the drift goes back to 0, instead of being
            // rejected into a lockout. Both windows are always scanned: the
            // time taken depends on the (public) drift, not on the code.
            let around_now = self.totp.verify(input, now, self.last_step);
            match (around_drift, around_now) {
                (Ok(a), Ok(b)) => Ok(if b.step > a.step { b } else { a }),
                (Ok(m), Err(_)) | (Err(_), Ok(m)) => Ok(m),
                (Err(e), Err(_)) => Err(e),
            }
        };
        // Only once the code is rejected: the accept path pays nothing.
        self.settle(result, now, || {
            if self
                .totp
                .behind_window(input, now, self.drift, self.last_step)
            {
                VerifyFailure::ClockBehind
            } else {
                VerifyFailure::Rejected
            }
        })
    }

    /// Resynchronises a phone whose clock is far off, from two consecutive
    /// codes (see [`Totp::resync`]): searches the key's whole
    /// resynchronisation range around now, ignoring the recorded drift,
    /// and records the step of `second` and its offset as the new drift.
    ///
    /// Throttled and counted like [`verify`](Self::verify) (one attempt for
    /// the pair). Ask for extra authentication before offering it
    /// (RFC 6238 §6).
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let record = mfa::TotpRecord::new(totp);
    /// let now = 1_700_000_000;
    /// // The phone is 40 minutes slow: 80 steps.
    /// let first = record.totp().generate(now - 2_430)?.to_string();
    /// let second = record.totp().generate(now - 2_400)?.to_string();
    /// assert!(record.verify(&second, now).into_parts().1.is_err());
    ///
    /// let (synced, outcome) = record.resync(&first, &second, now).into_parts();
    /// assert_eq!(outcome?.offset, -80);
    /// let synced = synced.ok_or(mfa::VerifyFailure::Rejected)?;
    /// assert_eq!(synced.drift(), -80);
    ///
    /// // From now on the slow phone's codes are accepted.
    /// let later = synced.totp().generate(now + 60 - 2_400)?.to_string();
    /// assert_eq!(synced.verify(&later, now + 60).into_parts().1?.offset, -80);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn resync(&self, first: &str, second: &str, now: u64) -> Attempt<Self, TotpMatch> {
        if let Err(refused) = self.throttle.check(now) {
            return Attempt::new(None, Err(VerifyFailure::Refused(refused)));
        }
        let result = self.totp.resync(first, second, now, self.last_step);
        self.settle(result, now, || VerifyFailure::Rejected)
    }

    /// The record with its failure count and backoff cleared, for when the
    /// user proved themselves another way (a recovery code, an
    /// administrator). The lockout is only ever lifted this way or by a
    /// success. Write it with compare-and-set like any other change.
    ///
    /// ```
    /// use mfa::{Refused, ThrottlePolicy, TotpRecord, VerifyFailure};
    ///
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let policy = ThrottlePolicy::builder().free_failures(0).max_failures(1).build()?;
    /// let record = TotpRecord::with_policy(totp, policy)?;
    /// // One failure locks for 900 s (the default first lockout).
    /// let locked = record.verify("12345", 0).into_parts().0.ok_or(VerifyFailure::Rejected)?;
    /// assert_eq!(
    ///     locked.verify("123456", 899).into_parts().1,
    ///     Err(VerifyFailure::Refused(Refused::LockedOut { retry_at: 900, retry_after: 1 }))
    /// );
    ///
    /// let unlocked = locked.unlock();
    /// assert_eq!((unlocked.throttle().failures(), unlocked.version()), (0, 2));
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
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// let record = mfa::TotpRecord::new(totp);
    /// assert_eq!(record.totp().config().period(), 30);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn totp(&self) -> &Totp {
        &self.totp
    }

    /// The step of the last accepted code, `None` before the first.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(mfa::TotpRecord::new(totp).last_step(), None);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn last_step(&self) -> Option<u64> {
        self.last_step
    }

    /// The recorded drift in steps (negative: the phone is slow), within
    /// ±[`max_drift`](Self::max_drift).
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(mfa::TotpRecord::new(totp).drift(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn drift(&self) -> i64 {
        self.drift
    }

    /// The bound on the recorded drift, in steps each way: the key's
    /// resynchronisation range.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(mfa::TotpRecord::new(totp).max_drift(), 120);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn max_drift(&self) -> u32 {
        self.totp.config().resync()
    }

    /// The throttle state: consecutive failures and when attempts are
    /// evaluated again.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(mfa::TotpRecord::new(totp).throttle().failures(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn throttle(&self) -> Throttle {
        self.throttle
    }

    /// The throttle policy.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(mfa::TotpRecord::new(totp).policy(), mfa::ThrottlePolicy::default());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn policy(&self) -> ThrottlePolicy {
        self.policy
    }

    /// The version: 0 when made, one more after each change. Compare-and-set
    /// against the version you loaded.
    ///
    /// ```
    /// # let totp = mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?;
    /// assert_eq!(mfa::TotpRecord::new(totp).version(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The attempt for the result of an evaluated code; `rejected` says
    /// how a rejection is reported.
    fn settle(
        &self,
        result: Result<TotpMatch, VerifyError>,
        now: u64,
        rejected: impl FnOnce() -> VerifyFailure,
    ) -> Attempt<Self, TotpMatch> {
        let failure = match result {
            Ok(matched) => {
                let bound = i64::from(self.max_drift());
                let record = Self {
                    totp: self.totp.clone(),
                    last_step: Some(matched.step),
                    drift: matched.offset.clamp(bound.saturating_neg(), bound),
                    throttle: self.throttle.after_success(),
                    policy: self.policy,
                    version: self.version.wrapping_add(1),
                };
                return Attempt::new(Some(record), Ok(matched));
            }
            Err(VerifyError::Time(e)) => return Attempt::new(None, Err(VerifyFailure::Time(e))),
            Err(VerifyError::Malformed(e)) => VerifyFailure::Malformed(e),
            Err(VerifyError::Rejected) => rejected(),
        };
        let record = Self {
            totp: self.totp.clone(),
            last_step: self.last_step,
            drift: self.drift,
            throttle: self.throttle.after_failure(now, &self.policy),
            policy: self.policy,
            version: self.version.wrapping_add(1),
        };
        Attempt::new(Some(record), Err(failure))
    }
}

impl Versioned for TotpRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

/// Field by field; the secrets are compared in constant time.
impl PartialEq for TotpRecord {
    fn eq(&self, other: &Self) -> bool {
        self.totp.secret() == other.totp.secret()
            && self.totp.config() == other.totp.config()
            && self.last_step == other.last_step
            && self.drift == other.drift
            && self.throttle == other.throttle
            && self.policy == other.policy
            && self.version == other.version
    }
}

impl Eq for TotpRecord {}

#[cfg(feature = "serde")]
mod serde_impl {
    use serde::de::Error as _;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    use super::TotpRecord;
    use crate::record::throttle::{Throttle, ThrottlePolicy};
    use crate::secret::Secret;
    use crate::totp::{Totp, TotpConfig};

    #[derive(Serialize)]
    #[serde(rename = "TotpRecord")]
    struct Fields<'a> {
        secret: &'a Secret,
        config: &'a TotpConfig,
        last_step: Option<u64>,
        drift: i64,
        throttle: Throttle,
        policy: ThrottlePolicy,
        version: u64,
    }

    #[derive(Deserialize)]
    #[serde(rename = "TotpRecord", deny_unknown_fields)]
    struct Owned {
        secret: Secret,
        config: TotpConfig,
        // Required: serde would otherwise read a missing `Option` as
        // `None`, which would forget the last accepted step (a replay).
        #[serde(deserialize_with = "Option::deserialize")]
        last_step: Option<u64>,
        drift: i64,
        throttle: Throttle,
        policy: ThrottlePolicy,
        version: u64,
    }

    /// `{secret, config, last_step, drift, throttle, policy, version}`,
    /// the secret as Base32 text.
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    impl Serialize for TotpRecord {
        fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            Fields {
                secret: self.totp.secret(),
                config: self.totp.config(),
                last_step: self.last_step,
                drift: self.drift,
                throttle: self.throttle,
                policy: self.policy,
                version: self.version,
            }
            .serialize(serializer)
        }
    }

    /// Validates everything: the secret, the parameters, the throttle
    /// policy, and the drift against its bound; unknown fields are refused.
    /// The HMAC key schedule is run again.
    #[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
    impl<'de> Deserialize<'de> for TotpRecord {
        fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
            let fields = Owned::deserialize(deserializer)?;
            let totp = Totp::new(&fields.secret, fields.config).map_err(D::Error::custom)?;
            let policy = fields.policy.validated().map_err(D::Error::custom)?;
            let max = fields.config.resync();
            if fields.drift.unsigned_abs() > u64::from(max) {
                return Err(D::Error::custom(format_args!(
                    "a drift of {} steps is beyond the resynchronisation range of {max}",
                    fields.drift
                )));
            }
            Ok(TotpRecord {
                totp: totp.into(),
                last_step: fields.last_step,
                drift: fields.drift,
                throttle: fields.throttle,
                policy,
                version: fields.version,
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Digits, Secret, TotpConfig};
    use alloc::collections::BTreeMap;
    use alloc::string::ToString;

    fn record(key: u8, config: TotpConfig) -> TotpRecord {
        let secret = Secret::from_bytes(&[key; 20]).expect("a 160-bit key");
        TotpRecord::new(Totp::new(&secret, config).expect("a valid profile"))
    }

    /// Equality reads every field: records that differ in one are unequal.
    #[test]
    fn records_differing_in_one_field_are_unequal() {
        let base = record(0x5a, TotpConfig::default());
        assert!(base == base.clone());
        let eight = TotpConfig::builder()
            .digits(Digits::EIGHT)
            .build()
            .expect("a valid profile");
        let failed = base.throttle.after_failure(1_000, &base.policy);
        for (field, other) in [
            ("key", record(0x5b, TotpConfig::default())),
            ("config", record(0x5a, eight)),
            (
                "last_step",
                TotpRecord {
                    last_step: Some(5),
                    ..base.clone()
                },
            ),
            (
                "drift",
                TotpRecord {
                    drift: -2,
                    ..base.clone()
                },
            ),
            (
                "throttle",
                TotpRecord {
                    throttle: failed,
                    ..base.clone()
                },
            ),
            (
                "policy",
                TotpRecord {
                    policy: ThrottlePolicy::unlimited(),
                    ..base.clone()
                },
            ),
            (
                "version",
                TotpRecord {
                    version: 1,
                    ..base.clone()
                },
            ),
        ] {
            assert!(base != other, "{field}");
        }
    }

    /// A stored drift may reach the resynchronisation range, not beyond.
    #[cfg(feature = "serde")]
    #[test]
    fn a_stored_drift_stays_within_the_resync_range() {
        let base = record(0x5a, TotpConfig::default());
        let max = i64::from(base.totp().config().resync());
        let json = serde_json::to_value(&base).expect("serializes");
        for (drift, ok) in [
            (max, true),
            (-max, true),
            (max + 1, false),
            (-max - 1, false),
        ] {
            let mut edited = json.clone();
            edited["drift"] = drift.into();
            let back = serde_json::from_value::<TotpRecord>(edited);
            assert_eq!(back.map(|r| r.drift()).ok(), ok.then_some(drift), "{drift}");
        }
    }

    /// An old code is said to be old only when it could have been a fresh
    /// one: a replayed code (at or before the last accepted step) and any
    /// code when the resynchronisation range does not reach past the
    /// window are only rejected.
    #[test]
    fn replays_and_codes_past_a_short_range_are_only_rejected() {
        let base = record(0x5a, TotpConfig::default());
        let now = 1_000_020;
        let code = base.totp().generate(now).expect("a code").to_string();
        let (used, outcome) = base.verify(&code, now).into_parts();
        assert!(outcome.is_ok());
        let used = used.expect("a new record");
        let later = now + 5 * 30;
        let (_, outcome) = used.verify(&code, later).into_parts();
        assert_eq!(outcome.map(|m| m.step), Err(VerifyFailure::Rejected));
        let (_, outcome) = base.verify(&code, later).into_parts();
        assert_eq!(outcome.map(|m| m.step), Err(VerifyFailure::ClockBehind));

        for (resync, expected) in [
            (1, VerifyFailure::Rejected),
            (2, VerifyFailure::ClockBehind),
        ] {
            let config = TotpConfig::builder()
                .resync(resync)
                .build()
                .expect("a valid profile");
            let short = record(0x5a, config);
            let old = short.totp().generate(now - 60).expect("a code").to_string();
            let (_, outcome) = short.verify(&old, now).into_parts();
            assert_eq!(outcome.map(|m| m.step), Err(expected), "{resync}");
        }
    }

    /// With a negative drift, a code between the two windows is only
    /// rejected: the window around the drift moves up onto it, and one
    /// step later it is accepted (so "old" would have told a guesser to
    /// wait). Below the lower window a code is said to be old.
    #[test]
    fn between_the_windows_a_code_is_only_rejected() {
        let base = record(0x5a, TotpConfig::default());
        let drifted = TotpRecord {
            drift: -4,
            ..base.clone()
        };
        let now = 1_000_020;
        let step = base.totp().step_at(now).expect("a step");
        let code = |back: u64| base.totp().generate_at_step(step - back).to_string();
        let (_, outcome) = drifted.verify(&code(2), now).into_parts();
        assert_eq!(outcome.map(|m| m.step), Err(VerifyFailure::Rejected));
        let (_, outcome) = drifted.verify(&code(2), now + 30).into_parts();
        assert_eq!(outcome.map(|m| m.step), Ok(step - 2));
        let (_, outcome) = drifted.verify(&code(6), now).into_parts();
        assert_eq!(outcome.map(|m| m.step), Err(VerifyFailure::ClockBehind));
        let (_, outcome) = base.verify(&code(2), now).into_parts();
        assert_eq!(outcome.map(|m| m.step), Err(VerifyFailure::ClockBehind));
    }

    /// When the windows around the recorded drift and around now both
    /// match, the later step wins, at offset 0: a phone whose clock was
    /// corrected goes back to no drift. The key's codes repeat within a
    /// few thousand steps; two steps far enough apart that the windows do
    /// not overlap share a code.
    #[test]
    fn the_later_of_two_matching_windows_wins() {
        let base = record(0x5a, TotpConfig::default());
        let mut seen = BTreeMap::new();
        let mut pair = None;
        for step in 0..20_000u64 {
            let value = base.totp().generate_at_step(step).value();
            match seen.get(&value) {
                Some(&early) if step - early >= 3 => {
                    pair = Some((early, step));
                    break;
                }
                Some(_) => {}
                None => {
                    seen.insert(value, step);
                }
            }
        }
        let (early, late) = pair.expect("a repeated code");
        let drifted = TotpRecord {
            drift: -i64::try_from(late - early).expect("a small gap"),
            ..base.clone()
        };
        let code = base.totp().generate_at_step(late).to_string();
        assert_eq!(base.totp().generate_at_step(early).to_string(), code);
        let (_, outcome) = drifted.verify(&code, late * 30).into_parts();
        assert_eq!(outcome.map(|m| (m.step, m.offset)), Ok((late, 0)));
    }
}
