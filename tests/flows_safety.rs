//! Issue 8: the seams where a host wires the flows to its sessions and its
//! users. One test per finding, through the public API, on a simulated
//! clock; each failed on the main before the fix.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{
    ALL, Host, T0, email, enroll_sms, enroll_totp, locked, other_than, phone, policy, retry_at,
    sms_flows, totp_at_confirm, totp_flows, wait_until, wrong_totp,
};
use mfa::{
    Awaiting, Credential, Enrollment, Event, FlowError, FlowPolicy, Flows, OobKey, OobPolicy,
    PhoneNumber, Refused, Scenario, SmsFactor, SmsRecord, TotpFactor, TotpRecord, Verification,
    Verified,
};

const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

/// A challenge at `scenario`, started at `now`.
fn challenge<F: mfa::Factor>(host: &mut Host<F::Record>, flows: &Flows<F>, now: u64) -> Verification
where
    F::Record: std::fmt::Debug,
{
    host.challenge(flows, Scenario::CriticalOperation, now)
}

/// Answers `v` with `code` at `now`, or, while refused, at the time the
/// refusal names: an attacker who waits out every backoff. Returns the
/// time the answer was evaluated and its result.
fn answer_when_allowed(
    host: &mut Host<TotpRecord>,
    flows: &Flows<TotpFactor>,
    v: &Verification,
    code: impl Fn(u64) -> String,
    recovery: bool,
    mut now: u64,
) -> (u64, Result<(), FlowError>) {
    loop {
        let step = if recovery {
            v.respond_recovery(flows, &host.account, &code(now), now)
        } else {
            v.respond(flows, &host.account, &code(now), now)
        };
        let (_, r) = host.step(v, step);
        match r {
            Err(FlowError::Refused(refused)) => now = refused.retry_at(),
            r => return (now, r),
        }
    }
}

// 1. A password holder can lock the owner out for good.
#[test]
fn f1_ten_wrong_codes_then_ten_wrong_recovery_codes_lock_no_one_out_for_good() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let recovery = host.recovery_codes.clone();
    let mut now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    for _ in 0..10 {
        let (at, r) =
            answer_when_allowed(&mut host, &flows, &v, |t| wrong_totp(&totp, t), false, now);
        assert_eq!(r, Err(FlowError::Rejected));
        now = at;
    }
    for _ in 0..10 {
        let (at, r) = answer_when_allowed(
            &mut host,
            &flows,
            &v,
            |_| "AAAA-AAAA-AAAA-AAAA".into(),
            true,
            now,
        );
        assert_eq!(r, Err(FlowError::Rejected));
        now = at;
    }
    // The app is locked for a while; the recovery codes never are (80
    // bits: NIST SP 800-63B asks no rate limit of them).
    let right = totp.generate(now).unwrap().to_string();
    let v = challenge(&mut host, &flows, now);
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &right, now));
    assert!(locked(&r), "{r:?}");
    let until = retry_at(&r).unwrap();
    assert!(until - now <= 86_400, "no wait longer than a day");
    // The owner was told of the lockout, by an event the host can e-mail.
    let lockouts: Vec<Credential> = host
        .notices
        .iter()
        .filter_map(|(e, _)| match e {
            Event::LockedOut { credential, .. } => Some(*credential),
            _ => None,
        })
        .collect();
    assert_eq!(lockouts, [Credential::Factor]);
    // The owner gets in at once with a recovery code.
    let (_, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &recovery[0], now),
    );
    assert_eq!(r, Ok(()));
    let recovery = &recovery[1..];

    // A year later, with the phone: in.
    let later = now + YEAR;
    let v = challenge(&mut host, &flows, later);
    let code = totp.generate(later).unwrap().to_string();
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &code, later));
    assert_eq!(r, Ok(()));
    // The factor's success cleared the recovery codes' failures as well.
    assert_eq!(
        host.account.recovery_codes().unwrap().throttle().failures(),
        0
    );
    let v = challenge(&mut host, &flows, later + 60);
    let (_, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &recovery[0], later + 60),
    );
    assert_eq!(r, Ok(()));
}

#[test]
fn f1_a_recovery_code_clears_the_factor_and_regenerating_starts_clean() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    let (_, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, "AAAA-AAAA-AAAA-AAAA", now),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    let (_, r) = host.step(
        &v,
        v.respond(&flows, &host.account, &wrong_totp(&totp, now), now),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    assert_eq!(host.account.factor().unwrap().throttle().failures(), 1);
    let code = host.recovery_codes[0].clone();
    let (v, r) = host.step(&v, v.respond_recovery(&flows, &host.account, &code, now));
    r.unwrap();
    assert_eq!(host.account.factor().unwrap().throttle().failures(), 0);
    assert_eq!(
        host.account.recovery_codes().unwrap().throttle().failures(),
        0
    );
    // A failure, then a new set after a fresh check: the new set is clean.
    let v2 = challenge(&mut host, &flows, now + 10);
    let (_, r) = host.step(
        &v2,
        v2.respond_recovery(&flows, &host.account, "AAAA-AAAA-AAAA-AAAA", now + 10),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    let proof = v.verified().unwrap().clone();
    let outputs = host
        .account
        .regenerate_recovery_codes(&flows, &proof, now + 20);
    host.run(outputs).unwrap();
    assert_eq!(
        host.account.recovery_codes().unwrap().throttle().failures(),
        0
    );
}

// 2. A password holder can stop the owner from ever turning protection on.
#[test]
fn f2_wrong_identity_codes_on_an_unprotected_account_lock_only_for_a_while() {
    let flows = totp_flows(policy());
    let mut host: Host<TotpRecord> = Host::new();
    let mut now = T0;
    let mut e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        now,
    ));
    let mut failures = 0;
    while failures < 10 {
        let code = other_than(&host.last_code(&email()));
        let (_, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, now));
        match r {
            Err(FlowError::Rejected) => failures += 1,
            Err(FlowError::Refused(refused)) => now = refused.retry_at(),
            // A code has 5 tries: ask for a new one, when the cooldown allows.
            Err(FlowError::Code(_)) => {
                now += 60;
                e = host.begin(Enrollment::start(
                    &flows,
                    &host.account,
                    ALL,
                    &[email()],
                    &email(),
                    now,
                ));
            }
            other => panic!("{other:?}"),
        }
    }
    assert!(matches!(
        host.last_notice(),
        Some(Event::LockedOut {
            credential: Credential::IdentityCode,
            ..
        })
    ));
    let until = host.account.identity().throttle().retry_at();
    let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), until - 1);
    assert!(locked(&step.result()), "{:?}", step.result());
    // The lockout ends: the owner turns protection on.
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        until,
    ));
    let code = host.last_code(&email());
    let (_, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, until));
    assert_eq!(r, Ok(()));
}

// 3. Proving identity again lifts the phone-binding lockout.
#[test]
fn f3_re_proving_identity_does_not_buy_binding_guesses() {
    // The account owner binds a number they do not own, proving their own
    // e-mail again at every lockout. In one simulated day:
    let flows = sms_flows(policy());
    let mut host: Host<SmsRecord> = Host::new();
    let victim = PhoneNumber::parse("+1 415 555 0100").unwrap();
    let victim_phone = mfa::Destination::Sms(victim.clone());
    let start = T0;
    let end = start + DAY;
    let mut now = start;
    let (mut guesses, mut texts) = (0u32, 0u32);
    'day: while now < end {
        // Prove identity by e-mail (cooldowns waited out), then set up the victim's number.
        let e = loop {
            let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), now);
            match step.result() {
                Ok(()) => break host.begin(step),
                Err(e) => now = now.max(wait_until(&e).unwrap_or(now + 60)),
            }
            if now >= end {
                break 'day;
            }
        };
        let code = host.last_code(&email());
        let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, now));
        r.unwrap();
        let (mut e, r) = host.step(&e, e.setup(&flows, &host.account, &victim, now));
        match r {
            Ok(()) => texts += 1,
            Err(err) => {
                now = wait_until(&err).unwrap_or(now + 60);
                continue;
            }
        }
        // Guess until the code is spent or the binding record refuses.
        loop {
            // Always wrong (the test must not be lucky): the attacker cannot
            // read the victim's texts.
            let wrong = other_than(&host.last_code(&victim_phone));
            let (next, r) = host.step(&e, e.confirm(&flows, &host.account, &[&wrong], now));
            e = next;
            match r {
                Err(FlowError::Rejected) => guesses += 1,
                Err(FlowError::Refused(refused)) => {
                    now = refused.retry_at();
                    continue 'day;
                }
                Err(FlowError::Code(_) | FlowError::Expired) => {
                    let (next, r) = host.step(&e, e.resend(&flows, &host.account, now + 60));
                    e = next;
                    now += 60;
                    match r {
                        Ok(()) => texts += 1,
                        Err(err) => {
                            now = wait_until(&err).unwrap_or(now);
                            continue 'day;
                        }
                    }
                }
                Ok(()) => panic!("a wrong code bound the phone"),
                Err(other) => panic!("{other:?}"),
            }
            now += 1;
            if now >= end {
                break 'day;
            }
        }
    }
    // Before: 456 guesses and 120 texts. Now the binding record's timed
    // lockouts (strikes outlive every proof) and the daily cap on texts
    // bound them, whatever the identity proofs.
    assert_eq!(
        (guesses, texts),
        (14, 10),
        "guesses and texts to the victim's number in a day"
    );
}

// 4. A passed check never expires.
#[test]
fn f4_a_pass_authorises_for_pass_ttl_only() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    let code = totp.generate(now).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, now));
    r.unwrap();
    assert_eq!(
        v.authorize(
            &flows,
            &host.account,
            &Scenario::CriticalOperation,
            now + 299
        ),
        Ok(())
    );
    assert_eq!(
        v.authorize(
            &flows,
            &host.account,
            &Scenario::CriticalOperation,
            now + 300
        ),
        Err(FlowError::CheckRequired)
    );
    assert_eq!(
        v.authorize(
            &flows,
            &host.account,
            &Scenario::CriticalOperation,
            now + DAY
        ),
        Err(FlowError::CheckRequired)
    );
    // Configurable.
    let short = totp_flows(policy().to_builder().pass_ttl(60).build().unwrap());
    assert!(FlowPolicy::builder().pass_ttl(29).build().is_err());
    assert!(FlowPolicy::builder().pass_ttl(3_601).build().is_err());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &short, T0);
    let v = challenge(&mut host, &short, now);
    let code = totp.generate(now).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&short, &host.account, &code, now));
    r.unwrap();
    assert_eq!(
        v.authorize(
            &short,
            &host.account,
            &Scenario::CriticalOperation,
            now + 59
        ),
        Ok(())
    );
    assert_eq!(
        v.authorize(
            &short,
            &host.account,
            &Scenario::CriticalOperation,
            now + 60
        ),
        Err(FlowError::CheckRequired)
    );
}

// 5. Session state can be edited.
#[test]
fn f5_edited_session_states_are_refused() {
    let flows = totp_flows(policy().to_builder().grace(900).build().unwrap());
    let mut host: Host<TotpRecord> = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    // (a) skip the identity step: Identity → Setup, by hand.
    let json = serde_json::to_value(&e).unwrap();
    let mut skipped = json.clone();
    skipped["stage"] =
        serde_json::json!({"Setup": {"contact": null, "verified_at": T0, "expires_at": T0 + 600}});
    let skipped: Enrollment = serde_json::from_value(skipped).unwrap();
    let step = skipped.setup(&flows, &host.account, &"ada@example.com".into(), T0 + 1);
    assert_eq!(step.result(), Err(FlowError::Tampered));
    assert!((step.persist().is_none() && step.effects().is_empty()));

    // (b) a change past its fresh check: an expired change, pushed later.
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 1));
    r.unwrap();
    let totp = {
        let (e, r) = host.step(
            &e,
            e.setup(&flows, &host.account, &"ada@example.com".into(), T0 + 2),
        );
        r.unwrap();
        let totp = host.keys.last().unwrap().to_totp().unwrap();
        let c = totp.generate(T0 + 3).unwrap().to_string();
        let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&c], T0 + 3));
        r.unwrap();
        totp
    };
    let now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    let code = totp.generate(now).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, now));
    r.unwrap();
    let proof: Verified = v.verified().unwrap().clone();
    let change = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        now,
    ));
    let mut later = serde_json::to_value(&change).unwrap();
    later["stage"]["Setup"]["expires_at"] = serde_json::json!(now + DAY);
    let later: Enrollment = serde_json::from_value(later).unwrap();
    let step = later.setup(
        &flows,
        &host.account,
        &"ada@example.com".into(),
        now + 3_600,
    );
    assert_eq!(step.result(), Err(FlowError::Tampered));
    // A hand-made change (a replacement, on a new enrollment) too.
    let mut forged = json.clone();
    let first = host.account.factors()[0].id().to_string();
    forged["change"] = serde_json::json!({ "replace": { "factor": first } });
    let forged: Enrollment = serde_json::from_value(forged).unwrap();
    assert_eq!(
        forged
            .resend_identity(&flows, &host.account, T0 + 100)
            .result(),
        Err(FlowError::Tampered)
    );

    // (c) a pass moved to another scenario, and a claimed grace pass.
    let mut moved = serde_json::to_value(&v).unwrap();
    moved["scenario"] = serde_json::json!("LogOn");
    let moved: Verification = serde_json::from_value(moved).unwrap();
    assert_eq!(
        moved.authorize(&flows, &host.account, &Scenario::CriticalOperation, now + 1),
        Err(FlowError::Tampered)
    );
    let pending = challenge(&mut host, &flows, now + 2);
    let mut claimed = serde_json::to_value(&pending).unwrap();
    claimed["stage"] = serde_json::json!({"Passed": {"check": null, "at": now + 2, "generation": 1, "grace_from": now + 2}});
    let claimed: Verification = serde_json::from_value(claimed).unwrap();
    assert_eq!(
        claimed.authorize(&flows, &host.account, &Scenario::CriticalOperation, now + 3),
        Err(FlowError::Tampered)
    );
    // The untouched states still work.
    assert_eq!(
        v.authorize(&flows, &host.account, &Scenario::CriticalOperation, now + 1),
        Ok(())
    );

    // States made under another key (another service) are refused too.
    let other = totp_flows(policy().to_builder().grace(900).build().unwrap());
    assert_eq!(
        v.authorize(&other, &host.account, &Scenario::CriticalOperation, now + 1),
        Err(FlowError::Tampered)
    );
}

#[test]
fn f5_the_pending_secret_is_never_in_the_session_state() {
    let flows = totp_flows(policy());
    let mut host: Host<TotpRecord> = Host::new();
    let e = totp_at_confirm(&mut host, &flows, ALL, T0);
    let secret = host
        .keys
        .last()
        .unwrap()
        .secret()
        .expose_base32()
        .to_string();
    let session = serde_json::to_string(&e).unwrap();
    assert!(!session.contains(&secret[..16]), "{session}");
    assert!(!format!("{e:?}").contains(&secret[..16]));
}

// 6. A failure can be lost by forgetting to save state.
#[test]
fn f6_a_wrong_confirmation_code_is_counted_in_the_account_record() {
    let flows = totp_flows(policy());
    let mut host: Host<TotpRecord> = Host::new();
    let e = totp_at_confirm(&mut host, &flows, ALL, T0);
    let totp = host.keys.last().unwrap().to_totp().unwrap();
    let wrong = wrong_totp(&totp, T0 + 3);
    // A handler that returns the error before saving the state: the same
    // old state is replayed each time, and still every failure counts.
    let version = host.account.version();
    for n in 1..=4u64 {
        let step = e.confirm(&flows, &host.account, &[&wrong], T0 + 3 + n * 100);
        assert!(step.state().is_none(), "nothing in the state to save");
        let (_, r) = host.step(&e, step);
        assert_eq!(r, Err(FlowError::Rejected));
        assert_eq!(host.account.version(), version + n);
    }
    // The 4th failure in a row (past the 3 forgiven typos) made a backoff.
    let step = e.confirm(&flows, &host.account, &[&wrong], T0 + 403);
    assert!(
        matches!(
            step.result(),
            Err(FlowError::Refused(Refused::Backoff { .. }))
        ),
        "{:?}",
        step.result()
    );
}

// 7. One typo looks like an attack.
#[test]
fn f7_three_typos_are_forgiven_and_waits_are_said_in_seconds() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    let wrong = wrong_totp(&totp, now);
    for _ in 0..3 {
        let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, now));
        assert_eq!(r, Err(FlowError::Rejected), "no backoff for a typo");
    }
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, now));
    assert_eq!(r, Err(FlowError::Rejected));
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, now));
    let err = r.unwrap_err();
    assert_eq!(err.retry_after(), Some(1));
    assert_eq!(
        err.to_string(),
        "too many failed attempts; try again in 1 s"
    );
    assert!(!err.to_string().contains(&now.to_string()));
    assert_eq!(retry_at(&Err(err)), Some(now + 1));
}

// 8. An SMS challenge spends a text that nobody asked for.
#[test]
fn f8_an_sms_challenge_texts_only_when_asked() {
    let flows = sms_flows(policy());
    let mut host: Host<SmsRecord> = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let sent = host.inbox.len();
    let now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    assert_eq!(host.inbox.len(), sent, "no text at the challenge");
    assert_eq!(v.awaiting(), Awaiting::SendCode);
    // A recovery code instead: still no text.
    let code = host.recovery_codes[0].clone();
    let (_, r) = host.step(&v, v.respond_recovery(&flows, &host.account, &code, now));
    r.unwrap();
    assert_eq!(host.inbox.len(), sent);
    assert!(host.account.factor().unwrap().oob().pending().is_none());
    // Asked for: one text, to the bound phone.
    let v = challenge(&mut host, &flows, now + 10);
    let (v, r) = host.step(&v, v.send_code(&flows, &host.account, now + 10));
    r.unwrap();
    assert_eq!(host.inbox.len(), sent + 1);
    assert_eq!(v.awaiting(), Awaiting::SentCode);
    let code = host.last_code(&phone());
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, now + 20));
    r.unwrap();
    assert_eq!(
        v.authorize(
            &flows,
            &host.account,
            &Scenario::CriticalOperation,
            now + 20
        ),
        Ok(())
    );
    // The policy choice of texting at once remains.
    let key = OobKey::generate().unwrap();
    let eager = SmsFactor::new(key.clone(), OobPolicy::default())
        .unwrap()
        .with_send_at_challenge(true);
    let eager = Flows::new(eager, key, policy()).unwrap();
    let mut host: Host<SmsRecord> = Host::new();
    enroll_sms(&mut host, &eager, T0);
    let sent = host.inbox.len();
    let v = challenge(&mut host, &eager, now);
    assert_eq!(host.inbox.len(), sent + 1);
    assert_eq!(v.awaiting(), Awaiting::SentCode);
}

// 9. The policy that judges a record is whoever calls last.
#[test]
fn f9_a_record_locked_under_one_policy_stays_locked_under_another() {
    let key = || OobKey::from_bytes(&[7; 32]).unwrap();
    let with = |identity: OobPolicy| {
        Flows::new(
            TotpFactor::new("Example Co").unwrap(),
            key(),
            policy().to_builder().identity(identity).build().unwrap(),
        )
        .unwrap()
    };
    let strict = with(flows_common::oob_locking_after(3));
    let mut host: Host<TotpRecord> = Host::new();
    let e = host.begin(Enrollment::start(
        &strict,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let wrong = other_than(&code);
    for _ in 0..3 {
        let (_, r) = host.step(&e, e.verify_identity(&strict, &host.account, &wrong, T0));
        assert_eq!(r, Err(FlowError::Rejected));
    }
    let until = host.account.identity().throttle().retry_at();
    // The service restarts with a lenient policy (100 failures before a
    // lockout), the same key: the session state still opens, and the
    // lockout already imposed runs its course.
    let lenient = with(
        OobPolicy::builder()
            .throttle(
                mfa::ThrottlePolicy::builder()
                    .max_failures(100)
                    .build()
                    .unwrap(),
            )
            .build()
            .unwrap(),
    );
    let (_, r) = host.step(
        &e,
        e.verify_identity(&lenient, &host.account, &code, until - 1),
    );
    assert!(locked(&r), "{r:?}");
    assert_eq!(retry_at(&r), Some(until));
    // Then a new code (the first one expired meanwhile) goes through.
    let (e, r) = host.step(&e, e.resend_identity(&lenient, &host.account, until));
    r.unwrap();
    let code = host.last_code(&email());
    let (_, r) = host.step(&e, e.verify_identity(&lenient, &host.account, &code, until));
    assert_eq!(r, Ok(()));
}

// 10. A Verification does not say what it waits for.
#[test]
fn f10_a_verification_says_what_it_waits_for() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    assert_eq!(v.awaiting(), Awaiting::Codes { count: 1 });
    let code = totp.generate(now).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, now));
    r.unwrap();
    assert_eq!(v.awaiting(), Awaiting::Nothing);
}

// 5, continued: session state in a cookie, sealed (feature `seal`).
#[cfg(feature = "seal")]
#[test]
fn f5_an_enrollment_sealed_into_a_cookie_opens_only_for_its_session() {
    use mfa::{Keyring, SealingKey};

    let flows = totp_flows(policy());
    let keys = Keyring::new(SealingKey::generate(1).unwrap());
    let mut host: Host<TotpRecord> = Host::new();
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        T0,
    ));
    // The host seals the state into the cookie, bound to the session id.
    let cookie = keys
        .seal_to_string(
            b"mfa/session/enrollment/session-42",
            &serde_json::to_vec(&e).unwrap(),
        )
        .unwrap();
    assert!(!cookie.contains("ada@example.com"));
    assert!(
        keys.open_str(b"mfa/session/enrollment/session-43", &cookie)
            .is_err(),
        "another session's cookie"
    );
    let opened = keys
        .open_str(b"mfa/session/enrollment/session-42", &cookie)
        .unwrap();
    let e: Enrollment = serde_json::from_slice(&opened).unwrap();
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 1));
    r.unwrap();
    assert!(matches!(e.awaiting(), Awaiting::Setup { .. }));
}

// Review B1: binding one's own phone in between must not reset the
// guesses at someone else's.
#[test]
fn b1_a_binding_success_keeps_the_failures_at_another_number() {
    let flows = sms_flows(policy());
    let mut host: Host<SmsRecord> = Host::new();
    let stranger = PhoneNumber::parse("+1 415 555 0100").unwrap();
    let own = PhoneNumber::parse("+1 415 555 2671").unwrap();
    let now = T0;
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        now,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, now));
    r.unwrap();
    let (guessing, r) = host.step(&e, e.setup(&flows, &host.account, &stranger, now));
    r.unwrap();
    let wrong = other_than(&host.last_code(&mfa::Destination::Sms(stranger.clone())));
    for _ in 0..3 {
        let (_, r) = host.step(
            &guessing,
            guessing.confirm(&flows, &host.account, &[&wrong], now),
        );
        assert_eq!(r, Err(FlowError::Rejected));
    }
    // Now the owner's own phone, with the right code.
    let (own_e, r) = host.step(&e, e.setup(&flows, &host.account, &own, now + 60));
    r.unwrap();
    let code = host.last_code(&phone());
    let (_, r) = host.step(
        &own_e,
        own_e.confirm(&flows, &host.account, &[&code], now + 60),
    );
    r.unwrap();
    assert!(host.account.is_on());
    assert_eq!(host.account.binding().throttle().failures(), 3);
}

// Review J1: the owner's daily log-on buys an attacker no fresh run.
#[test]
fn j1_strikes_outlive_the_owners_success() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let mut now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    for _ in 0..10 {
        let (at, r) =
            answer_when_allowed(&mut host, &flows, &v, |t| wrong_totp(&totp, t), false, now);
        assert_eq!(r, Err(FlowError::Rejected));
        now = at;
    }
    let until = host.account.factor().unwrap().throttle().retry_at();
    // The owner logs on after the lockout.
    let v = challenge(&mut host, &flows, until);
    let code = totp.generate(until).unwrap().to_string();
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &code, until));
    r.unwrap();
    // The attacker: one guess is forgiven, the next locks for 30 min.
    let later = until + 60;
    let v = challenge(&mut host, &flows, later);
    let wrong = wrong_totp(&totp, later);
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, later));
    assert_eq!(r, Err(FlowError::Rejected));
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, later));
    assert_eq!(r, Err(FlowError::Rejected));
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, later));
    assert!(locked(&r), "{r:?}");
    assert_eq!(retry_at(&r), Some(later + 1_800));
}

// Review C1: however long a password holder keeps guessing, the
// recovery codes let the owner in.
#[test]
fn c1_recovery_codes_are_never_locked() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    enroll_totp(&mut host, &flows, T0);
    let now = T0 + 1_000;
    let v = challenge(&mut host, &flows, now);
    for _ in 0..200 {
        let (_, r) = host.step(
            &v,
            v.respond_recovery(&flows, &host.account, "AAAA-AAAA-AAAA-AAAA", now),
        );
        assert_eq!(r, Err(FlowError::Rejected));
    }
    let code = host.recovery_codes[0].clone();
    let (_, r) = host.step(&v, v.respond_recovery(&flows, &host.account, &code, now));
    assert_eq!(r, Ok(()));
}

// Review A1: a check at one scenario lets no other through.
#[test]
fn a1_a_log_on_pass_opens_no_critical_operation() {
    let flows = totp_flows(policy());
    let mut host: Host<TotpRecord> = Host::new();
    let e = totp_at_confirm(&mut host, &flows, &[Scenario::CriticalOperation], T0);
    let totp = host.keys.last().unwrap().to_totp().unwrap();
    let c = totp.generate(T0 + 2).unwrap().to_string();
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&c], T0 + 2));
    r.unwrap();
    // Log-on is not protected: it passes without a check.
    let now = T0 + 1_000;
    let logon = host.challenge(&flows, Scenario::LogOn, now);
    assert_eq!(
        logon.authorize(&flows, &host.account, &Scenario::LogOn, now),
        Ok(())
    );
    assert_eq!(
        logon.authorize(&flows, &host.account, &Scenario::CriticalOperation, now),
        Err(FlowError::CheckRequired)
    );
}

// Issue 9: byte fields are Base64url text, not arrays of numbers.
#[test]
fn a_stored_account_writes_bytes_as_text() {
    let flows = totp_flows(FlowPolicy::default());
    let mut host = Host::new();
    enroll_totp(&mut host, &flows, T0);
    let json = serde_json::to_string(&host.account).unwrap();
    // No run of 16 or more numbers anywhere (an id, a hash, a salt).
    let value: serde_json::Value = serde_json::from_str(&json).unwrap();
    fn longest_number_array(v: &serde_json::Value) -> usize {
        match v {
            serde_json::Value::Array(items) => {
                let own = if items.iter().all(serde_json::Value::is_number) {
                    items.len()
                } else {
                    0
                };
                items.iter().map(longest_number_array).fold(own, usize::max)
            }
            serde_json::Value::Object(map) => {
                map.values().map(longest_number_array).max().unwrap_or(0)
            }
            _ => 0,
        }
    }
    assert!(longest_number_array(&value) < 16, "{json}");
    assert!(value["id"].is_string());
    println!(
        "an enrolled TOTP account with 10 recovery codes: {} bytes of JSON",
        json.len()
    );
    assert!(json.len() < 2_000, "{} bytes", json.len());
}
