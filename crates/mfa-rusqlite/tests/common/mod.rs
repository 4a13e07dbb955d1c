//! What the tests on a database file share: a store opened and migrated,
//! and the flows they run.

use std::path::Path;

use mfa::{FlowPolicy, Flows, OobKey, RecoveryPolicy, TotpFactor};
use mfa_rusqlite::RusqliteStore;

pub fn open(path: &Path) -> RusqliteStore {
    let store = RusqliteStore::open(path, mfa_conformance::codec()).expect("opens");
    store.migrate().expect("migrates");
    store
}

/// The flows, under a fixed key, with fast recovery codes.
#[allow(dead_code, reason = "a test of SMS factors builds its own")]
pub fn flows() -> Flows<TotpFactor> {
    let policy = FlowPolicy::builder()
        .recovery(
            RecoveryPolicy::builder()
                .iterations(1_000)
                .count(3)
                .build()
                .expect("a policy"),
        )
        .build()
        .expect("a policy");
    Flows::new(
        TotpFactor::new("Example Co").expect("an issuer"),
        OobKey::from_bytes(&[7; 32]).expect("a key"),
        policy,
    )
    .expect("flows")
}
