//! Key URIs against `pyotp` (2.12), in both directions, through one
//! `python3` process fed on stdin:
//!
//! - URIs `mfa` writes are read by `pyotp.parse_uri` with the same secret,
//!   issuer, account name, algorithm, digits and period or counter, and
//!   give the same codes;
//! - URIs `pyotp` writes (`provisioning_uri`) are read by `mfa` with the
//!   same values and give the same codes.
//!
//! Names mix Unicode, spaces and `& ? / + % = # @ ;` and friends (`pyotp`
//! leaves `/` unescaped in the label, a quirk `mfa` must read). Colons are
//! left out: `mfa` refuses them in names, and the two differ on `%3A`
//! (the Key URI format, and `mfa`, read it as the issuer separator;
//! `pyotp` as a colon inside a name).
//!
//! The inputs come from a small deterministic generator whose seed is
//! printed; rerun with `MFA_INTEROP_SEED=<seed>` to reproduce a failure.
//! A missing `python3` or `pyotp` makes the test pass with a notice on
//! stderr, unless `MFA_REQUIRE_INTEROP=1` is set (as in CI), which makes it
//! a failure.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::io::Write as _;
use std::process::{Command, Stdio};

use mfa::{Algorithm, Digits, Hotp, HotpConfig, KeyUri, OtpType, Secret, Totp, TotpConfig};

const CASES: usize = 300;
/// pyotp (2.12) refuses periods above 120 s.
const PERIODS: [u64; 5] = [30, 60, 15, 1, 120];
/// pyotp (2.12) refuses times at or after the year 10000.
const PYOTP_TIME_LIMIT: u64 = 253_402_300_800;

const SCRIPT: &str = r#"
import hashlib
import sys

import pyotp

# pyotp refuses keys under 112 bits unless told otherwise; real issuers
# still hand out 80-bit keys, which mfa reads through its legacy path.
class T(pyotp.TOTP):
    min_secret_length_bits = 80

class H(pyotp.HOTP):
    min_secret_length_bits = 80

DIGESTS = {"SHA1": hashlib.sha1, "SHA256": hashlib.sha256, "SHA512": hashlib.sha512}

def enc(s):
    return s.encode().hex() if s else "-"

def dec(s):
    return "" if s == "-" else bytes.fromhex(s).decode()

for line in sys.stdin:
    try:
        f = line.split()
        if f[0] == "read":
            otp = pyotp.parse_uri(dec(f[1]))
            if isinstance(otp, pyotp.TOTP):
                kind, param, code = "totp", otp.interval, otp.at(int(f[2]))
            else:
                # HOTP.at counts from the URI's counter.
                kind, param, code = "hotp", otp.initial_count, otp.at(0)
            print("ok", kind, enc(otp.secret), enc(otp.issuer or ""), enc(otp.name or ""),
                  otp.digest().name.upper(), otp.digits, param, code)
        else:
            _, kind, alg, digits, param, secret, name, issuer, at = f
            if kind == "totp":
                otp = T(secret, digits=int(digits), digest=DIGESTS[alg], interval=int(param))
                code = otp.at(int(at))
            else:
                otp = H(secret, digits=int(digits), digest=DIGESTS[alg], initial_count=int(param))
                code = otp.at(0)
            uri = otp.provisioning_uri(name=dec(name), issuer_name=dec(issuer) or None)
            print("ok", enc(uri), code)
    except Exception as e:
        print("err", enc(type(e).__name__ + ": " + str(e)))
"#;

/// SplitMix64: tiny, deterministic, good enough to pick test inputs.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }

    fn bytes(&mut self, len: usize) -> Vec<u8> {
        (0..len).map(|_| self.next_u64() as u8).collect()
    }

    /// A name of 1 to 24 characters from a pool rich in characters that
    /// URIs treat specially, never starting with a space.
    fn name(&mut self) -> String {
        const POOL: &[char] = &[
            'a', 'Z', '0', ' ', '&', '?', '/', '+', '%', '=', '#', '@', '.', '-', '_', '~', ';',
            ',', '!', '*', '\'', '"', '(', ')', '$', '[', ']', '\\', 'é', 'ß', '日', '本', '🙂',
            '%', '2', '0', 'A',
        ];
        let len = 1 + self.below(24) as usize;
        let mut name: String = (0..len).map(|_| self.pick(POOL)).collect();
        if name.starts_with(' ') {
            name.replace_range(..1, "x");
        }
        name
    }
}

fn seed() -> u64 {
    let seed = std::env::var("MFA_INTEROP_SEED")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_nanos() as u64)
                .unwrap_or(0)
                ^ (u64::from(std::process::id()) << 40)
        });
    let _ = writeln!(
        std::io::stderr(),
        "uri_interop: seed {seed} (rerun with MFA_INTEROP_SEED={seed} to reproduce)"
    );
    seed
}

/// pyotp is missing: a notice, or a failure under `MFA_REQUIRE_INTEROP=1`.
fn pyotp_available() -> bool {
    let detail = match Command::new("python3")
        .args(["-c", "import pyotp"])
        .output()
    {
        Ok(out) if out.status.success() => return true,
        Ok(out) => {
            let stderr = String::from_utf8_lossy(&out.stderr);
            format!(
                "`python3 -c \"import pyotp\"` failed: {}",
                stderr.lines().last().unwrap_or("").trim()
            )
        }
        Err(e) => format!("cannot run `python3`: {e}"),
    };
    let message = format!("key URI interop with pyotp not run: {detail}");
    if std::env::var("MFA_REQUIRE_INTEROP").is_ok_and(|v| v.trim() == "1") {
        panic!("{message}; MFA_REQUIRE_INTEROP=1 requires it");
    }
    // Written to the stderr handle rather than with `eprintln!`, which the
    // test harness captures: this notice must show even on success.
    let _ = writeln!(std::io::stderr(), "{message}");
    false
}

fn enc(s: &str) -> String {
    if s.is_empty() {
        return "-".into();
    }
    s.bytes().map(|b| format!("{b:02x}")).collect()
}

fn dec(s: &str) -> String {
    if s == "-" {
        return String::new();
    }
    let bytes: Vec<u8> = (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect();
    String::from_utf8(bytes).unwrap()
}

/// Sends every line to one python3 process; returns its answers in order.
fn run_python(lines: &[String]) -> Vec<String> {
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn python3");
    let mut stdin = child.stdin.take().expect("python3 stdin");
    let input = lines.join("\n") + "\n";
    // Written from another thread, so that neither side blocks on a full
    // pipe while the other waits.
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
    let answers: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(String::from)
        .collect();
    assert_eq!(answers.len(), lines.len(), "one answer per request");
    answers
}

/// One key, as both sides should see it.
struct Case {
    secret: Secret,
    algorithm: Algorithm,
    digits: Digits,
    otp_type: OtpType,
    issuer: Option<String>,
    account: String,
    time: u64,
}

impl Case {
    /// `min_len` in bytes: pyotp reads URIs only with at least 112 bits.
    fn random(rng: &mut Rng, min_len: usize, with_issuer: bool) -> Self {
        let len = min_len + rng.below((64 - min_len + 1) as u64) as usize;
        let otp_type = if rng.below(4) == 0 {
            let random = rng.below(1 << 40);
            OtpType::Hotp {
                counter: rng.pick(&[0, 1, random, u64::MAX >> 1]),
            }
        } else {
            OtpType::Totp {
                period: rng.pick(&PERIODS),
            }
        };
        Self {
            secret: Secret::from_bytes_legacy(&rng.bytes(len)).unwrap(),
            algorithm: rng.pick(&[Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512]),
            digits: rng.pick(&[Digits::SIX, Digits::SEVEN, Digits::EIGHT]),
            otp_type,
            issuer: with_issuer.then(|| rng.name()),
            account: rng.name(),
            time: rng.below(PYOTP_TIME_LIMIT),
        }
    }

    /// The code `mfa` makes for this key: at the case's time or counter.
    fn code(&self) -> String {
        match self.otp_type {
            OtpType::Totp { period } => {
                let config = TotpConfig::default()
                    .algorithm(self.algorithm)
                    .digits(self.digits)
                    .period(period);
                let totp = Totp::new(&self.secret, config).unwrap();
                totp.generate(self.time).unwrap().to_string()
            }
            OtpType::Hotp { counter } => {
                let config = HotpConfig::default()
                    .algorithm(self.algorithm)
                    .digits(self.digits);
                Hotp::new(&self.secret, config)
                    .unwrap()
                    .generate(counter)
                    .to_string()
            }
            _ => unreachable!(),
        }
    }

    fn key_uri(&self) -> KeyUri {
        let issuer = self.issuer.as_deref().unwrap();
        match self.otp_type {
            OtpType::Totp { period } => {
                let config = TotpConfig::default()
                    .algorithm(self.algorithm)
                    .digits(self.digits)
                    .period(period);
                let totp = Totp::new(&self.secret, config).unwrap();
                KeyUri::totp(&totp, issuer, &self.account).unwrap()
            }
            OtpType::Hotp { counter } => {
                let config = HotpConfig::default()
                    .algorithm(self.algorithm)
                    .digits(self.digits);
                let hotp = Hotp::new(&self.secret, config).unwrap();
                KeyUri::hotp(&hotp, counter, issuer, &self.account).unwrap()
            }
            _ => unreachable!(),
        }
    }

    fn kind_and_param(&self) -> (&'static str, u64) {
        match self.otp_type {
            OtpType::Totp { period } => ("totp", period),
            OtpType::Hotp { counter } => ("hotp", counter),
            _ => unreachable!(),
        }
    }
}

/// A few names that have bitten URI code before, then random ones.
fn cases(rng: &mut Rng, min_len: usize, with_issuer: fn(usize) -> bool) -> Vec<Case> {
    const FIXED: [(&str, &str); 8] = [
        ("Example", "alice@example.com"),
        ("ACME Co", "john.doe@email.com"),
        ("A&B=C", "x?y#z"),
        ("a/b", "c/d/e"),
        ("100%", "%20%3A"),
        ("Zürich Bank", "zoë 日本 🙂"),
        ("plus+sign", "a+b"),
        ("trailing ", "  x  "),
    ];
    let mut cases: Vec<Case> = (0..CASES)
        .map(|i| Case::random(rng, min_len, with_issuer(i)))
        .collect();
    for (case, (issuer, account)) in cases.iter_mut().zip(FIXED) {
        case.issuer = Some(issuer.into());
        case.account = account.trim_start().into();
    }
    cases
}

#[test]
fn pyotp_reads_what_mfa_writes() {
    if !pyotp_available() {
        return;
    }
    let mut rng = Rng(seed());
    // pyotp.parse_uri refuses keys under 112 bits: 14 bytes.
    let cases = cases(&mut rng, 14, |_| true);
    let uris: Vec<_> = cases.iter().map(|c| c.key_uri().to_uri()).collect();
    let lines: Vec<String> = cases
        .iter()
        .zip(&uris)
        .map(|(case, uri)| format!("read {} {}", enc(uri), case.time))
        .collect();
    for ((case, uri), answer) in cases.iter().zip(&uris).zip(run_python(&lines)) {
        let uri = uri.as_str();
        let f: Vec<&str> = answer.split(' ').collect();
        assert_eq!(
            f[0],
            "ok",
            "pyotp refused {uri}: {}",
            dec(f.get(1).unwrap_or(&"-"))
        );
        let (kind, param) = case.kind_and_param();
        assert_eq!(f[1], kind, "{uri}");
        assert_eq!(dec(f[2]), *case.secret.expose_base32(), "secret of {uri}");
        assert_eq!(Some(dec(f[3])), case.issuer, "issuer of {uri}");
        assert_eq!(dec(f[4]), case.account, "account of {uri}");
        assert_eq!(f[5], case.algorithm.as_str(), "algorithm of {uri}");
        assert_eq!(f[6], case.digits.get().to_string(), "digits of {uri}");
        assert_eq!(f[7], param.to_string(), "period or counter of {uri}");
        assert_eq!(f[8], case.code(), "code of {uri} at {}", case.time);
    }
}

#[test]
fn mfa_reads_what_pyotp_writes() {
    if !pyotp_available() {
        return;
    }
    let mut rng = Rng(seed() ^ 1);
    // 80-bit keys too, through mfa's legacy path; every fifth case has no
    // issuer at all.
    let cases = cases(&mut rng, 10, |i| i % 5 != 4);
    let lines: Vec<String> = cases
        .iter()
        .map(|case| {
            let (kind, param) = case.kind_and_param();
            format!(
                "write {kind} {} {} {param} {} {} {} {}",
                case.algorithm,
                case.digits.get(),
                case.secret.expose_base32().as_str(),
                enc(&case.account),
                enc(case.issuer.as_deref().unwrap_or("")),
                case.time,
            )
        })
        .collect();
    for (case, answer) in cases.iter().zip(run_python(&lines)) {
        let f: Vec<&str> = answer.split(' ').collect();
        assert_eq!(
            f[0],
            "ok",
            "pyotp failed: {}",
            dec(f.get(1).unwrap_or(&"-"))
        );
        let uri = dec(f[1]);
        let key = KeyUri::parse(&uri).unwrap_or_else(|e| panic!("{uri}: {e}"));
        assert_eq!(key.secret(), &case.secret, "secret of {uri}");
        assert_eq!(key.secret().is_short(), case.secret.len() < 16, "{uri}");
        assert_eq!(key.issuer(), case.issuer.as_deref(), "issuer of {uri}");
        assert_eq!(
            key.label_issuer(),
            case.issuer.as_deref(),
            "label issuer of {uri}"
        );
        assert_eq!(key.account(), case.account, "account of {uri}");
        assert_eq!(key.algorithm(), case.algorithm, "algorithm of {uri}");
        assert_eq!(key.digits(), case.digits, "digits of {uri}");
        assert_eq!(key.otp_type(), case.otp_type, "type of {uri}");
        assert_eq!(key.extra_params().count(), 0, "{uri}");
        let code = match key.otp_type() {
            OtpType::Totp { .. } => key.to_totp().unwrap().generate(case.time).unwrap(),
            OtpType::Hotp { counter } => key.to_hotp().unwrap().generate(counter),
            _ => unreachable!(),
        };
        assert_eq!(code.to_string(), f[2], "code of {uri}");
        assert_eq!(f[2], case.code(), "{uri}");
    }
}
