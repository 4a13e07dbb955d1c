//! Cost of sealing and opening a 2 KiB record (feature `seal`).
//!
//! `seal/seal/2048` is `Keyring::seal`: a 24-byte nonce from the OS random
//! source, the associated data, XChaCha20-Poly1305 over 2,048 bytes, and
//! the sealed value assembled. `seal/open/2048` is `Keyring::open` on it:
//! parsing, the key looked up by id, the tag checked, then decryption.
//! `seal/open_str/2048` adds the Base64url decoding of the text form.
//!
//! Run with `cargo bench --features seal --bench seal`; medians are in
//! `target/criterion/<group>/<id>/new/estimates.json`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mfa::{Keyring, SealingKey};

const LEN: usize = 2048;
const CONTEXT: &[u8] = b"totp_factor/42";

fn bench_seal(c: &mut Criterion) {
    let keys = Keyring::new(SealingKey::from_bytes(2, &[0x5a; 32]).unwrap())
        .with_old_key(SealingKey::from_bytes(1, &[0xa5; 32]).unwrap())
        .unwrap();
    let record = vec![0x42; LEN];
    let sealed = keys.seal(CONTEXT, &record).unwrap();
    let text = keys.seal_to_string(CONTEXT, &record).unwrap();
    assert_eq!(keys.open(CONTEXT, &sealed).unwrap().as_slice(), record);

    let mut group = c.benchmark_group("seal");
    group.throughput(Throughput::Bytes(LEN as u64));
    group.bench_function("seal/2048", |b| {
        b.iter(|| keys.seal(black_box(CONTEXT), black_box(&record)).unwrap());
    });
    group.bench_function("open/2048", |b| {
        b.iter(|| keys.open(black_box(CONTEXT), black_box(&sealed)).unwrap());
    });
    group.bench_function("open_str/2048", |b| {
        b.iter(|| keys.open_str(black_box(CONTEXT), black_box(&text)).unwrap());
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_seal
}
criterion_main!(benches);
