//! The conformance suite every `mfa` store adapter passes, against a real
//! server: one set of checks, written once, run on an async store
//! ([`check`], tokio tasks) or a blocking one ([`check_blocking`], OS
//! threads). Every record goes through [`mfa::run`] /
//! [`mfa::run_blocking`], on accounts enrolled through the flows.
//!
//! The checks, each also a function of its own:
//!
//! | check | what it proves |
//! |---|---|
//! | [`exactly_once`] | one valid TOTP code, submitted by 16 concurrent tasks, is accepted exactly once; the 15 replays are `Rejected` and counted |
//! | [`lockout_burst`] | a burst of 1,000 concurrent wrong guesses at a factor locking after 10 failures gets exactly 10 evaluations (`Rejected`); the other 990 are `Refused(LockedOut)`; one lockout notice; 10 failures stored |
//! | [`drift_reports_counted`] | a burst of 100 concurrent answers with an old TOTP code (two steps behind: a phone whose clock is behind) at a factor locking after 10 failures gets exactly 10 evaluations (`ClockBehind`); the other 90 are `Refused(LockedOut)`; one lockout notice; 10 failures stored, no step consumed, no drift recorded |
//! | [`no_lost_update`] | 50 concurrent wrong guesses (lockout at 100, no backoff) store exactly 50 failures and 50 versions, and some compare-and-sets really conflicted and were retried |
//! | [`version_wrap`] | a record at version `u64::MAX` is inserted; a write moves it to 0, the next to 1 |
//! | [`other_format_refused`] | a row of another format (format byte 2) makes the runner fail with `FlowError::Storage` naming the codec's `Format { found: 2 }`, and stays untouched (raw access) |
//! | [`old_key_rotation`] | a row sealed under an older key opens, the factor in it works, and its next write is sealed under the current key (raw access) |
//! | [`no_secret_at_rest`] | after an enrollment, the raw row (and the row while the secret was pending) holds neither the Base32 secret, nor its bytes, nor a recovery code; reports the row's size (raw access) |
//!
//! Two checks for SMS are called apart, on a store of SMS accounts and on
//! one of the send budgets shared by all accounts ([`mfa::SendBudget`]):
//!
//! | check | what it proves |
//! |---|---|
//! | [`resend_same_code`] | on a store of SMS accounts (`Protection<SmsRecord>`), through the flows: a resend of the identity, binding or challenge code within its lifetime sends the same code, until the same expiry, with its failed attempts kept; a new code after expiry or use |
//! | [`budget_exactly_once`] | 16 concurrent spends of one send budget of 10 an hour admit exactly 10, refuse 6 until the hour's end, and store 10 at version 10; the window refuses at its last second and admits at its end |
//!
//! The checks that read rows need [`Raw`] (or [`BlockingRaw`]) access and a
//! store that seals with [`codec()`]; without it they are reported as
//! skipped. A run that ends in `FlowError::Busy` (every one of the
//! runner's tries lost a race) is asked again, as a client told "try
//! again" would; [`Stats`] counts those and the lost races. Each load
//! yields before it returns, as a network round trip would, so that
//! concurrent tasks interleave between load and compare-and-set even on
//! an in-memory store.
//!
//! Accounts are named `conformance-<check>-<random>`, fresh for each run,
//! so a server that keeps its data between runs needs no cleaning.
//!
//! ```
//! use std::sync::Arc;
//! use mfa::{MemoryStore, Protection, TotpRecord};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
//! let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
//! let summary = runtime.block_on(mfa_conformance::check(store, |a| Box::new(a.to_owned()), None));
//! assert_eq!(summary.reports.iter().filter(|r| r.ran).count(), 5); // no raw rows in memory
//! println!("{summary}");
//! # Ok(()) }
//! ```
#![forbid(unsafe_code)]
// A test suite: a failed check panics with what it found.
#![allow(
    clippy::panic,
    clippy::expect_used,
    clippy::missing_panics_doc,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing
)]

mod budget;
mod checks;
mod fixture;
mod resend;
mod subject;

use std::error::Error;
use std::fmt;
use std::sync::Arc;

use mfa::{AsyncStore, Store};

pub use budget::budget_exactly_once;
pub use checks::{
    Report, drift_reports_counted, exactly_once, lockout_burst, no_lost_update, no_secret_at_rest,
    old_key_rotation, other_format_refused, version_wrap,
};
pub use fixture::{T0, codec, str_id};
pub use resend::resend_same_code;
pub use subject::{
    Account, AsyncSubject, BUSY_RETRIES, BlockingRaw, BlockingSubject, BoxError, Raw, RawFuture,
    Stats, Subject,
};

/// What a run of the whole suite found: one report per check, in order,
/// and the counters.
#[derive(Clone, Debug)]
pub struct Summary {
    /// One per check.
    pub reports: Vec<Report>,
    /// Lost races and busy runs over the whole suite.
    pub stats: Stats,
}

impl Summary {
    /// The size in bytes of a stored, enrolled TOTP account row, if a
    /// check measured it (with raw access).
    ///
    /// ```
    /// let summary = mfa_conformance::Summary { reports: Vec::new(), stats: Default::default() };
    /// assert_eq!(summary.row_bytes(), None);
    /// ```
    #[must_use]
    pub fn row_bytes(&self) -> Option<usize> {
        self.reports.iter().find_map(|r| r.row_bytes)
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for report in &self.reports {
            writeln!(f, "{report}")?;
        }
        write!(
            f,
            "in all: {} lost races retried, {} busy runs asked again",
            self.stats.conflicts, self.stats.busy
        )
    }
}

/// Runs every check on `subject`, in the order of the table above.
pub async fn check_subject(subject: &impl Subject) -> Summary {
    let reports = vec![
        exactly_once(subject).await,
        lockout_burst(subject).await,
        drift_reports_counted(subject).await,
        no_lost_update(subject).await,
        version_wrap(subject).await,
        other_format_refused(subject).await,
        old_key_rotation(subject).await,
        no_secret_at_rest(subject).await,
    ];
    Summary {
        reports,
        stats: subject.stats(),
    }
}

/// Runs the whole suite on an async store, whose records are named by
/// `id(account)` ([`str_id`] for `Id = str`), with raw access to its rows
/// if it keeps bytes sealed with [`codec()`]. Panics on the first check
/// that fails, with what it found.
///
/// Await it on a multi-thread tokio runtime (the suite spawns tasks):
/// `#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`.
pub async fn check<S>(store: Arc<S>, id: fn(&str) -> Box<S::Id>, raw: Option<Raw>) -> Summary
where
    S: AsyncStore<Account> + Send + Sync + 'static,
    S::Id: Send,
{
    check_subject(&AsyncSubject::new(store, id, raw)).await
}

/// As [`check`], for a blocking store: concurrent runs are OS threads.
/// Call it from a plain `#[test]`.
///
/// ```
/// use std::sync::Arc;
/// use mfa::{MemoryStore, Protection, TotpRecord};
///
/// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
/// let summary = mfa_conformance::check_blocking(store, |a| Box::new(a.to_owned()), None);
/// assert!(summary.reports.iter().any(|r| r.check == "lockout_burst" && r.ran));
/// ```
pub fn check_blocking<S>(
    store: Arc<S>,
    id: fn(&str) -> Box<S::Id>,
    raw: Option<BlockingRaw>,
) -> Summary
where
    S: Store<Account> + Send + Sync,
    S::Error: Error + Send + Sync + 'static,
{
    mfa::block_on(check_subject(&BlockingSubject::new(store, id, raw)))
}
