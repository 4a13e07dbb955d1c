//! The account's protection record, and the changes made to it.

use alloc::vec;
use alloc::vec::Vec;

use crate::record::{Destination, RecoveryCodes, Throttle, ThrottlePolicy, Versioned};

use super::audit::Audit;
use super::contact::{BindingCodes, IdentityCodes};
use super::error::FlowError;
use super::factor::Factor;
use super::factors::{AccountId, AdminId, FactorId, FactorName, MAX_FACTORS, NamedFactor, Reason};
use super::trust::TrustedDevice;
use super::verify::Proved;
use super::{Event, Flows, Output, Scenario, Transition, Verified, checked_scenarios};

/// What the host stores per account, with compare-and-set on its
/// [`version`](Self::version): while protection is on, its named factors
/// (1 to [`MAX_FACTORS`], each with its record `R`), the protected
/// scenarios and the recovery codes; and always the remembered devices (as
/// keyed hashes, [`Protection::trust_device`]) and the [`IdentityCodes`]
/// and [`BindingCodes`], whose failure counts survive restarted enrollments
/// (types of their own: neither is a factor); and the account-wide
/// [`throttle`](Self::throttle) of the factors' codes, on top of each
/// factor's own, so that switching factors buys a guesser nothing.
///
/// Make one with [`new`](Self::new) when the account is created (or on its
/// first visit to "account protection": [`run_blocking`](crate::run_blocking)
/// and [`run`](crate::run) insert it then), store it, and from then on only
/// write what a [`Persist`](crate::Persist) says.
///
/// With the `serde` feature it serializes with the factor records (TOTP
/// secrets among them, as Base32: encrypt it at rest) and is validated when
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
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    id: [u8; 16],
    /// One more each time a factor is added, removed or replaced, or
    /// protection is turned on or off: proofs and changes of an older
    /// generation no longer count.
    generation: u64,
    version: u64,
    identity: IdentityCodes,
    /// Codes sent to prove a factor being bound (a new phone): per
    /// account, whatever the destination.
    /// (Boxed: it is seldom used, and keeps the outputs small.)
    binding: alloc::boxed::Box<BindingCodes>,
    /// A factor being set up (a pending secret, a phone being bound),
    /// with its failure count: in the account record, not the session.
    pending: Option<alloc::boxed::Box<Pending<R>>>,
    active: Option<Active<R>>,
    /// Devices remembered for a scenario, oldest first: cleared with each
    /// new generation.
    trusted: Vec<TrustedDevice>,
    /// The counted wrong codes of every factor together, under
    /// [`FlowPolicy::account_throttle`](crate::FlowPolicy::account_throttle).
    throttle: Throttle,
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
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    pub(crate) id: [u8; 16],
    pub(crate) record: R,
    pub(crate) expires_at: u64,
    /// Where the binding code went, when the factor is proved by one.
    pub(crate) to: Option<Destination>,
}

/// The serialized form, checked into a [`Protection`]: every field
/// required (a dropped `binding` must not reset its counters) but the
/// account-wide `throttle`, which records stored before it existed lack
/// (they start with a fresh one; each factor's own throttle still holds);
/// and an account id that is not all zero (never one of
/// [`Protection::new`]).
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(
    rename = "Protection",
    deny_unknown_fields,
    bound(deserialize = "R: serde::Deserialize<'de>")
)]
struct RawProtection<R> {
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    id: [u8; 16],
    generation: u64,
    version: u64,
    identity: IdentityCodes,
    binding: alloc::boxed::Box<BindingCodes>,
    pending: Option<alloc::boxed::Box<Pending<R>>>,
    active: Option<Active<R>>,
    trusted: Vec<TrustedDevice>,
    #[serde(default)]
    throttle: Throttle,
}

#[cfg(feature = "serde")]
impl<R> TryFrom<RawProtection<R>> for Protection<R> {
    type Error = FlowError;

    fn try_from(raw: RawProtection<R>) -> Result<Self, FlowError> {
        if raw.id == [0; 16] {
            return Err(FlowError::WrongAccount);
        }
        TrustedDevice::check_list(&raw.trusted)?;
        Ok(Self {
            id: raw.id,
            generation: raw.generation,
            version: raw.version,
            identity: raw.identity,
            binding: raw.binding,
            pending: raw.pending,
            active: raw.active,
            trusted: raw.trusted,
            throttle: raw.throttle,
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
    /// Never empty, at most [`MAX_FACTORS`], no id twice; the first is the
    /// one challenged by default.
    factors: Vec<NamedFactor<R>>,
    recovery: RecoveryCodes,
    since: u64,
}

#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(
    rename = "Active",
    deny_unknown_fields,
    bound(deserialize = "R: serde::Deserialize<'de>")
)]
struct RawActive<R> {
    scenarios: Vec<Scenario>,
    factors: Vec<NamedFactor<R>>,
    recovery: RecoveryCodes,
    since: u64,
}

#[cfg(feature = "serde")]
impl<R> TryFrom<RawActive<R>> for Active<R> {
    type Error = FlowError;

    fn try_from(raw: RawActive<R>) -> Result<Self, FlowError> {
        if raw.factors.is_empty() {
            return Err(FlowError::LastFactor);
        }
        if raw.factors.len() > MAX_FACTORS {
            return Err(FlowError::TooManyFactors { max: MAX_FACTORS });
        }
        let mut ids: Vec<FactorId> = raw.factors.iter().map(|f| f.id).collect();
        ids.sort_unstable();
        ids.dedup();
        if ids.len() != raw.factors.len() {
            return Err(FlowError::Internal(
                "a factor id twice in an account record",
            ));
        }
        Ok(Self {
            scenarios: checked_scenarios(&raw.scenarios)?,
            factors: raw.factors,
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
            identity: IdentityCodes::new(),
            binding: alloc::boxed::Box::default(),
            pending: None,
            active: None,
            trusted: Vec::new(),
            throttle: Throttle::cleared(),
        })
    }

    /// The account binding.
    pub(crate) const fn id(&self) -> [u8; 16] {
        self.id
    }

    /// The account's public id, as audit events name it.
    ///
    /// ```
    /// let account = mfa::Protection::<mfa::SmsRecord>::new()?;
    /// assert_ne!(account.account_id(), mfa::Protection::<mfa::SmsRecord>::new()?.account_id());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn account_id(&self) -> AccountId {
        AccountId(self.id)
    }

    /// An audit event of this account at `at`.
    pub(crate) const fn audit(&self, event: Audit, at: u64) -> Output<R> {
        Output::Audit {
            account: self.account_id(),
            event,
            at,
        }
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

    /// The record of the first (default) factor: the one a check
    /// challenges unless the user picks another
    /// ([`Verification::choose`](crate::Verification::choose)).
    ///
    /// ```
    /// assert!(mfa::Protection::<mfa::SmsRecord>::new()?.factor().is_none());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn factor(&self) -> Option<&R> {
        self.factors().first().map(NamedFactor::record)
    }

    /// The account's factors, the default one first; empty while
    /// protection is off. See [`NamedFactor`] for an account with one.
    ///
    /// ```
    /// assert!(mfa::Protection::<mfa::SmsRecord>::new()?.factors().is_empty());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn factors(&self) -> &[NamedFactor<R>] {
        self.active.as_ref().map_or(&[], |a| a.factors.as_slice())
    }

    /// The factor with this id, if the account has it.
    ///
    /// ```
    /// let id: mfa::FactorId = "0123456789abcdef".parse()?;
    /// assert!(mfa::Protection::<mfa::SmsRecord>::new()?.factor_by_id(&id).is_none());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn factor_by_id(&self, id: &FactorId) -> Option<&NamedFactor<R>> {
        self.factors().iter().find(|f| f.id == *id)
    }

    /// How many unused recovery codes are left, while protection is on.
    ///
    /// ```
    /// assert_eq!(mfa::Protection::<mfa::SmsRecord>::new()?.recovery_codes_left(), None);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn recovery_codes_left(&self) -> Option<usize> {
        self.recovery_codes().map(RecoveryCodes::remaining)
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
    pub const fn identity(&self) -> &IdentityCodes {
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
    pub const fn binding(&self) -> &BindingCodes {
        &self.binding
    }

    /// The account-wide throttle of the factors' codes, under
    /// [`FlowPolicy::account_throttle`](crate::FlowPolicy::account_throttle):
    /// every counted wrong code on any factor counts here too, and with
    /// two factors or more a factor's code is evaluated only while this
    /// throttle allows it as well as the factor's own
    /// ([`Verification::respond`](crate::Verification::respond)), so an
    /// attacker who switches factors
    /// ([`Verification::choose`](crate::Verification::choose)) gets no
    /// more guesses than with one. A success on any factor, or with a
    /// recovery code, resets its failures (its strikes stay). With one
    /// factor only that factor's own throttle refuses. Recovery codes are
    /// not counted in it; an administrator's reset clears it.
    ///
    /// ```
    /// let account = mfa::Protection::<mfa::TotpRecord>::new()?;
    /// assert_eq!(account.throttle().failures(), 0);
    /// assert!(account.throttle().check(1_700_000_000).is_ok());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn throttle(&self) -> &Throttle {
        &self.throttle
    }

    /// The same record with the account throttle after a counted failure
    /// at `now` (the version unchanged: part of the write of the factor's
    /// failure).
    pub(crate) fn failed(mut self, now: u64, policy: &ThrottlePolicy) -> Self {
        self.throttle = self.throttle.after_failure(now, policy);
        self
    }

    /// With a new binding-code record.
    pub(crate) fn with_binding(&self, binding: BindingCodes) -> Self {
        Self {
            binding: alloc::boxed::Box::new(binding),
            ..self.next()
        }
    }

    /// The same version with `binding` in place: the base of a change
    /// made in the same write.
    pub(crate) fn holding_binding(&self, binding: BindingCodes) -> Self {
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

    /// The same record (same version) once the owner is `proved` to a
    /// challenge: the account throttle's failures are reset (either way);
    /// after the factor, the failures of the recovery codes
    /// and of the identity codes are cleared; after a recovery code (which
    /// also unlocks the factor), those of the identity codes. Binding
    /// codes are not: they prove a phone, not the owner. Only a
    /// [`Proved`] clears: an identity or binding code has none, so it
    /// clears nothing but its own record.
    pub(crate) fn cleared(mut self, proved: Proved) -> Self {
        // Either way the owner is proved: the factors' failures together
        // start again (the strikes stay, as a factor's do).
        self.throttle = self.throttle.after_success();
        if !proved.by_recovery_code()
            && let Some(active) = self.active.as_mut()
            && active.recovery.throttle().failures() > 0
        {
            active.recovery = active.recovery.unlock();
        }
        if self.identity.throttle().failures() > 0 {
            self.identity = self.identity.unlock();
        }
        self
    }

    /// The next version at a new generation: proofs and remembered
    /// devices of the old one no longer count (the devices are dropped).
    fn next_generation(&self) -> Self {
        Self {
            generation: self.generation.saturating_add(1),
            trusted: Vec::new(),
            ..self.next()
        }
    }

    /// The remembered devices, expired ones included, oldest first.
    pub(crate) fn trusted(&self) -> &[TrustedDevice] {
        &self.trusted
    }

    /// With these remembered devices.
    pub(crate) fn with_trusted(&self, trusted: Vec<TrustedDevice>) -> Self {
        Self {
            trusted,
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
    pub(crate) fn with_identity(&self, identity: IdentityCodes) -> Self {
        Self {
            identity,
            ..self.next()
        }
    }

    /// The factor `id`, changeable.
    fn factor_mut(&mut self, id: &FactorId) -> Option<&mut NamedFactor<R>> {
        self.active
            .as_mut()?
            .factors
            .iter_mut()
            .find(|f| f.id == *id)
    }

    /// With a new record for the factor `id`, if the account has it.
    pub(crate) fn with_factor(&self, id: &FactorId, record: R) -> Option<Self> {
        let mut new = self.next();
        new.factor_mut(id)?.record = record;
        Some(new)
    }

    /// With another record for the factor `id` (a change of method, phone
    /// or key), in place: same id and name, a new generation, and no setup
    /// pending.
    pub(crate) fn replaced(&self, id: &FactorId, record: R, now: u64) -> Option<Self> {
        let mut new = self.next_generation();
        new.pending = None;
        let factor = new.factor_mut(id)?;
        factor.record = record;
        factor.added = now;
        Some(new)
    }

    /// With `factor` added, if protection is on and there is room: a new
    /// generation, and no setup pending.
    pub(crate) fn added(&self, factor: NamedFactor<R>) -> Result<Self, FlowError> {
        let mut new = self.next_generation();
        new.pending = None;
        let active = new.active.as_mut().ok_or(FlowError::NotProtected)?;
        if active.factors.len() >= MAX_FACTORS {
            return Err(FlowError::TooManyFactors { max: MAX_FACTORS });
        }
        active.factors.push(factor);
        Ok(new)
    }

    /// A new factor id, none of the account's.
    pub(crate) fn new_factor_id(&self) -> Result<FactorId, FlowError> {
        FactorId::generate(|id| self.factor_by_id(id).is_some())
    }

    /// Whether another factor may be added.
    pub(crate) fn has_room(&self) -> Result<(), FlowError> {
        if self.factors().len() >= MAX_FACTORS {
            return Err(FlowError::TooManyFactors { max: MAX_FACTORS });
        }
        Ok(())
    }

    /// With a new recovery-code record, if protection is on.
    pub(crate) fn with_recovery(&self, recovery: RecoveryCodes) -> Option<Self> {
        let mut new = self.next();
        new.active.as_mut()?.recovery = recovery;
        Some(new)
    }

    /// With a new recovery-code record and every factor's record passed
    /// through `unlock`, in one change.
    pub(crate) fn with_recovery_unlocking(
        &self,
        recovery: RecoveryCodes,
        unlock: impl Fn(&R) -> R,
    ) -> Option<Self> {
        let mut new = self.next();
        let active = new.active.as_mut()?;
        for factor in &mut active.factors {
            factor.record = unlock(&factor.record);
        }
        active.recovery = recovery;
        Some(new)
    }

    /// Protection turned on with its first factor.
    pub(crate) fn activated(
        &self,
        scenarios: Vec<Scenario>,
        factor: NamedFactor<R>,
        recovery: RecoveryCodes,
        now: u64,
    ) -> Self {
        Self {
            active: Some(Active {
                scenarios,
                factors: vec![factor],
                recovery,
                since: now,
            }),
            pending: None,
            ..self.next_generation()
        }
    }

    /// Protection turned off: no factor, no recovery codes, no setup
    /// pending, a new generation.
    fn deactivated(&self) -> Self {
        Self {
            active: None,
            pending: None,
            ..self.next_generation()
        }
    }

    /// Replaces the set of recovery codes (every old code stops working)
    /// after a fresh check; the new codes are to be shown once. Writes the
    /// account record ([`Persist`](crate::Persist)), then
    /// [`Effect::ShowRecoveryCodes`](crate::Effect::ShowRecoveryCodes) and
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::RecoveryCodesRegenerated`].
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`], [`FlowError::CheckRequired`] (no check
    /// of this account within
    /// [`FlowPolicy::fresh_check`](crate::FlowPolicy::fresh_check) since
    /// its factor was last activated or replaced),
    /// [`FlowError::WrongAccount`] (a check of another account),
    /// or a [`FlowError::Recovery`] / [`FlowError::RandomSource`] from
    /// generating.
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{Effect, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // A critical-operation check: challenged, passed with the app's code.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let check = passed.verified().ok_or(FlowError::CheckRequired)?; // kept in the session
    ///
    /// // "New recovery codes": the old set stops working, the new one is shown once.
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.regenerate_recovery_codes(&flows, check, now));
    /// ran.result?;
    /// assert!(matches!(
    ///     ran.effects.as_slice(),
    ///     [
    ///         Effect::ShowRecoveryCodes(codes),
    ///         Effect::Notify { event: Event::RecoveryCodesRegenerated, .. },
    ///         Effect::Audit { .. },
    ///     ] if codes.len() == 3
    /// ));
    /// assert!(store.load(&ada)?.is_some_and(|account| account.recovery_codes().is_some_and(|set| set.remaining() == 3)));
    ///
    /// // Five minutes later, the check is too old for a change.
    /// let late = mfa::run_blocking(&store, &ada, |account| account.regenerate_recovery_codes(&flows, check, now + 300));
    /// assert_eq!(late.result, Err(FlowError::CheckRequired));
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
            let (recovery, codes) = old.regenerate(&flows.policy().recovery(), now).into_parts();
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
                self.audit(Audit::RecoveryCodesRegenerated, now),
            ],
        )
    }

    /// Changes the protected scenarios after a fresh check. Writes the
    /// account record ([`Persist`](crate::Persist)), then
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::ScenariosChanged`].
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`], [`FlowError::Scenarios`]
    /// (none, or one twice), [`FlowError::CheckRequired`],
    /// [`FlowError::WrongAccount`].
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{Effect, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // A critical-operation check: challenged, passed with the app's code.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let check = passed.verified().ok_or(FlowError::CheckRequired)?; // kept in the session
    ///
    /// // Protect logging on only.
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.set_scenarios(&flows, &[Scenario::LogOn], check, now));
    /// ran.result?;
    /// assert!(matches!(ran.effects.as_slice(), [Effect::Notify { event: Event::ScenariosChanged, .. }, Effect::Audit { .. }]));
    /// assert!(store.load(&ada)?.is_some_and(|account| {
    ///     account.protects(&Scenario::LogOn) && !account.protects(&Scenario::CriticalOperation)
    /// }));
    ///
    /// // At least one scenario, none twice.
    /// let none = mfa::run_blocking(&store, &ada, |account| account.set_scenarios(&flows, &[], check, now));
    /// assert_eq!(none.result, Err(FlowError::Scenarios));
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
        // A device remembered for a scenario no longer protected is
        // forgotten: protecting it again asks again.
        record
            .trusted
            .retain(|device| scenarios.contains(device.scenario()));
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
                self.audit(Audit::ScenariosChanged, now),
            ],
        )
    }

    /// Turns protection off after a fresh check: the factors, the
    /// recovery codes and the remembered devices are dropped. Writes the account record
    /// ([`Persist`](crate::Persist)), then
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::ProtectionOff`].
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`],
    /// [`FlowError::CheckRequired`], [`FlowError::WrongAccount`].
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{Effect, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // A critical-operation check: challenged, passed with the app's code.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let check = passed.verified().ok_or(FlowError::CheckRequired)?; // kept in the session
    ///
    /// // "Turn protection off": the factors and the recovery codes are dropped,
    /// // the owner told, the change audited, her other sessions ended.
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.turn_off(&flows, check, now));
    /// ran.result?;
    /// assert!(matches!(
    ///     ran.effects.as_slice(),
    ///     [Effect::Notify { event: Event::ProtectionOff, .. }, Effect::Audit { .. }, Effect::EndOtherSessions]
    /// ));
    /// assert!(store.load(&ada)?.is_some_and(|account| !account.is_on() && account.recovery_codes().is_none()));
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
        Transition::done(
            (),
            vec![
                self.deactivated().persist_over(self),
                Output::Notify {
                    event: Event::ProtectionOff,
                    at: now,
                },
                self.audit(Audit::ProtectionOff, now),
                Output::EndOtherSessions,
            ],
        )
    }

    /// Renames one of the account's factors after a fresh check. Writes
    /// the account record ([`Persist`](crate::Persist)), then
    /// [`Effect::Audit`](crate::Effect::Audit) with [`Audit::FactorRenamed`]
    /// (no notice: nothing changed for security, and no proof is
    /// invalidated).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`],
    /// [`FlowError::CheckRequired`], [`FlowError::WrongAccount`],
    /// [`FlowError::UnknownFactor`].
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{Audit, Effect, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // A critical-operation check: challenged, passed with the app's code.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let check = passed.verified().ok_or(FlowError::CheckRequired)?; // kept in the session
    /// let account = store.load(&ada)?.ok_or(FlowError::NotProtected)?;
    /// let app = *account.factors()[0].id(); // from the list of factors shown
    ///
    /// // "Rename": audited by id only, the name stays out of the log.
    /// let name = mfa::FactorName::new("Phone app")?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.rename_factor(&flows, &app, &name, check, now));
    /// ran.result?;
    /// assert!(matches!(ran.effects.as_slice(), [Effect::Audit { event: Audit::FactorRenamed { factor }, .. }] if *factor == app));
    /// assert!(store.load(&ada)?.is_some_and(|account| account.factors()[0].name() == &name));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn rename_factor<F: Factor<Record = R>>(
        &self,
        flows: &Flows<F>,
        factor: &FactorId,
        name: &FactorName,
        check: &Verified,
        now: u64,
    ) -> Transition<(), R> {
        let renamed = || {
            if !self.is_on() {
                return Err(FlowError::NotProtected);
            }
            flows.check_fresh(self, check, now)?;
            let mut record = self.next();
            record
                .factor_mut(factor)
                .ok_or(FlowError::UnknownFactor)?
                .name = name.clone();
            Ok(record)
        };
        match renamed() {
            Ok(record) => Transition::done(
                (),
                vec![
                    record.persist_over(self),
                    self.audit(Audit::FactorRenamed { factor: *factor }, now),
                ],
            ),
            Err(e) => Transition::failed(e),
        }
    }

    /// Removes one of the account's factors after a fresh check, never the
    /// last one (turn protection off instead). A new generation: every
    /// proof and pending change stops counting, and every remembered device
    /// is forgotten. Writes the account record
    /// ([`Persist`](crate::Persist)), then
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::FactorRemoved`], [`Effect::Audit`](crate::Effect::Audit)
    /// with [`Audit::FactorRemoved`] and
    /// [`Effect::EndOtherSessions`](crate::Effect::EndOtherSessions).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`],
    /// [`FlowError::CheckRequired`], [`FlowError::WrongAccount`],
    /// [`FlowError::UnknownFactor`], [`FlowError::LastFactor`].
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{Audit, Effect, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // A critical-operation check: challenged, passed with the app's code.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let check = passed.verified().ok_or(FlowError::CheckRequired)?; // kept in the session
    /// let account = store.load(&ada)?.ok_or(FlowError::NotProtected)?;
    /// let app = *account.factors()[0].id(); // from the list of factors shown
    ///
    /// // "Remove": never the last factor while protection is on.
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.remove_factor(&flows, &app, check, now));
    /// assert_eq!(ran.result, Err(FlowError::LastFactor));
    /// // (With a second factor added by `Enrollment::start_add`, the same call
    /// // removes it: "factor removed" notified and audited, other sessions ended.)
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn remove_factor<F: Factor<Record = R>>(
        &self,
        flows: &Flows<F>,
        factor: &FactorId,
        check: &Verified,
        now: u64,
    ) -> Transition<(), R> {
        let removed = || {
            if !self.is_on() {
                return Err(FlowError::NotProtected);
            }
            flows.check_fresh(self, check, now)?;
            self.factor_by_id(factor).ok_or(FlowError::UnknownFactor)?;
            if self.factors().len() < 2 {
                return Err(FlowError::LastFactor);
            }
            let mut record = self.next_generation();
            record.pending = None;
            if let Some(active) = record.active.as_mut() {
                active.factors.retain(|f| f.id != *factor);
            }
            Ok(record)
        };
        match removed() {
            Ok(record) => Transition::done(
                (),
                vec![
                    record.persist_over(self),
                    Output::Notify {
                        event: Event::FactorRemoved,
                        at: now,
                    },
                    self.audit(Audit::FactorRemoved { factor: *factor }, now),
                    Output::EndOtherSessions,
                ],
            ),
            Err(e) => Transition::failed(e),
        }
    }

    /// An administrator's reset of the account's protection, for an owner
    /// who lost every factor and recovery code: protection is turned off
    /// (factors, recovery codes, the account throttle's failures and
    /// strikes, and remembered devices dropped, a new
    /// generation, so no proof or pending change counts), the owner is told, the audit log names
    /// the administrator and the reason, and every session of the account
    /// ends. The host checks that `admin` may do this, and who the owner
    /// is, before calling; `admin` and `reason` go into the audit log as
    /// given: keep personal data out of them. Writes the account record
    /// ([`Persist`](crate::Persist)), then
    /// [`Effect::Notify`](crate::Effect::Notify) with [`Event::AdminReset`],
    /// [`Effect::Audit`](crate::Effect::Audit) with [`Audit::AdminReset`] and
    /// [`Effect::EndOtherSessions`](crate::Effect::EndOtherSessions).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`].
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{Audit, Effect, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // Ada lost her phone and her recovery codes; support checked who she is.
    /// let admin = mfa::AdminId::new("staff-17")?;
    /// let reason = mfa::Reason::new("ticket 4711: lost phone, identity checked")?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.admin_reset(&flows, &admin, &reason, now));
    /// ran.result.clone()?;
    /// assert!(ran.notices().any(|(event, _)| event == Event::AdminReset));
    /// assert!(ran.audit().any(|event| matches!(event, Audit::AdminReset { admin: a, .. } if *a == admin)));
    /// assert!(ran.ends_other_sessions());
    /// assert!(store.load(&ada)?.is_some_and(|account| !account.is_on() && account.factors().is_empty()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn admin_reset<F: Factor<Record = R>>(
        &self,
        flows: &Flows<F>,
        admin: &AdminId,
        reason: &Reason,
        now: u64,
    ) -> Transition<(), R> {
        // The flows' configuration plays no part: the shape matches the
        // other changes, and the record type is the flows'.
        let _ = flows;
        if !self.is_on() {
            return Transition::failed(FlowError::NotProtected);
        }
        let event = Audit::AdminReset {
            admin: admin.clone(),
            reason: reason.clone(),
        };
        Transition::done(
            (),
            vec![
                Self {
                    // The factors' failures and strikes go with them: the
                    // owner's new factors start afresh.
                    throttle: Throttle::cleared(),
                    ..self.deactivated()
                }
                .persist_over(self),
                Output::Notify {
                    event: Event::AdminReset,
                    at: now,
                },
                self.audit(event, now),
                Output::EndOtherSessions,
            ],
        )
    }
}

impl<R> Versioned for Protection<R> {
    fn version(&self) -> u64 {
        self.version
    }
}
