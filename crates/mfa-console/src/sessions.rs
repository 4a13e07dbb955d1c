//! Sessions kept in the console's own database, so that they survive a
//! restart and are shared by every instance: a `tower_sessions`
//! `SessionStore` over the same sqlx pool as the account records.
//! (`tower-sessions-sqlx-store` 0.15 is built on sqlx 0.8; the workspace is
//! on sqlx 0.9, and the two would both link SQLite, which cargo refuses.)
//! One row per session: the SHA-256 of its id (the cookie's value is never
//! stored, so that reading the table does not give a session away), the
//! user it is for (signed in, or past the password; indexed, so that a
//! change of protection can end the user's other sessions, and an admin
//! reset all of the owner's), its record as JSON, and
//! when it expires. (The table of the earlier console, `console_sessions`,
//! without the user column, is dropped at start-up: its sessions sign in
//! again once.)

use async_trait::async_trait;
use mfa_sqlx::{PgPool, SqlitePool};
use sha2::{Digest as _, Sha256};
use std::future::Future;
use std::sync::Mutex;
use tower_sessions::Session;
use tower_sessions::cookie::time::OffsetDateTime;
use tower_sessions::session::{Id, Record};
use tower_sessions::session_store::{self, SessionStore};

use mfa_sqlx::AnyStore;

/// The table, created at start-up if missing. SQLite and PostgreSQL both
/// read this SQL, `$n` parameters included.
const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS console_user_sessions \
     (id TEXT PRIMARY KEY, user_name TEXT, record TEXT NOT NULL, expires BIGINT NOT NULL)";
/// The table of the earlier console, without the user column: dropped.
const DROP_OLD: &str = "DROP TABLE IF EXISTS console_sessions";
/// The index of the sessions by user.
const INDEX: &str = "CREATE INDEX IF NOT EXISTS console_user_sessions_by_user \
     ON console_user_sessions (user_name)";
/// A new session, unless its id (hashed) is taken.
const CREATE: &str = "INSERT INTO console_user_sessions (id, record, expires, user_name) \
     VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING";
/// A session written, if its row is still there: one ended while a
/// request of it was under way (its row deleted) stays ended. (A session
/// without a row is always created first: tower-sessions calls `create`
/// for a session whose id it did not find.)
const SAVE: &str = "UPDATE console_user_sessions SET record = $2, expires = $3, user_name = $4 \
     WHERE id = $1";
/// A session read, unless it has expired.
const LOAD: &str = "SELECT record FROM console_user_sessions WHERE id = $1 AND expires > $2";
/// A session ended.
const DELETE: &str = "DELETE FROM console_user_sessions WHERE id = $1";
/// Every session of a user but one (its key) ended.
const END_OTHERS: &str = "DELETE FROM console_user_sessions WHERE user_name = $1 AND id <> $2";
/// The expired sessions, forgotten.
const PURGE: &str = "DELETE FROM console_user_sessions WHERE expires <= $1";

/// The sessions table, in the database of the account records.
#[derive(Clone, Debug)]
pub enum SqlSessions {
    /// In the SQLite file.
    Sqlite(SqlitePool),
    /// In the PostgreSQL database.
    Postgres(PgPool),
}

/// A backend failure, as tower-sessions takes it.
fn backend(e: sqlx::Error) -> session_store::Error {
    session_store::Error::Backend(e.to_string())
}

impl SqlSessions {
    /// The sessions of `store`'s database, its table created if missing
    /// (and the earlier console's, `console_sessions`, dropped).
    ///
    /// # Errors
    ///
    /// If the table cannot be created.
    pub async fn new(store: &AnyStore) -> Result<Self, sqlx::Error> {
        let sessions = match store {
            AnyStore::Sqlite(s) => Self::Sqlite(s.pool().clone()),
            AnyStore::Postgres(s) => Self::Postgres(s.pool().clone()),
            _ => {
                return Err(sqlx::Error::Configuration(
                    "no session table for this database".into(),
                ));
            }
        };
        for sql in [DROP_OLD, SCHEMA, INDEX] {
            match &sessions {
                Self::Sqlite(pool) => sqlx::query(sql).execute(pool).await.map(drop)?,
                Self::Postgres(pool) => sqlx::query(sql).execute(pool).await.map(drop)?,
            }
        }
        Ok(sessions)
    }

    /// Runs `sql` (`$1` the id, then the row's record, expiry and user as
    /// `$2`, `$3`, `$4`, when given); how many rows it changed.
    async fn execute(
        &self,
        sql: &'static str,
        id: &str,
        row: Option<&Row>,
    ) -> Result<u64, sqlx::Error> {
        Ok(match self {
            Self::Sqlite(pool) => {
                let mut query = sqlx::query(sql).bind(id.to_owned());
                if let Some(row) = row {
                    query = query
                        .bind(row.record.clone())
                        .bind(row.expires)
                        .bind(row.user.clone());
                }
                query.execute(pool).await?.rows_affected()
            }
            Self::Postgres(pool) => {
                let mut query = sqlx::query(sql).bind(id.to_owned());
                if let Some(row) = row {
                    query = query
                        .bind(row.record.clone())
                        .bind(row.expires)
                        .bind(row.user.clone());
                }
                query.execute(pool).await?.rows_affected()
            }
        })
    }

    /// Ends every session of `user` (signed in, or past the password)
    /// but `keep` (none: all of them); how many there were.
    ///
    /// # Errors
    ///
    /// If the database fails.
    pub async fn end_others_of(&self, user: &str, keep: Option<&Id>) -> Result<u64, sqlx::Error> {
        let keep = keep.map(key).unwrap_or_default(); // no row's key is empty
        let user = user.to_owned();
        Ok(match self {
            Self::Sqlite(pool) => {
                let query = sqlx::query(END_OTHERS).bind(user).bind(keep);
                query.execute(pool).await?.rows_affected()
            }
            Self::Postgres(pool) => {
                let query = sqlx::query(END_OTHERS).bind(user).bind(keep);
                query.execute(pool).await?.rows_affected()
            }
        })
    }

    /// Forgets the sessions expired by `now`.
    async fn purge(&self, now: i64) -> Result<(), sqlx::Error> {
        match self {
            Self::Sqlite(pool) => sqlx::query(PURGE).bind(now).execute(pool).await.map(drop),
            Self::Postgres(pool) => sqlx::query(PURGE).bind(now).execute(pool).await.map(drop),
        }
    }

    /// The record of session `id`, unless expired by `now`.
    async fn fetch(&self, id: &str, now: i64) -> Result<Option<String>, sqlx::Error> {
        match self {
            Self::Sqlite(pool) => {
                sqlx::query_scalar(LOAD)
                    .bind(id.to_owned())
                    .bind(now)
                    .fetch_optional(pool)
                    .await
            }
            Self::Postgres(pool) => {
                sqlx::query_scalar(LOAD)
                    .bind(id.to_owned())
                    .bind(now)
                    .fetch_optional(pool)
                    .await
            }
        }
    }
}

tokio::task_local! {
    /// The request being handled: see [`keeping`].
    static CURRENT: Current;
}

/// The request being handled: its session, the table it is kept in, and
/// whose other sessions a run of this request ended.
struct Current {
    sessions: SqlSessions,
    session: Session,
    ended: Mutex<Option<String>>,
}

/// Handles a request (`handler`) with its `session`, kept in `sessions`,
/// as the one [`end_others_of`] keeps; the handler's answer, and whose
/// other sessions it ended, if any.
pub async fn keeping<F: Future>(
    sessions: SqlSessions,
    session: Session,
    handler: F,
) -> (F::Output, Option<String>) {
    let ended = Mutex::new(None);
    let current = Current {
        sessions,
        session,
        ended,
    };
    CURRENT
        .scope(current, async {
            let answer = handler.await;
            let ended = CURRENT.with(|c| lock(&c.ended).take());
            (answer, ended)
        })
        .await
}

/// The value behind `mutex`, even if a holder panicked.
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Ends every session of `user` but the one of the request being handled
/// (see [`keeping`]): a run asked for it (`Ran::ends_other_sessions`:
/// protection turned on or off, a factor added, removed or replaced; an
/// admin reset, where the administrator's session is not the owner's).
/// How many ended.
///
/// # Errors
///
/// If the database fails (logged here), or outside [`keeping`].
pub async fn end_others_of(user: &str) -> Result<u64, sqlx::Error> {
    let Ok((sessions, keep)) = CURRENT.try_with(|c| (c.sessions.clone(), c.session.id())) else {
        return Err(sqlx::Error::Configuration("no request's session".into()));
    };
    let ended = sessions
        .end_others_of(user, keep.as_ref())
        .await
        .inspect_err(|e| eprintln!("console: ending {user}'s other sessions failed: {e}"))?;
    if ended > 0 {
        CURRENT.with(|c| *lock(&c.ended) = Some(user.to_owned()));
    }
    Ok(ended)
}

/// The key of session `id`'s row: the SHA-256 of the id, in hex.
fn key(id: &Id) -> String {
    Sha256::digest(id.to_string().as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A session's row, but its key.
struct Row {
    /// The record as JSON, its id left out (the row is keyed by the id's hash).
    record: String,
    /// When it expires (Unix seconds).
    expires: i64,
    /// Whom it is for: the console's signed-in or pending user, if any.
    user: Option<String>,
}

/// The row of `record`.
fn encoded(record: &Record) -> session_store::Result<Row> {
    let stored = Record {
        id: Id(0),
        ..record.clone()
    };
    let json =
        serde_json::to_string(&stored).map_err(|e| session_store::Error::Encode(e.to_string()))?;
    let data = record.data.get(crate::app::KEY);
    let user = ["user", "pending_user"]
        .iter()
        .find_map(|field| data?.get(field)?.as_str().map(str::to_owned));
    Ok(Row {
        record: json,
        expires: record.expiry_date.unix_timestamp(),
        user,
    })
}

#[async_trait]
impl SessionStore for SqlSessions {
    async fn create(&self, record: &mut Record) -> session_store::Result<()> {
        self.purge(OffsetDateTime::now_utc().unix_timestamp())
            .await
            .map_err(backend)?;
        // A fresh id, whatever id the record came with, and another until
        // one is free (a collision of 128 random bits is not expected, but
        // is not written over either).
        loop {
            record.id = Id::default();
            let row = encoded(record)?;
            if self
                .execute(CREATE, &key(&record.id), Some(&row))
                .await
                .map_err(backend)?
                == 1
            {
                return Ok(());
            }
        }
    }

    async fn save(&self, record: &Record) -> session_store::Result<()> {
        let row = encoded(record)?;
        self.execute(SAVE, &key(&record.id), Some(&row))
            .await
            .map_err(backend)?;
        Ok(())
    }

    async fn load(&self, id: &Id) -> session_store::Result<Option<Record>> {
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let Some(json) = self.fetch(&key(id), now).await.map_err(backend)? else {
            return Ok(None);
        };
        let record: Record =
            serde_json::from_str(&json).map_err(|e| session_store::Error::Decode(e.to_string()))?;
        Ok(Some(Record { id: *id, ..record }))
    }

    async fn delete(&self, id: &Id) -> session_store::Result<()> {
        self.execute(DELETE, &key(id), None)
            .await
            .map_err(backend)?;
        Ok(())
    }
}
