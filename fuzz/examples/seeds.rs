//! Writes the seeds that the library makes rather than a person: those
//! of the `flows_oob` target (states the flows made under the targets'
//! fixed key at each stage, with the account they were made with and the
//! code the next call needs), the `serde_records` seeds of the send
//! budgets and the flow policy, and the `seal` target's sealed values.
//! Account ids, keys shown and codes are random: a run rewrites every
//! seed it writes.
//!
//! ```sh
//! cargo run --manifest-path fuzz/Cargo.toml --example seeds
//! ```
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "../fuzz_targets/common/drive.rs"]
mod drive;
#[path = "../fuzz_targets/common/keys.rs"]
mod keys;

use std::fs;
use std::path::Path;

use mfa::{
    BudgetLimits, Destination, Effect, Either, EitherFactor, Enrollment, Factor, FactorName,
    FlowPolicy, Flows, OobPolicy, PhoneNumber, Protection, Scenario, SendBudget, SmsFactor,
    TotpFactor, Transition, Verification,
};
use serde::Serialize;
use serde::de::DeserializeOwned;

const T0: u64 = 1_700_000_000;

/// An account and what the flows asked the host to deliver and show.
struct Host<R> {
    account: Protection<R>,
    codes: Vec<String>,
    keys: Vec<mfa::KeyUri>,
    recovery: Vec<String>,
}

impl<R: Clone + core::fmt::Debug + Serialize> Host<R> {
    fn new() -> Self {
        Self {
            account: Protection::new().unwrap(),
            codes: Vec::new(),
            keys: Vec::new(),
            recovery: Vec::new(),
        }
    }

    /// Starts an enrollment at `T0` for both scenarios, identity by
    /// e-mail: the state and the code e-mailed.
    fn start_enrollment<F: Factor<Record = R>>(
        &mut self,
        flows: &Flows<F>,
    ) -> (Enrollment, String) {
        let all = [Scenario::LogOn, Scenario::CriticalOperation];
        let t = Enrollment::start(flows, &self.account, &all, &[email()], &email(), T0);
        let e = self.run(t).unwrap();
        (e, self.codes.last().unwrap().clone())
    }

    /// Starts a check at `scenario` with no earlier pass.
    fn challenge<F: Factor<Record = R>>(
        &mut self,
        flows: &Flows<F>,
        scenario: Scenario,
        now: u64,
    ) -> Verification {
        let t = Verification::start(flows, &self.account, scenario, None, now);
        self.run(t).unwrap()
    }

    /// Carries out `t`, which must succeed; returns its state.
    fn run<S>(&mut self, t: Transition<S, R>) -> Option<S> {
        let (state, persist, effects, result) = t.into_parts();
        result.unwrap();
        if let Some(p) = persist {
            self.account = p.record;
        }
        for effect in effects {
            match effect {
                Effect::Deliver(d) => self.codes.push(d.code().expose().to_owned()),
                Effect::ShowKey(uri) => self.keys.push(uri),
                Effect::ShowRecoveryCodes(codes) => {
                    self.recovery = codes.iter().map(|c| c.expose().to_owned()).collect();
                }
                _ => {}
            }
        }
        state
    }
}

/// Writes one seed: the flows selector, then the `flows` input.
#[allow(
    clippy::too_many_arguments,
    reason = "one seed's fields, in the order they are written"
)]
fn seed<S: Serialize, R: Serialize>(
    dir: &Path,
    name: &str,
    which: u8,
    op: u8,
    now: u64,
    state: &S,
    account: &Protection<R>,
    code: &str,
) {
    let mut bytes = vec![which, op];
    bytes.extend_from_slice(&now.to_be_bytes());
    bytes.extend(serde_json::to_vec(state).unwrap());
    bytes.push(0);
    bytes.extend(serde_json::to_vec(account).unwrap());
    bytes.push(0);
    bytes.extend_from_slice(code.as_bytes());
    fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

fn email() -> Destination {
    Destination::email("ada@example.com").unwrap()
}

fn phone() -> PhoneNumber {
    PhoneNumber::parse("+1 415 555 2671").unwrap()
}

/// Enrolls (identity by e-mail, then `setup`), writing a seed at each
/// stage; then a challenge, a pass and the calls a pass allows.
fn stages<F: Factor>(
    dir: &Path,
    tag: &str,
    which: u8,
    flows: &Flows<F>,
    setup: F::Setup,
    setup_text: &str,
    answer: impl Fn(&Host<F::Record>, u64) -> String,
) where
    F::Record: Serialize + DeserializeOwned,
{
    let mut host = Host::<F::Record>::new();
    let (e, code) = host.start_enrollment(flows);
    seed(
        dir,
        &format!("{tag}-identity"),
        which,
        0,
        T0 + 10,
        &e,
        &host.account,
        &code,
    );
    let e = host
        .run(e.verify_identity(flows, &host.account, &code, T0 + 10))
        .unwrap_or(e);
    seed(
        dir,
        &format!("{tag}-setup"),
        which,
        1,
        T0 + 20,
        &e,
        &host.account,
        setup_text,
    );
    let e = host
        .run(e.setup(flows, &host.account, &setup, T0 + 20))
        .unwrap_or(e);
    let code = answer(&host, T0 + 30);
    seed(
        dir,
        &format!("{tag}-confirm"),
        which,
        2,
        T0 + 30,
        &e,
        &host.account,
        &code,
    );
    host.run(e.confirm(flows, &host.account, &[&code], T0 + 30));
    assert!(host.account.is_on());

    let now = T0 + 600;
    let v = host.challenge(flows, Scenario::LogOn, now);
    let code = answer(&host, now);
    seed(
        dir,
        &format!("{tag}-challenge"),
        which,
        0,
        now,
        &v,
        &host.account,
        &code,
    );
    seed(
        dir,
        &format!("{tag}-send"),
        which,
        2,
        now + 61, // after the first text's cooldown (60 s): another goes out
        &v,
        &host.account,
        &code,
    );
    let recovery = host.recovery[0].clone();
    seed(
        dir,
        &format!("{tag}-recovery"),
        which,
        1,
        now,
        &v,
        &host.account,
        &recovery,
    );
    let v = host
        .run(v.respond(flows, &host.account, &code, now))
        .unwrap_or(v);
    let proof = v.verified().unwrap().clone();
    seed(
        dir,
        &format!("{tag}-passed"),
        which,
        3,
        now + 1,
        &v,
        &host.account,
        "",
    );
    seed(
        dir,
        &format!("{tag}-verified-off"),
        which,
        0,
        now + 1,
        &proof,
        &host.account,
        "",
    );
    seed(
        dir,
        &format!("{tag}-verified-add"),
        which,
        4,
        now + 1,
        &proof,
        &host.account,
        "Backup",
    );
    seed(
        dir,
        &format!("{tag}-verified-change"),
        which,
        3,
        now + 1,
        &proof,
        &host.account,
        "",
    );
}

fn main() {
    let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
    serde_records(&corpus.join("serde_records"));
    seal(&corpus.join("seal"));
    let dir = corpus.join("flows_oob");
    fs::create_dir_all(&dir).unwrap();
    let sms = || {
        SmsFactor::new(drive::key(), OobPolicy::default())
            .unwrap()
            .with_send_at_challenge(true)
    };
    let sms_flows = Flows::new(sms(), drive::key(), drive::policy()).unwrap();
    stages(
        &dir,
        "sms",
        0,
        &sms_flows,
        phone(),
        "+14155552671",
        |host, _| host.codes.last().unwrap().clone(),
    );
    let either = Flows::new(
        EitherFactor::new(TotpFactor::new("Fuzz").unwrap(), sms()),
        drive::key(),
        drive::policy(),
    )
    .unwrap();
    // TOTP first; the SMS factor is added below.
    stages(
        &dir,
        "either",
        1,
        &either,
        Either::First("ada".to_owned()),
        "ada",
        |host, now| {
            let totp = host.keys.last().unwrap().to_totp().unwrap();
            totp.generate(now).unwrap().to_string()
        },
    );
    either_with_both(&dir, &either);
}

/// A seed of the `serde_records` target: the byte that picks the type,
/// then the value's JSON.
fn record<T: Serialize>(dir: &Path, name: &str, which: u8, value: &T) {
    let mut bytes = vec![which];
    bytes.extend(serde_json::to_vec(value).unwrap());
    fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
}

fn serde_records(dir: &Path) {
    let budget = SendBudget::new()
        .spend(&BudgetLimits::PER_NUMBER, T0)
        .into_parts()
        .0
        .unwrap();
    record(dir, "send-budget", 14, &budget);
    record(dir, "budget-limits", 15, &BudgetLimits::PER_NUMBER);
    record(dir, "flow-policy", 17, &FlowPolicy::default());
    record(dir, "flow-policy-fuzz", 17, &drive::policy());
}

/// An account with a TOTP and an SMS factor: a challenge where `choose`
/// picks the SMS factor, and the enrollment that added it.
fn either_with_both(dir: &Path, flows: &Flows<EitherFactor<TotpFactor, SmsFactor>>) {
    let mut host = Host::new();
    let (e, code) = host.start_enrollment(flows);
    let e = host
        .run(e.verify_identity(flows, &host.account, &code, T0 + 10))
        .unwrap_or(e);
    let e = host
        .run(e.setup(
            flows,
            &host.account,
            &Either::First("ada".to_owned()),
            T0 + 20,
        ))
        .unwrap_or(e);
    let totp = host.keys.last().unwrap().to_totp().unwrap();
    let code = totp.generate(T0 + 30).unwrap().to_string();
    host.run(e.confirm(flows, &host.account, &[&code], T0 + 30));
    let now = T0 + 600;
    let v = host.challenge(flows, Scenario::CriticalOperation, now);
    let code = totp.generate(now).unwrap().to_string();
    let v = host
        .run(v.respond(flows, &host.account, &code, now))
        .unwrap_or(v);
    let proof = v.verified().unwrap().clone();
    let name = FactorName::new("Phone").unwrap();
    let e = host
        .run(Enrollment::start_add(
            flows,
            &host.account,
            &proof,
            &name,
            now + 1,
        ))
        .unwrap();
    seed(
        dir,
        "both-add-setup",
        1,
        1,
        now + 2,
        &e,
        &host.account,
        "+14155552671",
    );
    let e = host
        .run(e.setup(flows, &host.account, &Either::Second(phone()), now + 2))
        .unwrap_or(e);
    let code = host.codes.last().unwrap().clone();
    seed(
        dir,
        "both-add-confirm",
        1,
        2,
        now + 3,
        &e,
        &host.account,
        &code,
    );
    host.run(e.confirm(flows, &host.account, &[&code], now + 3));
    assert_eq!(host.account.factors().len(), 2);
    let later = now + 60;
    let v = host.challenge(flows, Scenario::LogOn, later);
    let sms_id = host.account.factors()[1].id().to_string();
    seed(dir, "both-choose", 1, 4, later, &v, &host.account, &sms_id);
    // The phone chosen (a text goes out): the code texted answers.
    let id = *host.account.factors()[1].id();
    let v = host
        .run(v.choose(flows, &host.account, &id, later))
        .unwrap();
    let code = host.codes.last().unwrap().clone();
    seed(
        dir,
        "both-sms-answer",
        1,
        0,
        later + 5,
        &v,
        &host.account,
        &code,
    );
}

/// The `seal` target's seeds: values genuinely sealed under its ring (key
/// 2, and the old key 1), as bytes and as text, and the codec's rows.
fn seal(dir: &Path) {
    let ring = keys::keyring();
    let write = |name: &str, mode: u8, context: &[u8], rest: &[u8]| {
        let mut bytes = vec![mode];
        bytes.extend_from_slice(context);
        bytes.push(0);
        bytes.extend_from_slice(rest);
        fs::write(dir.join(format!("seed-{name}")), bytes).unwrap();
    };
    let context = b"totp_factor/42";
    write("open", 0, context, &ring.seal(context, b"secret").unwrap());
    let old = keys::old_ring().seal(context, b"secret").unwrap();
    write("open-old-key", 0, context, &old);
    let cookie = ring
        .seal_to_string(b"mfa/session/verify/s1", br#"{"state":"..."}"#)
        .unwrap();
    write("open-text", 1, b"mfa/session/verify/s1", cookie.as_bytes());
    write(
        "seal-edit",
        2,
        b"mfa/session/enrollment/s1",
        b"\x1e\x01{\"state\":\"...\"}",
    );
    let key = mfa::SealingKey::from_bytes(7, &[7; 32]).unwrap();
    write("key", 3, b"k", key.expose_base64().as_bytes());
    let codec = mfa::RecordCodec::new(ring);
    let account = Protection::<mfa::TotpRecord>::new().unwrap();
    write(
        "codec-account-row",
        4,
        b"ada",
        &codec.encode("ada", &account).unwrap(),
    );
    let budget = codec.seal("+44", &SendBudget::new()).unwrap();
    write("codec-budget-row", 4, b"+44", &budget);
    write(
        "codec-account",
        5,
        b"ada",
        &serde_json::to_vec(&account).unwrap(),
    );
}
