//! `SqlxStore<Sqlite>` on a database file (WAL, four connections) passes
//! the conformance suite, and the raw rows read back from the file by a
//! pool of the test's own hold no secret.
#![allow(clippy::expect_used)]

use std::sync::Arc;
use std::time::Duration;

use mfa_conformance::{BoxError, Raw};
use mfa_sqlx::{SqlitePool, SqlxStore};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};

/// One suite at a time: each runs 1,000 concurrent tasks against the
/// server, and two at once on a small machine can exhaust the runner's
/// retries (`FlowError::Busy`).
static SUITE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// Writes and reads rows as they are stored, through `pool`.
fn raw(pool: &SqlitePool) -> Raw {
    let (put_pool, get_pool) = (pool.clone(), pool.clone());
    Raw::new(
        move |account, version, bytes| {
            let pool = put_pool.clone();
            async move {
                sqlx::query(
                    "INSERT INTO mfa_protection (account, version, record) VALUES (?1, ?2, ?3)
                     ON CONFLICT (account) DO UPDATE SET version = excluded.version, record = excluded.record",
                )
                .bind(account)
                .bind(version.cast_signed())
                .bind(bytes)
                .execute(&pool)
                .await?;
                Ok::<_, BoxError>(())
            }
        },
        move |account| {
            let pool = get_pool.clone();
            async move {
                let row: Option<(Vec<u8>,)> =
                    sqlx::query_as("SELECT record FROM mfa_protection WHERE account = ?1")
                        .bind(account)
                        .fetch_optional(&pool)
                        .await?;
                Ok::<_, BoxError>(row.map(|(bytes,)| bytes))
            }
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlx_sqlite_store_passes_the_async_suite() {
    let _one_at_a_time = SUITE.lock().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("mfa.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options.clone())
        .await
        .expect("opens");
    let store = SqlxStore::new(pool, mfa_conformance::codec());
    // The store clones (its pool is shared), as its docs say.
    let shared = store.clone();
    shared.migrate().await.expect("migrates");
    store
        .migrate()
        .await
        .expect("migrates again, applying nothing");
    let own = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .expect("the test's own pool");

    let summary =
        mfa_conformance::check(Arc::new(store), mfa_conformance::str_id, Some(raw(&own))).await;
    println!("{summary}");
    assert!(summary.reports.iter().all(|r| r.ran));
    println!("stored row: {} bytes", summary.row_bytes().unwrap_or(0));
    let report = mfa_conformance::budget_exactly_once(Arc::new(shared)).await;
    println!("{report}");
    assert!(report.ran);
}

/// `AnyStore` opened from a `sqlite://` URL (the file created, the schema
/// applied) passes the same suite.
#[cfg(feature = "postgres")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_store_from_a_sqlite_url_passes_the_async_suite() {
    let _one_at_a_time = SUITE.lock().await;
    let dir = tempfile::tempdir().expect("a temporary directory");
    let file = dir.path().join("mfa.db");
    let url = format!("sqlite://{}", file.display());
    let store = mfa_sqlx::AnyStore::connect(&url, mfa_conformance::codec())
        .await
        .expect("creates the file and migrates");
    assert!(matches!(store, mfa_sqlx::AnyStore::Sqlite(_)));
    store
        .migrate()
        .await
        .expect("migrates again, applying nothing");
    let own = SqlitePoolOptions::new()
        .max_connections(1)
        .connect_with(SqliteConnectOptions::new().filename(&file))
        .await
        .expect("the test's own pool");

    let summary =
        mfa_conformance::check(Arc::new(store), mfa_conformance::str_id, Some(raw(&own))).await;
    println!("{summary}");
    assert!(summary.reports.iter().all(|r| r.ran));
}
