//! What the stores fail with.

use std::fmt;

use mfa::CodecError;

/// Why a store could not load or write a record, or apply its schema.
/// Each variant has a message of its own and the underlying error as its
/// [`source`](std::error::Error::source), so a reporter prints each once.
///
/// ```
/// let e = mfa_sqlx::Error::VersionMismatch { column: 3, record: 2 };
/// assert_eq!(e.to_string(), "the stored row's version column (3) is not its record's version (2)");
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// The database failed (or could not be reached).
    Database(sqlx::Error),
    /// A migration failed, or one applied before was changed.
    Migrate(sqlx::migrate::MigrateError),
    /// A record did not seal, or a stored row did not open or read back
    /// (another key, another format, edited).
    Codec(CodecError),
    /// A row's version column disagrees with the version in its record:
    /// the row was edited by hand. Compare-and-set cannot work on it.
    VersionMismatch {
        /// The version column, as a `u64`.
        column: u64,
        /// The record's own version.
        record: u64,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Database(_) => f.write_str("the database failed"),
            Self::Migrate(_) => f.write_str("the schema could not be migrated"),
            Self::Codec(_) => f.write_str("the stored record could not be sealed or opened"),
            Self::VersionMismatch { column, record } => write!(
                f,
                "the stored row's version column ({column}) is not its record's version ({record})"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Self::Database(e) => Some(e),
            Self::Migrate(e) => Some(e),
            Self::Codec(e) => Some(e),
            Self::VersionMismatch { .. } => None,
        }
    }
}

impl From<sqlx::Error> for Error {
    fn from(e: sqlx::Error) -> Self {
        Self::Database(e)
    }
}

impl From<sqlx::migrate::MigrateError> for Error {
    fn from(e: sqlx::migrate::MigrateError) -> Self {
        Self::Migrate(e)
    }
}

impl From<CodecError> for Error {
    fn from(e: CodecError) -> Self {
        Self::Codec(e)
    }
}
