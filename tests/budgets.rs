//! The guess budgets of the README's table, computed: for each kind of
//! code, an attacker who knows only the password (or, for binding codes,
//! the account's owner binding someone else's phone) guesses as fast as
//! the flows allow for a simulated year, waiting out every backoff and
//! lockout, through the public API, while the owner logs on once a day
//! with the factor (each success resets the failures, not the strikes).
//! The README's rows must match.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects,
    clippy::cast_precision_loss
)]

mod flows_common;

use flows_common::{
    ALL, Host, T0, email, enroll_sms, enroll_totp, other_than, policy, sms_flows, totp_flows,
    wait_until, wrong_totp,
};
use mfa::{
    Destination, Enrollment, FlowError, Flows, Hotp, HotpConfig, HotpRecord, OobError, PhoneNumber,
    Scenario, Secret, SmsRecord, TotpRecord, Verification, VerifyFailure,
};

const DAY: u64 = 86_400;
const YEAR: u64 = 365 * DAY;

/// What the attacker got.
#[derive(Debug, Default)]
struct Tally {
    start: u64,
    /// Wrong guesses evaluated in the first day, and in the year.
    first_day: u64,
    year: u64,
    /// The longest wait a refusal imposed, in seconds.
    longest: u64,
}

impl Tally {
    fn new(start: u64) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }

    fn over(&self, now: u64) -> bool {
        now >= self.start + YEAR
    }

    fn guessed(&mut self, now: u64) {
        self.year += 1;
        if now < self.start + DAY {
            self.first_day += 1;
        }
    }

    /// The time to go on from, after a refusal at `now`.
    fn wait(&mut self, now: u64, e: &FlowError) -> u64 {
        let until = wait_until(e).unwrap_or_else(|| panic!("not a wait: {e:?}"));
        self.longest = self.longest.max(until - now);
        until
    }

    /// The row, printed with `more`, which the README must hold.
    fn report(&self, name: &str, accepted: f64, space: f64, more: &str) {
        let row = self.row(name, accepted, space);
        println!("{row}{more}");
        readme_has(&row);
    }

    /// The row's figures, as the README writes them: `accepted` codes per
    /// guess out of `space`.
    fn row(&self, name: &str, accepted: f64, space: f64) -> String {
        let chance = self.year as f64 * accepted / space;
        let chance = if chance < 1e-12 {
            "< 10⁻¹²".to_owned()
        } else {
            format!("{:.3} %", chance * 100.0)
        };
        format!(
            "| {name} | {} | {} | {chance} | {} h |",
            self.first_day,
            self.year,
            self.longest.div_ceil(3_600)
        )
    }
}

fn readme_has(row: &str) {
    let readme = include_str!("../README.md");
    assert!(
        readme
            .lines()
            .any(|line| line.trim_start().starts_with(row)),
        "the README's budget table should have a row starting with\n{row}"
    );
}

#[test]
fn totp_challenge() {
    let flows = totp_flows(policy());
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let mut tally = Tally::new(T0 + 100);
    let mut now = tally.start;
    let mut owner_at = tally.start + DAY / 2;
    let mut v: Option<Verification> = None;
    let (mut by_app, mut by_recovery) = (0, 0);
    while !tally.over(now) {
        if now >= owner_at {
            // The owner logs on: the app's next code, or a recovery code
            // while the app is locked out.
            owner_at += DAY;
            let at = now + 30;
            let check = host.challenge(&flows, Scenario::LogOn, at);
            let code = totp.generate(at).unwrap().to_string();
            if host
                .run(check.respond(&flows, &host.account, &code, at))
                .is_ok()
            {
                by_app += 1;
            } else {
                owner_recovers(&mut host, &flows, &check, at);
                by_recovery += 1;
            }
            v = None;
            now = at + 1;
            continue;
        }
        let check = v.get_or_insert_with(|| host.challenge(&flows, Scenario::LogOn, now));
        let step = check.respond(&flows, &host.account, &wrong_totp(&totp, now), now);
        let (_, r) = host.step(check, step);
        match r {
            Err(FlowError::Rejected) => tally.guessed(now),
            Err(FlowError::Expired) => v = None,
            Err(e) => now = tally.wait(now, &e).min(owner_at),
            Ok(()) => panic!("a wrong code passed"),
        }
        now += 1;
    }
    assert_eq!(by_app + by_recovery, 365, "the owner logs on every day");
    // ±1 step: 3 codes are accepted at a time, 6 while a drift is recorded.
    tally.report(
        "TOTP (app, ±1 step)",
        6.0,
        1e6,
        &format!(" (owner in by the app {by_app} times, by a recovery code {by_recovery})"),
    );
}

/// The owner passes `check` with a recovery code, and makes a new set
/// when the last is used.
fn owner_recovers<F: mfa::Factor>(
    host: &mut Host<F::Record>,
    flows: &Flows<F>,
    check: &Verification,
    at: u64,
) where
    F::Record: std::fmt::Debug,
{
    let code = host.recovery_codes.remove(0);
    let (passed, r) = host.step(
        check,
        check.respond_recovery(flows, &host.account, &code, at),
    );
    r.unwrap();
    if host.recovery_codes.is_empty() {
        let proof = passed.verified().unwrap().clone();
        let t = host.account.regenerate_recovery_codes(flows, &proof, at);
        host.run(t).unwrap();
    }
}

#[test]
fn hotp_token() {
    let secret = Secret::generate().unwrap();
    let hotp = Hotp::new(&secret, HotpConfig::default()).unwrap();
    let mut record = HotpRecord::new(hotp.clone());
    let mut tally = Tally::new(T0);
    let mut now = tally.start;
    let mut owner_at = tally.start + DAY / 2;
    let mut next = 0u64;
    while !tally.over(now) {
        if now >= owner_at {
            // The owner presses the token daily; a recovery code (here its
            // stand-in, `unlock`) when it is locked out.
            owner_at += DAY;
            let (new, outcome) = record
                .verify(&hotp.generate(next).to_string(), now)
                .into_parts();
            match outcome {
                Ok(m) => next = m.counter + 1,
                Err(_) => {
                    let unlocked = record.unlock();
                    let (new, outcome) = unlocked
                        .verify(&hotp.generate(next).to_string(), now)
                        .into_parts();
                    next = outcome.unwrap().counter + 1;
                    record = new.unwrap();
                    now += 1;
                    continue;
                }
            }
            record = new.unwrap();
            now += 1;
            continue;
        }
        // Wrong for the next counter and its look-ahead of 5.
        let near: Vec<String> = (next..=next + 6)
            .map(|c| hotp.generate(c).to_string())
            .collect();
        let wrong = (0..1_000_000u32)
            .map(|n| format!("{n:06}"))
            .find(|c| !near.contains(c))
            .unwrap();
        let (new, outcome) = record.verify(&wrong, now).into_parts();
        match outcome {
            Err(VerifyFailure::Rejected) => tally.guessed(now),
            Err(VerifyFailure::Refused(r)) => {
                now = tally.wait(now, &FlowError::Refused(r)).min(owner_at);
            }
            other => panic!("{other:?}"),
        }
        if let Some(new) = new {
            record = new;
        }
        now += 1;
    }
    tally.report("HOTP (token, look-ahead 5)", 6.0, 1e6, "");
}

#[test]
fn sms_challenge() {
    let flows = sms_flows(policy());
    let mut host: Host<SmsRecord> = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let phone = Destination::sms("+1 415 555 2671").unwrap();
    let mut tally = Tally::new(T0 + 100);
    let mut now = tally.start;
    let mut owner_at = tally.start + DAY / 2;
    let mut v: Option<Verification> = None;
    let mut texts = 0u64;
    let mut owner_texts = 0u64;
    while !tally.over(now) {
        if now >= owner_at {
            // The owner logs on: a text, or a recovery code when none can
            // be sent or the phone's code is locked out.
            owner_at += DAY;
            let at = now;
            let check = host.challenge(&flows, Scenario::LogOn, at);
            let (check, sent) = host.step(&check, check.send_code(&flows, &host.account, at));
            let in_by_text = sent.is_ok() && {
                owner_texts += 1;
                let code = host.last_code(&phone);
                host.run(check.respond(&flows, &host.account, &code, at))
                    .is_ok()
            };
            if !in_by_text {
                owner_recovers(&mut host, &flows, &check, at);
            }
            v = None;
            now = at + 1;
            continue;
        }
        let check = v.get_or_insert_with(|| host.challenge(&flows, Scenario::LogOn, now));
        let wrong = match host.inbox.last() {
            Some((_, code)) => other_than(code),
            None => "000000".into(),
        };
        let step = check.respond(&flows, &host.account, &wrong, now);
        let (_, r) = host.step(check, step);
        match r {
            Err(FlowError::Rejected) => tally.guessed(now),
            Err(FlowError::Expired) => v = None,
            // No code in flight, or this one is spent: text a new one.
            Err(FlowError::Code(_)) => {
                let step = check.send_code(&flows, &host.account, now);
                let (next, r) = host.step(check, step);
                *check = next;
                match r {
                    Ok(()) => texts += 1,
                    Err(e) => now = tally.wait(now, &e).min(owner_at),
                }
            }
            Err(e) => now = tally.wait(now, &e).min(owner_at),
            Ok(()) => panic!("a wrong code passed"),
        }
        now += 1;
    }
    // Every text went to the owner's own phone, at most 10 a day.
    let all = host.inbox.iter().filter(|(to, _)| *to == phone).count() as u64;
    assert_eq!(all, texts + owner_texts + 1);
    assert!(all <= 10 * 366, "{all} texts");
    tally.report(
        "SMS challenge",
        1.0,
        1e6,
        &format!(" ({texts} texts by the attacker, {owner_texts} by the owner)"),
    );
    readme_has(&format!(
        "- An attacker who waits out every lockout makes the SMS challenge text the owner's phone {texts} times in a year"
    ));
}

#[test]
fn identity_code() {
    let flows = totp_flows(policy());
    let mut host: Host<TotpRecord> = Host::new();
    let mut tally = Tally::new(T0);
    let mut now = tally.start;
    let mut e: Option<Enrollment> = None;
    while !tally.over(now) {
        let Some(enrollment) = &e else {
            let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), now);
            match step.result() {
                Ok(()) => e = Some(host.begin(step)),
                Err(err) => now = tally.wait(now, &err),
            }
            now += 1;
            continue;
        };
        let wrong = other_than(&host.last_code(&email()));
        let step = enrollment.verify_identity(&flows, &host.account, &wrong, now);
        let (_, r) = host.step(enrollment, step);
        match r {
            Err(FlowError::Rejected) => tally.guessed(now),
            // Spent or expired: start again for a new code.
            Err(FlowError::Code(OobError::AttemptsExhausted | OobError::Expired)) => e = None,
            Err(err) => now = tally.wait(now, &err),
            Ok(()) => panic!("a wrong code passed"),
        }
        now += 1;
    }
    tally.report("identity code (e-mail)", 1.0, 1e6, "");
}

#[test]
fn binding_code() {
    // The account's owner binds a number they do not own, proving their
    // own identity again whenever that helps.
    let flows = sms_flows(policy());
    let mut host: Host<SmsRecord> = Host::new();
    let victim = PhoneNumber::parse("+1 415 555 0100").unwrap();
    let to = Destination::Sms(victim.clone());
    let mut tally = Tally::new(T0);
    let mut now = tally.start;
    let mut e: Option<Enrollment> = None;
    while !tally.over(now) {
        let Some(enrollment) = &e else {
            let step = Enrollment::start(&flows, &host.account, ALL, &[email()], &email(), now);
            if let Err(err) = step.result() {
                now = tally.wait(now, &err);
                continue;
            }
            let started = host.begin(step);
            let code = host.last_code(&email());
            let (proved, r) = host.step(
                &started,
                started.verify_identity(&flows, &host.account, &code, now),
            );
            r.unwrap();
            let (at_confirm, r) =
                host.step(&proved, proved.setup(&flows, &host.account, &victim, now));
            match r {
                Ok(()) => e = Some(at_confirm),
                Err(err) => now = tally.wait(now, &err),
            }
            now += 1;
            continue;
        };
        let wrong = other_than(&host.last_code(&to));
        let step = enrollment.confirm(&flows, &host.account, &[&wrong], now);
        let (_, r) = host.step(enrollment, step);
        match r {
            Err(FlowError::Rejected) => tally.guessed(now),
            Err(FlowError::Code(_) | FlowError::Expired) => {
                let step = enrollment.resend(&flows, &host.account, now);
                let (next, r) = host.step(enrollment, step);
                match r {
                    Ok(()) => e = Some(next),
                    Err(FlowError::Expired) => e = None,
                    Err(err) => now = tally.wait(now, &err),
                }
            }
            Err(err) => now = tally.wait(now, &err),
            Ok(()) => panic!("a wrong code bound the phone"),
        }
        now += 1;
    }
    tally.report("binding code (SMS to a new phone)", 1.0, 1e6, "");
}

#[test]
fn recovery_code() {
    // Never locked: 80-bit codes need no rate limit (NIST SP 800-63B
    // §5.1.2.2), and a lockout would let a password holder keep the owner's
    // last way in locked. 1,000 wrong codes in a row, then a right one.
    let flows = totp_flows(policy());
    let mut host = Host::new();
    enroll_totp(&mut host, &flows, T0);
    let now = T0 + 100;
    let v = host.challenge(&flows, Scenario::LogOn, now);
    for _ in 0..1_000 {
        let step = v.respond_recovery(&flows, &host.account, "AAAA-AAAA-AAAA-AAAA", now);
        assert_eq!(host.run(step), Err(FlowError::Rejected));
    }
    let code = host.recovery_codes[0].clone();
    assert_eq!(
        host.run(v.respond_recovery(&flows, &host.account, &code, now)),
        Ok(())
    );
    // Bounded by the host's rate limit: at one guess a second for a year,
    // against 10 codes of 80 bits.
    let guesses = YEAR as f64;
    let chance = guesses * 10.0 / 2f64.powi(80);
    assert!(chance < 1e-12);
    readme_has(
        "| recovery code | your rate limit (86,400 at 1/s) | your rate limit (31,536,000 at 1/s) | < 10⁻¹² | none |",
    );
}
