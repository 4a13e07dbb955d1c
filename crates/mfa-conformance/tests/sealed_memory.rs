//! The checks that read raw rows, on the smallest store that keeps bytes:
//! a map of sealed rows behind a mutex. It shows the suite's `Raw`
//! access at work without a server (the adapters run it on theirs).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use mfa::{AsyncStore, Cas, CodecError, Protection, RecordCodec, TotpRecord};
use mfa_conformance::{BoxError, Raw};

type Rows = Arc<Mutex<HashMap<String, (u64, Vec<u8>)>>>;

struct Sealed {
    rows: Rows,
    codec: RecordCodec,
}

impl Sealed {
    fn rows(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u64, Vec<u8>)>> {
        self.rows.lock().unwrap_or_else(|e| e.into_inner())
    }
}

impl AsyncStore<Protection<TotpRecord>> for Sealed {
    type Id = str;
    type Error = CodecError;

    async fn load(&self, id: &str) -> Result<Option<Protection<TotpRecord>>, CodecError> {
        let row = self.rows().get(id).map(|(_, bytes)| bytes.clone());
        row.map(|bytes| self.codec.decode(id, &bytes)).transpose()
    }

    async fn insert(&self, id: &str, record: &Protection<TotpRecord>) -> Result<Cas, CodecError> {
        let bytes = self.codec.encode(id, record)?;
        let mut rows = self.rows();
        if rows.contains_key(id) {
            return Ok(Cas::Conflict);
        }
        rows.insert(id.to_owned(), (record.version(), bytes));
        Ok(Cas::Committed)
    }

    async fn compare_and_set(
        &self,
        id: &str,
        expected: u64,
        record: &Protection<TotpRecord>,
    ) -> Result<Cas, CodecError> {
        let bytes = self.codec.encode(id, record)?;
        let mut rows = self.rows();
        match rows.get_mut(id) {
            Some(row) if row.0 == expected => {
                *row = (record.version(), bytes);
                Ok(Cas::Committed)
            }
            _ => Ok(Cas::Conflict),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sealed_byte_store_passes_every_check() {
    let rows = Rows::default();
    let store = Arc::new(Sealed {
        rows: rows.clone(),
        codec: mfa_conformance::codec(),
    });
    let (put_rows, get_rows) = (rows.clone(), rows);
    let raw = Raw::new(
        move |account, version, bytes| {
            let rows = put_rows.clone();
            async move {
                let mut rows = rows.lock().map_err(|_| "poisoned")?;
                rows.insert(account, (version, bytes));
                Ok::<_, BoxError>(())
            }
        },
        move |account| {
            let rows = get_rows.clone();
            async move {
                let rows = rows.lock().map_err(|_| "poisoned")?;
                Ok::<_, BoxError>(rows.get(&account).map(|(_, bytes)| bytes.clone()))
            }
        },
    );
    let summary = mfa_conformance::check(store, mfa_conformance::str_id, Some(raw)).await;
    println!("{summary}");
    assert!(summary.reports.iter().all(|r| r.ran));
    assert!(summary.row_bytes().is_some());
}
