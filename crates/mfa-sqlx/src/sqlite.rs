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
    )],
    load: "SELECT version, record FROM mfa_protection WHERE account = ?1",
    insert: "INSERT INTO mfa_protection (account, version, record) VALUES (?1, ?2, ?3)
             ON CONFLICT (account) DO NOTHING",
    cas: "UPDATE mfa_protection SET version = ?1, record = ?2 WHERE account = ?3 AND version = ?4",
);
