#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

#[cfg(all(feature = "postgres", feature = "sqlite"))]
mod any;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod backend;
mod error;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;

use std::fmt;

use mfa::RecordCodec;

#[cfg(all(feature = "postgres", feature = "sqlite"))]
#[cfg_attr(docsrs, doc(cfg(all(feature = "postgres", feature = "sqlite"))))]
pub use any::AnyStore;
pub use error::Error;
#[cfg(feature = "postgres")]
#[cfg_attr(docsrs, doc(cfg(feature = "postgres")))]
pub use sqlx::{PgPool, Postgres};
#[cfg(feature = "sqlite")]
#[cfg_attr(docsrs, doc(cfg(feature = "sqlite")))]
pub use sqlx::{Sqlite, SqlitePool};

/// The table `migrate` records applied migrations in: the store's own, so
/// it never meets the host's `_sqlx_migrations`.
///
/// ```
/// assert_eq!(mfa_sqlx::MIGRATIONS_TABLE, "mfa_sqlx_migrations");
/// ```
pub const MIGRATIONS_TABLE: &str = "mfa_sqlx_migrations";

/// A store of account records in a PostgreSQL or SQLite database, over a
/// `sqlx` pool: one row per account in `mfa_protection`, its record sealed
/// by a [`RecordCodec`], written with compare-and-set. It implements
/// [`mfa::AsyncStore`] for `Protection<R>` with `Id = str`, so
/// [`mfa::run`] carries flows out against it. Clone it freely: the pool is
/// shared.
///
/// The tables live where the pool's connections put them: for PostgreSQL,
/// the first schema of their `search_path` (the tests give each run a
/// schema of its own).
pub struct SqlxStore<DB: sqlx::Database> {
    pool: sqlx::Pool<DB>,
    codec: RecordCodec,
}

/// By hand: a derive would ask `DB: Clone`, which sqlx's database types
/// are not; the pool and the codec are what is cloned.
impl<DB: sqlx::Database> Clone for SqlxStore<DB> {
    fn clone(&self) -> Self {
        Self {
            pool: self.pool.clone(),
            codec: self.codec.clone(),
        }
    }
}

impl<DB: sqlx::Database> fmt::Debug for SqlxStore<DB> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SqlxStore")
            .field("pool", &self.pool)
            .field("codec", &self.codec)
            .finish()
    }
}

impl<DB: sqlx::Database> SqlxStore<DB> {
    /// A store over `pool`, sealing with `codec`. Apply the schema with
    /// `migrate` before the first use.
    ///
    /// ```no_run
    /// # #[cfg(feature = "postgres")]
    /// # async fn example() -> Result<(), Box<dyn std::error::Error>> {
    /// use mfa::{Keyring, RecordCodec, SealingKey};
    /// use mfa_sqlx::{PgPool, SqlxStore};
    ///
    /// let pool = PgPool::connect("postgres://postgres@127.0.0.1:5432/test").await?;
    /// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?)); // your key ring
    /// let store = SqlxStore::new(pool, codec);
    /// store.migrate().await?;
    /// # Ok(()) }
    /// ```
    ///
    /// (Not run here: it needs a server. `tests/postgres.rs` runs the same
    /// calls against one.)
    #[must_use]
    pub const fn new(pool: sqlx::Pool<DB>, codec: RecordCodec) -> Self {
        Self { pool, codec }
    }

    /// The pool.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await?;
    /// let store = mfa_sqlx::SqlxStore::new(pool, codec);
    /// assert!(!store.pool().is_closed());
    /// # Ok(()) }
    /// # #[cfg(not(feature = "sqlite"))]
    /// # fn main() {}
    /// ```
    #[must_use]
    pub const fn pool(&self) -> &sqlx::Pool<DB> {
        &self.pool
    }

    /// The codec rows are sealed with.
    ///
    /// ```
    /// # #[cfg(feature = "sqlite")]
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// let pool = sqlx::sqlite::SqlitePoolOptions::new().max_connections(1).connect("sqlite::memory:").await?;
    /// let store = mfa_sqlx::SqlxStore::new(pool, codec);
    /// assert_eq!(store.codec().keys().current_id(), 1);
    /// # Ok(()) }
    /// # #[cfg(not(feature = "sqlite"))]
    /// # fn main() {}
    /// ```
    #[must_use]
    pub const fn codec(&self) -> &RecordCodec {
        &self.codec
    }
}
