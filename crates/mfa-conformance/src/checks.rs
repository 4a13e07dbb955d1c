//! The checks, written once against [`Subject`].

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use mfa::{CodecError, Effect, Enrollment, Event, FlowError, Protection, Ran, Refused, TotpRecord};

use crate::fixture::{
    self, ALL, T0, account, challenge, codec, email, enroll, flows, no_delays, wrong_code,
};
use crate::subject::{Account, Subject};

/// What one check found.
///
/// ```
/// let report = mfa_conformance::Report { check: "no_secret_at_rest", detail: "skipped".into(), ran: false, row_bytes: None };
/// assert_eq!(report.to_string(), "-- no_secret_at_rest: skipped");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// The check's name (its function's).
    pub check: &'static str,
    /// What it counted, or why it was skipped.
    pub detail: String,
    /// Whether it ran (checks that read raw rows skip without them).
    pub ran: bool,
    /// The size in bytes of the stored row of an enrolled TOTP account,
    /// from the check that measured it.
    pub row_bytes: Option<usize>,
}

impl Report {
    fn passed(check: &'static str, detail: String) -> Self {
        Self {
            check,
            detail,
            ran: true,
            row_bytes: None,
        }
    }

    fn skipped(check: &'static str) -> Self {
        Self {
            check,
            detail: "skipped: no raw access to the rows".to_owned(),
            ran: false,
            row_bytes: None,
        }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mark = if self.ran { "ok" } else { "--" };
        write!(f, "{mark} {}: {}", self.check, self.detail)
    }
}

/// How the results of concurrent runs came out.
#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    rejected: usize,
    clock_behind: usize,
    locked_out: usize,
    lockout_notices: usize,
    other: Vec<FlowError>,
}

impl Tally {
    fn of<T>(runs: &[Ran<T>]) -> Self {
        let mut tally = Self::default();
        for ran in runs {
            tally.lockout_notices += ran
                .effects
                .iter()
                .filter(|e| {
                    matches!(
                        e,
                        Effect::Notify {
                            event: Event::LockedOut { .. },
                            ..
                        }
                    )
                })
                .count();
            match &ran.result {
                Ok(()) => tally.accepted += 1,
                Err(FlowError::Rejected) => tally.rejected += 1,
                Err(FlowError::ClockBehind) => tally.clock_behind += 1,
                Err(FlowError::Refused(Refused::LockedOut { .. })) => tally.locked_out += 1,
                Err(e) => tally.other.push(e.clone()),
            }
        }
        tally
    }
}

fn failures(account: &Account) -> u32 {
    account
        .factor()
        .expect("an enrolled factor")
        .throttle()
        .failures()
}

/// One valid code, submitted by 16 concurrent tasks through the runner on
/// an account enrolled through the flows: accepted exactly once, the 15
/// replays `Rejected`, and each of them counted in the stored record.
///
/// ```
/// # use std::sync::Arc;
/// # use mfa::{MemoryStore, Protection, TotpRecord};
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let subject = mfa_conformance::BlockingSubject::new(store, |a| Box::new(a.to_owned()), None);
/// let report = mfa::block_on(mfa_conformance::exactly_once(&subject));
/// assert_eq!(report.check, "exactly_once");
/// ```
pub async fn exactly_once(subject: &impl Subject) -> Report {
    const TASKS: usize = 16;
    let flows = Arc::new(flows(no_delays(100)));
    let account = account("exactly-once");
    let enrolled = enroll(subject, &account, &flows, T0).await;
    let now = T0 + 1_000;
    let v = challenge(subject, &account, &flows, now).await;
    let code = enrolled.totp.generate(now).expect("a code").to_string();
    let before = subject.stats();
    let runs = subject
        .run_many(&account, TASKS, {
            let flows = flows.clone();
            move |a| v.respond(&flows, a, &code, now)
        })
        .await;
    let stats = subject.stats().since(before);
    let tally = Tally::of(&runs);
    assert!(
        tally.other.is_empty(),
        "unexpected results: {:?}",
        tally.other
    );
    assert_eq!(tally.accepted, 1, "one valid code is accepted exactly once");
    assert_eq!(tally.rejected, TASKS - 1, "the replays are rejected");
    let stored = subject.load(&account).await.expect("the account");
    assert_eq!(
        failures(&stored),
        u32::try_from(TASKS - 1).expect("small"),
        "every replay is counted"
    );
    Report::passed(
        "exactly_once",
        format!(
            "{TASKS} tasks: 1 accepted, {} rejected; {} lost races retried, {} busy runs asked again",
            tally.rejected, stats.conflicts, stats.busy
        ),
    )
}

/// A burst of 1,000 concurrent wrong guesses at a factor that locks after
/// 10 failures, with no backoff before: exactly 10 are evaluated
/// (`Rejected`), the other 990 refused (`Refused(LockedOut)`), one lockout
/// notice, and the stored record holds 10 failures.
///
/// ```
/// # use std::sync::Arc;
/// # use mfa::{MemoryStore, Protection, TotpRecord};
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let subject = mfa_conformance::BlockingSubject::new(store, |a| Box::new(a.to_owned()), None);
/// let report = mfa::block_on(mfa_conformance::lockout_burst(&subject));
/// assert_eq!(report.check, "lockout_burst");
/// ```
pub async fn lockout_burst(subject: &impl Subject) -> Report {
    const TASKS: usize = 1_000;
    const LIMIT: u32 = 10;
    let flows = Arc::new(flows(no_delays(LIMIT)));
    let account = account("lockout-burst");
    let enrolled = enroll(subject, &account, &flows, T0).await;
    let now = T0 + 1_000;
    let v = challenge(subject, &account, &flows, now).await;
    let wrong = wrong_code(&enrolled.totp, now);
    let before = subject.stats();
    let runs = subject
        .run_many(&account, TASKS, {
            let flows = flows.clone();
            move |a| v.respond(&flows, a, &wrong, now)
        })
        .await;
    let stats = subject.stats().since(before);
    let tally = Tally::of(&runs);
    let limit = usize::try_from(LIMIT).expect("small");
    assert!(
        tally.other.is_empty(),
        "unexpected results: {:?}",
        tally.other
    );
    assert_eq!(tally.accepted, 0);
    assert_eq!(
        tally.rejected, limit,
        "exactly the lockout limit is evaluated"
    );
    assert_eq!(tally.locked_out, TASKS - limit, "the rest are refused");
    assert_eq!(tally.lockout_notices, 1, "one lockout, one notice");
    let stored = subject.load(&account).await.expect("the account");
    assert_eq!(failures(&stored), LIMIT, "the stored failures");
    Report::passed(
        "lockout_burst",
        format!(
            "{TASKS} wrong guesses: {} rejected, {} locked out, {LIMIT} failures stored; {} lost races retried, {} busy runs asked again",
            tally.rejected, tally.locked_out, stats.conflicts, stats.busy
        ),
    )
}

/// 50 concurrent wrong guesses, no backoff, a lockout only at 100: every
/// guess is evaluated and recorded (50 failures stored, none lost), and
/// some compare-and-sets really found another version and were retried.
///
/// ```
/// # use std::sync::Arc;
/// # use mfa::{MemoryStore, Protection, TotpRecord};
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let subject = mfa_conformance::BlockingSubject::new(store, |a| Box::new(a.to_owned()), None);
/// let report = mfa::block_on(mfa_conformance::no_lost_update(&subject));
/// assert_eq!(report.check, "no_lost_update");
/// ```
pub async fn no_lost_update(subject: &impl Subject) -> Report {
    const TASKS: usize = 50;
    let flows = Arc::new(flows(no_delays(100)));
    let account = account("no-lost-update");
    let enrolled = enroll(subject, &account, &flows, T0).await;
    let now = T0 + 1_000;
    let v = challenge(subject, &account, &flows, now).await;
    let wrong = wrong_code(&enrolled.totp, now);
    let before = subject.stats();
    let loaded = subject.load(&account).await.expect("the account");
    let runs = subject
        .run_many(&account, TASKS, {
            let flows = flows.clone();
            move |a| v.respond(&flows, a, &wrong, now)
        })
        .await;
    let stats = subject.stats().since(before);
    let tally = Tally::of(&runs);
    assert!(
        tally.other.is_empty(),
        "unexpected results: {:?}",
        tally.other
    );
    assert_eq!(tally.rejected, TASKS, "every guess is evaluated");
    let stored = subject.load(&account).await.expect("the account");
    assert_eq!(
        failures(&stored),
        u32::try_from(TASKS).expect("small"),
        "no update is lost"
    );
    assert_eq!(
        stored.version(),
        loaded
            .version()
            .wrapping_add(u64::try_from(TASKS).expect("small")),
        "one version per write"
    );
    assert!(
        stats.conflicts > 0,
        "no compare-and-set conflicted: the races were not exercised"
    );
    Report::passed(
        "no_lost_update",
        format!(
            "{TASKS} guesses: {TASKS} failures stored; {} lost races retried, {} busy runs asked again",
            stats.conflicts, stats.busy
        ),
    )
}

/// A burst of 100 concurrent answers with an old code (the code of two
/// steps ago, behind the window: a phone whose clock is behind) at a
/// factor that locks after 10 failures, with no backoff before: exactly
/// 10 are evaluated and said to be old (`ClockBehind`), the other 90
/// refused (`Refused(LockedOut)`), one lockout notice; the stored record
/// holds 10 failures, the same last step and no drift. A drift report is
/// a failure like any other, not a free answer.
///
/// ```
/// # use std::sync::Arc;
/// # use mfa::{MemoryStore, Protection, TotpRecord};
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let subject = mfa_conformance::BlockingSubject::new(store, |a| Box::new(a.to_owned()), None);
/// let report = mfa::block_on(mfa_conformance::drift_reports_counted(&subject));
/// assert_eq!(report.check, "drift_reports_counted");
/// ```
pub async fn drift_reports_counted(subject: &impl Subject) -> Report {
    const TASKS: usize = 100;
    const LIMIT: u32 = 10;
    let flows = Arc::new(flows(no_delays(LIMIT)));
    let account = account("drift-reports");
    let totp = enroll(subject, &account, &flows, T0).await.totp;
    // A time at which the code of two steps ago is none of the window's
    // (a key's codes repeat), so that it is an old code and nothing else.
    let (now, old) = (0..1_000)
        .map(|i| T0 + 1_000 + 30 * i)
        .find_map(|now| {
            let step = totp.step_at(now).expect("a step");
            let old = totp.generate_at_step(step - 2);
            (step - 1..=step + 1)
                .all(|s| totp.generate_at_step(s) != old)
                .then(|| (now, old.to_string()))
        })
        .expect("a time without coincident codes");
    let before = subject.load(&account).await.expect("the account");
    let v = challenge(subject, &account, &flows, now).await;
    let runs = subject
        .run_many(&account, TASKS, {
            let flows = flows.clone();
            move |a| v.respond(&flows, a, &old, now)
        })
        .await;
    let tally = Tally::of(&runs);
    let limit = usize::try_from(LIMIT).expect("small");
    assert!(
        tally.other.is_empty() && tally.accepted == 0 && tally.rejected == 0,
        "unexpected results: {tally:?}"
    );
    assert_eq!(tally.clock_behind, limit, "exactly the limit is evaluated");
    assert_eq!(tally.locked_out, TASKS - limit, "the rest are refused");
    assert_eq!(tally.lockout_notices, 1, "one lockout, one notice");
    let stored = subject.load(&account).await.expect("the account");
    assert_eq!(failures(&stored), LIMIT, "every report is counted");
    let (factor, was) = (stored.factor(), before.factor());
    assert_eq!(
        factor.map(|f| (f.last_step(), f.drift())),
        was.map(|f| (f.last_step(), 0)),
        "no step consumed, no drift recorded"
    );
    Report::passed(
        "drift_reports_counted",
        format!(
            "{TASKS} tasks, an old code: {} said to be old, {} locked out",
            tally.clock_behind, tally.locked_out
        ),
    )
}

/// A record at version `u64::MAX` is inserted; a write through the runner
/// moves it to version 0, a further one to 1.
///
/// ```
/// # use std::sync::Arc;
/// # use mfa::{MemoryStore, Protection, TotpRecord};
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let subject = mfa_conformance::BlockingSubject::new(store, |a| Box::new(a.to_owned()), None);
/// let report = mfa::block_on(mfa_conformance::version_wrap(&subject));
/// assert_eq!(report.check, "version_wrap");
/// ```
pub async fn version_wrap(subject: &impl Subject) -> Report {
    let flows = flows(no_delays(100));
    let account = account("version-wrap");
    let mut value = serde_json::to_value(Protection::<TotpRecord>::new().expect("a record"))
        .expect("serializes");
    value["version"] = u64::MAX.into();
    let record: Account = serde_json::from_value(value).expect("deserializes");
    assert_eq!(record.version(), u64::MAX);
    assert_eq!(
        subject.insert(&account, &record).await,
        mfa::Cas::Committed,
        "insert"
    );
    let loaded = subject.load(&account).await.expect("the account");
    assert_eq!(loaded, record, "u64::MAX round-trips");

    let email = email();
    let ran = subject
        .run(&account, |a| {
            Enrollment::start(&flows, a, ALL, std::slice::from_ref(&email), &email, T0)
        })
        .await;
    ran.result.clone().expect("a write at u64::MAX");
    let code = ran
        .effects
        .iter()
        .find_map(|e| match e {
            Effect::Deliver(d) => Some(d.code().expose().to_owned()),
            _ => None,
        })
        .expect("a code");
    let e = ran.state.expect("an enrollment");
    let at_zero = subject.load(&account).await.expect("the account");
    assert_eq!(at_zero.version(), 0, "u64::MAX + 1 wraps to 0");

    let ran = subject
        .run(&account, |a| e.verify_identity(&flows, a, &code, T0 + 10))
        .await;
    ran.result.expect("a write at 0");
    let at_one = subject.load(&account).await.expect("the account");
    assert_eq!(at_one.version(), 1, "then 1");
    Report::passed(
        "version_wrap",
        "u64::MAX → 0 → 1 through the runner".to_owned(),
    )
}

/// Whether `error` or one of its sources is the codec's refusal of format
/// `found`, as a value or in its message.
fn names_format(error: &(dyn Error + 'static), found: u8) -> bool {
    let message = CodecError::Format { found }.to_string();
    let mut next = Some(error);
    while let Some(e) = next {
        if e.downcast_ref::<CodecError>() == Some(&CodecError::Format { found })
            || e.to_string().contains(&message)
        {
            return true;
        }
        next = e.source();
    }
    false
}

/// A row holding a record of another format (the format byte 2, sealed
/// under the current key): the runner fails with `FlowError::Storage`
/// whose error names the codec's `Format { found: 2 }`, and the row is
/// left as it was. Needs raw access.
///
/// ```
/// # use std::sync::Arc;
/// # use mfa::{MemoryStore, Protection, TotpRecord};
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let subject = mfa_conformance::BlockingSubject::new(store, |a| Box::new(a.to_owned()), None);
/// let report = mfa::block_on(mfa_conformance::other_format_refused(&subject));
/// assert_eq!(report.check, "other_format_refused");
/// ```
pub async fn other_format_refused(subject: &impl Subject) -> Report {
    if !subject.has_raw() {
        return Report::skipped("other_format_refused");
    }
    let flows = flows(no_delays(100));
    let account = account("other-format");
    let json = serde_json::to_vec(&Protection::<TotpRecord>::new().expect("a record"))
        .expect("serializes");
    let mut plain = vec![2u8];
    plain.extend_from_slice(&json);
    let row = codec()
        .keys()
        .seal(&fixture::context(&account), &plain)
        .expect("sealed");
    subject.put_raw(&account, 0, row.clone()).await;

    let email = email();
    let ran = subject
        .run(&account, |a| {
            Enrollment::start(&flows, a, ALL, std::slice::from_ref(&email), &email, T0)
        })
        .await;
    let message = match &ran.result {
        Err(FlowError::Storage(e)) => {
            assert!(
                names_format(&**e, 2),
                "the storage error does not name the format: {e} ({e:?})"
            );
            let mut chain = e.to_string();
            let mut source = e.source();
            while let Some(s) = source {
                chain.push_str(": ");
                chain.push_str(&s.to_string());
                source = s.source();
            }
            chain
        }
        other => panic!("a record of format 2 was not refused: {other:?}"),
    };
    assert!(ran.effects.is_empty() && ran.state.is_none());
    assert_eq!(
        subject.raw(&account).await,
        Some(row),
        "the row is left as it was"
    );
    Report::passed("other_format_refused", format!("refused: \"{message}\""))
}

/// A row sealed under the older key of the ring opens (a sign-in with the
/// factor passes), and its next write seals it under the current key.
/// Needs raw access.
///
/// ```
/// # use std::sync::Arc;
/// # use mfa::{MemoryStore, Protection, TotpRecord};
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let subject = mfa_conformance::BlockingSubject::new(store, |a| Box::new(a.to_owned()), None);
/// let report = mfa::block_on(mfa_conformance::old_key_rotation(&subject));
/// assert_eq!(report.check, "old_key_rotation");
/// ```
pub async fn old_key_rotation(subject: &impl Subject) -> Report {
    if !subject.has_raw() {
        return Report::skipped("old_key_rotation");
    }
    let flows = flows(no_delays(100));
    let account = account("old-key");
    let enrolled = enroll(subject, &account, &flows, T0).await;
    let record = subject.load(&account).await.expect("the account");
    let old = fixture::old_codec()
        .encode(&account, &record)
        .expect("encodes");
    assert!(!codec().keys().is_current(&old));
    subject.put_raw(&account, record.version(), old).await;
    assert_eq!(
        subject.load(&account).await.as_ref(),
        Some(&record),
        "a row of the older key opens"
    );

    let now = T0 + 1_000;
    let v = challenge(subject, &account, &flows, now).await;
    let code = enrolled.totp.generate(now).expect("a code").to_string();
    let ran = subject
        .run(&account, |a| v.respond(&flows, a, &code, now))
        .await;
    ran.result.expect("the factor still works");
    let row = subject.raw(&account).await.expect("the row");
    assert!(
        codec().keys().is_current(&row),
        "the next write seals under the current key"
    );
    assert!(
        fixture::old_codec()
            .decode::<TotpRecord>(&account, &row)
            .is_err(),
        "the older key no longer opens it"
    );
    let reread = codec()
        .decode::<TotpRecord>(&account, &row)
        .expect("opens under the current key");
    assert_eq!(Some(reread), subject.load(&account).await);
    Report::passed(
        "old_key_rotation",
        "a row of key 1 opens; its next write is sealed under key 2".to_owned(),
    )
}

/// Whether `needle` occurs in `haystack`.
fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

/// After a TOTP enrollment through the runner, the raw row holds neither
/// the Base32 secret, nor its bytes, nor any recovery code, and neither
/// did the row while the secret was pending. Reports the size of the
/// stored row of an enrolled account. Needs raw access.
///
/// ```
/// # use std::sync::Arc;
/// # use mfa::{MemoryStore, Protection, TotpRecord};
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let subject = mfa_conformance::BlockingSubject::new(store, |a| Box::new(a.to_owned()), None);
/// let report = mfa::block_on(mfa_conformance::no_secret_at_rest(&subject));
/// assert_eq!(report.check, "no_secret_at_rest");
/// ```
pub async fn no_secret_at_rest(subject: &impl Subject) -> Report {
    if !subject.has_raw() {
        return Report::skipped("no_secret_at_rest");
    }
    let flows = flows(no_delays(100));
    let account = account("no-secret");
    let enrolled = enroll(subject, &account, &flows, T0).await;
    let row = subject.raw(&account).await.expect("the row");
    let pending = enrolled.pending_row.clone().expect("the pending row");
    let mut needles: Vec<(String, Vec<u8>)> = vec![
        (
            "the Base32 secret".into(),
            enrolled.base32.clone().into_bytes(),
        ),
        (
            "the Base32 secret in lower case".into(),
            enrolled.base32.to_lowercase().into_bytes(),
        ),
        ("the secret's bytes".into(), enrolled.secret.clone()),
    ];
    for code in &enrolled.recovery_codes {
        needles.push(("a recovery code".into(), code.clone().into_bytes()));
        needles.push((
            "a recovery code without dashes".into(),
            code.replace('-', "").into_bytes(),
        ));
    }
    for (what, needle) in &needles {
        assert!(!contains(&row, needle), "the stored row holds {what}");
        assert!(
            !contains(&pending, needle),
            "the row with the pending secret holds {what}"
        );
    }
    assert!(
        !contains(&row, b"\"version\""),
        "the stored row is readable JSON"
    );
    let record = subject.load(&account).await.expect("the account");
    let json = serde_json::to_vec(&record).expect("serializes").len();
    let mut report = Report::passed(
        "no_secret_at_rest",
        format!(
            "no secret in the row; an enrolled TOTP account with {} recovery codes is {} bytes stored ({json} bytes of JSON inside)",
            enrolled.recovery_codes.len(),
            row.len()
        ),
    );
    report.row_bytes = Some(row.len());
    report
}
