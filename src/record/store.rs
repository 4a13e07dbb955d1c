//! The storage contract: versioned records written with compare-and-set.
//!
//! See [`Store`] for the contract, with the SQL and Redis patterns.

use core::convert::Infallible;
use core::fmt;

use super::attempt::Attempt;

/// A record that carries a version number, bumped by one by every change.
///
/// Every operation of a factor record that changes it returns the new
/// record with `version + 1`; the store writes it only if the stored record
/// still has the version that was loaded (compare-and-set).
///
/// ```
/// use mfa::{Secret, Totp, TotpConfig, TotpRecord, Versioned};
///
/// let record = TotpRecord::new(Totp::new(&Secret::generate()?, TotpConfig::default())?);
/// assert_eq!(Versioned::version(&record), 0);
/// # Ok::<(), mfa::Error>(())
/// ```
pub trait Versioned {
    /// The version: 0 for a new record, one more after each change.
    fn version(&self) -> u64;
}

/// Whether a conditional write took place.
///
/// ```
/// assert_ne!(mfa::Cas::Committed, mfa::Cas::Conflict);
/// ```
#[must_use = "a conflict means the write did not happen"]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Cas {
    /// The record was written.
    Committed,
    /// Nothing was written: the stored record is not at the expected
    /// version (another writer got there first, or it was removed), or, for
    /// an insert, a record already exists.
    Conflict,
}

/// Why [`Store::update`] did not complete.
///
/// `E` is the store's own error (a database error, for example);
/// `MemoryStore` (feature `std`) never fails, so its `E` is
/// [`Infallible`], the default, and its errors convert into
/// [`mfa::Error`](crate::Error).
///
/// ```
/// use mfa::StoreError;
///
/// let e: StoreError = StoreError::Conflict { tries: 8 };
/// assert_eq!(e.to_string(), "the record kept changing under concurrent updates; gave up after 8 tries");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StoreError<E = Infallible> {
    /// No record has this id.
    NotFound,
    /// Every try lost a race with another writer. Nothing was written and
    /// the outcome was discarded; the request may be retried.
    Conflict {
        /// How many times the operation was tried.
        tries: u32,
    },
    /// The store itself failed.
    Backend(E),
    /// The operation returned a record whose version is not one past the
    /// loaded one, which would break compare-and-set (a record type of your
    /// own that forgot to bump it, or a corrupt stored version). Nothing
    /// was written and the outcome was discarded.
    VersionNotAdvanced {
        /// The version of the loaded record.
        loaded: u64,
        /// The version of the record the operation returned.
        returned: u64,
    },
}

impl<E: fmt::Display> fmt::Display for StoreError<E> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotFound => f.write_str("no record has this id"),
            Self::Conflict { tries } => write!(
                f,
                "the record kept changing under concurrent updates; gave up after {tries} tries"
            ),
            Self::Backend(e) => write!(f, "the store failed: {e}"),
            Self::VersionNotAdvanced { loaded, returned } => write!(
                f,
                "the new record has version {returned}, not one past the loaded {loaded}; nothing was written"
            ),
        }
    }
}

impl<E: core::error::Error + 'static> core::error::Error for StoreError<E> {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Backend(e) => Some(e),
            Self::NotFound | Self::Conflict { .. } | Self::VersionNotAdvanced { .. } => None,
        }
    }
}

/// Where factor records of type `R` live: loaded by id, written with
/// compare-and-set on their [`version`](Versioned::version).
///
/// # The contract
///
/// - [`load`](Self::load) returns the record as stored, with its version.
/// - [`compare_and_set`](Self::compare_and_set)`(id, expected, new)` writes
///   `new` (whose version is `expected + 1`) **only if** the stored record
///   still has version `expected`, atomically, and says whether it did.
/// - [`insert`](Self::insert) writes a new record only if there is none.
///
/// Two service instances racing on the same code or the same failure
/// counter then cannot both win: the loser's write is refused, and it
/// loads the winner's record and evaluates again (where the code is now a
/// replay, or the throttle now refuses). [`update`](Self::update) runs this
/// loop.
///
/// In SQL, one statement; one changed row means committed, none means
/// conflict:
///
/// ```sql
/// CREATE TABLE totp_factor (
///     id      TEXT PRIMARY KEY,
///     record  BLOB NOT NULL,    -- the serialized record: encrypt it, it holds the secret
///     version INTEGER NOT NULL
/// );
/// SELECT record, version FROM totp_factor WHERE id = ?1;              -- load
/// UPDATE totp_factor SET record = ?1, version = version + 1           -- compare-and-set
///  WHERE id = ?2 AND version = ?3;
/// INSERT INTO totp_factor (id, record, version) VALUES (?1, ?2, 0)
///     ON CONFLICT (id) DO NOTHING;                                    -- insert
/// ```
///
/// (In SQLite, run the `UPDATE` inside `BEGIN IMMEDIATE … COMMIT`, so that
/// it waits for the write lock under `busy_timeout` rather than failing on
/// a stale snapshot; `tests/sqlite_store.rs` does.)
///
/// In Redis, with the record in a hash `{record, version}`, either
/// `WATCH key`, `HGET key version`, compare, then `MULTI`, `HSET key record
/// … version …`, `EXEC` (a nil reply is a conflict), or in one round trip
/// a script:
///
/// ```text
/// -- KEYS[1] = key, ARGV[1] = expected version, ARGV[2] = new record, ARGV[3] = new version
/// if redis.call('HGET', KEYS[1], 'version') == ARGV[1] then
///   redis.call('HSET', KEYS[1], 'record', ARGV[2], 'version', ARGV[3])
///   return 1  -- committed
/// end
/// return 0    -- conflict
/// ```
///
/// # Async services
///
/// The operations of the records are pure and never block, so an async
/// service needs no `Store` at all: it calls them between its own awaits,
/// with its own database client, and loops on conflict as
/// [`update`](Self::update) does.
///
/// ```
/// use mfa::{Secret, Totp, TotpConfig, TotpMatch, TotpRecord, VerifyFailure};
///
/// /// Stands in for an async database client.
/// struct Db(std::sync::Mutex<TotpRecord>);
///
/// impl Db {
///     async fn load(&self) -> TotpRecord {
///         self.0.lock().unwrap_or_else(|e| e.into_inner()).clone()
///     }
///     // UPDATE … SET record = ?, version = version + 1 WHERE id = ? AND version = ?
///     async fn compare_and_set(&self, expected: u64, new: TotpRecord) -> bool {
///         let mut stored = self.0.lock().unwrap_or_else(|e| e.into_inner());
///         let committed = stored.version() == expected;
///         if committed {
///             *stored = new;
///         }
///         committed
///     }
/// }
///
/// async fn check(db: &Db, code: &str, now: u64) -> Option<Result<TotpMatch, VerifyFailure>> {
///     for _ in 0..8 {
///         let record = db.load().await;
///         let (new, outcome) = record.verify(code, now).into_parts();
///         let written = match new {
///             None => true, // refused: nothing to write
///             Some(new) => db.compare_and_set(record.version(), new).await,
///         };
///         if written {
///             return Some(outcome); // only now may it be acted on
///         }
///         // Lost a race: load again, evaluate again.
///     }
///     None
/// }
///
/// let totp = Totp::new(&Secret::generate()?, TotpConfig::default())?;
/// let now = 1_700_000_000;
/// let code = totp.generate(now)?.to_string();
/// let db = Db(std::sync::Mutex::new(TotpRecord::new(totp)));
///
/// // Any executor will do; this future never waits, so one poll finishes it.
/// let mut future = std::pin::pin!(check(&db, &code, now));
/// let poll = future.as_mut().poll(&mut std::task::Context::from_waker(std::task::Waker::noop()));
/// assert!(matches!(poll, std::task::Poll::Ready(Some(Ok(_)))));
/// # use std::future::Future;
/// # Ok::<(), mfa::Error>(())
/// ```
pub trait Store<R: Versioned> {
    /// The key records are stored under.
    type Id: ?Sized;
    /// The store's own error, such as a database error.
    type Error;

    /// How many times [`update`](Self::update) tries before it gives up
    /// with [`StoreError::Conflict`]. A store may raise it.
    const MAX_TRIES: u32 = 8;

    /// The record stored under `id`, if any.
    ///
    /// # Errors
    ///
    /// The store's own error.
    ///
    /// ```
    /// # #[cfg(feature = "std")] fn main() -> Result<(), mfa::Error> {
    /// use mfa::{MemoryStore, Secret, Store, Totp, TotpConfig, TotpRecord};
    ///
    /// let store = MemoryStore::new();
    /// let record = TotpRecord::new(Totp::new(&Secret::generate()?, TotpConfig::default())?);
    /// assert_eq!(store.insert(&1, &record)?, mfa::Cas::Committed);
    /// assert_eq!(store.load(&1)?, Some(record));
    /// assert_eq!(store.load(&2)?, None);
    /// # Ok(()) }
    /// # #[cfg(not(feature = "std"))] fn main() {}
    /// ```
    fn load(&self, id: &Self::Id) -> Result<Option<R>, Self::Error>;

    /// Writes a new record under `id` if there is none.
    ///
    /// # Errors
    ///
    /// The store's own error.
    ///
    /// ```
    /// # #[cfg(feature = "std")] fn main() -> Result<(), mfa::Error> {
    /// use mfa::{Cas, MemoryStore, Secret, Store, Totp, TotpConfig, TotpRecord};
    ///
    /// let store = MemoryStore::new();
    /// let record = TotpRecord::new(Totp::new(&Secret::generate()?, TotpConfig::default())?);
    /// assert_eq!(store.insert(&1, &record)?, Cas::Committed);
    /// assert_eq!(store.insert(&1, &record)?, Cas::Conflict);
    /// # Ok(()) }
    /// # #[cfg(not(feature = "std"))] fn main() {}
    /// ```
    fn insert(&self, id: &Self::Id, record: &R) -> Result<Cas, Self::Error>;

    /// Writes `record` under `id` only if the stored record has version
    /// `expected`, atomically. `record` has version `expected + 1`.
    ///
    /// # Errors
    ///
    /// The store's own error. A lost race is not an error but
    /// [`Cas::Conflict`].
    ///
    /// ```
    /// # #[cfg(feature = "std")] fn main() -> Result<(), mfa::Error> {
    /// use mfa::{Cas, MemoryStore, Secret, Store, Totp, TotpConfig, TotpRecord};
    ///
    /// let store = MemoryStore::new();
    /// let record = TotpRecord::new(Totp::new(&Secret::generate()?, TotpConfig::default())?);
    /// let _ = store.insert(&1, &record)?;
    /// let unlocked = record.unlock();
    /// assert_eq!(store.compare_and_set(&1, 0, &unlocked)?, Cas::Committed);
    /// assert_eq!(store.compare_and_set(&1, 0, &unlocked)?, Cas::Conflict); // now at 1
    /// # Ok(()) }
    /// # #[cfg(not(feature = "std"))] fn main() {}
    /// ```
    fn compare_and_set(&self, id: &Self::Id, expected: u64, record: &R)
    -> Result<Cas, Self::Error>;

    /// Runs `operation` on the record under `id` and writes the result:
    /// load → operation → compare-and-set, again from the load on a
    /// conflict, at most [`MAX_TRIES`](Self::MAX_TRIES) times.
    ///
    /// The outcome is returned only once its record is written (or when
    /// the operation changed nothing, as for a refused attempt), so it can
    /// be acted on at once. `operation` may run more than once; it must be
    /// pure, as the records' operations are.
    ///
    /// # Errors
    ///
    /// [`StoreError::NotFound`], [`StoreError::Conflict`] when every try
    /// lost a race (nothing was written), [`StoreError::Backend`].
    ///
    /// ```
    /// # #[cfg(feature = "std")] fn main() -> Result<(), mfa::Error> {
    /// use mfa::{MemoryStore, Secret, Store, Totp, TotpConfig, TotpRecord, VerifyFailure};
    ///
    /// let totp = Totp::new(&Secret::generate()?, TotpConfig::default())?;
    /// let now = 1_700_000_000;
    /// let code = totp.generate(now)?.to_string();
    /// let store = MemoryStore::new();
    /// let _ = store.insert(&1, &TotpRecord::new(totp))?;
    ///
    /// let first = store.update(&1, |record| record.verify(&code, now))?;
    /// assert_eq!(first?.offset, 0);
    /// let again = store.update(&1, |record| record.verify(&code, now))?;
    /// assert_eq!(again, Err(VerifyFailure::Rejected)); // a replay
    /// # Ok(()) }
    /// # #[cfg(not(feature = "std"))] fn main() {}
    /// ```
    fn update<T, E, F>(
        &self,
        id: &Self::Id,
        mut operation: F,
    ) -> Result<Result<T, E>, StoreError<Self::Error>>
    where
        F: FnMut(&R) -> Attempt<R, T, E>,
    {
        for _ in 0..Self::MAX_TRIES {
            let record = self
                .load(id)
                .map_err(StoreError::Backend)?
                .ok_or(StoreError::NotFound)?;
            let (new, outcome) = operation(&record).into_parts();
            let Some(new) = new else {
                return Ok(outcome);
            };
            let loaded = record.version();
            if new.version() != loaded.wrapping_add(1) {
                return Err(StoreError::VersionNotAdvanced {
                    loaded,
                    returned: new.version(),
                });
            }
            match self
                .compare_and_set(id, loaded, &new)
                .map_err(StoreError::Backend)?
            {
                Cas::Committed => return Ok(outcome),
                Cas::Conflict => {}
            }
        }
        Err(StoreError::Conflict {
            tries: Self::MAX_TRIES,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::TimeError;
    use alloc::string::ToString;
    use core::error::Error as _;

    /// A backend error is the source; the store's own errors have none.
    #[test]
    fn the_backend_error_is_the_source() {
        let backend = StoreError::Backend(TimeError::BeforeT0);
        let source = backend.source().map(ToString::to_string);
        assert_eq!(source, Some(TimeError::BeforeT0.to_string()));
        assert!(StoreError::<TimeError>::NotFound.source().is_none());
    }
}
