//! Verification at a protected scenario: challenge, response, recovery
//! codes, grace window.

use alloc::vec;
use alloc::vec::Vec;

use super::error::FlowError;
use super::factor::{Factor, Prompt};
use super::protection::Protection;
use super::{Event, Flows, Output, Scenario, Step, Verified};

/// A check at a scenario (logging on, a critical operation): passes at
/// once when the scenario is not protected or the grace window is open;
/// otherwise challenges (TOTP: ask for the code; SMS: a code is
/// delivered) and waits for the response, or for a recovery code.
/// Session state; with the `serde` feature it serializes.
///
/// ```text
/// start ─► Passed                        (not protected, or grace window)
///   └────► Challenged ─respond──────────► Passed (Verified)
///            │    └────respond_recovery─► Passed (Verified, notified)
///            └─resend
/// ```
///
/// ```
/// use mfa::{FlowPolicy, Flows, OobKey, Protection, Scenario, TotpFactor, TotpRecord, Verification};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
/// let account: Protection<TotpRecord> = Protection::new(); // protection off
/// let (state, outputs, result) = Verification::start(&flows, &account, Scenario::LogOn, None, 0).into_parts();
/// result?;
/// let check = state.ok_or(mfa::FlowError::NotProtected)?;
/// assert!(check.is_passed() && outputs.is_empty());
/// assert!(check.verified().is_none()); // nothing was checked: no proof for changes
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Verification {
    scenario: Scenario,
    stage: Stage,
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
enum Stage {
    /// A challenge was issued at `at`; a response is accepted until
    /// `expires_at`.
    Challenged { at: u64, expires_at: u64 },
    /// Passed; `check` is the proof when a factor or recovery code was
    /// checked (not for an unprotected scenario or the grace window).
    Passed { check: Option<Verified> },
}

const WAITING_RESPONSE: FlowError = FlowError::WrongState {
    waiting_for: "nothing (the check has passed)",
};

impl Verification {
    /// Starts a check at `scenario`. `last` is the latest [`Verified`] of
    /// the session, if any: with a grace window configured
    /// ([`FlowPolicy::grace`](crate::FlowPolicy::grace)), a critical
    /// operation within that window after a critical-operation check
    /// passes without a challenge. The window is `[last.at(), last.at() +
    /// grace)`; a `last` from the future (a clock that went back) opens
    /// nothing.
    ///
    /// Outputs for a challenge: [`Output::Persist`] if the factor's record
    /// changed (an SMS code was issued), then [`Output::Deliver`].
    ///
    /// # Errors
    ///
    /// In the result, with the challenged state still returned so that a
    /// recovery code can be used: what the factor refused (an SMS resend
    /// cooldown, a lockout).
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::SmsFactor>, account: &mfa::Protection<mfa::SmsRecord>, last: Option<&mfa::Verified>, now: u64) {
    /// let step = mfa::Verification::start(flows, account, mfa::Scenario::CriticalOperation, last, now);
    /// # drop(step); }
    /// ```
    pub fn start<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        scenario: Scenario,
        last: Option<&Verified>,
        now: u64,
    ) -> Step<Self, F::Record> {
        let factor = match account.factor() {
            Some(factor) if account.protects(&scenario) => factor,
            _ => {
                let state = Self {
                    scenario,
                    stage: Stage::Passed { check: None },
                };
                return Step::done(state, Vec::new());
            }
        };
        if in_grace(flows, &scenario, last, now) {
            let state = Self {
                scenario,
                stage: Stage::Passed { check: None },
            };
            return Step::done(state, Vec::new());
        }
        let state = Self {
            scenario,
            stage: Stage::Challenged {
                at: now,
                expires_at: now.saturating_add(flows.policy().get_pending_ttl()),
            },
        };
        challenge(flows, account, factor, now, state)
    }

    /// Challenges again (a new SMS code; the old one stops working),
    /// within the record's cooldown and hourly cap. The response window
    /// starts again.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongState`], [`FlowError::NotProtected`],
    /// or what the factor refused.
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::SmsFactor>, account: &mfa::Protection<mfa::SmsRecord>, v: &mfa::Verification, now: u64) {
    /// let step = v.resend(flows, account, now);
    /// # drop(step); }
    /// ```
    pub fn resend<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Step<Self, F::Record> {
        if self.is_passed() {
            return Step::failed(WAITING_RESPONSE);
        }
        let Some(factor) = account.factor() else {
            return Step::failed(FlowError::NotProtected);
        };
        let state = Self {
            scenario: self.scenario.clone(),
            stage: Stage::Challenged {
                at: now,
                expires_at: now.saturating_add(flows.policy().get_pending_ttl()),
            },
        };
        challenge(flows, account, factor, now, state)
    }

    /// Checks the user's response to the challenge against the factor's
    /// record (throttling and replay are the record's). Outputs:
    /// [`Output::Persist`] whenever the record changed (on failure too).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongState`], [`FlowError::Expired`],
    /// [`FlowError::NotProtected`], [`FlowError::Rejected`],
    /// [`FlowError::Refused`] (use a recovery code when locked out),
    /// [`FlowError::Malformed`], [`FlowError::Code`].
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::TotpFactor>, account: &mfa::Protection<mfa::TotpRecord>, v: &mfa::Verification, now: u64) {
    /// let step = v.respond(flows, account, "123456", now);
    /// # drop(step); }
    /// ```
    pub fn respond<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        code: &str,
        now: u64,
    ) -> Step<Self, F::Record> {
        let factor = match self.challenged(account, now) {
            Ok(factor) => factor,
            Err(e) => return Step::failed(e),
        };
        let (record, outcome) = flows.factor().verify(factor, code, now).into_parts();
        let outputs: Vec<_> = record
            .and_then(|record| account.with_factor(record))
            .map(|new| new.persist_over(account))
            .into_iter()
            .collect();
        match outcome {
            Ok(()) => Step::done(self.passed(now, false), outputs),
            Err(e) => Step::counted(None, outputs, e),
        }
    }

    /// Checks a recovery code instead of the factor (a lost phone, a
    /// lockout). On success the code is used up, the factor's failure
    /// count and lockout are cleared, and the user is notified. Outputs:
    /// [`Output::Persist`], then on success [`Output::Notify`] with
    /// [`Event::RecoveryCodeUsed`].
    ///
    /// # Errors
    ///
    /// In the result: as [`respond`](Self::respond), and
    /// [`FlowError::Recovery`] (every code used, a typo in the form).
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::TotpFactor>, account: &mfa::Protection<mfa::TotpRecord>, v: &mfa::Verification, now: u64) {
    /// let step = v.respond_recovery(flows, account, "7KQ2-M9XD-4TBV-0HZC", now);
    /// # drop(step); }
    /// ```
    pub fn respond_recovery<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        code: &str,
        now: u64,
    ) -> Step<Self, F::Record> {
        let factor = match self.challenged(account, now) {
            Ok(factor) => factor,
            Err(e) => return Step::failed(e),
        };
        let Some(codes) = account.recovery_codes() else {
            return Step::failed(FlowError::NotProtected);
        };
        let (codes, outcome) = codes
            .verify(&flows.policy().get_recovery(), code, now)
            .into_parts();
        let Some(codes) = codes else {
            return Step::failed(outcome.err().map_or(FlowError::Rejected, FlowError::from));
        };
        let remaining = codes.remaining();
        if let Err(e) = outcome {
            let Some(with_codes) = account.with_recovery(codes) else {
                return Step::failed(FlowError::NotProtected);
            };
            return Step::counted(None, vec![with_codes.persist_over(account)], e.into());
        }
        // The user is proved: lift the factor's lockout (layer 2 leaves
        // that to a recovery code or an administrator).
        let unlocked = flows.factor().unlock(factor);
        let Some(new) = account.with_factor_and_recovery(unlocked, codes) else {
            return Step::failed(FlowError::NotProtected);
        };
        let outputs = vec![
            Protection::persist_over(new, account),
            Output::Notify {
                event: Event::RecoveryCodeUsed { remaining },
                at: now,
            },
        ];
        Step::done(self.passed(now, true), outputs)
    }

    /// Whether the check has passed.
    ///
    /// ```no_run
    /// # fn f(v: &mfa::Verification) { if v.is_passed() { /* go on */ } }
    /// ```
    #[must_use]
    pub const fn is_passed(&self) -> bool {
        matches!(self.stage, Stage::Passed { .. })
    }

    /// The proof of the check, if it passed by a factor or recovery code
    /// (not for an unprotected scenario or in the grace window): keep it
    /// in the session, for the grace window and for changes.
    ///
    /// ```no_run
    /// # fn f(v: &mfa::Verification) { let proof: Option<&mfa::Verified> = v.verified(); }
    /// ```
    #[must_use]
    pub const fn verified(&self) -> Option<&Verified> {
        match &self.stage {
            Stage::Passed { check } => check.as_ref(),
            Stage::Challenged { .. } => None,
        }
    }

    /// The scenario checked.
    ///
    /// ```no_run
    /// # fn f(v: &mfa::Verification) { assert_eq!(v.scenario(), &mfa::Scenario::LogOn); }
    /// ```
    #[must_use]
    pub const fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The factor record to check a response against, if the state and
    /// the time allow a response.
    fn challenged<'a, R: Clone>(
        &self,
        account: &'a Protection<R>,
        now: u64,
    ) -> Result<&'a R, FlowError> {
        let Stage::Challenged { at, expires_at } = self.stage else {
            return Err(WAITING_RESPONSE);
        };
        if now < at || now >= expires_at {
            return Err(FlowError::Expired);
        }
        account.factor().ok_or(FlowError::NotProtected)
    }

    fn passed(&self, now: u64, by_recovery_code: bool) -> Self {
        Self {
            scenario: self.scenario.clone(),
            stage: Stage::Passed {
                check: Some(Verified {
                    at: now,
                    scenario: self.scenario.clone(),
                    by_recovery_code,
                }),
            },
        }
    }
}

/// Whether the grace window after `last` covers `scenario` at `now`.
fn in_grace<F: Factor>(
    flows: &Flows<F>,
    scenario: &Scenario,
    last: Option<&Verified>,
    now: u64,
) -> bool {
    let grace = flows.policy().get_grace();
    match last {
        Some(last) if grace > 0 => {
            *scenario == Scenario::CriticalOperation
                && last.scenario == Scenario::CriticalOperation
                && last.at <= now
                && now < last.at.saturating_add(grace)
        }
        _ => false,
    }
}

/// Challenges through the factor and moves to `state`.
fn challenge<F: Factor>(
    flows: &Flows<F>,
    account: &Protection<F::Record>,
    factor: &F::Record,
    now: u64,
    state: Verification,
) -> Step<Verification, F::Record> {
    let (record, prompt) = flows.factor().challenge(factor, now).into_parts();
    let mut outputs: Vec<_> = record
        .and_then(|record| account.with_factor(record))
        .map(|new| new.persist_over(account))
        .into_iter()
        .collect();
    match prompt {
        Ok(Prompt::Deliver(delivery)) => outputs.push(Output::Deliver(delivery)),
        Ok(Prompt::Key { uri, .. }) => outputs.push(Output::ShowKey(uri)),
        Ok(Prompt::Code { .. }) => {}
        Err(e) => return Step::counted(Some(state), outputs, e),
    }
    Step::done(state, outputs)
}
