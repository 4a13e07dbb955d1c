//! Enrollment: turning protection on, or replacing the factor.

use alloc::vec;
use alloc::vec::Vec;

use crate::record::{Destination, RecoveryCodes};

use super::error::FlowError;
use super::factor::{Begun, Factor, Prompt};
use super::protection::Protection;
use super::{Event, Flows, Output, Scenario, Step, Verified, checked_scenarios};

/// An enrollment in progress: turning protection on, or replacing the
/// factor of a protected account (another method, another phone, a new
/// key). Session state: keep it server-side between requests (with the
/// `serde` feature it serializes; a pending TOTP secret is in it).
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
/// cancel, drop the state (nothing was stored but the identity-code
/// record, whose failure count must survive a restart).
///
/// ```
/// use mfa::{Awaiting, Destination, Enrollment, FlowPolicy, Flows, OobKey, Output, Protection, Scenario, TotpFactor};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
/// let account = Protection::new();
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
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        deny_unknown_fields,
        bound(
            serialize = "F::Pending: serde::Serialize",
            deserialize = "F::Pending: serde::Deserialize<'de>"
        )
    )
)]
pub struct Enrollment<F: Factor> {
    #[cfg_attr(feature = "serde", serde(deserialize_with = "super::de_scenarios"))]
    scenarios: Vec<Scenario>,
    change: bool,
    stage: Stage<F::Pending>,
}

impl<F: Factor> Clone for Enrollment<F> {
    fn clone(&self) -> Self {
        Self {
            scenarios: self.scenarios.clone(),
            change: self.change,
            stage: self.stage.clone(),
        }
    }
}

/// The stage and the scenarios; a pending factor shows what its own
/// `Debug` shows (no secret for the built-in kinds).
impl<F: Factor> core::fmt::Debug for Enrollment<F> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Enrollment")
            .field("scenarios", &self.scenarios)
            .field("change", &self.change)
            .field("stage", &self.stage)
            .finish()
    }
}

/// Where an enrollment stands.
#[derive(Clone, Debug)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
enum Stage<P> {
    /// A code was sent to `contact`.
    Identity { contact: Destination },
    /// The user is proved (through `contact`, or a fresh check when
    /// `None`); the factor's setup is awaited.
    Setup {
        contact: Option<Destination>,
        verified_at: u64,
        expires_at: u64,
    },
    /// The factor is pending, until `expires_at`.
    Confirm {
        pending: P,
        codes: u8,
        expires_at: u64,
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
    /// `count` codes from the new factor: [`confirm`](Enrollment::confirm).
    Codes {
        /// How many consecutive codes.
        count: u8,
    },
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

impl<F: Factor> Enrollment<F> {
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
    /// let step = Enrollment::start(&flows, &Protection::new(), &[Scenario::LogOn], &[email], &other, 0);
    /// assert_eq!(step.result(), Err(FlowError::UnknownContact));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn start(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        scenarios: &[Scenario],
        contacts: &[Destination],
        contact: &Destination,
        now: u64,
    ) -> Step<Self, F::Record> {
        if account.is_on() {
            return Step::failed(FlowError::AlreadyProtected);
        }
        let scenarios = match checked_scenarios(scenarios) {
            Ok(scenarios) => scenarios,
            Err(e) => return Step::failed(e),
        };
        if !contacts.contains(contact) {
            return Step::failed(FlowError::UnknownContact);
        }
        let state = Self {
            scenarios,
            change: false,
            stage: Stage::Identity {
                contact: contact.clone(),
            },
        };
        send_identity(flows, account, contact, now, state)
    }

    /// Starts replacing the factor of a protected account (changing the
    /// method, the phone number, or the authenticator) after a fresh
    /// second-factor check or recovery code: no identity code, straight to
    /// [`setup`](Self::setup). The new factor is a new binding: an SMS
    /// factor sends a code to the new number even if it is the old one.
    /// The scenarios and recovery codes are kept.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`],
    /// [`FlowError::CheckRequired`].
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::SmsFactor>, account: &mfa::Protection<mfa::SmsRecord>, check: &mfa::Verified, now: u64) -> Result<(), mfa::Error> {
    /// use mfa::{Enrollment, PhoneNumber};
    /// let (state, _, result) = Enrollment::start_change(flows, account, check, now).into_parts();
    /// result?;
    /// # Ok(()) }
    /// ```
    pub fn start_change(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        check: &Verified,
        now: u64,
    ) -> Step<Self, F::Record> {
        if !account.is_on() {
            return Step::failed(FlowError::NotProtected);
        }
        if !flows.is_fresh(check, now) {
            return Step::failed(FlowError::CheckRequired);
        }
        let state = Self {
            scenarios: account.scenarios().to_vec(),
            change: true,
            stage: Stage::Setup {
                contact: None,
                verified_at: now,
                expires_at: now.saturating_add(flows.policy().get_pending_ttl()),
            },
        };
        Step::done(state, Vec::new())
    }

    /// What the enrollment waits for.
    ///
    /// ```no_run
    /// # fn f(e: &mfa::Enrollment<mfa::TotpFactor>) {
    /// if let mfa::Awaiting::IdentityCode { contact } = e.awaiting() {
    ///     println!("enter the code sent to {contact}");
    /// }
    /// # }
    /// ```
    #[must_use]
    pub fn awaiting(&self) -> Awaiting<'_> {
        match &self.stage {
            Stage::Identity { contact } => Awaiting::IdentityCode { contact },
            Stage::Setup { expires_at, .. } => Awaiting::Setup {
                expires_at: *expires_at,
            },
            Stage::Confirm { codes, .. } => Awaiting::Codes { count: *codes },
            Stage::Done => Awaiting::Nothing,
        }
    }

    /// Whether the factor is active.
    ///
    /// ```no_run
    /// # fn f(e: &mfa::Enrollment<mfa::TotpFactor>) { assert!(!e.is_done()); }
    /// ```
    #[must_use]
    pub const fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// The scenarios that will be protected.
    ///
    /// ```no_run
    /// # fn f(e: &mfa::Enrollment<mfa::TotpFactor>) {
    /// assert!(!e.scenarios().is_empty());
    /// # }
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
    /// In the result: [`FlowError::WrongState`], or what sending refused.
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::TotpFactor>, account: &mfa::Protection<mfa::TotpRecord>, e: &mfa::Enrollment<mfa::TotpFactor>, now: u64) {
    /// let step = e.resend_identity(flows, account, now);
    /// # drop(step); }
    /// ```
    pub fn resend_identity(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Step<Self, F::Record> {
        let Stage::Identity { contact } = &self.stage else {
            return Step::failed(self.wrong_state());
        };
        send_identity(flows, account, contact, now, self.clone())
    }

    /// Checks the identity code the user typed. On success the flow waits
    /// for the factor's [`setup`](Self::setup).
    ///
    /// Outputs: [`Output::Persist`] whenever the code was evaluated (a
    /// failure is counted in the account's identity-code record).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongState`], [`FlowError::Rejected`],
    /// [`FlowError::Malformed`], [`FlowError::Refused`] (throttled),
    /// [`FlowError::Code`] (the code expired, was tried too often, or none
    /// is in flight).
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::TotpFactor>, account: &mfa::Protection<mfa::TotpRecord>, e: &mfa::Enrollment<mfa::TotpFactor>, now: u64) {
    /// let step = e.verify_identity(flows, account, "123456", now);
    /// # drop(step); }
    /// ```
    pub fn verify_identity(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        code: &str,
        now: u64,
    ) -> Step<Self, F::Record> {
        let Stage::Identity { contact } = &self.stage else {
            return Step::failed(self.wrong_state());
        };
        if account.is_on() && !self.change {
            return Step::failed(FlowError::AlreadyProtected);
        }
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
        let outputs: Vec<_> = identity
            .map(|identity| account.with_identity(identity).persist_over(account))
            .into_iter()
            .collect();
        match outcome {
            Ok(()) => {
                let state = Self {
                    stage: Stage::Setup {
                        contact: Some(contact.clone()),
                        verified_at: now,
                        expires_at: now.saturating_add(flows.policy().get_pending_ttl()),
                    },
                    ..self.clone()
                };
                Step::done(state, outputs)
            }
            Err(e) => Step::counted(None, outputs, e.into()),
        }
    }

    /// Sets the new factor up from `setup` (the account name for TOTP, the
    /// phone number for SMS): a pending TOTP secret to show
    /// ([`Output::ShowKey`]) or a code to deliver to the new phone
    /// ([`Output::Deliver`]). If nothing is left to confirm (SMS on the
    /// phone that was just verified), the factor is active at once, as
    /// after [`confirm`](Self::confirm).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongState`], [`FlowError::Expired`]
    /// (more than [`FlowPolicy::pending_ttl`](crate::FlowPolicy::pending_ttl)
    /// after the identity check), or the factor's own error.
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::TotpFactor>, account: &mfa::Protection<mfa::TotpRecord>, e: &mfa::Enrollment<mfa::TotpFactor>, now: u64) {
    /// let step = e.setup(flows, account, "ada@example.com".into(), now);
    /// # drop(step); }
    /// ```
    pub fn setup(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        setup: F::Setup,
        now: u64,
    ) -> Step<Self, F::Record> {
        let Stage::Setup {
            contact,
            verified_at,
            expires_at,
        } = &self.stage
        else {
            return Step::failed(self.wrong_state());
        };
        let ttl = flows.policy().get_pending_ttl();
        if now < *verified_at || now >= *expires_at {
            return Step::failed(FlowError::Expired);
        }
        match flows.factor().begin(setup, contact.as_ref(), now) {
            Err(e) => Step::failed(e),
            Ok(Begun::Active(record)) => self.activate(flows, account, record, now),
            Ok(Begun::Confirm { pending, prompt }) => {
                let state = Self {
                    stage: Stage::Confirm {
                        pending,
                        codes: prompt.codes(),
                        expires_at: now.saturating_add(ttl),
                    },
                    ..self.clone()
                };
                Step::done(state, prompt_outputs(prompt))
            }
        }
    }

    /// Sends the new factor's confirmation again (a new code to the phone
    /// being bound), within its record's limits.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongState`], [`FlowError::Expired`], or
    /// what the factor refused.
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::SmsFactor>, account: &mfa::Protection<mfa::SmsRecord>, e: &mfa::Enrollment<mfa::SmsFactor>, now: u64) {
    /// let step = e.resend(flows, account, now);
    /// # drop(step); }
    /// ```
    pub fn resend(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Step<Self, F::Record> {
        let _ = account;
        let Stage::Confirm {
            pending,
            codes,
            expires_at,
        } = &self.stage
        else {
            return Step::failed(self.wrong_state());
        };
        if now >= *expires_at {
            return Step::failed(FlowError::Expired);
        }
        let (pending, prompt) = flows.factor().resend(pending, now).into_parts();
        let state = pending.map(|pending| Self {
            stage: Stage::Confirm {
                pending,
                codes: *codes,
                expires_at: *expires_at,
            },
            ..self.clone()
        });
        match prompt {
            Ok(prompt) => Step {
                state: state.or_else(|| Some(self.clone())),
                outputs: prompt_outputs(prompt),
                result: Ok(()),
            },
            Err(e) => Step::counted(state, Vec::new(), e),
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
    /// In the result: [`FlowError::WrongState`], [`FlowError::Expired`],
    /// [`FlowError::CodesNeeded`], [`FlowError::Rejected`],
    /// [`FlowError::Refused`], [`FlowError::Malformed`], …; a counted
    /// failure comes with the new state to keep.
    ///
    /// ```no_run
    /// # fn f(flows: &mfa::Flows<mfa::TotpFactor>, account: &mfa::Protection<mfa::TotpRecord>, e: &mfa::Enrollment<mfa::TotpFactor>, now: u64) {
    /// let step = e.confirm(flows, account, &["123456"], now);
    /// # drop(step); }
    /// ```
    pub fn confirm(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        codes: &[&str],
        now: u64,
    ) -> Step<Self, F::Record> {
        let Stage::Confirm {
            pending,
            codes: count,
            expires_at,
        } = &self.stage
        else {
            return Step::failed(self.wrong_state());
        };
        if now >= *expires_at {
            return Step::failed(FlowError::Expired);
        }
        let (pending, outcome) = flows.factor().confirm(pending, codes, now).into_parts();
        match outcome {
            Ok(record) => self.activate(flows, account, record, now),
            Err(e) => {
                let state = pending.map(|pending| Self {
                    stage: Stage::Confirm {
                        pending,
                        codes: *count,
                        expires_at: *expires_at,
                    },
                    ..self.clone()
                });
                Step::counted(state, Vec::new(), e)
            }
        }
    }

    /// The factor is active: store it, with recovery codes the first time.
    fn activate(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        record: F::Record,
        now: u64,
    ) -> Step<Self, F::Record> {
        let kind = flows.factor().kind();
        let done = Self {
            stage: Stage::Done,
            ..self.clone()
        };
        if self.change {
            let Some(new) = account.with_factor(record) else {
                return Step::failed(FlowError::NotProtected);
            };
            let outputs = vec![
                new.persist_over(account),
                Output::Notify {
                    event: Event::FactorChanged { kind },
                    at: now,
                },
            ];
            return Step::done(done, outputs);
        }
        if account.is_on() {
            return Step::failed(FlowError::AlreadyProtected);
        }
        let (recovery, codes) = match RecoveryCodes::generate(&flows.policy().get_recovery(), now) {
            Ok(generated) => generated,
            Err(e) => return Step::failed(e.into()),
        };
        let new = account.activated(self.scenarios.clone(), record, recovery, now);
        let outputs = vec![
            new.persist_over(account),
            Output::ShowRecoveryCodes(codes),
            Output::Notify {
                event: Event::FactorBound { kind },
                at: now,
            },
        ];
        Step::done(done, outputs)
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

/// Issues an identity code to `contact` and moves to `state`.
fn send_identity<F: Factor>(
    flows: &Flows<F>,
    account: &Protection<F::Record>,
    contact: &Destination,
    now: u64,
    state: Enrollment<F>,
) -> Step<Enrollment<F>, F::Record> {
    let (identity, delivery) = account
        .identity()
        .issue(&flows.policy().get_identity(), flows.key(), contact, now)
        .into_parts();
    match (identity, delivery) {
        (Some(identity), Ok(delivery)) => Step::done(
            state,
            vec![
                account.with_identity(identity).persist_over(account),
                Output::Deliver(delivery),
            ],
        ),
        (_, Err(e)) => Step::failed(e.into()),
        (None, Ok(_)) => Step::failed(FlowError::RandomSource),
    }
}
