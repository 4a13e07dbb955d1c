//! A full sign-in check through the runner, on every store: where the time
//! of a TOTP sign-in goes, and how many checks a store takes per second
//! from 16 concurrent tasks.
//!
//! One check is what a log-on with an authenticator app costs the server:
//! `Verification::start(LogOn)` (load the account; nothing to write), then
//! `respond` with the app's current code (load again, verify, and write
//! the used-up step by compare-and-set), each a run of the runner
//! (`mfa::run` / `mfa::run_blocking`). Every check is a real accepted code:
//! each task has an account of its own, enrolled through the runner
//! beforehand, and each check happens 30 s (one TOTP step) after that
//! account's previous one on a simulated clock (the flows take `now`), so
//! its code was never used. A check that is not accepted stops the bench.
//!
//! Groups (criterion ids):
//!
//! - `parts/…`: the pieces without a store. `totp_verify/{reject,accept}`
//!   is the bare `Totp::verify` (SHA-1, 6 digits, window ±1); `flows` is
//!   `start` + `respond` on an account held in a variable (no runner, no
//!   store); `codec/{decode,encode}` opens and seals the stored row of an
//!   enrolled account (a check decodes twice and encodes once).
//! - `signin/<store>/1 task`: one check at a time (criterion's median is
//!   the README's "single check" latency). The app's code is made outside
//!   the measured time.
//! - `signin/<store>/16 tasks`: `iters` checks spread over 16 tasks, each
//!   on its own account: criterion's time per iteration is the wall time
//!   per check, the inverse of the throughput.
//!
//! After each store's group, a fixed throughput run (16 tasks, a bounded
//! number of checks each, after a short warm-up) prints checks per second
//! and the p50/p99 of the recorded per-check latencies; a table of those
//! ends the run.
//!
//! The stores: `MemoryStore` through `run_blocking` and through `run`;
//! `mfa-rusqlite` (blocking, a database file under Cargo's target tmp
//! directory, its default pool of 4); `mfa-sqlx` on SQLite (such a file,
//! WAL, a pool of 4) and on PostgreSQL (`MFA_POSTGRES_URL`, by default
//! `postgres://postgres@127.0.0.1:5432/test`, a pool of 16, in a schema of
//! the run's own dropped at the end); `mfa-redis` (`MFA_REDIS_URL`, by
//! default `redis://127.0.0.1:6379/`, one multiplexed connection, under a
//! key prefix of the run's own whose keys are deleted at the end). A
//! server that does not answer is reported and its store skipped.
//!
//! Async stores run in tokio tasks on a multi-thread runtime (one worker
//! per core); blocking stores in `spawn_blocking` tasks on it, as an async
//! service would call them.
//!
//! Run with `cargo bench -p mfa-bench` (a filter after `--` selects groups,
//! for example `-- postgres`); medians are in
//! `target/criterion/<group>/<id>/new/estimates.json` (`/` in a group's
//! name becomes `_`: `signin_redis/16 tasks`).

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::arithmetic_side_effects,
    clippy::indexing_slicing,
    clippy::cast_precision_loss
)]

use std::borrow::Borrow;
use std::fmt::Write as _;
use std::hint::black_box;
use std::path::Path;
use std::str::FromStr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use criterion::{BenchmarkGroup, Criterion, Throughput, measurement::WallTime};
use mfa::{
    AsyncStore, Destination, Effect, Enrollment, FlowPolicy, Flows, Keyring, MemoryStore, OobKey,
    Protection, Ran, RecordCodec, Scenario, SealingKey, Store, Totp, TotpFactor, TotpRecord,
    Transition, Verification,
};
use mfa_redis::RedisStore;
use mfa_redis::redis::{self, aio::ConnectionManagerConfig};
use mfa_rusqlite::RusqliteStore;
use mfa_sqlx::{PgPool, SqlxStore};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions};
use tokio::runtime::Runtime;
use tokio::task::JoinHandle;

/// The record every store keeps.
type Account = Protection<TotpRecord>;

/// The time the accounts enroll at (the start of a 30-second step).
const T0: u64 = 1_700_000_010;

/// One TOTP step: each check of an account is this much after its last.
const STEP: u64 = 30;

/// How long after the challenge the user answers (within the same step).
const TYPING: u64 = 5;

/// Concurrent tasks of the throughput measurements.
const TASKS: usize = 16;

/// Checks per task in the warm-up before a throughput run.
const WARM_UP_CHECKS: u64 = 20;

// ---------------------------------------------------------------------------
// Accounts and checks

/// An account enrolled through the runner: its id, the user's app, and the
/// time of its last check.
struct User {
    id: String,
    totp: Totp,
    now: u64,
    /// The code of the step after `now`'s, made by the last [`next`](Self::next).
    ahead: Option<(u64, String)>,
}

impl User {
    fn new(id: String, totp: Totp, now: u64) -> Self {
        Self {
            id,
            totp,
            now,
            ahead: None,
        }
    }

    /// The code the app shows at `at`.
    fn code_at(&mut self, at: u64) -> String {
        match self.ahead.take() {
            Some((time, code)) if time == at => code,
            _ => self.totp.generate(at).expect("a code").to_string(),
        }
    }

    /// The time of the next check (a step after the last) and the code the
    /// app shows when the user answers.
    ///
    /// A step whose code is also the next step's is skipped: the check's
    /// window (±1) would find it at both, and `Totp::verify` records the
    /// highest match (against replay), which uses up the next step's code
    /// too (about one step in a million with 6 digits).
    fn next(&mut self) -> (u64, String) {
        for _ in 0..64 {
            self.now += STEP;
            let code = self.code_at(self.now + TYPING);
            let after = self.now + STEP + TYPING;
            let following = self.totp.generate(after).expect("a code").to_string();
            let collides = code == following;
            self.ahead = Some((after, following));
            if !collides {
                return (self.now, code);
            }
        }
        panic!("64 steps in a row share their code with the next");
    }
}

/// The state a run left, once it went through.
fn done<S>(ran: Ran<S>, what: &str) -> (S, Vec<Effect>) {
    if let Err(e) = ran.result {
        panic!("{what}: {e}");
    }
    (
        ran.state.unwrap_or_else(|| panic!("{what}: no state")),
        ran.effects,
    )
}

/// Asserts that a run of `respond` passed the check.
fn passed(ran: Ran<Verification>) {
    let (check, _) = done(ran, "the current code is accepted");
    assert!(check.verified().is_some(), "the check passed");
}

/// Runs of the flows against a store, async or blocking, from the bench's
/// thread (setup) or from tasks on the runtime (measurements).
trait Driver: Clone + Send + Sync + 'static {
    /// One run of `op` on `id`, for the setup.
    fn run<T, Op>(&self, rt: &Runtime, id: &str, op: Op) -> Ran<T>
    where
        T: Send,
        Op: FnMut(&Account) -> Transition<T, TotpRecord> + Send;

    /// A task on `rt` that makes `checks` checks on `user`, one after
    /// another, and hands the user back with what it measured.
    fn spawn(
        &self,
        rt: &Runtime,
        flows: Arc<Flows<TotpFactor>>,
        user: User,
        checks: u64,
        record: bool,
    ) -> JoinHandle<Task>;
}

/// What a task measured.
struct Task {
    user: User,
    /// The sum of its checks' durations.
    busy: Duration,
    /// Each check's duration, if asked for.
    latencies: Vec<Duration>,
}

impl Task {
    fn new(user: User, checks: u64, record: bool) -> Self {
        let capacity = if record { checks as usize } else { 0 };
        Self {
            user,
            busy: Duration::ZERO,
            latencies: Vec::with_capacity(capacity),
        }
    }

    fn add(&mut self, took: Duration, record: bool) {
        self.busy += took;
        if record {
            self.latencies.push(took);
        }
    }
}

/// An [`AsyncStore`] through `mfa::run`, in tokio tasks.
struct Async<S>(Arc<S>);

impl<S> Clone for Async<S> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// One check through `mfa::run`: its duration.
async fn check_async<S>(store: &S, flows: &Flows<TotpFactor>, user: &mut User) -> Duration
where
    S: AsyncStore<Account> + Sync,
    String: Borrow<S::Id>,
{
    let (now, code) = user.next();
    let id: &S::Id = user.id.borrow();
    let start = Instant::now();
    let ran = mfa::run(store, id, |a| {
        Verification::start(flows, a, Scenario::LogOn, None, now)
    })
    .await;
    let (challenge, _) = done(ran, "a challenge");
    let ran = mfa::run(store, id, |a| {
        challenge.respond(flows, a, &code, now + TYPING)
    })
    .await;
    let took = start.elapsed();
    passed(ran);
    took
}

impl<S> Driver for Async<S>
where
    S: AsyncStore<Account> + Send + Sync + 'static,
    String: Borrow<S::Id>,
{
    fn run<T, Op>(&self, rt: &Runtime, id: &str, op: Op) -> Ran<T>
    where
        T: Send,
        Op: FnMut(&Account) -> Transition<T, TotpRecord> + Send,
    {
        let id = id.to_owned(); // a `String` for the `MemoryStore`
        rt.block_on(mfa::run(&*self.0, id.borrow(), op))
    }

    fn spawn(
        &self,
        rt: &Runtime,
        flows: Arc<Flows<TotpFactor>>,
        user: User,
        checks: u64,
        record: bool,
    ) -> JoinHandle<Task> {
        let store = self.0.clone();
        rt.spawn(async move {
            let mut task = Task::new(user, checks, record);
            for _ in 0..checks {
                let took = check_async(&*store, &flows, &mut task.user).await;
                task.add(took, record);
            }
            task
        })
    }
}

/// A blocking [`Store`] through `mfa::run_blocking`, in `spawn_blocking`
/// tasks.
struct Blocking<S>(Arc<S>);

impl<S> Clone for Blocking<S> {
    fn clone(&self) -> Self {
        Self(self.0.clone())
    }
}

/// One check through `mfa::run_blocking`: its duration.
fn check_blocking<S>(store: &S, flows: &Flows<TotpFactor>, user: &mut User) -> Duration
where
    S: Store<Account>,
    S::Error: std::error::Error + Send + Sync + 'static,
    String: Borrow<S::Id>,
{
    let (now, code) = user.next();
    let id: &S::Id = user.id.borrow();
    let start = Instant::now();
    let ran = mfa::run_blocking(store, id, |a| {
        Verification::start(flows, a, Scenario::LogOn, None, now)
    });
    let (challenge, _) = done(ran, "a challenge");
    let ran = mfa::run_blocking(store, id, |a| {
        challenge.respond(flows, a, &code, now + TYPING)
    });
    let took = start.elapsed();
    passed(ran);
    took
}

impl<S> Driver for Blocking<S>
where
    S: Store<Account> + Send + Sync + 'static,
    S::Error: std::error::Error + Send + Sync + 'static,
    String: Borrow<S::Id>,
{
    fn run<T, Op>(&self, _: &Runtime, id: &str, op: Op) -> Ran<T>
    where
        T: Send,
        Op: FnMut(&Account) -> Transition<T, TotpRecord> + Send,
    {
        let id = id.to_owned();
        mfa::run_blocking(&*self.0, id.borrow(), op)
    }

    fn spawn(
        &self,
        rt: &Runtime,
        flows: Arc<Flows<TotpFactor>>,
        user: User,
        checks: u64,
        record: bool,
    ) -> JoinHandle<Task> {
        let store = self.0.clone();
        rt.spawn_blocking(move || {
            let mut task = Task::new(user, checks, record);
            for _ in 0..checks {
                let took = check_blocking(&*store, &flows, &mut task.user);
                task.add(took, record);
            }
            task
        })
    }
}

/// The e-mail address identity codes go to.
fn email() -> Destination {
    Destination::email("ada@example.com").expect("an address")
}

/// Enrolls TOTP for log-on on account `id` through the runner, as a user
/// would: identity by e-mail code, the key, a code of the key; at `T0` to
/// `T0 + 30`.
fn enroll<D: Driver>(driver: &D, rt: &Runtime, flows: &Flows<TotpFactor>, id: String) -> User {
    let email = email();
    let scenarios = [Scenario::LogOn];
    let (e, effects) = done(
        driver.run(rt, &id, |a| {
            Enrollment::start(
                flows,
                a,
                &scenarios,
                std::slice::from_ref(&email),
                &email,
                T0,
            )
        }),
        "enrollment starts",
    );
    let code = effects
        .iter()
        .find_map(|e| match e {
            Effect::Deliver(d) => Some(d.code().expose().to_owned()),
            _ => None,
        })
        .expect("an identity code is delivered");
    let (e, _) = done(
        driver.run(rt, &id, |a| e.verify_identity(flows, a, &code, T0 + 10)),
        "the identity code passes",
    );
    let name = String::from("ada@example.com");
    let (e, effects) = done(
        driver.run(rt, &id, |a| e.setup(flows, a, &name, T0 + 20)),
        "the key is made",
    );
    let totp = effects
        .iter()
        .find_map(|e| match e {
            Effect::ShowKey(uri) => Some(uri.to_totp().expect("a TOTP key")),
            _ => None,
        })
        .expect("the key is shown");
    let code = totp.generate(T0 + 30).expect("a code").to_string();
    let (e, _) = done(
        driver.run(rt, &id, |a| e.confirm(flows, a, &[&code], T0 + 30)),
        "the key is confirmed",
    );
    assert!(e.is_done(), "enrolled");
    User::new(id, totp, T0 + 30)
}

/// The flows of the bench: TOTP for log-on, every policy at its default.
fn flows() -> Arc<Flows<TotpFactor>> {
    let factor = TotpFactor::new("Bench").expect("an issuer");
    let key = OobKey::generate().expect("a key");
    Arc::new(Flows::new(factor, key, FlowPolicy::default()).expect("flows"))
}

/// A codec under a fresh key.
fn codec() -> RecordCodec {
    RecordCodec::new(Keyring::new(SealingKey::generate(1).expect("a key")))
}

/// A tokio multi-thread runtime, one worker per core.
fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
}

// ---------------------------------------------------------------------------
// Measurements

/// What `checks` checks spread over `users` (one task each) took.
struct Spread {
    wall: Duration,
    busy: Duration,
    latencies: Vec<Duration>,
}

/// Spreads `checks` checks over one task per user, all at once; the users
/// come back with their clocks advanced.
fn spread<D: Driver>(
    driver: &D,
    rt: &Runtime,
    flows: &Arc<Flows<TotpFactor>>,
    users: &mut Vec<User>,
    checks: u64,
    record: bool,
) -> Spread {
    let tasks = users.len() as u64;
    let start = Instant::now();
    let handles: Vec<_> = users
        .drain(..)
        .enumerate()
        .map(|(i, user)| {
            let share = checks / tasks + u64::from((i as u64) < checks % tasks);
            driver.spawn(rt, flows.clone(), user, share, record)
        })
        .collect();
    let finished = rt.block_on(async {
        let mut finished = Vec::with_capacity(handles.len());
        for handle in handles {
            finished.push(handle.await.expect("a task panicked"));
        }
        finished
    });
    let wall = start.elapsed();
    let mut busy = Duration::ZERO;
    let mut latencies = Vec::new();
    for task in finished {
        busy += task.busy;
        latencies.extend(task.latencies);
        users.push(task.user);
    }
    Spread {
        wall,
        busy,
        latencies,
    }
}

/// A throughput run's figures.
#[derive(Clone, Debug)]
struct Row {
    store: &'static str,
    checks: usize,
    wall: Duration,
    p50: Duration,
    p99: Duration,
}

impl Row {
    fn per_second(&self) -> f64 {
        self.checks as f64 / self.wall.as_secs_f64()
    }
}

/// The nearest-rank `p`-th percentile of sorted `latencies`.
fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let rank = (p / 100.0 * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

/// The throughput runs' figures, for the table at the end.
static ROWS: Mutex<Vec<Row>> = Mutex::new(Vec::new());

/// Whether criterion runs measurements (not `--test` or `--list`).
fn measuring() -> bool {
    !std::env::args().any(|a| a == "--test" || a == "--list")
}

fn micros(d: Duration) -> String {
    let us = d.as_secs_f64() * 1e6;
    if us >= 1_000.0 {
        format!("{:.2} ms", us / 1_000.0)
    } else {
        format!("{us:.1} µs")
    }
}

/// The criterion benches of one store (`1 task`, `16 tasks`), then its
/// throughput run of `checks_per_task` checks in each of 16 tasks, if
/// criterion measured the 16 tasks (not filtered out).
fn bench_store<D: Driver>(
    c: &mut Criterion,
    store: &'static str,
    driver: &D,
    rt: &Runtime,
    slow: bool,
    checks_per_task: u64,
) {
    let flows = flows();
    let mut users: Vec<User> = (0..TASKS)
        .map(|i| enroll(driver, rt, &flows, format!("bench-{i}")))
        .collect();

    let mut group = c.benchmark_group(format!("signin/{store}"));
    configure(&mut group, slow);
    group.throughput(Throughput::Elements(1));
    let mut single = vec![users.pop().expect("a user")];
    group.bench_function("1 task", |b| {
        b.iter_custom(|iters| spread(driver, rt, &flows, &mut single, iters, false).busy);
    });
    users.append(&mut single);
    let mut measured = false;
    group.bench_function(format!("{TASKS} tasks"), |b| {
        measured = true;
        b.iter_custom(|iters| spread(driver, rt, &flows, &mut users, iters, false).wall);
    });
    group.finish();

    if !(measured && measuring()) {
        return;
    }
    spread(
        driver,
        rt,
        &flows,
        &mut users,
        WARM_UP_CHECKS * TASKS as u64,
        false,
    );
    let run = spread(
        driver,
        rt,
        &flows,
        &mut users,
        checks_per_task * TASKS as u64,
        true,
    );
    let mut sorted = run.latencies;
    sorted.sort_unstable();
    let row = Row {
        store,
        checks: sorted.len(),
        wall: run.wall,
        p50: percentile(&sorted, 50.0),
        p99: percentile(&sorted, 99.0),
    };
    println!(
        "signin/{store}: {TASKS} tasks, {} checks in {:.2} s: {:.0} checks/s, p50 {}, p99 {}, max {}\n",
        row.checks,
        row.wall.as_secs_f64(),
        row.per_second(),
        micros(row.p50),
        micros(row.p99),
        micros(sorted.last().copied().unwrap_or_default()),
    );
    ROWS.lock().expect("rows").push(row);
}

fn configure(group: &mut BenchmarkGroup<'_, WallTime>, slow: bool) {
    if slow {
        group
            .sample_size(30)
            .warm_up_time(Duration::from_secs(2))
            .measurement_time(Duration::from_secs(6));
    }
}

// ---------------------------------------------------------------------------
// The benches

/// The pieces without a store: bare `Totp::verify`, the flows on an
/// account in a variable, and the codec on an enrolled account's row.
fn bench_parts(c: &mut Criterion) {
    let rt = runtime();
    let flows = flows();
    let memory: Arc<MemoryStore<String, Account>> = Arc::new(MemoryStore::new());
    let driver = Blocking(memory.clone());
    let mut user = enroll(&driver, &rt, &flows, "bench-parts".to_owned());
    let mut account = Store::load(&*memory, &user.id)
        .expect("a load")
        .expect("the account");

    let mut group = c.benchmark_group("parts");
    let (now, good) = user.next();
    let now = now + TYPING;
    let step = user.totp.step_at(now).expect("a step");
    let near: Vec<String> = (step - 1..=step + 1)
        .map(|s| user.totp.generate_at_step(s).to_string())
        .collect();
    let bad = (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .expect("a wrong code");
    assert!(user.totp.verify(&good, now, None).is_ok());
    assert!(user.totp.verify(&bad, now, None).is_err());
    for (outcome, code) in [("reject", &bad), ("accept", &good)] {
        group.bench_function(format!("totp_verify/{outcome}"), |b| {
            b.iter(|| black_box(&user.totp).verify(black_box(code.as_str()), black_box(now), None));
        });
    }

    group.bench_function("flows", |b| {
        b.iter_custom(|iters| {
            let mut busy = Duration::ZERO;
            for _ in 0..iters {
                let (now, code) = user.next();
                let start = Instant::now();
                let (challenge, _, _, result) =
                    Verification::start(&flows, &account, Scenario::LogOn, None, now).into_parts();
                result.expect("a challenge");
                let challenge = challenge.expect("a verification");
                let (check, persist, _, result) = challenge
                    .respond(&flows, &account, &code, now + TYPING)
                    .into_parts();
                result.expect("the current code is accepted");
                account = persist.expect("the used step is written").record;
                busy += start.elapsed();
                assert!(check.is_some_and(|c| c.verified().is_some()));
            }
            busy
        });
    });

    let codec = codec();
    let row = codec.encode(&user.id, &account).expect("sealed");
    group.bench_function("codec/decode", |b| {
        b.iter(|| codec.decode::<TotpRecord>(black_box(&user.id), black_box(&row)));
    });
    group.bench_function("codec/encode", |b| {
        b.iter(|| codec.encode(black_box(&user.id), black_box(&account)));
    });
    group.finish();
    if measuring() {
        println!("an enrolled account's stored row: {} bytes\n", row.len());
    }
}

fn bench_memory(c: &mut Criterion) {
    let rt = runtime();
    let store: Arc<MemoryStore<String, Account>> = Arc::new(MemoryStore::new());
    bench_store(c, "memory-blocking", &Blocking(store), &rt, false, 20_000);
    let store: Arc<MemoryStore<String, Account>> = Arc::new(MemoryStore::new());
    bench_store(c, "memory-async", &Async(store), &rt, false, 20_000);
}

/// A directory for database files, on the disk of Cargo's target
/// directory (not a tmpfs `/tmp`); removed on drop.
fn database_dir() -> tempfile::TempDir {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(tmp).expect("the target tmp directory");
    tempfile::tempdir_in(tmp).expect("a temporary directory")
}

fn bench_rusqlite(c: &mut Criterion) {
    let rt = runtime();
    let dir = database_dir();
    let store = RusqliteStore::open(dir.path().join("mfa.db"), codec()).expect("opens");
    store.migrate().expect("migrates");
    bench_store(c, "rusqlite", &Blocking(Arc::new(store)), &rt, true, 150);
}

fn bench_sqlx_sqlite(c: &mut Criterion) {
    let rt = runtime();
    let dir = database_dir();
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join("mfa.db"))
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        .busy_timeout(Duration::from_secs(5));
    let store = rt.block_on(async {
        let pool = SqlitePoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .expect("opens");
        let store = SqlxStore::new(pool, codec());
        store.migrate().await.expect("migrates");
        store
    });
    // (`SqlxStore` is not `Clone`: its derive asks `DB: Clone`.)
    let pool = store.pool().clone();
    bench_store(c, "sqlx-sqlite", &Async(Arc::new(store)), &rt, true, 150);
    rt.block_on(pool.close());
}

/// A name no other run uses, from the process id and the time.
fn unique(what: &str) -> String {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{what}_{}_{nanos}", std::process::id())
}

/// A PostgreSQL schema of the run's own, dropped on drop (also when the
/// bench panics).
struct Schema<'rt> {
    rt: &'rt Runtime,
    name: String,
    admin: PgPool,
    options: PgConnectOptions,
}

impl<'rt> Schema<'rt> {
    fn new(rt: &'rt Runtime, url: &str) -> Result<Self, sqlx::Error> {
        let name = unique("mfa_bench");
        let options = PgConnectOptions::from_str(url)?;
        let admin = rt.block_on(async {
            let admin = PgPoolOptions::new()
                .max_connections(1)
                .acquire_timeout(Duration::from_secs(5))
                .connect_with(options.clone())
                .await?;
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {name}")))
                .execute(&admin)
                .await?;
            Ok::<_, sqlx::Error>(admin)
        })?;
        let options = options.options([("search_path", name.as_str())]);
        Ok(Self {
            rt,
            name,
            admin,
            options,
        })
    }
}

impl Drop for Schema<'_> {
    fn drop(&mut self) {
        let drop = format!("DROP SCHEMA {} CASCADE", self.name);
        let dropped = self.rt.block_on(async {
            let dropped = sqlx::query(sqlx::AssertSqlSafe(drop))
                .execute(&self.admin)
                .await;
            self.admin.close().await;
            dropped
        });
        if let Err(e) = dropped {
            eprintln!("could not drop schema {}: {e}", self.name);
        }
    }
}

fn bench_postgres(c: &mut Criterion) {
    let rt = runtime();
    let url = std::env::var("MFA_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let schema = match Schema::new(&rt, &url) {
        Ok(schema) => schema,
        Err(e) => {
            eprintln!("signin/sqlx-postgres skipped: no PostgreSQL at {url}: {e}");
            return;
        }
    };
    let store = rt.block_on(async {
        let pool = PgPoolOptions::new()
            .max_connections(TASKS as u32)
            .connect_with(schema.options.clone())
            .await
            .expect("connects");
        let store = SqlxStore::new(pool, codec());
        store.migrate().await.expect("migrates");
        store
    });
    // (`SqlxStore` is not `Clone`: its derive asks `DB: Clone`.)
    let pool = store.pool().clone();
    bench_store(c, "sqlx-postgres", &Async(Arc::new(store)), &rt, true, 300);
    rt.block_on(pool.close());
    drop(schema);
}

/// A Redis key prefix of the run's own, whose keys are deleted on drop
/// (also when the bench panics).
struct Prefix {
    url: String,
    prefix: String,
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let deleted = (|| -> redis::RedisResult<usize> {
            let mut c = redis::Client::open(self.url.as_str())?.get_connection()?;
            let keys: Vec<String> = redis::cmd("KEYS")
                .arg(format!("{}*", self.prefix))
                .query(&mut c)?;
            if !keys.is_empty() {
                redis::cmd("DEL").arg(&keys).query::<usize>(&mut c)?;
            }
            Ok(keys.len())
        })();
        if let Err(e) = deleted {
            eprintln!("could not delete the keys under {}: {e}", self.prefix);
        }
    }
}

fn bench_redis(c: &mut Criterion) {
    let rt = runtime();
    let url =
        std::env::var("MFA_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned());
    // A response timeout of 10 s, not `redis`'s 500 ms: on two shared
    // cores a busy moment should slow the bench, not fail it.
    let config = ConnectionManagerConfig::new().set_response_timeout(Some(Duration::from_secs(10)));
    let connection = rt.block_on(async {
        redis::Client::open(url.as_str())?
            .get_connection_manager_with_config(config)
            .await
    });
    let connection = match connection {
        Ok(connection) => connection,
        Err(e) => {
            eprintln!("signin/redis skipped: no Redis at {url}: {e}");
            return;
        }
    };
    let prefix = Prefix {
        url: url.clone(),
        prefix: format!("{}:", unique("mfa-bench")),
    };
    let store = RedisStore::new(connection, codec()).with_prefix(&prefix.prefix);
    bench_store(c, "redis", &Async(Arc::new(store)), &rt, true, 1_000);
    drop(prefix);
}

/// The table of the throughput runs.
fn summary(_: &mut Criterion) {
    let rows = ROWS.lock().expect("rows");
    if rows.is_empty() {
        return;
    }
    let mut table = format!(
        "{TASKS} concurrent tasks, one account each:\n{:<16} {:>8} {:>12} {:>10} {:>10}\n",
        "store", "checks", "checks/s", "p50", "p99"
    );
    for row in rows.iter() {
        writeln!(
            table,
            "{:<16} {:>8} {:>12.0} {:>10} {:>10}",
            row.store,
            row.checks,
            row.per_second(),
            micros(row.p50),
            micros(row.p99)
        )
        .expect("a string");
    }
    println!("{table}");
}

fn config() -> Criterion {
    Criterion::default()
        .sample_size(50)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
}

criterion::criterion_group! {
    name = benches;
    config = config();
    targets = bench_parts, bench_memory, bench_rusqlite, bench_sqlx_sqlite, bench_postgres, bench_redis, summary
}
criterion::criterion_main!(benches);
