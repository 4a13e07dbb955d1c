//! Constant-time tests, dudect-style (Reparaz, Balasch and Verbauwhede,
//! "Dude, is my code constant time?", DATE 2017).
//!
//! Each test times one operation on inputs of two classes, drawn at random
//! for every measurement so that the classes interleave, and compares the
//! two timing distributions with Welch's t-test: once on all measurements
//! and once below each of 100 percentiles of a warm-up sample (cropping
//! cuts the long upper tail that interrupts and migrations add). The
//! largest |t| of those is reported. |t| > 4.5 means a likely leak, > 10 a
//! definite one. A low |t| is evidence, not proof: it bounds what this many
//! samples on this machine can see.
//!
//! The tests:
//! - `Totp::verify` and `Hotp::verify`: the correct code vs the code with
//!   one digit off; a correct code at the oldest vs the newest candidate of
//!   the window; a replayed code vs a fresh wrong one.
//! - `TotpRecord::verify`'s search behind the window (a code said to be
//!   old): the code of the far end of the resynchronisation range vs of its
//!   near end.
//! - `Secret::from_base32`: letters only vs digits only.
//! - `OobRecord::verify`: a near miss (one digit off) vs a random wrong code.
//! - `control`: a byte comparison that stops at the first difference, equal
//!   inputs vs inputs that differ in the first byte. It must be flagged
//!   (|t| > 10), or the harness could not see a leak; the run fails if not.
//!
//! Correct vs wrong is expected to differ a little: what follows the scan
//! (turning the result into an outcome) depends on the outcome, which the
//! caller learns anyway. Every other pair has the same outcome in both
//! classes and should not differ.
//!
//! Run with `cargo bench --bench ct` (2,000,000 samples per test), or
//! `cargo bench --bench ct -- --samples 10000000 [NAME...]` to pick tests
//! by a part of their name. A quiet machine gives lower noise; the timer is
//! `std::time::Instant`, so each sample includes the clock's own cost.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_precision_loss,
    clippy::cast_possible_truncation,
    missing_docs
)]

use std::cell::RefCell;
use std::hint::black_box;
use std::rc::Rc;
use std::time::Instant;

use mfa::{
    Destination, Hotp, HotpConfig, OobKey, OobPolicy, OobRecord, Secret, Totp, TotpConfig,
    TotpRecord, VerifyFailure, Window,
};

/// A fixed verification time (2023-11-14T22:13:20Z).
const NOW: u64 = 1_700_000_000;
/// Percentile crops, as in dudect.
const CROPS: usize = 100;
/// Measurements used to place the crops, then discarded.
const WARM_UP: usize = 20_000;
/// A crop needs this many measurements per class before its t counts.
const MIN_PER_CLASS: f64 = 1_000.0;

/// xorshift64*: fast, and good enough to pick classes and inputs.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Welford's running mean and variance of one class.
#[derive(Clone, Copy, Default)]
struct Moments {
    n: f64,
    mean: f64,
    m2: f64,
}

impl Moments {
    fn push(&mut self, x: f64) {
        self.n += 1.0;
        let delta = x - self.mean;
        self.mean += delta / self.n;
        self.m2 += delta * (x - self.mean);
    }

    fn variance(&self) -> f64 {
        if self.n < 2.0 {
            0.0
        } else {
            self.m2 / (self.n - 1.0)
        }
    }
}

/// Welch's t statistic of two classes.
fn welch(a: &Moments, b: &Moments) -> f64 {
    let se = (a.variance() / a.n + b.variance() / b.n).sqrt();
    if se == 0.0 {
        0.0
    } else {
        (a.mean - b.mean) / se
    }
}

/// One test: `load(class, index)` copies input `index` of class 0 or 1
/// (out of `pool[class]` made beforehand) into the one buffer that `run`
/// then performs the operation on. Only `run` is timed, and it always
/// reads the same addresses, so the classes differ in content only, not in
/// where their inputs lie (which moves timings by fractions of a cycle:
/// cache sets, 4K aliasing against the stack).
struct Test {
    name: &'static str,
    what: &'static str,
    pool: [usize; 2],
    load: Box<dyn Fn(usize, usize)>,
    run: Box<dyn Fn()>,
    /// Whether a leak is the expected result.
    control: bool,
}

struct Outcome {
    t: f64,
    crop: Option<usize>,
    samples: usize,
    diff_ns: f64,
}

fn measure(test: &Test, samples: usize, rng: &mut Rng) -> Outcome {
    let time_one = |rng: &mut Rng| -> (usize, f64) {
        let class = (rng.next() >> 63) as usize;
        let index = rng.below(test.pool[class]);
        (test.load)(class, index);
        let start = Instant::now();
        (test.run)();
        let ns = start.elapsed().as_nanos() as f64;
        (class, ns)
    };
    // Warm up, and place the crops at the percentiles dudect uses:
    // 1 - 0.5^(10 (k + 1) / 100), from the median up to the 99.9th.
    let mut warm: Vec<f64> = (0..WARM_UP).map(|_| time_one(rng).1).collect();
    warm.sort_by(f64::total_cmp);
    let crops: Vec<f64> = (0..CROPS)
        .map(|k| {
            let p = 1.0 - 0.5f64.powf(10.0 * (k as f64 + 1.0) / CROPS as f64);
            warm[((warm.len() as f64 * p) as usize).min(warm.len() - 1)]
        })
        .collect();
    // [0] is every measurement, [1 + k] those below crop k.
    let mut moments = vec![[Moments::default(); 2]; CROPS + 1];
    for _ in 0..samples {
        let (class, ns) = time_one(rng);
        moments[0][class].push(ns);
        for (k, limit) in crops.iter().enumerate() {
            if ns < *limit {
                moments[k + 1][class].push(ns);
            }
        }
    }
    let mut best = Outcome {
        t: 0.0,
        crop: None,
        samples,
        diff_ns: 0.0,
    };
    for (k, [a, b]) in moments.iter().enumerate() {
        if a.n < MIN_PER_CLASS || b.n < MIN_PER_CLASS {
            continue;
        }
        let t = welch(a, b);
        if t.abs() > best.t.abs() {
            best = Outcome {
                t,
                crop: k.checked_sub(1),
                samples,
                diff_ns: a.mean - b.mean,
            };
        }
    }
    best
}

/// Inputs per class. Both classes get as many, so that neither is favoured
/// by being fewer (easier for the branch predictor to learn).
const POOL: usize = 1024;

/// The two pools of a test: `f(class, i)` makes input `i` of `class`.
fn pools(mut f: impl FnMut(usize, usize) -> String) -> [Vec<String>; 2] {
    let mut out = [Vec::with_capacity(POOL), Vec::with_capacity(POOL)];
    for i in 0..POOL {
        for (class, pool) in out.iter_mut().enumerate() {
            pool.push(f(class, i));
        }
    }
    out
}

/// Random codes of `digits` digits, none equal to any of `avoid`.
fn wrong_codes(rng: &mut Rng, digits: u32, avoid: &[String], n: usize) -> Vec<String> {
    let mut out = Vec::with_capacity(n);
    while out.len() < n {
        let code = format!(
            "{:0width$}",
            rng.next() % 10u64.pow(digits),
            width = digits as usize
        );
        if !avoid.contains(&code) {
            out.push(code);
        }
    }
    out
}

/// `code` with one digit (chosen by `which`) changed.
fn one_off(code: &str, which: usize) -> String {
    let mut bytes = code.as_bytes().to_vec();
    let at = which % bytes.len();
    bytes[at] = b'0' + (bytes[at] - b'0' + 1) % 10;
    String::from_utf8(bytes).unwrap()
}

/// A test over string inputs: `op` runs on a copy of `pools[class][i]`,
/// always in the same buffer.
fn string_test(
    name: &'static str,
    what: &'static str,
    pools: [Vec<String>; 2],
    op: impl Fn(&str) + 'static,
) -> Test {
    let longest = pools.iter().flatten().map(String::len).max().unwrap_or(0);
    let buffer = Rc::new(RefCell::new(String::with_capacity(longest)));
    let loaded = Rc::clone(&buffer);
    Test {
        name,
        what,
        pool: [pools[0].len(), pools[1].len()],
        load: Box::new(move |class, i| {
            let mut buffer = loaded.borrow_mut();
            buffer.clear();
            buffer.push_str(&pools[class][i]);
        }),
        run: Box::new(move || op(black_box(buffer.borrow().as_str()))),
        control: false,
    }
}

fn totp_tests(rng: &mut Rng) -> Vec<Test> {
    let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
    let config = TotpConfig::builder()
        .window(Window::symmetric(1).unwrap())
        .build()
        .unwrap();
    let totp = Totp::new(&secret, config).unwrap();
    let step = totp.step_at(NOW).unwrap();
    let window: Vec<String> = (step - 1..=step + 1)
        .map(|s| totp.generate_at_step(s).to_string())
        .collect();
    let near: Vec<String> = (0..6)
        .map(|i| one_off(&window[1], i))
        .filter(|c| !window.contains(c))
        .collect();
    let fresh_wrong = wrong_codes(rng, 6, &window, POOL);
    // Replayed: the code of the last accepted step (the oldest of the
    // window), refused because it is not after `last_step`.
    let last_step = Some(step - 1);
    // Old codes, behind the window: of the far end of the resynchronisation
    // range and of its near end. Each is the code of that step only.
    let far = totp.generate_at_step(step - u64::from(config.resync()));
    let near_old = totp.generate_at_step(step - 2);
    let record = TotpRecord::new(totp.clone());
    for code in [&far, &near_old] {
        let said = record.verify(&code.to_string(), NOW).into_parts().1;
        assert_eq!(said, Err(VerifyFailure::ClockBehind));
    }
    let (far, near_old) = (far.to_string(), near_old.to_string());
    let (t1, t2, t3) = (totp.clone(), totp.clone(), totp);
    vec![
        string_test(
            "totp/correct-vs-one-digit-off",
            "Totp::verify, window ±1: the code of now vs that code with one digit off",
            pools(|class, i| {
                if class == 0 {
                    window[1].clone()
                } else {
                    near[i % near.len()].clone()
                }
            }),
            move |input| {
                let _ = black_box(t1.verify(input, NOW, None));
            },
        ),
        string_test(
            "totp/oldest-vs-newest-step",
            "Totp::verify, window ±1: the code of step now-1 vs of step now+1",
            pools(|class, _| window[2 * class].clone()),
            move |input| {
                let _ = black_box(t2.verify(input, NOW, None));
            },
        ),
        string_test(
            "totp/replayed-vs-fresh-wrong",
            "Totp::verify, window ±1, last step now-1: its code again vs random wrong codes",
            pools(|class, i| {
                if class == 0 {
                    window[0].clone()
                } else {
                    fresh_wrong[i].clone()
                }
            }),
            move |input| {
                let _ = black_box(t3.verify(input, NOW, last_step));
            },
        ),
        string_test(
            "totp-record/old-far-vs-old-near",
            "TotpRecord::verify, resync range 120: the code of step now-120 vs of step now-2 (both said to be old)",
            pools(|class, _| {
                if class == 0 {
                    far.clone()
                } else {
                    near_old.clone()
                }
            }),
            move |input| {
                let _ = black_box(record.verify(input, NOW));
            },
        ),
    ]
}

fn hotp_tests(rng: &mut Rng) -> Vec<Test> {
    let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
    let hotp = Hotp::new(&secret, HotpConfig::default()).unwrap();
    let look_ahead = u64::from(HotpConfig::default().look_ahead());
    // Last used counter 100: candidates 101 ..= 101 + look-ahead.
    let last = 100u64;
    let window: Vec<String> = (last..=last + 1 + look_ahead)
        .map(|c| hotp.generate(c).to_string())
        .collect();
    let near: Vec<String> = (0..6)
        .map(|i| one_off(&window[1], i))
        .filter(|c| !window.contains(c))
        .collect();
    let fresh_wrong = wrong_codes(rng, 6, &window, POOL);
    let (h1, h2, h3) = (hotp.clone(), hotp.clone(), hotp);
    vec![
        string_test(
            "hotp/correct-vs-one-digit-off",
            "Hotp::verify, look-ahead 5: the next code vs that code with one digit off",
            pools(|class, i| {
                if class == 0 {
                    window[1].clone()
                } else {
                    near[i % near.len()].clone()
                }
            }),
            move |input| {
                let _ = black_box(h1.verify(input, Some(last)));
            },
        ),
        string_test(
            "hotp/oldest-vs-newest-counter",
            "Hotp::verify, look-ahead 5: the code of counter last+1 vs last+6",
            pools(|class, _| window[if class == 0 { 1 } else { window.len() - 1 }].clone()),
            move |input| {
                let _ = black_box(h2.verify(input, Some(last)));
            },
        ),
        string_test(
            "hotp/replayed-vs-fresh-wrong",
            "Hotp::verify, look-ahead 5: the last used counter's code vs random wrong codes",
            pools(|class, i| {
                if class == 0 {
                    window[0].clone()
                } else {
                    fresh_wrong[i].clone()
                }
            }),
            move |input| {
                let _ = black_box(h3.verify(input, Some(last)));
            },
        ),
    ]
}

fn base32_tests(rng: &mut Rng) -> Vec<Test> {
    const ALPHABETS: [&[u8]; 2] = [b"ABCDEFGHIJKLMNOPQRSTUVWXYZ", b"234567"];
    vec![string_test(
        "base32/letters-vs-digits",
        "Secret::from_base32, 32 symbols: random letters vs random digits",
        pools(|class, _| {
            let alphabet = ALPHABETS[class];
            (0..32)
                .map(|_| char::from(alphabet[rng.below(alphabet.len())]))
                .collect()
        }),
        |input| {
            let _ = black_box(Secret::from_base32(input));
        },
    )]
}

fn oob_tests(rng: &mut Rng) -> Vec<Test> {
    let policy = OobPolicy::default();
    let key = OobKey::from_bytes(&[7; 32]).unwrap();
    let to = Destination::sms("+14155552671").unwrap();
    let fill = |buf: &mut [u8]| -> Result<(), ()> {
        buf.fill(0x2a);
        Ok(())
    };
    let (record, delivery) = OobRecord::new()
        .issue_with(&policy, &key, &to, NOW, fill)
        .into_parts();
    let record = record.unwrap();
    let code = delivery.unwrap().code().expose().to_owned();
    let random = wrong_codes(rng, code.len() as u32, std::slice::from_ref(&code), POOL);
    vec![string_test(
        "oob/near-miss-vs-random",
        "OobRecord::verify: the sent code with one digit off vs random wrong codes",
        pools(|class, i| {
            if class == 0 {
                one_off(&code, i)
            } else {
                random[i].clone()
            }
        }),
        move |input| {
            let _ = black_box(record.verify(&policy, &key, &to, input, NOW + 5));
        },
    )]
}

/// Compares byte by byte and stops at the first difference: the leak the
/// harness must see.
#[inline(never)]
fn early_exit_eq(a: &[u8], b: &[u8]) -> bool {
    for (x, y) in a.iter().zip(b) {
        if black_box(*x) != black_box(*y) {
            return false;
        }
    }
    a.len() == b.len()
}

fn control_tests(rng: &mut Rng) -> Vec<Test> {
    let secret: Vec<u8> = (0..32).map(|_| rng.next() as u8).collect();
    let mut pools: [Vec<Vec<u8>>; 2] = [Vec::new(), Vec::new()];
    for _ in 0..POOL {
        pools[0].push(secret.clone());
        let mut other = secret.clone();
        other[0] ^= 1 + (rng.next() % 255) as u8;
        pools[1].push(other);
    }
    let buffer = Rc::new(RefCell::new([0u8; 32]));
    let loaded = Rc::clone(&buffer);
    vec![Test {
        name: "control/early-exit-compare",
        what: "a 32-byte compare that exits early: equal vs the first byte differs",
        pool: [POOL, POOL],
        load: Box::new(move |class, i| {
            loaded.borrow_mut().copy_from_slice(&pools[class][i]);
        }),
        run: Box::new(move || {
            black_box(early_exit_eq(&secret, black_box(&buffer.borrow()[..])));
        }),
        control: true,
    }]
}

fn main() {
    let mut samples = 2_000_000usize;
    let mut filters = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--samples" => {
                samples = args
                    .next()
                    .and_then(|n| n.replace('_', "").parse().ok())
                    .expect("--samples takes a number");
            }
            // `cargo bench` passes this to every bench target.
            "--bench" => {}
            other => filters.push(other.to_owned()),
        }
    }
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut tests = control_tests(&mut rng);
    tests.extend(totp_tests(&mut rng));
    tests.extend(hotp_tests(&mut rng));
    tests.extend(base32_tests(&mut rng));
    tests.extend(oob_tests(&mut rng));
    tests.retain(|t| filters.is_empty() || filters.iter().any(|f| t.name.contains(f.as_str())));

    println!("dudect-style constant-time tests, {samples} samples per test");
    println!("|t| > 4.5: likely leak; > 10: definite leak\n");
    let mut failed = false;
    for test in &tests {
        let outcome = measure(test, samples, &mut rng);
        let verdict = match (outcome.t.abs(), test.control) {
            (t, true) if t > 10.0 => "leak seen (control: expected)",
            (_, true) => {
                failed = true;
                "CONTROL NOT DETECTED"
            }
            (t, false) if t > 10.0 => "LEAK",
            (t, false) if t > 4.5 => "likely leak",
            _ => "no leak seen",
        };
        let crop = outcome
            .crop
            .map_or_else(|| "all".to_owned(), |k| format!("crop {k}"));
        println!(
            "{:32} |t| = {:8.2} ({crop:8}) mean diff {:+7.2} ns, {} samples: {verdict}",
            test.name,
            outcome.t.abs(),
            outcome.diff_ns,
            outcome.samples
        );
        println!("  {}", test.what);
    }
    if failed {
        eprintln!("the control leak was not detected: the harness cannot be trusted here");
        std::process::exit(1);
    }
}
