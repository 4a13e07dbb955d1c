//! What both backends share: the version column, the migrator, the row
//! decoding, and the macro that writes each backend's `AsyncStore`.

use mfa::StoredRecord;
use serde::de::DeserializeOwned;
use sqlx::migrate::{Migration, MigrationType, Migrator};

use crate::{Error, MIGRATIONS_TABLE, SqlxStore};

/// The column value of a version: the `i64` of its 64 bits, so `u64::MAX`
/// round-trips.
pub(crate) const fn column(version: u64) -> i64 {
    version.cast_signed()
}

/// The migrator of one backend's `migrations/` folder, embedded.
pub(crate) fn migrator(migrations: &[(i64, &'static str, &'static str)]) -> Migrator {
    let mut migrator = Migrator::with_migrations(
        migrations
            .iter()
            .map(|&(version, description, sql)| {
                Migration::new(
                    version,
                    description.into(),
                    MigrationType::Simple,
                    sqlx::SqlSafeStr::into_sql_str(sql),
                    false,
                )
            })
            .collect(),
    );
    migrator.dangerous_set_table_name(MIGRATIONS_TABLE);
    migrator
}

impl<DB: sqlx::Database> SqlxStore<DB> {
    /// The record stored as `(version, bytes)` under `id`.
    pub(crate) fn decode<T: StoredRecord + DeserializeOwned>(
        &self,
        id: &str,
        version: i64,
        bytes: &[u8],
    ) -> Result<T, Error> {
        let record: T = self.codec.open(id, bytes)?;
        let column = version.cast_unsigned();
        if record.version() != column {
            return Err(Error::VersionMismatch {
                column,
                record: record.version(),
            });
        }
        Ok(record)
    }
}

/// `AsyncStore` and `migrate` for one backend: its pool type, its
/// migrations, and its SQL (load, insert, compare-and-set, in that order)
/// for accounts (`mfa_protection`) and for SMS send budgets
/// (`mfa_send_budget`).
macro_rules! backend {
    (
        $db:ty, $feature:literal, $migrations:expr, $example:literal,
        protection: { load: $load:literal, insert: $insert:literal, cas: $cas:literal $(,)? },
        budget: { load: $bload:literal, insert: $binsert:literal, cas: $bcas:literal $(,)? } $(,)?
    ) => {
        impl $crate::SqlxStore<$db> {
            /// Applies the schema (`migrations/` of this crate, embedded):
            /// creates `mfa_protection` and `mfa_send_budget` unless
            /// there, and records them in
            /// [`MIGRATIONS_TABLE`](crate::MIGRATIONS_TABLE). Safe to call
            /// at every start and from several instances at once.
            ///
            /// # Errors
            ///
            /// [`Error::Migrate`](crate::Error::Migrate) if a migration
            /// fails or one applied before was changed.
            ///
            #[doc = $example]
            #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
            pub async fn migrate(&self) -> Result<(), $crate::Error> {
                $crate::backend::migrator($migrations)
                    .run(&self.pool)
                    .await?;
                Ok(())
            }
        }

        $crate::backend::store!($db, $feature, [R], mfa::Protection<R>, $load, $insert, $cas);
        $crate::backend::store!($db, $feature, [], mfa::SendBudget, $bload, $binsert, $bcas);
    };
}
pub(crate) use backend;

/// One `AsyncStore` impl: a record kind and the SQL of its table.
macro_rules! store {
    ($db:ty, $feature:literal, [$($g:ident)?], $record:ty, $load:literal, $insert:literal, $cas:literal) => {
        #[cfg_attr(docsrs, doc(cfg(feature = $feature)))]
        impl<$($g)?> mfa::AsyncStore<$record> for $crate::SqlxStore<$db>
        where
            $record: mfa::StoredRecord
                + serde::Serialize
                + serde::de::DeserializeOwned
                + Send
                + Sync,
        {
            type Id = str;
            type Error = $crate::Error;

            async fn load(&self, id: &str) -> Result<Option<$record>, $crate::Error> {
                let row: Option<(i64, Vec<u8>)> = sqlx::query_as($load)
                    .bind(id)
                    .fetch_optional(&self.pool)
                    .await?;
                row.map(|(version, bytes)| self.decode(id, version, &bytes))
                    .transpose()
            }

            async fn insert(&self, id: &str, record: &$record) -> Result<mfa::Cas, $crate::Error> {
                let bytes = self.codec.seal(id, record)?;
                let done = sqlx::query($insert)
                    .bind(id)
                    .bind($crate::backend::column(mfa::Versioned::version(record)))
                    .bind(bytes)
                    .execute(&self.pool)
                    .await?;
                Ok(if done.rows_affected() == 1 {
                    mfa::Cas::Committed
                } else {
                    mfa::Cas::Conflict
                })
            }

            async fn compare_and_set(
                &self,
                id: &str,
                expected: u64,
                record: &$record,
            ) -> Result<mfa::Cas, $crate::Error> {
                let bytes = self.codec.seal(id, record)?;
                let done = sqlx::query($cas)
                    .bind($crate::backend::column(mfa::Versioned::version(record)))
                    .bind(bytes)
                    .bind(id)
                    .bind($crate::backend::column(expected))
                    .execute(&self.pool)
                    .await?;
                Ok(if done.rows_affected() == 1 {
                    mfa::Cas::Committed
                } else {
                    mfa::Cas::Conflict
                })
            }
        }
    };
}
pub(crate) use store;

#[cfg(test)]
mod tests {
    #[test]
    fn versions_round_trip_as_their_bits() {
        assert_eq!(super::column(u64::MAX), -1);
        assert_eq!(super::column(u64::MAX).cast_unsigned(), u64::MAX);
    }
}
