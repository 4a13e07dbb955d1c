//! SMS at a protected scenario: the challenge code's lifetime at its edges
//! and the factor's lockout during verification, with the recovery-code way
//! out.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{Host, T0, enroll_sms, oob_locking_after, other_than, phone, policy};
use mfa::{Event, FlowError, Flows, OobKey, OobPolicy, Scenario, SmsFactor, Verification};

fn sms_flows(oob: OobPolicy) -> Flows<SmsFactor> {
    let key = OobKey::generate().unwrap();
    let sms = SmsFactor::new(key.clone(), oob)
        .unwrap()
        .with_send_at_challenge(true);
    Flows::new(sms, key, policy()).unwrap()
}

#[test]
fn challenge_code_lives_exactly_its_lifetime() {
    let flows = sms_flows(OobPolicy::default());
    let ttl = OobPolicy::default().ttl();
    assert_eq!(ttl, 300);

    // The last second of the code's life: accepted.
    let mut host = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let at = T0 + 1_000;
    let v = host.challenge(&flows, Scenario::LogOn, at);
    let code = host.last_code(&phone());
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, at + ttl - 1));
    r.unwrap();
    assert!(v.is_done());

    // The first second after: refused, even with the right code.
    let mut host = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let v = host.challenge(&flows, Scenario::LogOn, at);
    let code = host.last_code(&phone());
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, at + ttl));
    assert!(r.is_err(), "an expired code must be refused: {r:?}");
    assert!(!v.is_done());
}

#[test]
fn sms_factor_locks_out_during_verification_and_a_recovery_code_unlocks_it() {
    let flows = sms_flows(oob_locking_after(3));
    let mut host = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let recovery = host.recovery_codes.clone();

    let now = T0 + 1_000;
    let v = host.challenge(&flows, Scenario::CriticalOperation, now);
    let code = host.last_code(&phone());
    let wrong = other_than(&code);
    for i in 0..3 {
        let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, now + i));
        assert!(
            matches!(r, Err(FlowError::Rejected) | Err(FlowError::Code(_))),
            "guess {i}: {r:?}"
        );
    }
    // Locked out: the right code is not even evaluated.
    let (v2, r) = host.step(&v, v.respond(&flows, &host.account, &code, now + 10));
    assert!(r.is_err(), "locked out: {r:?}");
    assert!(!v2.is_done());
    // And no new code is sent while locked.
    let sent = host.inbox.len();
    let step = Verification::start(
        &flows,
        &host.account,
        Scenario::CriticalOperation,
        None,
        now + 100,
    );
    let r = host.run(step);
    assert!(r.is_err(), "no challenge while locked: {r:?}");
    assert_eq!(host.inbox.len(), sent, "no SMS while locked");

    // The recovery code passes, is notified, and unlocks the factor.
    let v = Verification::start(
        &flows,
        &host.account,
        Scenario::CriticalOperation,
        None,
        now + 200,
    );
    let (state, persist, effects, _) = v.into_parts();
    host.apply(persist, effects);
    let v = state.expect("a challenge state to answer with a recovery code");
    let (passed, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &recovery[0], now + 200),
    );
    r.unwrap();
    assert!(passed.verified().unwrap().by_recovery_code());
    assert_eq!(
        host.last_notice(),
        Some(Event::RecoveryCodesLow { remaining: 2 })
    );
    let v = host.challenge(&flows, Scenario::CriticalOperation, now + 400);
    let code = host.last_code(&phone());
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, now + 401));
    r.unwrap();
    assert!(v.is_done());
}
