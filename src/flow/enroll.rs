//! Enrollment: turning protection on, or replacing the factor.

use alloc::vec;
use alloc::vec::Vec;

use crate::record::{Destination, OobRecord, RecoveryCodes, Throttle};

use super::error::FlowError;
use super::factor::{Begun, Factor, Prompt};
use super::protection::{Pending, Protection};
use super::{
    Credential, Event, Flows, Output, Scenario, Transcript, Transition, Verified, checked_scenarios,
};

/// Separates the tags of enrollments from any other use of the key.
const DOMAIN: &[u8] = b"mfa/enrollment/v1";

/// An enrollment in progress: turning protection on, or replacing the
/// factor of a protected account (another method, another phone, a new
/// key). Session state, and tamper-evident: it is tagged with an HMAC under
/// the [`Flows`]' key, and an edited or hand-made one is refused
/// ([`FlowError::Tampered`]). It holds no secret and no failure count (a
/// pending secret and its failures are in the account's [`Protection`]);
/// with the `serde` feature it serializes, and it may be kept in a cookie
/// (seal it to keep the chosen contact private).
///
/// ```text
/// start ─► Identity ─verify_identity─► Setup ─setup─► Confirm ─confirm─► Done
///                                        ▲      └────(nothing to confirm)───┘
/// start_change (fresh check) ────────────┘
/// ```
///
/// Every call borrows the state and returns a [`Step`]: outputs to carry
/// out (persist first), the state to keep, the result. A call in the
/// wrong state is [`FlowError::WrongState`] and changes nothing; to
/// cancel, drop the state (what was stored, the identity-code record and
/// a pending factor, keeps its failure counts; a pending factor expires).
///
/// ```
/// use mfa::{Awaiting, Destination, Enrollment, FlowPolicy, Flows, OobKey, Output, Protection, Scenario, TotpFactor};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
/// let account = Protection::new()?;
/// let email = Destination::email("ada@example.com")?;
/// let now = 1_700_000_000;
///
/// let step = Enrollment::start(&flows, &account, &[Scenario::LogOn], &[email.clone()], &email, now);
/// let (state, outputs, result) = step.into_parts();
/// result?;
/// // outputs: Persist (the identity-code record), then Deliver (the code, by e-mail).
/// assert!(matches!(outputs.as_slice(), [Output::Persist { .. }, Output::Deliver(_)]));
/// let enrollment = state.ok_or(mfa::FlowError::NotProtected)?;
/// assert!(matches!(enrollment.awaiting(), Awaiting::IdentityCode { .. }));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Enrollment {
    #[cfg_attr(feature = "serde", serde(deserialize_with = "super::de_scenarios"))]
    scenarios: Vec<Scenario>,
    change: bool,
    /// The binding of the account enrolled.
    account: [u8; 16],
    /// The generation of the account's factor at the start: the
    /// enrollment completes only while it has not moved.
    generation: u64,
    stage: Stage,
    /// HMAC-SHA256 under the flows' key over every other field.
    tag: [u8; 32],
}

/// Where an enrollment stands.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
enum Stage {
    /// A code was sent to `contact`.
    Identity { contact: Destination },
    /// The user is proved (through `contact`, or a fresh check when
    /// `None`); the factor's setup is awaited.
    Setup {
        contact: Option<Destination>,
        verified_at: u64,
        expires_at: u64,
    },
    /// The factor `pending` (its id; the factor itself is in the
    /// account record) waits for `codes` codes until `expires_at`; with
    /// `to`, for the binding code sent there.
    Confirm {
        pending: [u8; 16],
        codes: u8,
        expires_at: u64,
        to: Option<Destination>,
    },
    /// The factor is active.
    Done,
}

/// What an [`Enrollment`] waits for, to show the right form.
///
/// ```
/// use mfa::Awaiting;
///
/// let waiting: Awaiting<'_> = Awaiting::Codes { count: 2 };
/// assert!(matches!(waiting, Awaiting::Codes { count: 2 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Awaiting<'a> {
    /// The code sent to this contact:
    /// [`verify_identity`](Enrollment::verify_identity).
    IdentityCode {
        /// Where the code was sent.
        contact: &'a Destination,
    },
    /// The factor's setup (an account name, a phone number):
    /// [`setup`](Enrollment::setup), until `expires_at`.
    Setup {
        /// The first Unix second at which the step has expired.
        expires_at: u64,
    },
    /// `count` codes from the new factor (its app or token):
    /// [`confirm`](Enrollment::confirm), or
    /// [`respond`](crate::Verification::respond) for a challenge.
    Codes {
        /// How many consecutive codes.
        count: u8,
    },
    /// The code sent to this phone being bound:
    /// [`confirm`](Enrollment::confirm).
    BindingCode {
        /// Where the code was sent.
        to: &'a Destination,
    },
    /// A challenge that sends its code on demand (SMS): offer a "send
    /// code" button ([`send_code`](crate::Verification::send_code)) and
    /// the recovery-code form; nothing was sent yet.
    SendCode,
    /// The code just sent for a challenge (SMS):
    /// [`respond`](crate::Verification::respond).
    SentCode,
    /// Nothing: the factor is active.
    Nothing,
}

/// The outputs that carry out a prompt.
fn prompt_outputs<R>(prompt: Prompt) -> Vec<Output<R>> {
    match prompt {
        Prompt::Key { uri, .. } => vec![Output::ShowKey(uri)],
        Prompt::Deliver(delivery) => vec![Output::Deliver(delivery)],
        Prompt::Code { .. } => Vec::new(),
    }
}

impl Enrollment {
    const WAITING_IDENTITY: FlowError = FlowError::WrongState {
        waiting_for: "the identity code",
    };
    const WAITING_SETUP: FlowError = FlowError::WrongState {
        waiting_for: "the new factor's setup",
    };
    const WAITING_CODES: FlowError = FlowError::WrongState {
        waiting_for: "the new factor's code",
    };
    const DONE: FlowError = FlowError::WrongState {
        waiting_for: "nothing (the enrollment is done)",
    };

    /// Starts turning protection on for `scenarios`: sends an
    /// identity-verification code to `contact`, which must be one of the
    /// account's verified `contacts` (its e-mail address, its bound
    /// phone). An account without a bound phone therefore verifies by
    /// e-mail.
    ///
    /// Outputs: [`Output::Persist`] (the identity-code record), then
    /// [`Output::Deliver`].
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::AlreadyProtected`],
    /// [`FlowError::Scenarios`], [`FlowError::UnknownContact`], or what
    /// sending refused ([`FlowError::Code`] for the resend cooldown or
    /// hourly cap, [`FlowError::Refused`] when locked out).
    ///
    /// ```
    /// use mfa::{Destination, Enrollment, FlowError, FlowPolicy, Flows, OobKey, Protection, Scenario, TotpFactor};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
    /// let email = Destination::email("ada@example.com")?;
    /// let other = Destination::email("eve@example.com")?;
    /// let step = Enrollment::start(&flows, &Protection::new()?, &[Scenario::LogOn], &[email], &other, 0);
    /// assert_eq!(step.result(), Err(FlowError::UnknownContact));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn start<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        scenarios: &[Scenario],
        contacts: &[Destination],
        contact: &Destination,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if account.is_on() {
            return Transition::failed(FlowError::AlreadyProtected);
        }
        let scenarios = match checked_scenarios(scenarios) {
            Ok(scenarios) => scenarios,
            Err(e) => return Transition::failed(e),
        };
        if !contacts.contains(contact) {
            return Transition::failed(FlowError::UnknownContact);
        }
        let stage = Stage::Identity {
            contact: contact.clone(),
        };
        let state = Self::tagged(flows, scenarios, false, account, stage);
        let write = |record| account.with_identity(record);
        send_code(
            flows,
            account,
            account.identity(),
            write,
            contact,
            now,
            state,
        )
    }

    /// Starts replacing the factor of a protected account (changing the
    /// method, the phone number, or the authenticator) after a fresh
    /// second-factor check or recovery code: no identity code, straight to
    /// [`setup`](Self::setup). The new factor is a new binding: an SMS
    /// factor sends a code to the new number even if it is the old one.
    /// The scenarios and recovery codes are kept.
    ///
    /// The change expires when `check` stops being fresh (its setup and
    /// confirmation included), and completes at most once: after it (or
    /// any other change of the factor, or protection turned off), its
    /// state is [`FlowError::Expired`].
    ///
    /// Writes nothing: the fresh check already cleared what it proves (the
    /// identity codes' failures); the binding codes keep theirs, since a
    /// check of the owner proves no phone.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`],
    /// [`FlowError::CheckRequired`], [`FlowError::WrongAccount`] (a
    /// `check` of another account).
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
    /// use mfa::{Awaiting, Enrollment, FlowError};
    ///
    /// // `check` is the proof of a critical-operation check passed at `now`.
    /// let step = Enrollment::start_change(&flows, &account, &check, now);
    /// let (state, outputs, result) = step.into_parts();
    /// result?;
    /// assert!(outputs.is_empty()); // no identity code: straight to the setup
    /// let change = state.ok_or(FlowError::NotProtected)?;
    /// // It must be done while the check is fresh (5 minutes), and only once.
    /// assert_eq!(change.awaiting(), Awaiting::Setup { expires_at: now + 300 });
    /// assert_eq!(change.scenarios(), account.scenarios()); // kept
    ///
    /// // A check older than `FlowPolicy::fresh_check` (5 minutes) is not enough.
    /// let late = Enrollment::start_change(&flows, &account, &check, now + 300);
    /// assert_eq!(late.result(), Err(FlowError::CheckRequired));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn start_change<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        check: &Verified,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if !account.is_on() {
            return Transition::failed(FlowError::NotProtected);
        }
        if let Err(e) = flows.check_fresh(account, check, now) {
            return Transition::failed(e);
        }
        // The change ends when the check stops being fresh.
        let fresh_until = check.at().saturating_add(flows.policy().get_fresh_check());
        let stage = Stage::Setup {
            contact: None,
            verified_at: now,
            expires_at: now
                .saturating_add(flows.policy().get_pending_ttl())
                .min(fresh_until),
        };
        let state = Self::tagged(flows, account.scenarios().to_vec(), true, account, stage);
        Transition::done(state, Vec::new())
    }

    /// What the enrollment waits for.
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
    /// # let now = t0;
    /// # let code = code(&out);
    /// use mfa::{Awaiting, FlowError};
    ///
    /// // Just started: the identity code went to ada@example.com.
    /// assert_eq!(enrollment.awaiting(), Awaiting::IdentityCode { contact: &email });
    ///
    /// // With the right code, the factor's setup is awaited, for 10 minutes.
    /// let (state, _outputs, result) = enrollment.verify_identity(&flows, &account, &code, now).into_parts();
    /// result?;
    /// let enrollment = state.ok_or(FlowError::NotProtected)?;
    /// assert_eq!(enrollment.awaiting(), Awaiting::Setup { expires_at: now + 600 });
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn awaiting(&self) -> Awaiting<'_> {
        match &self.stage {
            Stage::Identity { contact } => Awaiting::IdentityCode { contact },
            Stage::Setup { expires_at, .. } => Awaiting::Setup {
                expires_at: *expires_at,
            },
            Stage::Confirm { to: Some(to), .. } => Awaiting::BindingCode { to },
            Stage::Confirm { codes, .. } => Awaiting::Codes { count: *codes },
            Stage::Done => Awaiting::Nothing,
        }
    }

    /// Whether the factor is active.
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
    /// # let now = t0;
    /// // The key was shown; the first code from the authenticator is awaited.
    /// assert!(!enrollment.is_done());
    ///
    /// let code = totp.generate(now)?.to_string();
    /// let (state, _outputs, result) = enrollment.confirm(&flows, &account, &[&code], now).into_parts();
    /// result?;
    /// assert!(state.is_some_and(|enrollment| enrollment.is_done()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// The scenarios that will be protected.
    ///
    /// ```
    /// # let flows = mfa::Flows::new(
    /// #     mfa::TotpFactor::new("Example Co")?,
    /// #     mfa::OobKey::generate()?,
    /// #     // Fast recovery codes for the example: PBKDF2 at its minimum, 3 codes.
    /// #     mfa::FlowPolicy::default().recovery(mfa::RecoveryPolicy::default().iterations(1_000).count(3)),
    /// # )?;
    /// # let email = mfa::Destination::email("ada@example.com")?;
    /// # let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// # let t0 = 1_700_000_010;
    /// # let now = t0;
    /// use mfa::{Enrollment, FlowError, Protection, Scenario};
    ///
    /// let protect = [Scenario::LogOn, Scenario::Custom("export".into())];
    /// let step = Enrollment::start(&flows, &Protection::new()?, &protect, &[email.clone()], &email, now);
    /// let enrollment = step.state().ok_or(FlowError::NotProtected)?;
    /// assert_eq!(enrollment.scenarios(), protect);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// Sends a new identity code (the old one stops working), within the
    /// record's cooldown and hourly cap.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], or what sending refused.
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
    /// # let now = t0;
    /// use mfa::{FlowError, OobError, Output};
    ///
    /// // The first code went out at `now`: another may follow after a minute.
    /// let early = enrollment.resend_identity(&flows, &account, now + 30);
    /// assert_eq!(early.result(), Err(FlowError::Code(OobError::Cooldown { retry_at: now + 60, retry_after: 30 })));
    ///
    /// let step = enrollment.resend_identity(&flows, &account, now + 60);
    /// step.result()?;
    /// // The account's identity-code record is written, then the new code sent.
    /// assert!(matches!(
    ///     step.outputs(),
    ///     [Output::Persist { .. }, Output::Deliver(delivery)] if delivery.destination() == &email
    /// ));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn resend_identity<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if let Err(e) = self.checked(flows, account) {
            return Transition::failed(e);
        }
        let Stage::Identity { contact } = &self.stage else {
            return Transition::failed(self.wrong_state());
        };
        let write = |record| account.with_identity(record);
        send_code(
            flows,
            account,
            account.identity(),
            write,
            contact,
            now,
            self.clone(),
        )
    }

    /// Checks the identity code the user typed. On success the flow waits
    /// for the factor's [`setup`](Self::setup).
    ///
    /// Outputs: [`Output::Persist`] whenever the code was evaluated (a
    /// failure is counted in the account's identity-code record).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], [`FlowError::Rejected`],
    /// [`FlowError::Malformed`], [`FlowError::Refused`] (throttled),
    /// [`FlowError::Code`] (the code expired, was tried too often, or none
    /// is in flight).
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
    /// # let now = t0;
    /// # let code = code(&out);
    /// # let wrong = if code == "000000" { "111111" } else { "000000" };
    /// use mfa::{Awaiting, FlowError, Output};
    ///
    /// // A wrong code is rejected, and the failure counted in the account's record.
    /// let step = enrollment.verify_identity(&flows, &account, wrong, now + 10);
    /// assert_eq!(step.result(), Err(FlowError::Rejected));
    /// assert!(matches!(step.outputs(), [Output::Persist { .. }]));
    /// # let account = written(&account, step);
    ///
    /// // The code from the e-mail: the factor's setup is next.
    /// let (state, outputs, result) = enrollment.verify_identity(&flows, &account, &code, now + 20).into_parts();
    /// result?;
    /// assert!(matches!(outputs.as_slice(), [Output::Persist { .. }])); // the code is used up
    /// let enrollment = state.ok_or(FlowError::NotProtected)?;
    /// assert_eq!(enrollment.awaiting(), Awaiting::Setup { expires_at: now + 20 + 600 });
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn verify_identity<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        code: &str,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if let Err(e) = self.checked(flows, account) {
            return Transition::failed(e);
        }
        let Stage::Identity { contact } = &self.stage else {
            return Transition::failed(self.wrong_state());
        };
        if account.is_on() && !self.change {
            return Transition::failed(FlowError::AlreadyProtected);
        }
        let before = account.identity().throttle();
        let (identity, outcome) = account
            .identity()
            .verify(
                &flows.policy().get_identity(),
                flows.key(),
                contact,
                code,
                now,
            )
            .into_parts();
        // Proving who you are proves no phone: the binding codes keep
        // their failures.
        let mut outputs = Vec::new();
        if let Some(identity) = identity {
            let after = identity.throttle();
            outputs.push(account.with_identity(identity).persist_over(account));
            outputs.extend(lockout_notice(before, after, Credential::IdentityCode, now));
        }
        match outcome {
            Ok(()) => {
                let stage = Stage::Setup {
                    contact: Some(contact.clone()),
                    verified_at: now,
                    expires_at: now.saturating_add(flows.policy().get_pending_ttl()),
                };
                Transition::done(self.at_stage(flows, stage), outputs)
            }
            Err(e) => Transition::counted(None, outputs, e.into()),
        }
    }

    /// Sets the new factor up from `setup` (the account name for TOTP, the
    /// phone number for SMS): a pending TOTP secret to show
    /// ([`Output::ShowKey`]) or a code to deliver to the new phone
    /// ([`Output::Persist`] of the account's binding-code record, whose
    /// cooldown, hourly cap and attempts hold per account whatever the
    /// number, then [`Output::Deliver`]). If nothing is left to confirm (SMS on the
    /// phone that was just verified), the factor is active at once, as
    /// after [`confirm`](Self::confirm).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], [`FlowError::Expired`]
    /// (more than [`FlowPolicy::pending_ttl`](crate::FlowPolicy::pending_ttl)
    /// after the identity check), or the factor's own error.
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
    /// # let now = t0;
    /// use mfa::{Awaiting, FlowError, Output};
    ///
    /// // The identity was verified at `now`; TOTP is set up for the account name.
    /// let step = enrollment.setup(&flows, &account, &"ada@example.com".into(), now + 30);
    /// let (state, outputs, result) = step.into_parts();
    /// result?;
    /// // The pending secret goes into the account record, never the session:
    /// // write it, then show the key.
    /// assert!(matches!(
    ///     outputs.as_slice(),
    ///     [Output::Persist { .. }, Output::ShowKey(uri)] if uri.account() == "ada@example.com" && uri.issuer() == Some("Example Co")
    /// ));
    /// let confirming = state.ok_or(FlowError::NotProtected)?;
    /// assert_eq!(confirming.awaiting(), Awaiting::Codes { count: 1 });
    ///
    /// // Ten minutes after the identity check, it is too late.
    /// let late = enrollment.setup(&flows, &account, &"ada@example.com".into(), now + 600);
    /// assert_eq!(late.result(), Err(FlowError::Expired));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn setup<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        setup: &F::Setup,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if let Err(e) = self.checked(flows, account) {
            return Transition::failed(e);
        }
        let Stage::Setup {
            contact,
            verified_at,
            expires_at,
        } = &self.stage
        else {
            return Transition::failed(self.wrong_state());
        };
        let ttl = flows.policy().get_pending_ttl();
        if now < *verified_at || now >= *expires_at {
            return Transition::failed(FlowError::Expired);
        }
        // A change stays within its fresh check.
        let pending_until = if self.change {
            now.saturating_add(ttl).min(*expires_at)
        } else {
            now.saturating_add(ttl)
        };
        let (record, to, prompt) = match flows.factor().begin(setup, contact.as_ref(), now) {
            Err(e) => return Transition::failed(e),
            Ok(Begun::Active(record)) => {
                return self.activate(flows, account, account, record, now);
            }
            Ok(Begun::Confirm { pending, prompt }) => (pending, None, Some(prompt)),
            Ok(Begun::Deliver { pending, to }) => (pending, Some(to), None),
        };
        let mut id = [0u8; 16];
        if getrandom::fill(&mut id).is_err() {
            return Transition::failed(FlowError::RandomSource);
        }
        let stage = Stage::Confirm {
            pending: id,
            codes: prompt.as_ref().map_or(1, Prompt::codes),
            expires_at: pending_until,
            to: to.clone(),
        };
        let state = self.at_stage(flows, stage);
        let pending = Pending {
            id,
            record,
            expires_at: pending_until,
            to: to.clone(),
        };
        let with_pending = account.with_pending(pending);
        match (to, prompt) {
            (Some(to), _) => {
                // The binding code goes through the account's record (its
                // limits hold whatever the number), in the same write.
                let write = |binding| with_pending.holding_binding(binding);
                send_code(flows, account, account.binding(), write, &to, now, state)
            }
            (None, prompt) => {
                let mut outputs = vec![with_pending.persist_over(account)];
                outputs.extend(prompt.map(prompt_outputs).unwrap_or_default());
                Transition::done(state, outputs)
            }
        }
    }

    /// Sends the new factor's confirmation again (a new code to the phone
    /// being bound), within the limits of the account's binding-code
    /// record ([`Protection::binding`]): outputs [`Output::Persist`], then
    /// [`Output::Deliver`].
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], [`FlowError::Expired`],
    /// what sending refused ([`FlowError::Code`] with
    /// [`OobError::Cooldown`](crate::OobError::Cooldown) or
    /// [`OobError::SendLimit`](crate::OobError::SendLimit) and the time a
    /// code can be sent again, [`FlowError::Refused`] when locked out), or
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
    /// # let now = t0;
    /// use mfa::{FlowError, OobError, Output};
    ///
    /// // A code went to the new phone at `now`; another may follow after a minute.
    /// let early = enrollment.resend(&flows, &account, now + 30);
    /// assert_eq!(early.result(), Err(FlowError::Code(OobError::Cooldown { retry_at: now + 60, retry_after: 30 })));
    ///
    /// let step = enrollment.resend(&flows, &account, now + 60);
    /// step.result()?;
    /// // The account's binding-code record is written, then the new code sent.
    /// assert!(matches!(
    ///     step.outputs(),
    ///     [Output::Persist { .. }, Output::Deliver(delivery)] if delivery.destination().as_str() == "+14155552671"
    /// ));
    /// assert!(step.state().is_some());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn resend<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let pending = match self.pending(flows, account, now) {
            Ok(pending) => pending,
            Err(e) => return Transition::failed(e),
        };
        if let Some(to) = &pending.to {
            let write = |binding| account.with_binding(binding);
            return send_code(
                flows,
                account,
                account.binding(),
                write,
                to,
                now,
                self.clone(),
            );
        }
        let (record, prompt) = flows.factor().resend(&pending.record, now).into_parts();
        let mut outputs: Vec<_> = record
            .and_then(|record| account.with_pending_record(record))
            .map(|new| new.persist_over(account))
            .into_iter()
            .collect();
        match prompt {
            Ok(prompt) => {
                outputs.extend(prompt_outputs(prompt));
                Transition::done(self.clone(), outputs)
            }
            Err(e) => Transition::counted(None, outputs, e),
        }
    }

    /// Confirms the new factor with the codes the user typed (one, or two
    /// consecutive TOTP codes when the factor asks for that). On success
    /// the factor is active: outputs [`Output::Persist`], then, for a new
    /// protection, [`Output::ShowRecoveryCodes`] (once) and
    /// [`Output::Notify`] with [`Event::FactorBound`]; for a replaced
    /// factor, [`Output::Notify`] with [`Event::FactorChanged`].
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], [`FlowError::Expired`],
    /// [`FlowError::CodesNeeded`], [`FlowError::Rejected`],
    /// [`FlowError::Refused`], [`FlowError::Malformed`], …; a counted
    /// failure comes with the new state to keep, or (a binding code) with
    /// [`Output::Persist`] of the account's binding-code record, where the
    /// failure is counted: a stale or replayed state does not reset it.
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
    /// # let now = t0;
    /// # let near = [now - 60, now - 30, now, now + 30, now + 60].map(|t| totp.generate(t).map(|c| c.to_string()));
    /// # let wrong = ["000000", "111111", "222222", "333333", "444444", "555555"]
    /// #     .into_iter()
    /// #     .find(|w| !near.iter().any(|c| c.as_deref() == Ok(*w)))
    /// #     .unwrap_or_default();
    /// use mfa::{Event, FlowError, Output};
    ///
    /// // A wrong code: rejected, and counted in the account record (the
    /// // pending factor is there), so dropping the state loses nothing.
    /// let (state, outputs, result) = enrollment.confirm(&flows, &account, &[wrong], now).into_parts();
    /// assert_eq!(result, Err(FlowError::Rejected));
    /// assert!(state.is_none()); // keep the enrollment you had
    /// let account = match outputs.as_slice() {
    ///     [Output::Persist { record, .. }] => record.clone(),
    ///     _ => return Err(FlowError::Rejected.into()),
    /// };
    ///
    /// // The code the authenticator shows (`totp`, from the key shown): protection is on.
    /// let code = totp.generate(now + 30)?.to_string();
    /// let (state, outputs, result) = enrollment.confirm(&flows, &account, &[&code], now + 30).into_parts();
    /// result?;
    /// assert!(state.is_some_and(|enrollment| enrollment.is_done()));
    /// assert!(matches!(
    ///     outputs.as_slice(),
    ///     [
    ///         Output::Persist { record, .. },
    ///         Output::ShowRecoveryCodes(codes),
    ///         Output::Notify { event: Event::FactorBound { kind: "totp" }, .. },
    ///     ] if record.is_on() && codes.len() == 3
    /// ));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn confirm<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        codes: &[&str],
        now: u64,
    ) -> Transition<Self, F::Record> {
        let pending = match self.pending(flows, account, now) {
            Ok(pending) => pending,
            Err(e) => return Transition::failed(e),
        };
        if let Some(to) = &pending.to {
            return self.confirm_binding(flows, account, &pending.record, to, codes, now);
        }
        let before = flows.factor().throttle(&pending.record);
        let (record, outcome) = flows
            .factor()
            .confirm(&pending.record, codes, now)
            .into_parts();
        match outcome {
            Ok(active) => self.activate(flows, account, account, active, now),
            // The failure is counted in the account record, not the state.
            Err(e) => {
                let mut outputs = Vec::new();
                if let Some(record) = record {
                    let after = flows.factor().throttle(&record);
                    if let Some(new) = account.with_pending_record(record) {
                        outputs.push(new.persist_over(account));
                        outputs.extend(lockout_notice(before, after, Credential::Factor, now));
                    }
                }
                Transition::counted(None, outputs, e)
            }
        }
    }

    /// Checks a binding code against the account's record (the failure
    /// counted there, and persisted), then binds the pending factor.
    fn confirm_binding<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        pending: &F::Record,
        to: &Destination,
        codes: &[&str],
        now: u64,
    ) -> Transition<Self, F::Record> {
        let [code] = codes else {
            return Transition::failed(FlowError::CodesNeeded { count: 1 });
        };
        let before = account.binding().throttle();
        let (binding, outcome) = account
            .binding()
            .verify(&flows.policy().get_identity(), flows.key(), to, code, now)
            .into_parts();
        let Some(binding) = binding else {
            return Transition::failed(outcome.err().map_or(FlowError::Rejected, FlowError::from));
        };
        if let Err(e) = outcome {
            let after = binding.throttle();
            let mut outputs = vec![account.with_binding(binding).persist_over(account)];
            outputs.extend(lockout_notice(before, after, Credential::BindingCode, now));
            return Transition::counted(None, outputs, e.into());
        }
        // A success keeps the record's failures: they may be guesses at
        // another number, and binding one's own phone must not buy guesses
        // at someone else's.
        let binding = binding.keeping(before);
        match flows.factor().bind(pending, to, now) {
            Ok(record) => self.activate(
                flows,
                account,
                &account.holding_binding(binding),
                record,
                now,
            ),
            Err(e) => Transition::counted(
                None,
                vec![account.with_binding(binding).persist_over(account)],
                e,
            ),
        }
    }

    /// The factor is active: store it, with recovery codes the first time.
    fn activate<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        base: &Protection<F::Record>,
        record: F::Record,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let kind = flows.factor().kind_of(&record);
        let done = self.at_stage(flows, Stage::Done);
        if self.change {
            let Some(new) = base.replaced(record) else {
                return Transition::failed(FlowError::NotProtected);
            };
            let outputs = vec![
                new.persist_over(account),
                Output::Notify {
                    event: Event::FactorChanged { kind },
                    at: now,
                },
            ];
            return Transition::done(done, outputs);
        }
        if account.is_on() {
            return Transition::failed(FlowError::AlreadyProtected);
        }
        let (recovery, codes) = match RecoveryCodes::generate(&flows.policy().get_recovery(), now) {
            Ok(generated) => generated,
            Err(e) => return Transition::failed(e.into()),
        };
        let new = base.activated(self.scenarios.clone(), record, recovery, now);
        let outputs = vec![
            new.persist_over(account),
            Output::ShowRecoveryCodes(codes),
            Output::Notify {
                event: Event::FactorBound { kind },
                at: now,
            },
        ];
        Transition::done(done, outputs)
    }

    /// The pending factor this enrollment confirms, from the account
    /// record, if the state and the time allow it.
    fn pending<'a, F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &'a Protection<F::Record>,
        now: u64,
    ) -> Result<&'a Pending<F::Record>, FlowError> {
        self.checked(flows, account)?;
        let Stage::Confirm {
            pending,
            expires_at,
            ..
        } = &self.stage
        else {
            return Err(self.wrong_state());
        };
        if now >= *expires_at {
            return Err(FlowError::Expired);
        }
        // Another setup since (another tab) replaced this one.
        match account.pending() {
            Some(found) if found.id == *pending && now < found.expires_at => Ok(found),
            _ => Err(FlowError::Expired),
        }
    }

    /// A new state for `account`, tagged.
    fn tagged<F, R: Clone>(
        flows: &Flows<F>,
        scenarios: Vec<Scenario>,
        change: bool,
        account: &Protection<R>,
        stage: Stage,
    ) -> Self {
        let mut state = Self {
            scenarios,
            change,
            account: account.id(),
            generation: account.generation(),
            stage,
            tag: [0; 32],
        };
        state.tag = flows.tag(DOMAIN, &state.transcript());
        state
    }

    /// This state at another stage, tagged again.
    fn at_stage<F>(&self, flows: &Flows<F>, stage: Stage) -> Self {
        let mut state = Self {
            stage,
            ..self.clone()
        };
        state.tag = flows.tag(DOMAIN, &state.transcript());
        state
    }

    /// Every field but the tag, for the tag.
    fn transcript(&self) -> Transcript {
        let mut t = Transcript::default();
        t.bytes(&self.account)
            .u64(self.generation)
            .byte(u8::from(self.change))
            .u64(u64::try_from(self.scenarios.len()).unwrap_or(u64::MAX));
        for scenario in &self.scenarios {
            t.scenario(scenario);
        }
        match &self.stage {
            Stage::Identity { contact } => t.byte(0).destination(Some(contact)),
            Stage::Setup {
                contact,
                verified_at,
                expires_at,
            } => t
                .byte(1)
                .destination(contact.as_ref())
                .u64(*verified_at)
                .u64(*expires_at),
            Stage::Confirm {
                pending,
                codes,
                expires_at,
                to,
            } => t
                .byte(2)
                .bytes(pending)
                .byte(*codes)
                .u64(*expires_at)
                .destination(to.as_ref()),
            Stage::Done => t.byte(3),
        };
        t
    }

    /// Whether this state was made by `flows` for `account`, unedited, at
    /// the generation it started with.
    fn checked<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
    ) -> Result<(), FlowError> {
        flows.check_tag(DOMAIN, &self.transcript(), &self.tag)?;
        self.bound(account)
    }

    /// Whether this enrollment is for `account`, at the generation it
    /// started with.
    ///
    /// # Errors
    ///
    /// [`FlowError::WrongAccount`], or [`FlowError::Expired`] once a factor
    /// was activated or replaced, or protection turned off, since the
    /// start (a finished change cannot be replayed).
    fn bound<R: Clone>(&self, account: &Protection<R>) -> Result<(), FlowError> {
        if self.account != account.id() {
            return Err(FlowError::WrongAccount);
        }
        if self.generation != account.generation() {
            return Err(FlowError::Expired);
        }
        Ok(())
    }

    fn wrong_state(&self) -> FlowError {
        match self.stage {
            Stage::Identity { .. } => Self::WAITING_IDENTITY,
            Stage::Setup { .. } => Self::WAITING_SETUP,
            Stage::Confirm { .. } => Self::WAITING_CODES,
            Stage::Done => Self::DONE,
        }
    }
}

/// Issues a code to `to` through one of the account's code records
/// (`record`: the identity or the binding codes, their cooldown, hourly
/// cap and lockout per account, whatever the destination), writes the
/// new record with `write` before the delivery, and moves to `state`.
fn send_code<F: Factor>(
    flows: &Flows<F>,
    account: &Protection<F::Record>,
    record: &OobRecord,
    write: impl FnOnce(OobRecord) -> Protection<F::Record>,
    to: &Destination,
    now: u64,
    state: Enrollment,
) -> Transition<Enrollment, F::Record> {
    let (record, delivery) = record
        .issue(&flows.policy().get_identity(), flows.key(), to, now)
        .into_parts();
    match (record, delivery) {
        (Some(record), Ok(delivery)) => Transition::done(
            state,
            vec![
                write(record).persist_over(account),
                Output::Deliver(delivery),
            ],
        ),
        (_, Err(e)) => Transition::failed(e.into()),
        (None, Ok(_)) => Transition::failed(FlowError::RandomSource),
    }
}

/// The notice of a lockout, if the failure that turned `before` into
/// `after` started one.
pub(crate) fn lockout_notice<R>(
    before: Throttle,
    after: Throttle,
    credential: Credential,
    now: u64,
) -> Option<Output<R>> {
    (after.is_lockout() && after.failures() > before.failures()).then_some(Output::Notify {
        event: Event::LockedOut {
            credential,
            until: after.retry_at(),
        },
        at: now,
    })
}
