//! `otp`: a small oathtool-like command line built on `mfa`.
//!
//! ```text
//! # TOTP (RFC 6238), now or at a given Unix time:
//! cargo run --example otp -- code --secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP
//! cargo run --example otp -- code --secret JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP --time 59
//! # HOTP (RFC 4226):
//! cargo run --example otp -- code --secret GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ --hotp --counter 7
//! # Check a code: prints `step S offset O` (HOTP: `counter C offset O`) and
//! # exits 0, or prints `rejected` and exits 1; `--last-step` refuses replays.
//! cargo run --example otp -- verify --secret ... --code 123456 --window 2 --last-step 56666665
//! cargo run --example otp -- verify --secret ... --hotp --counter 5 --code 162583
//! # A fresh random secret, as long as the hash output:
//! cargo run --example otp -- new --algorithm sha256
//! ```
//!
//! Also `--algorithm SHA1|SHA256|SHA512` (any case), `--digits 6|7|8` and
//! `--period S`. `--window N` is N steps each way for TOTP and the look-ahead
//! for HOTP. Bad input exits 2 with one line on stderr. Secrets down to 80
//! bits are accepted with a warning. A secret on the command line is visible
//! to other local users: this is a demonstration.

use std::error::Error;
use std::io::{self, Write};
use std::num::IntErrorKind;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mfa::{
    Algorithm, Digits, Hotp, HotpConfig, Secret, TimeError, Totp, TotpConfig, VerifyError, Window,
};

type Failure = Box<dyn Error>;

/// Makes and checks HOTP/TOTP one-time codes (RFC 4226/6238).
#[derive(Debug, Parser)]
#[command(name = "otp", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Print the code of a secret.
    Code(Key),
    /// Check a code; exit 0 if accepted, 1 if rejected.
    Verify {
        #[command(flatten)]
        key: Key,
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
    /// Print a fresh random secret in Base32.
    New {
        /// Hash function the secret is sized for.
        #[arg(long, value_name = "NAME", default_value = "SHA1")]
        algorithm: Algorithm,
    },
}

#[derive(Debug, Args)]
struct Key {
    /// The shared secret in Base32.
    #[arg(long, value_name = "B32")]
    secret: String,
    /// Hash function: SHA1, SHA256 or SHA512.
    #[arg(long, value_name = "NAME", default_value = "SHA1")]
    algorithm: Algorithm,
    /// Number of digits: 6, 7 or 8.
    #[arg(long, value_name = "N", default_value_t = 6)]
    digits: u8,
    /// TOTP step length in seconds.
    #[arg(long, value_name = "S", default_value_t = 30)]
    period: u64,
    /// TOTP Unix time [default: now].
    #[arg(long, value_name = "UNIX", allow_hyphen_values = true)]
    time: Option<String>,
    /// Use HOTP (counter-based) instead of TOTP; needs --counter.
    #[arg(long, conflicts_with_all = ["period", "time"])]
    hotp: bool,
    /// HOTP counter (for verify: the next expected one).
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    counter: Option<String>,
}

/// What the code depends on: a Unix time or a counter.
enum Mode {
    Totp(u64),
    Hotp(u64),
}

impl Key {
    fn mode(&self) -> Result<Mode, Failure> {
        match (self.hotp, &self.counter, &self.time) {
            (true, Some(c), _) => Ok(Mode::Hotp(unsigned("--counter", c, None)?)),
            (true, None, _) => Err("--hotp needs --counter N".into()),
            (false, Some(_), _) => Err("--counter needs --hotp".into()),
            (false, None, Some(t)) => Ok(Mode::Totp(unsigned(
                "--time",
                t,
                Some(TimeError::BeforeT0.into()),
            )?)),
            (false, None, None) => Ok(Mode::Totp(mfa::unix_now()?)),
        }
    }

    fn totp(&self, secret: &Secret, window: Option<u8>) -> Result<Totp, Failure> {
        let window = window.map(Window::symmetric).transpose()?;
        let config = TotpConfig::default()
            .algorithm(self.algorithm)
            .digits(Digits::new(self.digits)?)
            .period(self.period)
            .window(window.unwrap_or_default());
        Ok(Totp::new(secret, config)?)
    }

    fn hotp(&self, secret: &Secret, look_ahead: Option<u8>) -> Result<Hotp, Failure> {
        let config = HotpConfig::default()
            .algorithm(self.algorithm)
            .digits(Digits::new(self.digits)?);
        let config = look_ahead.map_or(config, |n| config.look_ahead(n));
        Ok(Hotp::new(secret, config)?)
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

fn run(command: Command) -> Result<ExitCode, Failure> {
    let mut stdout = io::stdout().lock();
    let (secret, outcome) = match command {
        Command::New { algorithm } => {
            let secret = Secret::generate_for(algorithm)?;
            writeln!(stdout, "{}", secret.expose_base32().as_str())?;
            return Ok(ExitCode::SUCCESS);
        }
        Command::Code(key) => {
            let secret = Secret::from_base32_legacy(&key.secret)?;
            let code = match key.mode()? {
                Mode::Totp(time) => key.totp(&secret, None)?.generate(time)?,
                Mode::Hotp(counter) => key.hotp(&secret, None)?.generate(counter),
            };
            (secret, Ok(code.to_string()))
        }
        Command::Verify {
            key,
            code,
            window,
            last_step,
        } => {
            let secret = Secret::from_base32_legacy(&key.secret)?;
            let outcome = match key.mode()? {
                Mode::Totp(time) => {
                    let totp = key.totp(&secret, window)?;
                    let last = last_step.map(|s| unsigned("--last-step", &s, None));
                    totp.verify(&code, time, last.transpose()?)
                        .map(|m| format!("step {} offset {}", m.step, m.offset))
                }
                Mode::Hotp(counter) => key
                    .hotp(&secret, window)?
                    .verify(&code, counter)
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
    if secret.is_short() {
        eprintln!(
            "otp: warning: the secret has only {} bits; RFC 4226 requires at least 128",
            secret.bits()
        );
    }
    writeln!(stdout, "{line}")?;
    Ok(status)
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(status) => status,
        Err(e) => {
            eprintln!("otp: error: {e}");
            ExitCode::from(2)
        }
    }
}
