//! `SqlxStore<Postgres>` on the real server passes the conformance suite,
//! in a schema of its own for the run, and the raw rows read back from
//! the server by a pool of the test's own hold no secret.
//!
//! The server: `MFA_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/test` (`.ci/run` starts it).
#![allow(clippy::expect_used)]

use std::str::FromStr;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use mfa_conformance::{BoxError, Raw};
use mfa_sqlx::{PgPool, SqlxStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};

/// One suite at a time: each runs 1,000 concurrent tasks against the
/// server, and two at once on a small machine can exhaust the runner's
/// retries (`FlowError::Busy`).
static SUITE: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn url() -> String {
    std::env::var("MFA_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A schema of the test's own, dropped at the end, and connect options
/// whose `search_path` puts the tables there.
struct Schema {
    name: String,
    admin: PgPool,
    options: PgConnectOptions,
}

impl Schema {
    async fn new(test: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let name = format!("mfa_{test}_{}_{nanos}", std::process::id());
        let admin = PgPool::connect(&url()).await.expect("PostgreSQL answers");
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
            .execute(&admin)
            .await
            .expect("a schema");
        let options = PgConnectOptions::from_str(&url())
            .expect("a URL")
            .options([("search_path", name.as_str())]);
        Self {
            name,
            admin,
            options,
        }
    }

    async fn pool(&self, connections: u32) -> PgPool {
        PgPoolOptions::new()
            .max_connections(connections)
            .connect_with(self.options.clone())
            .await
            .expect("connects")
    }

    async fn drop(self) {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DROP SCHEMA {} CASCADE",
            self.name
        )))
        .execute(&self.admin)
        .await
        .expect("dropped");
    }
}

/// Writes and reads rows as they are stored, through `pool`.
fn raw(pool: &PgPool) -> Raw {
    let (put_pool, get_pool) = (pool.clone(), pool.clone());
    Raw::new(
        move |account, version, bytes| {
            let pool = put_pool.clone();
            async move {
                sqlx::query(
                    "INSERT INTO mfa_protection (account, version, record) VALUES ($1, $2, $3)
                     ON CONFLICT (account) DO UPDATE SET version = EXCLUDED.version, record = EXCLUDED.record",
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
                    sqlx::query_as("SELECT record FROM mfa_protection WHERE account = $1")
                        .bind(account)
                        .fetch_optional(&pool)
                        .await?;
                Ok::<_, BoxError>(row.map(|(bytes,)| bytes))
            }
        },
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlx_postgres_store_passes_the_async_suite() {
    let _one_at_a_time = SUITE.lock().await;
    let schema = Schema::new("suite").await;
    let store = SqlxStore::new(schema.pool(8).await, mfa_conformance::codec());
    store.migrate().await.expect("migrates");
    let own = schema.pool(2).await;

    let summary =
        mfa_conformance::check(Arc::new(store), mfa_conformance::str_id, Some(raw(&own))).await;
    println!("{summary}");
    assert!(summary.reports.iter().all(|r| r.ran));
    println!("stored row: {} bytes", summary.row_bytes().unwrap_or(0));
    let sms = Arc::new(SqlxStore::new(
        schema.pool(8).await,
        mfa_conformance::codec(),
    ));
    for report in [
        mfa_conformance::budget_exactly_once(Arc::clone(&sms)).await,
        mfa_conformance::resend_same_code(sms, mfa_conformance::str_id).await,
    ] {
        println!("{report}");
        assert!(report.ran);
    }
    own.close().await;
    schema.drop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migrate_creates_its_tables_in_the_pools_schema_once() {
    let schema = Schema::new("migrate").await;
    let store = SqlxStore::new(schema.pool(2).await, mfa_conformance::codec());
    store.migrate().await.expect("migrates");
    store
        .migrate()
        .await
        .expect("migrates again, applying nothing");
    let tables: Vec<(String,)> = sqlx::query_as(
        "SELECT table_name::text FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1",
    )
    .bind(&schema.name)
    .fetch_all(&schema.admin)
    .await
    .expect("tables");
    let tables: Vec<&str> = tables.iter().map(|(t,)| t.as_str()).collect();
    assert_eq!(
        tables,
        [
            "mfa_protection",
            "mfa_send_budget",
            mfa_sqlx::MIGRATIONS_TABLE
        ]
    );
    let applied: (i64,) = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT count(*) FROM {}.{}",
        schema.name,
        mfa_sqlx::MIGRATIONS_TABLE
    )))
    .fetch_one(&schema.admin)
    .await
    .expect("applied migrations");
    assert_eq!(applied.0, 2);
    store.pool().close().await;
    schema.drop().await;
}

/// `AnyStore` opened from a `postgres://` URL (its tables in the schema
/// that `options[search_path]` names) passes the same suite.
#[cfg(feature = "sqlite")]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn any_store_from_a_postgres_url_passes_the_async_suite() {
    let _one_at_a_time = SUITE.lock().await;
    let schema = Schema::new("any").await;
    let base = url();
    let join = if base.contains('?') { '&' } else { '?' };
    let url = format!("{base}{join}options%5Bsearch_path%5D={}", schema.name);
    let store = mfa_sqlx::AnyStore::connect(&url, mfa_conformance::codec())
        .await
        .expect("connects and migrates");
    assert!(matches!(store, mfa_sqlx::AnyStore::Postgres(_)));
    let own = schema.pool(2).await;

    let summary =
        mfa_conformance::check(Arc::new(store), mfa_conformance::str_id, Some(raw(&own))).await;
    println!("{summary}");
    assert!(summary.reports.iter().all(|r| r.ran));
    own.close().await;
    schema.drop().await;
}
