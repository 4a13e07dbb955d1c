//! Verification at a protected scenario: challenge, response, recovery
//! codes, grace window.

use alloc::vec;
use alloc::vec::Vec;

use super::audit::Audit;
use super::enroll::Awaiting;
use super::error::FlowError;
use super::factor::{Factor, Prompt};
use super::factors::{FactorId, NamedFactor};
use super::protection::Protection;
use super::trust::DeviceId;
use super::{
    Credential, Event, Flows, Output, Scenario, Transcript, Transition, Verified, refused,
};
use crate::record::Throttle;

/// Separates the tags of checks from any other use of the key.
const DOMAIN: &[u8] = b"mfa/verification/v1";

/// A check at a scenario (logging on, a critical operation): passes at
/// once when the scenario is not protected or the grace window is open;
/// otherwise challenges (TOTP: ask for the code; SMS: a code is texted
/// when the user asks for one, [`send_code`](Self::send_code)) and waits
/// for the response, or for a recovery code.
/// Session state; with the `serde` feature it serializes.
///
/// ```text
/// start ─► Passed                        (not protected, or grace window)
///   └────► Challenged ─respond──────────► Passed (Verified)
///            │    └────respond_recovery─► Passed (Verified, notified)
///            ├─send_code (SMS: the first code, or a new one)
///            └─choose ─► Challenged      (another of the account's factors)
/// start_trusted ─► Passed                (a remembered device: no factor), or as start
/// ```
///
/// ```
/// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord, Verification};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
/// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
/// let ada = String::from("ada"); // the signed-in user, who has not turned protection on
/// let now = 1_700_000_000;
///
/// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
/// ran.result?;
/// assert!(ran.effects.is_empty());
/// let check = ran.state.ok_or(FlowError::Internal("no state"))?; // for the session
/// assert!(check.is_done()); // not protected: passed at once
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
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    account: [u8; 16],
    scenario: Scenario,
    stage: Stage,
    /// HMAC-SHA256 under the flows' key over every other field: an edited
    /// check is refused ([`FlowError::Tampered`]).
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    tag: [u8; 32],
}

#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
enum Stage {
    /// A challenge of the account's `factor` was issued at `at`; a
    /// response is accepted until `expires_at`; `ask` is what the user is
    /// asked for.
    Challenged {
        factor: FactorId,
        at: u64,
        expires_at: u64,
        ask: Ask,
    },
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
    /// Passed at `at`, at the account's `generation`, without a challenge,
    /// by the remembered `device`: checked against the account again when
    /// authorised.
    Trusted {
        at: u64,
        generation: u64,
        device: DeviceId,
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

/// How the owner proved themselves to a challenge: with the factor, or
/// with a recovery code. A [`Verified`] is built from one (it is a field
/// of it), and the failures of the other credentials are cleared only with
/// one ([`Protection::cleared`]); only this module makes one, on a
/// factor's success ([`Verification::respond`]) or a recovery code's
/// ([`Verification::respond_recovery`]). Identity and binding codes
/// ([`ContactCodes`](crate::ContactCodes)) never yield one. (A
/// deserialized `Verified` holds one too; its tag is checked before use.)
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent)
)]
pub(crate) struct Proved {
    by_recovery_code: bool,
}

impl Proved {
    const BY_FACTOR: Self = Self {
        by_recovery_code: false,
    };
    const BY_RECOVERY_CODE: Self = Self {
        by_recovery_code: true,
    };

    /// Whether the owner used a recovery code rather than the factor.
    pub(crate) const fn by_recovery_code(self) -> bool {
        self.by_recovery_code
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
    /// For a challenge: nothing to write or do for an app, or an SMS
    /// factor (which texts on demand, [`send_code`](Self::send_code)); with
    /// [`SmsFactor::with_send_at_challenge`](crate::SmsFactor::with_send_at_challenge),
    /// the SMS record is written ([`Persist`](crate::Persist)), then the
    /// code delivered ([`Effect::Deliver`](crate::Effect::Deliver)).
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
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // Ada binds her phone at `now` for log-on and critical operations, as in
    /// # // `Enrollment::resend`'s example: the identity code by e-mail, then the
    /// # // code texted to the phone.
    /// # fn enroll_sms(
    /// #     flows: &mfa::Flows<mfa::SmsFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::SmsRecord>>,
    /// #     ada: &String,
    /// #     now: u64,
    /// # ) -> Result<(), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, &all, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let phone = mfa::PhoneNumber::parse("+1 415 555 2671")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &phone, now)))?;
    /// #     let code = delivered(&effects)?;
    /// #     done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     Ok(())
    /// # }
    /// use mfa::{Awaiting, Effect, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, OobPolicy, Protection, RecoveryPolicy, Scenario, SmsFactor, SmsRecord, Verification};
    ///
    /// // Built once at start-up: SMS, its codes and the identity codes keyed with one
    /// // key from your secrets, the cloud consoles' 15-minute grace window (recovery
    /// // codes made fast for the example).
    /// let key = OobKey::generate()?;
    /// let policy = FlowPolicy::builder()
    ///     .grace(FlowPolicy::CLOUD_CONSOLE_GRACE)
    ///     .recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(SmsFactor::new(key.clone(), OobPolicy::default())?, key, policy)?;
    /// let store: MemoryStore<String, Protection<SmsRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # enroll_sms(&flows, &store, &ada, 1_700_000_010)?;
    /// // Ada bound her phone ten minutes ago, for log-on and critical operations (as
    /// // in `Enrollment::resend`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // Protected: challenged, and nothing is texted until she asks.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// assert!(ran.effects.is_empty());
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert!(!challenge.is_done());
    /// assert_eq!(challenge.awaiting(), Awaiting::SendCode);
    ///
    /// // "Send code": the SMS record is written, then the code texted.
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.send_code(&flows, account, now));
    /// ran.result?;
    /// assert!(matches!(ran.effects.as_slice(), [Effect::Deliver(_)]));
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert_eq!(challenge.awaiting(), Awaiting::SentCode);
    ///
    /// // She types the code back at `now + 10`: passed, with a proof for the session.
    /// let code = delivered(&ran.effects)?; // the code in `Effect::Deliver`, as texted
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now + 10));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let proof = passed.verified().ok_or(FlowError::CheckRequired)?;
    ///
    /// // Within the grace window, the next critical operation passes without a challenge.
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Verification::start(&flows, account, Scenario::CriticalOperation, Some(proof), now + 120)
    /// });
    /// assert!(ran.effects.is_empty());
    /// assert!(ran.state.is_some_and(|check| check.is_done()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn start<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        scenario: Scenario,
        last: Option<&Verified>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let factor = match account.factors().first() {
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
    /// scenario without a proof. Writes and effects as for
    /// [`start`](Self::start).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`], or, with the challenged
    /// state, what the factor refused.
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
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for logging on
    /// // only (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // Only logging on is protected: a critical operation passes, without a proof.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// assert!(ran.state.is_some_and(|check| check.is_done() && check.verified().is_none()));
    ///
    /// // To turn protection off, step up: the app's code is asked for.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::step_up(&flows, account, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert!(!challenge.is_done());
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let proof = passed.verified().ok_or(FlowError::CheckRequired)?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.turn_off(&flows, proof, now));
    /// assert_eq!(ran.result, Ok(()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn step_up<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        let Some(factor) = account.factors().first() else {
            return Transition::failed(FlowError::NotProtected);
        };
        Self::challenge_now(flows, account, factor, Scenario::CriticalOperation, now)
    }

    /// Switches a pending challenge to another of the account's factors,
    /// the one the user picked ("use another factor"): a new challenge of
    /// that factor, whose window starts again. A response is checked
    /// against the challenged factor only, never against all of them
    /// (trying each would multiply a guesser's chances, Nextcloud
    /// twofactor_totp #158). Each factor keeps its own throttle: a user
    /// locked out on one factor alone may still pass with another (it is
    /// a separate credential), and the lockout's notice has gone out all
    /// the same. Switching buys no guesses: the account throttle
    /// ([`Protection::throttle`]) counts the wrong codes of every factor
    /// together, and once it locks, every factor refuses until its retry
    /// time (a recovery code still passes).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`], [`FlowError::Tampered`],
    /// [`FlowError::WrongState`] (passed already), [`FlowError::Expired`],
    /// [`FlowError::NotProtected`], [`FlowError::UnknownFactor`], or what the
    /// factor refused.
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
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago (as in
    /// // `Enrollment::confirm`'s example); she may have added others since.
    /// let now = 1_700_000_610;
    ///
    /// // Logging on challenges her first factor; she picks one from the list.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let account = store.load(&ada)?.ok_or(FlowError::NotProtected)?;
    /// let picked = *account.factors()[0].id();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.choose(&flows, account, &picked, now));
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert_eq!(challenge.factor(), Some(&picked));
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// assert_eq!(ran.result, Ok(()));
    ///
    /// // An id the account does not have.
    /// let other: mfa::FactorId = "0123456789abcdef".parse()?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.choose(&flows, account, &other, now));
    /// assert_eq!(ran.result, Err(FlowError::UnknownFactor));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn choose<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        factor: &FactorId,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if let Err(e) = self.challenged(flows, account, now) {
            return Transition::failed(e);
        }
        let Some(factor) = account.factor_by_id(factor) else {
            return Transition::failed(FlowError::UnknownFactor);
        };
        Self::challenge_now(flows, account, factor, self.scenario.clone(), now)
    }

    /// The factor challenged, while the check waits for a response (none
    /// once passed, by a factor, a recovery code or a remembered device).
    ///
    /// ```
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user, without protection
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, 1_700_000_000));
    /// let check = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert_eq!(check.factor(), None); // passed at once: nothing challenged
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn factor(&self) -> Option<&FactorId> {
        match &self.stage {
            Stage::Challenged { factor, .. } => Some(factor),
            Stage::Passed { .. } | Stage::Trusted { .. } => None,
        }
    }

    /// The challenge, at once.
    fn challenge_now<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        factor: &NamedFactor<F::Record>,
        scenario: Scenario,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if flows.factor().on_demand(&factor.record) {
            // No text until the user asks for one (`send_code`).
            let stage = Stage::Challenged {
                factor: factor.id,
                at: now,
                expires_at: now.saturating_add(flows.policy().pending_ttl()),
                ask: Ask::Send,
            };
            return Transition::done(Self::tagged(flows, account, scenario, stage), Vec::new());
        }
        challenge(flows, account, factor, scenario, now)
    }

    /// Sends the challenge's code when the user asks for it (an SMS
    /// factor texts on demand, see [`Factor::on_demand`]), or sends it
    /// again (the same code while it is valid, its failed attempts kept; a
    /// new one once it expired or was used up), within the record's
    /// cooldown and hourly cap. The response window starts again. For a factor that
    /// sends nothing (an app), it only restarts the window.
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`] (another account's
    /// record), [`FlowError::WrongState`], [`FlowError::Expired`] (the
    /// challenge is older than [`FlowPolicy::pending_ttl`](crate::FlowPolicy::pending_ttl):
    /// start a new check), [`FlowError::NotProtected`],
    /// [`FlowError::UnknownFactor`] (the factor was removed), or what the
    /// factor refused.
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // Ada binds her phone at `now` for log-on and critical operations, as in
    /// # // `Enrollment::resend`'s example: the identity code by e-mail, then the
    /// # // code texted to the phone.
    /// # fn enroll_sms(
    /// #     flows: &mfa::Flows<mfa::SmsFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::SmsRecord>>,
    /// #     ada: &String,
    /// #     now: u64,
    /// # ) -> Result<(), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, &all, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let phone = mfa::PhoneNumber::parse("+1 415 555 2671")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &phone, now)))?;
    /// #     let code = delivered(&effects)?;
    /// #     done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     Ok(())
    /// # }
    /// use mfa::{Effect, FlowError, FlowPolicy, Flows, MemoryStore, OobError, OobKey, OobPolicy, Protection, RecoveryPolicy, Scenario, SmsFactor, SmsRecord, Verification};
    ///
    /// // Built once at start-up: SMS, its codes and the identity codes keyed with one
    /// // key from your secrets (recovery codes made fast for the example).
    /// let key = OobKey::generate()?;
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(SmsFactor::new(key.clone(), OobPolicy::default())?, key, policy)?;
    /// let store: MemoryStore<String, Protection<SmsRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # enroll_sms(&flows, &store, &ada, 1_700_000_010)?;
    /// // Ada bound her phone ten minutes ago, for log-on and critical operations (as
    /// // in `Enrollment::resend`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // Logging on: challenged; she asks for a code at `now`.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.send_code(&flows, account, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    ///
    /// // "Send another code": another may follow after a minute.
    /// let early = mfa::run_blocking(&store, &ada, |account| challenge.send_code(&flows, account, now + 30));
    /// assert_eq!(early.result, Err(FlowError::Code(OobError::Cooldown { retry_at: now + 60, retry_after: 30 })));
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.send_code(&flows, account, now + 60));
    /// ran.result?;
    /// // The phone's SMS record is written, then the new code texted.
    /// assert!(matches!(ran.effects.as_slice(), [Effect::Deliver(d)] if d.destination().as_str() == "+14155552671"));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn send_code<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        // As `respond` and `choose`: an expired challenge texts no one.
        let factor = match self.challenged(flows, account, now) {
            Ok(factor) => factor,
            Err(e) => return Transition::failed(e),
        };
        challenge(flows, account, factor, self.scenario.clone(), now)
    }

    /// Checks the user's response to the challenge against the record of
    /// the factor challenged ([`factor`](Self::factor)), and no other
    /// (throttling and replay are the record's; with two factors or more,
    /// the account throttle, [`Protection::throttle`], must allow the
    /// attempt too, and counts its failure). Writes the
    /// account record ([`Persist`](crate::Persist)) whenever the factor's
    /// record changed: a success uses the code up, a failure is counted
    /// and audited ([`Audit::CodeRejected`](crate::Audit::CodeRejected),
    /// with the factor's id), and a lockout it starts is notified
    /// ([`Event::LockedOut`](crate::Event::LockedOut)) and audited (a
    /// lockout of the account throttle once, naming no factor, unless the
    /// factor's own started at the same failure and lasts as long).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::WrongAccount`] (another account's
    /// record), [`FlowError::WrongState`], [`FlowError::Expired`],
    /// [`FlowError::NotProtected`], [`FlowError::UnknownFactor`] (the
    /// factor was removed since), [`FlowError::Rejected`] (also when the
    /// factor reports a success without a new record),
    /// [`FlowError::Refused`] (use a recovery code when locked out),
    /// [`FlowError::Malformed`], [`FlowError::Code`].
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
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
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
    /// // Logging on: challenged, the app's code is asked for.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    ///
    /// // A wrong code (`wrong`: one her app does not show): rejected; the failure
    /// // is counted in the factor's record.
    /// # let wrong = wrong_code(&totp, now)?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &wrong, now));
    /// assert_eq!(ran.result, Err(FlowError::Rejected));
    /// assert!(store.load(&ada)?.is_some_and(|account| account.factor().is_some_and(|app| app.throttle().failures() == 1)));
    ///
    /// // The code her app shows: passed, with a proof for the session.
    /// let code = totp.generate(now + 5)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now + 5));
    /// ran.result?;
    /// // The code is used up: its step is recorded, and will not pass again.
    /// let step = totp.step_at(now + 5)?;
    /// assert!(store.load(&ada)?.is_some_and(|account| account.factor().and_then(TotpRecord::last_step) == Some(step)));
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
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
        // With several factors, the account throttle first, before any
        // HMAC work (as the factor's own): switching factors buys no
        // guesses. When both refuse, the later wait is the one that holds.
        // With one, its own throttle is the account's, as it always was.
        let capped = account.factors().len() > 1;
        if capped && let Err(refusal) = account.throttle().check(now) {
            let refusal = match flows.factor().throttle(&factor.record).check(now) {
                Err(own) if own.retry_at() > refusal.retry_at() => own,
                _ => refusal,
            };
            return Transition::failed(FlowError::Refused(refusal));
        }
        let before = flows.factor().throttle(&factor.record);
        let (record, outcome) = flows
            .factor()
            .verify(&factor.record, code, now)
            .into_parts();
        let Some((record, after)) = record
            .map(|r| (flows.factor().throttle(&r), r))
            .and_then(|(after, r)| account.with_factor(&factor.id, r).map(|new| (new, after)))
        else {
            // A success must consume the code (a new record, written with
            // compare-and-set), or nothing would stop its replay.
            return Transition::failed(outcome.err().unwrap_or(FlowError::Rejected));
        };
        match outcome {
            // The owner is proved: the recovery and identity codes' failures
            // are cleared too.
            Ok(()) => Transition::done(
                self.passed(flows, account, now, Proved::BY_FACTOR),
                vec![record.cleared(Proved::BY_FACTOR).persist_over(account)],
            ),
            Err(e) => {
                // A counted failure (the factor's record changed): it
                // counts on the account throttle too.
                let record = record.failed(now, &flows.policy().account_throttle());
                let locked = *record.throttle();
                let mut outputs = vec![record.persist_over(account)];
                let credential = Credential::Factor;
                outputs.extend(refused(
                    account,
                    before,
                    after,
                    credential,
                    Some(factor.id),
                    now,
                ));
                if capped {
                    outputs.extend(account_locked(account, before, after, locked, now));
                }
                Transition::counted(None, outputs, e)
            }
        }
    }

    /// Checks a recovery code instead of the factor (a lost phone, a
    /// lockout). On success the code is used up, every factor's failure
    /// count and lockout are cleared, and the user is notified. Writes the
    /// account record ([`Persist`](crate::Persist)), then on success
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::RecoveryCodeUsed`], or [`Event::RecoveryCodesLow`] when
    /// [`FlowPolicy::recovery_low`](crate::FlowPolicy::recovery_low) or
    /// fewer are left, and [`Effect::Audit`](crate::Effect::Audit) with
    /// [`Audit::RecoveryCodeUsed`](crate::Audit::RecoveryCodeUsed); a wrong
    /// code is audited as [`Audit::CodeRejected`](crate::Audit::CodeRejected).
    ///
    /// # Errors
    ///
    /// In the result: as [`respond`](Self::respond), and
    /// [`FlowError::Recovery`] (every code used, a typo in the form).
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
    /// use mfa::{Effect, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (_, recovery_codes) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `recovery_codes`: those shown when Ada enrolled her app, ten minutes ago
    /// // (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // Logging on: challenged. The phone is lost: she types a recovery code.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond_recovery(&flows, account, &recovery_codes[0], now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert!(passed.verified().is_some_and(|proof| proof.by_recovery_code()));
    /// // The code is used up (the record written), she is told that few are left
    /// // (`FlowPolicy::recovery_low`: 2), and the use is audited.
    /// assert!(matches!(
    ///     ran.effects.as_slice(),
    ///     [Effect::Notify { event: Event::RecoveryCodesLow { remaining: 2 }, .. }, Effect::Audit { .. }]
    /// ));
    ///
    /// // Each code works once.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now + 10));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let again = mfa::run_blocking(&store, &ada, |account| challenge.respond_recovery(&flows, account, &recovery_codes[0], now + 10));
    /// assert!(again.result.is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn respond_recovery<F: Factor>(
        &self,
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        code: &str,
        now: u64,
    ) -> Transition<Self, F::Record> {
        if let Err(e) = self.challenged(flows, account, now) {
            return Transition::failed(e);
        }
        let Some(codes) = account.recovery_codes() else {
            return Transition::failed(FlowError::NotProtected);
        };
        let before = codes.throttle();
        let (codes, outcome) = codes
            .verify(&flows.policy().recovery(), code, now)
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
            let credential = Credential::RecoveryCode;
            outputs.extend(refused(account, before, after, credential, None, now));
            return Transition::counted(None, outputs, e.into());
        }
        // The user is proved: lift every factor's lockout and the identity
        // codes' (not the binding codes': a recovery code proves no phone).
        let unlock = |record: &F::Record| flows.factor().unlock(record);
        let Some(new) = account.with_recovery_unlocking(codes, unlock) else {
            return Transition::failed(FlowError::NotProtected);
        };
        let event = if remaining <= usize::from(flows.policy().recovery_low()) {
            Event::RecoveryCodesLow { remaining }
        } else {
            Event::RecoveryCodeUsed { remaining }
        };
        let outputs = vec![
            new.cleared(Proved::BY_RECOVERY_CODE).persist_over(account),
            Output::Notify { event, at: now },
            account.audit(Audit::RecoveryCodeUsed { remaining }, now),
        ];
        Transition::done(
            self.passed(flows, account, now, Proved::BY_RECOVERY_CODE),
            outputs,
        )
    }

    /// Whether the state is at its passed stage: informational (which page
    /// to show), not an authorisation. It is bound to no account and to no
    /// time: before letting an operation through, ask
    /// [`authorize`](Self::authorize) with the signed-in account's record.
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
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Verification};
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
    /// // Protection is on for log-on: challenged, not passed yet.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert!(!challenge.is_done());
    ///
    /// // Passed with the app's code.
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// assert!(ran.state.is_some_and(|check| check.is_done()));
    ///
    /// // An account without protection passes at once.
    /// let bob = String::from("bob"); // another user, who has not turned it on
    /// let ran = mfa::run_blocking(&store, &bob, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// assert!(ran.state.is_some_and(|check| check.is_done()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn is_done(&self) -> bool {
        matches!(self.stage, Stage::Passed { .. } | Stage::Trusted { .. })
    }

    /// The proof of the check, if it passed by a factor or recovery code
    /// (not for an unprotected scenario or in the grace window): keep it
    /// in the session, for the grace window and for changes. Like
    /// [`is_done`](Self::is_done), not an authorisation by itself:
    /// gate an operation on [`authorize`](Self::authorize).
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
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Verification};
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
    /// // Logging on: challenged, no proof yet.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert!(challenge.verified().is_none());
    ///
    /// // Passed with the app's code: the proof, for the session.
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let proof = passed.verified().ok_or(FlowError::CheckRequired)?;
    /// assert_eq!(proof.at(), now);
    /// assert_eq!(proof.scenario(), &Scenario::LogOn);
    /// assert!(!proof.by_recovery_code());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn verified(&self) -> Option<&Verified> {
        match &self.stage {
            Stage::Passed { check, .. } => check.as_ref(),
            Stage::Challenged { .. } | Stage::Trusted { .. } => None,
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
    /// * it passed by a remembered device
    ///   ([`start_trusted`](Self::start_trusted)) that the account still
    ///   remembers for this scenario at `now`: not revoked, not expired,
    ///   no factor change since.
    ///
    /// # Errors
    ///
    /// [`FlowError::Tampered`] (an edited state), [`FlowError::WrongAccount`]
    /// (a check of another account), [`FlowError::WrongState`] (not
    /// passed: waiting for the response), [`FlowError::Expired`] (`now` is
    /// before the pass: a clock that went back),
    /// [`FlowError::CheckRequired`] (a check of another scenario, older
    /// than `pass_ttl`, the scenario became protected, the grace window
    /// closed, the device was revoked, or the factor changed since).
    ///
    /// ```
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user, who has not turned protection on
    /// let now = 1_700_000_000;
    ///
    /// // Before a critical operation: the check, kept in the session.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// let check = ran.state.ok_or(FlowError::Internal("no state"))?;
    ///
    /// // The operation's handler: her record as stored, the operation's scenario, now.
    /// let account = store.load(&ada)?.ok_or(FlowError::Internal("no record"))?;
    /// assert_eq!(check.authorize(&flows, &account, &Scenario::CriticalOperation, now), Ok(()));
    /// // Not for another operation than the one checked.
    /// assert_eq!(check.authorize(&flows, &account, &Scenario::LogOn, now), Err(FlowError::CheckRequired));
    ///
    /// // Not for another account's session.
    /// let bob: Protection<TotpRecord> = Protection::new()?; // another user's record
    /// assert_eq!(check.authorize(&flows, &bob, &Scenario::CriticalOperation, now), Err(FlowError::WrongAccount));
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
        let (Stage::Passed { at, .. } | Stage::Trusted { at, .. }) = &self.stage else {
            return Err(FlowError::WrongState {
                waiting_for: "the response to the challenge",
            });
        };
        if now < *at {
            return Err(FlowError::Expired);
        }
        // A pass authorises for a while after it passed, not for the session.
        if now >= at.saturating_add(flows.policy().pass_ttl()) {
            return Err(FlowError::CheckRequired);
        }
        if let Stage::Passed {
            check: Some(check), ..
        } = &self.stage
        {
            if check.scenario() != &self.scenario {
                return Err(FlowError::Tampered);
            }
            return flows.bound(account, check);
        }
        if account.factor().is_none() || !account.protects(&self.scenario) {
            return Ok(());
        }
        let still = match &self.stage {
            Stage::Passed {
                grace_from: Some(from),
                generation,
                ..
            } => {
                *generation == account.generation()
                    && grace_open(
                        flows,
                        &self.scenario,
                        &Scenario::CriticalOperation,
                        *from,
                        now,
                    )
            }
            // Revoked, expired or cleared since: no longer.
            Stage::Trusted {
                generation, device, ..
            } => {
                *generation == account.generation()
                    && account.remembers(device, &self.scenario, now)
            }
            _ => false,
        };
        if still {
            Ok(())
        } else {
            Err(FlowError::CheckRequired)
        }
    }

    /// The scenario checked.
    ///
    /// ```
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let now = 1_700_000_000;
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// let check = ran.state.ok_or(FlowError::Internal("no state"))?;
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
    ) -> Result<&'a NamedFactor<F::Record>, FlowError> {
        self.checked(flows, account)?;
        let Stage::Challenged {
            factor,
            at,
            expires_at,
            ..
        } = &self.stage
        else {
            return Err(WAITING_RESPONSE);
        };
        if now < *at || now >= *expires_at {
            return Err(FlowError::Expired);
        }
        if !account.is_on() {
            return Err(FlowError::NotProtected);
        }
        // Only the factor challenged: a code is never tried against all.
        account.factor_by_id(factor).ok_or(FlowError::UnknownFactor)
    }

    /// What the check waits for, to show the right form: the app's code
    /// ([`Awaiting::Codes`]), a "send code" button ([`Awaiting::SendCode`],
    /// an SMS factor before a code was asked for), the code sent
    /// ([`Awaiting::SentCode`]), or nothing (passed). A recovery code is
    /// always accepted while challenged.
    ///
    /// ```
    /// use mfa::{Awaiting, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user, who has not turned protection on
    /// let now = 1_700_000_000;
    ///
    /// // Not protected: passed at once, nothing to ask.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// assert_eq!(ran.state.as_ref().map(Verification::awaiting), Some(Awaiting::Nothing));
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
            Stage::Passed { .. } | Stage::Trusted { .. } => Awaiting::Nothing,
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

    /// A check of `account` passed at `now` by the remembered `device`.
    pub(super) fn by_device<F, R: Clone>(
        flows: &Flows<F>,
        account: &Protection<R>,
        scenario: Scenario,
        device: DeviceId,
        now: u64,
    ) -> Self {
        let stage = Stage::Trusted {
            at: now,
            generation: account.generation(),
            device,
        };
        Self::tagged(flows, account, scenario, stage)
    }

    /// Every field but the tag, for the tag.
    fn transcript(&self) -> Transcript {
        let mut t = Transcript::default();
        t.bytes(&self.account).scenario(&self.scenario);
        match &self.stage {
            Stage::Challenged {
                factor,
                at,
                expires_at,
                ask,
            } => {
                t.byte(0)
                    .bytes(&factor.to_bytes())
                    .u64(*at)
                    .u64(*expires_at);
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
            Stage::Trusted {
                at,
                generation,
                device,
            } => {
                t.byte(2).u64(*at).u64(*generation).bytes(device.as_bytes());
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
        by: Proved,
    ) -> Self {
        let stage = Stage::Passed {
            check: Some(flows.proof(account, self.scenario.clone(), by, now)),
            at: now,
            generation: account.generation(),
            grace_from: None,
        };
        Self::tagged(flows, account, self.scenario.clone(), stage)
    }
}

/// The notice and audit event of a lockout of the account throttle that
/// `locked` (its state after a counted failure, evaluated only while it
/// allowed attempts) started: none if it is no lockout, or if the factor's
/// own throttle (from `before` to `after`) started one that lasts as long,
/// already notified (under the same policies the two may lock together).
fn account_locked<R: Clone>(
    account: &Protection<R>,
    before: Throttle,
    after: Throttle,
    locked: Throttle,
    now: u64,
) -> Vec<Output<R>> {
    let factor_locked = after.is_lockout() && after.failures() > before.failures();
    if !locked.is_lockout() || factor_locked && after.retry_at() >= locked.retry_at() {
        return Vec::new();
    }
    let until = locked.retry_at();
    let credential = Credential::Factor;
    vec![
        Output::Notify {
            event: Event::LockedOut { credential, until },
            at: now,
        },
        // No factor named: every factor of the account is locked.
        account.audit(
            Audit::LockedOut {
                credential,
                factor: None,
                until,
            },
            now,
        ),
    ]
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
    let grace = flows.policy().grace();
    grace > 0
        && *scenario == Scenario::CriticalOperation
        && *last_scenario == Scenario::CriticalOperation
        && from <= now
        && now < from.saturating_add(grace)
}

fn challenge<F: Factor>(
    flows: &Flows<F>,
    account: &Protection<F::Record>,
    factor: &NamedFactor<F::Record>,
    scenario: Scenario,
    now: u64,
) -> Transition<Verification, F::Record> {
    let (record, prompt) = flows.factor().challenge(&factor.record, now).into_parts();
    let mut outputs: Vec<_> = record
        .and_then(|record| account.with_factor(&factor.id, record))
        .map(|new| new.persist_over(account))
        .into_iter()
        .collect();
    let prompt = match prompt {
        Ok(prompt) => prompt,
        Err(e) => {
            // The challenge still stands: a recovery code can be used.
            let stage = Stage::Challenged {
                factor: factor.id,
                at: now,
                expires_at: now.saturating_add(flows.policy().pending_ttl()),
                ask: Ask::Send,
            };
            let state = Verification::tagged(flows, account, scenario, stage);
            return Transition::counted(Some(state), outputs, e);
        }
    };
    let stage = Stage::Challenged {
        factor: factor.id,
        at: now,
        expires_at: now.saturating_add(flows.policy().pending_ttl()),
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
