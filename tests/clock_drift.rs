//! Issue 13 item 7, clock drift said to the user (Moodle tool_mfa PR
//! #163): through the runner and the in-memory store, with a simulated
//! clock, a TOTP code of a step behind the window, up to the
//! resynchronisation range, is refused as [`FlowError::ClockBehind`]
//! ("this code looks old"); one step further, or any step ahead, is only
//! [`FlowError::Rejected`]. A drift report is a rejection: counted, towards
//! the lockout too, and it consumes no step and records no drift.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_possible_wrap,
    clippy::cast_sign_loss
)]

use mfa::{
    Destination, Effect, Enrollment, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey,
    Protection, Refused, Scenario, Store, ThrottlePolicy, Totp, TotpFactor, TotpRecord,
    Verification,
};

type Accounts = MemoryStore<String, Protection<TotpRecord>>;

/// When Ada enrolled.
const ENROLLED: u64 = 1_700_000_010;
/// The default window (one step behind) and resynchronisation range.
const BEHIND: i64 = 1;
const RESYNC: i64 = 120;

fn flows(throttle: ThrottlePolicy) -> Flows<TotpFactor> {
    let factor = TotpFactor::new("Example Co")
        .unwrap()
        .with_throttle_policy(throttle)
        .unwrap();
    Flows::new(factor, OobKey::generate().unwrap(), FlowPolicy::default()).unwrap()
}

/// The code the runner delivered among `effects`.
fn delivered(effects: &[Effect]) -> String {
    effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Deliver(d) => Some(d.code().expose().to_owned()),
            _ => None,
        })
        .expect("a code was delivered")
}

/// Enrolls `id`'s authenticator app at `ENROLLED`, through the runner;
/// returns the app.
fn enroll(store: &Accounts, flows: &Flows<TotpFactor>, id: &String) -> Totp {
    let email = Destination::email("ada@example.com").unwrap();
    let ran = mfa::run_blocking(store, id, |account| {
        Enrollment::start(
            flows,
            account,
            &[Scenario::LogOn],
            std::slice::from_ref(&email),
            &email,
            ENROLLED,
        )
    });
    let code = delivered(&ran.effects);
    let e = ran.state.unwrap();
    let ran = mfa::run_blocking(store, id, |account| {
        e.verify_identity(flows, account, &code, ENROLLED)
    });
    let e = ran.state.unwrap();
    let name = String::from("ada@example.com");
    let ran = mfa::run_blocking(store, id, |account| {
        e.setup(flows, account, &name, ENROLLED)
    });
    let totp = ran.key().unwrap().to_totp().unwrap();
    let e = ran.state.unwrap();
    let code = totp.generate(ENROLLED).unwrap().to_string();
    let ran = mfa::run_blocking(store, id, |account| {
        e.confirm(flows, account, &[&code], ENROLLED)
    });
    ran.result.unwrap();
    totp
}

/// Setting the app up on a phone whose clock is five minutes behind: its
/// first code is said to be old, so the user can fix the clock before
/// trying again; the fixed phone's code turns protection on.
#[test]
fn a_slow_phone_is_told_so_while_setting_the_app_up() {
    let flows = flows(ThrottlePolicy::default());
    let store = Accounts::new();
    let id = String::from("ada");
    let email = Destination::email("ada@example.com").unwrap();
    let now = ENROLLED;
    let ran = mfa::run_blocking(&store, &id, |account| {
        let contacts = std::slice::from_ref(&email);
        Enrollment::start(&flows, account, &[Scenario::LogOn], contacts, &email, now)
    });
    let code = delivered(&ran.effects);
    let e = ran.state.unwrap();
    let e = mfa::run_blocking(&store, &id, |a| e.verify_identity(&flows, a, &code, now))
        .state
        .unwrap();
    let name = String::from("ada@example.com");
    let ran = mfa::run_blocking(&store, &id, |a| e.setup(&flows, a, &name, now));
    let (totp, e) = (ran.key().unwrap().to_totp().unwrap(), ran.state.unwrap());
    let slow = totp.generate(now - 300).unwrap().to_string();
    let ran = mfa::run_blocking(&store, &id, |a| e.confirm(&flows, a, &[&slow], now));
    assert_eq!(ran.result, Err(FlowError::ClockBehind));
    assert!(!store.load(&id).unwrap().unwrap().is_on());
    let fixed = totp.generate(now + 1).unwrap().to_string();
    let ran = mfa::run_blocking(&store, &id, |a| e.confirm(&flows, a, &[&fixed], now + 1));
    ran.result.unwrap();
    assert!(store.load(&id).unwrap().unwrap().is_on());
}

/// A log-on check of `id` at `now`, answered with the code of the step
/// `offset` steps from now's: the result, and the notices.
fn answer(
    store: &Accounts,
    flows: &Flows<TotpFactor>,
    id: &String,
    totp: &Totp,
    now: u64,
    offset: i64,
) -> (Result<(), FlowError>, Vec<Event>) {
    let ran = mfa::run_blocking(store, id, |account| {
        Verification::start(flows, account, Scenario::LogOn, None, now)
    });
    let check = ran.state.unwrap();
    let step = (totp.step_at(now).unwrap() as i64 + offset) as u64;
    let code = totp.generate_at_step(step).to_string();
    let ran = mfa::run_blocking(store, id, |account| {
        check.respond(flows, account, &code, now)
    });
    let notices = ran.notices().map(|(event, _)| event).collect();
    (ran.result, notices)
}

fn factor(store: &Accounts, id: &String) -> TotpRecord {
    store.load(id).unwrap().unwrap().factor().unwrap().clone()
}

/// A time well after enrollment at which the codes of the steps `offsets`
/// from now's are each unlike the code of every other step within the
/// resynchronisation range and one step past it, either way: so that each
/// probe hits its own step only. (A key repeats a 6-digit code within
/// about a million steps; a probe that met its double would test nothing.)
fn unambiguous_time(totp: &Totp, offsets: &[i64]) -> u64 {
    (0..1_000u64)
        .map(|i| ENROLLED + 10_000 + 30 * i)
        .find(|&now| {
            let step = totp.step_at(now).unwrap() as i64;
            offsets.iter().all(|&offset| {
                let code = totp.generate_at_step((step + offset) as u64);
                (-RESYNC - 1..=RESYNC + 1)
                    .filter(|&other| other != offset)
                    .all(|other| totp.generate_at_step((step + other) as u64) != code)
            })
        })
        .expect("a time without coincident codes")
}

/// The boundaries, each on a fresh account: one step behind the window
/// and at the resynchronisation range's edge, "looks old"; one step beyond
/// the range, and ahead of the window at either distance, plain wrong. A
/// drift report is counted, consumes no step and records no drift; the
/// window's own edge is still accepted, and its drift recorded for the
/// host to read.
#[test]
fn old_codes_are_said_to_be_old_up_to_the_resync_range_and_future_codes_are_wrong() {
    let flows = flows(ThrottlePolicy::default());
    let store = Accounts::new();
    let cases: [(&str, i64, Option<FlowError>); 6] = [
        (
            "one step behind the window",
            -BEHIND - 1,
            Some(FlowError::ClockBehind),
        ),
        (
            "at the resync range's edge",
            -RESYNC,
            Some(FlowError::ClockBehind),
        ),
        (
            "one step beyond the resync range",
            -RESYNC - 1,
            Some(FlowError::Rejected),
        ),
        ("one step ahead of the window", 2, Some(FlowError::Rejected)),
        (
            "at the resync range ahead",
            RESYNC,
            Some(FlowError::Rejected),
        ),
        ("the window's oldest step", -BEHIND, None),
    ];
    let offsets: Vec<i64> = cases.iter().map(|(_, offset, _)| *offset).collect();
    for (name, offset, expected) in cases {
        let id = format!("ada, {name}");
        let totp = enroll(&store, &flows, &id);
        let now = unambiguous_time(&totp, &offsets);
        let before = factor(&store, &id);
        let (result, _) = answer(&store, &flows, &id, &totp, now, offset);
        let after = factor(&store, &id);
        match expected {
            Some(e) => {
                assert_eq!(result, Err(e.clone()), "{name}");
                assert_eq!(after.throttle().failures(), 1, "{name}: counted");
                assert_eq!(
                    after.last_step(),
                    before.last_step(),
                    "{name}: no step consumed"
                );
                assert_eq!(after.drift(), 0, "{name}: no drift recorded");
                if e == FlowError::ClockBehind {
                    assert_eq!(
                        e.for_user().to_string(),
                        "This code looks old. Check your phone's time."
                    );
                }
                // Nothing was used up: the app's current code still passes.
                let (result, _) = answer(&store, &flows, &id, &totp, now, 0);
                assert_eq!(result, Ok(()), "{name}: the current code");
            }
            None => {
                assert_eq!(result, Ok(()), "{name}");
                assert_eq!(after.drift(), -BEHIND, "{name}: the drift, for the host");
            }
        }
    }
}

/// Drift reports are failures like any other: the policy's third locks
/// the app out (and the owner is told), after which even the right code
/// is refused unevaluated.
#[test]
fn drift_reports_count_towards_the_lockout() {
    let throttle = ThrottlePolicy::builder()
        .free_failures(0)
        .initial_delay(0)
        .max_failures(3)
        .build()
        .unwrap();
    let flows = flows(throttle);
    let store = Accounts::new();
    let id = String::from("ada");
    let totp = enroll(&store, &flows, &id);
    let now = unambiguous_time(&totp, &[-2, -3, -4]);
    for (i, offset) in [-2, -3, -4].into_iter().enumerate() {
        let (result, notices) = answer(&store, &flows, &id, &totp, now, offset);
        assert_eq!(result, Err(FlowError::ClockBehind), "report {i}");
        let locked = notices
            .iter()
            .any(|event| matches!(event, Event::LockedOut { .. }));
        assert_eq!(locked, i == 2, "report {i}");
    }
    assert_eq!(factor(&store, &id).throttle().failures(), 3);
    let (result, _) = answer(&store, &flows, &id, &totp, now, 0);
    assert!(
        matches!(result, Err(FlowError::Refused(Refused::LockedOut { .. }))),
        "{result:?}"
    );
}
