//! A simulated host for the flow tests: it carries out outputs as a web
//! service would (compare-and-set on the account record, an inbox of
//! delivered codes, a log of notices) and runs on a simulated clock.
#![allow(
    dead_code,
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mfa::{
    Audit, Destination, Effect, Enrollment, Event, FlowError, FlowPolicy, Flows, KeyUri, OobKey,
    OobPolicy, Persist, PhoneNumber, Protection, RecoveryPolicy, Scenario, SmsFactor, SmsRecord,
    ThrottlePolicy, Totp, TotpFactor, TotpRecord, Transition, Verification,
};

/// Both built-in scenarios.
pub const ALL: &[Scenario] = &[Scenario::LogOn, Scenario::CriticalOperation];

/// The start of a 30-second step.
pub const T0: u64 = 1_700_000_010;

/// Fast recovery codes (PBKDF2 at its minimum) and a small set.
pub fn policy() -> FlowPolicy {
    FlowPolicy::builder()
        .recovery(
            RecoveryPolicy::builder()
                .iterations(1_000)
                .count(3)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

/// An OOB policy without backoff delays, locked out after `max` failures.
pub fn oob_locking_after(max: u32) -> OobPolicy {
    OobPolicy::builder()
        .throttle(locking_after(max))
        .build()
        .unwrap()
}

/// Locks after `max` failures, with no backoff before.
pub fn locking_after(max: u32) -> ThrottlePolicy {
    ThrottlePolicy::builder()
        .free_failures(0)
        .initial_delay(0)
        .max_failures(max)
        .build()
        .unwrap()
}

pub fn email() -> Destination {
    Destination::email("ada@example.com").unwrap()
}

pub fn phone() -> Destination {
    Destination::sms("+1 415 555 2671").unwrap()
}

/// What a host did.
#[derive(Debug)]
pub struct Host<R> {
    pub account: Protection<R>,
    /// Codes delivered: where, and the code.
    pub inbox: Vec<(Destination, String)>,
    pub notices: Vec<(Event, u64)>,
    pub keys: Vec<KeyUri>,
    pub recovery_codes: Vec<String>,
    pub writes: usize,
    /// Audit events, in order.
    pub audit: Vec<Audit>,
    /// How many times the host was told to end the other sessions.
    pub sessions_ended: usize,
}

impl<R: Clone + std::fmt::Debug> Host<R> {
    pub fn new() -> Self {
        Self {
            account: Protection::new().unwrap(),
            inbox: Vec::new(),
            notices: Vec::new(),
            keys: Vec::new(),
            recovery_codes: Vec::new(),
            writes: 0,
            audit: Vec::new(),
            sessions_ended: 0,
        }
    }

    /// Writes the record (compare-and-set: it must find the version it
    /// expects), then carries out the effects in order.
    pub fn apply(&mut self, persist: Option<Persist<R>>, effects: Vec<Effect>) {
        if let Some(Persist {
            record,
            expected_version,
        }) = persist
        {
            assert_eq!(expected_version, self.account.version(), "compare-and-set");
            assert_eq!(record.version(), expected_version.wrapping_add(1));
            self.account = record;
            self.writes += 1;
        }
        for effect in effects {
            match effect {
                Effect::Deliver(delivery) => self.inbox.push((
                    delivery.destination().clone(),
                    delivery.code().expose().to_owned(),
                )),
                Effect::Notify { event, at } => self.notices.push((event, at)),
                Effect::ShowKey(uri) => self.keys.push(uri),
                Effect::ShowRecoveryCodes(codes) => {
                    self.recovery_codes = codes.iter().map(|c| c.expose().to_owned()).collect();
                }
                Effect::Audit { account, event, .. } => {
                    assert_eq!(account, self.account.account_id(), "audit of this account");
                    self.audit.push(event);
                }
                Effect::EndOtherSessions => self.sessions_ended += 1,
            }
        }
    }

    /// Carries out a transition; returns its result.
    pub fn run<S>(&mut self, t: Transition<S, R>) -> Result<(), FlowError> {
        let (_, persist, effects, result) = t.into_parts();
        self.apply(persist, effects);
        result
    }

    /// Carries out a transition; returns the new state (or the old one)
    /// and the result.
    pub fn step<S: Clone>(&mut self, old: &S, t: Transition<S, R>) -> (S, Result<(), FlowError>) {
        let (state, persist, effects, result) = t.into_parts();
        self.apply(persist, effects);
        (state.unwrap_or_else(|| old.clone()), result)
    }

    /// Carries out a transition that starts a flow, which must succeed.
    pub fn begin<S>(&mut self, t: Transition<S, R>) -> S {
        let (state, persist, effects, result) = t.into_parts();
        self.apply(persist, effects);
        result.unwrap();
        state.unwrap()
    }

    /// Starts a check at `scenario` with no earlier pass, which must
    /// succeed; returns the challenge.
    pub fn challenge<F: mfa::Factor<Record = R>>(
        &mut self,
        flows: &Flows<F>,
        scenario: Scenario,
        now: u64,
    ) -> Verification {
        let t = Verification::start(flows, &self.account, scenario, None, now);
        self.begin(t)
    }

    /// The last code delivered to `to`.
    pub fn last_code(&self, to: &Destination) -> String {
        self.inbox
            .iter()
            .rev()
            .find(|(d, _)| d == to)
            .map(|(_, c)| c.clone())
            .expect("a code was delivered")
    }

    pub fn last_notice(&self) -> Option<Event> {
        self.notices.last().map(|(e, _)| *e)
    }
}

/// A six-digit code that differs from `code`.
pub fn other_than(code: &str) -> String {
    let n: u32 = code.parse().unwrap();
    format!("{:06}", (n + 1) % 1_000_000)
}

/// Enrolls SMS for an account without a phone: e-mail first, then the phone.
pub fn enroll_sms(host: &mut Host<SmsRecord>, flows: &Flows<SmsFactor>, now: u64) {
    let e = host.begin(Enrollment::start(
        flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        now,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(flows, &host.account, &code, now + 10));
    r.unwrap();
    let number = PhoneNumber::parse("+1 415 555 2671").unwrap();
    let (e, r) = host.step(&e, e.setup(flows, &host.account, &number, now + 20));
    r.unwrap();
    let code = host.last_code(&phone());
    let (e, r) = host.step(&e, e.confirm(flows, &host.account, &[&code], now + 30));
    r.unwrap();
    assert!(e.is_done());
}

/// Whether `r` is a refusal during a lockout.
pub fn locked(r: &Result<(), FlowError>) -> bool {
    matches!(r, Err(FlowError::Refused(mfa::Refused::LockedOut { .. })))
}

/// The time a refusal lifts, if `r` is one.
pub fn retry_at(r: &Result<(), FlowError>) -> Option<u64> {
    r.as_ref().err().and_then(wait_until)
}

/// The time a wait lifts: a backoff or lockout, a resend cooldown, a send
/// cap.
pub fn wait_until(e: &FlowError) -> Option<u64> {
    match e {
        FlowError::Refused(r) => Some(r.retry_at()),
        FlowError::Code(
            mfa::OobError::Cooldown { retry_at, .. } | mfa::OobError::SendLimit { retry_at, .. },
        ) => Some(*retry_at),
        _ => None,
    }
}

/// A code that is not the code of any step from the resynchronisation
/// range behind `now` to 3 steps ahead.
pub fn wrong_totp(totp: &Totp, now: u64) -> String {
    // Neither a code of the window nor one the resynchronisation range
    // would report as old (`ClockBehind`): a plain wrong code.
    let step = totp.step_at(now).unwrap();
    let back = u64::from(totp.config().resync());
    let near: Vec<String> = (step.saturating_sub(back)..=step + 3)
        .map(|s| totp.generate_at_step(s).to_string())
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// Enrolls TOTP through the e-mail identity check; returns the user's key.
pub fn enroll_totp(host: &mut Host<TotpRecord>, flows: &Flows<TotpFactor>, now: u64) -> Totp {
    let e = host.begin(Enrollment::start(
        flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        now,
    ));
    let code = host.last_code(&email());
    let step = e.verify_identity(flows, &host.account, &code, now + 10);
    let (e, r) = host.step(&e, step);
    r.unwrap();
    let step = e.setup(flows, &host.account, &"ada@example.com".into(), now + 20);
    let (e, r) = host.step(&e, step);
    r.unwrap();
    let totp = host.keys.last().unwrap().to_totp().unwrap();
    let code = totp.generate(now + 30).unwrap().to_string();
    let step = e.confirm(flows, &host.account, &[&code], now + 30);
    let (e, r) = host.step(&e, step);
    r.unwrap();
    assert!(e.is_done());
    totp
}

/// TOTP flows for "Example Co" under a new key.
pub fn totp_flows(policy: FlowPolicy) -> Flows<TotpFactor> {
    Flows::new(
        TotpFactor::new("Example Co").unwrap(),
        OobKey::generate().unwrap(),
        policy,
    )
    .unwrap()
}

/// SMS flows under `policy`, with the default SMS policy: the user asks
/// for each text (`send_code`).
pub fn sms_flows(policy: FlowPolicy) -> Flows<SmsFactor> {
    sms_flows_of(|sms| sms, policy)
}

/// [`sms_flows`], texting a code as soon as a check starts.
pub fn sms_flows_texting(policy: FlowPolicy) -> Flows<SmsFactor> {
    sms_flows_of(|sms| sms.with_send_at_challenge(true), policy)
}

fn sms_flows_of(
    factor: impl FnOnce(SmsFactor) -> SmsFactor,
    policy: FlowPolicy,
) -> Flows<SmsFactor> {
    let key = OobKey::generate().unwrap();
    let sms = factor(SmsFactor::new(key.clone(), OobPolicy::default()).unwrap());
    Flows::new(sms, key, policy).unwrap()
}

/// Starts a TOTP enrollment for `scenarios` at `now` (identity by e-mail),
/// proves the identity at `now + 1` and sets the key up at `now + 2`: the
/// enrollment waits for the app's first code (the key is in `host.keys`).
pub fn totp_at_confirm(
    host: &mut Host<TotpRecord>,
    flows: &Flows<TotpFactor>,
    scenarios: &[Scenario],
    now: u64,
) -> Enrollment {
    let e = host.begin(Enrollment::start(
        flows,
        &host.account,
        scenarios,
        &[email()],
        &email(),
        now,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(flows, &host.account, &code, now + 1));
    r.unwrap();
    let name = String::from("ada@example.com");
    let (e, r) = host.step(&e, e.setup(flows, &host.account, &name, now + 2));
    r.unwrap();
    e
}
