//! Cost of out-of-band codes and recovery codes through their records.
//!
//! `oob/verify/{accept,reject}` is `OobRecord::verify` on a 6-digit SMS
//! code: policy and throttle checks, parsing, one HMAC-SHA256 over the
//! code and its destination with the precomputed key schedule, the
//! constant-time comparison, and the new record. `oob/issue` adds the
//! draw from the OS random source.
//!
//! `recovery/verify/{accept,reject}` is `RecoveryCodes::verify` on a set of
//! 10 codes with the default policy: one PBKDF2-HMAC-SHA256 run of 10,000
//! iterations, then 10 constant-time comparisons. It costs the same for
//! both outcomes, and does not grow with the number of codes.
//! `recovery/verify/malformed` is rejected before the KDF.
//! `recovery/generate` runs PBKDF2 once per code.
//!
//! Run with `cargo bench --bench codes`; medians are in
//! `target/criterion/<group>/<id>/new/estimates.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mfa::{Destination, OobKey, OobPolicy, OobRecord, RecoveryCodes, RecoveryPolicy};

/// A fixed time (2023-11-14T22:13:20Z).
const NOW: u64 = 1_700_000_000;

fn bench_oob(c: &mut Criterion) {
    let mut group = c.benchmark_group("oob");
    let policy = OobPolicy::default();
    let key = OobKey::from_bytes(&[0x5a; 32]).unwrap();
    let phone = Destination::sms("+14155552671").unwrap();
    let (record, delivery) = OobRecord::new()
        .issue(&policy, &key, &phone, NOW)
        .into_parts();
    let (record, delivery) = (record.unwrap(), delivery.unwrap());
    let good = delivery.code().expose().to_owned();
    let bad = if good == "000000" { "111111" } else { "000000" }.to_owned();
    assert!(
        record
            .verify(&policy, &key, &phone, &good, NOW + 30)
            .into_parts()
            .1
            .is_ok()
    );
    assert!(
        record
            .verify(&policy, &key, &phone, &bad, NOW + 30)
            .into_parts()
            .1
            .is_err()
    );

    for (outcome, code) in [("accept", &good), ("reject", &bad)] {
        group.bench_function(format!("verify/{outcome}"), |b| {
            b.iter(|| {
                black_box(&record).verify(
                    black_box(&policy),
                    black_box(&key),
                    black_box(&phone),
                    black_box(code.as_str()),
                    black_box(NOW + 30),
                )
            });
        });
    }
    let fresh = OobRecord::new();
    group.bench_function("issue", |b| {
        b.iter(|| black_box(&fresh).issue(black_box(&policy), &key, &phone, black_box(NOW)));
    });
    group.finish();
}

fn bench_recovery(c: &mut Criterion) {
    let mut group = c.benchmark_group("recovery");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(5));
    let policy = RecoveryPolicy::default();
    let (record, codes) = RecoveryCodes::generate(&policy, NOW).unwrap();
    // The last code: a match at the end of the scan costs the same as at
    // the start, but this makes it obvious.
    let good = codes[9].expose().to_owned();
    let bad = "0000-0000-0000-0000".to_owned();
    assert!(record.verify(&policy, &good, NOW).into_parts().1.is_ok());
    assert!(record.verify(&policy, &bad, NOW).into_parts().1.is_err());

    for (outcome, code) in [
        ("accept", &good),
        ("reject", &bad),
        ("malformed", &"0000".to_owned()),
    ] {
        group.bench_function(format!("verify/{outcome}"), |b| {
            b.iter(|| {
                black_box(&record).verify(
                    black_box(&policy),
                    black_box(code.as_str()),
                    black_box(NOW),
                )
            });
        });
    }
    group.sample_size(10);
    group.bench_function("generate", |b| {
        b.iter(|| RecoveryCodes::generate(black_box(&policy), black_box(NOW)));
    });
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(100)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_oob, bench_recovery
}
criterion_main!(benches);
