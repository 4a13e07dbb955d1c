//! End-to-end tests of the `otp` example binary (`examples/otp.rs`): RFC
//! 4226/6238 vectors, verification outcomes and exit statuses, and clean
//! one-line errors for bad input.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::panic
)]

use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

/// RFC 4226 / RFC 6238 SHA-1 seed, `12345678901234567890`.
const SEED: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

/// The example binary. `cargo test` builds it, but `cargo test --test cli`
/// does not, so it is (re)built here if missing or older than this test or
/// its source: a no-op when it is up to date.
fn otp_binary() -> &'static Path {
    static BINARY: OnceLock<PathBuf> = OnceLock::new();
    BINARY.get_or_init(|| {
        let exe = env::current_exe().expect("current exe");
        // <target>/<profile>/deps/cli-<hash> -> <target>/<profile>/examples/otp
        let profile_dir = exe.parent().and_then(Path::parent).expect("profile dir");
        let binary = profile_dir
            .join("examples")
            .join(format!("otp{}", env::consts::EXE_SUFFIX));
        let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
        let modified = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
        let stale = match modified(&binary) {
            None => true,
            Some(built) => [exe.clone(), manifest_dir.join("examples/otp.rs")]
                .iter()
                .any(|p| modified(p).is_some_and(|t| t > built)),
        };
        if stale {
            let profile = match profile_dir.file_name().and_then(|n| n.to_str()) {
                Some("debug") | None => "dev",
                Some(name) => name,
            };
            // Inherits CARGO_TARGET_DIR, so the binary lands where we look.
            let status = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .args(["build", "--quiet", "--example", "otp", "--profile", profile])
                .arg("--manifest-path")
                .arg(manifest_dir.join("Cargo.toml"))
                .status()
                .expect("run cargo build");
            assert!(status.success(), "cargo build --example otp failed");
        }
        assert!(binary.exists(), "{} not found", binary.display());
        binary
    })
}

fn run(args: &[&str]) -> Output {
    let output = Command::new(otp_binary())
        .args(args)
        .output()
        .expect("run otp");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    output
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).expect("UTF-8 stdout")
}

fn stderr(output: &Output) -> String {
    String::from_utf8(output.stderr.clone()).expect("UTF-8 stderr")
}

/// Runs a command that must succeed and returns its only stdout line.
fn ok(args: &[&str]) -> String {
    let output = run(args);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{args:?}: {}",
        stderr(&output)
    );
    let out = stdout(&output);
    assert_eq!(out.lines().count(), 1, "{args:?}: {out:?}");
    out.trim_end().to_owned()
}

fn b32(bytes: &[u8]) -> String {
    base32::encode(base32::Alphabet::Rfc4648 { padding: false }, bytes)
}

#[test]
fn totp_rfc6238_vectors() {
    let seed32 = b32(b"12345678901234567890123456789012");
    let seed64 = b32(b"1234567890123456789012345678901234567890123456789012345678901234");
    let cases: [(&str, &str, &str, &str); 6] = [
        (SEED, "SHA1", "59", "94287082"),
        (SEED, "SHA1", "1111111109", "07081804"),
        (&seed32, "SHA256", "59", "46119246"),
        (&seed32, "SHA256", "1111111109", "68084774"),
        (&seed64, "SHA512", "59", "90693936"),
        (&seed64, "SHA512", "20000000000", "47863826"),
    ];
    for (secret, alg, time, expected) in cases {
        let args = [
            "code",
            "--secret",
            secret,
            "--algorithm",
            alg,
            "--digits",
            "8",
            "--time",
            time,
        ];
        assert_eq!(ok(&args), expected, "{args:?}");
    }
}

#[test]
fn hotp_rfc4226_vectors() {
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (counter, code) in expected.iter().enumerate() {
        let counter = counter.to_string();
        let args = ["code", "--secret", SEED, "--hotp", "--counter", &counter];
        assert_eq!(ok(&args), *code, "{args:?}");
    }
}

#[test]
fn algorithm_names_are_case_insensitive() {
    let seed32 = b32(b"12345678901234567890123456789012");
    for alg in ["sha256", "Sha256", "SHA-256", "sha-256"] {
        let args = [
            "code",
            "--secret",
            &seed32,
            "--algorithm",
            alg,
            "--digits",
            "8",
            "--time",
            "1111111109",
        ];
        assert_eq!(ok(&args), "68084774", "{args:?}");
    }
}

#[test]
fn totp_verify_accepts_and_reports_step_and_offset() {
    let code = ok(&["code", "--secret", SEED, "--time", "1700000000"]);
    let args = ["verify", "--secret", SEED, "--code", &code];
    // Same step, then one step later (offset -1), within the default window.
    assert_eq!(
        ok(&[&args[..], &["--time", "1700000000"]].concat()),
        "step 56666666 offset 0"
    );
    assert_eq!(
        ok(&[&args[..], &["--time", "1700000030"]].concat()),
        "step 56666666 offset -1"
    );
    // Three steps late: only with a wider window.
    let late = [&args[..], &["--time", "1700000090"]].concat();
    assert_eq!(stdout(&run(&late)), "rejected\n");
    assert_eq!(
        ok(&[&late[..], &["--window", "3"]].concat()),
        "step 56666666 offset -3"
    );
}

#[test]
fn totp_verify_rejects_wrong_code_and_replay() {
    let code = ok(&["code", "--secret", SEED, "--time", "1700000000"]);
    let wrong = if code == "000000" { "111111" } else { "000000" };
    for (c, last_step) in [(wrong, None), (code.as_str(), Some("56666666"))] {
        let mut args = vec!["verify", "--secret", SEED, "--code", c];
        args.extend(["--time", "1700000000"]);
        if let Some(s) = last_step {
            args.extend(["--last-step", s]);
        }
        let output = run(&args);
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        assert_eq!(stdout(&output), "rejected\n", "{args:?}");
    }
    // The step before the last accepted one does not block it.
    let args = [
        "verify",
        "--secret",
        SEED,
        "--code",
        &code,
        "--time",
        "1700000000",
        "--last-step",
        "56666665",
    ];
    assert_eq!(ok(&args), "step 56666666 offset 0");
}

#[test]
fn hotp_verify_uses_look_ahead() {
    let base = ["verify", "--secret", SEED, "--hotp", "--code", "162583"];
    let with = |extra: &[&'static str]| [&base[..], extra].concat();
    assert_eq!(
        ok(&with(&["--counter", "5", "--window", "2"])),
        "counter 7 offset 2"
    );
    assert_eq!(ok(&with(&["--counter", "7"])), "counter 7 offset 0");
    for extra in [
        &["--counter", "5", "--window", "1"][..],
        &["--counter", "8"][..],
    ] {
        let output = run(&with(extra));
        assert_eq!(output.status.code(), Some(1), "{extra:?}");
        assert_eq!(stdout(&output), "rejected\n", "{extra:?}");
    }
}

#[test]
fn new_prints_a_base32_secret_sized_for_the_algorithm() {
    for (alg, bytes) in [
        (None, 20),
        (Some("sha1"), 20),
        (Some("SHA256"), 32),
        (Some("sha512"), 64),
    ] {
        let mut args = vec!["new"];
        args.extend(alg.iter().flat_map(|a| ["--algorithm", *a]));
        let secret = ok(&args);
        assert_eq!(secret.len(), (bytes * 8_usize).div_ceil(5), "{secret}");
        let decoded = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, &secret);
        assert_eq!(decoded.map(|d| d.len()), Some(bytes), "{secret}");
    }
    assert_ne!(ok(&["new"]), ok(&["new"]));
}

#[test]
fn short_legacy_secret_warns_on_stderr_only() {
    let output = run(&["code", "--secret", "JBSWY3DPEHPK3PXP", "--time", "59"]);
    assert_eq!(output.status.code(), Some(0));
    let out = stdout(&output);
    assert!(
        out.len() == 7 && out.trim_end().bytes().all(|b| b.is_ascii_digit()),
        "{out:?}"
    );
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(
        err.contains("warning") && err.contains("80 bits"),
        "{err:?}"
    );
    // A 128-bit or longer secret: no warning.
    assert_eq!(
        stderr(&run(&["code", "--secret", SEED, "--time", "59"])),
        ""
    );
}

#[test]
fn bad_input_is_one_error_line_and_exit_2() {
    let cases: &[&[&str]] = &[
        &["code", "--secret", "GEZD1NBVGY3TQOJQGEZDGNBVGY3TQOJQ"],
        &["code", "--secret", "GEZDGNBV"],
        &["code", "--secret", SEED, "--digits", "5"],
        &["code", "--secret", SEED, "--period", "0"],
        &["code", "--secret", SEED, "--time", "-1"],
        &[
            "code",
            "--secret",
            SEED,
            "--time",
            "-99999999999999999999999",
        ],
        &[
            "code",
            "--secret",
            SEED,
            "--time",
            "99999999999999999999999",
        ],
        &["code", "--secret", SEED, "--time", "soon"],
        &["code", "--secret", SEED, "--hotp"],
        &["code", "--secret", SEED, "--counter", "1"],
        &["code", "--secret", SEED, "--hotp", "--counter", "-1"],
        &[
            "code",
            "--secret",
            SEED,
            "--hotp",
            "--counter",
            "18446744073709551616",
        ],
        &[
            "verify", "--secret", SEED, "--code", "123456", "--window", "11",
        ],
        &[
            "verify",
            "--secret",
            SEED,
            "--code",
            "123456",
            "--hotp",
            "--counter",
            "0",
            "--window",
            "21",
        ],
        &["verify", "--secret", SEED, "--code", "12a456"],
        &["verify", "--secret", SEED, "--code", "12345"],
        &[
            "verify",
            "--secret",
            SEED,
            "--code",
            "123456",
            "--last-step",
            "-3",
        ],
        &[
            "verify", "--secret", SEED, "--code", "123456", "--time", "-30",
        ],
    ];
    for args in cases {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&output), "", "{args:?}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
        assert!(err.starts_with("otp: error: "), "{args:?}: {err:?}");
    }
    // Library errors are shown with their own message.
    let err = stderr(&run(&["code", "--secret", SEED, "--digits", "5"]));
    assert_eq!(
        err,
        "otp: error: 5 digits is not supported; use 6, 7 or 8\n"
    );
    let err = stderr(&run(&["code", "--secret", SEED, "--time", "-1"]));
    assert_eq!(err, "otp: error: the time is before T0\n");
}

#[test]
fn usage_errors_exit_2_without_panicking() {
    for args in [
        &["code"][..],
        &["code", "--secret", SEED, "--algorithm", "md5"],
        &["code", "--secret", SEED, "--digits", "300"],
        &[
            "code",
            "--secret",
            SEED,
            "--hotp",
            "--counter",
            "1",
            "--time",
            "5",
        ],
        &["frobnicate"],
    ] {
        let output = run(args);
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        assert_eq!(stdout(&output), "", "{args:?}");
    }
}
