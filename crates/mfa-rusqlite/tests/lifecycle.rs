//! The life of an account with several factors on a real store: a
//! `RusqliteStore` on a database file, sealed at rest, every step through
//! `mfa::run_blocking` and read back from the file (issue 13, items 1, 3
//! and 4).

#![allow(clippy::expect_used, clippy::indexing_slicing)]

use mfa::{
    AdminId, Audit, Destination, Enrollment, Event, FactorName, FlowError, Flows, Protection, Ran,
    Reason, Scenario, Store, Totp, TotpFactor, TotpRecord, Verification,
};
use mfa_rusqlite::RusqliteStore;

mod common;

use common::{flows, open};

const T0: u64 = 1_700_000_010;
const ADA: &str = "ada";

fn ok<S>(ran: Ran<S>) -> S {
    assert_eq!(ran.result, Ok(()));
    ran.state.expect("a state")
}

/// An app set up on an enrollment waiting for its setup, confirmed at `now`.
fn confirm_app(
    store: &RusqliteStore,
    flows: &Flows<TotpFactor>,
    e: &Enrollment,
    now: u64,
) -> (Totp, Ran<Enrollment>) {
    let label = String::from("ada@example.com");
    let ran = mfa::run_blocking(store, ADA, |a| e.setup(flows, a, &label, now));
    let app = ran.key().expect("a key").to_totp().expect("a TOTP key");
    let e = ok(ran);
    let code = app.generate(now).expect("a code").to_string();
    let ran = mfa::run_blocking(store, ADA, |a| e.confirm(flows, a, &[&code], now));
    (app, ran)
}

fn load(store: &RusqliteStore) -> Protection<TotpRecord> {
    Store::load(store, ADA).expect("loads").expect("stored")
}

#[test]
fn factors_are_added_challenged_one_at_a_time_removed_and_reset_on_a_database_file() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let store = open(&dir.path().join("mfa.db"));
    let flows = flows();

    // Protection on, with the first app.
    let email = Destination::email("ada@example.com").expect("an address");
    let ran = mfa::run_blocking(&store, ADA, |a| {
        Enrollment::start(
            &flows,
            a,
            &[Scenario::LogOn],
            std::slice::from_ref(&email),
            &email,
            T0,
        )
    });
    let code = ran
        .deliveries()
        .next()
        .expect("a code")
        .code()
        .expose()
        .to_owned();
    let e = ok(ran);
    let e = ok(mfa::run_blocking(&store, ADA, |a| {
        e.verify_identity(&flows, a, &code, T0)
    }));
    let (a_app, ran) = confirm_app(&store, &flows, &e, T0);
    assert!(ran.ends_other_sessions());
    let a = *load(&store).factors()[0].id();

    // A second app, after a fresh check with the first.
    let now = T0 + 60;
    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        Verification::step_up(&flows, acc, now)
    }));
    let code = a_app.generate(now).expect("a code").to_string();
    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        v.respond(&flows, acc, &code, now)
    }));
    let check = v.verified().expect("a proof").clone();
    let name = FactorName::new("Tablet").expect("a name");
    let e = ok(mfa::run_blocking(&store, ADA, |acc| {
        Enrollment::start_add(&flows, acc, &check, &name, now)
    }));
    let (b_app, ran) = confirm_app(&store, &flows, &e, now);
    assert_eq!(ran.result, Ok(()));
    let account = load(&store);
    assert_eq!(account.factors().len(), 2);
    let b = *account.factors()[1].id();
    assert_eq!(account.factor_by_id(&b).expect("B").name(), &name);
    assert_eq!(
        ran.audit().cloned().collect::<Vec<_>>(),
        [Audit::FactorAdded {
            factor: b,
            kind: "totp"
        }]
    );

    // A challenge of A refuses B's code; B, picked, passes.
    let now = T0 + 600;
    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        Verification::start(&flows, acc, Scenario::LogOn, None, now)
    }));
    let b_code = b_app.generate(now).expect("a code").to_string();
    let ran = mfa::run_blocking(&store, ADA, |acc| v.respond(&flows, acc, &b_code, now));
    assert_eq!(ran.result, Err(FlowError::Rejected));
    assert_eq!(
        ran.audit().cloned().collect::<Vec<_>>(),
        [Audit::CodeRejected {
            credential: mfa::Credential::Factor,
            factor: Some(a)
        }]
    );
    assert_eq!(
        load(&store)
            .factor_by_id(&a)
            .expect("A")
            .record()
            .throttle()
            .failures(),
        1
    );
    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        v.choose(&flows, acc, &b, now)
    }));
    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        v.respond(&flows, acc, &b_code, now)
    }));
    let check = v.verified().expect("a proof").clone();

    // A removed with B's check; B, the last, stays.
    let ran = mfa::run_blocking(&store, ADA, |acc| {
        acc.remove_factor(&flows, &a, &check, now)
    });
    assert_eq!(ran.result, Ok(()));
    assert!(ran.notices().any(|(e, _)| e == Event::FactorRemoved));
    let account = load(&store);
    assert_eq!(
        account
            .factors()
            .iter()
            .map(|f| *f.id())
            .collect::<Vec<_>>(),
        [b]
    );
    let now = now + 30;
    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        Verification::step_up(&flows, acc, now)
    }));
    let code = b_app.generate(now).expect("a code").to_string();
    let v = ok(mfa::run_blocking(&store, ADA, |acc| {
        v.respond(&flows, acc, &code, now)
    }));
    let check = v.verified().expect("a proof").clone();
    let ran = mfa::run_blocking(&store, ADA, |acc| {
        acc.remove_factor(&flows, &b, &check, now)
    });
    assert_eq!(ran.result, Err(FlowError::LastFactor));

    // The admin reset: off, audited with who and why, sessions ended.
    let admin = AdminId::new("staff-17").expect("an admin id");
    let reason = Reason::new("ticket 4711").expect("a reason");
    let ran = mfa::run_blocking(&store, ADA, |acc| {
        acc.admin_reset(&flows, &admin, &reason, now)
    });
    assert_eq!(ran.result, Ok(()));
    assert!(ran.ends_other_sessions());
    assert_eq!(
        ran.audit().cloned().collect::<Vec<_>>(),
        [Audit::AdminReset { admin, reason }]
    );
    let account = load(&store);
    assert!(!account.is_on() && account.factors().is_empty());
    assert_eq!(account.recovery_codes_left(), None);
}
