//! The storage contract on a real database: a [`Store`] over SQLite (the
//! SQL of the `Store` docs), 16 threads each on its own connection, racing
//! on one record.
//!
//! - One valid code submitted by all 16 threads at once is accepted exactly
//!   once.
//! - A burst of 1,000 wrong guesses gets exactly `max_failures` evaluated
//!   answers; every other guess is refused by the lockout or, having lost
//!   every race, reported as a conflict with nothing written. The failure
//!   count and the version afterwards are exact. After the owner's success
//!   the lockout's strike stays: a second burst gets exactly two (a
//!   forgiven typo, then a lockout twice as long).
//! - With a backoff, a burst at one instant gets the forgiven failures
//!   and the one that starts the backoff evaluated, then one evaluation
//!   per backoff; the rest are refused until the stated time.
//!
//! Records are stored as JSON (`serde` feature) beside a version column.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::cell::Cell;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Barrier};
use std::time::Duration;

use mfa::{
    Cas, Refused, Secret, Store, StoreError, ThrottlePolicy, Totp, TotpConfig, TotpRecord,
    VerifyFailure,
};
use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

const THREADS: usize = 16;
const NOW: u64 = 1_700_000_010;
const ID: &str = "alice";

type DbError = Box<dyn std::error::Error + Send + Sync>;

/// One connection: each thread opens its own. Counts the writes it lost.
struct Sqlite {
    conn: Connection,
    lost_races: Cell<usize>,
}

impl Sqlite {
    fn open(path: &Path) -> Self {
        let conn = Connection::open(path).unwrap();
        conn.busy_timeout(Duration::from_secs(60)).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |row| row.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS totp_factor (
                 id      TEXT PRIMARY KEY,
                 record  TEXT NOT NULL,
                 version INTEGER NOT NULL
             )",
        )
        .unwrap();
        Self {
            conn,
            lost_races: Cell::new(0),
        }
    }

    /// The version column, to check it against the record's own.
    fn version_column(&self, id: &str) -> u64 {
        let v: i64 = self
            .conn
            .query_row("SELECT version FROM totp_factor WHERE id = ?1", [id], |r| {
                r.get(0)
            })
            .unwrap();
        u64::try_from(v).unwrap()
    }
}

impl Store<TotpRecord> for Sqlite {
    type Id = str;
    type Error = DbError;

    fn load(&self, id: &str) -> Result<Option<TotpRecord>, DbError> {
        let json: Option<String> = self
            .conn
            .query_row(
                "SELECT record FROM totp_factor WHERE id = ?1",
                [id],
                |row| row.get(0),
            )
            .optional()?;
        Ok(json.map(|j| serde_json::from_str(&j)).transpose()?)
    }

    fn insert(&self, id: &str, record: &TotpRecord) -> Result<Cas, DbError> {
        let changed = self.conn.execute(
            "INSERT INTO totp_factor (id, record, version) VALUES (?1, ?2, ?3)
                 ON CONFLICT (id) DO NOTHING",
            params![
                id,
                serde_json::to_string(record)?,
                i64::try_from(record.version())?
            ],
        )?;
        Ok(if changed == 1 {
            Cas::Committed
        } else {
            Cas::Conflict
        })
    }

    fn compare_and_set(
        &self,
        id: &str,
        expected: u64,
        record: &TotpRecord,
    ) -> Result<Cas, DbError> {
        assert_eq!(record.version(), expected + 1);
        let json = serde_json::to_string(record)?;
        // IMMEDIATE takes the write lock up front (waiting up to the busy
        // timeout), so the statement never runs on a stale snapshot.
        let tx = Transaction::new_unchecked(&self.conn, TransactionBehavior::Immediate)?;
        let changed = tx.execute(
            "UPDATE totp_factor SET record = ?1, version = version + 1
                 WHERE id = ?2 AND version = ?3",
            params![json, id, i64::try_from(expected)?],
        )?;
        tx.commit()?;
        if changed == 1 {
            Ok(Cas::Committed)
        } else {
            self.lost_races.set(self.lost_races.get() + 1);
            Ok(Cas::Conflict)
        }
    }
}

/// A fresh database file with one record.
fn database(name: &str, record: &TotpRecord) -> PathBuf {
    let path = std::env::temp_dir().join(format!("mfa-{name}-{}.sqlite", std::process::id()));
    remove(&path);
    let db = Sqlite::open(&path);
    assert_eq!(db.insert(ID, record).unwrap(), Cas::Committed);
    assert_eq!(db.insert(ID, record).unwrap(), Cas::Conflict);
    path
}

fn remove(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let mut p = path.as_os_str().to_owned();
        p.push(suffix);
        let _ = std::fs::remove_file(p);
    }
}

fn key() -> Totp {
    Totp::new(
        &Secret::from_bytes(b"12345678901234567890").unwrap(),
        TotpConfig::default(),
    )
    .unwrap()
}

/// `n` distinct codes that are the code of no step within ±10 of `now`.
fn wrong_codes(totp: &Totp, now: u64, n: usize) -> Vec<String> {
    let step = totp.step_at(now).unwrap();
    let window: Vec<String> = (step - 10..=step + 10)
        .map(|s| totp.generate_at_step(s).to_string())
        .collect();
    (0..1_000_000u32)
        .map(|c| format!("{c:06}"))
        .filter(|c| !window.contains(c))
        .take(n)
        .collect()
}

type Outcome = Result<Result<mfa::TotpMatch, VerifyFailure>, StoreError<DbError>>;

/// What a burst did.
struct Burst {
    /// Every caller's outcome.
    outcomes: Vec<Outcome>,
    /// How many times a code was evaluated (the operation ran and was not
    /// refused by the throttle), whether or not its write then won.
    evaluations: usize,
    /// How many of those writes lost a race (and were discarded).
    lost_races: usize,
}

/// Runs `codes` through `update` from 16 threads at once, each on its own
/// connection, all at time `now`.
fn burst(path: &Path, codes: Vec<String>, now: u64) -> Burst {
    let codes = Arc::new(codes);
    let next = Arc::new(AtomicU32::new(0));
    let barrier = Arc::new(Barrier::new(THREADS));
    let threads: Vec<_> = (0..THREADS)
        .map(|_| {
            let (path, codes, next, barrier) = (
                path.to_owned(),
                codes.clone(),
                next.clone(),
                barrier.clone(),
            );
            std::thread::spawn(move || {
                let db = Sqlite::open(&path);
                barrier.wait();
                let mut outcomes = Vec::new();
                let mut evaluations = 0;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    let Some(code) = codes.get(i) else {
                        return (outcomes, evaluations, db.lost_races.get());
                    };
                    outcomes.push(db.update(ID, |record| {
                        let attempt = record.verify(code, now);
                        evaluations += usize::from(attempt.record().is_some());
                        attempt
                    }));
                }
            })
        })
        .collect();
    let mut all = Burst {
        outcomes: Vec::new(),
        evaluations: 0,
        lost_races: 0,
    };
    for t in threads {
        let (outcomes, evaluations, lost_races) = t.join().unwrap();
        all.outcomes.extend(outcomes);
        all.evaluations += evaluations;
        all.lost_races += lost_races;
    }
    eprintln!(
        "{} calls: {:?} (accepted, rejected, refused, conflicts); {} evaluations, {} lost races",
        all.outcomes.len(),
        tally(&all.outcomes),
        all.evaluations,
        all.lost_races
    );
    // Every evaluation was either written (and answered) or lost a race
    // (and discarded): none vanished, none was written twice.
    let (accepted, rejected, _, _) = tally(&all.outcomes);
    assert_eq!(all.evaluations, accepted + rejected + all.lost_races);
    all
}

/// Tallies outcomes: (accepted, rejected, refused, conflicts).
fn tally(outcomes: &[Outcome]) -> (usize, usize, usize, usize) {
    let mut t = (0, 0, 0, 0);
    for o in outcomes {
        match o {
            Ok(Ok(_)) => t.0 += 1,
            Ok(Err(VerifyFailure::Rejected)) => t.1 += 1,
            Ok(Err(VerifyFailure::Refused(_))) => t.2 += 1,
            Err(StoreError::Conflict { .. }) => t.3 += 1,
            other => panic!("unexpected outcome {other:?}"),
        }
    }
    t
}

#[test]
fn one_valid_code_from_16_threads_is_accepted_exactly_once() {
    let totp = key();
    let code = totp.generate(NOW).unwrap().to_string();
    let path = database("one-code", &TotpRecord::new(totp.clone()));

    let outcomes = burst(&path, vec![code; THREADS], NOW).outcomes;
    let (accepted, rejected, refused, conflicts) = tally(&outcomes);
    assert_eq!(accepted, 1, "{outcomes:?}");
    assert_eq!(accepted + rejected + refused + conflicts, THREADS);

    // After the success, every evaluated copy was a replay, counted once.
    let db = Sqlite::open(&path);
    let record = db.load(ID).unwrap().unwrap();
    assert_eq!(record.last_step(), Some(totp.step_at(NOW).unwrap()));
    assert_eq!(record.throttle().failures() as usize, rejected);
    assert!(rejected <= 4, "three forgiven replays, then the backoff");
    assert_eq!(record.version() as usize, accepted + rejected);
    assert_eq!(db.version_column(ID), record.version());
    remove(&path);
}

#[test]
fn a_burst_of_1000_wrong_guesses_gets_exactly_max_failures_evaluations() {
    let totp = key();
    let policy = ThrottlePolicy::builder().initial_delay(0).build().unwrap(); // lockouts only
    let max = policy.max_failures() as usize;
    let path = database(
        "burst",
        &TotpRecord::with_policy(totp.clone(), policy).unwrap(),
    );

    let Burst {
        outcomes,
        evaluations,
        lost_races,
    } = burst(&path, wrong_codes(&totp, NOW, 1_000), NOW);
    assert!(evaluations >= max && evaluations - lost_races == max);
    let (accepted, rejected, refused, conflicts) = tally(&outcomes);
    assert_eq!(outcomes.len(), 1_000, "nothing lost");
    assert_eq!(accepted, 0);
    assert_eq!(
        rejected, max,
        "evaluated answers: exactly the lockout's allowance"
    );
    assert_eq!(refused + conflicts, 1_000 - max);
    assert!(
        outcomes
            .iter()
            .all(|o| !matches!(o, Ok(Err(VerifyFailure::Refused(Refused::Backoff { .. })))))
    );

    let db = Sqlite::open(&path);
    let record = db.load(ID).unwrap().unwrap();
    assert_eq!(
        record.throttle().failures() as usize,
        max,
        "no failure lost or double-counted"
    );
    assert_eq!(
        record.version() as usize,
        max,
        "one write per evaluated failure"
    );
    assert_eq!(db.version_column(ID), record.version());
    assert!(record.throttle().is_locked_out(NOW + 899));
    assert!(!record.throttle().is_locked_out(NOW + 900));
    // The right code is refused too, now, and in the lockout's last second.
    let good = totp.generate(NOW).unwrap().to_string();
    assert_eq!(
        db.update(ID, |r| r.verify(&good, NOW)).unwrap(),
        Err(VerifyFailure::Refused(Refused::LockedOut {
            retry_at: NOW + 900,
            retry_after: 900
        }))
    );
    let late = totp.generate(NOW + 899).unwrap().to_string();
    assert_eq!(
        db.update(ID, |r| r.verify(&late, NOW + 899)).unwrap(),
        Err(VerifyFailure::Refused(Refused::LockedOut {
            retry_at: NOW + 900,
            retry_after: 1
        }))
    );
    // From NOW + 900, it is accepted.
    let after = totp.generate(NOW + 900).unwrap().to_string();
    assert!(
        db.update(ID, |r| r.verify(&after, NOW + 900))
            .unwrap()
            .is_ok()
    );

    // The success keeps the strike: a second burst, at once, gets exactly
    // two evaluated answers, a forgiven typo and a lockout of 1,800 s.
    let Burst {
        outcomes,
        evaluations,
        lost_races,
    } = burst(&path, wrong_codes(&totp, NOW + 900, 1_000), NOW + 900);
    assert_eq!(evaluations - lost_races, 2);
    let (accepted, rejected, refused, conflicts) = tally(&outcomes);
    assert_eq!((accepted, rejected), (0, 2));
    assert_eq!(refused + conflicts, 1_000 - 2);
    assert!(
        outcomes
            .iter()
            .all(|o| !matches!(o, Ok(Err(VerifyFailure::Refused(Refused::Backoff { .. })))))
    );
    let record = db.load(ID).unwrap().unwrap();
    let t = record.throttle();
    assert_eq!((t.failures(), t.strikes()), (2, 2));
    assert_eq!(record.version() as usize, max + 3);
    assert!(t.is_locked_out(NOW + 2_699));
    assert!(!t.is_locked_out(NOW + 2_700));
    remove(&path);
}

#[test]
fn with_a_backoff_a_burst_at_one_instant_gets_the_forgiven_failures_then_one_evaluation() {
    let totp = key();
    let policy = ThrottlePolicy::default(); // 3 forgiven, then 1 s, 2 s, 4 s ...
    let path = database(
        "backoff",
        &TotpRecord::with_policy(totp.clone(), policy).unwrap(),
    );

    // Round 0 gets the three forgiven failures and the fourth, which backs
    // off for 1 s; each later round gets one, which doubles the backoff.
    let rounds: [(usize, u64); 5] = [(4, 1), (1, 2), (1, 4), (1, 8), (1, 16)];
    let mut now = NOW;
    let mut failures = 0;
    for (round, (evaluated, wait)) in rounds.into_iter().enumerate() {
        let outcomes = burst(&path, wrong_codes(&totp, now, 200), now).outcomes;
        let (accepted, rejected, refused, conflicts) = tally(&outcomes);
        assert_eq!((accepted, rejected), (0, evaluated), "round {round}");
        assert_eq!(refused + conflicts, 200 - evaluated);
        failures += evaluated as u32;
        let retry_at = now + wait;
        assert_eq!(policy.wait_after(failures), wait);
        for o in &outcomes {
            if let Ok(Err(VerifyFailure::Refused(r))) = o {
                assert_eq!(
                    *r,
                    Refused::Backoff {
                        retry_at,
                        retry_after: wait
                    },
                    "round {round}"
                );
            }
        }
        let record = Sqlite::open(&path).load(ID).unwrap().unwrap();
        assert_eq!(record.throttle().failures(), failures);
        assert_eq!(record.throttle().retry_at(), retry_at);
        // The last second of the backoff is refused; the first after it is not.
        now = retry_at;
        assert!(matches!(
            record.verify("000000", now - 1).into_parts(),
            (None, Err(VerifyFailure::Refused(_)))
        ));
    }
    remove(&path);
}
