//! Cost of verifying through a factor record against the bare primitive,
//! in the same run.
//!
//! `totp_record/bare/{accept,reject}` is `Totp::verify` (SHA-1, 6 digits,
//! window ±1, with a last accepted step); `totp_record/record/...` is
//! `TotpRecord::verify` on the same key: throttle check, the window around
//! now plus the recorded drift, replay bound, and the new record (the copy
//! of the key, and its zeroizing drop) for both outcomes. The target is a
//! record-layer cost of at most 1.3 times the bare one. `hotp_record/...`
//! is the same comparison for HOTP (look-ahead 5).
//!
//! Before the criterion runs, a paired measurement alternates batches of
//! bare and record-layer verifications and prints the median of the
//! per-pair ratios: on a busy machine it is steadier than the ratio of two
//! criterion medians taken seconds apart.
//!
//! `totp_wrong_code/<algorithm>/resync_<n>/{accept,reject}` is the cost
//! of a code through `TotpRecord::verify` when the key's resynchronisation
//! range is `n` steps (120 by default, `TotpConfig::MAX_RESYNC` 2,880 at
//! most): a rejected code also scans every step of that range behind the
//! window, in constant time, to tell a phone whose clock is behind
//! (`VerifyFailure::ClockBehind`) from a wrong code; an accepted one pays
//! nothing for it.
//!
//! Run with `cargo bench --bench records`; medians are in
//! `target/criterion/<group>/<kind>_<outcome>/new/estimates.json`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group};
use mfa::{Algorithm, Hotp, HotpConfig, HotpRecord, Secret, Totp, TotpConfig, TotpRecord};

/// A fixed verification time (2023-11-14T22:13:20Z).
const NOW: u64 = 1_700_000_000;

fn secret() -> Secret {
    Secret::from_bytes(b"12345678901234567890").unwrap()
}

/// A code that is no code of `codes`.
fn other_than(codes: &[String]) -> String {
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|candidate| !codes.contains(candidate))
        .unwrap()
}

/// A record in use: a code accepted two steps ago, so the replay bound
/// is live, and no failures.
fn in_use(totp: &Totp) -> TotpRecord {
    let earlier = totp.generate(NOW - 60).unwrap().to_string();
    TotpRecord::new(totp.clone())
        .verify(&earlier, NOW - 60)
        .into_parts()
        .0
        .unwrap()
}

fn bench_totp(c: &mut Criterion) {
    let mut group = c.benchmark_group("totp_record");
    let totp = Totp::new(&secret(), TotpConfig::default()).unwrap();
    let step = totp.step_at(NOW).unwrap();

    let record = in_use(&totp);
    let last = record.last_step();
    assert_eq!(last, Some(step - 2));

    let good = totp.generate(NOW).unwrap().to_string();
    let window: Vec<String> = (step - 1..=step + 1)
        .map(|s| totp.generate_at_step(s).to_string())
        .collect();
    let bad = other_than(&window);
    assert!(record.verify(&good, NOW).into_parts().1.is_ok());
    assert!(record.verify(&bad, NOW).into_parts().1.is_err());
    assert!(totp.verify(&good, NOW, last).is_ok());
    assert!(totp.verify(&bad, NOW, last).is_err());

    for (outcome, code) in [("accept", &good), ("reject", &bad)] {
        group.bench_function(format!("bare/{outcome}"), |b| {
            b.iter(|| {
                black_box(&totp).verify(black_box(code.as_str()), black_box(NOW), black_box(last))
            });
        });
        group.bench_function(format!("record/{outcome}"), |b| {
            b.iter(|| black_box(&record).verify(black_box(code.as_str()), black_box(NOW)));
        });
    }
    group.finish();
}

fn bench_hotp(c: &mut Criterion) {
    let mut group = c.benchmark_group("hotp_record");
    let hotp = Hotp::new(&secret(), HotpConfig::default()).unwrap();
    let counter = 1_000;
    let record = HotpRecord::new(hotp.clone()).starting_at(counter);
    let good = hotp.generate(counter).to_string();
    let window: Vec<String> = (counter..=counter + 5)
        .map(|c| hotp.generate(c).to_string())
        .collect();
    let bad = other_than(&window);
    assert!(record.verify(&good, NOW).into_parts().1.is_ok());
    assert!(record.verify(&bad, NOW).into_parts().1.is_err());

    for (outcome, code) in [("accept", &good), ("reject", &bad)] {
        group.bench_function(format!("bare/{outcome}"), |b| {
            b.iter(|| {
                black_box(&hotp).verify(black_box(code.as_str()), black_box(Some(counter - 1)))
            });
        });
        group.bench_function(format!("record/{outcome}"), |b| {
            b.iter(|| black_box(&record).verify(black_box(code.as_str()), black_box(NOW)));
        });
    }
    group.finish();
}

fn bench_wrong_code(c: &mut Criterion) {
    let mut group = c.benchmark_group("totp_wrong_code");
    for algorithm in [Algorithm::Sha1, Algorithm::Sha512] {
        for resync in [TotpConfig::default().resync(), TotpConfig::MAX_RESYNC] {
            let config = TotpConfig::builder()
                .algorithm(algorithm)
                .resync(resync)
                .build()
                .unwrap();
            let secret = Secret::from_bytes(&[7; 64]).unwrap();
            let totp = Totp::new(&secret, config).unwrap();
            let step = totp.step_at(NOW).unwrap();
            let record = in_use(&totp);
            let good = totp.generate(NOW).unwrap().to_string();
            // Wrong at every step the scan reaches, and after.
            let reached: Vec<String> = (step - u64::from(resync) - 1..=step + 1)
                .map(|s| totp.generate_at_step(s).to_string())
                .collect();
            let bad = other_than(&reached);
            assert!(record.verify(&good, NOW).into_parts().1.is_ok());
            assert_eq!(
                record.verify(&bad, NOW).into_parts().1.err(),
                Some(mfa::VerifyFailure::Rejected)
            );
            for (outcome, code) in [("accept", &good), ("reject", &bad)] {
                let name = format!("{algorithm:?}/resync_{resync}/{outcome}");
                group.bench_function(name, |b| {
                    b.iter(|| black_box(&record).verify(black_box(code.as_str()), black_box(NOW)));
                });
            }
        }
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(100)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

/// The median over `rounds` of (time of a batch of `record`) / (time of a
/// batch of `bare`), the two batches of each pair run back to back, in
/// alternating order.
fn paired_ratio(rounds: usize, batch: usize, bare: impl Fn(), record: impl Fn()) -> f64 {
    let time = |f: &dyn Fn()| {
        let start = Instant::now();
        for _ in 0..batch {
            f();
        }
        start.elapsed().as_secs_f64()
    };
    let mut ratios: Vec<f64> = (0..rounds)
        .map(|round| {
            if round % 2 == 0 {
                let b = time(&bare);
                time(&record) / b
            } else {
                let r = time(&record);
                r / time(&bare)
            }
        })
        .collect();
    ratios.sort_by(f64::total_cmp);
    ratios[rounds / 2]
}

fn paired() {
    let totp = Totp::new(&secret(), TotpConfig::default()).unwrap();
    let step = totp.step_at(NOW).unwrap();
    let earlier = totp.generate(NOW - 60).unwrap().to_string();
    let record = TotpRecord::new(totp.clone())
        .verify(&earlier, NOW - 60)
        .into_parts()
        .0
        .unwrap();
    let last = record.last_step();
    let good = totp.generate(NOW).unwrap().to_string();
    let window: Vec<String> = (step - 1..=step + 1)
        .map(|s| totp.generate_at_step(s).to_string())
        .collect();
    let bad = other_than(&window);
    for (outcome, code) in [("accept", &good), ("reject", &bad)] {
        let ratio = paired_ratio(
            201,
            1_000,
            || {
                let _ = black_box(black_box(&totp).verify(
                    black_box(code.as_str()),
                    black_box(NOW),
                    black_box(last),
                ));
            },
            || {
                let _ =
                    black_box(black_box(&record).verify(black_box(code.as_str()), black_box(NOW)));
            },
        );
        println!("paired ratio totp record/bare, SHA1 window±1, {outcome}: {ratio:.3}");
    }
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_totp, bench_hotp, bench_wrong_code
}

fn main() {
    paired();
    benches();
    Criterion::default().configure_from_args().final_summary();
}
