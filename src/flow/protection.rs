//! The account's protection record, and the changes made to it.

use alloc::vec;
use alloc::vec::Vec;

use crate::record::{Destination, OobRecord, RecoveryCodes, Versioned};

use super::error::FlowError;
use super::factor::Factor;
use super::{Event, Flows, Output, Scenario, Transition, Verified, checked_scenarios};

/// What the host stores per account, with compare-and-set on its
/// [`version`](Self::version): the active factor's record `R` (if
/// protection is on), the protected scenarios, the recovery codes, and the
/// [`OobRecord`] of identity-verification codes, whose failure count
/// survives restarted enrollments.
///
/// Make one with [`new`](Self::new) when the account is created (or on its
/// first visit to "account protection"), store it, and from then on only
/// write what [`Output::Persist`] says.
///
/// With the `serde` feature it serializes with the factor record (a TOTP
/// secret among it, as Base32: encrypt it at rest) and is validated when
/// read back.
///
/// ```
/// use mfa::{Protection, Scenario, TotpRecord};
///
/// let account: Protection<TotpRecord> = Protection::new()?;
/// assert!(!account.is_on());
/// assert!(!account.protects(&Scenario::LogOn));
/// assert_eq!(account.version(), 0);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        deny_unknown_fields,
        try_from = "RawProtection<R>",
        bound(
            serialize = "R: serde::Serialize",
            deserialize = "R: serde::Deserialize<'de>"
        )
    )
)]
pub struct Protection<R> {
    /// The account binding: random, set once by [`Protection::new`]. Every
    /// flow state and [`Verified`] made for this account carries it.
    id: [u8; 16],
    /// One more each time a factor is activated or replaced, or
    /// protection is turned off: proofs and changes of an older
    /// generation no longer count.
    generation: u64,
    version: u64,
    identity: OobRecord,
    /// Codes sent to prove a factor being bound (a new phone): per
    /// account, whatever the destination.
    /// (Boxed: it is seldom used, and keeps the outputs small.)
    binding: alloc::boxed::Box<OobRecord>,
    /// A factor being set up (a pending secret, a phone being bound),
    /// with its failure count: in the account record, not the session.
    pending: Option<alloc::boxed::Box<Pending<R>>>,
    active: Option<Active<R>>,
}

/// A factor being set up, until it is confirmed or `expires_at`.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        deny_unknown_fields,
        bound(
            serialize = "R: serde::Serialize",
            deserialize = "R: serde::Deserialize<'de>"
        )
    )
)]
pub(crate) struct Pending<R> {
    /// Names this setup: the enrollment that made it holds the same id.
    pub(crate) id: [u8; 16],
    pub(crate) record: R,
    pub(crate) expires_at: u64,
    /// Where the binding code went, when the factor is proved by one.
    pub(crate) to: Option<Destination>,
}

/// The serialized form, checked into a [`Protection`]: every field
/// required (a dropped `binding` must not reset its counters), and an
/// account id that is not all zero (never one of [`Protection::new`]).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(
    rename = "Protection",
    deny_unknown_fields,
    bound(deserialize = "R: serde::Deserialize<'de>")
)]
struct RawProtection<R> {
    id: [u8; 16],
    generation: u64,
    version: u64,
    identity: OobRecord,
    binding: alloc::boxed::Box<OobRecord>,
    pending: Option<alloc::boxed::Box<Pending<R>>>,
    active: Option<Active<R>>,
}

#[cfg(feature = "serde")]
impl<R> TryFrom<RawProtection<R>> for Protection<R> {
    type Error = FlowError;

    fn try_from(raw: RawProtection<R>) -> Result<Self, FlowError> {
        if raw.id == [0; 16] {
            return Err(FlowError::WrongAccount);
        }
        Ok(Self {
            id: raw.id,
            generation: raw.generation,
            version: raw.version,
            identity: raw.identity,
            binding: raw.binding,
            pending: raw.pending,
            active: raw.active,
        })
    }
}

/// The active part of a protection.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        deny_unknown_fields,
        try_from = "RawActive<R>",
        bound(
            serialize = "R: serde::Serialize",
            deserialize = "R: serde::Deserialize<'de>"
        )
    )
)]
struct Active<R> {
    scenarios: Vec<Scenario>,
    factor: R,
    recovery: RecoveryCodes,
    since: u64,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(rename = "Active", deny_unknown_fields)]
struct RawActive<R> {
    scenarios: Vec<Scenario>,
    factor: R,
    recovery: RecoveryCodes,
    since: u64,
}

#[cfg(feature = "serde")]
impl<R> TryFrom<RawActive<R>> for Active<R> {
    type Error = FlowError;

    fn try_from(raw: RawActive<R>) -> Result<Self, FlowError> {
        Ok(Self {
            scenarios: checked_scenarios(&raw.scenarios)?,
            factor: raw.factor,
            recovery: raw.recovery,
            since: raw.since,
        })
    }
}

impl<R: Clone> Protection<R> {
    /// An account without protection, at version 0, with a new random
    /// 128-bit account binding: flow states and proofs made for it are
    /// refused for any other account ([`FlowError::WrongAccount`]).
    ///
    /// # Errors
    ///
    /// [`FlowError::RandomSource`] if the operating system's random
    /// source fails.
    ///
    /// ```
    /// let account = mfa::Protection::<mfa::SmsRecord>::new()?;
    /// assert!(account.factor().is_none());
    /// assert_ne!(account, mfa::Protection::new()?); // another binding
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn new() -> Result<Self, FlowError> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id).map_err(|_| FlowError::RandomSource)?;
        Ok(Self {
            id,
            generation: 0,
            version: 0,
            identity: OobRecord::new(),
            binding: alloc::boxed::Box::default(),
            pending: None,
            active: None,
        })
    }

    /// The account binding.
    pub(crate) const fn id(&self) -> [u8; 16] {
        self.id
    }

    /// The generation of the factor (see the field).
    pub(crate) const fn generation(&self) -> u64 {
        self.generation
    }

    /// The version: 0 when made, one more after each change.
    ///
    /// ```
    /// assert_eq!(mfa::Protection::<mfa::SmsRecord>::new()?.version(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// Whether protection is on.
    ///
    /// ```
    /// assert!(!mfa::Protection::<mfa::SmsRecord>::new()?.is_on());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn is_on(&self) -> bool {
        self.active.is_some()
    }

    /// Whether `scenario` is protected (never, while protection is off).
    ///
    /// ```
    /// assert!(!mfa::Protection::<mfa::SmsRecord>::new()?.protects(&mfa::Scenario::CriticalOperation));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn protects(&self, scenario: &Scenario) -> bool {
        self.scenarios().contains(scenario)
    }

    /// The protected scenarios; empty while protection is off.
    ///
    /// ```
    /// assert!(mfa::Protection::<mfa::SmsRecord>::new()?.scenarios().is_empty());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn scenarios(&self) -> &[Scenario] {
        self.active.as_ref().map_or(&[], |a| a.scenarios.as_slice())
    }

    /// The active factor's record.
    ///
    /// ```
    /// assert!(mfa::Protection::<mfa::SmsRecord>::new()?.factor().is_none());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn factor(&self) -> Option<&R> {
        self.active.as_ref().map(|a| &a.factor)
    }

    /// The recovery codes (stored as hashes), while protection is on.
    ///
    /// ```
    /// assert!(mfa::Protection::<mfa::SmsRecord>::new()?.recovery_codes().is_none());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn recovery_codes(&self) -> Option<&RecoveryCodes> {
        self.active.as_ref().map(|a| &a.recovery)
    }

    /// When protection was turned on (Unix seconds).
    ///
    /// ```
    /// assert_eq!(mfa::Protection::<mfa::SmsRecord>::new()?.since(), None);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn since(&self) -> Option<u64> {
        self.active.as_ref().map(|a| a.since)
    }

    /// The identity-verification codes of the account: code in flight,
    /// sends, failures.
    ///
    /// ```
    /// assert!(mfa::Protection::<mfa::SmsRecord>::new()?.identity().pending().is_none());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn identity(&self) -> &OobRecord {
        &self.identity
    }

    /// The binding codes of the account (sent to a phone being bound,
    /// whatever the number): code in flight, sends of the last hour,
    /// failures. Its cooldown, hourly cap and attempts hold per account.
    ///
    /// ```
    /// assert!(mfa::Protection::<mfa::SmsRecord>::new()?.binding().pending().is_none());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn binding(&self) -> &OobRecord {
        &self.binding
    }

    /// With a new binding-code record.
    pub(crate) fn with_binding(&self, binding: OobRecord) -> Self {
        Self {
            binding: alloc::boxed::Box::new(binding),
            ..self.next()
        }
    }

    /// The same version with `binding` in place: the base of a change
    /// made in the same write.
    pub(crate) fn holding_binding(&self, binding: OobRecord) -> Self {
        Self {
            binding: alloc::boxed::Box::new(binding),
            ..self.clone()
        }
    }

    /// The factor being set up, if any.
    pub(crate) fn pending(&self) -> Option<&Pending<R>> {
        self.pending.as_deref()
    }

    /// With a factor being set up (replacing any other setup).
    pub(crate) fn with_pending(&self, pending: Pending<R>) -> Self {
        Self {
            pending: Some(alloc::boxed::Box::new(pending)),
            ..self.next()
        }
    }

    /// With the record of the factor being set up changed (a failure
    /// counted, a code resent).
    pub(crate) fn with_pending_record(&self, record: R) -> Option<Self> {
        let mut new = self.next();
        new.pending.as_mut()?.record = record;
        Some(new)
    }

    /// The same record (same version) after a success with the factor:
    /// the owner is proved, so the failures of the recovery codes and of
    /// the identity codes are cleared. Binding codes are not: they prove
    /// a phone, not the owner.
    pub(crate) fn cleared_by_factor(mut self) -> Self {
        if let Some(active) = self.active.as_mut()
            && active.recovery.throttle().failures() > 0
        {
            active.recovery = active.recovery.unlock();
        }
        self.cleared_identity()
    }

    /// The same record (same version) with the identity codes' failures
    /// cleared: after a recovery code (which also unlocks the factor).
    pub(crate) fn cleared_identity(mut self) -> Self {
        if self.identity.throttle().failures() > 0 {
            self.identity = self.identity.unlock();
        }
        self
    }

    fn next_generation(&self) -> Self {
        Self {
            generation: self.generation.saturating_add(1),
            ..self.next()
        }
    }

    /// The next version, otherwise unchanged.
    fn next(&self) -> Self {
        Self {
            version: self.version.wrapping_add(1),
            ..self.clone()
        }
    }

    /// The output that writes `self` over `old`.
    pub(crate) fn persist_over(self, old: &Self) -> Output<R> {
        Output::Persist {
            record: self,
            expected_version: old.version,
        }
    }

    /// With a new identity record.
    pub(crate) fn with_identity(&self, identity: OobRecord) -> Self {
        Self {
            identity,
            ..self.next()
        }
    }

    /// With a new factor record, if protection is on.
    pub(crate) fn with_factor(&self, factor: R) -> Option<Self> {
        let mut new = self.next();
        new.active.as_mut()?.factor = factor;
        Some(new)
    }

    /// With another factor (a change of method, phone or key), if
    /// protection is on: a new generation, and no setup pending.
    pub(crate) fn replaced(&self, factor: R) -> Option<Self> {
        let mut new = self.next_generation();
        new.pending = None;
        new.active.as_mut()?.factor = factor;
        Some(new)
    }

    /// With a new recovery-code record, if protection is on.
    pub(crate) fn with_recovery(&self, recovery: RecoveryCodes) -> Option<Self> {
        let mut new = self.next();
        new.active.as_mut()?.recovery = recovery;
        Some(new)
    }

    /// With a new factor record and recovery-code record, in one change.
    pub(crate) fn with_factor_and_recovery(
        &self,
        factor: R,
        recovery: RecoveryCodes,
    ) -> Option<Self> {
        let mut new = self.next();
        let active = new.active.as_mut()?;
        active.factor = factor;
        active.recovery = recovery;
        Some(new)
    }

    /// Protection turned on.
    pub(crate) fn activated(
        &self,
        scenarios: Vec<Scenario>,
        factor: R,
        recovery: RecoveryCodes,
        now: u64,
    ) -> Self {
        Self {
            active: Some(Active {
                scenarios,
                factor,
                recovery,
                since: now,
            }),
            pending: None,
            ..self.next_generation()
        }
    }

    /// Replaces the set of recovery codes (every old code stops working)
    /// after a fresh check; the new codes are to be shown once.
    ///
    /// # Errors
    ///
    /// [`FlowError::NotProtected`], [`FlowError::CheckRequired`] (no check
    /// of this account within
    /// [`FlowPolicy::fresh_check`](crate::FlowPolicy::fresh_check) since
    /// its factor was last activated or replaced),
    /// [`FlowError::WrongAccount`] (a check of another account),
    /// or a [`FlowError::Recovery`] / [`FlowError::RandomSource`] from
    /// generating.
    ///
    /// ```
    /// # // The host: writes the record (compare-and-set), keeps the other outputs.
    /// # fn run<S, R: Clone>(account: &mfa::Protection<R>, step: mfa::Step<S, R>) -> Result<(S, mfa::Protection<R>, Vec<mfa::Output<R>>), mfa::Error> {
    /// #     let (state, outputs, result) = step.into_parts();
    /// #     result?;
    /// #     let mut record = account.clone();
    /// #     let mut rest = Vec::new();
    /// #     for output in outputs {
    /// #         match output {
    /// #             mfa::Output::Persist { record: new, .. } => record = new,
    /// #             other => rest.push(other),
    /// #         }
    /// #     }
    /// #     Ok((state.ok_or(mfa::FlowError::NotProtected)?, record, rest))
    /// # }
    /// # // The code delivered (by e-mail or SMS).
    /// # fn code<R>(outputs: &[mfa::Output<R>]) -> String {
    /// #     outputs.iter().find_map(|o| match o {
    /// #         mfa::Output::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).unwrap_or_default()
    /// # }
    /// # // The authenticator, from the key shown.
    /// # fn key<R>(outputs: &[mfa::Output<R>]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match outputs.iter().find(|o| matches!(o, mfa::Output::ShowKey(_))) {
    /// #         Some(mfa::Output::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::NotProtected.into()),
    /// #     }
    /// # }
    /// # let flows = mfa::Flows::new(
    /// #     mfa::TotpFactor::new("Example Co")?,
    /// #     mfa::OobKey::generate()?,
    /// #     // Fast recovery codes for the example: PBKDF2 at its minimum, 3 codes.
    /// #     mfa::FlowPolicy::default().recovery(mfa::RecoveryPolicy::default().iterations(1_000).count(3)),
    /// # )?;
    /// # let email = mfa::Destination::email("ada@example.com")?;
    /// # let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// # let t0 = 1_700_000_010;
    /// # let account = mfa::Protection::new()?;
    /// # let (enrollment, account, out) = run(&account, mfa::Enrollment::start(&flows, &account, &all, &[email.clone()], &email, t0))?;
    /// # let (enrollment, account, _) = run(&account, enrollment.verify_identity(&flows, &account, &code(&out), t0))?;
    /// # let (enrollment, account, out) = run(&account, enrollment.setup(&flows, &account, &"ada@example.com".into(), t0))?;
    /// # let totp = key(&out)?;
    /// # let (_, account, out) = run(&account, enrollment.confirm(&flows, &account, &[&totp.generate(t0)?.to_string()], t0))?;
    /// # let recovery_code = out.iter().find_map(|o| match o {
    /// #     mfa::Output::ShowRecoveryCodes(codes) => codes.first().map(|c| c.expose().to_owned()),
    /// #     _ => None,
    /// # }).unwrap_or_default();
    /// # let now = t0 + 600;
    /// # let (challenge, account, _) = run(&account, mfa::Verification::start(&flows, &account, mfa::Scenario::CriticalOperation, None, now))?;
    /// # let (passed, account, _) = run(&account, challenge.respond(&flows, &account, &totp.generate(now)?.to_string(), now))?;
    /// # let check = passed.verified().ok_or(mfa::FlowError::NotProtected)?.clone();
    /// use mfa::{Event, FlowError, Output};
    ///
    /// // `check`: a critical-operation check passed at `now`.
    /// let outputs = account.regenerate_recovery_codes(&flows, &check, now)?;
    /// assert!(matches!(
    ///     outputs.as_slice(),
    ///     [
    ///         Output::Persist { record, .. },
    ///         Output::ShowRecoveryCodes(codes),
    ///         Output::Notify { event: Event::RecoveryCodesRegenerated, .. },
    ///     ] if codes.len() == 3 && record.recovery_codes().is_some_and(|set| set.remaining() == 3)
    /// ));
    ///
    /// // Five minutes later, the check is too old for a change.
    /// let late = account.regenerate_recovery_codes(&flows, &check, now + 300);
    /// assert_eq!(late.err(), Some(FlowError::CheckRequired));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn regenerate_recovery_codes<F: Factor<Record = R>>(
        &self,
        flows: &Flows<F>,
        check: &Verified,
        now: u64,
    ) -> Transition<(), R> {
        let changed = || {
            let old = self.recovery_codes().ok_or(FlowError::NotProtected)?;
            flows.check_fresh(self, check, now)?;
            let (recovery, codes) = old
                .regenerate(&flows.policy().get_recovery(), now)
                .into_parts();
            let codes = codes?;
            // The fresh check proved the owner: the new set starts with no
            // failures.
            let record = recovery
                .and_then(|r| self.with_recovery(r.unlock()))
                .ok_or(FlowError::NotProtected)?;
            Ok::<_, FlowError>((record, codes))
        };
        let (record, codes) = match changed() {
            Ok(changed) => changed,
            Err(e) => return Transition::failed(e),
        };
        Transition::done(
            (),
            vec![
                record.persist_over(self),
                Output::ShowRecoveryCodes(codes),
                Output::Notify {
                    event: Event::RecoveryCodesRegenerated,
                    at: now,
                },
            ],
        )
    }

    /// Changes the protected scenarios after a fresh check.
    ///
    /// # Errors
    ///
    /// [`FlowError::NotProtected`], [`FlowError::Scenarios`] (none, or one
    /// twice), [`FlowError::CheckRequired`], [`FlowError::WrongAccount`].
    ///
    /// ```
    /// # // The host: writes the record (compare-and-set), keeps the other outputs.
    /// # fn run<S, R: Clone>(account: &mfa::Protection<R>, step: mfa::Step<S, R>) -> Result<(S, mfa::Protection<R>, Vec<mfa::Output<R>>), mfa::Error> {
    /// #     let (state, outputs, result) = step.into_parts();
    /// #     result?;
    /// #     let mut record = account.clone();
    /// #     let mut rest = Vec::new();
    /// #     for output in outputs {
    /// #         match output {
    /// #             mfa::Output::Persist { record: new, .. } => record = new,
    /// #             other => rest.push(other),
    /// #         }
    /// #     }
    /// #     Ok((state.ok_or(mfa::FlowError::NotProtected)?, record, rest))
    /// # }
    /// # // The code delivered (by e-mail or SMS).
    /// # fn code<R>(outputs: &[mfa::Output<R>]) -> String {
    /// #     outputs.iter().find_map(|o| match o {
    /// #         mfa::Output::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).unwrap_or_default()
    /// # }
    /// # // The authenticator, from the key shown.
    /// # fn key<R>(outputs: &[mfa::Output<R>]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match outputs.iter().find(|o| matches!(o, mfa::Output::ShowKey(_))) {
    /// #         Some(mfa::Output::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::NotProtected.into()),
    /// #     }
    /// # }
    /// # let flows = mfa::Flows::new(
    /// #     mfa::TotpFactor::new("Example Co")?,
    /// #     mfa::OobKey::generate()?,
    /// #     // Fast recovery codes for the example: PBKDF2 at its minimum, 3 codes.
    /// #     mfa::FlowPolicy::default().recovery(mfa::RecoveryPolicy::default().iterations(1_000).count(3)),
    /// # )?;
    /// # let email = mfa::Destination::email("ada@example.com")?;
    /// # let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// # let t0 = 1_700_000_010;
    /// # let account = mfa::Protection::new()?;
    /// # let (enrollment, account, out) = run(&account, mfa::Enrollment::start(&flows, &account, &all, &[email.clone()], &email, t0))?;
    /// # let (enrollment, account, _) = run(&account, enrollment.verify_identity(&flows, &account, &code(&out), t0))?;
    /// # let (enrollment, account, out) = run(&account, enrollment.setup(&flows, &account, &"ada@example.com".into(), t0))?;
    /// # let totp = key(&out)?;
    /// # let (_, account, out) = run(&account, enrollment.confirm(&flows, &account, &[&totp.generate(t0)?.to_string()], t0))?;
    /// # let recovery_code = out.iter().find_map(|o| match o {
    /// #     mfa::Output::ShowRecoveryCodes(codes) => codes.first().map(|c| c.expose().to_owned()),
    /// #     _ => None,
    /// # }).unwrap_or_default();
    /// # let now = t0 + 600;
    /// # let (challenge, account, _) = run(&account, mfa::Verification::start(&flows, &account, mfa::Scenario::CriticalOperation, None, now))?;
    /// # let (passed, account, _) = run(&account, challenge.respond(&flows, &account, &totp.generate(now)?.to_string(), now))?;
    /// # let check = passed.verified().ok_or(mfa::FlowError::NotProtected)?.clone();
    /// use mfa::{Event, FlowError, Output, Scenario};
    ///
    /// // Protect logging on only (`check`: a critical-operation check at `now`).
    /// let outputs = account.set_scenarios(&flows, &[Scenario::LogOn], &check, now)?;
    /// assert!(matches!(
    ///     outputs.as_slice(),
    ///     [
    ///         Output::Persist { record, .. },
    ///         Output::Notify { event: Event::ScenariosChanged, .. },
    ///     ] if record.protects(&Scenario::LogOn) && !record.protects(&Scenario::CriticalOperation)
    /// ));
    ///
    /// // At least one scenario, none twice.
    /// let none = account.set_scenarios(&flows, &[], &check, now);
    /// assert_eq!(none.err(), Some(FlowError::Scenarios));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn set_scenarios<F: Factor<Record = R>>(
        &self,
        flows: &Flows<F>,
        scenarios: &[Scenario],
        check: &Verified,
        now: u64,
    ) -> Transition<(), R> {
        if !self.is_on() {
            return Transition::failed(FlowError::NotProtected);
        }
        let scenarios = match checked_scenarios(scenarios) {
            Ok(scenarios) => scenarios,
            Err(e) => return Transition::failed(e),
        };
        if let Err(e) = flows.check_fresh(self, check, now) {
            return Transition::failed(e);
        }
        let mut record = self.next();
        if let Some(active) = record.active.as_mut() {
            active.scenarios = scenarios;
        }
        Transition::done(
            (),
            vec![
                record.persist_over(self),
                Output::Notify {
                    event: Event::ScenariosChanged,
                    at: now,
                },
            ],
        )
    }

    /// Turns protection off after a fresh check: the factor and the
    /// recovery codes are dropped.
    ///
    /// # Errors
    ///
    /// [`FlowError::NotProtected`], [`FlowError::CheckRequired`],
    /// [`FlowError::WrongAccount`].
    ///
    /// ```
    /// # // The host: writes the record (compare-and-set), keeps the other outputs.
    /// # fn run<S, R: Clone>(account: &mfa::Protection<R>, step: mfa::Step<S, R>) -> Result<(S, mfa::Protection<R>, Vec<mfa::Output<R>>), mfa::Error> {
    /// #     let (state, outputs, result) = step.into_parts();
    /// #     result?;
    /// #     let mut record = account.clone();
    /// #     let mut rest = Vec::new();
    /// #     for output in outputs {
    /// #         match output {
    /// #             mfa::Output::Persist { record: new, .. } => record = new,
    /// #             other => rest.push(other),
    /// #         }
    /// #     }
    /// #     Ok((state.ok_or(mfa::FlowError::NotProtected)?, record, rest))
    /// # }
    /// # // The code delivered (by e-mail or SMS).
    /// # fn code<R>(outputs: &[mfa::Output<R>]) -> String {
    /// #     outputs.iter().find_map(|o| match o {
    /// #         mfa::Output::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).unwrap_or_default()
    /// # }
    /// # // The authenticator, from the key shown.
    /// # fn key<R>(outputs: &[mfa::Output<R>]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match outputs.iter().find(|o| matches!(o, mfa::Output::ShowKey(_))) {
    /// #         Some(mfa::Output::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::NotProtected.into()),
    /// #     }
    /// # }
    /// # let flows = mfa::Flows::new(
    /// #     mfa::TotpFactor::new("Example Co")?,
    /// #     mfa::OobKey::generate()?,
    /// #     // Fast recovery codes for the example: PBKDF2 at its minimum, 3 codes.
    /// #     mfa::FlowPolicy::default().recovery(mfa::RecoveryPolicy::default().iterations(1_000).count(3)),
    /// # )?;
    /// # let email = mfa::Destination::email("ada@example.com")?;
    /// # let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// # let t0 = 1_700_000_010;
    /// # let account = mfa::Protection::new()?;
    /// # let (enrollment, account, out) = run(&account, mfa::Enrollment::start(&flows, &account, &all, &[email.clone()], &email, t0))?;
    /// # let (enrollment, account, _) = run(&account, enrollment.verify_identity(&flows, &account, &code(&out), t0))?;
    /// # let (enrollment, account, out) = run(&account, enrollment.setup(&flows, &account, &"ada@example.com".into(), t0))?;
    /// # let totp = key(&out)?;
    /// # let (_, account, out) = run(&account, enrollment.confirm(&flows, &account, &[&totp.generate(t0)?.to_string()], t0))?;
    /// # let recovery_code = out.iter().find_map(|o| match o {
    /// #     mfa::Output::ShowRecoveryCodes(codes) => codes.first().map(|c| c.expose().to_owned()),
    /// #     _ => None,
    /// # }).unwrap_or_default();
    /// # let now = t0 + 600;
    /// # let (challenge, account, _) = run(&account, mfa::Verification::start(&flows, &account, mfa::Scenario::CriticalOperation, None, now))?;
    /// # let (passed, account, _) = run(&account, challenge.respond(&flows, &account, &totp.generate(now)?.to_string(), now))?;
    /// # let check = passed.verified().ok_or(mfa::FlowError::NotProtected)?.clone();
    /// use mfa::{Event, Output};
    ///
    /// // `check`: a critical-operation check passed at `now`.
    /// let outputs = account.turn_off(&flows, &check, now)?;
    /// assert!(matches!(
    ///     outputs.as_slice(),
    ///     [
    ///         Output::Persist { record, expected_version },
    ///         Output::Notify { event: Event::ProtectionOff, .. },
    ///     ] if !record.is_on() && record.recovery_codes().is_none() && *expected_version == account.version()
    /// ));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn turn_off<F: Factor<Record = R>>(
        &self,
        flows: &Flows<F>,
        check: &Verified,
        now: u64,
    ) -> Transition<(), R> {
        if !self.is_on() {
            return Transition::failed(FlowError::NotProtected);
        }
        if let Err(e) = flows.check_fresh(self, check, now) {
            return Transition::failed(e);
        }
        let record = Self {
            active: None,
            pending: None,
            ..self.next_generation()
        };
        Transition::done(
            (),
            vec![
                record.persist_over(self),
                Output::Notify {
                    event: Event::ProtectionOff,
                    at: now,
                },
            ],
        )
    }
}

impl<R> Versioned for Protection<R> {
    fn version(&self) -> u64 {
        self.version
    }
}
