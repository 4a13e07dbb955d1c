//! "Remember this device" on a real database file: a device trusted at
//! log-on passes a month later through a store opened again (the service
//! restarted), a token of another account does not, and revoking every
//! device, or adding a factor, takes effect at the next log-on. Simulated
//! clock.

#![allow(clippy::expect_used, clippy::arithmetic_side_effects)]

use mfa::{
    Audit, DeviceToken, Effect, Enrollment, Event, FactorName, Flows, Protection, Scenario, Totp,
    TotpFactor, TotpRecord, Verification,
};
use mfa_rusqlite::RusqliteStore;

mod common;

use common::{done, flows, open};

const T0: u64 = 1_700_000_010;
const DAY: u64 = 86_400;

/// Enrolls `user`'s authenticator app for log-on at `now`.
fn enroll(flows: &Flows<TotpFactor>, store: &RusqliteStore, user: &str, now: u64) -> Totp {
    common::enroll(flows, store, user, now).0
}

/// Logs `user` on at `now` with the app's code, then remembers the device.
fn trust(
    flows: &Flows<TotpFactor>,
    store: &RusqliteStore,
    user: &str,
    totp: &Totp,
    now: u64,
) -> String {
    let user = user.to_owned();
    let (v, _) = done(mfa::run_blocking(store, &user, |a| {
        Verification::start(flows, a, Scenario::LogOn, None, now)
    }));
    let code = totp.generate(now).expect("a code").to_string();
    let (v, _) = done(mfa::run_blocking(store, &user, |a| {
        v.respond(flows, a, &code, now)
    }));
    let check = v.verified().expect("a proof");
    let (token, effects) = done(mfa::run_blocking(store, &user, |a| {
        a.trust_device(flows, check, now)
    }));
    assert!(matches!(
        effects.as_slice(),
        [
            Effect::Notify {
                event: Event::DeviceTrusted,
                ..
            },
            Effect::Audit {
                event: Audit::DeviceTrusted { device },
                ..
            },
        ] if device == token.id()
    ));
    token.to_cookie_value().to_string()
}

/// Whether the cookie lets `user` log on at `now` without a challenge.
fn passes(
    flows: &Flows<TotpFactor>,
    store: &RusqliteStore,
    user: &str,
    cookie: &str,
    now: u64,
) -> bool {
    let token = DeviceToken::parse(cookie).expect("a token");
    let user = user.to_owned();
    let (v, _) = done(mfa::run_blocking(store, &user, |a| {
        Verification::start_trusted(flows, a, Scenario::LogOn, Some(&token), None, now)
    }));
    let account = mfa::Store::load(store, &user)
        .expect("loads")
        .expect("a record");
    v.is_done() && v.authorize(flows, &account, &Scenario::LogOn, now).is_ok()
}

#[test]
fn a_remembered_device_survives_a_restart_and_is_revoked() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("mfa.db");
    let flows = flows();

    let (ada_cookie, bob_cookie) = {
        let store = open(&path);
        let ada = enroll(&flows, &store, "ada", T0);
        let bob = enroll(&flows, &store, "bob", T0);
        (
            trust(&flows, &store, "ada", &ada, T0 + 600),
            trust(&flows, &store, "bob", &bob, T0 + 600),
        )
    };

    // The service restarted; Ada comes back 29 days later.
    let store = open(&path);
    let later = T0 + 600 + 29 * DAY;
    assert!(passes(&flows, &store, "ada", &ada_cookie, later));
    assert!(!passes(&flows, &store, "ada", &bob_cookie, later));
    assert!(!passes(&flows, &store, "bob", &ada_cookie, later));
    assert!(!passes(
        &flows,
        &store,
        "ada",
        &ada_cookie,
        T0 + 600 + 30 * DAY
    ));

    // "Forget all remembered devices".
    let (_, effects) = done(mfa::run_blocking(
        &store,
        "ada",
        |a: &Protection<TotpRecord>| a.revoke_all_devices(later + 1),
    ));
    assert!(matches!(
        effects.as_slice(),
        [
            Effect::Notify {
                event: Event::DevicesRevoked { count: 1 },
                ..
            },
            Effect::Audit {
                event: Audit::DevicesRevoked { count: 1 },
                ..
            },
        ]
    ));
    assert!(!passes(&flows, &store, "ada", &ada_cookie, later + 2));
    assert!(passes(&flows, &store, "bob", &bob_cookie, later + 2));
}

#[test]
fn adding_a_factor_forgets_the_devices_for_good() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("mfa.db");
    let flows = flows();
    let ada = String::from("ada");
    let now = T0 + 600;
    let cookie = {
        let store = open(&path);
        let app = enroll(&flows, &store, &ada, T0);
        let cookie = trust(&flows, &store, &ada, &app, now);
        // A second app, after a fresh check with the first.
        let (v, _) = done(mfa::run_blocking(&store, &ada, |a| {
            Verification::step_up(&flows, a, now + 30)
        }));
        let code = app.generate(now + 30).expect("a code").to_string();
        let (v, _) = done(mfa::run_blocking(&store, &ada, |a| {
            v.respond(&flows, a, &code, now + 30)
        }));
        let check = v.verified().expect("a proof");
        let name = FactorName::new("Tablet").expect("a name");
        let (e, _) = done(mfa::run_blocking(&store, &ada, |a| {
            Enrollment::start_add(&flows, a, check, &name, now + 31)
        }));
        let (e, effects) = done(mfa::run_blocking(&store, &ada, |a| {
            e.setup(&flows, a, &ada, now + 32)
        }));
        let tablet = effects
            .iter()
            .find_map(|e| match e {
                Effect::ShowKey(uri) => uri.to_totp().ok(),
                _ => None,
            })
            .expect("a key");
        let code = tablet.generate(now + 33).expect("a code").to_string();
        done(mfa::run_blocking(&store, &ada, |a| {
            e.confirm(&flows, a, &[&code], now + 33)
        }));
        cookie
    };

    // The service restarted: two factors, no device remembered.
    let store = open(&path);
    let account: Protection<TotpRecord> = mfa::Store::load(&store, &ada)
        .expect("loads")
        .expect("a record");
    assert_eq!(account.factors().len(), 2);
    assert_eq!(account.trusted_devices(now + 34).count(), 0);
    assert!(!passes(&flows, &store, &ada, &cookie, now + 34));
}
