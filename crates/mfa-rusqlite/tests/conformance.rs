//! `RusqliteStore` on a database file passes the conformance suite's
//! blocking twin (1,000 threads at once), and the raw rows read back from
//! the file by a connection of the test's own hold no secret.

#![allow(clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::sync::Arc;

use mfa_conformance::{BlockingRaw, BoxError};
use mfa_rusqlite::RusqliteStore;
use rusqlite::{Connection, OptionalExtension, params};

/// The test's own way into the database file, beside the store's.
fn raw(path: PathBuf) -> BlockingRaw {
    let connect = move || -> Result<Connection, BoxError> {
        let conn = Connection::open(&path)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        Ok(conn)
    };
    let put_connect = connect.clone();
    BlockingRaw::new(
        move |account, version, bytes| {
            put_connect()?.execute(
                "INSERT INTO mfa_protection (account, version, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account) DO UPDATE SET version = excluded.version, record = excluded.record",
                params![account, version.cast_signed(), bytes],
            )?;
            Ok(())
        },
        move |account| {
            Ok(connect()?
                .query_row(
                    "SELECT record FROM mfa_protection WHERE account = ?1",
                    [account],
                    |row| row.get(0),
                )
                .optional()?)
        },
    )
}

fn open(path: &Path) -> Arc<RusqliteStore> {
    let store = RusqliteStore::open(path, mfa_conformance::codec()).expect("opens");
    store.migrate().expect("migrates");
    Arc::new(store)
}

#[test]
fn rusqlite_store_passes_the_blocking_suite() {
    let dir = tempfile::tempdir().expect("a temporary directory");
    let path = dir.path().join("mfa.db");
    let store = open(&path);
    let summary = mfa_conformance::check_blocking(store, mfa_conformance::str_id, Some(raw(path)));
    println!("{summary}");
    assert!(summary.reports.iter().all(|r| r.ran));
    println!("stored row: {} bytes", summary.row_bytes().unwrap_or(0));
}
