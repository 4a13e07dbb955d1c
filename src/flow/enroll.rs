//! Enrollment: turning protection on, or replacing the factor.

use alloc::vec;
use alloc::vec::Vec;

use crate::record::{Destination, RecoveryCodes};

use super::audit::Audit;
use super::contact::{ContactCodes, Purpose};
use super::error::FlowError;
use super::factor::{Begun, Factor, Prompt};
use super::factors::{FactorId, FactorName, NamedFactor};
use super::protection::{Pending, Protection};
use super::{
    Credential, Event, Flows, Output, Scenario, Transcript, Transition, Verified,
    checked_scenarios, refused,
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
/// Every call borrows the state and returns a [`Transition`]: the write
/// of the account record (if any), the effects to carry out once it is
/// written, the state to keep, the result ([`run_blocking`](crate::run_blocking)
/// carries it out against your store). A call in the
/// wrong state is [`FlowError::WrongState`] and changes nothing; to
/// cancel, drop the state (what was stored, the identity-code record and
/// a pending factor, keeps its failure counts; a pending factor expires).
///
/// ```
/// use mfa::{Awaiting, Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, Store, TotpFactor, TotpRecord};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
/// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
/// let ada = String::from("ada"); // the signed-in user
/// let email = Destination::email("ada@example.com")?; // her verified address
/// let now = 1_700_000_000;
///
/// let ran = mfa::run_blocking(&store, &ada, |account| {
///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, now)
/// });
/// ran.result?;
/// // The identity code is written to the account record, then delivered by e-mail.
/// assert!(store.load(&ada)?.is_some_and(|account| account.identity().pending().is_some()));
/// assert!(matches!(ran.effects.as_slice(), [Effect::Deliver(d)] if d.destination() == &email));
/// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?; // for the session
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
    /// What a change (after a fresh check) does; `None`: protection is
    /// turned on.
    change: Option<Change>,
    /// The binding of the account enrolled.
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    account: [u8; 16],
    /// The generation of the account's factor at the start: the
    /// enrollment completes only while it has not moved.
    generation: u64,
    stage: Stage,
    /// HMAC-SHA256 under the flows' key over every other field.
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    tag: [u8; 32],
}

/// Where an enrollment stands.
/// What an enrollment started after a fresh check does when confirmed.
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields, rename_all = "snake_case")
)]
enum Change {
    /// Adds a factor with this name.
    Add { name: FactorName },
    /// Replaces this factor's record in place.
    Replace { factor: FactorId },
}

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
        #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
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
    /// Writes the account's identity-code record ([`Persist`](crate::Persist)),
    /// then [`Effect::Deliver`](crate::Effect::Deliver).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::AlreadyProtected`],
    /// [`FlowError::Scenarios`], [`FlowError::UnknownContact`], or what
    /// sending refused ([`FlowError::Code`] for the resend cooldown or
    /// hourly cap, [`FlowError::Refused`] when locked out).
    ///
    /// ```
    /// use mfa::{Destination, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let email = Destination::email("ada@example.com")?; // her verified address
    /// let other = Destination::email("eve@example.com")?; // typed into the form
    /// let now = 1_700_000_000;
    ///
    /// // Codes go only to one of the account's verified contacts.
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &other, now)
    /// });
    /// assert_eq!(ran.result, Err(FlowError::UnknownContact));
    /// assert!(ran.effects.is_empty()); // nothing sent
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
        let state = Self::tagged(flows, scenarios, None, account, stage);
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
    /// The scenarios and recovery codes are kept, and so are the
    /// factor's id and name: the new record replaces the old one in place,
    /// never beside it (Keycloak #8753); from TOTP to SMS, say, with an
    /// [`EitherFactor`](crate::EitherFactor). Remembered devices are
    /// forgotten once it is confirmed.
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
    /// `check` of another account), [`FlowError::UnknownFactor`].
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
    /// use mfa::{Awaiting, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
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
    /// // A new phone: the change starts from that check.
    /// let app = *store.load(&ada)?.ok_or(FlowError::NotProtected)?.factors()[0].id(); // the factor picked
    /// let ran = mfa::run_blocking(&store, &ada, |account| Enrollment::start_change(&flows, account, &app, check, now));
    /// ran.result?;
    /// assert!(ran.effects.is_empty()); // no identity code: straight to the setup
    /// let change = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// // It must be done while the check is fresh (5 minutes), and only once.
    /// assert_eq!(change.awaiting(), Awaiting::Setup { expires_at: now + 300 });
    /// assert_eq!(change.scenarios(), [Scenario::LogOn, Scenario::CriticalOperation]); // kept
    ///
    /// // A check older than `FlowPolicy::fresh_check` (5 minutes) is not enough.
    /// let late = mfa::run_blocking(&store, &ada, |account| Enrollment::start_change(&flows, account, &app, check, now + 300));
    /// assert_eq!(late.result, Err(FlowError::CheckRequired));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn start_change<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        factor: &FactorId,
        check: &Verified,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let change = Change::Replace { factor: *factor };
        Self::start_fresh(flows, account, change, check, now)
    }

    /// Starts adding another factor, named `name`, after a fresh
    /// second-factor check or recovery code: as
    /// [`start_change`](Self::start_change) (no identity code, straight to
    /// [`setup`](Self::setup), within the check's freshness), but the
    /// confirmed factor is appended to the account's factors, with a new
    /// [`FactorId`]. A new generation: older proofs stop counting, and
    /// remembered devices are forgotten. The confirmation writes the account record ([`Persist`](crate::Persist)),
    /// then [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::FactorAdded`], [`Effect::Audit`](crate::Effect::Audit) with
    /// [`Audit::FactorAdded`](crate::Audit::FactorAdded) and
    /// [`Effect::EndOtherSessions`](crate::Effect::EndOtherSessions).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`],
    /// [`FlowError::CheckRequired`], [`FlowError::WrongAccount`],
    /// [`FlowError::TooManyFactors`] (here, and again at the confirmation);
    /// at the [`setup`](Self::setup), [`FlowError::AlreadyBound`] for a
    /// phone number another factor of the account has.
    ///
    /// ```
    /// # fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #     ran.result?;
    /// #     Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// # }
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// use mfa::{Destination, Enrollment, FactorName, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let now = 1_700_000_010;
    /// # let email = Destination::email("ada@example.com")?;
    /// # let (e, fx) = done(mfa::run_blocking(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, now)))?;
    /// # let code = delivered(&fx)?;
    /// # let (e, _) = done(mfa::run_blocking(&store, &ada, |a| e.verify_identity(&flows, a, &code, now)))?;
    /// # let label = String::from("ada@example.com");
    /// # let (e, fx) = done(mfa::run_blocking(&store, &ada, |a| e.setup(&flows, a, &label, now)))?;
    /// # let phone_app = match fx.as_slice() { [mfa::Effect::ShowKey(uri)] => uri.to_totp()?, _ => return Err(FlowError::Internal("no key").into()) };
    /// # let code = phone_app.generate(now)?.to_string();
    /// # done(mfa::run_blocking(&store, &ada, |a| e.confirm(&flows, a, &[&code], now)))?;
    /// // `phone_app`: Ada's authenticator app, her first factor, set up at `now`.
    /// let now = now + 30;
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::step_up(&flows, account, now));
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = phone_app.generate(now)?.to_string();
    /// let (passed, _) = done(mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now)))?;
    /// let check = passed.verified().ok_or(FlowError::CheckRequired)?;
    ///
    /// // "Add a factor": a second app, on her tablet.
    /// let name = FactorName::new("Tablet")?;
    /// let (adding, _) = done(mfa::run_blocking(&store, &ada, |account| Enrollment::start_add(&flows, account, check, &name, now)))?;
    /// let label = String::from("ada@example.com");
    /// let (adding, effects) = done(mfa::run_blocking(&store, &ada, |account| adding.setup(&flows, account, &label, now)))?;
    /// let tablet = match effects.as_slice() {
    ///     [mfa::Effect::ShowKey(uri)] => uri.to_totp()?,
    ///     _ => return Err(FlowError::Internal("no key shown").into()),
    /// };
    /// let code = tablet.generate(now + 30)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| adding.confirm(&flows, account, &[&code], now + 30));
    /// ran.result.clone()?;
    /// assert!(ran.ends_other_sessions());
    /// let account = store.load(&ada)?.ok_or(FlowError::NotProtected)?;
    /// assert_eq!(account.factors().len(), 2);
    /// assert_eq!(account.factors()[1].name(), &name);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn start_add<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        check: &Verified,
        name: &FactorName,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let change = Change::Add { name: name.clone() };
        Self::start_fresh(flows, account, change, check, now)
    }

    /// A change after a fresh check: straight to the setup.
    fn start_fresh<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        change: Change,
        check: &Verified,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if !account.is_on() {
            return Transition::failed(FlowError::NotProtected);
        }
        if let Err(e) = flows.check_fresh(account, check, now) {
            return Transition::failed(e);
        }
        let target = match &change {
            Change::Add { .. } => account.has_room(),
            Change::Replace { factor } => account
                .factor_by_id(factor)
                .map(|_| ())
                .ok_or(FlowError::UnknownFactor),
        };
        if let Err(e) = target {
            return Transition::failed(e);
        }
        // The change ends when the check stops being fresh.
        let fresh_until = check.at().saturating_add(flows.policy().fresh_check());
        let stage = Stage::Setup {
            contact: None,
            verified_at: now,
            expires_at: now
                .saturating_add(flows.policy().pending_ttl())
                .min(fresh_until),
        };
        let scenarios = account.scenarios().to_vec();
        let state = Self::tagged(flows, scenarios, Some(change), account, stage);
        Transition::done(state, Vec::new())
    }

    /// What the enrollment waits for.
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// use mfa::{Awaiting, Destination, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let email = Destination::email("ada@example.com")?; // her verified address
    /// let now = 1_700_000_000;
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, now)
    /// });
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// // Just started: the identity code went to ada@example.com.
    /// assert_eq!(enrollment.awaiting(), Awaiting::IdentityCode { contact: &email });
    ///
    /// // With the code from the e-mail, the factor's setup is awaited, for 10 minutes.
    /// let code = delivered(&ran.effects)?; // the code in `Effect::Deliver`, as e-mailed
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.verify_identity(&flows, account, &code, now));
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
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
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// use mfa::{Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, OobPolicy, PhoneNumber, Protection, RecoveryPolicy, Scenario, SmsFactor, SmsRecord};
    ///
    /// // Built once at start-up: SMS, its codes and the identity codes keyed with one
    /// // key from your secrets (recovery codes made fast for the example).
    /// let key = OobKey::generate()?;
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(SmsFactor::new(key.clone(), OobPolicy::default())?, key, policy)?;
    /// let store: MemoryStore<String, Protection<SmsRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let phone = Destination::sms("+1 415 555 2671")?; // her verified phone
    /// let now = 1_700_000_000;
    ///
    /// // The identity code is texted to her phone, and typed back.
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[phone.clone()], &phone, now)
    /// });
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = delivered(&ran.effects)?; // the code in `Effect::Deliver`, as texted
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.verify_identity(&flows, account, &code, now));
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert!(!enrollment.is_done());
    ///
    /// // SMS on that very phone: nothing is left to confirm, the factor is active.
    /// let number = PhoneNumber::parse("+1 415 555 2671")?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.setup(&flows, account, &number, now));
    /// ran.result?;
    /// assert!(ran.state.is_some_and(|enrollment| enrollment.is_done()));
    /// assert!(matches!(ran.effects.as_slice(), [Effect::ShowRecoveryCodes(_), Effect::Notify { .. }, Effect::Audit { .. }, Effect::EndOtherSessions]));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Done)
    }

    /// The scenarios that will be protected.
    ///
    /// ```
    /// use mfa::{Destination, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let email = Destination::email("ada@example.com")?; // her verified address
    /// let now = 1_700_000_000;
    ///
    /// // What she ticked on the form.
    /// let protect = [Scenario::LogOn, Scenario::Custom("export".into())];
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Enrollment::start(&flows, account, &protect, &[email.clone()], &email, now)
    /// });
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert_eq!(enrollment.scenarios(), protect);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn scenarios(&self) -> &[Scenario] {
        &self.scenarios
    }

    /// Sends the identity code again (the same code while it is valid; a
    /// new one, the old one then void, once it expired or was used up), within the
    /// record's cooldown and hourly cap.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], or what sending refused.
    ///
    /// ```
    /// use mfa::{Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobError, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let email = Destination::email("ada@example.com")?; // her verified address
    /// let now = 1_700_000_000;
    ///
    /// // The first code goes out at `now`.
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, now)
    /// });
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    ///
    /// // "Send another code": another may follow after a minute.
    /// let early = mfa::run_blocking(&store, &ada, |account| enrollment.resend_identity(&flows, account, now + 30));
    /// assert_eq!(early.result, Err(FlowError::Code(OobError::Cooldown { retry_at: now + 60, retry_after: 30 })));
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.resend_identity(&flows, account, now + 60));
    /// ran.result?;
    /// // The account's identity-code record is written, then the new code sent.
    /// assert!(matches!(ran.effects.as_slice(), [Effect::Deliver(d)] if d.destination() == &email));
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
    /// Writes the account's identity-code record ([`Persist`](crate::Persist))
    /// whenever the code was evaluated: a failure is counted there, and a
    /// right code used up.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], [`FlowError::Rejected`],
    /// [`FlowError::Malformed`], [`FlowError::Refused`] (throttled),
    /// [`FlowError::Code`] (the code expired, was tried too often, or none
    /// is in flight).
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// use mfa::{Awaiting, Destination, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, Store, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let email = Destination::email("ada@example.com")?; // her verified address
    /// let now = 1_700_000_000;
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, now)
    /// });
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = delivered(&ran.effects)?; // the code in `Effect::Deliver`, as e-mailed
    ///
    /// // A wrong code is rejected, and the failure counted in the account record.
    /// let wrong = if code == "000000" { "111111" } else { "000000" };
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.verify_identity(&flows, account, wrong, now + 10));
    /// assert_eq!(ran.result, Err(FlowError::Rejected));
    /// assert!(ran.state.is_none()); // keep the enrollment you had
    /// assert!(store.load(&ada)?.is_some_and(|account| account.identity().throttle().failures() == 1));
    ///
    /// // The code from the e-mail: the factor's setup is next.
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.verify_identity(&flows, account, &code, now + 20));
    /// ran.result?;
    /// assert!(store.load(&ada)?.is_some_and(|account| account.identity().pending().is_none())); // the code is used up
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
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
        if account.is_on() && self.change.is_none() {
            return Transition::failed(FlowError::AlreadyProtected);
        }
        let before = account.identity().throttle();
        let (identity, outcome) = account
            .identity()
            .verify(&flows.policy().identity(), flows.key(), contact, code, now)
            .into_parts();
        // Proving who you are proves no phone: the binding codes keep
        // their failures.
        let mut outputs = Vec::new();
        if let Some(identity) = identity {
            let after = identity.throttle();
            outputs.push(account.with_identity(identity).persist_over(account));
            if outcome.is_err() {
                let credential = Credential::IdentityCode;
                outputs.extend(refused(account, before, after, credential, None, now));
            }
        }
        match outcome {
            Ok(()) => {
                let stage = Stage::Setup {
                    contact: Some(contact.clone()),
                    verified_at: now,
                    expires_at: now.saturating_add(flows.policy().pending_ttl()),
                };
                Transition::done(self.at_stage(flows, stage), outputs)
            }
            Err(e) => Transition::counted(None, outputs, e.into()),
        }
    }

    /// Sets the new factor up from `setup` (the account name for TOTP, the
    /// phone number for SMS): a pending TOTP secret to show
    /// ([`Effect::ShowKey`](crate::Effect::ShowKey)) or a code to deliver
    /// to the new phone ([`Effect::Deliver`](crate::Effect::Deliver), from
    /// the account's binding-code record, whose cooldown, hourly cap and
    /// attempts hold per account whatever the number). Either way the
    /// pending factor is written to the account record first
    /// ([`Persist`](crate::Persist)), never kept in the session. If nothing
    /// is left to confirm (SMS on the
    /// phone that was just verified), the factor is active at once, as
    /// after [`confirm`](Self::confirm).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], [`FlowError::Expired`]
    /// (more than [`FlowPolicy::pending_ttl`](crate::FlowPolicy::pending_ttl)
    /// after the identity check), [`FlowError::AlreadyBound`] (here,
    /// before any code is sent, and again at the confirmation) when another
    /// factor of the account has the new factor's
    /// [`destination`](Factor::destination) (the same phone number, however
    /// it was written; the factor being replaced may keep its own), or the
    /// factor's own error.
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// use mfa::{Awaiting, Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, Store, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let email = Destination::email("ada@example.com")?; // her verified address
    /// let now = 1_700_000_000;
    ///
    /// // Her identity first: the code e-mailed, typed back at `now`.
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, now)
    /// });
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = delivered(&ran.effects)?; // the code in `Effect::Deliver`, as e-mailed
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.verify_identity(&flows, account, &code, now));
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    ///
    /// // TOTP, for the account name her app will show. The pending secret goes into
    /// // the account record, never the session: the transition writes it, then shows
    /// // the key (what `run_blocking` carries out, in that order).
    /// let name = String::from("ada@example.com");
    /// let account = store.load(&ada)?.ok_or(FlowError::Internal("no record"))?;
    /// let setup = enrollment.setup(&flows, &account, &name, now + 30);
    /// assert!(setup.persist().is_some());
    /// assert!(matches!(
    ///     setup.effects(),
    ///     [Effect::ShowKey(uri)] if uri.account() == "ada@example.com" && uri.issuer() == Some("Example Co")
    /// ));
    /// let confirming = setup.state().ok_or(FlowError::Internal("no state"))?;
    /// assert_eq!(confirming.awaiting(), Awaiting::Codes { count: 1 });
    ///
    /// // Ten minutes after the identity check, it is too late.
    /// let late = mfa::run_blocking(&store, &ada, |account| enrollment.setup(&flows, account, &name, now + 600));
    /// assert_eq!(late.result, Err(FlowError::Expired));
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
        let ttl = flows.policy().pending_ttl();
        if now < *verified_at || now >= *expires_at {
            return Transition::failed(FlowError::Expired);
        }
        // A change stays within its fresh check.
        let pending_until = if self.change.is_some() {
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
        // Before a code is sent to it: a number the account has already.
        if let Err(e) = self.not_bound_yet(flows, account, &record) {
            return Transition::failed(e);
        }
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

    /// "Send another code": sends again the code the enrollment awaits.
    /// While it awaits the identity code, that one, as
    /// [`resend_identity`](Self::resend_identity) does; after the setup,
    /// the new factor's confirmation (to the phone being bound: the same
    /// code while it is valid, else a new one), within the limits of the
    /// account's binding-code record ([`Protection::binding`]): writes that
    /// record ([`Persist`](crate::Persist)), then
    /// [`Effect::Deliver`](crate::Effect::Deliver). One handler serves the
    /// "send another code" button of every stage.
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
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// use mfa::{Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobError, OobKey, OobPolicy, PhoneNumber, Protection, RecoveryPolicy, Scenario, SmsFactor, SmsRecord, Store};
    ///
    /// // Built once at start-up: SMS, its codes and the identity codes keyed with one
    /// // key from your secrets (recovery codes made fast for the example).
    /// let key = OobKey::generate()?;
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(SmsFactor::new(key.clone(), OobPolicy::default())?, key, policy)?;
    /// let store: MemoryStore<String, Protection<SmsRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let email = Destination::email("ada@example.com")?; // her verified address
    /// let now = 1_700_000_000;
    ///
    /// // Her identity by e-mail, then the phone number to bind: a code is texted to it.
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, now)
    /// });
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = delivered(&ran.effects)?; // the code in `Effect::Deliver`, as e-mailed
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.verify_identity(&flows, account, &code, now));
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let phone = PhoneNumber::parse("+1 415 555 2671")?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.setup(&flows, account, &phone, now));
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    ///
    /// // "Send another code": another may follow after a minute.
    /// let early = mfa::run_blocking(&store, &ada, |account| enrollment.resend(&flows, account, now + 30));
    /// assert_eq!(early.result, Err(FlowError::Code(OobError::Cooldown { retry_at: now + 60, retry_after: 30 })));
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.resend(&flows, account, now + 60));
    /// ran.result?;
    /// // The account's binding-code record is written, then the new code sent.
    /// assert!(store.load(&ada)?.is_some_and(|account| account.binding().pending().is_some()));
    /// assert!(matches!(ran.effects.as_slice(), [Effect::Deliver(d)] if d.destination().as_str() == "+14155552671"));
    /// assert!(ran.state.is_some());
    ///
    /// // She types the new code back: the phone is bound, protection is on.
    /// let code = delivered(&ran.effects)?; // the code in `Effect::Deliver`, as texted
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.confirm(&flows, account, &[&code], now + 70));
    /// ran.result?;
    /// assert!(ran.state.is_some_and(|enrollment| enrollment.is_done()));
    /// assert!(store.load(&ada)?.is_some_and(|account| account.is_on()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn resend<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if matches!(self.stage, Stage::Identity { .. }) {
            return self.resend_identity(flows, account, now);
        }
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
    /// the factor is active: the account record is written
    /// ([`Persist`](crate::Persist)), then, for a new protection,
    /// [`Effect::ShowRecoveryCodes`](crate::Effect::ShowRecoveryCodes)
    /// (once) and [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::FactorBound`]; for a replaced factor,
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::FactorChanged`].
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::WrongState`], [`FlowError::Expired`],
    /// [`FlowError::CodesNeeded`], [`FlowError::Rejected`],
    /// [`FlowError::Refused`], [`FlowError::Malformed`], …; a counted
    /// failure comes with a [`Persist`](crate::Persist) of the account
    /// record (the pending factor's failures, or the binding-code
    /// record's), where it is counted: a stale or replayed state does not
    /// reset it. Keep the state you had.
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
    /// # // A code the app shows at no step near `now`.
    /// # fn wrong_code(totp: &mfa::Totp, now: u64) -> Result<String, mfa::Error> {
    /// #     let mut near = Vec::new();
    /// #     for t in [now - 60, now - 30, now, now + 30, now + 60] {
    /// #         near.push(totp.generate(t)?.to_string());
    /// #     }
    /// #     let wrong = ["000000", "111111", "222222", "333333", "444444", "555555"].into_iter().find(|w| !near.iter().any(|c| c == w));
    /// #     Ok(wrong.unwrap_or_default().to_owned())
    /// # }
    /// use mfa::{Destination, Effect, Enrollment, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let email = Destination::email("ada@example.com")?; // her verified address
    /// let now = 1_700_000_010;
    ///
    /// // Her identity (the code e-mailed), then the key her app scans.
    /// let all = [Scenario::LogOn, Scenario::CriticalOperation];
    /// let ran = mfa::run_blocking(&store, &ada, |account| Enrollment::start(&flows, account, &all, &[email.clone()], &email, now));
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = delivered(&ran.effects)?; // the code in `Effect::Deliver`, as e-mailed
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.verify_identity(&flows, account, &code, now));
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let name = String::from("ada@example.com");
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.setup(&flows, account, &name, now));
    /// ran.result?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let totp = scanned(&ran.effects)?; // her app, from the key in `Effect::ShowKey`
    ///
    /// // A wrong code (`wrong`: one her app does not show): rejected, and counted in
    /// // the account record (the pending factor is there), so dropping the state
    /// // loses nothing.
    /// # let wrong = wrong_code(&totp, now)?;
    /// let version = store.load(&ada)?.map(|account| account.version());
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.confirm(&flows, account, &[&wrong], now));
    /// assert_eq!(ran.result, Err(FlowError::Rejected));
    /// assert!(ran.state.is_none()); // keep the enrollment you had
    /// assert_ne!(store.load(&ada)?.map(|account| account.version()), version); // the failure, written
    ///
    /// // The code her app shows: protection is on.
    /// let code = totp.generate(now + 30)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| enrollment.confirm(&flows, account, &[&code], now + 30));
    /// ran.result?;
    /// assert!(ran.state.is_some_and(|enrollment| enrollment.is_done()));
    /// assert!(store.load(&ada)?.is_some_and(|account| account.is_on()));
    /// assert!(matches!(
    ///     ran.effects.as_slice(),
    ///     [
    ///         Effect::ShowRecoveryCodes(codes),
    ///         Effect::Notify { event: Event::FactorBound { kind: "totp" }, .. },
    ///         Effect::Audit { .. },       // to the audit log
    ///         Effect::EndOtherSessions,   // sessions opened before end
    ///     ] if codes.len() == 3
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
                        // A factor being set up has no id yet.
                        let credential = Credential::Factor;
                        outputs.extend(refused(account, before, after, credential, None, now));
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
            .verify(&flows.policy().identity(), flows.key(), to, code, now)
            .into_parts();
        let Some(binding) = binding else {
            return Transition::failed(outcome.err().map_or(FlowError::Rejected, FlowError::from));
        };
        if let Err(e) = outcome {
            let after = binding.throttle();
            let mut outputs = vec![account.with_binding(binding).persist_over(account)];
            let credential = Credential::BindingCode;
            outputs.extend(refused(account, before, after, credential, None, now));
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
        if let Err(e) = self.not_bound_yet(flows, account, &record) {
            return Transition::failed(e);
        }
        let Some(change) = &self.change else {
            return self.turn_on(flows, account, base, record, now);
        };
        let kind = flows.factor().kind_of(&record);
        let done = self.at_stage(flows, Stage::Done);
        let (new, event, audit) = match change {
            Change::Replace { factor } => {
                let Some(new) = base.replaced(factor, record, now) else {
                    return Transition::failed(FlowError::UnknownFactor);
                };
                let audit = Audit::FactorChanged {
                    factor: *factor,
                    kind,
                };
                (new, Event::FactorChanged { kind }, audit)
            }
            Change::Add { name } => {
                let added = account.new_factor_id().and_then(|id| {
                    let factor = NamedFactor {
                        id,
                        name: name.clone(),
                        record,
                        added: now,
                    };
                    base.added(factor).map(|new| (new, id))
                });
                let (new, factor) = match added {
                    Ok(added) => added,
                    Err(e) => return Transition::failed(e),
                };
                (
                    new,
                    Event::FactorAdded { kind },
                    Audit::FactorAdded { factor, kind },
                )
            }
        };
        let outputs = vec![
            new.persist_over(account),
            Output::Notify { event, at: now },
            account.audit(audit, now),
            Output::EndOtherSessions,
        ];
        Transition::done(done, outputs)
    }

    /// Protection turned on with its first factor, named after its kind
    /// (the user may rename it), and new recovery codes.
    fn turn_on<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        base: &Protection<F::Record>,
        record: F::Record,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let kind = flows.factor().kind_of(&record);
        let done = self.at_stage(flows, Stage::Done);
        if account.is_on() {
            return Transition::failed(FlowError::AlreadyProtected);
        }
        let (recovery, codes) = match RecoveryCodes::generate(&flows.policy().recovery(), now) {
            Ok(generated) => generated,
            Err(e) => return Transition::failed(e.into()),
        };
        let first = FactorName::new(kind)
            .or_else(|_| FactorName::new("factor"))
            .map_err(|_| FlowError::Internal("no name for the first factor"))
            .and_then(|name| {
                Ok(NamedFactor {
                    id: account.new_factor_id()?,
                    name,
                    record,
                    added: now,
                })
            });
        let first = match first {
            Ok(first) => first,
            Err(e) => return Transition::failed(e),
        };
        let factor = first.id;
        let new = base.activated(self.scenarios.clone(), first, recovery, now);
        let outputs = vec![
            new.persist_over(account),
            Output::ShowRecoveryCodes(codes),
            Output::Notify {
                event: Event::FactorBound { kind },
                at: now,
            },
            account.audit(Audit::ProtectionOn { factor, kind }, now),
            Output::EndOtherSessions,
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
        change: Option<Change>,
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
        t.bytes(&self.account).u64(self.generation);
        match &self.change {
            None => t.byte(0),
            Some(Change::Add { name }) => t.byte(1).bytes(name.as_str().as_bytes()),
            Some(Change::Replace { factor }) => t.byte(2).bytes(&factor.to_bytes()),
        };
        t.u64(u64::try_from(self.scenarios.len()).unwrap_or(u64::MAX));
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

    /// Refuses a factor `record` whose destination (an SMS factor's phone)
    /// another factor of `account` has: a second factor on the same phone
    /// is no second device, only a duplicate. The factor this enrollment
    /// replaces may keep its own number.
    fn not_bound_yet<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        record: &F::Record,
    ) -> Result<(), FlowError> {
        let Some(to) = flows.factor().destination(record) else {
            return Ok(());
        };
        let replaced = match &self.change {
            Some(Change::Replace { factor }) => Some(*factor),
            Some(Change::Add { .. }) | None => None,
        };
        match account.factors().iter().find(|f| {
            Some(f.id) != replaced && flows.factor().destination(&f.record).as_ref() == Some(&to)
        }) {
            Some(bound) => Err(FlowError::AlreadyBound { factor: bound.id }),
            None => Ok(()),
        }
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
fn send_code<F: Factor, P: Purpose>(
    flows: &Flows<F>,
    account: &Protection<F::Record>,
    record: &ContactCodes<P>,
    write: impl FnOnce(ContactCodes<P>) -> Protection<F::Record>,
    to: &Destination,
    now: u64,
    state: Enrollment,
) -> Transition<Enrollment, F::Record> {
    let (record, delivery) = record
        .issue(&flows.policy().identity(), flows.key(), to, now)
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
