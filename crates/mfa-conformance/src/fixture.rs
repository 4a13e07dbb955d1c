//! What the checks share: the flows, the test keys, an enrollment driven
//! through the runner, account names unique to the run.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::sync::OnceLock;

use mfa::{
    Destination, Effect, Enrollment, FlowPolicy, Flows, Keyring, OobKey, RecordCodec,
    RecoveryPolicy, Scenario, SealingKey, ThrottlePolicy, Totp, TotpFactor, Verification,
};

use crate::subject::Subject;

/// The time the checks start at (the start of a 30-second step).
///
/// ```
/// assert_eq!(mfa_conformance::T0 % 30, 0);
/// ```
pub const T0: u64 = 1_700_000_010;

/// Both built-in scenarios.
pub const ALL: &[Scenario] = &[Scenario::LogOn, Scenario::CriticalOperation];

/// The key id of the suite's current key.
const CURRENT: u32 = 2;
/// The key id of the suite's older key, still in the ring.
const OLD: u32 = 1;

fn key(id: u32) -> SealingKey {
    let byte = u8::try_from(id).expect("a small key id");
    SealingKey::from_bytes(id, &[byte; SealingKey::LEN]).expect("a key")
}

/// The codec a store under test seals with: a key ring whose current key
/// has id 2, with the older key 1 still in it. Fixed test keys, known to
/// anyone: never use them outside tests.
///
/// ```
/// let codec = mfa_conformance::codec();
/// assert_eq!(codec.keys().current_id(), 2);
/// ```
#[must_use]
pub fn codec() -> RecordCodec {
    let ring = Keyring::new(key(CURRENT))
        .with_old_key(key(OLD))
        .expect("two distinct key ids");
    RecordCodec::new(ring)
}

/// A codec with only the older key: what wrote the rows before the
/// rotation.
pub(crate) fn old_codec() -> RecordCodec {
    RecordCodec::new(Keyring::new(key(OLD)))
}

/// The associated data [`RecordCodec`] seals account `account`'s record
/// under (its own is private: the suite needs it to seal a record of
/// another format).
pub(crate) fn context(account: &str) -> Vec<u8> {
    let mut context = b"mfa/protection/".to_vec();
    context.extend_from_slice(account.as_bytes());
    context
}

/// `Box<str>` from `&str`: the `id` argument for stores with `Id = str`.
///
/// ```
/// assert_eq!(&*mfa_conformance::str_id("ada"), "ada");
/// ```
#[must_use]
pub fn str_id(account: &str) -> Box<str> {
    account.into()
}

/// A name for an account of this run: `check` and a random suffix drawn
/// once per process, so runs against a server that keeps its data do not
/// meet each other's records.
pub(crate) fn account(check: &str) -> String {
    static RUN: OnceLock<u64> = OnceLock::new();
    let run = RUN.get_or_init(|| {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u32(std::process::id());
        hasher.finish()
    });
    format!("conformance-{check}-{run:016x}")
}

/// Throttling with no backoff delay: every failure is evaluated until the
/// `max`-th, which locks the record.
pub(crate) fn no_delays(max: u32) -> ThrottlePolicy {
    ThrottlePolicy::builder()
        .free_failures(0)
        .initial_delay(0)
        .max_failures(max)
        .build()
        .expect("a throttle policy")
}

/// TOTP flows under `throttle`, with fast recovery codes (PBKDF2 at its
/// minimum; the default number of codes, so a row has its real size).
pub(crate) fn flows(throttle: ThrottlePolicy) -> Flows<TotpFactor> {
    let factor = TotpFactor::new("Conformance")
        .expect("an issuer")
        .with_throttle_policy(throttle)
        .expect("a throttle policy");
    let policy = FlowPolicy::builder()
        .recovery(
            RecoveryPolicy::builder()
                .iterations(1_000)
                .build()
                .expect("a recovery policy"),
        )
        .build()
        .expect("a flow policy");
    Flows::new(factor, OobKey::generate().expect("a key"), policy).expect("flows")
}

/// The address identity codes go to.
pub(crate) fn email() -> Destination {
    Destination::email("ada@example.com").expect("an address")
}

/// What an enrollment showed the user, and the raw row while the secret
/// was pending.
pub(crate) struct Enrolled {
    pub totp: Totp,
    pub base32: String,
    pub secret: Vec<u8>,
    pub recovery_codes: Vec<String>,
    pub pending_row: Option<Vec<u8>>,
}

fn delivered(effects: &[Effect]) -> String {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Deliver(d) => Some(d.code().expose().to_owned()),
            _ => None,
        })
        .expect("a code was delivered")
}

/// Enrolls TOTP on `account` through the runner: identity by e-mail code,
/// the key, then a code of the key; at `now` to `now + 30`.
pub(crate) async fn enroll(
    subject: &impl Subject,
    account: &str,
    flows: &Flows<TotpFactor>,
    now: u64,
) -> Enrolled {
    let email = email();
    let ran = subject
        .run(account, |a| {
            Enrollment::start(flows, a, ALL, std::slice::from_ref(&email), &email, now)
        })
        .await;
    ran.result.clone().expect("enrollment starts");
    let code = delivered(&ran.effects);
    let e = ran.state.expect("an enrollment");

    let ran = subject
        .run(account, |a| e.verify_identity(flows, a, &code, now + 10))
        .await;
    ran.result.clone().expect("the identity code passes");
    let e = ran.state.expect("an enrollment");

    let name = String::from("ada@example.com"); // the key's account name
    let ran = subject
        .run(account, |a| e.setup(flows, a, &name, now + 20))
        .await;
    ran.result.clone().expect("the key is made");
    let uri = ran
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::ShowKey(uri) => Some(uri.clone()),
            _ => None,
        })
        .expect("the key is shown");
    let e = ran.state.expect("an enrollment");
    let pending_row = subject.raw(account).await;

    let totp = uri.to_totp().expect("a TOTP key");
    let code = totp.generate(now + 30).expect("a code").to_string();
    let ran = subject
        .run(account, |a| e.confirm(flows, a, &[&code], now + 30))
        .await;
    ran.result.clone().expect("the key is confirmed");
    assert!(ran.state.is_some_and(|e| e.is_done()), "enrolled");
    let recovery_codes = ran
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::ShowRecoveryCodes(codes) => {
                Some(codes.iter().map(|c| c.expose().to_owned()).collect())
            }
            _ => None,
        })
        .expect("recovery codes are shown");
    Enrolled {
        totp,
        base32: uri.secret().expose_base32().to_string(),
        secret: uri.secret().expose_bytes().to_vec(),
        recovery_codes,
        pending_row,
    }
}

/// Starts a sign-in check on `account` at `now`.
pub(crate) async fn challenge(
    subject: &impl Subject,
    account: &str,
    flows: &Flows<TotpFactor>,
    now: u64,
) -> Verification {
    let ran = subject
        .run(account, |a| {
            Verification::start(flows, a, Scenario::LogOn, None, now)
        })
        .await;
    ran.result.expect("a challenge");
    ran.state.expect("a verification")
}

/// A code that is no code of `totp` within ±3 steps of `now`.
pub(crate) fn wrong_code(totp: &Totp, now: u64) -> String {
    let step = totp.step_at(now).expect("a step");
    let near: Vec<String> = (step.saturating_sub(3)..=step.saturating_add(3))
        .map(|s| totp.generate_at_step(s).to_string())
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .expect("a wrong code")
}
