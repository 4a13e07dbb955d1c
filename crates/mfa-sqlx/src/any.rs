//! A store that opens from a URL, for a service that runs on SQLite or
//! PostgreSQL as configured (`DATABASE_URL`).

use mfa::{AsyncStore, Cas, RecordCodec, Versioned};
use sqlx::postgres::PgPool;
use sqlx::sqlite::{SqliteConnectOptions, SqlitePool};
use sqlx::{Postgres, Sqlite};

use crate::{Error, SqlxStore};

/// A store on SQLite or PostgreSQL, picked by the URL it is opened from
/// ([`connect`](Self::connect)), so that one service binary runs on either:
/// every [`AsyncStore`] call goes to the backend's [`SqlxStore`]. Clone it
/// freely: the pool is shared.
///
/// ```
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// use mfa::{AsyncStore, Keyring, Protection, RecordCodec, SealingKey, TotpRecord};
/// use mfa_sqlx::AnyStore;
///
/// let dir = tempfile::tempdir()?; // where the service keeps its data
/// // From the service's configuration: `sqlite://…` or `postgres://…`.
/// let url = format!("sqlite://{}", dir.path().join("mfa.db").display());
/// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?)); // your key ring
///
/// let store = AnyStore::connect(&url, codec).await?; // file created, schema applied
/// assert!(matches!(store, AnyStore::Sqlite(_)));
/// let ada: Option<Protection<TotpRecord>> = store.load("ada").await?;
/// assert!(ada.is_none()); // no record yet: `mfa::run` makes it on her first visit
/// # Ok(()) }
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum AnyStore {
    /// Opened from a `sqlite:` URL.
    Sqlite(SqlxStore<Sqlite>),
    /// Opened from a `postgres:` or `postgresql:` URL.
    Postgres(SqlxStore<Postgres>),
}

impl AnyStore {
    /// Connects to `url` and applies the schema ([`SqlxStore::migrate`]):
    /// `postgres://…` or `postgresql://…` (sqlx's URL, e.g. with
    /// `?options[search_path]=<schema>` for the tables' schema), or
    /// `sqlite://<file>` (created if missing; `sqlite::memory:` opens one
    /// in-memory database per connection, so use a file).
    ///
    /// # Errors
    ///
    /// [`Error::Database`] if the URL is of neither kind or the database
    /// cannot be reached, [`Error::Migrate`] if the schema cannot be
    /// applied.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?)); // your key ring
    /// let refused = mfa_sqlx::AnyStore::connect("mysql://localhost/mfa", codec).await;
    /// assert!(matches!(refused, Err(mfa_sqlx::Error::Database(_))));
    /// # Ok(()) }
    /// ```
    pub async fn connect(url: &str, codec: RecordCodec) -> Result<Self, Error> {
        let store = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Self::Postgres(SqlxStore::new(PgPool::connect(url).await?, codec))
        } else if url.starts_with("sqlite:") {
            let options = url.parse::<SqliteConnectOptions>()?.create_if_missing(true);
            Self::Sqlite(SqlxStore::new(
                SqlitePool::connect_with(options).await?,
                codec,
            ))
        } else {
            return Err(Error::Database(sqlx::Error::Configuration(
                "the database URL is neither `sqlite:` nor `postgres:`".into(),
            )));
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies the schema, as [`SqlxStore::migrate`] does.
    ///
    /// # Errors
    ///
    /// [`Error::Migrate`] if a migration fails or one applied before was
    /// changed.
    ///
    /// ```
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// let dir = tempfile::tempdir()?;
    /// let url = format!("sqlite://{}", dir.path().join("mfa.db").display());
    /// let store = mfa_sqlx::AnyStore::connect(&url, codec).await?; // applied once
    /// store.migrate().await?; // nothing left to apply
    /// # Ok(()) }
    /// ```
    pub async fn migrate(&self) -> Result<(), Error> {
        match self {
            Self::Sqlite(store) => store.migrate().await,
            Self::Postgres(store) => store.migrate().await,
        }
    }
}

/// Each call goes to the backend's [`SqlxStore`]: accounts and SMS send
/// budgets alike.
impl<T> AsyncStore<T> for AnyStore
where
    T: Versioned + Send + Sync,
    SqlxStore<Sqlite>: AsyncStore<T, Id = str, Error = Error>,
    SqlxStore<Postgres>: AsyncStore<T, Id = str, Error = Error>,
{
    type Id = str;
    type Error = Error;

    async fn load(&self, id: &str) -> Result<Option<T>, Error> {
        match self {
            Self::Sqlite(store) => AsyncStore::<T>::load(store, id).await,
            Self::Postgres(store) => AsyncStore::<T>::load(store, id).await,
        }
    }

    async fn insert(&self, id: &str, record: &T) -> Result<Cas, Error> {
        match self {
            Self::Sqlite(store) => store.insert(id, record).await,
            Self::Postgres(store) => store.insert(id, record).await,
        }
    }

    async fn compare_and_set(&self, id: &str, expected: u64, record: &T) -> Result<Cas, Error> {
        match self {
            Self::Sqlite(store) => store.compare_and_set(id, expected, record).await,
            Self::Postgres(store) => store.compare_and_set(id, expected, record).await,
        }
    }
}
