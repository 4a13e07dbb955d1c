//! Interoperability with two independent OTP implementations: the
//! `oathtool` command of OATH Toolkit and the Python library `pyotp`.
//!
//! Random secrets (10 to 64 bytes, plus a few longer than a hash block),
//! every algorithm, 6 to 8 digits, several periods, fixed and random times
//! and counters: each tool makes codes, `mfa` must make the same ones, and
//! `mfa` must accept the tool's codes in verification with the right offset.
//!
//! The inputs come from a small deterministic generator whose seed is
//! printed; rerun with `MFA_INTEROP_SEED=<seed>` to reproduce a failure.
//!
//! A missing tool makes its test pass with a notice on stderr, unless
//! `MFA_REQUIRE_INTEROP=1` is set (as in CI), which makes it a failure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::fmt::{self, Write as _};
use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use mfa::{Algorithm, Digits, Hotp, HotpConfig, Secret, Totp, TotpConfig};

const ALGORITHMS: [Algorithm; 3] = [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512];
const DIGITS: [u8; 3] = [6, 7, 8];
const PERIODS: [u64; 4] = [30, 60, 1, 45];

/// The epoch, the RFC 6238 Appendix B times, and a time just under pyotp's
/// limit that leaves room for one more step of up to 120 s after it (see
/// [`PYOTP_TIME_LIMIT`]).
const FIXED_TIMES: [u64; 8] = [
    0,
    59,
    1_111_111_109,
    1_111_111_111,
    1_234_567_890,
    2_000_000_000,
    20_000_000_000,
    PYOTP_TIME_LIMIT - 121,
];

/// Counter limits: `oathtool -c` parses with `strtoull`, so it takes every
/// `u64` (and silently saturates anything larger to `u64::MAX`, and wraps
/// negative input); pyotp encodes the counter in 8 bytes, so it is right
/// for every `u64` too. Both therefore agree on `0..=u64::MAX`, which these
/// edges probe; random counters are drawn below 2^53.
const FIXED_COUNTERS: [u64; 9] = [
    0,
    1,
    2,
    (1 << 32) - 1,
    1 << 32,
    (1 << 53) - 1,
    1 << 53,
    u64::MAX - 1,
    u64::MAX,
];
const RANDOM_COUNTER_LIMIT: u64 = 1 << 53;

/// pyotp (2.12) refuses times at or after 10000-01-01T00:00:00Z; oathtool
/// takes far larger ones, so its random times go up to 2^40 (year 36812).
const PYOTP_TIME_LIMIT: u64 = 253_402_300_800;
const OATHTOOL_TIME_LIMIT: u64 = 1 << 40;
/// pyotp (2.12) refuses periods above 120 s; oathtool has no such limit.
const PYOTP_MAX_PERIOD: u64 = 120;

/// Secret lengths worth hitting on purpose: the legacy minimum, just under
/// and at the RFC minimum, the hash output lengths, and keys longer than
/// the SHA-1/SHA-256 block (which HMAC hashes first) up to the maximum.
const EDGE_LENGTHS: [usize; 8] = [10, 15, 16, 20, 32, 64, 65, 128];

/// The HOTP look-ahead used for verification checks.
const LOOK_AHEAD: u8 = 5;

// ---------------------------------------------------------------------------
// Deterministic random inputs

/// SplitMix64: tiny, deterministic, good enough to pick test inputs.
struct Rng(u64);

impl Rng {
    fn new(seed: u64, stream: u64) -> Self {
        Self(seed ^ stream.wrapping_mul(0xA076_1D64_78BD_642F))
    }

    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform enough in `0..n` (`n > 0`).
    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// In `lo..=hi`.
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[usize::try_from(self.below(items.len() as u64)).unwrap()]
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64().to_le_bytes()[0]).collect()
    }

    fn secret(&mut self) -> Vec<u8> {
        let len = match self.below(16) {
            0..=3 => self.pick(&EDGE_LENGTHS),
            4 => usize::try_from(self.range(65, 128)).unwrap(),
            _ => usize::try_from(self.range(10, 64)).unwrap(),
        };
        self.bytes(len)
    }

    /// A time below `limit` that leaves room for one more period: uniform,
    /// near today, or on either side of a step boundary.
    fn time(&mut self, limit: u64, period: u64) -> u64 {
        let limit = limit - 2 * period;
        match self.below(4) {
            0 => {
                let step = self.below(limit / period);
                step * period + self.pick(&[0, period - 1])
            }
            1 => self.below(4_000_000_000),
            _ => self.below(limit),
        }
    }

    fn counter(&mut self) -> u64 {
        match self.below(4) {
            0 => self.below(1_000),
            1 => self.below(1 << 32),
            _ => self.below(RANDOM_COUNTER_LIMIT),
        }
    }
}

/// The seed from `MFA_INTEROP_SEED`, or from the clock; printed either way.
fn seed(test: &str) -> u64 {
    let seed = match std::env::var("MFA_INTEROP_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .expect("MFA_INTEROP_SEED must be an unsigned 64-bit integer"),
        Err(_) => {
            let nanos = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0);
            nanos ^ (u64::from(std::process::id()) << 40)
        }
    };
    eprintln!("{test}: seed {seed} (rerun with MFA_INTEROP_SEED={seed} to reproduce)");
    seed
}

// ---------------------------------------------------------------------------
// Tool availability

/// A tool is missing: a notice, or a failure under `MFA_REQUIRE_INTEROP=1`.
fn tool_missing(tool: &str, detail: &str) {
    let message = format!("interop with {tool} not run: {tool} not found ({detail})");
    if std::env::var("MFA_REQUIRE_INTEROP").is_ok_and(|v| v.trim() == "1") {
        panic!("{message}; MFA_REQUIRE_INTEROP=1 requires it");
    }
    // Written to the stderr handle rather than with `eprintln!`, which the
    // test harness captures: this notice must show even on success.
    let _ = writeln!(std::io::stderr(), "{message}");
}

fn oathtool_available() -> bool {
    match Command::new("oathtool").arg("--version").output() {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            tool_missing(
                "oathtool",
                &format!("`oathtool --version` exited with {}", out.status),
            );
            false
        }
        Err(e) => {
            tool_missing("oathtool", &format!("cannot run `oathtool`: {e}"));
            false
        }
    }
}

fn pyotp_available() -> bool {
    match Command::new("python3")
        .args(["-c", "import pyotp"])
        .output()
    {
        Ok(out) if out.status.success() => true,
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            let last = stderr.lines().last().unwrap_or("").trim();
            tool_missing(
                "pyotp",
                &format!("`python3 -c \"import pyotp\"` failed: {last}"),
            );
            false
        }
        Err(e) => {
            tool_missing("pyotp", &format!("cannot run `python3`: {e}"));
            false
        }
    }
}

// ---------------------------------------------------------------------------
// Cases and the checks common to both tools

fn hex(bytes: &[u8]) -> String {
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

/// The `mfa` secret of some bytes, through the legacy constructor below
/// 128 bits; also checks that its Base32 form reads back to the same key.
fn secret(bytes: &[u8]) -> Secret {
    let secret = if bytes.len() < Secret::MIN_LEN {
        Secret::from_bytes_legacy(bytes)
    } else {
        Secret::from_bytes(bytes)
    }
    .unwrap();
    let reread = Secret::from_base32_legacy(&secret.expose_base32()).unwrap();
    assert_eq!(reread.expose_bytes(), bytes, "Base32 round trip");
    secret
}

/// One TOTP key and the time at which to compare codes.
struct TotpCase {
    key: Vec<u8>,
    algorithm: Algorithm,
    digits: u8,
    period: u64,
    t0: u64,
    time: u64,
}

impl TotpCase {
    fn random(rng: &mut Rng, algorithm: Algorithm, digits: u8, period: u64, time: u64) -> Self {
        Self {
            key: rng.secret(),
            algorithm,
            digits,
            period,
            t0: 0,
            time,
        }
    }

    fn totp(&self) -> Totp {
        let config = TotpConfig::builder()
            .algorithm(self.algorithm)
            .digits(Digits::new(self.digits).unwrap())
            .period(self.period)
            .t0(self.t0)
            .build()
            .unwrap();
        Totp::new(&secret(&self.key), config).unwrap()
    }

    /// The times to ask the tool about, with their step offset from the
    /// case's time: one step before (if there is one), the step itself and
    /// one after, which is the whole default verification window.
    fn times(&self) -> Vec<(i64, u64)> {
        let mut times = Vec::new();
        if self.time - self.t0 >= self.period {
            times.push((-1, self.time - self.period));
        }
        times.push((0, self.time));
        times.push((1, self.time + self.period));
        times
    }
}

impl fmt::Display for TotpCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "TOTP {} digits={} period={} t0={} time={} key({} bytes)={}",
            self.algorithm,
            self.digits,
            self.period,
            self.t0,
            self.time,
            self.key.len(),
            hex(&self.key)
        )
    }
}

/// One HOTP key and the counter at which to compare codes.
struct HotpCase {
    key: Vec<u8>,
    algorithm: Algorithm,
    digits: u8,
    counter: u64,
}

impl HotpCase {
    fn random(rng: &mut Rng, algorithm: Algorithm, digits: u8, counter: u64) -> Self {
        Self {
            key: rng.secret(),
            algorithm,
            digits,
            counter,
        }
    }

    fn hotp(&self) -> Hotp {
        let config = HotpConfig::builder()
            .algorithm(self.algorithm)
            .digits(Digits::new(self.digits).unwrap())
            .look_ahead(LOOK_AHEAD)
            .build()
            .unwrap();
        Hotp::new(&secret(&self.key), config).unwrap()
    }

    /// The expected counter of a verification check, `counter - 2` (or 0),
    /// if its whole look-ahead lies below `u64::MAX` (never accepted).
    fn verify_from(&self) -> Option<u64> {
        let from = self.counter.saturating_sub(2);
        (from < u64::MAX - u64::from(LOOK_AHEAD)).then_some(from)
    }

    /// The counters to ask the tool about: the look-ahead of the
    /// verification check, or the counter alone near `u64::MAX`.
    fn counters(&self) -> Vec<u64> {
        match self.verify_from() {
            Some(from) => (from..=from + u64::from(LOOK_AHEAD)).collect(),
            None => vec![self.counter],
        }
    }
}

impl fmt::Display for HotpCase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "HOTP {} digits={} counter={} key({} bytes)={}",
            self.algorithm,
            self.digits,
            self.counter,
            self.key.len(),
            hex(&self.key)
        )
    }
}

/// What a tool checked, and every disagreement.
#[derive(Default)]
struct Report {
    totp_cases: usize,
    hotp_cases: usize,
    codes: usize,
    verifications: usize,
    failures: Vec<String>,
}

impl Report {
    /// Compares the codes a tool made for `case.times()` with ours, then
    /// verifies the tool's codes for the case's step and the step before.
    fn check_totp(&mut self, tool: &str, case: &TotpCase, theirs: &[String]) {
        self.totp_cases += 1;
        let totp = case.totp();
        let times = case.times();
        if theirs.len() != times.len() {
            self.failures.push(format!(
                "{tool}: {case}: expected {} codes, got {theirs:?}",
                times.len()
            ));
            return;
        }
        let step = totp.step_at(case.time).unwrap();
        let window: Vec<(i64, &str)> = times
            .iter()
            .zip(theirs)
            .map(|(&(offset, _), code)| (offset, code.as_str()))
            .collect();
        for (&(offset, time), code) in times.iter().zip(theirs) {
            self.codes += 1;
            let ours = totp.generate(time).unwrap().to_string();
            if ours != *code {
                self.failures.push(format!(
                    "{tool}: {case}: at time {time} (step offset {offset}) {tool} made {code}, mfa made {ours}"
                ));
            }
        }
        // A code the tool made for this step verifies with offset 0, one for
        // the step before with offset -1; if the tool made the same code for
        // another step of the window (a chance collision), that step may
        // match instead.
        for presented in [0, -1] {
            let Some(&(_, code)) = window.iter().find(|(offset, _)| *offset == presented) else {
                continue;
            };
            let candidates: Vec<i64> = window
                .iter()
                .filter(|(_, c)| *c == code)
                .map(|&(offset, _)| offset)
                .collect();
            self.verifications += 1;
            match totp.verify(code, case.time, None) {
                Ok(m)
                    if candidates.contains(&m.offset)
                        && i128::from(m.step) == i128::from(step) + i128::from(m.offset) => {}
                Ok(m) => self.failures.push(format!(
                    "{tool}: {case}: verifying {tool}'s code {code} for step offset {presented} at time {}: got {m:?}, expected offset in {candidates:?}",
                    case.time
                )),
                Err(e) => self.failures.push(format!(
                    "{tool}: {case}: verifying {tool}'s code {code} for step offset {presented} at time {}: {e:?}",
                    case.time
                )),
            }
        }
    }

    /// Compares the codes a tool made for `case.counters()` with ours, then
    /// verifies the tool's code for the case's counter from two before.
    fn check_hotp(&mut self, tool: &str, case: &HotpCase, theirs: &[String]) {
        self.hotp_cases += 1;
        let hotp = case.hotp();
        let counters = case.counters();
        if theirs.len() != counters.len() {
            self.failures.push(format!(
                "{tool}: {case}: expected {} codes, got {theirs:?}",
                counters.len()
            ));
            return;
        }
        for (&counter, code) in counters.iter().zip(theirs) {
            self.codes += 1;
            let ours = hotp.generate(counter).to_string();
            if ours != *code {
                self.failures.push(format!(
                    "{tool}: {case}: at counter {counter} {tool} made {code}, mfa made {ours}"
                ));
            }
        }
        let Some(from) = case.verify_from() else {
            return;
        };
        let Some(code) = counters
            .iter()
            .zip(theirs)
            .find(|(c, _)| **c == case.counter)
            .map(|(_, code)| code.as_str())
        else {
            return;
        };
        let candidates: Vec<u64> = counters
            .iter()
            .zip(theirs)
            .filter(|(_, c)| *c == code)
            .map(|(&counter, _)| counter)
            .collect();
        self.verifications += 1;
        match hotp.verify(code, from.checked_sub(1)) {
            Ok(m) if candidates.contains(&m.counter) && m.offset == m.counter - from => {}
            Ok(m) => self.failures.push(format!(
                "{tool}: {case}: verifying {tool}'s code {code} from counter {from}: got {m:?}, expected counter in {candidates:?}"
            )),
            Err(e) => self.failures.push(format!(
                "{tool}: {case}: verifying {tool}'s code {code} from counter {from}: {e:?}"
            )),
        }
    }

    fn finish(&self, tool: &str, seed: u64, started: Instant) {
        eprintln!(
            "{tool}: {} TOTP and {} HOTP cases, {} codes compared, {} verifications, {} failures, {:?}",
            self.totp_cases,
            self.hotp_cases,
            self.codes,
            self.verifications,
            self.failures.len(),
            started.elapsed()
        );
        for failure in &self.failures {
            eprintln!("MISMATCH {failure}");
        }
        assert!(
            self.failures.is_empty(),
            "{} disagreements with {tool} (seed {seed}, rerun with MFA_INTEROP_SEED={seed}):\n{}",
            self.failures.len(),
            self.failures.join("\n")
        );
    }
}

// ---------------------------------------------------------------------------
// oathtool

/// Runs `oathtool args... -` with the key on stdin (not on the command line,
/// as oathtool recommends) and returns its output lines.
fn oathtool(args: &[String], key: &str) -> Result<Vec<String>, String> {
    let describe = || format!("oathtool {}", args.join(" "));
    let mut child = Command::new("oathtool")
        .args(args)
        .arg("-")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("{}: {e}", describe()))?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin
            .write_all(format!("{key}\n").as_bytes())
            .map_err(|e| format!("{}: writing the key: {e}", describe()))?;
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("{}: {e}", describe()))?;
    if !out.status.success() {
        return Err(format!(
            "{} exited with {}: {}",
            describe(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim().to_owned())
        .collect())
}

/// The key for oathtool, in hex or (with `-b`) in our own Base32, so that
/// both our encoder and the raw bytes are checked.
fn oathtool_key(key: &[u8], base32: bool, args: &mut Vec<String>) -> String {
    if base32 {
        args.push("-b".to_owned());
        secret(key).expose_base32().as_str().to_owned()
    } else {
        hex(key)
    }
}

fn oathtool_totp(case: &TotpCase, base32: bool, report: &mut Report) {
    let times = case.times();
    let mut args = vec![
        format!("--totp={}", case.algorithm.as_str()),
        format!("--digits={}", case.digits),
        format!("--time-step-size={}s", case.period),
        format!("--start-time=@{}", case.t0),
        // Codes for `times`: the first one and `-w` more, a step apart.
        format!("--now=@{}", times[0].1),
        format!("--window={}", times.len() - 1),
    ];
    let key = oathtool_key(&case.key, base32, &mut args);
    match oathtool(&args, &key) {
        Ok(codes) => report.check_totp("oathtool", case, &codes),
        Err(e) => report.failures.push(format!("oathtool: {case}: {e}")),
    }
}

fn oathtool_hotp(case: &HotpCase, base32: bool, report: &mut Report) {
    let counters = case.counters();
    let mut args = vec![
        "--hotp".to_owned(),
        format!("--digits={}", case.digits),
        format!("--counter={}", counters[0]),
        format!("--window={}", counters.len() - 1),
    ];
    let key = oathtool_key(&case.key, base32, &mut args);
    match oathtool(&args, &key) {
        Ok(codes) => report.check_hotp("oathtool", case, &codes),
        Err(e) => report.failures.push(format!("oathtool: {case}: {e}")),
    }
}

/// About 90 oathtool runs, one process each. oathtool's HOTP is SHA-1 only
/// (`--totp=MODE` is its only algorithm choice) and it takes 6, 7 or 8
/// digits, as `mfa` does.
#[test]
fn oathtool_agrees() {
    if !oathtool_available() {
        return;
    }
    let seed = seed("oathtool_agrees");
    let started = Instant::now();
    let mut rng = Rng::new(seed, 1);
    let mut report = Report::default();
    let mut n = 0usize;
    let mut base32 = || {
        n += 1;
        n.is_multiple_of(2)
    };

    // Every algorithm and digit count, four periods each, fixed and random
    // times up to 2^40.
    for (i, &algorithm) in ALGORITHMS.iter().enumerate() {
        for (j, &digits) in DIGITS.iter().enumerate() {
            for (k, &period) in PERIODS.iter().enumerate() {
                let time = if k % 2 == 0 {
                    FIXED_TIMES[(3 * i + j + k) % FIXED_TIMES.len()]
                } else {
                    rng.time(OATHTOOL_TIME_LIMIT, period)
                };
                let case = TotpCase::random(&mut rng, algorithm, digits, period, time);
                oathtool_totp(&case, base32(), &mut report);
            }
        }
    }
    // Odd periods (beyond pyotp's 120 s too) and non-zero T0.
    for _ in 0..10 {
        let algorithm = rng.pick(&ALGORITHMS);
        let digits = rng.pick(&DIGITS);
        let period = rng.range(2, 600);
        let time = rng.time(OATHTOOL_TIME_LIMIT, period);
        let mut case = TotpCase::random(&mut rng, algorithm, digits, period, time);
        if rng.below(2) == 0 {
            case.t0 = rng.below(2_000_000_000);
            case.time = case.t0 + rng.below(1 << 32);
        }
        oathtool_totp(&case, base32(), &mut report);
    }
    // HOTP: every digit count at the edge counters, then random counters.
    for &digits in &DIGITS {
        for &counter in &FIXED_COUNTERS {
            let case = HotpCase::random(&mut rng, Algorithm::Sha1, digits, counter);
            oathtool_hotp(&case, base32(), &mut report);
        }
    }
    for _ in 0..15 {
        let digits = rng.pick(&DIGITS);
        let counter = rng.counter();
        let case = HotpCase::random(&mut rng, Algorithm::Sha1, digits, counter);
        oathtool_hotp(&case, base32(), &mut report);
    }
    report.finish("oathtool", seed, started);
}

// ---------------------------------------------------------------------------
// pyotp

/// Reads `T|H ALGORITHM DIGITS PERIOD BASE32 VALUE...` lines and prints the
/// codes at each value (times for TOTP, counters for HOTP), or `ERR ...`.
const PYOTP_SCRIPT: &str = r#"
import hashlib
import sys

import pyotp

# Recent pyotp refuses keys under 112 bits unless told otherwise; RFC 4226
# allows 80 bits. Older versions ignore the attribute.
class T(pyotp.TOTP):
    min_secret_length_bits = 80

class H(pyotp.HOTP):
    min_secret_length_bits = 80

DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}

for line in sys.stdin:
    try:
        kind, alg, digits, period, secret, *values = line.split()
        if kind == "T":
            otp = T(secret, digits=int(digits), digest=DIGESTS[alg], interval=int(period))
        else:
            otp = H(secret, digits=int(digits), digest=DIGESTS[alg])
        print(" ".join(otp.at(int(v)) for v in values))
    except Exception as e:
        print("ERR", type(e).__name__, str(e).replace("\n", " "))
"#;

enum PyCase {
    Totp(TotpCase),
    Hotp(HotpCase),
}

impl PyCase {
    fn line(&self) -> String {
        let (kind, key, algorithm, digits, period, values): (_, _, _, _, _, Vec<u64>) = match self {
            Self::Totp(c) => (
                "T",
                &c.key,
                c.algorithm,
                c.digits,
                c.period,
                c.times().into_iter().map(|(_, t)| t).collect(),
            ),
            Self::Hotp(c) => ("H", &c.key, c.algorithm, c.digits, 0, c.counters()),
        };
        let mut line = format!(
            "{kind} {} {digits} {period} {}",
            algorithm.as_str(),
            secret(key).expose_base32().as_str()
        );
        for value in values {
            let _ = write!(line, " {value}");
        }
        line
    }
}

/// Several hundred cases through one `python3` process fed on stdin.
#[test]
fn pyotp_agrees() {
    if !pyotp_available() {
        return;
    }
    let seed = seed("pyotp_agrees");
    let started = Instant::now();
    let mut rng = Rng::new(seed, 2);
    let mut cases = Vec::new();

    // TOTP: every algorithm, digit count, period and fixed time.
    for &algorithm in &ALGORITHMS {
        for &digits in &DIGITS {
            for &period in &PERIODS {
                for &time in &FIXED_TIMES {
                    let case = TotpCase::random(&mut rng, algorithm, digits, period, time);
                    cases.push(PyCase::Totp(case));
                }
            }
        }
    }
    // TOTP: random everything within pyotp's limits.
    for _ in 0..200 {
        let algorithm = rng.pick(&ALGORITHMS);
        let digits = rng.pick(&DIGITS);
        let period = if rng.below(2) == 0 {
            rng.pick(&PERIODS)
        } else {
            rng.range(1, PYOTP_MAX_PERIOD)
        };
        let time = rng.time(PYOTP_TIME_LIMIT, period);
        let case = TotpCase::random(&mut rng, algorithm, digits, period, time);
        cases.push(PyCase::Totp(case));
    }
    // HOTP: every algorithm and digit count at the edge counters, then
    // random ones.
    for &algorithm in &ALGORITHMS {
        for &digits in &DIGITS {
            for &counter in &FIXED_COUNTERS {
                let case = HotpCase::random(&mut rng, algorithm, digits, counter);
                cases.push(PyCase::Hotp(case));
            }
        }
    }
    for _ in 0..150 {
        let algorithm = rng.pick(&ALGORITHMS);
        let digits = rng.pick(&DIGITS);
        let counter = rng.counter();
        let case = HotpCase::random(&mut rng, algorithm, digits, counter);
        cases.push(PyCase::Hotp(case));
    }

    let mut input = String::new();
    for case in &cases {
        input.push_str(&case.line());
        input.push('\n');
    }
    let mut child = Command::new("python3")
        .args(["-c", PYOTP_SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    let mut stdin = child.stdin.take().expect("python3 stdin");
    // Written from another thread, so that a full output pipe cannot
    // deadlock against a full input pipe.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("wait for python3");
    writer
        .join()
        .expect("writer thread")
        .expect("write to python3");
    assert!(
        out.status.success(),
        "python3 exited with {}: {}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines.len(),
        cases.len(),
        "one output line per case; stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut report = Report::default();
    for (case, line) in cases.iter().zip(lines) {
        let codes: Vec<String> = line.split_whitespace().map(str::to_owned).collect();
        match case {
            PyCase::Totp(c) if line.starts_with("ERR") => {
                report.failures.push(format!("pyotp: {c}: {line}"));
            }
            PyCase::Hotp(c) if line.starts_with("ERR") => {
                report.failures.push(format!("pyotp: {c}: {line}"));
            }
            PyCase::Totp(c) => report.check_totp("pyotp", c, &codes),
            PyCase::Hotp(c) => report.check_hotp("pyotp", c, &codes),
        }
    }
    report.finish("pyotp", seed, started);
}
