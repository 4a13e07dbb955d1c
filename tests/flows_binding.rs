//! Flow states and proofs are bound to one account and one generation of
//! its factor; a change stays within its fresh check and completes once;
//! a step-up check gives a proof where the scenario is not protected; a
//! factor must consume what it accepts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{Host, T0, email, policy};
use mfa::{
    Attempt, Begun, Destination, Enrollment, Factor, FlowError, FlowPolicy, Flows, OobKey, Prompt,
    Scenario, Totp, TotpFactor, TotpRecord, Verification, Verified,
};

const ALL: &[Scenario] = &[Scenario::LogOn, Scenario::CriticalOperation];

fn flows_with(policy: FlowPolicy) -> Flows<TotpFactor> {
    Flows::new(
        TotpFactor::new("Example Co").unwrap(),
        OobKey::generate().unwrap(),
        policy,
    )
    .unwrap()
}

/// Enrolls a TOTP-like factor protecting `scenarios`; returns the key.
fn enroll<F>(
    host: &mut Host<TotpRecord>,
    flows: &Flows<F>,
    scenarios: &[Scenario],
    now: u64,
) -> Totp
where
    F: Factor<Setup = String, Record = TotpRecord>,
{
    let e = host.begin(Enrollment::start(
        flows,
        &host.account,
        scenarios,
        &[email()],
        &email(),
        now,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(flows, &host.account, &code, now));
    r.unwrap();
    let (e, r) = host.step(&e, e.setup(flows, &host.account, &"ada".into(), now));
    r.unwrap();
    let totp = host.keys.last().unwrap().to_totp().unwrap();
    let code = totp.generate(now).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(flows, &host.account, &[&code], now));
    r.unwrap();
    assert!(e.is_done());
    totp
}

/// A critical-operation check passed with the code at `now`.
fn check(
    host: &mut Host<TotpRecord>,
    flows: &Flows<TotpFactor>,
    totp: &Totp,
    now: u64,
) -> Verified {
    let v = host.challenge(flows, Scenario::CriticalOperation, now);
    let code = totp.generate(now).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(flows, &host.account, &code, now));
    r.unwrap();
    v.verified().unwrap().clone()
}

#[test]
fn a_proof_of_another_account_is_refused() {
    let flows = flows_with(
        policy()
            .to_builder()
            .grace(FlowPolicy::CLOUD_CONSOLE_GRACE)
            .build()
            .unwrap(),
    );
    let (mut alice, mut mallory) = (Host::new(), Host::new());
    let _ = enroll(&mut alice, &flows, ALL, T0);
    let totp = enroll(&mut mallory, &flows, ALL, T0);
    let at = T0 + 600;
    let proof = check(&mut mallory, &flows, &totp, at);

    let account = &alice.account;
    let wrong = Some(FlowError::WrongAccount);
    assert_eq!(account.turn_off(&flows, &proof, at).result().err(), wrong);
    assert_eq!(
        account
            .regenerate_recovery_codes(&flows, &proof, at)
            .result()
            .err(),
        wrong
    );
    assert_eq!(
        account
            .set_scenarios(&flows, ALL, &proof, at)
            .result()
            .err(),
        wrong
    );
    let change = Enrollment::start_change(&flows, account, account.factors()[0].id(), &proof, at);
    assert_eq!(change.result().err(), wrong);
    // Nor does it open Alice's grace window: it is ignored, and Alice is
    // challenged as usual.
    let step = Verification::start(
        &flows,
        account,
        Scenario::CriticalOperation,
        Some(&proof),
        at,
    );
    assert_eq!(step.result(), Ok(()));
    assert!(step.state().is_some_and(|v| !v.is_done()));
    assert!(alice.account.is_on());
}

#[test]
fn a_flow_state_of_another_account_is_refused() {
    let flows = flows_with(policy());
    let (alice, mut mallory) = (Host::<TotpRecord>::new(), Host::new());
    let totp = enroll(&mut mallory, &flows, ALL, T0);

    // Identity checked on another account, then Alice's record passed.
    let mut other = Host::new();
    let e = other.begin(Enrollment::start(
        &flows,
        &other.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let code = other.last_code(&email());
    let (e, r) = other.step(&e, e.verify_identity(&flows, &other.account, &code, T0));
    r.unwrap();
    let step = e.setup(&flows, &alice.account, &"ada".into(), T0 + 1);
    assert_eq!(step.result(), Err(FlowError::WrongAccount));
    assert!((step.persist().is_none() && step.effects().is_empty()));
    let step = e.resend_identity(&flows, &alice.account, T0 + 1);
    assert_eq!(step.result(), Err(FlowError::WrongAccount));
    assert!(!alice.account.is_on() && alice.writes == 0);

    // A challenge of Mallory's account, answered against Alice's record.
    let mut host = Host::new();
    let _ = enroll(&mut host, &flows, ALL, T0);
    let at = T0 + 600;
    let v = mallory.begin(Verification::start(
        &flows,
        &mallory.account,
        Scenario::LogOn,
        None,
        at,
    ));
    let code = totp.generate(at).unwrap().to_string();
    assert_eq!(
        v.respond(&flows, &host.account, &code, at).result(),
        Err(FlowError::WrongAccount)
    );
    let recovery = &mallory.recovery_codes[0];
    let step = v.respond_recovery(&flows, &host.account, recovery, at);
    assert_eq!(step.result(), Err(FlowError::WrongAccount));
    assert_eq!(
        v.send_code(&flows, &host.account, at).result(),
        Err(FlowError::WrongAccount)
    );
}

#[test]
fn a_proof_from_before_protection_was_turned_off_no_longer_counts() {
    let flows = flows_with(policy());
    let mut host = Host::new();
    let totp = enroll(&mut host, &flows, ALL, T0);
    let at = T0 + 600;
    let proof = check(&mut host, &flows, &totp, at);
    let outputs = host.account.turn_off(&flows, &proof, at + 1);
    host.run(outputs).unwrap();
    let _ = enroll(&mut host, &flows, ALL, at + 2);
    let stale = host.account.turn_off(&flows, &proof, at + 3);
    assert_eq!(stale.result().err(), Some(FlowError::CheckRequired));
}

#[test]
fn a_change_ends_with_its_fresh_check() {
    let flows = flows_with(policy());
    let mut host = Host::new();
    let totp = enroll(&mut host, &flows, ALL, T0);
    let at = T0 + 600;
    let proof = check(&mut host, &flows, &totp, at);
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 250,
    ));
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), at + 260));
    r.unwrap();
    let new = host.keys.last().unwrap().to_totp().unwrap();
    // Not a full pending step after the setup: the check is 5 minutes old.
    let code = new.generate(at + 300).unwrap().to_string();
    let late = e.confirm(&flows, &host.account, &[&code], at + 300);
    assert_eq!(late.result(), Err(FlowError::Expired));
    assert!((late.persist().is_none() && late.effects().is_empty()));
    let code = new.generate(at + 299).unwrap().to_string();
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], at + 299));
    r.unwrap();
}

#[test]
fn a_change_completes_once() {
    let flows = flows_with(policy());
    let mut host = Host::new();
    let totp = enroll(&mut host, &flows, ALL, T0);
    let at = T0 + 600;
    let proof = check(&mut host, &flows, &totp, at);
    let setup = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 1,
    ));
    let (e, r) = host.step(
        &setup,
        setup.setup(&flows, &host.account, &"ada".into(), at + 2),
    );
    r.unwrap();
    let new = host.keys.last().unwrap().to_totp().unwrap();
    let code = new.generate(at + 3).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], at + 3));
    r.unwrap();
    assert!(e.is_done());

    // The Setup-stage state kept from before: refused, nothing written.
    let writes = host.writes;
    let again = setup.setup(&flows, &host.account, &"mallory".into(), at + 4);
    assert_eq!(again.result(), Err(FlowError::Expired));
    assert!((again.persist().is_none() && again.effects().is_empty()));
    assert_eq!(host.writes, writes);
    // Nor does the proof start another change.
    let step = Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 5,
    );
    assert_eq!(step.result(), Err(FlowError::CheckRequired));
}

#[test]
fn step_up_gives_a_proof_where_the_scenario_is_not_protected() {
    let flows = flows_with(policy());
    let mut host = Host::new();
    assert_eq!(
        Verification::step_up(&flows, &host.account, T0).result(),
        Err(FlowError::NotProtected)
    );
    let totp = enroll(&mut host, &flows, &[Scenario::LogOn], T0);
    let at = T0 + 600;
    let step = Verification::start(&flows, &host.account, Scenario::CriticalOperation, None, at);
    assert!(step.state().unwrap().verified().is_none());

    let v = host.begin(Verification::step_up(&flows, &host.account, at));
    assert!(!v.is_done());
    let code = totp.generate(at).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, at));
    r.unwrap();
    let proof = v.verified().unwrap();
    assert_eq!(proof.scenario(), &Scenario::CriticalOperation);
    assert!(
        host.account
            .turn_off(&flows, proof, at + 1)
            .result()
            .is_ok()
    );
}

/// A TOTP factor whose `verify` forgets to return the new record.
#[derive(Clone, Debug)]
struct Forgetful(TotpFactor);

impl Factor for Forgetful {
    type Setup = String;
    type Record = TotpRecord;

    fn kind(&self) -> &'static str {
        "forgetful"
    }
    fn begin(
        &self,
        setup: &String,
        verified: Option<&Destination>,
        now: u64,
    ) -> Result<Begun<TotpRecord>, FlowError> {
        self.0.begin(setup, verified, now)
    }
    fn confirm(
        &self,
        pending: &TotpRecord,
        codes: &[&str],
        now: u64,
    ) -> Attempt<TotpRecord, TotpRecord, FlowError> {
        self.0.confirm(pending, codes, now)
    }
    fn challenge(&self, record: &TotpRecord, now: u64) -> Attempt<TotpRecord, Prompt, FlowError> {
        self.0.challenge(record, now)
    }
    fn verify(
        &self,
        record: &TotpRecord,
        code: &str,
        now: u64,
    ) -> Attempt<TotpRecord, (), FlowError> {
        let (_, outcome) = self.0.verify(record, code, now).into_parts();
        Attempt::new(None, outcome)
    }
    fn unlock(&self, record: &TotpRecord) -> TotpRecord {
        self.0.unlock(record)
    }
    fn throttle(&self, record: &TotpRecord) -> mfa::Throttle {
        record.throttle()
    }
}

#[test]
fn a_success_that_consumes_nothing_is_refused() {
    let flows = Flows::new(
        Forgetful(TotpFactor::new("Example Co").unwrap()),
        OobKey::generate().unwrap(),
        policy(),
    )
    .unwrap();
    let mut host = Host::new();
    let totp = enroll(&mut host, &flows, ALL, T0);
    let at = T0 + 600;
    let v = host.challenge(&flows, Scenario::LogOn, at);
    let code = totp.generate(at).unwrap().to_string();
    let step = v.respond(&flows, &host.account, &code, at);
    assert_eq!(step.result(), Err(FlowError::Rejected));
    assert!(step.state().is_none() && (step.persist().is_none() && step.effects().is_empty()));
}

#[cfg(feature = "serde")]
#[test]
fn a_hand_written_or_edited_proof_is_refused() {
    let flows = flows_with(policy());
    let (mut alice, mut mallory) = (Host::new(), Host::new());
    let _ = enroll(&mut alice, &flows, ALL, T0);
    let totp = enroll(&mut mallory, &flows, ALL, T0);
    let at = T0 + 600;
    let proof = check(&mut mallory, &flows, &totp, at);

    // Mallory's proof, relabelled with Alice's binding and generation.
    let alice_json = serde_json::to_value(&alice.account).unwrap();
    let mut json = serde_json::to_value(&proof).unwrap();
    json["account"] = alice_json["id"].clone();
    json["generation"] = alice_json["generation"].clone();
    let forged: Verified = serde_json::from_value(json.clone()).unwrap();
    let refused = alice.account.turn_off(&flows, &forged, at);
    assert_eq!(refused.result().err(), Some(FlowError::CheckRequired));
    json["tag"] = serde_json::json!("A".repeat(43)); // 32 zero bytes, in Base64url
    let forged: Verified = serde_json::from_value(json).unwrap();
    let refused = alice.account.turn_off(&flows, &forged, at);
    assert_eq!(refused.result().err(), Some(FlowError::CheckRequired));

    // A proof of other flows (another key) is refused too.
    let other = flows_with(policy());
    let refused = mallory.account.turn_off(&other, &proof, at);
    assert_eq!(refused.result().err(), Some(FlowError::CheckRequired));

    // The genuine proof survives the session store.
    let json = serde_json::to_string(&proof).unwrap();
    let back: Verified = serde_json::from_str(&json).unwrap();
    assert!(mallory.account.turn_off(&flows, &back, at).result().is_ok());

    // A record without its binding is not read back.
    let mut record = serde_json::to_value(&alice.account).unwrap();
    record.as_object_mut().unwrap().remove("id");
    assert!(serde_json::from_value::<mfa::Protection<TotpRecord>>(record).is_err());
}
