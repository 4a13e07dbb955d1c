//! What the Redis store fails with.

use core::fmt;

use mfa::CodecError;

/// Why a [`RedisStore`](crate::RedisStore) call failed. A lost race is not
/// an error but [`Cas::Conflict`](mfa::Cas::Conflict).
///
/// Each variant has a message of its own; the Redis or codec error is its
/// [`source`](std::error::Error::source), so an error reporter prints each
/// message once. The runner wraps it in
/// [`FlowError::Storage`](mfa::FlowError::Storage), a server-side error.
///
/// ```
/// use std::error::Error as _;
/// use mfa_redis::RedisStoreError;
///
/// let e = RedisStoreError::from(mfa::CodecError::Format { found: 2 });
/// assert_eq!(e.to_string(), "the stored account record could not be sealed or opened");
/// assert_eq!(
///     e.source().map(ToString::to_string).as_deref(),
///     Some("the stored record is of format 2; this version of mfa reads format 1")
/// );
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum RedisStoreError {
    /// The server or the connection failed (see the source). A write that
    /// failed after it was sent (a response timeout, a dropped connection)
    /// may still have run on the server, as an SQL `COMMIT` whose answer is
    /// lost may have: the next load shows which.
    Redis(redis::RedisError),
    /// The record could not be sealed, or the stored one does not open or
    /// read back (another key ring, another account's value, an edited value,
    /// a record of another format; see the source).
    Codec(CodecError),
    /// The account's key holds a hash that this store did not write: a
    /// field is missing, the version is not a decimal `u64` in canonical
    /// form, or it differs from the version of the sealed record.
    Corrupt(&'static str),
}

impl fmt::Display for RedisStoreError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Redis(_) => f.write_str("the redis command failed"),
            Self::Codec(_) => {
                f.write_str("the stored account record could not be sealed or opened")
            }
            Self::Corrupt(what) => write!(f, "the stored account record is damaged: {what}"),
        }
    }
}

impl std::error::Error for RedisStoreError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Redis(e) => Some(e),
            Self::Codec(e) => Some(e),
            Self::Corrupt(_) => None,
        }
    }
}

impl From<redis::RedisError> for RedisStoreError {
    fn from(e: redis::RedisError) -> Self {
        Self::Redis(e)
    }
}

impl From<CodecError> for RedisStoreError {
    fn from(e: CodecError) -> Self {
        Self::Codec(e)
    }
}
