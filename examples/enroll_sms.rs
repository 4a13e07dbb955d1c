//! Turning on SMS protection for an account without a phone, in a
//! terminal, with the in-memory store and a console "SMS gateway": the
//! identity check by e-mail, the phone binding, then a critical operation
//! challenged by SMS.
//!
//! ```sh
//! cargo run --example enroll_sms          # type the codes and the number
//! cargo run --example enroll_sms -- --auto # answers itself (CI)
//! ```

use std::error::Error;
use std::io::{BufRead, Write};

use mfa::{
    Channel, Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey,
    OobPolicy, PhoneNumber, Protection, Scenario, SmsFactor, SmsRecord, Store, Transition,
    Verification, unix_now,
};

type Account = Protection<SmsRecord>;

/// The state to keep (if it changed) and the result of a step.
type Ran<S> = (Option<S>, Result<(), FlowError>);

/// The account id in the store.
const ID: u32 = 1;

/// What the web service would do with each output.
struct Host {
    store: MemoryStore<u32, Account>,
    auto: bool,
    /// The last code sent, for `--auto` (a stand-in for the user's inbox and phone).
    sent: Option<String>,
    /// Seconds added to the clock, to play "a few minutes later".
    later: u64,
}

impl Host {
    /// The time: every input of the flows carries it.
    fn now(&self) -> Result<u64, Box<dyn Error>> {
        Ok(unix_now()?.saturating_add(self.later))
    }

    fn account(&self) -> Result<Account, Box<dyn Error>> {
        Ok(self.store.load(&ID)?.ok_or("no account")?)
    }

    /// Runs a flow operation against the store (load, call, compare-and-set,
    /// retry on a lost race), then carries out its effects; returns the
    /// state to keep (if it changed) and the result.
    fn run<S>(
        &mut self,
        op: impl FnMut(&Account) -> Transition<S, SmsRecord>,
    ) -> Result<Ran<S>, Box<dyn Error>> {
        let ran = mfa::run_blocking(&self.store, &ID, op);
        for effect in ran.effects {
            match effect {
                Effect::Deliver(delivery) => {
                    let gateway = match delivery.channel() {
                        Channel::Sms => "SMS gateway",
                        _ => "e-mail",
                    };
                    println!(
                        "[{gateway} → {}] Your Example Co code is {}",
                        delivery.destination(),
                        delivery.code().expose()
                    );
                    self.sent = Some(delivery.code().expose().to_owned());
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
                Effect::ShowKey(_) => return Err("an SMS factor shows no key".into()),
            }
        }
        Ok((ran.state, ran.result))
    }

    /// As [`run`](Self::run), for an operation that must go through.
    fn must<S>(
        &mut self,
        op: impl FnMut(&Account) -> Transition<S, SmsRecord>,
    ) -> Result<S, Box<dyn Error>> {
        let (state, result) = self.run(op)?;
        result?;
        Ok(state.ok_or("no state")?)
    }

    /// A line from the user, or `auto` with `--auto`.
    fn ask(&self, prompt: &str, auto: Option<String>) -> Result<String, Box<dyn Error>> {
        print!("{prompt}: ");
        std::io::stdout().flush()?;
        if self.auto {
            let answer = auto.ok_or("nothing to answer with")?;
            println!("{answer}");
            return Ok(answer);
        }
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        Ok(line.trim().to_owned())
    }

    /// Asks for a code until a step goes through (or fails for good).
    fn code_loop<S: Clone>(
        &mut self,
        prompt: &str,
        mut state: S,
        is_done: impl Fn(&S) -> bool,
        mut call: impl FnMut(&S, &Account, &str, u64) -> Transition<S, SmsRecord>,
    ) -> Result<S, Box<dyn Error>> {
        while !is_done(&state) {
            let code = self.ask(prompt, self.sent.clone())?;
            let now = self.now()?;
            let (next, result) = self.run(|account| call(&state, account, &code, now))?;
            state = next.unwrap_or(state);
            match result {
                Ok(()) => {}
                Err(e) if !self.auto => println!("{e}"),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(state)
    }
}

fn main() -> Result<(), Box<dyn Error>> {
    let auto = std::env::args().any(|arg| arg == "--auto");
    let key = OobKey::generate()?;
    let flows = Flows::new(
        SmsFactor::new(key.clone(), OobPolicy::default())?,
        key,
        FlowPolicy::default(),
    )?;
    let mut host = Host {
        store: MemoryStore::new(),
        auto,
        sent: None,
        later: 0,
    };
    // The account has no phone: its only verified contact is the e-mail.
    let email = Destination::email("ada@example.com")?;
    let scenarios = [Scenario::LogOn, Scenario::CriticalOperation];

    // 1. Identity by e-mail.
    let now = host.now()?;
    let enrollment = host.must(|account| {
        Enrollment::start(
            &flows,
            account,
            &scenarios,
            std::slice::from_ref(&email),
            &email,
            now,
        )
    })?;
    let enrollment = host.code_loop(
        "Code from the e-mail",
        enrollment,
        |e| !matches!(e.awaiting(), mfa::Awaiting::IdentityCode { .. }),
        |e, account, code, now| e.verify_identity(&flows, account, code, now),
    )?;

    // 2. The phone number, and the code sent to it.
    let mut enrollment = enrollment;
    loop {
        let typed = host.ask(
            "Your mobile number (with +country code)",
            Some("+1 415 555 2671".into()),
        )?;
        let number = match PhoneNumber::parse(&typed) {
            Ok(number) => number,
            Err(e) if !auto => {
                println!("{e}");
                continue;
            }
            Err(e) => return Err(e.into()),
        };
        let now = host.now()?;
        enrollment = host.must(|account| enrollment.setup(&flows, account, &number, now))?;
        break;
    }
    let enrollment = host.code_loop(
        "Code from the SMS",
        enrollment,
        Enrollment::is_done,
        |e, account, code, now| e.confirm(&flows, account, &[code], now),
    )?;
    drop(enrollment);
    println!(
        "Account protection is on: codes go to {}.",
        host.account()?.factor().ok_or("no factor")?.phone()
    );

    // 3. A critical operation (deleting a resource) is challenged by SMS.
    // It happens a few minutes later.
    host.later = 180;
    println!("(three minutes later) Deleting the resource \"prod-db\" needs a second factor.");
    let now = host.now()?;
    let check = host.must(|account| {
        Verification::start(&flows, account, Scenario::CriticalOperation, None, now)
    })?;
    // Nothing is texted until the user asks ("send code"): a user who
    // types a recovery code instead spends none of the hourly texts.
    println!("[the user presses \"send code\"]");
    let now = host.now()?;
    let check = host.must(|account| check.send_code(&flows, account, now))?;
    let check = host.code_loop(
        "Code from the SMS",
        check,
        Verification::is_done,
        |v, account, code, now| v.respond(&flows, account, code, now),
    )?;
    // Gate the operation on `authorize`, with the signed-in user's record,
    // the operation's scenario and the time now (`is_done` only says which
    // page to show).
    let account = host.account()?;
    if check
        .authorize(&flows, &account, &Scenario::CriticalOperation, host.now()?)
        .is_ok()
    {
        println!("Verified: the resource \"prod-db\" is deleted.");
    }
    Ok(())
}
