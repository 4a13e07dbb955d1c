//! The account-wide throttle (`FlowPolicy::account_throttle`): with several
//! factors, wrong codes count across all of them, so an attacker who knows
//! only the password gets no more guesses by switching factors (issue 13
//! item 1); the owner's successes reset it, so daily use of one factor
//! never adds backoff to another (django-otp #110). Whole flows through
//! the public API, on a simulated clock.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{Host, T0, enroll_totp, locking_after, policy, totp_flows};
use mfa::{
    Audit, Credential, Enrollment, Event, FactorId, FactorName, FlowError, Flows, OobKey, Refused,
    Scenario, Totp, TotpFactor, TotpRecord, Verification,
};

const DAY: u64 = 86_400;

/// The owner adds another app at `now`, after a step-up check with `app`
/// (the first one); returns the new app.
fn add_app(
    host: &mut Host<TotpRecord>,
    flows: &Flows<TotpFactor>,
    app: &Totp,
    name: &str,
    now: u64,
) -> Totp {
    let v = host.begin(Verification::step_up(flows, &host.account, now));
    let code = app.generate(now).unwrap().to_string();
    let (v, r) = host.step(&v, v.respond(flows, &host.account, &code, now));
    r.unwrap();
    let check = v.verified().unwrap().clone();
    let name = FactorName::new(name).unwrap();
    let e = host.begin(Enrollment::start_add(
        flows,
        &host.account,
        &check,
        &name,
        now,
    ));
    let (e, r) = host.step(&e, e.setup(flows, &host.account, &"ada".to_owned(), now));
    r.unwrap();
    let added = host.keys.last().unwrap().to_totp().unwrap();
    let code = added.generate(now).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(flows, &host.account, &[&code], now));
    r.unwrap();
    assert!(e.is_done());
    added
}

/// An account with `count` apps, the first enrolled at `T0`, each other
/// added a minute apart; returns the apps, in the account's order.
fn with_apps(host: &mut Host<TotpRecord>, flows: &Flows<TotpFactor>, count: usize) -> Vec<Totp> {
    let first = enroll_totp(host, flows, T0);
    let mut apps = vec![first.clone()];
    for i in 1..count {
        let now = T0 + 300 + 60 * i as u64;
        apps.push(add_app(host, flows, &first, &format!("App {i}"), now));
    }
    assert_eq!(host.account.factors().len(), count);
    apps
}

/// A code that none of `apps` accepts at `now`, nor reports as old.
fn wrong_for_all(apps: &[Totp], now: u64) -> String {
    let near: Vec<String> = apps
        .iter()
        .flat_map(|app| {
            let step = app.step_at(now).unwrap();
            let back = u64::from(app.config().resync());
            (step.saturating_sub(back)..=step + 3)
                .map(|s| app.generate_at_step(s).to_string())
                .collect::<Vec<_>>()
        })
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

/// A new check at `now`, switched to `factor`, answered with `code`.
fn try_code(
    host: &mut Host<TotpRecord>,
    flows: &Flows<TotpFactor>,
    factor: &FactorId,
    code: &str,
    now: u64,
) -> Result<(), FlowError> {
    let v = host.challenge(flows, Scenario::LogOn, now);
    let v = host.begin(v.choose(flows, &host.account, factor, now));
    host.step(&v, v.respond(flows, &host.account, code, now)).1
}

fn ids(host: &Host<TotpRecord>) -> Vec<FactorId> {
    host.account.factors().iter().map(|f| *f.id()).collect()
}

/// The attacker alternates between three factors, under the default
/// policies, waiting out every backoff: exactly `max_failures` (10) codes
/// are evaluated in all before every factor refuses, locked out until the
/// account's retry time (no factor reached its own lockout: 3 or 4
/// failures each). The lockout is notified once, and audited naming no
/// factor. At the retry time it heals: the owner's code is evaluated
/// again and passes. Before the account throttle, each factor took 10: 30.
#[test]
fn alternating_factors_get_max_failures_in_total() {
    let flows = totp_flows(policy());
    let max = flows.policy().account_throttle().max_failures();
    assert_eq!(max, 10);
    let mut host = Host::new();
    let apps = with_apps(&mut host, &flows, 3);
    let ids = ids(&host);
    let notices = host.notices.len();

    let mut now = T0 + 3_000;
    let mut evaluated = 0;
    let mut turn = 0;
    let until = loop {
        let id = &ids[turn % ids.len()];
        let wrong = wrong_for_all(&apps, now);
        match try_code(&mut host, &flows, id, &wrong, now) {
            Err(FlowError::Rejected) => {
                evaluated += 1;
                turn += 1;
            }
            Err(FlowError::Refused(Refused::Backoff { retry_at, .. })) => now = retry_at,
            Err(FlowError::Refused(Refused::LockedOut { retry_at, .. })) => break retry_at,
            other => panic!("{other:?}"),
        }
        assert!(evaluated <= 3 * max as usize, "no cap across factors");
    };
    assert_eq!(evaluated, max as usize, "max_failures in total");
    assert_eq!(until, host.account.throttle().retry_at());
    assert_eq!(until, now + 900, "the account's first lockout");
    for (id, app) in ids.iter().zip(&apps) {
        let factor = host.account.factor_by_id(id).unwrap();
        let own = factor.record().throttle();
        assert!(
            own.failures() < 5 && !own.is_locked_out(now),
            "not locked on its own"
        );
        // Every factor refuses, the owner's right code too.
        let right = app.generate(now).unwrap().to_string();
        assert_eq!(
            try_code(&mut host, &flows, id, &right, now + 1),
            Err(FlowError::Refused(Refused::LockedOut {
                retry_at: until,
                retry_after: until - now - 1,
            }))
        );
        assert_eq!(
            try_code(&mut host, &flows, id, &right, until - 1),
            Err(FlowError::Refused(Refused::LockedOut {
                retry_at: until,
                retry_after: 1,
            }))
        );
    }
    // Notified once, audited once, naming no factor: all of them.
    let locked: Vec<_> = host.notices[notices..]
        .iter()
        .filter(|(e, _)| matches!(e, Event::LockedOut { .. }))
        .collect();
    assert_eq!(
        locked,
        [&(
            Event::LockedOut {
                credential: Credential::Factor,
                until
            },
            now
        )]
    );
    let audited: Vec<_> = host
        .audit
        .iter()
        .filter(|a| matches!(a, Audit::LockedOut { .. }))
        .collect();
    assert_eq!(
        audited,
        [&Audit::LockedOut {
            credential: Credential::Factor,
            factor: None,
            until
        }]
    );

    // It heals at the account's retry time: the owner's code is evaluated
    // again, passes, and resets the account's failures.
    let right = apps[2].generate(until).unwrap().to_string();
    assert_eq!(try_code(&mut host, &flows, &ids[2], &right, until), Ok(()));
    assert_eq!(host.account.throttle().failures(), 0);
    assert_eq!(host.account.throttle().strikes(), 1, "strikes stay");
}

/// django-otp #110: the owner logs on every day for a year with factor A,
/// a typo first, then the right code. Each success resets the account's
/// failures, so none of it piles up: a wrong code on factor B afterwards
/// is treated as a first failure (a forgiven typo: the next code is
/// evaluated at once), and B's right code passes. Without the reset, the
/// 365 typos would have locked every factor.
#[test]
fn a_year_of_successes_on_one_factor_adds_no_backoff_to_another() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let apps = with_apps(&mut host, &flows, 2);
    let ids = ids(&host);
    let start = T0 + DAY;
    for day in 0..365 {
        let now = start + day * DAY;
        let wrong = wrong_for_all(&apps, now);
        assert_eq!(
            try_code(&mut host, &flows, &ids[0], &wrong, now),
            Err(FlowError::Rejected),
            "day {day}"
        );
        let right = apps[0].generate(now + 30).unwrap().to_string();
        assert_eq!(
            try_code(&mut host, &flows, &ids[0], &right, now + 30),
            Ok(()),
            "day {day}"
        );
    }
    assert_eq!(host.account.throttle().failures(), 0);
    let now = start + 365 * DAY;
    let wrong = wrong_for_all(&apps, now);
    assert_eq!(
        try_code(&mut host, &flows, &ids[1], &wrong, now),
        Err(FlowError::Rejected)
    );
    // No wait after it, as after a first failure.
    let first_wait = flows.policy().account_throttle().wait_after(1);
    assert_eq!(first_wait, 0);
    assert_eq!(host.account.throttle().failures(), 1);
    assert_eq!(host.account.throttle().retry_at(), now, "no wait");
    assert!(host.account.throttle().check(now).is_ok());
    let right = apps[1].generate(now).unwrap().to_string();
    assert_eq!(try_code(&mut host, &flows, &ids[1], &right, now), Ok(()));
}

/// Recovery codes keep their own throttle: one passes while the account
/// throttle locks every factor, and lifts that lockout (its failures
/// reset, as after a factor's success).
#[test]
fn a_recovery_code_passes_while_the_account_is_locked_out() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let apps = with_apps(&mut host, &flows, 2);
    let ids = ids(&host);
    let recovery = host.recovery_codes.clone();
    let mut now = T0 + 3_000;
    let mut turn = 0;
    while !host.account.throttle().is_locked_out(now) {
        let wrong = wrong_for_all(&apps, now);
        match try_code(&mut host, &flows, &ids[turn % 2], &wrong, now) {
            Err(FlowError::Rejected) => turn += 1,
            Err(FlowError::Refused(Refused::Backoff { retry_at, .. })) => now = retry_at,
            other => panic!("{other:?}"),
        }
    }
    assert!(
        host.account
            .factors()
            .iter()
            .all(|f| !f.record().throttle().is_locked_out(now)),
        "only the account throttle is locked"
    );
    let right = apps[0].generate(now).unwrap().to_string();
    assert!(matches!(
        try_code(&mut host, &flows, &ids[0], &right, now),
        Err(FlowError::Refused(Refused::LockedOut { .. }))
    ));

    let v = host.challenge(&flows, Scenario::LogOn, now);
    let (v, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &recovery[0], now),
    );
    assert_eq!(r, Ok(()));
    assert!(v.verified().is_some_and(|proof| proof.by_recovery_code()));
    assert!(!host.account.throttle().is_locked_out(now));
    assert_eq!(host.account.throttle().failures(), 0);
    // The factors are evaluated again at once.
    let right = apps[1].generate(now + 30).unwrap().to_string();
    assert_eq!(
        try_code(&mut host, &flows, &ids[1], &right, now + 30),
        Ok(())
    );
}

/// With one factor nothing changes: its own throttle is the only one, even
/// when it is looser than the account's (20 wrong codes in a row, all
/// evaluated, under a factor policy that locks after 100).
#[test]
fn one_factor_keeps_its_own_throttle() {
    let loose = locking_after(100);
    let flows = Flows::new(
        TotpFactor::new("Example Co")
            .unwrap()
            .with_throttle_policy(loose)
            .unwrap(),
        OobKey::generate().unwrap(),
        policy(),
    )
    .unwrap();
    let mut host = Host::new();
    let apps = with_apps(&mut host, &flows, 1);
    let id = ids(&host)[0];
    let now = T0 + 3_000;
    for n in 0..20 {
        let wrong = wrong_for_all(&apps, now);
        assert_eq!(
            try_code(&mut host, &flows, &id, &wrong, now),
            Err(FlowError::Rejected),
            "guess {n}"
        );
    }
    assert!(
        !host
            .notices
            .iter()
            .any(|(e, _)| matches!(e, Event::LockedOut { .. }))
    );
}

/// What an attacker who knows only the password gets in a simulated year
/// against an account with `count` apps, under the default policies:
/// each guess on the next app in turn, as fast as the flows allow,
/// waiting out every backoff and lockout, while the owner logs on once a
/// day with the first app (or a recovery code while it is refused).
/// Returns the wrong codes evaluated in the first day and in the year.
fn guesses_in_a_year(count: usize) -> (u64, u64) {
    const YEAR: u64 = 365 * DAY;
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let apps = with_apps(&mut host, &flows, count);
    let ids = ids(&host);
    let start = T0 + 3_600;
    let (mut now, mut owner_at) = (start, start + DAY / 2);
    let (mut first_day, mut year, mut turn) = (0, 0, 0);
    while now < start + YEAR {
        if now >= owner_at {
            owner_at += DAY;
            let at = now + 30;
            let v = host.challenge(&flows, Scenario::LogOn, at);
            let code = apps[0].generate(at).unwrap().to_string();
            let (_, r) = host.step(&v, v.respond(&flows, &host.account, &code, at));
            if r.is_err() {
                let code = host.recovery_codes.remove(0);
                let (passed, r) =
                    host.step(&v, v.respond_recovery(&flows, &host.account, &code, at));
                r.unwrap();
                if host.recovery_codes.is_empty() {
                    let proof = passed.verified().unwrap().clone();
                    let t = host.account.regenerate_recovery_codes(&flows, &proof, at);
                    host.run(t).unwrap();
                }
            }
            now = at + 1;
            continue;
        }
        let v = host.challenge(&flows, Scenario::LogOn, now);
        let (v, r) = host.step(&v, v.choose(&flows, &host.account, &ids[turn % count], now));
        turn += 1;
        let r = r.and_then(|()| {
            let wrong = wrong_for_all(&apps, now);
            host.step(&v, v.respond(&flows, &host.account, &wrong, now))
                .1
        });
        match r {
            Err(FlowError::Rejected) => {
                year += 1;
                if now < start + DAY {
                    first_day += 1;
                }
                now += 1;
            }
            Err(FlowError::Refused(refused)) => now = refused.retry_at().min(owner_at).max(now + 1),
            other => panic!("a wrong code answered {other:?}"),
        }
    }
    (first_day, year)
}

/// Over a year, three apps give the guesser no more than one app does:
/// the account throttle's runs and lockouts are shared by all the
/// factors, and the owner's daily success resets the account's failures
/// as it resets one factor's.
#[test]
fn a_year_of_guesses_across_three_apps_is_one_apps_budget() {
    let one = guesses_in_a_year(1);
    let three = guesses_in_a_year(3);
    println!("wrong codes evaluated (first day, year): one app {one:?}, three apps {three:?}");
    assert!(three.0 <= one.0, "first day: {three:?} against {one:?}");
    assert!(three.1 <= one.1, "year: {three:?} against {one:?}");
    // Without the account throttle each app had its own runs: (51, 2,238)
    // for three, checked by disabling it. The simulation must see guesses
    // at all.
    assert!(one.1 > 365, "{one:?}");
}

/// Records and policies stored before the account throttle existed still
/// read: the account's starts fresh, the policy's is the default.
#[cfg(feature = "serde")]
#[test]
fn stored_records_without_the_account_throttle_still_read() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    with_apps(&mut host, &flows, 2);
    let mut value = serde_json::to_value(&host.account).unwrap();
    assert!(value["throttle"].is_object());
    value.as_object_mut().unwrap().remove("throttle");
    let read: mfa::Protection<TotpRecord> = serde_json::from_value(value).unwrap();
    assert_eq!(*read.throttle(), mfa::Throttle::default());
    assert_eq!(read.factors(), host.account.factors());

    let mut value = serde_json::to_value(flows.policy()).unwrap();
    value.as_object_mut().unwrap().remove("account_throttle");
    let read: mfa::FlowPolicy = serde_json::from_value(value).unwrap();
    assert_eq!(read, *flows.policy());
    // A stored policy out of range is refused.
    let mut value = serde_json::to_value(flows.policy()).unwrap();
    value["account_throttle"]["max_failures"] = 0.into();
    assert!(serde_json::from_value::<mfa::FlowPolicy>(value).is_err());
}
