//! The embedded default store: records in memory, behind a lock.

use core::convert::Infallible;
use core::fmt;
use core::hash::Hash;
use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{PoisonError, RwLock};

use super::store::{Cas, Store, Versioned};

/// A thread-safe [`Store`] that keeps records in a `HashMap` behind an
/// `RwLock`: for a single process, tests and examples. It never fails.
///
/// Each call holds the lock for one map operation only; a record is cloned
/// before the lock is taken for a write. `Debug` prints the number of
/// records, never their content.
///
/// ```
/// use mfa::{Cas, MemoryStore, Secret, Store, Totp, TotpConfig, TotpRecord};
///
/// let store: MemoryStore<String, TotpRecord> = MemoryStore::new();
/// let record = TotpRecord::new(Totp::new(&Secret::generate()?, TotpConfig::default())?);
/// assert_eq!(store.insert(&"alice".to_owned(), &record)?, Cas::Committed);
/// assert_eq!(store.len(), 1);
/// assert_eq!(format!("{store:?}"), "MemoryStore { records: 1, .. }");
/// # Ok::<(), mfa::Error>(())
/// ```
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub struct MemoryStore<K, R> {
    records: RwLock<HashMap<K, R>>,
}

impl<K, R> MemoryStore<K, R> {
    /// An empty store.
    ///
    /// ```
    /// let store: mfa::MemoryStore<u64, mfa::TotpRecord> = mfa::MemoryStore::new();
    /// assert!(store.is_empty());
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self {
            records: RwLock::new(HashMap::new()),
        }
    }

    /// The number of records.
    ///
    /// ```
    /// let store: mfa::MemoryStore<u64, mfa::HotpRecord> = mfa::MemoryStore::new();
    /// assert_eq!(store.len(), 0);
    /// ```
    #[must_use]
    pub fn len(&self) -> usize {
        self.read(HashMap::len)
    }

    /// Whether the store holds no record.
    ///
    /// ```
    /// let store: mfa::MemoryStore<u64, mfa::HotpRecord> = mfa::MemoryStore::default();
    /// assert!(store.is_empty());
    /// ```
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.read(HashMap::is_empty)
    }

    // A panic while the lock is held cannot leave the map half-updated:
    // each critical section is a single map operation on values prepared
    // beforehand. So a poisoned lock is safe to keep using.
    fn read<T>(&self, f: impl FnOnce(&HashMap<K, R>) -> T) -> T {
        f(&self.records.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn write<T>(&self, f: impl FnOnce(&mut HashMap<K, R>) -> T) -> T {
        f(&mut self.records.write().unwrap_or_else(PoisonError::into_inner))
    }
}

impl<K, R> Default for MemoryStore<K, R> {
    fn default() -> Self {
        Self::new()
    }
}

impl<K, R> fmt::Debug for MemoryStore<K, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MemoryStore")
            .field("records", &self.len())
            .finish_non_exhaustive()
    }
}

impl<K, R> Store<R> for MemoryStore<K, R>
where
    K: Eq + Hash + Clone,
    R: Versioned + Clone,
{
    type Id = K;
    type Error = Infallible;

    fn load(&self, id: &K) -> Result<Option<R>, Infallible> {
        Ok(self.read(|records| records.get(id).cloned()))
    }

    fn insert(&self, id: &K, record: &R) -> Result<Cas, Infallible> {
        let (id, record) = (id.clone(), record.clone());
        Ok(self.write(|records| {
            if let Entry::Vacant(entry) = records.entry(id) {
                entry.insert(record);
                Cas::Committed
            } else {
                Cas::Conflict
            }
        }))
    }

    fn compare_and_set(&self, id: &K, expected: u64, record: &R) -> Result<Cas, Infallible> {
        let record = record.clone();
        Ok(self.write(|records| match records.get_mut(id) {
            Some(stored) if stored.version() == expected => {
                *stored = record;
                Cas::Committed
            }
            _ => Cas::Conflict,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Hotp, HotpConfig, HotpRecord, Secret};
    use alloc::format;

    /// The count follows the inserts.
    #[test]
    fn len_counts_the_records() {
        let secret = Secret::from_bytes(&[7; 20]).expect("a 160-bit key");
        let record = HotpRecord::new(Hotp::new(&secret, HotpConfig::default()).expect("valid"));
        let store = MemoryStore::new();
        assert_eq!((store.len(), store.is_empty()), (0, true));
        for (id, len) in [(1u64, 1), (2, 2)] {
            assert_eq!(store.insert(&id, &record), Ok(Cas::Committed));
            assert_eq!((store.len(), store.is_empty()), (len, false));
        }
        // Debug shows the count, never a record.
        assert_eq!(format!("{store:?}"), "MemoryStore { records: 2, .. }");
    }
}
