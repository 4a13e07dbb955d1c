//! `MigrationBatch::parse` (Google Authenticator's export) on any text;
//! every key of a batch that parses is written as a key URI that parses
//! back to the same key.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::{KeyUri, MigrationBatch};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let Ok(batch) = MigrationBatch::parse(text) else {
        return;
    };
    let _ = (
        batch.version(),
        batch.batch_size(),
        batch.batch_index(),
        batch.batch_id(),
    );
    for key in batch.keys() {
        let written = key.to_uri();
        let again = KeyUri::parse(&written).expect("an exported key's URI parses");
        assert_eq!(&again, key);
    }
});
