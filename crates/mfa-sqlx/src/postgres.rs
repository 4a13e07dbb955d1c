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
    ), (
        2,
        "mfa_send_budget",
        include_str!("../migrations/postgres/0002_mfa_send_budget.sql"),
    )],
    "```no_run
# async fn example() -> Result<(), Box<dyn std::error::Error>> {
# let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
let pool = mfa_sqlx::PgPool::connect(\"postgres://postgres@127.0.0.1:5432/test\").await?;
let store = mfa_sqlx::SqlxStore::new(pool, codec);
store.migrate().await?;
store.migrate().await?; // nothing left to apply
# Ok(()) }
```

(Not run here: it needs a server. `tests/postgres.rs` runs it against one,
twice, and checks the tables it made.)",
    protection: {
        load: "SELECT version, record FROM mfa_protection WHERE account = $1",
        insert: "INSERT INTO mfa_protection (account, version, record) VALUES ($1, $2, $3)
                 ON CONFLICT (account) DO NOTHING",
        cas: "UPDATE mfa_protection SET version = $1, record = $2 WHERE account = $3 AND version = $4",
    },
    budget: {
        load: "SELECT version, record FROM mfa_send_budget WHERE id = $1",
        insert: "INSERT INTO mfa_send_budget (id, version, record) VALUES ($1, $2, $3)
                 ON CONFLICT (id) DO NOTHING",
        cas: "UPDATE mfa_send_budget SET version = $1, record = $2 WHERE id = $3 AND version = $4",
    },
);
