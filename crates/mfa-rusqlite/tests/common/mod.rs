//! What the tests on a database file share: a store opened and migrated,
//! and the flows they run.

// Each test binary uses some of these.
#![allow(dead_code)]

use std::path::Path;

use mfa::{
    Destination, Effect, Enrollment, FlowPolicy, Flows, OobKey, Ran, RecoveryPolicy, Scenario,
    Totp, TotpFactor,
};
use mfa_rusqlite::RusqliteStore;

pub fn open(path: &Path) -> RusqliteStore {
    let store = RusqliteStore::open(path, mfa_conformance::codec()).expect("opens");
    store.migrate().expect("migrates");
    store
}

/// The flows, under a fixed key, with three fast recovery codes.
pub fn flows() -> Flows<TotpFactor> {
    flows_with(3, FlowPolicy::default().recovery_low())
}

/// The flows, under a fixed key, with `count` fast recovery codes, "low"
/// at `low` left.
pub fn flows_with(count: u8, low: u8) -> Flows<TotpFactor> {
    let recovery = RecoveryPolicy::builder()
        .iterations(1_000)
        .count(count)
        .build()
        .expect("a policy");
    let policy = FlowPolicy::builder()
        .recovery(recovery)
        .recovery_low(low)
        .build()
        .expect("a policy");
    Flows::new(
        TotpFactor::new("Example Co").expect("an issuer"),
        OobKey::from_bytes(&[7; 32]).expect("a key"),
        policy,
    )
    .expect("flows")
}

/// The state of `ran`, which must have passed.
pub fn done<S>(ran: Ran<S>) -> (S, Vec<Effect>) {
    assert_eq!(ran.result, Ok(()));
    (ran.state.expect("a state"), ran.effects)
}

/// Enrolls `user`'s authenticator app for log-on at `now`, identity
/// checked by e-mail: the app, and the recovery codes shown.
pub fn enroll(
    flows: &Flows<TotpFactor>,
    store: &RusqliteStore,
    user: &str,
    now: u64,
) -> (Totp, Vec<String>) {
    let email = Destination::email("ada@example.com").expect("an address");
    let user = user.to_owned();
    let (e, effects) = done(mfa::run_blocking(store, &user, |a| {
        Enrollment::start(
            flows,
            a,
            &[Scenario::LogOn],
            std::slice::from_ref(&email),
            &email,
            now,
        )
    }));
    let code = effects
        .iter()
        .find_map(|e| match e {
            Effect::Deliver(d) => Some(d.code().expose().to_owned()),
            _ => None,
        })
        .expect("an identity code");
    let (e, _) = done(mfa::run_blocking(store, &user, |a| {
        e.verify_identity(flows, a, &code, now)
    }));
    let (e, effects) = done(mfa::run_blocking(store, &user, |a| {
        e.setup(flows, a, &user, now)
    }));
    let totp = effects
        .iter()
        .find_map(|e| match e {
            Effect::ShowKey(uri) => uri.to_totp().ok(),
            _ => None,
        })
        .expect("a key");
    let code = totp.generate(now).expect("a code").to_string();
    let ran = mfa::run_blocking(store, &user, |a| e.confirm(flows, a, &[&code], now));
    let codes = ran.recovery_codes().expect("recovery codes");
    let codes = codes.iter().map(|c| c.expose().to_owned()).collect();
    done(ran);
    (totp, codes)
}
