//! `mfa` against a minimal reference, `totp-rs` 6 and `totp-lite` 2 on the
//! common profile: HMAC-SHA-1, 6 digits, 30-second steps, a window of one
//! step each way.
//!
//! All of them use the same 20-byte secret, the same time and the same
//! codes: the code of "now" (accepted) and a code of no step in the window
//! (rejected). Each case is one criterion group, so they sit side by side in
//! the report, measured in the same run: `compare_reject/reference`,
//! `compare_reject/reference-ahead`, `compare_reject/mfa`,
//! `compare_reject/totp-rs`, `compare_reject/totp-lite`, and the same for
//! `compare_accept`.
//!
//! What each one does per call:
//!
//! * `reference`: the floor of a verifier built on HMAC-SHA-1, written the
//!   straightforward way: the inner and outer SHA-1 states after `K ^ ipad`
//!   and `K ^ opad` computed once, then per candidate its inner block
//!   (counter and padding), exactly two compressions
//!   (`sha1::block_api::compress`, as `src/mac.rs`), dynamic truncation
//!   and a compare. It reads the six digits and divides the time by the
//!   step, and nothing else. It is not a verifier to ship: it indexes by the
//!   secret offset, branches on the input and stops at the first match
//!   (its reject still computes all three candidates), and it zeroizes
//!   nothing.
//! * `reference-ahead`: the same, with the three inner blocks built before
//!   the first compression. The compression reads its block 16 bytes at a
//!   time, which the CPU cannot forward from the smaller writes that built
//!   it just before; built ahead, the blocks are in the cache by then and
//!   consecutive candidates overlap. `mfa` writes its counters ahead too
//!   (`src/mac.rs`), so this is its floor.
//! * `mfa`: parses the code, then computes and compares all three
//!   candidates in constant time from the HMAC key state precomputed in
//!   `Totp::new` (two SHA-1 compressions per candidate), and zeroizes its
//!   secret-derived scratch.
//! * `totp-rs`: `Totp::check`, which re-runs the HMAC key schedule for every
//!   candidate (four compressions each) and stops at the first match (past,
//!   now, future: an accepted code of "now" costs two candidates).
//! * `totp-lite`: no verifier, so the loop a user writes: `totp_custom` for
//!   the previous, current and next step (key schedule, HMAC and a `String`
//!   each), compared with `==` and stopping at the first match.
//!
//! Run with `cargo bench --bench compare` (`-- compare_reject` for the
//! rejecting case alone).
//!
//! Two modes without criterion, on the rejected code, for a loaded machine:
//!
//! * `--count NAME N` runs one verifier (`reference`, `reference-ahead`,
//!   `mfa`, `totp-rs` or `totp-lite`) N times, for instruction counts,
//!   which stay repeatable under load: `valgrind --tool=callgrind
//!   target/release/deps/compare-* --count mfa 20000`, minus the same with
//!   N = 0, divided by N. Valgrind hides the SHA extensions, so the
//!   compressions run in software there: compare the instructions outside
//!   the compressions, not the ratios (and instructions are not time: the
//!   store forwarding above costs none).
//! * `--time ROUNDS NAME...` times interleaved batches of each and prints
//!   the fastest and the median batch, against the first named.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group};
use sha1::block_api::compress;

/// The RFC 4226/6238 SHA-1 test secret: 20 bytes.
const SECRET: &[u8; 20] = b"12345678901234567890";
/// A fixed verification time (2023-11-14T22:13:20Z).
const NOW: u64 = 1_700_000_000;
const STEP: u64 = 30;
const DIGITS: u8 = 6;

/// The three libraries, each set up once for SHA-1, 6 digits, 30 s, ±1.
struct Verifiers {
    reference: Reference,
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
        Self {
            reference: Reference::new(SECRET),
            mfa,
            totp_rs,
        }
    }

    fn mfa(&self, code: &str, now: u64) -> bool {
        self.mfa.verify(code, now, None).is_ok()
    }

    fn totp_rs(&self, code: &str, now: u64) -> bool {
        self.totp_rs.check(code, now).is_some()
    }
}

/// The minimal reference (see the module documentation): cached HMAC
/// states, two compressions per candidate.
struct Reference {
    inner: [u32; 5],
    outer: [u32; 5],
}

impl Reference {
    /// FIPS 180-4 §5.3.1.
    const IV: [u32; 5] = [
        0x6745_2301,
        0xEFCD_AB89,
        0x98BA_DCFE,
        0x1032_5476,
        0xC3D2_E1F0,
    ];

    /// The key schedule, once (a key of at most one block).
    fn new(key: &[u8]) -> Self {
        let mut ipad = [0x36u8; 64];
        let mut opad = [0x5cu8; 64];
        for (i, k) in key.iter().enumerate() {
            ipad[i] ^= k;
            opad[i] ^= k;
        }
        let (mut inner, mut outer) = (Self::IV, Self::IV);
        compress(&mut inner, &[ipad]);
        compress(&mut outer, &[opad]);
        Self { inner, outer }
    }

    /// The inner block of a counter: the counter after one block of key,
    /// padded (0x80, then the length in bits, 8 · (64 + 8)).
    fn inner_block(counter: u64) -> [u8; 64] {
        let mut block = [0u8; 64];
        block[..8].copy_from_slice(&counter.to_be_bytes());
        block[8] = 0x80;
        block[56..].copy_from_slice(&(8 * (64 + 8u64)).to_be_bytes());
        block
    }

    /// HMAC-SHA-1 from an inner block, truncated and reduced to 6 digits.
    fn code_of(&self, inner_block: &[u8; 64]) -> u32 {
        let mut state = self.inner;
        compress(&mut state, std::slice::from_ref(inner_block));
        // The inner digest after one block of key, padded: 8 · (64 + 20).
        let mut block = [0u8; 64];
        for (chunk, word) in block.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        block[20] = 0x80;
        block[56..].copy_from_slice(&(8 * (64 + 20u64)).to_be_bytes());
        let mut state = self.outer;
        compress(&mut state, &[block]);
        let mut hmac = [0u8; 20];
        for (chunk, word) in hmac.chunks_exact_mut(4).zip(state) {
            chunk.copy_from_slice(&word.to_be_bytes());
        }
        let offset = usize::from(hmac[19] & 0x0f);
        let value = u32::from_be_bytes(hmac[offset..offset + 4].try_into().unwrap());
        (value & 0x7fff_ffff) % 1_000_000
    }

    /// The code of a counter.
    fn code(&self, counter: u64) -> u32 {
        self.code_of(&Self::inner_block(counter))
    }

    /// Six ASCII digits, or nothing.
    fn parse(code: &str) -> Option<u32> {
        let bytes = code.as_bytes();
        if bytes.len() != 6 {
            return None;
        }
        let mut value = 0u32;
        for &b in bytes {
            if !b.is_ascii_digit() {
                return None;
            }
            value = value * 10 + u32::from(b - b'0');
        }
        Some(value)
    }

    /// Window ±1: reads six digits, then the previous, current and next
    /// step, each block built just before its compression, stopping at the
    /// first match.
    fn verify(&self, code: &str, now: u64) -> bool {
        let Some(value) = Self::parse(code) else {
            return false;
        };
        let step = now / STEP;
        (step - 1..=step + 1).any(|s| self.code(s) == value)
    }

    /// [`verify`](Self::verify) with the three inner blocks built before
    /// the first compression (`reference-ahead`).
    fn verify_ahead(&self, code: &str, now: u64) -> bool {
        let Some(value) = Self::parse(code) else {
            return false;
        };
        let step = now / STEP;
        let blocks = [step - 1, step, step + 1].map(Self::inner_block);
        blocks.iter().any(|block| self.code_of(block) == value)
    }
}

/// Window ±1 with `totp-lite`, written as a user would: previous, current
/// and next step, stopping at the first match.
fn totp_lite(secret: &[u8], code: &str, now: u64) -> bool {
    [now.saturating_sub(STEP), now, now.saturating_add(STEP)]
        .into_iter()
        .any(|time| totp_lite::totp_custom::<totp_lite::Sha1>(STEP, 6, secret, time) == code)
}

/// The code of "now", checked to be the same in all four.
fn valid_code(v: &Verifiers) -> String {
    let code = v.mfa.generate(NOW).unwrap().to_string();
    assert_eq!(format!("{:06}", v.reference.code(NOW / STEP)), code);
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
    // Same answer from all four before anything is timed.
    assert_eq!(v.reference.verify(code, NOW), expect, "reference");
    assert_eq!(
        v.reference.verify_ahead(code, NOW),
        expect,
        "reference-ahead"
    );
    assert_eq!(v.mfa(code, NOW), expect, "mfa");
    assert_eq!(v.totp_rs(code, NOW), expect, "totp-rs");
    assert_eq!(totp_lite(SECRET, code, NOW), expect, "totp-lite");

    let mut group = c.benchmark_group(group_name);
    group.bench_function("reference", |b| {
        b.iter(|| black_box(&black_box(v).reference).verify(black_box(code), black_box(NOW)));
    });
    group.bench_function("reference-ahead", |b| {
        b.iter(|| black_box(&black_box(v).reference).verify_ahead(black_box(code), black_box(NOW)));
    });
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
/// A verifier: the code typed and the time, whether it is accepted.
type Verify<'a> = Box<dyn Fn(&str, u64) -> bool + 'a>;

/// The verifier called `name`.
fn by_name<'a>(v: &'a Verifiers, name: &str) -> Verify<'a> {
    match name {
        "reference" => Box::new(|code, now| v.reference.verify(code, now)),
        "reference-ahead" => Box::new(|code, now| v.reference.verify_ahead(code, now)),
        "mfa" => Box::new(|code, now| v.mfa(code, now)),
        "totp-rs" => Box::new(|code, now| v.totp_rs(code, now)),
        "totp-lite" => Box::new(|code, now| totp_lite(SECRET, code, now)),
        _ => panic!("a verifier: reference, reference-ahead, mfa, totp-rs or totp-lite"),
    }
}

/// `--count NAME N`: runs one verifier N times on the rejected code, for
/// instruction counts (see the module documentation).
fn count(name: &str, n: u64) {
    let v = Verifiers::new();
    let bad = wrong_code(&v);
    let run = by_name(&v, name);
    let mut accepted = 0u64;
    for _ in 0..n {
        accepted += u64::from(run(black_box(&bad), black_box(NOW)));
    }
    assert_eq!(accepted, 0);
}

/// `--time ROUNDS NAME...`: times batches of 10,000 rejections, one batch
/// of each verifier in turn, and prints the fastest and the median batch
/// of each, per call. On a loaded machine the fastest batch is the one
/// least disturbed; a cross-check of criterion, not a replacement.
fn time(rounds: usize, names: &[String]) {
    const BATCH: u32 = 10_000;
    let v = Verifiers::new();
    let bad = wrong_code(&v);
    let runs: Vec<_> = names.iter().map(|name| by_name(&v, name)).collect();
    let mut times = vec![Vec::with_capacity(rounds); runs.len()];
    for _ in 0..rounds {
        for (run, times) in runs.iter().zip(&mut times) {
            let start = std::time::Instant::now();
            for _ in 0..BATCH {
                black_box(run(black_box(&bad), black_box(NOW)));
            }
            times.push(start.elapsed().as_secs_f64() * 1e9 / f64::from(BATCH));
        }
    }
    let floor = times[0].iter().copied().fold(f64::INFINITY, f64::min);
    for (name, times) in names.iter().zip(&mut times) {
        times.sort_by(f64::total_cmp);
        println!(
            "{name:>10}: fastest {:7.1} ns ({:.3}x the first), median {:7.1} ns",
            times[0],
            times[0] / floor,
            times[times.len() / 2]
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    match &args[1..] {
        [flag, name, n] if flag == "--count" => count(name, n.parse().expect("N: a number")),
        [flag, rounds, names @ ..] if flag == "--time" && !names.is_empty() => {
            time(rounds.parse().expect("ROUNDS: a number"), names);
        }
        _ => {
            benches();
            Criterion::default().configure_from_args().final_summary();
        }
    }
}
