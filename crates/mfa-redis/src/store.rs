//! The store: one hash per account, written by two Lua scripts.

use core::fmt;
use std::sync::LazyLock;

use mfa::{AsyncStore, Cas, RecordCodec, StoredRecord};
use redis::aio::{ConnectionLike, ConnectionManager};
use redis::{Script, ScriptInvocation};
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::RedisStoreError;

/// What keys start with unless [`RedisStore::with_prefix`] says otherwise.
///
/// ```
/// assert_eq!(mfa_redis::DEFAULT_PREFIX, "mfa:");
/// ```
pub const DEFAULT_PREFIX: &str = "mfa:";

/// The field of an account's hash that holds the version, in decimal.
const VERSION: &str = "v";
/// The field of an account's hash that holds the sealed record.
const RECORD: &str = "r";

/// Writes both fields if the key does not exist: 1 written, 0 not.
static INSERT: LazyLock<Script> = LazyLock::new(|| Script::new(include_str!("insert.lua")));

/// Writes both fields if the stored version is the expected one: 1 written,
/// 0 not.
static COMPARE_AND_SET: LazyLock<Script> =
    LazyLock::new(|| Script::new(include_str!("compare_and_set.lua")));

/// Account records in Redis, sealed at rest, written with compare-and-set:
/// an [`AsyncStore`] for [`mfa::run`], with the account's id as a `&str`.
///
/// # Key layout
///
/// Each account is one hash under `{prefix}{account id}` (the prefix is
/// [`DEFAULT_PREFIX`] unless set with
/// [`with_prefix`](Self::with_prefix)), with two fields:
///
/// | field | value |
/// |---|---|
/// | `v` | the record's version, a `u64` in decimal (`0` … `18446744073709551615`) |
/// | `r` | the record sealed by the [`RecordCodec`]: XChaCha20-Poly1305 under the current key, the account id as associated data |
///
/// The version is kept in clear beside the sealed record because the
/// server must compare it; it is also inside the record, and
/// [`load`](AsyncStore::load) refuses a hash whose two disagree
/// ([`RedisStoreError::Corrupt`]).
///
/// The same layout holds the SMS send budgets shared by all accounts
/// ([`mfa::SendBudget`], for [`mfa::spend_budgets`]) under
/// `{prefix}{budget id}`: the ids start with `sms-number/` or
/// `sms-prefix/`, and each kind of record is sealed in a context of its
/// own ([`mfa::StoredRecord`]), so an account named like a budget cannot
/// read or pass for one.
///
/// # Scripts
///
/// Both writes are Lua scripts, run with `EVALSHA` (and loaded on a
/// `NOSCRIPT` reply), so each is one atomic step on the server:
///
/// - [`insert`](AsyncStore::insert) writes both fields if the key does not
///   exist (`EXISTS`, then `HSET`);
/// - [`compare_and_set`](AsyncStore::compare_and_set) writes both fields
///   if `HGET key v` equals the expected version, compared as strings
///   (Lua numbers are doubles and cannot hold every `u64`); it returns 1
///   ([`Cas::Committed`]) or 0 ([`Cas::Conflict`]).
///
/// [`load`](AsyncStore::load) is one `HMGET key v r`. Each script touches
/// only the account's key, as Redis Cluster requires of a script (the
/// tests run on a single server).
///
/// # Connections
///
/// `C` is any async Redis connection that is cheap to clone:
/// [`ConnectionManager`] (the default; it reconnects),
/// [`MultiplexedConnection`](redis::aio::MultiplexedConnection), or
/// another [`ConnectionLike`]. Every call clones it and sends one command, so one
/// store serves all the tasks of a service; clone the store to share it.
/// The `redis` connections need the tokio runtime.
///
/// ```
/// use mfa::{Keyring, Protection, RecordCodec, SealingKey, TotpRecord};
/// use mfa_redis::RedisStore;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// // The key comes from your secret configuration, never from Redis.
/// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
/// let client = mfa_redis::redis::Client::open("redis://127.0.0.1:6379/")?;
/// let connection = client.get_connection_manager().await?;
/// let store = RedisStore::new(connection, codec).with_prefix("example:mfa:");
/// # let store = store.with_prefix(format!("doc:{}:type:", std::process::id()));
///
/// let ada = "ada"; // the account's id
/// let account = Protection::<TotpRecord>::new()?;
/// assert_eq!(mfa::AsyncStore::load(&store, ada).await?, None::<Protection<TotpRecord>>);
/// assert_eq!(mfa::AsyncStore::insert(&store, ada, &account).await?, mfa::Cas::Committed);
/// assert_eq!(mfa::AsyncStore::load(&store, ada).await?, Some(account));
/// # store.remove(ada).await?;
/// # Ok(())
/// # }
/// ```
#[derive(Clone)]
pub struct RedisStore<C = ConnectionManager> {
    connection: C,
    codec: RecordCodec,
    prefix: String,
}

impl RedisStore<ConnectionManager> {
    /// Connects to the server at `url` (such as `redis://127.0.0.1:6379/`)
    /// through a [`ConnectionManager`], which reconnects when the
    /// connection drops. Records are sealed with `codec`; keys start with
    /// [`DEFAULT_PREFIX`].
    ///
    /// The manager keeps `redis`'s defaults, among them a response timeout
    /// of 500 ms; for other settings make one with
    /// [`Client::get_connection_manager_with_config`](redis::Client::get_connection_manager_with_config)
    /// and pass it to [`new`](Self::new).
    ///
    /// # Errors
    ///
    /// [`RedisStoreError::Redis`] if `url` is not a Redis URL or the server
    /// does not answer.
    ///
    /// ```
    /// use mfa::{Keyring, RecordCodec, SealingKey};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let store = mfa_redis::RedisStore::connect("redis://127.0.0.1:6379/", codec).await?;
    /// assert_eq!(store.key("ada"), "mfa:ada");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn connect(url: &str, codec: RecordCodec) -> Result<Self, RedisStoreError> {
        let client = redis::Client::open(url)?;
        let connection = client.get_connection_manager().await?;
        Ok(Self::new(connection, codec))
    }
}

impl<C> RedisStore<C> {
    /// A store over `connection`, sealing records with `codec`, under keys
    /// that start with [`DEFAULT_PREFIX`].
    ///
    /// ```
    /// use mfa::{Keyring, RecordCodec, SealingKey};
    /// use mfa_redis::{RedisStore, redis};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let client = redis::Client::open("redis://127.0.0.1:6379/")?;
    /// // A multiplexed connection does as well as a connection manager.
    /// let connection = client.get_multiplexed_async_connection().await?;
    /// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let store = RedisStore::new(connection, codec);
    /// assert_eq!(store.prefix(), "mfa:");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn new(connection: C, codec: RecordCodec) -> Self {
        Self {
            connection,
            codec,
            prefix: DEFAULT_PREFIX.to_owned(),
        }
    }

    /// The same store with keys that start with `prefix` instead: to keep
    /// services, environments or test runs apart on one server.
    ///
    /// ```
    /// use mfa::{Keyring, RecordCodec, SealingKey};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let store = mfa_redis::RedisStore::connect("redis://127.0.0.1:6379/", codec)
    ///     .await?
    ///     .with_prefix("shop:staging:mfa:");
    /// assert_eq!(store.key("ada"), "shop:staging:mfa:ada");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// What every key starts with.
    ///
    /// ```
    /// # use mfa::{Keyring, RecordCodec, SealingKey};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let store = mfa_redis::RedisStore::connect("redis://127.0.0.1:6379/", codec).await?;
    /// assert_eq!(store.prefix(), mfa_redis::DEFAULT_PREFIX);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn prefix(&self) -> &str {
        &self.prefix
    }

    /// The key of account `id`'s hash: the prefix, then the id. For
    /// commands of your own on it, such as `EXPIRE`, or reading the raw
    /// fields.
    ///
    /// ```
    /// # use mfa::{Keyring, RecordCodec, SealingKey};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let store = mfa_redis::RedisStore::connect("redis://127.0.0.1:6379/", codec).await?;
    /// assert_eq!(store.with_prefix("app:").key("ada@example.com"), "app:ada@example.com");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub fn key(&self, id: &str) -> String {
        let mut key = String::with_capacity(self.prefix.len().saturating_add(id.len()));
        key.push_str(&self.prefix);
        key.push_str(id);
        key
    }

    /// The codec that seals and opens the records, with its keys.
    ///
    /// ```
    /// # use mfa::{Keyring, RecordCodec, SealingKey};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(4)?));
    /// let store = mfa_redis::RedisStore::connect("redis://127.0.0.1:6379/", codec).await?;
    /// assert_eq!(store.codec().keys().current_id(), 4);
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub const fn codec(&self) -> &RecordCodec {
        &self.codec
    }

    /// The connection the store clones for each call.
    ///
    /// ```
    /// # use mfa::{Keyring, RecordCodec, SealingKey};
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// # let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let store = mfa_redis::RedisStore::connect("redis://127.0.0.1:6379/", codec).await?;
    /// let mut connection = store.connection().clone();
    /// let pong: String = mfa_redis::redis::cmd("PING").query_async(&mut connection).await?;
    /// assert_eq!(pong, "PONG");
    /// # Ok(())
    /// # }
    /// ```
    #[must_use]
    pub const fn connection(&self) -> &C {
        &self.connection
    }
}

impl<C: ConnectionLike + Clone + Send + Sync> RedisStore<C> {
    /// Deletes account `id`'s record, as when the account itself is
    /// deleted. Whether there was one.
    ///
    /// The runner never deletes: turning protection off is a write of the
    /// record like any other.
    ///
    /// # Errors
    ///
    /// [`RedisStoreError::Redis`] if the server or the connection fails.
    ///
    /// ```
    /// use mfa::{AsyncStore, Keyring, Protection, RecordCodec, SealingKey, SmsRecord};
    ///
    /// # #[tokio::main(flavor = "current_thread")]
    /// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let store = mfa_redis::RedisStore::connect("redis://127.0.0.1:6379/", codec).await?;
    /// # let store = store.with_prefix(format!("doc:{}:remove:", std::process::id()));
    /// let _ = store.insert("ada", &Protection::<SmsRecord>::new()?).await?;
    /// assert!(store.remove("ada").await?);
    /// assert!(!store.remove("ada").await?); // gone already
    /// # Ok(())
    /// # }
    /// ```
    pub async fn remove(&self, id: &str) -> Result<bool, RedisStoreError> {
        let mut connection = self.connection.clone();
        let removed: u64 = redis::cmd("DEL")
            .arg(self.key(id))
            .query_async(&mut connection)
            .await?;
        Ok(removed > 0)
    }

    /// Runs `script` with the account's key and `args`: whether it wrote.
    async fn write(
        &self,
        script: &Script,
        id: &str,
        args: &[Vec<u8>],
    ) -> Result<Cas, RedisStoreError> {
        let mut invocation: ScriptInvocation<'_> = script.prepare_invoke();
        invocation.key(self.key(id));
        for arg in args {
            invocation.arg(arg);
        }
        let mut connection = self.connection.clone();
        let written: i64 = invocation.invoke_async(&mut connection).await?;
        Ok(if written == 1 {
            Cas::Committed
        } else {
            Cas::Conflict
        })
    }
}

/// The version field as written by this store: decimal, canonical.
fn parse_version(text: &str) -> Result<u64, RedisStoreError> {
    match text.parse::<u64>() {
        // `parse` takes "+1" and "01" too, which the script's string
        // comparison would never match.
        Ok(version) if version.to_string() == text => Ok(version),
        _ => Err(RedisStoreError::Corrupt(
            "the version field is not a decimal u64",
        )),
    }
}

/// The two fields to write for `record`: its version and its sealed bytes.
fn fields<T: StoredRecord + Serialize>(
    codec: &RecordCodec,
    id: &str,
    record: &T,
) -> Result<[Vec<u8>; 2], RedisStoreError> {
    let sealed = codec.seal(id, record)?;
    Ok([record.version().to_string().into_bytes(), sealed])
}

/// The records as described on [`RedisStore`]; the futures are `Send`.
impl<C, T> AsyncStore<T> for RedisStore<C>
where
    C: ConnectionLike + Clone + Send + Sync,
    T: StoredRecord + Serialize + DeserializeOwned + Send + Sync,
{
    type Id = str;
    type Error = RedisStoreError;

    async fn load(&self, id: &str) -> Result<Option<T>, RedisStoreError> {
        let mut connection = self.connection.clone();
        let (version, sealed): (Option<String>, Option<Vec<u8>>) = redis::cmd("HMGET")
            .arg(self.key(id))
            .arg(VERSION)
            .arg(RECORD)
            .query_async(&mut connection)
            .await?;
        let (version, sealed) = match (version, sealed) {
            (None, None) => return Ok(None),
            (Some(version), Some(sealed)) => (parse_version(&version)?, sealed),
            _ => {
                return Err(RedisStoreError::Corrupt(
                    "the hash lacks its version or record field",
                ));
            }
        };
        let record: T = self.codec.open(id, &sealed)?;
        if record.version() != version {
            return Err(RedisStoreError::Corrupt(
                "the version field differs from the sealed record's version",
            ));
        }
        Ok(Some(record))
    }

    async fn insert(&self, id: &str, record: &T) -> Result<Cas, RedisStoreError> {
        let [version, sealed] = fields(&self.codec, id, record)?;
        self.write(&INSERT, id, &[version, sealed]).await
    }

    async fn compare_and_set(
        &self,
        id: &str,
        expected: u64,
        record: &T,
    ) -> Result<Cas, RedisStoreError> {
        let [version, sealed] = fields(&self.codec, id, record)?;
        let expected = expected.to_string().into_bytes();
        self.write(&COMPARE_AND_SET, id, &[expected, version, sealed])
            .await
    }
}

/// Shows the prefix and the key ids, never a key or a record.
impl<C> fmt::Debug for RedisStore<C> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("prefix", &self.prefix)
            .field("codec", &self.codec)
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_round_trip_in_canonical_decimal_only() {
        for version in [0, 1, 9_007_199_254_740_993, u64::MAX] {
            assert_eq!(parse_version(&version.to_string()).ok(), Some(version));
        }
        for bad in ["", "+1", "01", "-1", "1.0", "18446744073709551616", " 1"] {
            assert!(
                matches!(parse_version(bad), Err(RedisStoreError::Corrupt(_))),
                "{bad:?}"
            );
        }
    }
}
