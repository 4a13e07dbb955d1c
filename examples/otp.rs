//! `otp`: a small oathtool-like command line built on `mfa`. It needs the
//! `qr` feature.
//!
//! ```text
//! # TOTP (RFC 6238), now or at a given Unix time:
//! cargo run --features qr --example otp -- code --secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
//! cargo run --features qr --example otp -- code --secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP --time 59
//! # HOTP (RFC 4226):
//! cargo run --features qr --example otp -- code --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --hotp --counter 7
//! # The code of the key in an otpauth:// URI (an HOTP URI's own counter
//! # unless --counter is given):
//! cargo run --features qr --example otp -- code --uri 'otpauth://totp/Example:alice?secret=...' --time 59
//! # Check a code: prints `step S offset O` (HOTP: `counter C offset O`) and
//! # exits 0, or prints `rejected` and exits 1; `--last-step` refuses replays.
//! cargo run --features qr --example otp -- verify --secret ... --code 123456 --window 2 --last-step 56666665
//! cargo run --features qr --example otp -- verify --secret ... --hotp --counter 5 --code 162583
//! # The otpauth:// URI of a key, and its QR code as a PNG or SVG file:
//! cargo run --features qr --example otp -- uri --secret ... --issuer Example --account alice@example.com --qr key.png
//! # A fresh random secret, as long as the hash output; with an issuer and
//! # an account, also its URI and a QR code to scan from the terminal
//! # (black on white; plain half blocks with --plain or NO_COLOR set):
//! cargo run --features qr --example otp -- new --algorithm sha256
//! cargo run --features qr --example otp -- new --issuer Example --account alice@example.com
//! cargo run --features qr --example otp -- new --issuer Example --account alice@example.com --plain
//! # The keys of a Google Authenticator export, as otpauth:// URIs; a key
//! # that cannot be imported is one stderr line (exit 0 if any key was
//! # imported, 2 if none):
//! cargo run --features qr --example otp -- import 'otpauth-migration://offline?data=...'
//! ```
//!
//! Also `--algorithm SHA1|SHA256|SHA512` (any case), `--digits 6|7|8` and
//! `--period S`. `--window N` is N steps each way for TOTP and the look-ahead
//! for HOTP. Bad input exits 2 with one line on stderr. Secrets down to 80
//! bits are accepted with a warning. A secret on the command line, and the
//! URIs and QR codes printed, are visible to other local users and end up in
//! terminal scrollback: this is a demonstration.

use std::error::Error;
use std::fs::{File, OpenOptions};
use std::io::{self, Write};
use std::num::IntErrorKind;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use clap::error::ErrorKind;
use clap::{ArgGroup, Args, Parser, Subcommand};
use mfa::{
    Algorithm, Digits, Hotp, HotpConfig, KeyUri, MigrationBatch, OtpType, QrCode, Secret,
    TimeError, Totp, TotpConfig, VerifyError, Window,
};
use zeroize::Zeroizing;

type Failure = Box<dyn Error>;

/// Pixels a module in the PNG files `uri --qr` writes.
const PNG_MODULE_PX: u8 = 8;

/// Makes and checks HOTP/TOTP one-time codes (RFC 4226/6238), and their
/// otpauth:// URIs and QR codes.
#[derive(Debug, Parser)]
#[command(name = "otp", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the code of a key, given by its secret or its otpauth:// URI.
    #[command(group(ArgGroup::new("key").required(true).args(["secret", "uri"])))]
    Code {
        /// The shared secret in Base32.
        #[arg(long, value_name = "B32")]
        secret: Option<String>,
        /// An otpauth:// key URI, instead of --secret and its parameters
        /// (an HOTP URI's counter is used unless --counter is given).
        #[arg(
            long,
            value_name = "URI",
            conflicts_with_all = ["algorithm", "digits", "period", "hotp"]
        )]
        uri: Option<String>,
        #[command(flatten)]
        params: Params,
        /// TOTP Unix time [default: now].
        #[arg(
            long,
            value_name = "UNIX",
            allow_hyphen_values = true,
            conflicts_with = "hotp"
        )]
        time: Option<String>,
    },
    /// Check a code; exit 0 if accepted, 1 if rejected.
    Verify {
        /// The shared secret in Base32.
        #[arg(long, value_name = "B32")]
        secret: String,
        #[command(flatten)]
        params: Params,
        /// TOTP Unix time [default: now].
        #[arg(
            long,
            value_name = "UNIX",
            allow_hyphen_values = true,
            conflicts_with = "hotp"
        )]
        time: Option<String>,
        /// The code to check.
        #[arg(long)]
        code: String,
        /// TOTP: steps accepted each way; HOTP: counters accepted ahead.
        #[arg(long, value_name = "N")]
        window: Option<u8>,
        /// TOTP: the step of the last accepted code, never accepted again.
        #[arg(long, conflicts_with = "hotp", allow_hyphen_values = true)]
        last_step: Option<String>,
    },
    /// Print the otpauth:// URI of a key, and write its QR code if asked.
    Uri {
        /// The shared secret in Base32.
        #[arg(long, value_name = "B32")]
        secret: String,
        #[command(flatten)]
        names: Names,
        #[command(flatten)]
        params: Params,
        /// Also write the QR code to this file, a PNG or an SVG image by its
        /// extension (.png or .svg).
        #[arg(long, value_name = "FILE")]
        qr: Option<PathBuf>,
    },
    /// Print a fresh random secret in Base32; with --issuer and --account,
    /// also its otpauth:// URI and a QR code to scan.
    New {
        /// Hash function the secret is sized for.
        #[arg(long, value_name = "NAME", default_value = "SHA1")]
        algorithm: Algorithm,
        /// The service, as the app shows it (needs --account).
        #[arg(long, value_name = "I", requires = "account")]
        issuer: Option<String>,
        /// The user's login or e-mail address (needs --issuer).
        #[arg(long, value_name = "A", requires = "issuer")]
        account: Option<String>,
        /// Draw the QR code in plain half blocks, without colours (also when
        /// NO_COLOR is set); it then scans on a light background only.
        #[arg(long)]
        plain: bool,
    },
    /// List the keys of a Google Authenticator export
    /// (otpauth-migration://) as otpauth:// URIs, one a line; each key that
    /// cannot be imported is one line on stderr. Exit 0 if any key was
    /// imported, 2 if none.
    Import {
        /// The otpauth-migration://offline?data=... URI.
        #[arg(value_name = "URI")]
        uri: String,
    },
}

/// The key's parameters.
#[derive(Debug, Args)]
struct Params {
    /// Hash function: SHA1, SHA256 or SHA512.
    #[arg(long, value_name = "NAME", default_value = "SHA1")]
    algorithm: Algorithm,
    /// Number of digits: 6, 7 or 8.
    #[arg(long, value_name = "N", default_value_t = 6)]
    digits: u8,
    /// TOTP step length in seconds.
    #[arg(long, value_name = "S", default_value_t = 30)]
    period: u64,
    /// Use HOTP (counter-based) instead of TOTP; needs --counter.
    #[arg(long, conflicts_with = "period")]
    hotp: bool,
    /// HOTP counter (verify: the next expected one; uri: the app's first).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    counter: Option<String>,
}

/// Who the key is for, as the URI's label says.
#[derive(Debug, Args)]
struct Names {
    /// The service, as the app shows it.
    #[arg(long, value_name = "I")]
    issuer: String,
    /// The user's login or e-mail address.
    #[arg(long, value_name = "A")]
    account: String,
}

/// What the code depends on: a Unix time or a counter.
enum Mode {
    Totp(u64),
    Hotp(u64),
}

impl Params {
    /// The HOTP counter, or `None` for TOTP.
    fn counter(&self) -> Result<Option<u64>, Failure> {
        match (self.hotp, &self.counter) {
            (true, Some(c)) => Ok(Some(unsigned("--counter", c, None)?)),
            (true, None) => Err("--hotp needs --counter N".into()),
            (false, Some(_)) => Err("--counter needs --hotp".into()),
            (false, None) => Ok(None),
        }
    }

    fn mode(&self, time: Option<&str>) -> Result<Mode, Failure> {
        match self.counter()? {
            Some(counter) => Ok(Mode::Hotp(counter)),
            None => Ok(Mode::Totp(time_or_now(time)?)),
        }
    }

    fn totp(&self, secret: &Secret, window: Option<u8>) -> Result<Totp, Failure> {
        let window = window.map(Window::symmetric).transpose()?;
        let config = TotpConfig::builder()
            .algorithm(self.algorithm)
            .digits(Digits::new(self.digits)?)
            .period(self.period)
            .window(window.unwrap_or_default())
            .build()?;
        Ok(Totp::new(secret, config)?)
    }

    fn hotp(&self, secret: &Secret, look_ahead: Option<u8>) -> Result<Hotp, Failure> {
        let config = HotpConfig::builder()
            .algorithm(self.algorithm)
            .digits(Digits::new(self.digits)?);
        let config = look_ahead
            .map_or(config, |n| config.look_ahead(n))
            .build()?;
        Ok(Hotp::new(secret, config)?)
    }
}

/// The Unix time of `--time`, or now.
fn time_or_now(time: Option<&str>) -> Result<u64, Failure> {
    match time {
        Some(t) => unsigned("--time", t, Some(TimeError::BeforeT0.into())),
        None => Ok(mfa::unix_now()?),
    }
}

/// Reads a whole number for `flag`; a negative one fails with `negative`
/// or else with "`flag` must not be negative".
fn unsigned(flag: &str, text: &str, negative: Option<Failure>) -> Result<u64, Failure> {
    let (sign, digits) = text.strip_prefix('-').map_or((false, text), |d| (true, d));
    match digits.parse::<u64>() {
        Ok(n) if !sign || n == 0 => Ok(n),
        Err(e) if *e.kind() != IntErrorKind::PosOverflow => {
            Err(format!("{flag} needs a whole number, not {text:?}").into())
        }
        _ if sign => Err(negative.unwrap_or_else(|| format!("{flag} must not be negative").into())),
        _ => Err(format!("{flag} {text} is too large; at most {}", u64::MAX).into()),
    }
}

/// The code of the key in an otpauth:// URI: at `time` (TOTP), or at
/// `counter` or else the URI's own counter (HOTP).
fn code_of_uri(
    key: &KeyUri,
    counter: Option<&str>,
    time: Option<&str>,
) -> Result<mfa::Code, Failure> {
    match key.otp_type() {
        OtpType::Totp { .. } => {
            if counter.is_some() {
                return Err("--counter is for HOTP keys, and this URI is a TOTP key".into());
            }
            Ok(key.to_totp()?.generate(time_or_now(time)?)?)
        }
        OtpType::Hotp { counter: own } => {
            if time.is_some() {
                return Err("--time is for TOTP keys, and this URI is an HOTP key".into());
            }
            let counter = counter
                .map(|c| unsigned("--counter", c, None))
                .transpose()?
                .unwrap_or(own);
            Ok(key.to_hotp()?.generate(counter))
        }
        _ => Err("this URI's OTP type is not supported".into()),
    }
}

/// The image formats `uri --qr` writes.
enum ImageFormat {
    Png,
    Svg,
}

/// The format the file name `path` asks for, by its extension.
fn image_format(path: &Path) -> Result<ImageFormat, Failure> {
    let extension = path.extension().and_then(|e| e.to_str());
    match extension.map(str::to_ascii_lowercase).as_deref() {
        Some("png") => Ok(ImageFormat::Png),
        Some("svg") => Ok(ImageFormat::Svg),
        _ => Err(format!("--qr {} must name a .png or .svg file", path.display()).into()),
    }
}

/// Writes the QR code of `key` to `path`, as a PNG or an SVG image.
fn write_qr(key: &KeyUri, path: &Path) -> Result<(), Failure> {
    let format = image_format(path)?;
    let qr = key.to_qr()?;
    match format {
        ImageFormat::Png => write_file(path, &qr.to_png(PNG_MODULE_PX)?),
        ImageFormat::Svg => write_file(path, qr.to_svg().as_bytes()),
    }
}

/// Creates (or truncates) `path`; a new file is readable by its owner only
/// where the system allows, as the QR code holds the secret.
fn create_private(path: &Path) -> io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)
}

fn write_file(path: &Path, bytes: &[u8]) -> Result<(), Failure> {
    create_private(path)
        .and_then(|mut file| file.write_all(bytes))
        .map_err(|e| format!("cannot write {}: {e}", path.display()).into())
}

fn warn_short(secret: &Secret) {
    if secret.is_short() {
        eprintln!(
            "otp: warning: the secret has only {} bits; RFC 4226 requires at least 128",
            secret.bits()
        );
    }
}

fn warn_not_universal(key: &KeyUri) {
    if !key.is_universal() {
        eprintln!(
            "otp: warning: only TOTP with SHA1, 6 digits and 30 seconds works in every app; \
             some ignore other parameters and show codes the server never accepts"
        );
    }
}

/// Prints an otpauth:// URI and, when asked, writes its QR code first, so
/// that nothing is printed if that fails.
fn uri(
    secret: &str,
    names: &Names,
    params: &Params,
    qr: Option<&Path>,
) -> Result<ExitCode, Failure> {
    let secret = Secret::from_base32_legacy(secret)?;
    let key = match params.counter()? {
        None => KeyUri::totp(&params.totp(&secret, None)?, &names.issuer, &names.account)?,
        Some(counter) => KeyUri::hotp(
            &params.hotp(&secret, None)?,
            counter,
            &names.issuer,
            &names.account,
        )?,
    };
    if let Some(path) = qr {
        write_qr(&key, path)?;
    }
    warn_short(&secret);
    warn_not_universal(&key);
    writeln!(io::stdout().lock(), "{}", key.to_uri().as_str())?;
    Ok(ExitCode::SUCCESS)
}

/// Whether colours are off: `NO_COLOR` set to anything but the empty
/// string (no-color.org).
fn no_color() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// The quiet zone around a QR code, in modules, as `QrCode` renders it.
const QUIET_ZONE: usize = 4;

/// The QR code in half blocks without escape sequences: two modules per
/// character, dark modules drawn in the terminal's text colour, with the
/// quiet zone. It holds the secret, so it is zeroized on drop.
fn plain_terminal(qr: &QrCode) -> Zeroizing<String> {
    let side = qr.size().saturating_add(QUIET_ZONE.saturating_mul(2));
    let dark = |x: usize, y: usize| match (x.checked_sub(QUIET_ZONE), y.checked_sub(QUIET_ZONE)) {
        (Some(x), Some(y)) => qr.is_dark(x, y),
        _ => false,
    };
    let rows = side.div_ceil(2);
    // Each character is at most 3 bytes of UTF-8, and each row ends in '\n'.
    let mut out = Zeroizing::new(String::with_capacity(
        rows.saturating_mul(side.saturating_mul(3).saturating_add(1)),
    ));
    for top in (0..side).step_by(2) {
        let bottom = top.saturating_add(1);
        for x in 0..side {
            out.push(match (dark(x, top), bottom < side && dark(x, bottom)) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
    }
    out
}

/// Prints a fresh secret; with names, also its URI and QR code, painted
/// black on white unless `plain`.
fn new(
    algorithm: Algorithm,
    names: Option<(&str, &str)>,
    plain: bool,
) -> Result<ExitCode, Failure> {
    let secret = Secret::generate_for(algorithm)?;
    let Some((issuer, account)) = names else {
        writeln!(io::stdout().lock(), "{}", secret.expose_base32().as_str())?;
        return Ok(ExitCode::SUCCESS);
    };
    let totp = Totp::new(&secret, TotpConfig::builder().algorithm(algorithm).build()?)?;
    let key = KeyUri::totp(&totp, issuer, account)?;
    let code = key.to_qr()?;
    let qr = if plain {
        plain_terminal(&code)
    } else {
        code.to_terminal()
    };
    warn_not_universal(&key);
    if plain {
        eprintln!(
            "otp: note: the QR code is drawn in the text colour, without a background; \
             scan it from a light background with dark text"
        );
    }
    let mut stdout = io::stdout().lock();
    writeln!(stdout, "{}", secret.expose_base32().as_str())?;
    writeln!(stdout, "{}", key.to_uri().as_str())?;
    stdout.write_all(qr.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// Prints the keys of a Google Authenticator export as otpauth:// URIs,
/// then one stderr line for each key that could not be imported: exit 0
/// if any key was imported, 2 if none was.
fn import(uri: &str) -> Result<ExitCode, Failure> {
    let batch = MigrationBatch::parse(uri)?;
    let (index, size) = (batch.batch_index(), batch.batch_size());
    if size > 1 {
        eprintln!(
            "otp: warning: this is QR code {} of {size} of the export; import the others too",
            index.saturating_add(1)
        );
    }
    let mut stdout = io::stdout().lock();
    for key in batch.keys() {
        writeln!(stdout, "{}", key.to_uri().as_str())?;
    }
    stdout.flush()?;
    for refused in batch.refused() {
        // Names are quoted and escaped: an export may hold any text.
        eprintln!("otp: error: {refused}");
    }
    Ok(if batch.keys().is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}

fn run(command: Command) -> Result<ExitCode, Failure> {
    let (secret, outcome) = match command {
        Command::New {
            algorithm,
            issuer,
            account,
            plain,
        } => {
            let plain = plain || no_color();
            return match (issuer.as_deref(), account.as_deref()) {
                (Some(issuer), Some(account)) => new(algorithm, Some((issuer, account)), plain),
                (None, None) => new(algorithm, None, plain),
                _ => Err("--issuer and --account go together".into()),
            };
        }
        Command::Uri {
            secret,
            names,
            params,
            qr,
        } => return uri(&secret, &names, &params, qr.as_deref()),
        Command::Import { uri } => return import(&uri),
        Command::Code {
            uri: Some(uri),
            params,
            time,
            ..
        } => {
            let key = KeyUri::parse(&uri)?;
            let code = code_of_uri(&key, params.counter.as_deref(), time.as_deref())?;
            (key.secret().clone(), Ok(code.to_string()))
        }
        Command::Code {
            secret,
            uri: None,
            params,
            time,
        } => {
            let secret = secret.ok_or("code needs --secret or --uri")?;
            let secret = Secret::from_base32_legacy(&secret)?;
            let code = match params.mode(time.as_deref())? {
                Mode::Totp(time) => params.totp(&secret, None)?.generate(time)?,
                Mode::Hotp(counter) => params.hotp(&secret, None)?.generate(counter),
            };
            (secret, Ok(code.to_string()))
        }
        Command::Verify {
            secret,
            params,
            time,
            code,
            window,
            last_step,
        } => {
            let secret = Secret::from_base32_legacy(&secret)?;
            let outcome = match params.mode(time.as_deref())? {
                Mode::Totp(time) => {
                    let totp = params.totp(&secret, window)?;
                    let last = last_step.map(|s| unsigned("--last-step", &s, None));
                    totp.verify(&code, time, last.transpose()?)
                        .map(|m| format!("step {} offset {}", m.step, m.offset))
                }
                Mode::Hotp(counter) => params
                    .hotp(&secret, window)?
                    // --counter is the first acceptable counter, as oathtool's.
                    .verify(&code, counter.checked_sub(1))
                    .map(|m| format!("counter {} offset {}", m.counter, m.offset)),
            };
            (secret, outcome)
        }
    };
    let (line, status) = match outcome {
        Ok(line) => (line, ExitCode::SUCCESS),
        Err(VerifyError::Rejected) => ("rejected".to_owned(), ExitCode::from(1)),
        Err(e) => return Err(e.into()),
    };
    // Only now that all input is known to be good, so that an error stays
    // the only line on stderr.
    warn_short(&secret);
    writeln!(io::stdout().lock(), "{line}")?;
    Ok(status)
}

/// A usage error from clap as one line: its message, then where to find
/// help instead of the usage and hints that clap prints after it.
fn usage_error(error: &clap::Error) -> String {
    let text = error.to_string();
    let mut lines = text.lines().map(str::trim);
    let message: Vec<&str> = lines.by_ref().take_while(|line| !line.is_empty()).collect();
    let message = message.join(" ");
    let message = message.strip_prefix("error: ").unwrap_or(&message);
    // `Usage: otp code [OPTIONS]` -> `otp code`.
    let command = lines
        .find_map(|line| line.strip_prefix("Usage: "))
        .map(|usage| {
            let words: Vec<&str> = usage
                .split_whitespace()
                .take_while(|w| !w.starts_with(['-', '<', '[']))
                .collect();
            words.join(" ")
        })
        .filter(|command| !command.is_empty())
        .unwrap_or_else(|| "otp".to_owned());
    format!("{message}; see {command} --help")
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // --help and --version.
        Err(e) if !e.use_stderr() => {
            return match e.print() {
                Ok(()) => ExitCode::SUCCESS,
                Err(_) => ExitCode::FAILURE,
            };
        }
        // `otp` alone: the help, on stderr.
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let _ = e.print();
            return ExitCode::from(2);
        }
        Err(e) => {
            eprintln!("otp: error: {}", usage_error(&e));
            return ExitCode::from(2);
        }
    };
    match run(cli.command) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("otp: error: {e}");
            ExitCode::from(2)
        }
    }
}
