//! End-to-end tests of the `otp` example binary (`examples/otp.rs`): RFC
//! 4226/6238 vectors, verification outcomes and exit statuses, key URIs,
//! QR codes and Google Authenticator import, and clean one-line errors for
//! bad input.
//!
//! A missing `zbarimg` (Debian: `zbar-tools`) skips the QR reader check
//! with a notice on stderr, unless `MFA_REQUIRE_INTEROP=1` is set (as in
//! CI), which makes it a failure.

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

use mfa::KeyUri;

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
            // The features this test was built with, so that the example
            // is built as `cargo test` would build it.
            let features: Vec<&str> = [
                ("default", cfg!(feature = "default")),
                ("std", cfg!(feature = "std")),
                ("serde", cfg!(feature = "serde")),
                ("qr", cfg!(feature = "qr")),
            ]
            .into_iter()
            .filter_map(|(name, on)| on.then_some(name))
            .collect();
            // Inherits CARGO_TARGET_DIR, so the binary lands where we look.
            let status = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()))
                .args(["build", "--quiet", "--example", "otp", "--profile", profile])
                .args(["--no-default-features", "--features", &features.join(",")])
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
    run_with(args, &[])
}

/// Runs `otp` with `NO_COLOR` unset unless `env` sets it, and checks that it
/// did not panic.
fn run_with(args: &[&str], env: &[(&str, &str)]) -> Output {
    let output = Command::new(otp_binary())
        .args(args)
        .env_remove("NO_COLOR")
        .envs(env.iter().copied())
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

/// Runs a command that must fail on bad input: exit status 2, nothing on
/// stdout, exactly one `otp: error: ` line on stderr. Returns that line.
fn assert_bad_input(args: &[&str]) -> String {
    let output = run(args);
    assert_eq!(output.status.code(), Some(2), "{args:?}");
    assert_eq!(stdout(&output), "", "{args:?}");
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{args:?}: {err:?}");
    assert!(err.starts_with("otp: error: "), "{args:?}: {err:?}");
    err.trim_end().to_owned()
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
        assert_bad_input(args);
    }
    // `otp` alone prints the help on stderr.
    let output = run(&[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("Usage: otp <COMMAND>"));
}

/// The RFC 6238 seeds for SHA-256 and SHA-512, in Base32.
fn seed32() -> String {
    b32(b"12345678901234567890123456789012")
}

fn seed64() -> String {
    b32(b"1234567890123456789012345678901234567890123456789012345678901234")
}

#[test]
fn code_of_a_totp_uri_rfc6238_vectors() {
    let cases = [
        (SEED.to_owned(), "", "59", "94287082"),
        (SEED.to_owned(), "&algorithm=sha1", "1111111109", "07081804"),
        (seed32(), "&algorithm=SHA256", "59", "46119246"),
        (seed32(), "&algorithm=SHA256", "1111111109", "68084774"),
        (seed64(), "&algorithm=SHA512", "59", "90693936"),
        (seed64(), "&algorithm=SHA512", "20000000000", "47863826"),
    ];
    for (secret, algorithm, time, expected) in cases {
        let uri = format!("otpauth://totp/Example:alice?secret={secret}&digits=8{algorithm}");
        let args = ["code", "--uri", &uri, "--time", time];
        assert_eq!(ok(&args), expected, "{args:?}");
    }
    // The period comes from the URI: step 1 of 60 s is step 2 of 30 s.
    let uri = format!("otpauth://totp/alice?secret={SEED}&period=60");
    assert_eq!(
        ok(&["code", "--uri", &uri, "--time", "60"]),
        ok(&["code", "--secret", SEED, "--time", "30"])
    );
}

#[test]
fn code_of_an_hotp_uri_uses_its_counter_unless_given() {
    let uri =
        |counter: u64| format!("otpauth://hotp/Example:alice?secret={SEED}&counter={counter}");
    assert_eq!(ok(&["code", "--uri", &uri(0)]), "755224");
    assert_eq!(ok(&["code", "--uri", &uri(7)]), "162583");
    assert_eq!(ok(&["code", "--uri", &uri(0), "--counter", "9"]), "520489");
    assert_eq!(ok(&["code", "--uri", &uri(9), "--counter", "0"]), "755224");
}

#[test]
fn code_of_a_uri_with_a_short_secret_warns() {
    let uri = "otpauth://totp/ACME:john?secret=JBSWY3DPEHPK3PXP";
    let output = run(&["code", "--uri", uri, "--time", "59"]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(
        stdout(&output),
        stdout(&run(&[
            "code",
            "--secret",
            "JBSWY3DPEHPK3PXP",
            "--time",
            "59"
        ]))
    );
    assert!(stderr(&output).contains("80 bits"), "{}", stderr(&output));
}

#[test]
fn uri_prints_the_key_uri() {
    let names = ["--issuer", "Example Co", "--account", "alice@example.com"];
    let uri = |extra: &[&str]| ok(&[&["uri", "--secret", SEED][..], &names, extra].concat());
    let label = "Example%20Co:alice%40example.com";
    assert_eq!(
        uri(&[]),
        format!("otpauth://totp/{label}?secret={SEED}&issuer=Example%20Co")
    );
    assert_eq!(
        uri(&["--algorithm", "sha256", "--digits", "8", "--period", "60"]),
        format!(
            "otpauth://totp/{label}?secret={SEED}&issuer=Example%20Co&algorithm=SHA256&digits=8&period=60"
        )
    );
    assert_eq!(
        uri(&["--hotp", "--counter", "5"]),
        format!("otpauth://hotp/{label}?secret={SEED}&issuer=Example%20Co&counter=5")
    );
    // The secret is written in canonical form.
    let lenient = ok(&[
        "uri",
        "--secret",
        "gezd gnbv gy3t qojq gezd gnbv gy3t qojq",
        "--issuer",
        "Example",
        "--account",
        "alice",
    ]);
    assert_eq!(
        lenient,
        format!("otpauth://totp/Example:alice?secret={SEED}&issuer=Example")
    );
}

#[test]
fn uri_warns_about_parameters_some_apps_ignore() {
    let base = [
        "uri",
        "--secret",
        SEED,
        "--issuer",
        "Example",
        "--account",
        "alice",
    ];
    assert_eq!(stderr(&run(&base)), "");
    for extra in [
        &["--digits", "8"][..],
        &["--algorithm", "SHA512"],
        &["--period", "60"],
        &["--hotp", "--counter", "0"],
    ] {
        let output = run(&[&base[..], extra].concat());
        assert_eq!(output.status.code(), Some(0), "{extra:?}");
        let err = stderr(&output);
        assert_eq!(err.lines().count(), 1, "{extra:?}: {err:?}");
        assert!(err.starts_with("otp: warning: "), "{extra:?}: {err:?}");
    }
}

#[test]
fn uri_then_code_round_trips() {
    let names = [
        "--issuer",
        "Zürich Bank & Co",
        "--account",
        "zoë/a+b?c=d#e%f",
    ];
    for (params, time_or_counter) in [
        (&["--digits", "8"][..], &["--time", "59"][..]),
        (
            &["--algorithm", "sha512", "--period", "45"],
            &["--time", "1111111109"],
        ),
        (&["--hotp", "--counter", "3", "--digits", "7"], &[]),
    ] {
        let uri = ok(&[&["uri", "--secret", SEED][..], &names, params].concat());
        let from_uri = ok(&[&["code", "--uri", &uri][..], time_or_counter].concat());
        let from_secret = ok(&[&["code", "--secret", SEED][..], params, time_or_counter].concat());
        assert_eq!(from_uri, from_secret, "{uri}");
    }
}

/// A fresh directory for one test's files.
fn temp_dir(name: &str) -> PathBuf {
    let dir = env::temp_dir().join(format!("mfa-cli-{}-{name}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    dir
}

/// `zbarimg` is missing: a notice, or a failure under `MFA_REQUIRE_INTEROP=1`.
fn zbarimg_available() -> bool {
    let detail = match Command::new("zbarimg").arg("--version").output() {
        Ok(out) if out.status.success() => return true,
        Ok(out) => format!("`zbarimg --version` exited with {}", out.status),
        Err(e) => format!("cannot run `zbarimg`: {e}"),
    };
    let message = format!("QR decoding with zbarimg not run: {detail} (Debian: zbar-tools)");
    if env::var("MFA_REQUIRE_INTEROP").is_ok_and(|v| v.trim() == "1") {
        panic!("{message}; MFA_REQUIRE_INTEROP=1 requires it");
    }
    // Written to the stderr handle rather than with `eprintln!`, which the
    // test harness captures: this notice must show even on success.
    let _ = std::io::Write::write_all(&mut std::io::stderr(), format!("{message}\n").as_bytes());
    false
}

#[test]
fn uri_writes_the_qr_code_as_png_or_svg() {
    let dir = temp_dir("qr");
    let base = [
        "uri",
        "--secret",
        SEED,
        "--issuer",
        "Example Co",
        "--account",
        "alice@example.com",
    ];
    for name in ["key.png", "key.svg", "KEY.PNG", "key.Svg"] {
        let path = dir.join(name);
        let uri = ok(&[&base[..], &["--qr", path.to_str().unwrap()]].concat());
        let file = fs::read(&path).unwrap();
        let qr = KeyUri::parse(&uri).unwrap().to_qr().unwrap();
        if name.to_ascii_lowercase().ends_with(".png") {
            assert_eq!(file, qr.to_png(8).unwrap().as_slice(), "{name}");
        } else {
            assert_eq!(file, qr.to_svg().as_bytes(), "{name}");
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = fs::metadata(&path).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "{name}: {mode:o}");
        }
    }
    if zbarimg_available() {
        let path = dir.join("key.png");
        let uri = ok(&[
            &base[..],
            &["--hotp", "--counter", "42", "--qr"],
            &[path.to_str().unwrap()],
        ]
        .concat());
        let out = Command::new("zbarimg")
            .args(["--quiet", "--raw"])
            .arg(&path)
            .output()
            .expect("run zbarimg");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(String::from_utf8(out.stdout).unwrap(), format!("{uri}\n"));
    }
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn uri_with_bad_input_writes_no_file() {
    let dir = temp_dir("bad-qr");
    for (name, names) in [
        ("a.png", ["--issuer", "Example:Co", "--account", "alice"]),
        ("b.svg", ["--issuer", "Example", "--account", ""]),
        ("c.gif", ["--issuer", "Example", "--account", "alice"]),
        ("png", ["--issuer", "Example", "--account", "alice"]),
    ] {
        let path = dir.join(name);
        let path = path.to_str().unwrap();
        assert_bad_input(&[&["uri", "--secret", SEED, "--qr", path][..], &names].concat());
        assert!(!Path::new(path).exists(), "{path}");
    }
    let path = dir.join("c.gif");
    let err = assert_bad_input(&[
        "uri",
        "--secret",
        SEED,
        "--issuer",
        "E",
        "--account",
        "a",
        "--qr",
        path.to_str().unwrap(),
    ]);
    assert_eq!(
        err,
        format!(
            "otp: error: --qr {} must name a .png or .svg file",
            path.display()
        )
    );
    fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn new_with_names_prints_secret_uri_and_terminal_qr() {
    for (alg, bytes) in [(None, 20), (Some("sha256"), 32), (Some("SHA512"), 64)] {
        let mut args = vec![
            "new",
            "--issuer",
            "Example",
            "--account",
            "alice@example.com",
        ];
        args.extend(alg.iter().flat_map(|a| ["--algorithm", *a]));
        let output = run(&args);
        assert_eq!(
            output.status.code(),
            Some(0),
            "{args:?}: {}",
            stderr(&output)
        );
        let out = stdout(&output);
        let mut lines = out.lines();
        let secret = lines.next().unwrap();
        let decoded = base32::decode(base32::Alphabet::Rfc4648 { padding: false }, secret);
        assert_eq!(decoded.map(|d| d.len()), Some(bytes), "{secret}");
        let uri = lines.next().unwrap();
        let algorithm = match alg {
            None => String::new(),
            Some(a) => format!("&algorithm={}", a.to_ascii_uppercase()),
        };
        assert_eq!(
            uri,
            format!(
                "otpauth://totp/Example:alice%40example.com?secret={secret}&issuer=Example{algorithm}"
            )
        );
        // Then exactly the library's terminal QR code of that URI.
        let key = KeyUri::parse(uri).unwrap();
        let qr = key.to_qr().unwrap();
        let rest = &out[secret.len() + uri.len() + 2..];
        assert_eq!(rest, qr.to_terminal().as_str());
        let rows: Vec<&str> = rest.lines().collect();
        assert_eq!(rows.len(), (qr.size() + 8).div_ceil(2));
        for row in &rows {
            let inner = row
                .strip_prefix("\x1b[38;5;16;48;5;231m")
                .and_then(|r| r.strip_suffix("\x1b[0m"))
                .unwrap_or_else(|| panic!("{row:?}"));
            assert_eq!(inner.chars().count(), qr.size() + 8, "{row:?}");
        }
        // The code the app will show is the one the secret gives.
        assert_eq!(
            ok(&["code", "--uri", uri, "--time", "1700000000"]),
            ok(&[
                &["code", "--secret", secret, "--time", "1700000000"][..],
                &["--algorithm", alg.unwrap_or("sha1")]
            ]
            .concat())
        );
        // SHA-1 works in every app; other algorithms get a warning.
        let err = stderr(&output);
        assert_eq!(err.is_empty(), alg.is_none(), "{err:?}");
        assert!(err.lines().count() <= 1, "{err:?}");
    }
}

#[test]
fn new_needs_issuer_and_account_together() {
    for args in [
        &["new", "--issuer", "Example"][..],
        &["new", "--account", "alice"],
        &["new", "--issuer", "Example", "--account", ""],
        &["new", "--issuer", "", "--account", "alice"],
        &["new", "--issuer", "Ex:ample", "--account", "alice"],
        &["new", "--issuer", "Example", "--account", " alice"],
    ] {
        assert_bad_input(args);
    }
}

/// A protobuf varint.
fn varint(mut n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    while n >= 0x80 {
        out.push((n as u8) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
    out
}

/// A protobuf length-delimited field.
fn bytes_field(field: u64, bytes: &[u8]) -> Vec<u8> {
    [
        varint(field << 3 | 2),
        varint(bytes.len() as u64),
        bytes.to_vec(),
    ]
    .concat()
}

/// A protobuf varint field.
fn varint_field(field: u64, value: u64) -> Vec<u8> {
    [varint(field << 3), varint(value)].concat()
}

/// Standard Base64 with padding, then percent-encoded for a query.
fn base64_query(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in data.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                let c = ALPHABET[(n >> (18 - 6 * i) & 63) as usize];
                match c {
                    b'+' => out.push_str("%2B"),
                    b'/' => out.push_str("%2F"),
                    _ => out.push(char::from(c)),
                }
            } else {
                out.push_str("%3D");
            }
        }
    }
    out
}

/// One `OtpParameters` entry of a Google Authenticator export.
struct Entry<'a> {
    secret: &'a [u8],
    name: &'a str,
    issuer: &'a str,
    algorithm: u64,
    digits: u64,
    otp_type: u64,
    counter: u64,
}

/// An `otpauth-migration://` URI, built byte by byte from the schema.
fn migration_uri(entries: &[Entry<'_>], batch_size: u64, batch_index: u64) -> String {
    let mut payload = Vec::new();
    for e in entries {
        let mut entry = bytes_field(1, e.secret);
        entry.extend(bytes_field(2, e.name.as_bytes()));
        if !e.issuer.is_empty() {
            entry.extend(bytes_field(3, e.issuer.as_bytes()));
        }
        entry.extend(varint_field(4, e.algorithm));
        entry.extend(varint_field(5, e.digits));
        entry.extend(varint_field(6, e.otp_type));
        if e.otp_type == 1 {
            entry.extend(varint_field(7, e.counter));
        }
        payload.extend(bytes_field(1, &entry));
    }
    payload.extend(varint_field(2, 1));
    payload.extend(varint_field(3, batch_size));
    payload.extend(varint_field(4, batch_index));
    payload.extend(varint_field(5, 1_234_567));
    format!(
        "otpauth-migration://offline?data={}",
        base64_query(&payload)
    )
}

fn export_entries() -> [Entry<'static>; 3] {
    [
        Entry {
            secret: b"12345678901234567890",
            name: "Example:alice",
            issuer: "Example",
            algorithm: 1,
            digits: 1,
            otp_type: 2,
            counter: 0,
        },
        Entry {
            secret: b"12345678901234567890123456789012",
            name: "bob@example.com",
            issuer: "ACME Co",
            algorithm: 2,
            digits: 2,
            otp_type: 1,
            counter: 5,
        },
        Entry {
            secret: b"Hello!\xde\xad\xbe\xef",
            name: "Old Bank: carol",
            issuer: "",
            algorithm: 0,
            digits: 0,
            otp_type: 0,
            counter: 0,
        },
    ]
}

#[test]
fn import_lists_the_keys_of_an_export() {
    let uri = migration_uri(&export_entries(), 1, 0);
    let output = run(&["import", &uri]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(stderr(&output), "");
    let seed32 = seed32();
    let expected = [
        format!("otpauth://totp/Example:alice?secret={SEED}&issuer=Example"),
        format!(
            "otpauth://hotp/bob%40example.com?secret={seed32}&issuer=ACME%20Co&algorithm=SHA256&digits=8&counter=5"
        ),
        "otpauth://totp/Old%20Bank:carol?secret=JBSWY3DPEHPK3PXP".to_owned(),
    ];
    let out = stdout(&output);
    assert_eq!(out.lines().collect::<Vec<_>>(), expected);
    // The listed URIs give the keys' codes.
    assert_eq!(
        ok(&["code", "--uri", &expected[0], "--time", "59"]),
        "287082"
    );
    assert_eq!(
        ok(&["code", "--uri", &expected[1]]),
        ok(&[
            "code",
            "--secret",
            &seed32,
            "--algorithm",
            "SHA256",
            "--digits",
            "8",
            "--hotp",
            "--counter",
            "5",
        ])
    );
}

#[test]
fn import_of_one_part_of_a_larger_export_warns() {
    let uri = migration_uri(&export_entries()[..1], 3, 1);
    let output = run(&["import", &uri]);
    assert_eq!(output.status.code(), Some(0));
    assert_eq!(stdout(&output).lines().count(), 1);
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(
        err.starts_with("otp: warning: ") && err.contains("2 of 3"),
        "{err:?}"
    );
}

#[test]
fn new_subcommands_bad_input_is_one_error_line_and_exit_2() {
    let totp = format!("otpauth://totp/Example:alice?secret={SEED}");
    let hotp = format!("otpauth://hotp/Example:alice?secret={SEED}&counter=0");
    let mut bad_entry = export_entries();
    bad_entry[1].digits = 7;
    let bad_export = migration_uri(&bad_entry[1..2], 1, 0);
    let names = ["--issuer", "Example", "--account", "alice"];
    let uri = |extra: &[&'static str]| [&["uri", "--secret", SEED][..], &names, extra].concat();
    let cases: Vec<Vec<&str>> = vec![
        // code --uri
        vec!["code"],
        vec!["code", "--uri", &totp, "--secret", SEED],
        vec!["code", "--uri", &totp, "--algorithm", "SHA1"],
        vec!["code", "--uri", &totp, "--digits", "8"],
        vec!["code", "--uri", &totp, "--period", "60"],
        vec!["code", "--uri", &totp, "--hotp"],
        vec!["code", "--uri", &totp, "--counter", "1"],
        vec!["code", "--uri", &totp, "--time", "-1"],
        vec!["code", "--uri", &totp, "--time", "soon"],
        vec!["code", "--uri", &hotp, "--time", "59"],
        vec!["code", "--uri", &hotp, "--counter", "-1"],
        vec!["code", "--uri", &hotp, "--counter", "18446744073709551616"],
        vec!["code", "--uri", "https://example.com/"],
        vec![
            "code",
            "--uri",
            "otpauth://totp/Example:alice?issuer=Example",
        ],
        vec!["code", "--uri", "otpauth://totp/alice?secret=GEZD1NBV"],
        vec![
            "code",
            "--uri",
            "otpauth://totp/alice?secret=JBSWY3DPEHPK3PXP&digits=9",
        ],
        vec![
            "code",
            "--uri",
            "otpauth://totp/a%zzb?secret=JBSWY3DPEHPK3PXP",
        ],
        vec![
            "code",
            "--uri",
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=18446744073709551615",
        ],
        vec![
            "code",
            "--uri",
            "otpauth://totp/Steam:?secret=FMXNK4QEGKVPULRTADY6JIDK5VHUBGZW&encoder=steam",
        ],
        vec!["code", "--uri", ""],
        vec!["code", "--uri", "otpauth-migration://offline?data=Cg%3D%3D"],
        // uri
        vec!["uri", "--secret", SEED, "--issuer", "Example"],
        vec!["uri", "--secret", SEED, "--account", "alice"],
        vec!["uri", "--issuer", "Example", "--account", "alice"],
        vec![
            "uri",
            "--secret",
            "GEZDGNBV",
            "--issuer",
            "Example",
            "--account",
            "alice",
        ],
        vec![
            "uri",
            "--secret",
            SEED,
            "--issuer",
            "",
            "--account",
            "alice",
        ],
        vec![
            "uri",
            "--secret",
            SEED,
            "--issuer",
            "Ex:ample",
            "--account",
            "alice",
        ],
        vec![
            "uri",
            "--secret",
            SEED,
            "--issuer",
            "Example",
            "--account",
            "a:b",
        ],
        vec![
            "uri",
            "--secret",
            SEED,
            "--issuer",
            "Example",
            "--account",
            " alice",
        ],
        uri(&["--hotp"]),
        uri(&["--counter", "3"]),
        uri(&["--hotp", "--counter", "-3"]),
        uri(&["--hotp", "--counter", "1", "--period", "60"]),
        uri(&["--period", "0"]),
        uri(&["--period", "86401"]),
        uri(&["--digits", "9"]),
        uri(&["--algorithm", "md5"]),
        uri(&["--time", "59"]),
        uri(&["--qr", "key.gif"]),
        uri(&["--qr", "key"]),
        uri(&["--qr", "/nonexistent-mfa-dir/key.png"]),
        // new
        vec!["new", "--issuer", "Example"],
        vec!["new", "--algorithm", "sha256", "--account", "alice"],
        vec!["new", "--issuer", "Example", "--account", "a:b"],
        // import
        vec!["import"],
        vec!["import", &totp],
        vec!["import", "otpauth-migration://offline"],
        vec!["import", "otpauth-migration://offline?data="],
        vec!["import", "otpauth-migration://offline?data=Cg%3D%3D"],
        vec!["import", "otpauth-migration://offline?data=!!!!"],
        vec!["import", "otpauth-migration://offline?data=CgA%3D"],
        vec!["import", &bad_export],
        vec!["import", &bad_export, &bad_export],
    ];
    for args in &cases {
        assert_bad_input(args);
    }
    // Messages that say what to fix.
    assert_eq!(
        assert_bad_input(&["code", "--uri", &hotp, "--time", "59"]),
        "otp: error: --time is for TOTP keys, and this URI is an HOTP key"
    );
    assert_eq!(
        assert_bad_input(&["code", "--uri", &totp, "--secret", SEED]),
        "otp: error: the argument '--uri <URI>' cannot be used with '--secret <B32>'; see otp code --help"
    );
    assert_eq!(
        assert_bad_input(&["new", "--issuer", "Example"]),
        "otp: error: the following required arguments were not provided: --account <A>; see otp new --help"
    );
    assert_eq!(
        assert_bad_input(&["import", &bad_export]),
        "otp: error: key 1 of the export (\"bob@example.com\", issuer \"ACME Co\") was not imported: \
         the digits parameter must be 6, 7 or 8"
    );
    assert_eq!(
        assert_bad_input(&["import", "otpauth-migration://offline"]),
        "otp: error: the export URI has no data; it needs ?data=<Base64 payload> after otpauth-migration://offline"
    );
    assert_eq!(
        assert_bad_input(&[
            "code",
            "--uri",
            "otpauth://totp/a?secret=JBSWY3DPEHPK3PXP&period=18446744073709551615"
        ]),
        "otp: error: the period must be a whole number of seconds from 1 to 86400 (a day)"
    );
    assert_eq!(
        assert_bad_input(&[
            "code",
            "--uri",
            "otpauth://totp/Steam:?secret=FMXNK4QEGKVPULRTADY6JIDK5VHUBGZW&encoder=steam"
        ]),
        "otp: error: this is a Steam Guard key, whose codes are 5 characters of Steam's alphabet; \
         it cannot be read as TOTP"
    );
    assert_eq!(
        assert_bad_input(&[
            "verify", "--secret", SEED, "--code", "123456", "--window", "11"
        ]),
        "otp: error: a window of 11 steps is too large; at most 10 on each side"
    );
}

#[test]
fn import_keeps_the_good_keys_and_reports_each_refused_one() {
    let mut entries = export_entries();
    entries[1].digits = 7; // refused: 7 digits cannot be said in an export
    entries[2].secret = b"12345678"; // refused: 64 bits
    let uri = migration_uri(&entries, 1, 0);
    let output = run(&["import", &uri]);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        format!("otpauth://totp/Example:alice?secret={SEED}&issuer=Example\n")
    );
    assert_eq!(
        stderr(&output),
        "otp: error: key 2 of the export (\"bob@example.com\", issuer \"ACME Co\") was not imported: \
         the digits parameter must be 6, 7 or 8\n\
         otp: error: key 3 of the export (\"Old Bank: carol\") was not imported: \
         invalid secret: the secret has 64 bits; at least 80 are required\n"
    );
    // None imported: the same lines, exit 2.
    let output = run(&["import", &migration_uri(&entries[1..], 1, 0)]);
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(stdout(&output), "");
    assert_eq!(stderr(&output).lines().count(), 2, "{}", stderr(&output));
    // A name is quoted and escaped, whatever the export holds.
    let mut hostile = export_entries();
    hostile[0].name = "evil\x1b[2J\nname";
    hostile[0].secret = b"short";
    let output = run(&["import", &migration_uri(&hostile, 1, 0)]);
    assert_eq!(output.status.code(), Some(0));
    let err = stderr(&output);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.contains(r#"("evil\u{1b}[2J\nname""#), "{err:?}");
}

#[test]
fn code_of_an_hotp_uri_without_a_counter_starts_at_zero() {
    // Google Authenticator for Android's
    // testAccountSetup_validHotpUriWithoutCounterAccepted.
    assert_eq!(
        ok(&[
            "code",
            "--uri",
            &format!("otpauth://hotp/9.99.99.999?secret={SEED}")
        ]),
        "755224"
    );
}

/// The terminal QR code without escape sequences: what `--plain` and
/// `NO_COLOR` print.
fn plain(qr: &mfa::QrCode) -> String {
    qr.to_terminal()
        .lines()
        .map(|row| {
            let inner = row
                .strip_prefix("\x1b[38;5;16;48;5;231m")
                .and_then(|r| r.strip_suffix("\x1b[0m"))
                .unwrap_or_else(|| panic!("{row:?}"));
            format!("{inner}\n")
        })
        .collect()
}

#[test]
fn new_plain_and_no_color_draw_half_blocks_without_escapes() {
    let args = [
        "new",
        "--issuer",
        "Example",
        "--account",
        "alice@example.com",
    ];
    let with_plain = [&args[..], &["--plain"]].concat();
    for (args, env) in [
        (&with_plain[..], &[][..]),
        (&args[..], &[("NO_COLOR", "1")][..]),
        (&with_plain[..], &[("NO_COLOR", "")][..]),
    ] {
        let output = run_with(args, env);
        assert_eq!(output.status.code(), Some(0), "{args:?} {env:?}");
        let out = stdout(&output);
        assert!(!out.contains('\x1b'), "{args:?} {env:?}");
        let mut lines = out.lines();
        let secret = lines.next().unwrap();
        let uri = lines.next().unwrap();
        let qr = KeyUri::parse(uri).unwrap().to_qr().unwrap();
        assert_eq!(&out[secret.len() + uri.len() + 2..], plain(&qr));
        assert_eq!(
            stderr(&output),
            "otp: note: the QR code is drawn in the text colour, without a background; \
             scan it from a light background with dark text\n"
        );
    }
    // NO_COLOR set but empty means colours, as no-color.org says.
    let output = run_with(&args, &[("NO_COLOR", "")]);
    assert!(stdout(&output).contains("\x1b[38;5;16;48;5;231m"));
    assert_eq!(stderr(&output), "");
}
