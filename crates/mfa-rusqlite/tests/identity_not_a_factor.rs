//! Issue 13 item 5, an identity code is never a factor (Ory Kratos #4317),
//! on a real store: a `RusqliteStore` on a database file, every step
//! through `mfa::run_blocking` on a simulated clock, every count read back
//! from the file. An identity code in flight to the very phone that is
//! the account's SMS factor is refused as the factor's answer (counted
//! against the factor) and as a recovery code; proving one's identity
//! lifts neither the factor's lockout nor the recovery codes'.

#![allow(
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mfa::{
    Destination, Enrollment, FlowError, FlowPolicy, Flows, OobKey, OobPolicy, PhoneNumber,
    Protection, Ran, RecoveryPolicy, Refused, Scenario, SmsFactor, SmsRecord, Store,
    ThrottlePolicy, Verification,
};
use mfa_rusqlite::RusqliteStore;

mod common;

use common::open;

const T0: u64 = 1_700_000_010;
const ADA: &str = "ada";
const ALL: &[Scenario] = &[Scenario::LogOn, Scenario::CriticalOperation];

/// Locks after `max` failures, with no backoff before.
fn locking_after(max: u32) -> ThrottlePolicy {
    ThrottlePolicy::builder()
        .free_failures(0)
        .initial_delay(0)
        .max_failures(max)
        .build()
        .expect("a policy")
}

/// SMS flows whose factor locks after 3 failures and whose recovery codes
/// after 2; one key for the SMS codes and the identity codes, as the
/// examples do.
fn sms_flows() -> Flows<SmsFactor> {
    let key = OobKey::from_bytes(&[7; 32]).expect("a key");
    let oob = OobPolicy::builder()
        .throttle(locking_after(3))
        .build()
        .expect("a policy");
    let sms = SmsFactor::new(key.clone(), oob).expect("a factor");
    let recovery = RecoveryPolicy::builder()
        .iterations(RecoveryPolicy::MIN_ITERATIONS)
        .count(3)
        .throttle(locking_after(2))
        .build()
        .expect("a policy");
    // Identity and binding codes lock after 3 failures too.
    let identity = OobPolicy::builder()
        .throttle(locking_after(3))
        .build()
        .expect("a policy");
    let policy = FlowPolicy::builder()
        .recovery(recovery)
        .identity(identity)
        .build()
        .expect("a policy");
    Flows::new(sms, key, policy).expect("flows")
}

fn email() -> Destination {
    Destination::email("ada@example.com").expect("an address")
}

fn phone() -> Destination {
    Destination::sms("+1 415 555 2671").expect("a number")
}

fn ok<S>(ran: Ran<S>) -> S {
    assert_eq!(ran.result, Ok(()));
    ran.state.expect("a state")
}

/// The code delivered to `to` in this run.
fn code_to<S>(ran: &Ran<S>, to: &Destination) -> String {
    ran.deliveries()
        .find(|d| d.destination() == to)
        .expect("a code delivered")
        .code()
        .expose()
        .to_owned()
}

fn load(store: &RusqliteStore) -> Protection<SmsRecord> {
    Store::load(store, ADA).expect("loads").expect("stored")
}

fn locked(r: &Result<(), FlowError>) -> bool {
    matches!(r, Err(FlowError::Refused(Refused::LockedOut { .. })))
}

/// Two tabs: `a` proves the identity by the phone at `t`, `b` by e-mail
/// at `t + 60` (its code replaces `a`'s), proved at `t + 61`; at `t + 120`
/// tab `a` asks for its code again. Returns both tabs, `b` waiting for the
/// setup, and `a`'s identity code, in flight to the phone.
fn two_tabs(
    store: &RusqliteStore,
    flows: &Flows<SmsFactor>,
    t: u64,
) -> (Enrollment, Enrollment, String) {
    let contacts = [email(), phone()];
    let a = ok(mfa::run_blocking(store, ADA, |acc| {
        Enrollment::start(flows, acc, ALL, &contacts, &phone(), t)
    }));
    let ran = mfa::run_blocking(store, ADA, |acc| {
        Enrollment::start(flows, acc, ALL, &contacts, &email(), t + 60)
    });
    let code = code_to(&ran, &email());
    let b = ok(ran);
    let b = ok(mfa::run_blocking(store, ADA, |acc| {
        b.verify_identity(flows, acc, &code, t + 61)
    }));
    let ran = mfa::run_blocking(store, ADA, |acc| a.resend_identity(flows, acc, t + 120));
    let identity_code = code_to(&ran, &phone());
    (ok(ran), b, identity_code)
}

/// The account in the state of the in-memory proof: two tabs, `a`
/// proving the identity by the phone, `b` by e-mail; `b` binds the phone
/// and turns protection on, while `a`'s second identity code (sent to that
/// same phone) is still in flight. Returns tab `a`, that identity code and
/// the recovery codes shown.
fn bound_phone_with_identity_code_in_flight(
    store: &RusqliteStore,
    flows: &Flows<SmsFactor>,
    t: u64,
) -> (Enrollment, String, Vec<String>) {
    let (a, b, identity_code) = two_tabs(store, flows, t);
    let number = PhoneNumber::parse("+1 415 555 2671").expect("a number");
    let ran = mfa::run_blocking(store, ADA, |acc| b.setup(flows, acc, &number, t + 121));
    let binding_code = code_to(&ran, &phone());
    let b = ok(ran);
    let ran = mfa::run_blocking(store, ADA, |acc| {
        b.confirm(flows, acc, &[&binding_code], t + 122)
    });
    let recovery_codes = ran
        .recovery_codes()
        .expect("recovery codes shown")
        .iter()
        .map(|c| c.expose().to_owned())
        .collect();
    assert!(ok(ran).is_done());
    let account = load(store);
    assert!(account.is_on());
    assert!(
        account.identity().pending().is_some(),
        "the identity code to the bound phone is still in flight"
    );
    (a, identity_code, recovery_codes)
}

#[test]
fn an_identity_code_to_the_bound_phone_is_refused_as_the_factor_s_answer_on_a_database_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(&dir.path().join("mfa.db"));
    let flows = sms_flows();
    let t = T0;
    let (_, identity_code, _) = bound_phone_with_identity_code_in_flight(&store, &flows, t);

    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        Verification::start(&flows, acc, Scenario::LogOn, None, t + 130)
    }));
    let ran = mfa::run_blocking(&store, ADA, |acc| v.send_code(&flows, acc, t + 130));
    let factor_code = code_to(&ran, &phone());
    let v = ok(ran);
    assert_ne!(
        factor_code, identity_code,
        "two codes drawn alike (1 in a million)"
    );

    let ran = mfa::run_blocking(&store, ADA, |acc| {
        v.respond(&flows, acc, &identity_code, t + 131)
    });
    assert_eq!(ran.result, Err(FlowError::Rejected));
    let failures = |store: &RusqliteStore| {
        load(store)
            .factor()
            .expect("a factor")
            .oob()
            .throttle()
            .failures()
    };
    assert_eq!(failures(&store), 1, "counted against the factor");
    let ran = mfa::run_blocking(&store, ADA, |acc| {
        v.respond_recovery(&flows, acc, &identity_code, t + 132)
    });
    assert!(ran.result.is_err(), "{:?}", ran.result);
    // Nothing consumed the identity code.
    assert!(load(&store).identity().pending().is_some());

    let passed = ok(mfa::run_blocking(&store, ADA, |acc| {
        v.respond(&flows, acc, &factor_code, t + 133)
    }));
    assert!(
        passed
            .verified()
            .is_some_and(|proof| !proof.by_recovery_code())
    );
    assert_eq!(failures(&store), 0);
}

#[test]
fn no_identity_code_lifts_the_sms_factor_s_or_the_recovery_codes_lockout_on_a_database_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(&dir.path().join("mfa.db"));
    let flows = sms_flows();
    let t = T0;
    let (a, identity_code, recovery_codes) =
        bound_phone_with_identity_code_in_flight(&store, &flows, t);

    // Within the identity code's lifetime (5 minutes from `t + 120`).
    let now = t + 150;
    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        Verification::start(&flows, acc, Scenario::LogOn, None, now)
    }));
    let ran = mfa::run_blocking(&store, ADA, |acc| v.send_code(&flows, acc, now));
    let factor_code = code_to(&ran, &phone());
    let v = ok(ran);
    let wrong = format!(
        "{:06}",
        (factor_code.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    for _ in 0..3 {
        let ran = mfa::run_blocking(&store, ADA, |acc| v.respond(&flows, acc, &wrong, now));
        assert_eq!(ran.result, Err(FlowError::Rejected));
    }
    for _ in 0..2 {
        let ran = mfa::run_blocking(&store, ADA, |acc| {
            v.respond_recovery(&flows, acc, "AAAA-AAAA-AAAA-AAAA", now)
        });
        assert_eq!(ran.result, Err(FlowError::Rejected));
    }
    let both_locked = |at: u64| {
        let account = load(&store);
        assert!(
            account
                .factor()
                .expect("a factor")
                .oob()
                .throttle()
                .is_locked_out(at)
        );
        let ran = mfa::run_blocking(&store, ADA, |acc| v.respond(&flows, acc, &factor_code, at));
        assert!(locked(&ran.result), "the phone: {:?}", ran.result);
        let ran = mfa::run_blocking(&store, ADA, |acc| {
            v.respond_recovery(&flows, acc, &recovery_codes[0], at)
        });
        assert!(locked(&ran.result), "the recovery codes: {:?}", ran.result);
    };
    both_locked(now + 1);

    // No new identity check opens: protection is on.
    let ran = mfa::run_blocking(&store, ADA, |acc| {
        Enrollment::start(&flows, acc, ALL, &[email()], &email(), now + 2)
    });
    assert_eq!(ran.result, Err(FlowError::AlreadyProtected));
    // The identity code in flight, to the very phone, is refused: that
    // enrollment is over.
    let ran = mfa::run_blocking(&store, ADA, |acc| {
        a.verify_identity(&flows, acc, &identity_code, now + 3)
    });
    assert!(ran.result.is_err(), "{:?}", ran.result);
    both_locked(now + 4);
}

/// The phone being bound is locked out by wrong binding codes; in another
/// tab the user proves their identity, by a code to that very phone. The
/// identity check passes and is written, but the phone stays locked: even
/// its right binding code is refused.
#[test]
fn proving_identity_does_not_lift_the_lockout_of_the_phone_being_bound_on_a_database_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(&dir.path().join("mfa.db"));
    let flows = sms_flows();
    let t = T0;
    let (a, b, identity_code) = two_tabs(&store, &flows, t);
    let number = PhoneNumber::parse("+1 415 555 2671").expect("a number");
    let ran = mfa::run_blocking(&store, ADA, |acc| b.setup(&flows, acc, &number, t + 121));
    let binding_code = code_to(&ran, &phone());
    let b = ok(ran);
    assert_ne!(
        binding_code, identity_code,
        "two codes drawn alike (1 in a million)"
    );
    let wrong = format!(
        "{:06}",
        (binding_code.parse::<u32>().expect("digits") + 1) % 1_000_000
    );
    for _ in 0..3 {
        let ran = mfa::run_blocking(&store, ADA, |acc| {
            b.confirm(&flows, acc, &[&wrong], t + 122)
        });
        assert_eq!(ran.result, Err(FlowError::Rejected));
    }
    let ran = mfa::run_blocking(&store, ADA, |acc| {
        b.confirm(&flows, acc, &[&binding_code], t + 123)
    });
    assert!(locked(&ran.result), "{:?}", ran.result);

    let a = ok(mfa::run_blocking(&store, ADA, |acc| {
        a.verify_identity(&flows, acc, &identity_code, t + 124)
    }));
    assert!(matches!(a.awaiting(), mfa::Awaiting::Setup { .. }));
    assert!(load(&store).binding().throttle().is_locked_out(t + 125));
    let ran = mfa::run_blocking(&store, ADA, |acc| {
        b.confirm(&flows, acc, &[&binding_code], t + 125)
    });
    assert!(locked(&ran.result), "{:?}", ran.result);
    assert!(!load(&store).is_on());
}
