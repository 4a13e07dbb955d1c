#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use mfa::{Cas, Keyring, Protection, RecordCodec, SealingKey, Store, TotpRecord};

use super::*;

fn store() -> RusqliteStore {
    let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1).unwrap()));
    let store = RusqliteStore::in_memory(codec).unwrap();
    store.migrate().unwrap();
    store
}

#[test]
fn versions_round_trip_as_their_bits() {
    assert_eq!(column(u64::MAX), -1);
    assert_eq!(column(0), 0);
    assert_eq!(column(u64::MAX).cast_unsigned(), u64::MAX);
}

#[test]
fn compare_and_set_needs_the_stored_version() {
    let store = store();
    let account: Protection<TotpRecord> = Protection::new().unwrap();
    assert_eq!(store.insert("ada", &account).unwrap(), Cas::Committed);
    assert_eq!(store.insert("ada", &account).unwrap(), Cas::Conflict);
    assert_eq!(
        store.compare_and_set("ada", 5, &account).unwrap(),
        Cas::Conflict
    );
    assert_eq!(
        store.compare_and_set("bob", 0, &account).unwrap(),
        Cas::Conflict
    );
    assert_eq!(
        store.compare_and_set("ada", 0, &account).unwrap(),
        Cas::Committed
    );
}

#[test]
fn a_row_whose_version_column_was_edited_is_refused() {
    let store = store();
    let account: Protection<TotpRecord> = Protection::new().unwrap();
    assert_eq!(store.insert("ada", &account).unwrap(), Cas::Committed);
    store
        .pool
        .get()
        .unwrap()
        .execute("UPDATE mfa_protection SET version = 7", [])
        .unwrap();
    let loaded: Result<Option<Protection<TotpRecord>>, _> = store.load("ada");
    assert!(matches!(
        loaded,
        Err(Error::VersionMismatch {
            column: 7,
            record: 0
        })
    ));
}

#[test]
fn migrations_are_recorded_once() {
    let store = store();
    store.migrate().unwrap();
    let applied: i64 = store
        .pool
        .get()
        .unwrap()
        .query_row("SELECT count(*) FROM mfa_migrations", [], |r| r.get(0))
        .unwrap();
    assert_eq!(applied, 1);
}
