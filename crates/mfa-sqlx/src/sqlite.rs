//! SQLite: one statement per operation, each its own transaction; a
//! writer waits for the write lock under the pool's `busy_timeout`
//! (`sqlx` sets 5 s by default), and the `UPDATE` then sees the latest
//! commit.

use sqlx::Sqlite;

crate::backend::backend!(
    Sqlite,
    "sqlite",
    &[(
        1,
        "mfa_protection",
        include_str!("../migrations/sqlite/0001_mfa_protection.sql"),
    ), (
        2,
        "mfa_send_budget",
        include_str!("../migrations/sqlite/0002_mfa_send_budget.sql"),
    )],
    "```
# #[tokio::main(flavor = \"current_thread\")]
# async fn main() -> Result<(), Box<dyn std::error::Error>> {
# let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect(\"sqlite::memory:\").await?; // one connection: one in-memory database
let store = mfa_sqlx::SqlxStore::new(pool, codec);
store.migrate().await?;
store.migrate().await?; // nothing left to apply
# Ok(()) }
```",
    protection: {
        load: "SELECT version, record FROM mfa_protection WHERE account = ?1",
        insert: "INSERT INTO mfa_protection (account, version, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account) DO NOTHING",
        cas: "UPDATE mfa_protection SET version = ?1, record = ?2 WHERE account = ?3 AND version = ?4",
    },
    budget: {
        load: "SELECT version, record FROM mfa_send_budget WHERE id = ?1",
        insert: "INSERT INTO mfa_send_budget (id, version, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO NOTHING",
        cas: "UPDATE mfa_send_budget SET version = ?1, record = ?2 WHERE id = ?3 AND version = ?4",
    },
);
