//! Cost of making and checking codes with `mfa`.
//!
//! For each hash (SHA-1, SHA-256, SHA-512): one TOTP code (`generate`), and
//! TOTP verification with windows of 0, ±1 and ±10 steps, for a code that is
//! accepted (the code of "now") and one that is rejected (a code of no step
//! in the window). Verification is constant-time, so both should cost the
//! same: one HMAC per candidate step. Also HOTP verification with the
//! default look-ahead (5, so 6 candidates).
//!
//! Benchmark IDs: `generate/SHA1`, `verify/SHA1/window±1/reject`,
//! `hotp_verify/SHA1/look_ahead5/accept`, and so on.
//!
//! Run with `cargo bench --bench verify`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use mfa::{Algorithm, Hotp, HotpConfig, Secret, Totp, TotpConfig, Window};

/// A fixed verification time (2023-11-14T22:13:20Z).
const NOW: u64 = 1_700_000_000;

const ALGORITHMS: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];

/// A fixed secret as long as the hash output (RFC 6238 Appendix B).
fn secret_for(algorithm: Algorithm) -> Secret {
    let bytes: Vec<u8> = b"1234567890"
        .iter()
        .copied()
        .cycle()
        .take(algorithm.output_len())
        .collect();
    Secret::from_bytes(&bytes).expect("valid secret")
}

/// A 6-digit code that differs from the code of every step in `now ± 10`,
/// so that it is rejected by every window benchmarked here.
fn wrong_code(totp: &Totp, now: u64) -> String {
    let now_step = totp.step_at(now).unwrap();
    let window: Vec<String> = (now_step - 10..=now_step + 10)
        .map(|step| totp.generate_at_step(step).to_string())
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|candidate| !window.contains(candidate))
        .expect("some code is outside the window")
}

fn windows() -> [(&'static str, Window); 3] {
    [
        ("window0", Window::EXACT),
        ("window±1", Window::default()),
        ("window±10", Window::symmetric(10).unwrap()),
    ]
}

fn bench_generate(c: &mut Criterion) {
    let mut group = c.benchmark_group("generate");
    for algorithm in ALGORITHMS {
        let totp = Totp::new(
            &secret_for(algorithm),
            TotpConfig::builder().algorithm(algorithm).build().unwrap(),
        )
        .unwrap();
        group.bench_function(algorithm.as_str(), |b| {
            b.iter(|| black_box(&totp).generate(black_box(NOW)));
        });
    }
    group.finish();
}

fn bench_totp_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("verify");
    for algorithm in ALGORITHMS {
        let secret = secret_for(algorithm);
        for (window_name, window) in windows() {
            let totp = Totp::new(
                &secret,
                TotpConfig::builder()
                    .algorithm(algorithm)
                    .window(window)
                    .build()
                    .unwrap(),
            )
            .unwrap();
            let good = totp.generate(NOW).unwrap().to_string();
            let bad = wrong_code(&totp, NOW);
            assert!(totp.verify(&good, NOW, None).is_ok());
            assert!(totp.verify(&bad, NOW, None).is_err());

            for (outcome, code) in [("accept", &good), ("reject", &bad)] {
                let id = format!("{}/{window_name}/{outcome}", algorithm.as_str());
                group.bench_function(id, |b| {
                    b.iter(|| {
                        black_box(&totp).verify(
                            black_box(code.as_str()),
                            black_box(NOW),
                            black_box(None),
                        )
                    });
                });
            }
        }
    }
    group.finish();
}

fn bench_hotp_verify(c: &mut Criterion) {
    let mut group = c.benchmark_group("hotp_verify");
    let config = HotpConfig::default();
    let hotp = Hotp::new(&secret_for(Algorithm::Sha1), config).unwrap();
    let counter = 1_000u64;
    let look_ahead = u64::from(config.look_ahead());
    // Accepted: the expected counter itself (the scan has no early exit, so
    // the position in the look-ahead does not matter).
    let good = hotp.generate(counter).to_string();
    let window: Vec<String> = (counter..=counter + look_ahead)
        .map(|c| hotp.generate(c).to_string())
        .collect();
    let bad = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|candidate| !window.contains(candidate))
        .unwrap();
    assert!(hotp.verify(&good, counter.checked_sub(1)).is_ok());
    assert!(hotp.verify(&bad, counter.checked_sub(1)).is_err());

    for (outcome, code) in [("accept", &good), ("reject", &bad)] {
        let id = format!("SHA1/look_ahead{look_ahead}/{outcome}");
        group.bench_function(id, |b| {
            b.iter(|| {
                black_box(&hotp).verify(black_box(code.as_str()), black_box(counter.checked_sub(1)))
            });
        });
    }
    group.finish();
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_millis(500))
        .measurement_time(Duration::from_secs(2))
}

criterion_group! {
    name = benches;
    config = config();
    targets = bench_generate, bench_totp_verify, bench_hotp_verify
}
criterion_main!(benches);
