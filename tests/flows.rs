//! Whole protection flows with a simulated clock: TOTP and SMS, identity
//! by e-mail and by phone, expiry of each pending step, lockout, replay,
//! wrong-state calls, restart, recovery codes, grace window and changes.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{
    ALL, Host, T0, email, enroll_sms, enroll_totp, locked, locking_after, oob_locking_after,
    other_than, phone, policy, retry_at, sms_flows_texting, totp_flows, wrong_totp,
};
use mfa::{
    Awaiting, Channel, Destination, Enrollment, Event, FlowError, FlowPolicy, Flows, OobError,
    OobKey, PhoneNumber, Scenario, SmsRecord, Totp, TotpFactor, TotpRecord, Verification, Verified,
};

/// Passes a check at `scenario` with the factor; returns the proof.
fn check_totp(
    host: &mut Host<TotpRecord>,
    flows: &Flows<TotpFactor>,
    totp: &Totp,
    scenario: Scenario,
    now: u64,
) -> Verified {
    let v = host.challenge(flows, scenario, now);
    let code = totp.generate(now).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(flows, &host.account, &code, now));
    r.unwrap();
    v.verified().unwrap().clone()
}

#[test]
fn totp_happy_path_identity_by_email() {
    let flows = totp_flows(policy());
    let mut host = Host::new();

    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    assert_eq!(e.awaiting(), Awaiting::IdentityCode { contact: &email() });
    assert_eq!(host.inbox.len(), 1);
    assert_eq!(host.inbox[0].0.channel(), Channel::Email);
    assert_eq!(host.writes, 1, "the identity-code record is persisted");

    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 10));
    r.unwrap();
    assert_eq!(
        e.awaiting(),
        Awaiting::Setup {
            expires_at: T0 + 610
        }
    );

    let (e, r) = host.step(
        &e,
        e.setup(&flows, &host.account, &"ada@example.com".into(), T0 + 20),
    );
    r.unwrap();
    assert_eq!(e.awaiting(), Awaiting::Codes { count: 1 });
    let key = host.keys.last().unwrap();
    assert!(
        key.to_uri()
            .starts_with("otpauth://totp/Example%20Co:ada%40example.com?secret=")
    );
    assert!(!host.account.is_on(), "nothing active before confirmation");

    let totp = key.to_totp().unwrap();
    let code = totp.generate(T0 + 30).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], T0 + 30));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(e.awaiting(), Awaiting::Nothing);
    assert!(host.account.is_on());
    assert_eq!(host.account.scenarios(), ALL);
    assert_eq!(host.account.since(), Some(T0 + 30));
    // The confirming step is consumed.
    let record = host.account.factor().unwrap();
    assert_eq!(record.last_step(), Some(totp.step_at(T0 + 30).unwrap()));
    // Recovery codes shown once, and the user notified.
    assert_eq!(host.recovery_codes.len(), 3);
    assert_eq!(host.account.recovery_codes().unwrap().remaining(), 3);
    assert_eq!(
        host.notices,
        vec![(Event::FactorBound { kind: "totp" }, T0 + 30)]
    );

    // Log on: TOTP asks for the code, delivers nothing.
    let writes = host.writes;
    let v = host.challenge(&flows, Scenario::LogOn, T0 + 60);
    assert!(!v.is_done());
    assert_eq!(host.writes, writes, "a TOTP challenge changes nothing");
    // The confirming code again: a replay, rejected and counted.
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, T0 + 60));
    assert_eq!(r, Err(FlowError::Rejected));
    assert_eq!(host.account.factor().unwrap().throttle().failures(), 1);
    let now_code = totp.generate(T0 + 62).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &now_code, T0 + 62));
    r.unwrap();
    assert!(v.is_done());
    let proof = v.verified().unwrap();
    assert_eq!(
        (proof.at(), proof.scenario(), proof.by_recovery_code()),
        (T0 + 62, &Scenario::LogOn, false)
    );
    // And the same code once more: replay.
    let v2 = host.challenge(&flows, Scenario::LogOn, T0 + 63);
    let (_, r) = host.step(&v2, v2.respond(&flows, &host.account, &now_code, T0 + 63));
    assert_eq!(r, Err(FlowError::Rejected));
}

#[test]
fn totp_identity_by_bound_phone_and_two_consecutive_codes() {
    let factor = TotpFactor::new("Example Co")
        .unwrap()
        .with_consecutive_codes(true);
    let flows = Flows::new(factor, OobKey::generate().unwrap(), policy()).unwrap();
    let mut host = Host::new();
    let contacts = [email(), phone()];
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        &[Scenario::CriticalOperation],
        &contacts,
        &phone(),
        T0,
    ));
    assert_eq!(host.inbox[0].0.channel(), Channel::Sms);
    let code = host.last_code(&phone());
    // The phone's code does not verify against the e-mail or vice versa: the
    // enrollment remembers the contact.
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 5));
    r.unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), T0 + 10));
    r.unwrap();
    assert_eq!(e.awaiting(), Awaiting::Codes { count: 2 });
    let totp = host.keys[0].to_totp().unwrap();
    let first = totp.generate(T0).unwrap().to_string();
    let second = totp.generate(T0 + 30).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&second], T0 + 40));
    assert_eq!(r, Err(FlowError::CodesNeeded { count: 2 }));
    // Not consecutive: rejected.
    let (e, r) = host.step(
        &e,
        e.confirm(&flows, &host.account, &[&second, &first], T0 + 40),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    let (e, r) = host.step(
        &e,
        e.confirm(&flows, &host.account, &[&first, &second], T0 + 41),
    );
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(
        host.account.factor().unwrap().last_step(),
        Some(totp.step_at(T0 + 30).unwrap())
    );
    assert!(host.account.protects(&Scenario::CriticalOperation));
    assert!(!host.account.protects(&Scenario::LogOn));
}

#[test]
fn sms_without_bound_phone_verifies_email_then_binds_the_phone() {
    let flows = sms_flows_texting(policy());
    let mut host = Host::new();
    // The account has no phone: the only verified contact is the e-mail.
    let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &phone(), T0);
    assert_eq!(step.result(), Err(FlowError::UnknownContact));
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 10));
    r.unwrap();
    let number = PhoneNumber::parse("+1 (415) 555-2671").unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number, T0 + 20));
    r.unwrap();
    assert_eq!(host.inbox.last().unwrap().0, phone());
    // A wrong code first, then the right one.
    let code = host.last_code(&phone());
    let (e, r) = host.step(
        &e,
        e.confirm(&flows, &host.account, &[&other_than(&code)], T0 + 30),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], T0 + 40));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(
        host.account.factor().unwrap().phone().as_str(),
        "+14155552671"
    );
    assert_eq!(
        host.notices.last().unwrap().0,
        Event::FactorBound { kind: "sms" }
    );
    assert_eq!(host.recovery_codes.len(), 3);

    // A critical operation: a code is sent to the bound phone.
    let sent = host.inbox.len();
    let v = host.challenge(&flows, Scenario::CriticalOperation, T0 + 100);
    assert_eq!(host.inbox.len(), sent + 1);
    let code = host.last_code(&phone());
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, T0 + 110));
    r.unwrap();
    assert!(v.is_done());
    // The code is consumed.
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &code, T0 + 111));
    assert!(matches!(r, Err(FlowError::WrongState { .. })));
    let v2 = host.challenge(&flows, Scenario::LogOn, T0 + 200);
    let fresh = host.last_code(&phone());
    assert_ne!(fresh, code);
    let (_, r) = host.step(&v2, v2.respond(&flows, &host.account, &code, T0 + 201));
    assert_eq!(r, Err(FlowError::Rejected), "an old code is not accepted");
}

#[test]
fn sms_identity_by_bound_phone_binds_at_once() {
    let flows = sms_flows_texting(policy());
    let mut host = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email(), phone()],
        &phone(),
        T0,
    ));
    let code = host.last_code(&phone());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 10));
    r.unwrap();
    let sent = host.inbox.len();
    let number = PhoneNumber::parse("+14155552671").unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number, T0 + 20));
    r.unwrap();
    assert!(e.is_done(), "the phone was proved moments ago");
    assert_eq!(host.inbox.len(), sent, "no second code");
    assert!(host.account.is_on());

    // Identity by e-mail with a bound phone: the phone gets its own code.
    let mut host = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email(), phone()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 10));
    r.unwrap();
    let number = PhoneNumber::parse("+14155552671").unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number, T0 + 20));
    r.unwrap();
    assert!(!e.is_done());
    assert_eq!(host.inbox.last().unwrap().0, phone());
}

#[test]
fn each_pending_step_expires() {
    let flows = totp_flows(policy());
    // The identity code: 300 s (the identity OobPolicy).
    let mut host = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let (_, r) = host.step(
        &e,
        e.verify_identity(&flows, &host.account, &code, T0 + 300),
    );
    assert_eq!(r, Err(FlowError::Code(OobError::Expired)));
    let (e, r) = host.step(
        &e,
        e.verify_identity(&flows, &host.account, &code, T0 + 299),
    );
    r.unwrap();

    // The setup: 600 s after the identity check.
    let (_, r) = host.step(
        &e,
        e.setup(&flows, &host.account, &"ada".into(), T0 + 299 + 600),
    );
    assert_eq!(r, Err(FlowError::Expired));
    let (e, r) = host.step(
        &e,
        e.setup(&flows, &host.account, &"ada".into(), T0 + 299 + 599),
    );
    r.unwrap();

    // The pending secret: 600 s (default 10 min).
    let set_at = T0 + 299 + 599;
    let totp = host.keys[0].to_totp().unwrap();
    let late = totp.generate(set_at + 600).unwrap().to_string();
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&late], set_at + 600));
    assert_eq!(r, Err(FlowError::Expired));
    let in_time = totp.generate(set_at + 599).unwrap().to_string();
    let (e, r) = host.step(
        &e,
        e.confirm(&flows, &host.account, &[&in_time], set_at + 599),
    );
    r.unwrap();
    assert!(e.is_done());

    // The challenge: 600 s.
    let v = host.challenge(&flows, Scenario::LogOn, T0 + 5_000);
    let code = totp.generate(T0 + 5_600).unwrap().to_string();
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &code, T0 + 5_600));
    assert_eq!(r, Err(FlowError::Expired));

    // The SMS binding code: 300 s (the factor's OobPolicy).
    let flows = sms_flows_texting(policy());
    let mut host = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0));
    r.unwrap();
    let number = PhoneNumber::parse("+14155552671").unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number, T0));
    r.unwrap();
    let code = host.last_code(&phone());
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], T0 + 300));
    assert_eq!(r, Err(FlowError::Code(OobError::Expired)));
    // A resend after the cooldown gives a new code that works.
    let (e, r) = host.step(&e, e.resend(&flows, &host.account, T0 + 301));
    r.unwrap();
    let code = host.last_code(&phone());
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], T0 + 310));
    r.unwrap();
    assert!(e.is_done());
}

#[test]
fn wrong_identity_codes_up_to_lockout_survive_a_restart() {
    let flows = totp_flows(
        policy()
            .to_builder()
            .identity(oob_locking_after(3))
            .build()
            .unwrap(),
    );
    let mut host = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let wrong = other_than(&code);
    for n in 1..=2 {
        let (_, r) = host.step(&e, e.verify_identity(&flows, &host.account, &wrong, T0 + n));
        assert_eq!(r, Err(FlowError::Rejected));
    }
    // Cancel and restart: the failure count is the account's, not the session's.
    drop(e);
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0 + 100,
    ));
    let code2 = host.last_code(&email());
    let (_, r) = host.step(
        &e,
        e.verify_identity(&flows, &host.account, &other_than(&code2), T0 + 101),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    assert_eq!(host.account.identity().throttle().failures(), 3);
    // Locked out: even the right code is refused, and no new code is sent.
    let writes = host.writes;
    let (_, r) = host.step(
        &e,
        e.verify_identity(&flows, &host.account, &code2, T0 + 102),
    );
    assert!(locked(&r), "{:?}", r);
    assert_eq!(host.writes, writes, "a refused attempt changes nothing");
    // The lockout is timed: no code is sent until it ends, then the owner
    // can start again (issue 8, finding 2: a password holder cannot stop
    // the owner from ever turning protection on).
    let until = retry_at(&r).unwrap();
    assert_eq!(until, host.account.identity().throttle().retry_at());
    let (_, r) = host.step(&e, e.resend_identity(&flows, &host.account, until - 1));
    assert!(locked(&r), "{:?}", r);
    let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), until - 1);
    assert!(locked(&step.result()), "{:?}", step.result());
    let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), until);
    assert_eq!(step.result(), Ok(()));
}

#[test]
fn wrong_factor_codes_up_to_lockout_then_recovery_code() {
    let factor = TotpFactor::new("Example Co")
        .unwrap()
        .with_throttle_policy(locking_after(3))
        .unwrap();
    let flows = Flows::new(factor, OobKey::generate().unwrap(), policy()).unwrap();
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let codes = host.recovery_codes.clone();

    let now = T0 + 1_000;
    let v = host.challenge(&flows, Scenario::LogOn, now);
    let wrong = wrong_totp(&totp, now);
    for _ in 0..3 {
        let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, now));
        assert_eq!(r, Err(FlowError::Rejected));
    }
    let right = totp.generate(now).unwrap().to_string();
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &right, now));
    assert!(locked(&r), "{:?}", r);

    // A mistyped recovery code is counted on the recovery record; a right one passes.
    let (_, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, "AAAA-AAAA-AAAA-AAAA", now),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    assert_eq!(
        host.account.recovery_codes().unwrap().throttle().failures(),
        1
    );
    let (passed, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &codes[1].to_lowercase(), now + 2),
    );
    r.unwrap();
    let proof = passed.verified().unwrap();
    assert!(proof.by_recovery_code());
    assert_eq!(
        host.last_notice(),
        Some(Event::RecoveryCodesLow { remaining: 2 })
    );
    // The factor is unlocked.
    assert_eq!(host.account.factor().unwrap().throttle().failures(), 0);
    let v = host.challenge(&flows, Scenario::LogOn, now + 30);
    let code = totp.generate(now + 30).unwrap().to_string();
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &code, now + 30));
    r.unwrap();
    // A used recovery code does not work twice.
    let v = host.challenge(&flows, Scenario::LogOn, now + 60);
    let (_, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &codes[1], now + 60),
    );
    assert_eq!(r, Err(FlowError::Rejected));
}

#[test]
fn sms_recovery_code_when_no_code_can_be_sent() {
    let flows = sms_flows_texting(policy());
    let mut host = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let codes = host.recovery_codes.clone();
    let now = T0 + 1_000;
    let v = host.challenge(&flows, Scenario::LogOn, now);
    // A second challenge within the cooldown: refused, but still a challenge.
    let (v2, persist, effects, r) =
        Verification::start(&flows, &host.account, Scenario::LogOn, None, now + 1).into_parts();
    assert!(
        matches!(r, Err(FlowError::Code(OobError::Cooldown { retry_at, .. })) if retry_at == now + 60),
        "{:?}",
        r
    );
    assert!(persist.is_none() && effects.is_empty());
    let v2 = v2.unwrap();
    let (v2, r) = host.step(
        &v2,
        v2.respond_recovery(&flows, &host.account, &codes[0], now + 2),
    );
    r.unwrap();
    assert!(v2.is_done());
    assert_eq!(
        host.last_notice(),
        Some(Event::RecoveryCodesLow { remaining: 2 })
    );
    // Resend on the first challenge after the cooldown.
    let (_, r) = host.step(&v, v.send_code(&flows, &host.account, now + 30));
    assert!(
        matches!(r, Err(FlowError::Code(OobError::Cooldown { retry_at, .. })) if retry_at == now + 60),
        "{:?}",
        r
    );
    let (v, r) = host.step(&v, v.send_code(&flows, &host.account, now + 60));
    r.unwrap();
    let code = host.last_code(&phone());
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, now + 70));
    r.unwrap();
    assert!(v.is_done());
}

#[test]
fn calls_in_the_wrong_state() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let writes = host.writes;
    let r = e.confirm(&flows, &host.account, &["123456"], T0).result();
    assert_eq!(
        r,
        Err(FlowError::WrongState {
            waiting_for: "the identity code"
        })
    );
    let r = e.setup(&flows, &host.account, &"ada".into(), T0).result();
    assert!(matches!(r, Err(FlowError::WrongState { .. })));
    assert!(
        r.unwrap_err()
            .to_string()
            .starts_with("this step does not fit now")
    );
    assert_eq!(host.writes, writes);
    // "Send another code" at this stage is the identity code's: within its
    // cooldown refused as `resend_identity` is, after it the same code
    // e-mailed again.
    let r = e.resend(&flows, &host.account, T0).result();
    assert_eq!(r, e.resend_identity(&flows, &host.account, T0).result());
    assert!(matches!(r, Err(FlowError::Code(OobError::Cooldown { .. }))));
    let first = host.last_code(&email());
    let (_, r) = host.step(&e, e.resend(&flows, &host.account, T0 + 60));
    r.unwrap();
    assert_eq!(host.inbox.len(), 2);
    assert_eq!(host.inbox[1], (email(), first));

    // No scenarios, or one twice.
    assert_eq!(
        Enrollment::start(&flows, &host.account, &[], &[email()], &email(), T0).result(),
        Err(FlowError::Scenarios)
    );
    let twice = [Scenario::LogOn, Scenario::LogOn];
    assert_eq!(
        Enrollment::start(&flows, &host.account, &twice, &[email()], &email(), T0).result(),
        Err(FlowError::Scenarios)
    );

    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    // Protection is on: enrolling again is refused.
    let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), T0 + 100);
    assert_eq!(step.result(), Err(FlowError::AlreadyProtected));
    // A passed check takes no more responses.
    let v = host.challenge(&flows, Scenario::LogOn, T0 + 200);
    let code = totp.generate(T0 + 200).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, T0 + 200));
    r.unwrap();
    assert!(matches!(
        v.respond(&flows, &host.account, &code, T0 + 201).result(),
        Err(FlowError::WrongState { .. })
    ));
    assert!(matches!(
        v.respond_recovery(&flows, &host.account, &code, T0 + 201)
            .result(),
        Err(FlowError::WrongState { .. })
    ));
    assert!(matches!(
        v.send_code(&flows, &host.account, T0 + 201).result(),
        Err(FlowError::WrongState { .. })
    ));
    // Changes need protection on.
    let proof = v.verified().unwrap().clone();
    let off = Host::<TotpRecord>::new();
    assert_eq!(
        off.account
            .turn_off(&flows, &proof, T0 + 201)
            .result()
            .err(),
        Some(FlowError::NotProtected)
    );
    assert_eq!(
        Enrollment::start_change(
            &flows,
            &off.account,
            &"0000000000000001".parse().unwrap(),
            &proof,
            T0 + 201
        )
        .result(),
        Err(FlowError::NotProtected)
    );
}

#[test]
fn cancel_and_restart_forgets_the_pending_secret() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let first_code = host.last_code(&email());
    let (e, r) = host.step(
        &e,
        e.verify_identity(&flows, &host.account, &first_code, T0 + 5),
    );
    r.unwrap();
    let (_abandoned, r) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), T0 + 10));
    r.unwrap();
    let old_key = host.keys[0].to_totp().unwrap();

    // Restart: a new identity code (after the resend cooldown), a new secret.
    let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), T0 + 20);
    assert!(
        matches!(step.result(), Err(FlowError::Code(OobError::Cooldown { retry_at, .. })) if retry_at == T0 + 60),
        "{:?}",
        step.result()
    );
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0 + 60,
    ));
    let (_, r) = host.step(
        &e,
        e.verify_identity(&flows, &host.account, &first_code, T0 + 61),
    );
    assert!(r.is_err(), "the first identity code is used up");
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 62));
    r.unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), T0 + 63));
    r.unwrap();
    let new_key = host.keys[1].to_totp().unwrap();
    assert_ne!(old_key.secret(), new_key.secret());
    let old = old_key.generate(T0 + 70).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&old], T0 + 70));
    assert_eq!(r, Err(FlowError::Rejected));
    let new = new_key.generate(T0 + 72).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&new], T0 + 72));
    r.unwrap();
    assert!(e.is_done());
}

#[test]
fn pending_totp_confirmation_is_throttled() {
    let factor = TotpFactor::new("Example Co")
        .unwrap()
        .with_throttle_policy(locking_after(2))
        .unwrap();
    let flows = Flows::new(factor, OobKey::generate().unwrap(), policy()).unwrap();
    let mut host = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let (e, _) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0));
    let (e, _) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), T0));
    let totp = host.keys[0].to_totp().unwrap();
    let wrong = wrong_totp(&totp, T0);
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&wrong], T0));
    assert_eq!(r, Err(FlowError::Rejected));
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &["12345"], T0));
    assert!(matches!(r, Err(FlowError::Malformed(_))));
    let right = totp.generate(T0).unwrap().to_string();
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&right], T0));
    assert!(locked(&r), "{:?}", r);
}

#[test]
fn grace_window_edges() {
    let grace = FlowPolicy::CLOUD_CONSOLE_GRACE;
    let flows = totp_flows(policy().to_builder().grace(grace).build().unwrap());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let at = T0 + 1_000;
    let proof = check_totp(&mut host, &flows, &totp, Scenario::CriticalOperation, at);
    let critical = Scenario::CriticalOperation;

    let start = |now: u64, last: &Verified, scenario: Scenario| {
        Verification::start(&flows, &host.account, scenario, Some(last), now)
    };
    // Inside the window: passes without a challenge, and without a new proof.
    let v = start(at + grace - 1, &proof, critical.clone())
        .state()
        .unwrap()
        .clone();
    assert!(v.is_done());
    assert!(v.verified().is_none());
    // At the end of the window, and before its start (a clock that went back): challenged.
    assert!(
        !start(at + grace, &proof, critical.clone())
            .state()
            .unwrap()
            .is_done()
    );
    assert!(
        !start(at - 1, &proof, critical.clone())
            .state()
            .unwrap()
            .is_done()
    );
    // Logging on is not a critical operation: challenged.
    assert!(
        !start(at + 1, &proof, Scenario::LogOn)
            .state()
            .unwrap()
            .is_done()
    );
    // A log-on check opens no window.
    let logon = check_totp(&mut host, &flows, &totp, Scenario::LogOn, at + 30);
    let v = Verification::start(
        &flows,
        &host.account,
        critical.clone(),
        Some(&logon),
        at + 31,
    );
    assert!(!v.state().unwrap().is_done());

    // Off by default.
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let proof = check_totp(&mut host, &flows, &totp, critical.clone(), at);
    let v = Verification::start(&flows, &host.account, critical, Some(&proof), at + 1);
    assert!(!v.state().unwrap().is_done());
}

#[test]
fn unprotected_scenarios_pass() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let v = host.challenge(&flows, Scenario::LogOn, T0);
    assert!(v.is_done() && v.verified().is_none());
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        &[Scenario::CriticalOperation],
        &[email()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let (e, _) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0));
    let (e, _) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), T0));
    let totp = host.keys[0].to_totp().unwrap();
    let (_, r) = host.step(
        &e,
        e.confirm(
            &flows,
            &host.account,
            &[&totp.generate(T0).unwrap().to_string()],
            T0,
        ),
    );
    r.unwrap();
    let v = host.challenge(&flows, Scenario::LogOn, T0 + 60);
    assert!(v.is_done());
    let custom = Scenario::Custom("export".into());
    let v = host.challenge(&flows, custom, T0 + 60);
    assert!(v.is_done());
    let v = host.challenge(&flows, Scenario::CriticalOperation, T0 + 60);
    assert!(!v.is_done());
}

#[test]
fn changes_need_a_fresh_check_and_are_notified() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let old_codes = host.recovery_codes.clone();
    let at = T0 + 1_000;
    let proof = check_totp(&mut host, &flows, &totp, Scenario::CriticalOperation, at);
    let stale = at + 300;

    // Without a fresh check: refused, nothing written.
    let writes = host.writes;
    assert_eq!(
        host.account.turn_off(&flows, &proof, stale).result().err(),
        Some(FlowError::CheckRequired)
    );
    assert_eq!(
        host.account
            .regenerate_recovery_codes(&flows, &proof, stale)
            .result()
            .err(),
        Some(FlowError::CheckRequired)
    );
    assert_eq!(
        host.account
            .set_scenarios(&flows, &[Scenario::LogOn], &proof, stale)
            .result()
            .err(),
        Some(FlowError::CheckRequired)
    );
    assert_eq!(
        Enrollment::start_change(
            &flows,
            &host.account,
            host.account.factors()[0].id(),
            &proof,
            stale
        )
        .result(),
        Err(FlowError::CheckRequired)
    );
    assert_eq!(
        host.account.turn_off(&flows, &proof, at - 1).result().err(),
        Some(FlowError::CheckRequired)
    );
    assert_eq!(host.writes, writes);

    // Regenerate recovery codes: the old ones stop working.
    let outputs = host
        .account
        .regenerate_recovery_codes(&flows, &proof, stale - 1);
    host.run(outputs).unwrap();
    assert_eq!(host.last_notice(), Some(Event::RecoveryCodesRegenerated));
    assert_ne!(host.recovery_codes, old_codes);
    let v = host.challenge(&flows, Scenario::LogOn, at + 10);
    let (_, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &old_codes[0], at + 10),
    );
    assert_eq!(r, Err(FlowError::Rejected));

    // Scenarios.
    let outputs =
        host.account
            .set_scenarios(&flows, &[Scenario::CriticalOperation], &proof, at + 20);
    host.run(outputs).unwrap();
    assert_eq!(host.last_notice(), Some(Event::ScenariosChanged));
    assert_eq!(host.account.scenarios(), &[Scenario::CriticalOperation]);
    assert_eq!(
        host.account
            .set_scenarios(&flows, &[], &proof, at + 20)
            .result()
            .err(),
        Some(FlowError::Scenarios)
    );

    // Start replacing the authenticator (a new key), then turn protection off.
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 30,
    ));
    let (_, r) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), at + 31));
    r.unwrap();
    let new_key = host.keys.last().unwrap().to_totp().unwrap();
    assert_ne!(new_key.secret(), totp.secret());
    let outputs = host.account.turn_off(&flows, &proof, at + 40);
    host.run(outputs).unwrap();
    assert_eq!(host.last_notice(), Some(Event::ProtectionOff));
    assert!(!host.account.is_on());
    assert!(host.account.recovery_codes().is_none());
    let v = host.challenge(&flows, Scenario::CriticalOperation, at + 50);
    assert!(v.is_done());
}

#[test]
fn replacing_the_authenticator_consumes_its_step() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let codes_before = host.account.recovery_codes().cloned();
    let at = T0 + 1_000;
    let proof = check_totp(&mut host, &flows, &totp, Scenario::LogOn, at);
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 10,
    ));
    assert!(matches!(e.awaiting(), Awaiting::Setup { .. }));
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), at + 11));
    r.unwrap();
    let new_key = host.keys.last().unwrap().to_totp().unwrap();
    let code = new_key.generate(at + 12).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], at + 12));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(
        host.last_notice(),
        Some(Event::FactorChanged { kind: "totp" })
    );
    assert_eq!(
        host.account.recovery_codes().cloned(),
        codes_before,
        "recovery codes kept"
    );
    // The old key no longer works; the new one does, but not the confirming code.
    let v = host.challenge(&flows, Scenario::LogOn, at + 40);
    let old = totp.generate(at + 40).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &old, at + 40));
    assert_eq!(r, Err(FlowError::Rejected));
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, at + 41));
    assert_eq!(r, Err(FlowError::Rejected));
    let next = new_key.generate(at + 45).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &next, at + 45));
    r.unwrap();
    assert!(v.is_done());
}

#[test]
fn phone_change_is_a_new_binding() {
    let flows = sms_flows_texting(policy());
    let mut host = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let at = T0 + 1_000;
    let v = host.challenge(&flows, Scenario::CriticalOperation, at);
    let code = host.last_code(&phone());
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, at + 5));
    r.unwrap();
    let proof = v.verified().unwrap().clone();

    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 10,
    ));
    let new_phone = Destination::sms("+44 20 7946 0958").unwrap();
    let number = PhoneNumber::parse("+44 20 7946 0958").unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number, at + 11));
    r.unwrap();
    assert_eq!(
        host.inbox.last().unwrap().0,
        new_phone,
        "a code to the new phone"
    );
    // The old phone still protects the account until the new one is confirmed.
    assert_eq!(
        host.account.factor().unwrap().phone().as_str(),
        "+14155552671"
    );
    let code = host.last_code(&new_phone);
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], at + 20));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(
        host.account.factor().unwrap().phone().as_str(),
        "+442079460958"
    );
    assert_eq!(
        host.last_notice(),
        Some(Event::FactorChanged { kind: "sms" })
    );
    let v = host.challenge(&flows, Scenario::LogOn, at + 100);
    assert_eq!(host.inbox.last().unwrap().0, new_phone);
    // The proof from before the change no longer counts.
    assert_eq!(
        Enrollment::start_change(
            &flows,
            &host.account,
            host.account.factors()[0].id(),
            &proof,
            at + 101
        )
        .result(),
        Err(FlowError::CheckRequired)
    );

    // Re-binding the same number after a fresh check still sends a code.
    let code = host.last_code(&new_phone);
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, at + 105));
    r.unwrap();
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        v.verified().unwrap(),
        at + 200,
    ));
    let sent = host.inbox.len();
    let number = PhoneNumber::parse("+44 20 7946 0958").unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &number, at + 201));
    r.unwrap();
    assert!(!e.is_done());
    assert_eq!(host.inbox.len(), sent + 1);
}

#[test]
fn debug_shows_no_codes_or_secrets() {
    let flows = sms_flows_texting(policy());
    let mut host = Host::<SmsRecord>::new();
    let t = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), T0);
    let shown = format!("{:?} {:?} {t:?} {flows:?}", t.state(), t.effects());
    host.run(t).unwrap();
    let code = host.last_code(&email());
    assert!(!shown.contains(&code));

    let tflows = totp_flows(policy());
    let mut thost = Host::new();
    let totp = enroll_totp(&mut thost, &tflows, T0);
    let secret = totp.secret().expose_base32();
    let shown = format!("{:?} {:?}", thost.account, thost.keys);
    assert!(!shown.contains(secret.as_str()));
    for code in &thost.recovery_codes {
        assert!(!shown.contains(code.as_str()));
    }
}

#[cfg(feature = "serde")]
mod serde_state {
    use super::*;

    #[test]
    fn an_enrollment_in_progress_survives_between_requests() {
        let flows = totp_flows(policy());
        let mut host = Host::new();
        let e = host.begin(Enrollment::start(
            &flows,
            &host.account,
            ALL,
            &[email()],
            &email(),
            T0,
        ));
        let json = serde_json::to_string(&e).unwrap();
        let e: Enrollment = serde_json::from_str(&json).unwrap();
        let code = host.last_code(&email());
        let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 1));
        r.unwrap();
        let (e, r) = host.step(&e, e.setup(&flows, &host.account, &"ada".into(), T0 + 2));
        r.unwrap();
        let json = serde_json::to_string(&e).unwrap();
        let e: Enrollment = serde_json::from_str(&json).unwrap();
        let totp = host.keys[0].to_totp().unwrap();
        let code = totp.generate(T0 + 3).unwrap().to_string();
        let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], T0 + 3));
        r.unwrap();
        assert!(e.is_done());

        // The account record round-trips.
        let json = serde_json::to_string(&host.account).unwrap();
        let back: mfa::Protection<TotpRecord> = serde_json::from_str(&json).unwrap();
        assert_eq!(back, host.account);

        // A verification in progress and a proof, too.
        let v = host.challenge(&flows, Scenario::LogOn, T0 + 60);
        let v: Verification = serde_json::from_str(&serde_json::to_string(&v).unwrap()).unwrap();
        let code = totp.generate(T0 + 60).unwrap().to_string();
        let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, T0 + 60));
        r.unwrap();
        let proof: Verified =
            serde_json::from_str(&serde_json::to_string(v.verified().unwrap()).unwrap()).unwrap();
        assert_eq!(&proof, v.verified().unwrap());
        let policy: FlowPolicy =
            serde_json::from_str(&serde_json::to_string(&policy()).unwrap()).unwrap();
        assert_eq!(policy, super::policy());
    }

    #[test]
    fn deserialization_validates() {
        let flows = sms_flows_texting(policy());
        let mut host = Host::new();
        let e = host.begin(Enrollment::start(
            &flows,
            &host.account,
            ALL,
            &[email()],
            &email(),
            T0,
        ));
        let json = serde_json::to_string(&e).unwrap();
        let twice = json.replacen("\"CriticalOperation\"", "\"LogOn\"", 1);
        assert_ne!(twice, json);
        assert!(serde_json::from_str::<Enrollment>(&twice).is_err());
        let unknown = json.replacen('{', "{\"extra\":1,", 1);
        assert!(serde_json::from_str::<Enrollment>(&unknown).is_err());
        let bad_phone = serde_json::json!({"phone": "12345", "oob": serde_json::to_value(mfa::OobRecord::new()).unwrap()});
        assert!(serde_json::from_value::<SmsRecord>(bad_phone).is_err());
        let bad_policy = serde_json::to_string(&policy())
            .unwrap()
            .replace("\"grace\":0", "\"grace\":99999");
        assert!(serde_json::from_str::<FlowPolicy>(&bad_policy).is_err());
    }
}
