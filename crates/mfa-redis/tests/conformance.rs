//! `RedisStore` on a real server (`MFA_REDIS_URL`, by default
//! `redis://127.0.0.1:6379/`) passes the conformance suite, with raw
//! access to the hashes through a connection of the test's own: `HSET` of
//! both fields to plant a row, `HGET` of the record field to read one.
//!
//! The run writes under a prefix of its own and deletes its keys at the
//! end, passed or failed.

#![allow(clippy::expect_used, clippy::panic)]

mod common;

use std::sync::Arc;

use common::{Prefix, connection};
use mfa_conformance::{BoxError, Raw};
use mfa_redis::RedisStore;
use mfa_redis::redis::{self, aio::ConnectionManager};

/// The test's own way to the hashes, beside the store's connection.
fn raw(connection: ConnectionManager, prefix: String) -> Raw {
    let (put_connection, put_prefix) = (connection.clone(), prefix.clone());
    Raw::new(
        move |account, version, bytes| {
            let mut c = put_connection.clone();
            let key = format!("{put_prefix}{account}");
            async move {
                redis::cmd("HSET")
                    .arg(key)
                    .arg("v")
                    .arg(version.to_string())
                    .arg("r")
                    .arg(bytes)
                    .query_async::<u64>(&mut c)
                    .await?;
                Ok::<_, BoxError>(())
            }
        },
        move |account| {
            let mut c = connection.clone();
            let key = format!("{prefix}{account}");
            async move {
                let bytes: Option<Vec<u8>> = redis::cmd("HGET")
                    .arg(key)
                    .arg("r")
                    .query_async(&mut c)
                    .await?;
                Ok::<_, BoxError>(bytes)
            }
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redis_store_passes_the_conformance_suite() {
    let prefix = Prefix::new("conformance");
    let store =
        RedisStore::new(connection().await, mfa_conformance::codec()).with_prefix(&prefix.0);
    let raw = raw(connection().await, prefix.0.clone());

    let summary = mfa_conformance::check(Arc::new(store), mfa_conformance::str_id, Some(raw)).await;
    println!("{summary}");
    if let Some(bytes) = summary.row_bytes() {
        println!("stored row: {bytes} bytes");
    }
    assert!(
        summary.reports.iter().all(|r| r.ran),
        "a check was skipped:\n{summary}"
    );
    let sms = Arc::new(
        RedisStore::new(connection().await, mfa_conformance::codec()).with_prefix(&prefix.0),
    );
    for report in [
        mfa_conformance::budget_exactly_once(Arc::clone(&sms)).await,
        mfa_conformance::resend_same_code(sms, mfa_conformance::str_id).await,
    ] {
        println!("{report}");
        assert!(report.ran);
    }
}
