//! Adversarial review of issue 13, second pass: what an attacker who knows
//! only the password can do with the lifecycle API, through the public
//! API with a simulated clock.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{
    Host, T0, enroll_sms, enroll_totp, locking_after, policy, sms_flows, wrong_totp,
};
use mfa::{
    Credential, Enrollment, FactorName, FlowError, Flows, OobKey, Scenario, TotpFactor,
    Verification,
};

/// A challenge that has expired sends no text: `send_code`, like
/// `respond` and `choose`, answers `Expired`. Before the fix a stale
/// challenge state (kept in a session for days) still texted the phone.
#[test]
fn an_expired_challenge_sends_no_text() {
    let flows = sms_flows(policy());
    let mut host = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let now = T0 + 1_000;
    let v = host.challenge(&flows, Scenario::LogOn, now);
    let texts = host.inbox.len();
    let later = now + flows.policy().pending_ttl();
    let (_, r) = host.step(&v, v.send_code(&flows, &host.account, later));
    assert_eq!(r, Err(FlowError::Expired));
    assert_eq!(host.inbox.len(), texts, "no text from a stale challenge");
    // Within its lifetime it still sends.
    let (_, r) = host.step(&v, v.send_code(&flows, &host.account, later - 1));
    assert_eq!(r, Ok(()));
    assert_eq!(host.inbox.len(), texts + 1);
}

/// Finding (fixed): each factor keeps its own throttle (issue 13 item 1,
/// django-otp #110), and `choose` lets whoever holds the password pick
/// any factor, so the wrong codes evaluated before the account was
/// locked grew with the number of factors: `max_failures` per factor,
/// times up to `MAX_FACTORS`. The account throttle
/// (`FlowPolicy::account_throttle`) caps them across factors: the second
/// factor refuses at once, until the account's retry time.
#[test]
fn guesses_before_lockout_do_not_grow_with_the_factors() {
    let throttle = locking_after(3);
    let flows = Flows::new(
        TotpFactor::new("Example Co")
            .unwrap()
            .with_throttle_policy(throttle)
            .unwrap(),
        OobKey::generate().unwrap(),
        policy()
            .to_builder()
            .account_throttle(throttle)
            .build()
            .unwrap(),
    )
    .unwrap();
    let mut host = Host::new();
    let app = enroll_totp(&mut host, &flows, T0);
    // The owner adds a second app.
    let now = T0 + 300;
    let v = host.begin(Verification::step_up(&flows, &host.account, now));
    let code = app.generate(now).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &code, now));
    r.unwrap();
    let check = v.verified().unwrap().clone();
    let name = FactorName::new("Tablet").unwrap();
    let e = host.begin(Enrollment::start_add(
        &flows,
        &host.account,
        &check,
        &name,
        now,
    ));
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &"ada".to_owned(), now));
    r.unwrap();
    let tablet = host.keys.last().unwrap().to_totp().unwrap();
    let code = tablet.generate(now).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], now));
    r.unwrap();
    assert!(e.is_done());
    let ids: Vec<_> = host.account.factors().iter().map(|f| *f.id()).collect();
    assert_eq!(ids.len(), 2);

    // The attacker, with the password only.
    let at = T0 + 3_000;
    let mut evaluated = 0;
    let mut refusals = Vec::new();
    for id in &ids {
        let v = host.challenge(&flows, Scenario::LogOn, at);
        let v = host.begin(v.choose(&flows, &host.account, id, at));
        loop {
            let wrong = wrong_totp(&app, at);
            let wrong = if wrong == tablet.generate(at).unwrap().to_string() {
                wrong_totp(&tablet, at)
            } else {
                wrong
            };
            match host
                .step(&v, v.respond(&flows, &host.account, &wrong, at))
                .1
            {
                Err(FlowError::Rejected) => evaluated += 1,
                Err(FlowError::Refused(r)) => {
                    refusals.push(r);
                    break;
                }
                other => panic!("{other:?}"),
            }
        }
    }
    assert_eq!(evaluated, 3, "max_failures for the account, not per factor");
    // Both factors refuse, until the account's retry time.
    let until = host.account.throttle().retry_at();
    assert_eq!(until, at + 900);
    assert!(
        refusals
            .iter()
            .all(|r| matches!(r, mfa::Refused::LockedOut { retry_at, .. } if *retry_at == until)),
        "{refusals:?}"
    );
    assert_eq!(refusals.len(), ids.len());
    let locks = host
        .audit
        .iter()
        .filter(|a| {
            matches!(
                a,
                mfa::Audit::LockedOut {
                    credential: Credential::Factor,
                    ..
                }
            )
        })
        .count();
    assert_eq!(locks, 1, "one lockout, notified once");
}
