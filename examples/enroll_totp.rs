//! Turning on TOTP protection in a terminal, as a web service would run
//! it, with the in-memory store: an identity code "e-mailed" (printed),
//! the QR code of the new key, then the code from the app.
//!
//! ```sh
//! cargo run --example enroll_totp --features qr          # type the codes
//! cargo run --example enroll_totp --features qr -- --auto # computes them (CI)
//! ```

use std::error::Error;
use std::io::{BufRead, Write};

use mfa::{
    Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection,
    Scenario, Store, TotpFactor, TotpRecord, Transition, Verification, unix_now,
};

type Account = Protection<TotpRecord>;

/// The state to keep (if it changed) and the result of a step.
type Ran<S> = (Option<S>, Result<(), FlowError>);

/// The account id in the store.
const ID: u32 = 1;

/// What the web service would do with each output.
struct Host {
    store: MemoryStore<u32, Account>,
    auto: bool,
    /// The last code "e-mailed", for `--auto`.
    mailed: Option<String>,
    /// The key shown, for `--auto` (a stand-in for the user's app).
    key: Option<mfa::Totp>,
}

impl Host {
    fn account(&self) -> Result<Account, Box<dyn Error>> {
        Ok(self.store.load(&ID)?.ok_or("no account")?)
    }

    /// Runs a flow operation against the store (load, call, compare-and-set,
    /// retry on a lost race), then carries out its effects; returns the
    /// state to keep (if it changed) and the result.
    fn run<S>(
        &mut self,
        op: impl FnMut(&Account) -> Transition<S, TotpRecord>,
    ) -> Result<Ran<S>, Box<dyn Error>> {
        let ran = mfa::run_blocking(&self.store, &ID, op);
        for effect in ran.effects {
            match effect {
                Effect::Deliver(delivery) => {
                    println!(
                        "[e-mail to {}] Your verification code is {} (valid until {}).",
                        delivery.destination(),
                        delivery.code().expose(),
                        delivery.expires_at()
                    );
                    self.mailed = Some(delivery.code().expose().to_owned());
                }
                Effect::ShowKey(key) => {
                    println!("Scan this QR code with your authenticator app:");
                    print!("{}", key.to_qr()?.to_terminal().as_str());
                    println!(
                        "or enter the key by hand: {}",
                        key.secret().expose_base32().as_str()
                    );
                    self.key = Some(key.to_totp()?);
                }
                Effect::ShowRecoveryCodes(codes) => {
                    println!("Recovery codes (each works once; keep them safe):");
                    for code in &codes {
                        println!("  {}", code.expose());
                    }
                }
                Effect::Notify { event, at } => {
                    println!("[notice to ada@example.com at {at}] {event}");
                }
                Effect::Audit { account, event, at } => {
                    println!("[audit log: account {account} at {at}] {event}");
                }
                Effect::EndOtherSessions => println!("[sessions: the other sessions end]"),
            }
        }
        Ok((ran.state, ran.result))
    }

    /// As [`run`](Self::run), for an operation that must go through.
    fn must<S>(
        &mut self,
        op: impl FnMut(&Account) -> Transition<S, TotpRecord>,
    ) -> Result<S, Box<dyn Error>> {
        let (state, result) = self.run(op)?;
        result?;
        Ok(state.ok_or("no state")?)
    }

    /// A line from the user, or `auto` with `--auto`.
    fn ask(
        &self,
        prompt: &str,
        auto: impl FnOnce() -> Option<String>,
    ) -> Result<String, Box<dyn Error>> {
        print!("{prompt}: ");
        std::io::stdout().flush()?;
        if self.auto {
            let answer = auto().ok_or("nothing to answer with")?;
            println!("{answer}");
            return Ok(answer);
        }
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim().to_owned())
    }

    /// The app's current code (for `--auto`).
    fn app_code(&self, now: u64) -> Option<String> {
        Some(self.key.as_ref()?.generate(now).ok()?.to_string())
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let auto = std::env::args().any(|arg| arg == "--auto");
    let flows = Flows::new(
        TotpFactor::new("Example Co")?,
        OobKey::generate()?,
        FlowPolicy::default(),
    )?;
    let mut host = Host {
        store: MemoryStore::new(),
        auto,
        mailed: None,
        key: None,
    };
    let email = Destination::email("ada@example.com")?;
    let scenarios = [Scenario::LogOn, Scenario::CriticalOperation];

    // 1. Choose scenarios and method; the identity code goes to the e-mail.
    let mut now = unix_now()?;
    let mut enrollment = host.must(|account| {
        Enrollment::start(
            &flows,
            account,
            &scenarios,
            std::slice::from_ref(&email),
            &email,
            now,
        )
    })?;

    // 2. The identity code (asked again after a typo, until throttled).
    loop {
        let code = host.ask("Code from the e-mail", || host.mailed.clone())?;
        now = unix_now()?;
        let (state, result) =
            host.run(|account| enrollment.verify_identity(&flows, account, &code, now))?;
        enrollment = state.unwrap_or(enrollment);
        match result {
            Ok(()) => break,
            Err(e) if !auto => println!("{e}"),
            Err(e) => return Err(e.into()),
        }
    }

    // 3. The pending key and its QR code.
    let name = String::from("ada@example.com"); // the account name the app shows
    enrollment = host.must(|account| enrollment.setup(&flows, account, &name, now))?;

    // 4. The code from the app confirms it.
    while !enrollment.is_done() {
        now = unix_now()?;
        let code = host.ask("Code from the app", || host.app_code(now))?;
        let (state, result) =
            host.run(|account| enrollment.confirm(&flows, account, &[&code], now))?;
        enrollment = state.unwrap_or(enrollment);
        match result {
            Ok(()) => {}
            Err(e) if !auto => println!("{e}"),
            Err(e) => return Err(e.into()),
        }
    }
    println!("Account protection is on.");

    // 5. The next log-on is challenged; the confirming code does not work twice.
    let mut check =
        host.must(|account| Verification::start(&flows, account, Scenario::LogOn, None, now))?;
    while !check.is_done() {
        // With --auto, wait for the app's next code: the confirming step is used up.
        now = if auto {
            now.saturating_add(30)
        } else {
            unix_now()?
        };
        let code = host.ask("Log on: code from the app", || host.app_code(now))?;
        let (state, result) = host.run(|account| check.respond(&flows, account, &code, now))?;
        check = state.unwrap_or(check);
        match result {
            Ok(()) => {}
            Err(e) if !auto => println!("{e}"),
            Err(e) => return Err(e.into()),
        }
    }
    // Let the user in only if the check passes for this account, now.
    check.authorize(&flows, &host.account()?, &Scenario::LogOn, now)?;
    println!("Logged on with the second factor.");
    Ok(())
}
