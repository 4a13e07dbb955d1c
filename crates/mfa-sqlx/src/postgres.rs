//! PostgreSQL: one statement per operation; the `UPDATE … WHERE version`
//! takes the row lock, so of two racing writers the second re-reads the
//! row after the first commits and finds another version.

use sqlx::Postgres;

crate::backend::backend!(
    Postgres,
    "postgres",
    &[(
        1,
        "mfa_protection",
        include_str!("../migrations/postgres/0001_mfa_protection.sql"),
    )],
    load: "SELECT version, record FROM mfa_protection WHERE account = $1",
    insert: "INSERT INTO mfa_protection (account, version, record) VALUES ($1, $2, $3)
             ON CONFLICT (account) DO NOTHING",
    cas: "UPDATE mfa_protection SET version = $1, record = $2 WHERE account = $3 AND version = $4",
);
