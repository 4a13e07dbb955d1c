//! SMS phone binding under the account's limits: the binding codes go
//! through the account's own record (`Protection::binding`), so that the
//! resend cooldown, the hourly cap and the attempts at a code hold per
//! account, whatever the number, however often a step is replayed, and
//! across restarts.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{
    Host, T0, email, locked, locking_after, oob_locking_after, other_than, phone, policy,
    sms_flows_texting,
};
use mfa::{
    Destination, Enrollment, FlowError, Flows, OobError, OobPolicy, PhoneNumber, Scenario,
    SmsFactor, SmsRecord,
};

const ALL: &[Scenario] = &[Scenario::LogOn, Scenario::CriticalOperation];

/// The `i`-th of many numbers.
fn number(i: u64) -> PhoneNumber {
    PhoneNumber::parse(&format!("+1415555{:04}", 1_000 + i)).unwrap()
}

/// Identity verified by e-mail at `now`: an enrollment waiting for the phone.
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

#[test]
fn binding_sends_across_many_numbers_are_capped_per_account() {
    let flows = sms_flows_texting(policy());
    let mut host = Host::new();
    let e = at_setup(&mut host, &flows, T0);

    // The same Setup-stage state, replayed with a new number each time:
    // one send per minute (the cooldown), whatever the number.
    for i in 0..5 {
        let at = T0 + 60 * i;
        let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(i), at));
        r.unwrap();
        assert_eq!(host.inbox.last().unwrap().0, Destination::Sms(number(i)));
        if i < 4 {
            let (_, early) = host.step(
                &e,
                e.setup(&flows, &host.account, &number(100 + i), at + 30),
            );
            assert!(
                matches!(early, Err(FlowError::Code(OobError::Cooldown { retry_at, .. })) if retry_at == at + 60),
                "{:?}",
                early
            );
        }
    }
    let sms = |host: &Host<SmsRecord>| {
        host.inbox
            .iter()
            .filter(|(to, _)| matches!(to, Destination::Sms(_)))
            .count()
    };
    assert_eq!(sms(&host), 5);

    // The 6th send within the hour is refused, saying until when.
    let inbox = host.inbox.len();
    let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(5), T0 + 300));
    assert!(
        matches!(r, Err(FlowError::Code(OobError::SendLimit { retry_at, .. })) if retry_at == T0 + 3_600),
        "{:?}",
        r
    );
    assert_eq!(host.inbox.len(), inbox, "nothing sent");
    assert_eq!(sms(&host), 5);

    // An hour later the window has moved on; a resend of a pending
    // binding counts against the same cooldown and cap.
    let t = T0 + 7_200;
    let e = at_setup(&mut host, &flows, t);
    let (pending, r) = host.step(&e, e.setup(&flows, &host.account, &number(7), t));
    r.unwrap();
    let (_, r) = host.step(&pending, pending.resend(&flows, &host.account, t + 30));
    assert!(
        matches!(r, Err(FlowError::Code(OobError::Cooldown { retry_at, .. })) if retry_at == t + 60),
        "{:?}",
        r
    );
    for k in 1..5 {
        let (_, r) = host.step(&pending, pending.resend(&flows, &host.account, t + 60 * k));
        r.unwrap();
    }
    // The 11th send of the day: the daily cap (10) holds until a day
    // after the day's first send, past the hourly one.
    let (_, r) = host.step(&pending, pending.resend(&flows, &host.account, t + 300));
    assert!(
        matches!(r, Err(FlowError::Code(OobError::SendLimit { retry_at, .. })) if retry_at == T0 + 86_400),
        "{:?}",
        r
    );
    // Another number from the same state: the same cap.
    let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(8), t + 310));
    assert!(
        matches!(r, Err(FlowError::Code(OobError::SendLimit { retry_at, .. })) if retry_at == T0 + 86_400),
        "{:?}",
        r
    );
    // A day after the first send, the window has moved on.
    let e = at_setup(&mut host, &flows, T0 + 86_400);
    let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(9), T0 + 86_400));
    assert_eq!(r, Ok(()));
}

#[test]
fn start_change_with_one_proof_cannot_pump_sms() {
    let flows = sms_flows_texting(policy());
    let mut host = Host::new();
    // Bound at once: the identity was verified on this very phone.
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email(), phone()],
        &phone(),
        T0,
    ));
    let code = host.last_code(&phone());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0));
    r.unwrap();
    let bound = PhoneNumber::parse("+1 415 555 2671").unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &bound, T0));
    r.unwrap();
    assert!(e.is_done());

    // One fresh check, then many changes to many numbers.
    let now = T0 + 600;
    let v = host.challenge(&flows, Scenario::CriticalOperation, now);
    let code = host.last_code(&phone());
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, now));
    r.unwrap();
    let proof = v.verified().unwrap().clone();
    let sent_before = host.inbox.len();
    let mut refused = Vec::new();
    for i in 0..50 {
        let e = host.begin(Enrollment::start_change(
            &flows,
            &host.account,
            host.account.factors()[0].id(),
            &proof,
            now + 1,
        ));
        let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(i), now + 1));
        if let Err(e) = r {
            refused.push(e);
        }
    }
    // One SMS in that second; the rest refused by the cooldown.
    assert_eq!(host.inbox.len(), sent_before + 1);
    assert_eq!(refused.len(), 49);
    assert!(
        refused
            .iter()
            .all(|e| matches!(e, FlowError::Code(OobError::Cooldown { retry_at, .. }) if *retry_at == now + 61))
    );
}

#[test]
fn a_replayed_binding_state_does_not_reset_the_attempts() {
    // No backoff delays, and a lockout far away: the per-code cap (5) rules.
    let flows = sms_flows_texting(
        policy()
            .to_builder()
            .identity(
                OobPolicy::builder()
                    .throttle(locking_after(10))
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    );
    let mut host = Host::new();
    let e = at_setup(&mut host, &flows, T0);
    let (pending, r) = host.step(&e, e.setup(&flows, &host.account, &number(1), T0));
    r.unwrap();
    let code = host.last_code(&Destination::Sms(number(1)));
    let wrong = other_than(&code);

    // Five wrong guesses, each from the same (old) session state.
    for k in 0..5 {
        let (_, r) = host.step(
            &pending,
            pending.confirm(&flows, &host.account, &[&wrong], T0 + 1 + k),
        );
        assert_eq!(r, Err(FlowError::Rejected));
    }
    assert_eq!(host.account.binding().pending().unwrap().failures(), 5);

    // The 6th guess at that code is refused, even the right one.
    let (e2, r) = host.step(
        &pending,
        pending.confirm(&flows, &host.account, &[&code], T0 + 10),
    );
    assert_eq!(r, Err(FlowError::Code(OobError::AttemptsExhausted)));
    assert!(!e2.is_done());
    assert!(host.account.factor().is_none());
}

#[test]
fn a_binding_lockout_reaches_across_restarts() {
    let flows = sms_flows_texting(
        policy()
            .to_builder()
            .identity(oob_locking_after(3))
            .build()
            .unwrap(),
    );
    let mut host = Host::new();
    let e = at_setup(&mut host, &flows, T0);
    let (pending, r) = host.step(&e, e.setup(&flows, &host.account, &number(1), T0));
    r.unwrap();
    let code = host.last_code(&Destination::Sms(number(1)));
    let wrong = other_than(&code);
    let mut last = Ok(());
    for k in 0..3 {
        let (_, r) = host.step(
            &pending,
            pending.confirm(&flows, &host.account, &[&wrong], T0 + 1 + k),
        );
        last = r;
    }
    assert!(last.is_err());

    // The server restarts: the session state is gone, the account record
    // is read back from storage.
    #[cfg(feature = "serde")]
    {
        let stored = serde_json::to_string(&host.account).unwrap();
        host.account = serde_json::from_str(&stored).unwrap();
    }
    // The old state, replayed with the right code: still refused.
    let (_, r) = host.step(
        &pending,
        pending.confirm(&flows, &host.account, &[&code], T0 + 130),
    );
    assert!(locked(&r), "{r:?}");
    assert!(host.account.factor().is_none());
    assert_eq!(host.account.binding().throttle().failures(), 3);
    // A new identity proof does not lift it (it proves no phone); the
    // lockout ends at its time.
    let until = host.account.binding().throttle().retry_at();
    let e = at_setup(&mut host, &flows, T0 + 140);
    let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(2), T0 + 140));
    assert!(locked(&r), "{r:?}");
    let e = at_setup(&mut host, &flows, until);
    let (_, r) = host.step(&e, e.setup(&flows, &host.account, &number(2), until));
    assert_eq!(r, Ok(()));
}
