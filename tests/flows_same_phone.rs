//! One phone is one factor (issue 13 item 1): an account cannot bind the
//! same phone number as a second SMS factor, however the number is
//! written, since a duplicate is no second device. Another number is
//! added; a factor replaced in place may keep its own number, never take
//! another factor's. Whole flows through the runner
//! (`mfa::run_blocking`) on a `MemoryStore`, with a simulated clock.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mfa::{
    Audit, Destination, Enrollment, FactorId, FactorName, FlowError, FlowPolicy, Flows,
    MemoryStore, OobKey, OobPolicy, PhoneNumber, Protection, Ran, RecoveryPolicy, Scenario,
    SmsFactor, SmsRecord, Store, Verification, Verified,
};

const T0: u64 = 1_700_000_010;
const ADA: &str = "ada";

type Accounts = MemoryStore<String, Protection<SmsRecord>>;

fn flows() -> Flows<SmsFactor> {
    let key = OobKey::generate().unwrap();
    let sms = SmsFactor::new(key.clone(), OobPolicy::default()).unwrap();
    let policy = FlowPolicy::builder()
        .recovery(
            RecoveryPolicy::builder()
                .iterations(RecoveryPolicy::MIN_ITERATIONS)
                .count(3)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    Flows::new(sms, key, policy).unwrap()
}

fn ok<S>(ran: Ran<S>) -> S {
    assert_eq!(ran.result, Ok(()));
    ran.state.unwrap()
}

/// The one code delivered in this run, and where to.
fn delivered<S>(ran: &Ran<S>) -> (Destination, String) {
    let d = ran.deliveries().next().expect("a code delivered");
    (d.destination().clone(), d.code().expose().to_owned())
}

fn load(store: &Accounts) -> Protection<SmsRecord> {
    store.load(&ADA.to_owned()).unwrap().unwrap()
}

fn id() -> String {
    ADA.to_owned()
}

/// Protection on with the phone `number` as its first factor (the
/// identity proved by e-mail at `now`).
fn enroll(store: &Accounts, flows: &Flows<SmsFactor>, number: &str, now: u64) {
    let email = Destination::email("ada@example.com").unwrap();
    let ran = mfa::run_blocking(store, &id(), |a| {
        Enrollment::start(
            flows,
            a,
            &[Scenario::LogOn],
            std::slice::from_ref(&email),
            &email,
            now,
        )
    });
    let (_, code) = delivered(&ran);
    let e = ok(ran);
    let e = ok(mfa::run_blocking(store, &id(), |a| {
        e.verify_identity(flows, a, &code, now)
    }));
    let phone = PhoneNumber::parse(number).unwrap();
    let ran = mfa::run_blocking(store, &id(), |a| e.setup(flows, a, &phone, now));
    let (_, code) = delivered(&ran);
    let e = ok(ran);
    assert!(
        ok(mfa::run_blocking(store, &id(), |a| e.confirm(
            flows,
            a,
            &[&code],
            now
        )))
        .is_done()
    );
}

/// A fresh check with the first factor, at `now`.
fn check(store: &Accounts, flows: &Flows<SmsFactor>, now: u64) -> Verified {
    let v = ok(mfa::run_blocking(store, &id(), |a| {
        Verification::step_up(flows, a, now)
    }));
    let ran = mfa::run_blocking(store, &id(), |a| v.send_code(flows, a, now));
    let (_, code) = delivered(&ran);
    let v = ok(ran);
    let v = ok(mfa::run_blocking(store, &id(), |a| {
        v.respond(flows, a, &code, now)
    }));
    v.verified().unwrap().clone()
}

/// Sets `number` up on enrollment `e` at `now`: the run, which either
/// sends a binding code or is refused.
fn set_up(
    store: &Accounts,
    flows: &Flows<SmsFactor>,
    e: &Enrollment,
    number: &str,
    now: u64,
) -> Ran<Enrollment> {
    let phone = PhoneNumber::parse(number).unwrap();
    mfa::run_blocking(store, &id(), |a| e.setup(flows, a, &phone, now))
}

/// The code the setup sent to `number`, typed back: the confirmation.
fn confirm(
    store: &Accounts,
    flows: &Flows<SmsFactor>,
    setup: Ran<Enrollment>,
    number: &str,
    now: u64,
) -> Ran<Enrollment> {
    let (to, code) = delivered(&setup);
    assert_eq!(to, Destination::sms(number).unwrap());
    let e = ok(setup);
    mfa::run_blocking(store, &id(), |a| e.confirm(flows, a, &[&code], now))
}

/// The same number, however written, is refused before any code is sent,
/// and nothing is written; the boundary: another number is added.
#[test]
fn the_same_phone_is_not_added_twice_another_is() {
    let store = Accounts::new();
    let flows = flows();
    enroll(&store, &flows, "+14155552671", T0);
    let a = *load(&store).factors()[0].id();

    let now = T0 + 60;
    let proof = check(&store, &flows, now);
    let name = FactorName::new("Second phone").unwrap();
    let add = ok(mfa::run_blocking(&store, &id(), |acc| {
        Enrollment::start_add(&flows, acc, &proof, &name, now)
    }));
    for same in ["+14155552671", "+1 415 555 2671", "+1 415-555-2671"] {
        let before = load(&store);
        let ran = set_up(&store, &flows, &add, same, now + 1);
        assert_eq!(
            ran.result,
            Err(FlowError::AlreadyBound { factor: a }),
            "{same}"
        );
        assert!(ran.effects.is_empty(), "no code sent to {same}");
        assert_eq!(load(&store), before, "nothing written");
    }
    let e = FlowError::AlreadyBound { factor: a };
    assert_eq!(
        e.for_user().to_string(),
        "This phone number or address is already one of your factors. Enter another."
    );

    // Another number, on the same enrollment: added.
    let ran = set_up(&store, &flows, &add, "+1 415 555 2672", now + 2);
    let ran = confirm(&store, &flows, ran, "+14155552672", now + 3);
    assert!(ok(ran).is_done());
    let account = load(&store);
    assert_eq!(account.factors().len(), 2);
    let phones: Vec<String> = account
        .factors()
        .iter()
        .map(|f| f.record().phone().to_string())
        .collect();
    assert_eq!(phones, ["+14155552671", "+14155552672"]);
}

/// A factor replaced in place may keep its own number (a new binding of
/// the same phone), but not take the number of another factor.
#[test]
fn a_change_keeps_its_own_number_never_another_factor_s() {
    let store = Accounts::new();
    let flows = flows();
    enroll(&store, &flows, "+14155552671", T0);
    let now = T0 + 60;
    let proof = check(&store, &flows, now);
    let name = FactorName::new("Work phone").unwrap();
    let add = ok(mfa::run_blocking(&store, &id(), |acc| {
        Enrollment::start_add(&flows, acc, &proof, &name, now)
    }));
    let ran = set_up(&store, &flows, &add, "+442079460958", now + 1);
    assert!(ok(confirm(&store, &flows, ran, "+442079460958", now + 2)).is_done());
    let account = load(&store);
    let ids: Vec<FactorId> = account.factors().iter().map(|f| *f.id()).collect();
    let (a, b) = (ids[0], ids[1]);

    // Replacing A by B's number: refused, B named.
    let now = T0 + 600;
    let proof = check(&store, &flows, now);
    let change = ok(mfa::run_blocking(&store, &id(), |acc| {
        Enrollment::start_change(&flows, acc, &a, &proof, now)
    }));
    let ran = set_up(&store, &flows, &change, "+44 20 7946 0958", now + 1);
    assert_eq!(ran.result, Err(FlowError::AlreadyBound { factor: b }));
    assert!(ran.effects.is_empty());

    // Replacing A by its own number: a new binding, allowed.
    let ran = set_up(&store, &flows, &change, "+1 415 555 2671", now + 2);
    let ran = confirm(&store, &flows, ran, "+14155552671", now + 3);
    assert_eq!(
        ran.audit().cloned().collect::<Vec<_>>(),
        [Audit::FactorChanged {
            factor: a,
            kind: "sms"
        }]
    );
    assert!(ok(ran).is_done());
    let account = load(&store);
    assert_eq!(account.factors().len(), 2);
    assert_eq!(
        account
            .factor_by_id(&a)
            .unwrap()
            .record()
            .phone()
            .to_string(),
        "+14155552671"
    );
}
