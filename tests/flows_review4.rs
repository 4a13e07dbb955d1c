//! Review 4: a passed check is bound to its account and re-checked at use
//! (`Verification::authorize`); a binding lockout is lifted by a proof of the
//! user; the factor binds only the destination proved; stricter record
//! deserialization; a foreign `last` proof opens no grace window.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{
    Host, T0, email, locked, oob_locking_after, other_than, policy, retry_at, sms_flows_texting,
};
use mfa::{
    Destination, Enrollment, FlowError, Flows, PhoneNumber, Scenario, SmsFactor, SmsRecord,
    Verification, Verified,
};

const ALL: &[Scenario] = &[Scenario::LogOn, Scenario::CriticalOperation];

fn number(i: u64) -> PhoneNumber {
    PhoneNumber::parse(&format!("+1415555{:04}", 1_000 + i)).unwrap()
}

fn sms(i: u64) -> Destination {
    Destination::Sms(number(i))
}

fn at_setup(host: &mut Host<SmsRecord>, flows: &Flows<SmsFactor>, now: u64) -> Enrollment {
    let e = host.begin(Enrollment::start(
        flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        now,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(flows, &host.account, &code, now));
    r.unwrap();
    e
}

/// Protects `host` (both scenarios) with phone 1 bound.
fn protect(host: &mut Host<SmsRecord>, flows: &Flows<SmsFactor>, now: u64) {
    let e = at_setup(host, flows, now);
    let (e, r) = host.step(&e, e.setup(flows, &host.account, &number(1), now));
    r.unwrap();
    let code = host.last_code(&sms(1));
    let (_, r) = host.step(&e, e.confirm(flows, &host.account, &[&code], now));
    r.unwrap();
    assert!(host.account.is_on());
}

fn protected(flows: &Flows<SmsFactor>, now: u64) -> Host<SmsRecord> {
    let mut host = Host::new();
    protect(&mut host, flows, now);
    host
}

/// A critical-operation check passed with the SMS code at `now`.
fn checked(host: &mut Host<SmsRecord>, flows: &Flows<SmsFactor>, now: u64) -> Verification {
    checked_on(host, flows, 1, now)
}

/// The same, with phone `phone` bound.
fn checked_on(
    host: &mut Host<SmsRecord>,
    flows: &Flows<SmsFactor>,
    phone: u64,
    now: u64,
) -> Verification {
    let v = host.challenge(flows, Scenario::CriticalOperation, now);
    let code = host.last_code(&sms(phone));
    let (v, r) = host.step(&v, v.respond(flows, &host.account, &code, now));
    r.unwrap();
    v
}

/// Three wrong binding codes for phone 2 in a change: the binding record
/// is locked out.
fn lock_binding(host: &mut Host<SmsRecord>, flows: &Flows<SmsFactor>, now: u64) {
    let check = checked(host, flows, now).verified().unwrap().clone();
    let e = host.begin(Enrollment::start_change(
        flows,
        &host.account,
        host.account.factors()[0].id(),
        &check,
        now,
    ));
    let (e, r) = host.step(&e, e.setup(flows, &host.account, &number(2), now));
    r.unwrap();
    let code = host.last_code(&sms(2));
    for _ in 0..3 {
        let (_, _) = host.step(
            &e,
            e.confirm(flows, &host.account, &[&other_than(&code)], now),
        );
    }
    assert_eq!(host.account.binding().throttle().failures(), 3);
}

// --- M1 ---------------------------------------------------------------

#[test]
fn a_passed_state_passes_only_for_its_own_account() {
    let flows = sms_flows_texting(policy());
    let a: Host<SmsRecord> = Host::new(); // unprotected: passes at once
    let b = protected(&flows, T0);
    let v = Verification::start(
        &flows,
        &a.account,
        Scenario::CriticalOperation,
        None,
        T0 + 10,
    )
    .state()
    .cloned()
    .unwrap();
    assert!(v.is_done()); // informational only
    assert_eq!(
        v.authorize(&flows, &a.account, &Scenario::CriticalOperation, T0 + 10),
        Ok(())
    );
    assert_eq!(
        v.authorize(&flows, &b.account, &Scenario::CriticalOperation, T0 + 10),
        Err(FlowError::WrongAccount)
    );
}

#[test]
fn an_unprotected_pass_stops_passing_once_the_scenario_is_protected() {
    let flows = sms_flows_texting(policy());
    let mut host: Host<SmsRecord> = Host::new();
    let v = Verification::start(&flows, &host.account, Scenario::CriticalOperation, None, T0)
        .state()
        .cloned()
        .unwrap();
    assert_eq!(
        v.authorize(&flows, &host.account, &Scenario::CriticalOperation, T0),
        Ok(())
    );
    protect(&mut host, &flows, T0 + 1);
    let fresh = Verification::start(
        &flows,
        &host.account,
        Scenario::CriticalOperation,
        None,
        T0 + 2,
    );
    assert!(!fresh.state().unwrap().is_done()); // now challenged
    assert_eq!(
        v.authorize(&flows, &host.account, &Scenario::CriticalOperation, T0 + 2),
        Err(FlowError::CheckRequired)
    );
}

#[test]
fn a_grace_pass_stops_passing_when_the_window_closes() {
    // A pass authorises for `pass_ttl` at most; here it outlasts the grace.
    let flows = sms_flows_texting(
        policy()
            .to_builder()
            .grace(900)
            .pass_ttl(900)
            .build()
            .unwrap(),
    );
    let mut host = protected(&flows, T0);
    let proof: Verified = checked(&mut host, &flows, T0 + 10)
        .verified()
        .unwrap()
        .clone();
    let v = host.begin(Verification::start(
        &flows,
        &host.account,
        Scenario::CriticalOperation,
        Some(&proof),
        T0 + 100,
    ));
    assert!(v.is_done() && v.verified().is_none());
    assert_eq!(
        v.authorize(
            &flows,
            &host.account,
            &Scenario::CriticalOperation,
            T0 + 100
        ),
        Ok(())
    );
    assert_eq!(
        v.authorize(
            &flows,
            &host.account,
            &Scenario::CriticalOperation,
            T0 + 10 + 899
        ),
        Ok(())
    );
    assert_eq!(
        v.authorize(
            &flows,
            &host.account,
            &Scenario::CriticalOperation,
            T0 + 10 + 900
        ),
        Err(FlowError::CheckRequired)
    );
    // A clock that went back: not before the pass.
    assert_eq!(
        v.authorize(&flows, &host.account, &Scenario::CriticalOperation, T0 + 99),
        Err(FlowError::Expired)
    );
}

#[test]
fn a_checked_pass_passes_for_its_account_and_a_challenge_does_not() {
    let flows = sms_flows_texting(policy());
    let mut host = protected(&flows, T0);
    let other = protected(&flows, T0);
    let challenge = host.challenge(&flows, Scenario::LogOn, T0 + 10);
    assert!(matches!(
        challenge.authorize(&flows, &host.account, &Scenario::LogOn, T0 + 10),
        Err(FlowError::WrongState { .. })
    ));
    let code = host.last_code(&sms(1));
    let (v, r) = host.step(
        &challenge,
        challenge.respond(&flows, &host.account, &code, T0 + 10),
    );
    r.unwrap();
    assert_eq!(
        v.authorize(&flows, &host.account, &Scenario::LogOn, T0 + 20),
        Ok(())
    );
    assert_eq!(
        v.authorize(&flows, &other.account, &Scenario::LogOn, T0 + 20),
        Err(FlowError::WrongAccount)
    );
}

// --- M2 ---------------------------------------------------------------

#[test]
fn a_recovery_code_check_does_not_lift_the_binding_lockout() {
    // Issue 8, finding 3: a proof of the owner proves no phone, so it must
    // not give a binder of someone else's number a fresh guess budget.
    let flows = sms_flows_texting(
        policy()
            .to_builder()
            .identity(oob_locking_after(3))
            .build()
            .unwrap(),
    );
    let mut host = protected(&flows, T0);
    lock_binding(&mut host, &flows, T0 + 100);
    let until = host.account.binding().throttle().retry_at();
    let later = until - 10;
    let v = host.challenge(&flows, Scenario::CriticalOperation, later);
    let recovery = host.recovery_codes[0].clone();
    let (v, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &recovery, later),
    );
    r.unwrap();
    assert_eq!(host.account.binding().throttle().failures(), 3);
    // Still locked: no code goes to phone 2 until the lockout ends.
    let check = v.verified().unwrap().clone();
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &check,
        later,
    ));
    let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(2), later));
    assert!(locked(&r), "{r:?}");
    // At `until` the lockout is over: the user binds phone 2 after all.
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number(2), until));
    r.unwrap();
    let code = host.last_code(&sms(2));
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], until));
    r.unwrap();
    assert_eq!(host.account.factor().unwrap().phone(), &number(2));
    // Even a binding success keeps the failures: they may have been
    // guesses at another number (they are forgotten after a quiet spell).
    assert_eq!(host.account.binding().throttle().failures(), 3);
}

#[test]
fn a_fresh_check_starting_a_change_does_not_lift_the_binding_lockout() {
    let flows = sms_flows_texting(
        policy()
            .to_builder()
            .identity(oob_locking_after(3))
            .build()
            .unwrap(),
    );
    let mut host = protected(&flows, T0);
    lock_binding(&mut host, &flows, T0 + 100);
    let until = host.account.binding().throttle().retry_at();
    let later = until - 100;
    let check = checked(&mut host, &flows, later)
        .verified()
        .unwrap()
        .clone();
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &check,
        later,
    ));
    assert_eq!(host.account.binding().throttle().failures(), 3);
    let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(2), later));
    assert!(locked(&r), "{r:?}");
    assert_eq!(retry_at(&r), Some(until));
    // A start_change never writes: there is nothing of the owner's to lift.
    let step = Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &check,
        later + 1,
    );
    assert!((step.persist().is_none() && step.effects().is_empty()));
}

/// The reviewer's case: an unprotected account, a new enrollment a year
/// later; the identity code proved lifts the binding lockout.
#[test]
fn an_identity_code_proved_lifts_the_binding_lockout() {
    let flows = sms_flows_texting(
        policy()
            .to_builder()
            .identity(oob_locking_after(3))
            .build()
            .unwrap(),
    );
    let mut host: Host<SmsRecord> = Host::new();
    let e = at_setup(&mut host, &flows, T0);
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number(1), T0));
    r.unwrap();
    let code = host.last_code(&sms(1));
    for i in 0..3 {
        let (_, _) = host.step(
            &e,
            e.confirm(&flows, &host.account, &[&other_than(&code)], T0 + i),
        );
    }
    let (_, r) = host.step(&e, e.resend(&flows, &host.account, T0 + 100));
    assert!(locked(&r), "{:?}", r);
    let later = T0 + 365 * 86_400;
    let e = at_setup(&mut host, &flows, later);
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number(2), later));
    r.unwrap();
    let code = host.last_code(&sms(2));
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], later));
    r.unwrap();
    assert_eq!(host.account.factor().unwrap().phone(), &number(2));
}

// --- L1 ---------------------------------------------------------------

#[cfg(feature = "serde")]
#[test]
fn a_binding_code_for_one_number_does_not_bind_another() {
    let flows = sms_flows_texting(policy());
    let mut host: Host<SmsRecord> = Host::new();
    let e = at_setup(&mut host, &flows, T0);
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number(1), T0));
    r.unwrap();
    let json = serde_json::to_string(&e).unwrap();
    let x = number(1).to_string();
    let y = number(2).to_string();
    // The session names the number; an edit to it is refused outright.
    let edited = json.replacen(&x, &y, 1);
    assert!(edited.contains(&y), "{json}");
    let e: Enrollment = serde_json::from_str(&edited).unwrap();
    let code = host.last_code(&sms(1));
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], T0 + 1));
    assert_eq!(r, Err(FlowError::Tampered));
    assert!(!host.account.is_on());
    // The number being bound is the account record's, not the session's:
    // a factor told another number than the one proved refuses it.
    use mfa::Factor;
    let sms_factor = flows.factor();
    let pending = SmsRecord::new(number(1));
    assert_eq!(
        sms_factor.bind(&pending, &sms(2), T0).err(),
        Some(FlowError::Rejected)
    );
}

// --- L2 ---------------------------------------------------------------

#[cfg(feature = "serde")]
#[test]
fn a_record_with_a_zero_id_or_without_binding_does_not_deserialize() {
    use mfa::Protection;
    let account: Protection<SmsRecord> = Protection::new().unwrap();
    let mut value = serde_json::to_value(&account).unwrap();
    assert!(serde_json::from_value::<Protection<SmsRecord>>(value.clone()).is_ok());
    let mut zero = value.clone();
    zero["id"] = serde_json::to_value([0_u8; 16]).unwrap();
    assert!(serde_json::from_value::<Protection<SmsRecord>>(zero).is_err());
    value.as_object_mut().unwrap().remove("binding");
    assert!(serde_json::from_value::<Protection<SmsRecord>>(value).is_err());
}

// --- L3 ---------------------------------------------------------------

#[test]
fn a_last_proof_of_another_account_is_ignored() {
    let flows = sms_flows_texting(policy().to_builder().grace(900).build().unwrap());
    let mut a = protected(&flows, T0);
    let mut b = protected(&flows, T0);
    let proof = checked(&mut a, &flows, T0 + 10).verified().unwrap().clone();
    let step = Verification::start(
        &flows,
        &b.account,
        Scenario::CriticalOperation,
        Some(&proof),
        T0 + 20,
    );
    assert_eq!(step.result(), Ok(()));
    let v = b.begin(step);
    assert!(!v.is_done()); // challenged as usual: no grace from A's proof
    assert!(!b.inbox.is_empty());
}
