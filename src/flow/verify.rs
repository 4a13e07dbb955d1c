//! Verification at a protected scenario: challenge, response, recovery
//! codes, grace window.

use alloc::vec;
use alloc::vec::Vec;

use super::enroll::{Awaiting, lockout_notice};
use super::error::FlowError;
use super::factor::{Factor, Prompt};
use super::protection::Protection;
use super::{Credential, Event, Flows, Output, Scenario, Transcript, Transition, Verified};

/// Separates the tags of checks from any other use of the key.
const DOMAIN: &[u8] = b"mfa/verification/v1";

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
/// let account: Protection<TotpRecord> = Protection::new()?; // protection off
/// let (state, outputs, result) = Verification::start(&flows, &account, Scenario::LogOn, None, 0).into_parts();
/// result?;
/// let check = state.ok_or(mfa::FlowError::NotProtected)?;
/// assert!(check.is_done() && outputs.is_empty());
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
    /// The binding of the account checked.
    account: [u8; 16],
    scenario: Scenario,
    stage: Stage,
    /// HMAC-SHA256 under the flows' key over every other field: an edited
    /// check is refused ([`FlowError::Tampered`]).
    tag: [u8; 32],
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
enum Stage {
    /// A challenge was issued at `at`; a response is accepted until
    /// `expires_at`; `ask` is what the user is asked for.
    Challenged { at: u64, expires_at: u64, ask: Ask },
    /// Passed at `at`, at the account's `generation`; `check` is the proof
    /// when a factor or recovery code was checked (not for an unprotected
    /// scenario or the grace window); `grace_from` is the time of the
    /// proof whose grace window let it pass.
    Passed {
        check: Option<Verified>,
        at: u64,
        generation: u64,
        grace_from: Option<u64>,
    },
}

/// What a challenge asks the user for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
enum Ask {
    /// `codes` codes from an app or token.
    Codes(u8),
    /// To ask for a code to be sent (nothing sent yet).
    Send,
    /// The code that was sent.
    Sent,
}

impl Ask {
    /// What a prompt asks for.
    const fn of(prompt: &Prompt) -> Self {
        match prompt {
            Prompt::Deliver(_) => Self::Sent,
            Prompt::Code { codes } | Prompt::Key { codes, .. } => Self::Codes(*codes),
        }
    }
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
    /// cooldown, a lockout). A `last` of another account, of an older
    /// generation, or not made by these flows is ignored: it opens no
    /// grace window, and the check challenges as usual.
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
    /// # let oob_key = mfa::OobKey::generate()?;
    /// # let flows = mfa::Flows::new(
    /// #     mfa::SmsFactor::new(oob_key.clone(), mfa::OobPolicy::default())?,
    /// #     oob_key,
    /// #     // Fast recovery codes for the example: PBKDF2 at its minimum, 3 codes.
    /// #     mfa::FlowPolicy::default().recovery(mfa::RecoveryPolicy::default().iterations(1_000).count(3)).grace(mfa::FlowPolicy::CLOUD_CONSOLE_GRACE),
    /// # )?;
    /// # let email = mfa::Destination::email("ada@example.com")?;
    /// # let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// # let t0 = 1_700_000_010;
    /// # let account = mfa::Protection::new()?;
    /// # let (enrollment, account, out) = run(&account, mfa::Enrollment::start(&flows, &account, &all, &[email.clone()], &email, t0))?;
    /// # let (enrollment, account, _) = run(&account, enrollment.verify_identity(&flows, &account, &code(&out), t0))?;
    /// # let (enrollment, account, out) = run(&account, enrollment.setup(&flows, &account, &mfa::PhoneNumber::parse("+1 415 555 2671")?, t0))?;
    /// # let (_, account, _) = run(&account, enrollment.confirm(&flows, &account, &[&code(&out)], t0))?;
    /// # let now = t0 + 600;
    /// use mfa::{Awaiting, FlowError, Output, Scenario, Verification};
    ///
    /// // Protected: challenged, and nothing is texted until the user asks.
    /// let step = Verification::start(&flows, &account, Scenario::CriticalOperation, None, now);
    /// let challenge = step.state().ok_or(FlowError::NotProtected)?;
    /// assert!(!challenge.is_done() && step.outputs().is_empty());
    /// assert_eq!(challenge.awaiting(), Awaiting::SendCode);
    ///
    /// // "Send code": the SMS record is written first, then the code delivered.
    /// let (state, outputs, result) = challenge.send_code(&flows, &account, now).into_parts();
    /// result?;
    /// let challenge = state.ok_or(FlowError::NotProtected)?;
    /// assert!(matches!(outputs.as_slice(), [Output::Persist { .. }, Output::Deliver(_)]));
    /// assert_eq!(challenge.awaiting(), Awaiting::SentCode);
    /// # let account = match outputs.first() {
    /// #     Some(mfa::Output::Persist { record, .. }) => record.clone(),
    /// #     _ => account,
    /// # };
    /// # let (passed, account, _) = run(&account, challenge.respond(&flows, &account, &code(&outputs), now + 10))?;
    /// # let proof = passed.verified().ok_or(FlowError::NotProtected)?.clone();
    ///
    /// // `proof`: that check passed at `now + 10`. Within the grace window (15
    /// // minutes here), the next critical operation passes without a challenge.
    /// let step = Verification::start(&flows, &account, Scenario::CriticalOperation, Some(&proof), now + 120);
    /// assert!(step.outputs().is_empty());
    /// assert!(step.state().is_some_and(Verification::is_done));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn start<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        scenario: Scenario,
        last: Option<&Verified>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let factor = match account.factor() {
            Some(factor) if account.protects(&scenario) => factor,
            _ => {
                let stage = Stage::Passed {
                    check: None,
                    at: now,
                    generation: account.generation(),
                    grace_from: None,
                };
                return Transition::done(Self::tagged(flows, account, scenario, stage), Vec::new());
            }
        };
        if let Some(from) = in_grace(flows, account, &scenario, last, now) {
            let stage = Stage::Passed {
                check: None,
                at: now,
                generation: account.generation(),
                grace_from: Some(from),
            };
            return Transition::done(Self::tagged(flows, account, scenario, stage), Vec::new());
        }
        Self::challenge_now(flows, account, factor, scenario, now)
    }

    /// Starts a check for a change to the protection (a "step-up"):
    /// challenges whenever protection is on, whichever scenarios it
    /// protects and whatever the grace window, at
    /// [`Scenario::CriticalOperation`]. Use it before
    /// [`Enrollment::start_change`](crate::Enrollment::start_change),
    /// [`Protection::turn_off`], [`Protection::set_scenarios`] or
    /// [`Protection::regenerate_recovery_codes`] when the session holds no
    /// fresh [`Verified`]: [`start`](Self::start) passes an unprotected
    /// scenario without a proof. Outputs as for [`start`](Self::start).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`], or, with the challenged
    /// state, what the factor refused.
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
    /// # let t0 = 1_700_000_010;
    /// # let account = mfa::Protection::new()?;
    /// # let (enrollment, account, out) = run(&account, mfa::Enrollment::start(&flows, &account, &[mfa::Scenario::LogOn], &[email.clone()], &email, t0))?;
    /// # let (enrollment, account, _) = run(&account, enrollment.verify_identity(&flows, &account, &code(&out), t0))?;
    /// # let (enrollment, account, out) = run(&account, enrollment.setup(&flows, &account, &"ada@example.com".into(), t0))?;
    /// # let totp = key(&out)?;
    /// # let (_, account, _) = run(&account, enrollment.confirm(&flows, &account, &[&totp.generate(t0)?.to_string()], t0))?;
    /// # let now = t0 + 600;
    /// use mfa::{FlowError, Scenario, Verification};
    ///
    /// // Only logging on is protected: a critical operation passes, without a proof.
    /// let step = Verification::start(&flows, &account, Scenario::CriticalOperation, None, now);
    /// assert!(step.state().is_some_and(|v| v.is_done() && v.verified().is_none()));
    ///
    /// // To turn protection off, step up: the authenticator's code is asked for.
    /// let step = Verification::step_up(&flows, &account, now);
    /// let challenge = step.state().ok_or(FlowError::NotProtected)?;
    /// assert!(!challenge.is_done());
    /// let step = challenge.respond(&flows, &account, &totp.generate(now)?.to_string(), now);
    /// # let (_, account, _) = run(&account, step.clone())?;
    /// let proof = step.state().and_then(Verification::verified).ok_or(FlowError::NotProtected)?;
    /// assert!(account.turn_off(&flows, proof, now).is_ok());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn step_up<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let Some(factor) = account.factor() else {
            return Transition::failed(FlowError::NotProtected);
        };
        Self::challenge_now(flows, account, factor, Scenario::CriticalOperation, now)
    }

    /// The challenge, at once.
    fn challenge_now<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        factor: &F::Record,
        scenario: Scenario,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if flows.factor().on_demand(factor) {
            // No text until the user asks for one (`send_code`).
            let stage = Stage::Challenged {
                at: now,
                expires_at: now.saturating_add(flows.policy().get_pending_ttl()),
                ask: Ask::Send,
            };
            return Transition::done(Self::tagged(flows, account, scenario, stage), Vec::new());
        }
        challenge(flows, account, factor, scenario, now)
    }

    /// Sends the challenge's code when the user asks for it (an SMS
    /// factor texts on demand, see [`Factor::on_demand`]), or sends a new
    /// one (the old one stops working), within the record's cooldown and
    /// hourly cap. The response window starts again. For a factor that
    /// sends nothing (an app), it only restarts the window.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`] (another account's
    /// record), [`FlowError::WrongState`], [`FlowError::NotProtected`], or
    /// what the factor refused.
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
    /// # let oob_key = mfa::OobKey::generate()?;
    /// # let flows = mfa::Flows::new(
    /// #     mfa::SmsFactor::new(oob_key.clone(), mfa::OobPolicy::default())?,
    /// #     oob_key,
    /// #     // Fast recovery codes for the example: PBKDF2 at its minimum, 3 codes.
    /// #     mfa::FlowPolicy::default().recovery(mfa::RecoveryPolicy::default().iterations(1_000).count(3)),
    /// # )?;
    /// # let email = mfa::Destination::email("ada@example.com")?;
    /// # let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// # let t0 = 1_700_000_010;
    /// # let account = mfa::Protection::new()?;
    /// # let (enrollment, account, out) = run(&account, mfa::Enrollment::start(&flows, &account, &all, &[email.clone()], &email, t0))?;
    /// # let (enrollment, account, _) = run(&account, enrollment.verify_identity(&flows, &account, &code(&out), t0))?;
    /// # let (enrollment, account, out) = run(&account, enrollment.setup(&flows, &account, &mfa::PhoneNumber::parse("+1 415 555 2671")?, t0))?;
    /// # let (_, account, _) = run(&account, enrollment.confirm(&flows, &account, &[&code(&out)], t0))?;
    /// # let now = t0 + 600;
    /// # let (challenge, account, _) = run(&account, mfa::Verification::start(&flows, &account, mfa::Scenario::LogOn, None, now))?;
    /// # let (challenge, account, out) = run(&account, challenge.send_code(&flows, &account, now))?;
    /// use mfa::{FlowError, OobError, Output};
    ///
    /// // The challenge sent a code at `now`; another may follow after a minute.
    /// let early = challenge.send_code(&flows, &account, now + 30);
    /// assert_eq!(early.result(), Err(FlowError::Code(OobError::Cooldown { retry_at: now + 60, retry_after: 30 })));
    ///
    /// let step = challenge.send_code(&flows, &account, now + 60);
    /// step.result()?;
    /// assert!(matches!(
    ///     step.outputs(),
    ///     [Output::Persist { .. }, Output::Deliver(delivery)] if delivery.destination().as_str() == "+14155552671"
    /// ));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn send_code<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if let Err(e) = self.checked(flows, account) {
            return Transition::failed(e);
        }
        if self.is_done() {
            return Transition::failed(WAITING_RESPONSE);
        }
        let Some(factor) = account.factor() else {
            return Transition::failed(FlowError::NotProtected);
        };
        challenge(flows, account, factor, self.scenario.clone(), now)
    }

    /// Checks the user's response to the challenge against the factor's
    /// record (throttling and replay are the record's). Outputs:
    /// [`Output::Persist`] whenever the record changed (on failure too).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`] (another account's
    /// record), [`FlowError::WrongState`], [`FlowError::Expired`],
    /// [`FlowError::NotProtected`], [`FlowError::Rejected`] (also when the
    /// factor reports a success without a new record),
    /// [`FlowError::Refused`] (use a recovery code when locked out),
    /// [`FlowError::Malformed`], [`FlowError::Code`].
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
    /// # // The record a step writes, even a failed one.
    /// # fn written<S, R: Clone>(account: &mfa::Protection<R>, step: mfa::Step<S, R>) -> mfa::Protection<R> {
    /// #     let (_, outputs, _) = step.into_parts();
    /// #     outputs.into_iter().find_map(|o| match o {
    /// #         mfa::Output::Persist { record, .. } => Some(record),
    /// #         _ => None,
    /// #     }).unwrap_or_else(|| account.clone())
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
    /// # let (challenge, account, out) = run(&account, mfa::Verification::start(&flows, &account, mfa::Scenario::LogOn, None, now))?;
    /// # let near = [now - 60, now - 30, now, now + 30, now + 60].map(|t| totp.generate(t).map(|c| c.to_string()));
    /// # let wrong = ["000000", "111111", "222222", "333333", "444444", "555555"]
    /// #     .into_iter()
    /// #     .find(|w| !near.iter().any(|c| c.as_deref() == Ok(*w)))
    /// #     .unwrap_or_default();
    /// use mfa::{FlowError, Output, Scenario};
    ///
    /// // A wrong code: rejected; the failure is counted in the factor's record.
    /// let step = challenge.respond(&flows, &account, wrong, now);
    /// assert_eq!(step.result(), Err(FlowError::Rejected));
    /// assert!(matches!(step.outputs(), [Output::Persist { .. }]));
    /// # let account = written(&account, step);
    ///
    /// // The code the authenticator shows: passed, with a proof for the session.
    /// let code = totp.generate(now + 5)?.to_string();
    /// let (state, outputs, result) = challenge.respond(&flows, &account, &code, now + 5).into_parts();
    /// result?;
    /// assert!(matches!(outputs.as_slice(), [Output::Persist { .. }])); // the code is used up
    /// let passed = state.ok_or(FlowError::NotProtected)?;
    /// assert_eq!(passed.verified().map(|proof| proof.scenario()), Some(&Scenario::LogOn));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn respond<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        code: &str,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let factor = match self.challenged(flows, account, now) {
            Ok(factor) => factor,
            Err(e) => return Transition::failed(e),
        };
        let before = flows.factor().throttle(factor);
        let (record, outcome) = flows.factor().verify(factor, code, now).into_parts();
        let Some((record, after)) = record
            .map(|r| (flows.factor().throttle(&r), r))
            .and_then(|(after, r)| account.with_factor(r).map(|new| (new, after)))
        else {
            // A success must consume the code (a new record, written with
            // compare-and-set), or nothing would stop its replay.
            return Transition::failed(outcome.err().unwrap_or(FlowError::Rejected));
        };
        match outcome {
            // The owner is proved: the recovery and identity codes' failures
            // are cleared too.
            Ok(()) => Transition::done(
                self.passed(flows, account, now, false),
                vec![record.cleared_by_factor().persist_over(account)],
            ),
            Err(e) => {
                let mut outputs = vec![record.persist_over(account)];
                outputs.extend(lockout_notice(before, after, Credential::Factor, now));
                Transition::counted(None, outputs, e)
            }
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
    /// # let (challenge, account, out) = run(&account, mfa::Verification::start(&flows, &account, mfa::Scenario::LogOn, None, now))?;
    /// use mfa::{Event, FlowError, Output};
    ///
    /// // The phone is lost: `recovery_code` is one of those shown at enrollment.
    /// let step = challenge.respond_recovery(&flows, &account, &recovery_code, now);
    /// let (state, outputs, result) = step.into_parts();
    /// result?;
    /// let passed = state.ok_or(FlowError::NotProtected)?;
    /// assert!(passed.verified().is_some_and(|proof| proof.by_recovery_code()));
    /// assert!(matches!(
    ///     outputs.as_slice(),
    ///     [
    ///         Output::Persist { .. },
    ///         Output::Notify { event: Event::RecoveryCodeUsed { remaining: 2 }, .. },
    ///     ]
    /// ));
    /// # let account = match outputs.first() {
    /// #     Some(mfa::Output::Persist { record, .. }) => record.clone(),
    /// #     _ => account,
    /// # };
    /// # let (challenge, account, _) = run(&account, mfa::Verification::start(&flows, &account, mfa::Scenario::LogOn, None, now + 10))?;
    ///
    /// // Each code works once.
    /// let again = challenge.respond_recovery(&flows, &account, &recovery_code, now + 10);
    /// assert!(again.result().is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn respond_recovery<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        code: &str,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let factor = match self.challenged(flows, account, now) {
            Ok(factor) => factor,
            Err(e) => return Transition::failed(e),
        };
        let Some(codes) = account.recovery_codes() else {
            return Transition::failed(FlowError::NotProtected);
        };
        let before = codes.throttle();
        let (codes, outcome) = codes
            .verify(&flows.policy().get_recovery(), code, now)
            .into_parts();
        let Some(codes) = codes else {
            return Transition::failed(outcome.err().map_or(FlowError::Rejected, FlowError::from));
        };
        let remaining = codes.remaining();
        if let Err(e) = outcome {
            let after = codes.throttle();
            let Some(with_codes) = account.with_recovery(codes) else {
                return Transition::failed(FlowError::NotProtected);
            };
            let mut outputs = vec![with_codes.persist_over(account)];
            outputs.extend(lockout_notice(before, after, Credential::RecoveryCode, now));
            return Transition::counted(None, outputs, e.into());
        }
        // The user is proved: lift the factor's lockout and the identity
        // codes' (not the binding codes': a recovery code proves no phone).
        let unlocked = flows.factor().unlock(factor);
        let Some(new) = account.with_factor_and_recovery(unlocked, codes) else {
            return Transition::failed(FlowError::NotProtected);
        };
        let outputs = vec![
            new.cleared_identity().persist_over(account),
            Output::Notify {
                event: Event::RecoveryCodeUsed { remaining },
                at: now,
            },
        ];
        Transition::done(self.passed(flows, account, now, true), outputs)
    }

    /// Whether the state is at its passed stage: informational (which page
    /// to show), not an authorisation. It is bound to no account and to no
    /// time: before letting an operation through, ask
    /// [`authorize`](Self::authorize) with the signed-in account's record.
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
    /// use mfa::{FlowError, Protection, Scenario, Verification};
    ///
    /// // Protection is on for log-on: challenged, not passed yet.
    /// let step = Verification::start(&flows, &account, Scenario::LogOn, None, now);
    /// let challenge = step.state().ok_or(FlowError::NotProtected)?;
    /// assert!(!challenge.is_done());
    ///
    /// // Passed with the authenticator's code.
    /// let code = totp.generate(now)?.to_string();
    /// let step = challenge.respond(&flows, &account, &code, now);
    /// assert!(step.state().is_some_and(Verification::is_done));
    ///
    /// // An account without protection passes at once.
    /// let step = Verification::start(&flows, &Protection::new()?, Scenario::LogOn, None, now);
    /// assert!(step.state().is_some_and(Verification::is_done));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Passed { .. })
    }

    /// The proof of the check, if it passed by a factor or recovery code
    /// (not for an unprotected scenario or in the grace window): keep it
    /// in the session, for the grace window and for changes. Like
    /// [`is_done`](Self::is_done), not an authorisation by itself:
    /// gate an operation on [`authorize`](Self::authorize).
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
    /// # let (challenge, account, out) = run(&account, mfa::Verification::start(&flows, &account, mfa::Scenario::LogOn, None, now))?;
    /// use mfa::{FlowError, Scenario};
    ///
    /// // Challenged: no proof yet.
    /// assert!(challenge.verified().is_none());
    ///
    /// let code = totp.generate(now)?.to_string();
    /// let (state, _outputs, result) = challenge.respond(&flows, &account, &code, now).into_parts();
    /// result?;
    /// let passed = state.ok_or(FlowError::NotProtected)?;
    /// let proof = passed.verified().ok_or(FlowError::NotProtected)?;
    /// assert_eq!(proof.at(), now);
    /// assert_eq!(proof.scenario(), &Scenario::LogOn);
    /// assert!(!proof.by_recovery_code());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn verified(&self) -> Option<&Verified> {
        match &self.stage {
            Stage::Passed { check, .. } => check.as_ref(),
            Stage::Challenged { .. } => None,
        }
    }

    /// Whether this check lets an operation at `scenario` (the one the host
    /// is about to carry out) through, for `account` (the signed-in user's
    /// record), at `now`: what a host gates an operation on. `Ok(())` when
    /// the check is of this scenario, passed for this account less than
    /// [`FlowPolicy::pass_ttl`](crate::FlowPolicy::pass_ttl) ago, and
    ///
    /// * it passed by a factor or recovery code, at the account's current
    ///   generation (its factor not replaced or turned off since); or
    /// * it passed without a challenge and still would: the scenario is
    ///   still unprotected, or the grace window it passed in is still open
    ///   at `now`, at the same generation.
    ///
    /// # Errors
    ///
    /// [`FlowError::Tampered`] (an edited state), [`FlowError::WrongAccount`]
    /// (a check of another account), [`FlowError::WrongState`] (not
    /// passed: waiting for the response), [`FlowError::Expired`] (`now` is
    /// before the pass: a clock that went back),
    /// [`FlowError::CheckRequired`] (a check of another scenario, older
    /// than `pass_ttl`, the scenario became protected, the grace window
    /// closed, or the factor changed since).
    ///
    /// ```
    /// use mfa::{FlowError, FlowPolicy, Flows, OobKey, Protection, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
    /// let ada: Protection<TotpRecord> = Protection::new()?; // protection off
    /// let step = Verification::start(&flows, &ada, Scenario::CriticalOperation, None, 100);
    /// let check = step.state().ok_or(FlowError::NotProtected)?;
    /// assert_eq!(check.authorize(&flows, &ada, &Scenario::CriticalOperation, 100), Ok(()));
    /// // Not for another operation than the one checked.
    /// assert_eq!(check.authorize(&flows, &ada, &Scenario::LogOn, 100), Err(FlowError::CheckRequired));
    ///
    /// // Not for another account's session.
    /// let bob: Protection<TotpRecord> = Protection::new()?;
    /// assert_eq!(check.authorize(&flows, &bob, &Scenario::CriticalOperation, 100), Err(FlowError::WrongAccount));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn authorize<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        scenario: &Scenario,
        now: u64,
    ) -> Result<(), FlowError> {
        self.checked(flows, account)?;
        // A check at one scenario lets no other through (a log-on pass
        // kept in a cookie opens no critical operation).
        if *scenario != self.scenario {
            return Err(FlowError::CheckRequired);
        }
        let Stage::Passed {
            check,
            at,
            generation,
            grace_from,
        } = &self.stage
        else {
            return Err(FlowError::WrongState {
                waiting_for: "the response to the challenge",
            });
        };
        if now < *at {
            return Err(FlowError::Expired);
        }
        // A pass authorises for a while after it passed, not for the session.
        if now >= at.saturating_add(flows.policy().get_pass_ttl()) {
            return Err(FlowError::CheckRequired);
        }
        if let Some(check) = check {
            if check.scenario() != &self.scenario {
                return Err(FlowError::Tampered);
            }
            return flows.bound(account, check);
        }
        if account.factor().is_none() || !account.protects(&self.scenario) {
            return Ok(());
        }
        match grace_from {
            Some(from)
                if *generation == account.generation()
                    && grace_open(
                        flows,
                        &self.scenario,
                        &Scenario::CriticalOperation,
                        *from,
                        now,
                    ) =>
            {
                Ok(())
            }
            _ => Err(FlowError::CheckRequired),
        }
    }

    /// The scenario checked.
    ///
    /// ```
    /// # let flows = mfa::Flows::new(mfa::TotpFactor::new("Example Co")?, mfa::OobKey::generate()?, mfa::FlowPolicy::default())?;
    /// use mfa::{FlowError, Protection, Scenario, Verification};
    ///
    /// let step = Verification::start(&flows, &Protection::new()?, Scenario::CriticalOperation, None, 0);
    /// let check = step.state().ok_or(FlowError::NotProtected)?;
    /// assert_eq!(check.scenario(), &Scenario::CriticalOperation);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// The factor record to check a response against, if the state and
    /// the time allow a response.
    fn challenged<'a, F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &'a Protection<F::Record>,
        now: u64,
    ) -> Result<&'a F::Record, FlowError> {
        self.checked(flows, account)?;
        let Stage::Challenged { at, expires_at, .. } = self.stage else {
            return Err(WAITING_RESPONSE);
        };
        if now < at || now >= expires_at {
            return Err(FlowError::Expired);
        }
        account.factor().ok_or(FlowError::NotProtected)
    }

    /// What the check waits for, to show the right form: the app's code
    /// ([`Awaiting::Codes`]), a "send code" button ([`Awaiting::SendCode`],
    /// an SMS factor before a code was asked for), the code sent
    /// ([`Awaiting::SentCode`]), or nothing (passed). A recovery code is
    /// always accepted while challenged.
    ///
    /// ```
    /// use mfa::{Awaiting, FlowError, FlowPolicy, Flows, OobKey, Protection, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
    /// let account: Protection<TotpRecord> = Protection::new()?; // protection off: passes at once
    /// let step = Verification::start(&flows, &account, Scenario::LogOn, None, 0);
    /// assert_eq!(step.state().map(Verification::awaiting), Some(Awaiting::Nothing));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn awaiting(&self) -> Awaiting<'static> {
        match self.stage {
            Stage::Challenged {
                ask: Ask::Codes(count),
                ..
            } => Awaiting::Codes { count },
            Stage::Challenged { ask: Ask::Send, .. } => Awaiting::SendCode,
            Stage::Challenged { ask: Ask::Sent, .. } => Awaiting::SentCode,
            Stage::Passed { .. } => Awaiting::Nothing,
        }
    }

    /// A new check of `account`, tagged.
    fn tagged<F, R: Clone>(
        flows: &Flows<F>,
        account: &Protection<R>,
        scenario: Scenario,
        stage: Stage,
    ) -> Self {
        let mut state = Self {
            account: account.id(),
            scenario,
            stage,
            tag: [0; 32],
        };
        state.tag = flows.tag(DOMAIN, &state.transcript());
        state
    }

    /// Every field but the tag, for the tag.
    fn transcript(&self) -> Transcript {
        let mut t = Transcript::default();
        t.bytes(&self.account).scenario(&self.scenario);
        match &self.stage {
            Stage::Challenged {
                at,
                expires_at,
                ask,
            } => {
                t.byte(0).u64(*at).u64(*expires_at);
                match ask {
                    Ask::Codes(n) => t.byte(0).byte(*n),
                    Ask::Send => t.byte(1),
                    Ask::Sent => t.byte(2),
                };
            }
            Stage::Passed {
                check,
                at,
                generation,
                grace_from,
            } => {
                t.byte(1).u64(*at).u64(*generation).time(*grace_from);
                match check {
                    None => t.byte(0),
                    Some(check) => t.byte(1).verified(check),
                };
            }
        }
        t
    }

    /// Whether this check was made by `flows` for `account`, unedited.
    fn checked<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
    ) -> Result<(), FlowError> {
        flows.check_tag(DOMAIN, &self.transcript(), &self.tag)?;
        if self.account != account.id() {
            return Err(FlowError::WrongAccount);
        }
        Ok(())
    }

    fn passed<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
        by_recovery_code: bool,
    ) -> Self {
        let stage = Stage::Passed {
            check: Some(flows.proof(account, self.scenario.clone(), by_recovery_code, now)),
            at: now,
            generation: account.generation(),
            grace_from: None,
        };
        Self::tagged(flows, account, self.scenario.clone(), stage)
    }
}

/// The time of `last` if its grace window covers `scenario` at `now`: a
/// critical-operation proof of this account, at its generation, in time.
fn in_grace<F: Factor>(
    flows: &Flows<F>,
    account: &Protection<F::Record>,
    scenario: &Scenario,
    last: Option<&Verified>,
    now: u64,
) -> Option<u64> {
    let last = last?;
    // A proof of another account, of an older generation, or not made by
    // these flows opens nothing: the check challenges as usual.
    flows.bound(account, last).ok()?;
    grace_open(flows, scenario, &last.scenario, last.at, now).then_some(last.at)
}

/// Whether the grace window of a critical-operation check passed at
/// `from` lets a check at `scenario` pass at `now`.
fn grace_open<F: Factor>(
    flows: &Flows<F>,
    scenario: &Scenario,
    last_scenario: &Scenario,
    from: u64,
    now: u64,
) -> bool {
    let grace = flows.policy().get_grace();
    grace > 0
        && *scenario == Scenario::CriticalOperation
        && *last_scenario == Scenario::CriticalOperation
        && from <= now
        && now < from.saturating_add(grace)
}

fn challenge<F: Factor>(
    flows: &Flows<F>,
    account: &Protection<F::Record>,
    factor: &F::Record,
    scenario: Scenario,
    now: u64,
) -> Transition<Verification, F::Record> {
    let (record, prompt) = flows.factor().challenge(factor, now).into_parts();
    let mut outputs: Vec<_> = record
        .and_then(|record| account.with_factor(record))
        .map(|new| new.persist_over(account))
        .into_iter()
        .collect();
    let prompt = match prompt {
        Ok(prompt) => prompt,
        Err(e) => {
            // The challenge still stands: a recovery code can be used.
            let stage = Stage::Challenged {
                at: now,
                expires_at: now.saturating_add(flows.policy().get_pending_ttl()),
                ask: Ask::Send,
            };
            let state = Verification::tagged(flows, account, scenario, stage);
            return Transition::counted(Some(state), outputs, e);
        }
    };
    let stage = Stage::Challenged {
        at: now,
        expires_at: now.saturating_add(flows.policy().get_pending_ttl()),
        ask: Ask::of(&prompt),
    };
    match prompt {
        Prompt::Deliver(delivery) => outputs.push(Output::Deliver(delivery)),
        Prompt::Key { uri, .. } => outputs.push(Output::ShowKey(uri)),
        Prompt::Code { .. } => {}
    }
    Transition::done(
        Verification::tagged(flows, account, scenario, stage),
        outputs,
    )
}
