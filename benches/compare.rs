//! `mfa` against `totp-rs` 6 and `totp-lite` 2 on the common profile:
//! HMAC-SHA-1, 6 digits, 30-second steps, a window of one step each way.
//!
//! All three use the same 20-byte secret, the same time and the same codes:
//! the code of "now" (accepted) and a code of no step in the window
//! (rejected). Each case is one criterion group, so the three libraries sit
//! side by side in the report: `compare_reject/mfa`,
//! `compare_reject/totp-rs`, `compare_reject/totp-lite`, and the same for
//! `compare_accept`.
//!
//! What each one does per call:
//!
//! * `mfa`: parses the code, then computes and compares all three
//!   candidates in constant time from the HMAC key state precomputed in
//!   `Totp::new` (two SHA-1 compressions per candidate).
//! * `totp-rs`: `Totp::check`, which re-runs the HMAC key schedule for every
//!   candidate (four compressions each) and stops at the first match (past,
//!   now, future: an accepted code of "now" costs two candidates).
//! * `totp-lite`: no verifier, so the loop a user writes: `totp_custom` for
//!   the previous, current and next step (key schedule, HMAC and a `String`
//!   each), compared with `==` and stopping at the first match.
//!
//! Run with `cargo bench --bench compare`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

/// The RFC 4226/6238 SHA-1 test secret: 20 bytes.
const SECRET: &[u8; 20] = b"12345678901234567890";
/// A fixed verification time (2023-11-14T22:13:20Z).
const NOW: u64 = 1_700_000_000;
const STEP: u64 = 30;
const DIGITS: u8 = 6;

/// The three libraries, each set up once for SHA-1, 6 digits, 30 s, ±1.
struct Verifiers {
    mfa: mfa::Totp,
    totp_rs: totp_rs::Totp,
}

impl Verifiers {
    fn new() -> Self {
        let mfa = mfa::Totp::new(
            &mfa::Secret::from_bytes(SECRET).unwrap(),
            mfa::TotpConfig::builder()
                .algorithm(mfa::Algorithm::Sha1)
                .digits(mfa::Digits::SIX)
                .period(STEP)
                .window(mfa::Window::symmetric(1).unwrap())
                .build()
                .unwrap(),
        )
        .unwrap();
        let totp_rs = totp_rs::Builder::new()
            .with_algorithm(totp_rs::Algorithm::SHA1)
            .with_digits(DIGITS)
            .with_skew(1)
            .with_step_duration(STEP)
            .with_secret(SECRET.to_vec())
            .build()
            .unwrap();
        Self { mfa, totp_rs }
    }

    fn mfa(&self, code: &str, now: u64) -> bool {
        self.mfa.verify(code, now, None).is_ok()
    }

    fn totp_rs(&self, code: &str, now: u64) -> bool {
        self.totp_rs.check(code, now).is_some()
    }
}

/// Window ±1 with `totp-lite`, written as a user would: previous, current
/// and next step, stopping at the first match.
fn totp_lite(secret: &[u8], code: &str, now: u64) -> bool {
    [now.saturating_sub(STEP), now, now.saturating_add(STEP)]
        .into_iter()
        .any(|time| totp_lite::totp_custom::<totp_lite::Sha1>(STEP, 6, secret, time) == code)
}

/// The code of "now", checked to be the same in all three libraries.
fn valid_code(v: &Verifiers) -> String {
    let code = v.mfa.generate(NOW).unwrap().to_string();
    assert_eq!(v.totp_rs.generate(NOW).to_string(), code);
    assert_eq!(
        totp_lite::totp_custom::<totp_lite::Sha1>(STEP, 6, SECRET, NOW),
        code
    );
    code
}

/// A code of no step in the window ±1.
fn wrong_code(v: &Verifiers) -> String {
    let window: Vec<String> = [NOW - STEP, NOW, NOW + STEP]
        .into_iter()
        .map(|t| v.mfa.generate(t).unwrap().to_string())
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|candidate| !window.contains(candidate))
        .unwrap()
}

fn bench_case(c: &mut Criterion, v: &Verifiers, group_name: &str, code: &str, expect: bool) {
    // Same answer from all three before anything is timed.
    assert_eq!(v.mfa(code, NOW), expect, "mfa");
    assert_eq!(v.totp_rs(code, NOW), expect, "totp-rs");
    assert_eq!(totp_lite(SECRET, code, NOW), expect, "totp-lite");

    let mut group = c.benchmark_group(group_name);
    group.bench_function("mfa", |b| {
        b.iter(|| black_box(v).mfa(black_box(code), black_box(NOW)));
    });
    group.bench_function("totp-rs", |b| {
        b.iter(|| black_box(v).totp_rs(black_box(code), black_box(NOW)));
    });
    group.bench_function("totp-lite", |b| {
        b.iter(|| totp_lite(black_box(SECRET), black_box(code), black_box(NOW)));
    });
    group.finish();
}

fn bench_compare(c: &mut Criterion) {
    let v = Verifiers::new();
    let good = valid_code(&v);
    let bad = wrong_code(&v);
    bench_case(c, &v, "compare_reject", &bad, false);
    bench_case(c, &v, "compare_accept", &good, true);
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
    targets = bench_compare
}
criterion_main!(benches);
