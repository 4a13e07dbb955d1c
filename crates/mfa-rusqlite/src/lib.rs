#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]

mod error;
mod pool;

use std::path::Path;

use mfa::{Cas, Protection, RecordCodec, Store, Versioned};
use rusqlite::{OptionalExtension, TransactionBehavior, params};
use serde::Serialize;
use serde::de::DeserializeOwned;

pub use error::Error;
use pool::Pool;

/// The schema, in order: (version, description, SQL). `migrate` applies
/// those not yet recorded in `mfa_migrations`.
const MIGRATIONS: &[(i64, &str, &str)] = &[(
    1,
    "mfa_protection",
    include_str!("../migrations/0001_mfa_protection.sql"),
)];

/// A store of account records in a SQLite database: sealed rows written
/// with compare-and-set. Share one per process (it is `Send + Sync`; clone
/// an `Arc` of it); it keeps a small pool of connections.
///
/// ```
/// use mfa::{Keyring, Protection, RecordCodec, SealingKey, TotpRecord};
/// use mfa_rusqlite::RusqliteStore;
///
/// // The key from your secret configuration (`SealingKey::from_base64`).
/// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
/// let store = RusqliteStore::in_memory(codec)?; // `open("mfa.db", codec)` for a file
/// store.migrate()?;
///
/// let account: Protection<TotpRecord> = Protection::new()?;
/// assert_eq!(mfa::Store::insert(&store, "ada", &account)?, mfa::Cas::Committed);
/// assert_eq!(mfa::Store::load(&store, "ada")?, Some(account));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug)]
pub struct RusqliteStore {
    pool: Pool,
    codec: RecordCodec,
}

impl RusqliteStore {
    /// How many connections a store opens at most, by default.
    ///
    /// ```
    /// assert_eq!(mfa_rusqlite::RusqliteStore::CONNECTIONS, 4);
    /// ```
    pub const CONNECTIONS: usize = 4;

    /// How long a connection waits for another's write lock before it
    /// fails (SQLite's `busy_timeout`), in milliseconds.
    ///
    /// ```
    /// assert_eq!(mfa_rusqlite::RusqliteStore::BUSY_TIMEOUT_MS, 5_000);
    /// ```
    pub const BUSY_TIMEOUT_MS: u64 = 5_000;

    /// A store over the database file at `path` (created if missing), in
    /// WAL mode, sealing with `codec`. Apply the schema with
    /// [`migrate`](Self::migrate).
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] if the file does not open as a database.
    ///
    /// ```
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// let dir = tempfile::tempdir()?;
    /// let store = mfa_rusqlite::RusqliteStore::open(dir.path().join("mfa.db"), codec)?;
    /// store.migrate()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn open(path: impl AsRef<Path>, codec: RecordCodec) -> Result<Self, Error> {
        Ok(Self {
            pool: Pool::file(path.as_ref(), Self::CONNECTIONS)?,
            codec,
        })
    }

    /// A store in a private in-memory database (one connection), for tests
    /// and examples: it is gone when the store is dropped.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] if SQLite cannot open it.
    ///
    /// ```
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// let store = mfa_rusqlite::RusqliteStore::in_memory(codec)?;
    /// store.migrate()?;
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn in_memory(codec: RecordCodec) -> Result<Self, Error> {
        Ok(Self {
            pool: Pool::memory()?,
            codec,
        })
    }

    /// Opens at most `connections` connections (at least 1) instead of
    /// [`CONNECTIONS`](Self::CONNECTIONS). An in-memory store keeps its one.
    ///
    /// ```
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// # let dir = tempfile::tempdir()?;
    /// let store = mfa_rusqlite::RusqliteStore::open(dir.path().join("mfa.db"), codec)?.max_connections(8);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub fn max_connections(mut self, connections: usize) -> Self {
        self.pool.set_max(connections);
        self
    }

    /// Applies the schema: creates `mfa_protection` (and `mfa_migrations`,
    /// which records what was applied) unless already there. Safe to call
    /// at every start and from several processes at once.
    ///
    /// # Errors
    ///
    /// [`Error::Sqlite`] if a statement fails.
    ///
    /// ```
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// let store = mfa_rusqlite::RusqliteStore::in_memory(codec)?;
    /// store.migrate()?;
    /// store.migrate()?; // nothing left to apply
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn migrate(&self) -> Result<(), Error> {
        let mut conn = self.pool.get()?;
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        tx.execute_batch(
            "CREATE TABLE IF NOT EXISTS mfa_migrations (
                 version     INTEGER PRIMARY KEY NOT NULL,
                 description TEXT NOT NULL,
                 applied_at  INTEGER NOT NULL
             ) STRICT",
        )?;
        for (version, description, sql) in MIGRATIONS {
            let applied: Option<i64> = tx
                .query_row(
                    "SELECT version FROM mfa_migrations WHERE version = ?1",
                    [version],
                    |row| row.get(0),
                )
                .optional()?;
            if applied.is_none() {
                tx.execute_batch(sql)?;
                tx.execute(
                    "INSERT INTO mfa_migrations (version, description, applied_at)
                     VALUES (?1, ?2, unixepoch())",
                    params![version, description],
                )?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The codec rows are sealed with.
    ///
    /// ```
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(3)?));
    /// let store = mfa_rusqlite::RusqliteStore::in_memory(codec)?;
    /// assert_eq!(store.codec().keys().current_id(), 3);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[must_use]
    pub const fn codec(&self) -> &RecordCodec {
        &self.codec
    }
}

/// The column value of a version: the `i64` of its 64 bits.
const fn column(version: u64) -> i64 {
    version.cast_signed()
}

impl<R> Store<Protection<R>> for RusqliteStore
where
    R: Serialize + DeserializeOwned,
{
    type Id = str;
    type Error = Error;

    fn load(&self, id: &str) -> Result<Option<Protection<R>>, Error> {
        let conn = self.pool.get()?;
        let row: Option<(i64, Vec<u8>)> = conn
            .prepare_cached("SELECT version, record FROM mfa_protection WHERE account = ?1")?
            .query_row([id], |row| Ok((row.get(0)?, row.get(1)?)))
            .optional()?;
        drop(conn);
        let Some((version, bytes)) = row else {
            return Ok(None);
        };
        let record: Protection<R> = self.codec.decode(id, &bytes)?;
        let column = version.cast_unsigned();
        if record.version() != column {
            return Err(Error::VersionMismatch {
                column,
                record: record.version(),
            });
        }
        Ok(Some(record))
    }

    fn insert(&self, id: &str, record: &Protection<R>) -> Result<Cas, Error> {
        let bytes = self.codec.encode(id, record)?;
        let conn = self.pool.get()?;
        let inserted = conn
            .prepare_cached(
                "INSERT INTO mfa_protection (account, version, record) VALUES (?1, ?2, ?3)
                 ON CONFLICT (account) DO NOTHING",
            )?
            .execute(params![id, column(record.version()), bytes])?;
        Ok(if inserted == 1 {
            Cas::Committed
        } else {
            Cas::Conflict
        })
    }

    fn compare_and_set(
        &self,
        id: &str,
        expected: u64,
        record: &Protection<R>,
    ) -> Result<Cas, Error> {
        let bytes = self.codec.encode(id, record)?;
        let mut conn = self.pool.get()?;
        // IMMEDIATE: wait for the write lock under busy_timeout up front.
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let updated = tx
            .prepare_cached(
                "UPDATE mfa_protection SET version = ?1, record = ?2
                 WHERE account = ?3 AND version = ?4",
            )?
            .execute(params![
                column(record.version()),
                bytes,
                id,
                column(expected)
            ])?;
        tx.commit()?;
        Ok(if updated == 1 {
            Cas::Committed
        } else {
            Cas::Conflict
        })
    }
}

#[cfg(test)]
mod tests;
