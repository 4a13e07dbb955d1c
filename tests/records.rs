//! Factor records: every rule at its boundaries, with a simulated clock.
//! Replay (RFC 6238 §5.2, RFC 4226 §7.2), drift and resynchronisation
//! (RFC 6238 §6, RFC 4226 §7.4), throttling (RFC 4226 §7.3, NIST
//! SP 800-63B), and the store's load → operate → compare-and-set loop.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mfa::{
    Attempt, Cas, CodeError, Hotp, HotpConfig, HotpRecord, Refused, Secret, Store, StoreError,
    ThrottlePolicy, TimeError, Totp, TotpConfig, TotpRecord, VerifyFailure, Versioned,
};

/// The start of a 30-second step: 56,666,667 × 30.
const NOW: u64 = 1_700_000_010;
const PERIOD: u64 = 30;

fn rfc_secret() -> Secret {
    Secret::from_bytes(b"12345678901234567890").unwrap()
}

fn totp_with(config: TotpConfig) -> Totp {
    Totp::new(&rfc_secret(), config).unwrap()
}

fn totp() -> Totp {
    totp_with(TotpConfig::default())
}

fn hotp() -> Hotp {
    Hotp::new(&rfc_secret(), HotpConfig::default()).unwrap()
}

/// The code the user's phone shows at `time`.
fn phone(totp: &Totp, time: u64) -> String {
    totp.generate(time).unwrap().to_string()
}

/// A code that is the code of no step within ±3,000 of `now`.
fn wrong_totp(totp: &Totp, now: u64) -> String {
    let step = totp.step_at(now).unwrap();
    let codes: Vec<String> = (step - 3_000..=step + 3_000)
        .map(|s| totp.generate_at_step(s).to_string())
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !codes.contains(c))
        .unwrap()
}

/// A code that is the code of no counter from 0 to 2,000.
fn wrong_hotp(hotp: &Hotp) -> String {
    let codes: Vec<String> = (0..=2_000).map(|c| hotp.generate(c).to_string()).collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !codes.contains(c))
        .unwrap()
}

/// An attempt that must have changed the record.
fn written<R: Versioned, T>(before: u64, attempt: Attempt<R, T>) -> (R, Result<T, VerifyFailure>) {
    let (record, outcome) = attempt.into_parts();
    let record = record.expect("the attempt changed the record");
    assert_eq!(record.version(), before + 1, "one change, one version");
    (record, outcome)
}

/// An attempt that must have changed nothing.
fn unchanged<R, T>(attempt: Attempt<R, T>) -> Result<T, VerifyFailure> {
    let (record, outcome) = attempt.into_parts();
    assert!(record.is_none(), "the attempt must not change the record");
    outcome
}

fn verify(
    record: &TotpRecord,
    code: &str,
    now: u64,
) -> (TotpRecord, Result<mfa::TotpMatch, VerifyFailure>) {
    written(record.version(), record.verify(code, now))
}

// ---------------------------------------------------------------- TOTP

#[test]
fn a_new_record_consumes_the_confirmation_step() {
    let record = TotpRecord::new(totp());
    assert_eq!(record.last_step(), None);
    let code = phone(record.totp(), NOW);
    let (record, outcome) = verify(&record, &code, NOW);
    let step = outcome.unwrap().step;
    assert_eq!(record.last_step(), Some(step));
    // The confirmation code again, in the same second and the next step.
    let (record, outcome) = verify(&record, &code, NOW);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
    assert_eq!(record.throttle().failures(), 1);
    let (_, outcome) = verify(&record, &code, NOW + PERIOD);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
}

#[test]
fn replay_is_rejected_even_inside_the_window() {
    let key = totp();
    let step = key.step_at(NOW).unwrap();
    // The phone is a little fast: its code is the next step's.
    let ahead = key.generate_at_step(step + 1).to_string();
    let (record, outcome) = verify(&TotpRecord::new(key.clone()), &ahead, NOW);
    assert_eq!(outcome.unwrap().offset, 1);
    // The current step's code is inside the window but not after the last
    // accepted step: rejected.
    let current = key.generate_at_step(step).to_string();
    let (record, outcome) = verify(&record, &current, NOW);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
    // The first step after the last accepted one is accepted (after the
    // one-second backoff of the failure).
    let next = key.generate_at_step(step + 2).to_string();
    let (record, outcome) = verify(&record, &next, NOW + PERIOD);
    assert_eq!(outcome.unwrap().step, step + 2);
    assert_eq!(record.last_step(), Some(step + 2));
}

#[test]
fn last_second_of_a_code_and_the_first_after() {
    let key = totp();
    let code = phone(&key, NOW); // step s; window ±1 accepts it from s-1 to s+1
    let fresh = TotpRecord::new(key);
    let last_second = NOW + 2 * PERIOD - 1;
    assert_eq!(verify(&fresh, &code, last_second).1.unwrap().offset, -1);
    assert_eq!(
        verify(&fresh, &code, last_second + 1).1,
        Err(VerifyFailure::Rejected)
    );
    let first_second = NOW - PERIOD;
    assert_eq!(verify(&fresh, &code, first_second).1.unwrap().offset, 1);
    assert_eq!(
        verify(&fresh, &code, first_second - 1).1,
        Err(VerifyFailure::Rejected)
    );
}

#[test]
fn drift_is_recorded_and_applied() {
    let key = totp();
    let mut record = TotpRecord::new(key.clone());
    // A phone whose clock falls behind by one more step before each login.
    for lag in 1..=4u64 {
        let now = NOW + lag * 3_600;
        let code = phone(&key, now - lag * PERIOD);
        let (next, outcome) = verify(&record, &code, now);
        assert_eq!(outcome.unwrap().offset, -(lag as i64), "lag {lag}");
        assert_eq!(next.drift(), -(lag as i64));
        record = next;
    }
    // Without the recorded drift, a code 5 steps old is outside ±1; with
    // drift -4 the window is now-5 ..= now-3.
    let now = NOW + 5 * 3_600;
    let code = phone(&key, now - 5 * PERIOD);
    assert!(key.verify(&code, now, record.last_step()).is_err());
    let (record, outcome) = verify(&record, &code, now);
    assert_eq!(outcome.unwrap().offset, -5);
    // The window moved, but the window around now is scanned too: a phone
    // whose clock was corrected is accepted, and the drift resets.
    let now = now + 3_600;
    let (record, outcome) = verify(&record, &phone(&key, now), now);
    assert_eq!(outcome.unwrap().offset, 0);
    assert_eq!(record.drift(), 0);
    // Between the two windows (drift 0 now): a code 3 steps old is refused.
    let now = now + 3_600;
    let (_, outcome) = verify(&record, &phone(&key, now - 3 * PERIOD), now);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
}

#[test]
fn drift_is_bounded_by_the_resync_range() {
    let key = totp_with(TotpConfig::default().resync(3));
    let mut record = TotpRecord::new(key.clone());
    assert_eq!(record.max_drift(), 3);
    for lag in 1..=5u64 {
        let now = NOW + lag * 3_600;
        let code = phone(&key, now - lag * PERIOD);
        let (next, outcome) = verify(&record, &code, now);
        let lag = lag as i64;
        if lag <= 4 {
            // Accepted: within the window around the (bounded) drift.
            assert_eq!(outcome.unwrap().offset, -lag);
            assert_eq!(next.drift(), -lag.min(3), "clamped to the bound");
            record = next;
        } else {
            // Drift -3, window -4 ..= -2: a phone 5 steps slow is out.
            assert_eq!(outcome, Err(VerifyFailure::Rejected));
        }
    }
    assert_eq!(record.drift(), -3);
}

#[test]
fn resync_recovers_a_far_off_phone_and_records_its_drift() {
    let key = totp();
    let record = TotpRecord::new(key.clone());
    let skew = 50 * PERIOD; // 25 minutes fast
    let (record, outcome) = verify(&record, &phone(&key, NOW + skew), NOW);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
    // During the backoff, resync is refused too, and not evaluated.
    let first = phone(&key, NOW + skew);
    let second = phone(&key, NOW + skew + PERIOD);
    assert_eq!(
        unchanged(record.resync(&first, &second, NOW)),
        Err(VerifyFailure::Refused(Refused::Backoff {
            retry_at: NOW + 1
        }))
    );
    let (record, outcome) = written(record.version(), record.resync(&first, &second, NOW + 1));
    assert_eq!(outcome.unwrap().offset, 51);
    assert_eq!(record.drift(), 51);
    assert_eq!(
        record.throttle().failures(),
        0,
        "a success resets the count"
    );
    // Replaying the pair fails; the phone's next code is accepted.
    let (_, outcome) = written(record.version(), record.resync(&first, &second, NOW + 2));
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
    let later = NOW + 600;
    let (record, outcome) = verify(&record, &phone(&key, later + skew), later);
    assert_eq!(outcome.unwrap().offset, 50);
    assert_eq!(record.drift(), 50);
}

#[test]
fn resync_range_boundary() {
    let key = totp_with(TotpConfig::default().resync(10));
    let record = TotpRecord::new(key.clone());
    let pair = |offset: u64| {
        (
            phone(&key, NOW + (offset - 1) * PERIOD),
            phone(&key, NOW + offset * PERIOD),
        )
    };
    let (a, b) = pair(10);
    assert_eq!(
        record.resync(&a, &b, NOW).into_parts().1.unwrap().offset,
        10
    );
    let (a, b) = pair(11);
    assert_eq!(
        record.resync(&a, &b, NOW).into_parts().1,
        Err(VerifyFailure::Rejected)
    );
}

#[test]
fn the_throttle_is_checked_before_the_code() {
    let key = totp();
    let good = phone(&key, NOW);
    let (failed, outcome) = verify(&TotpRecord::new(key.clone()), &wrong_totp(&key, NOW), NOW);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
    assert_eq!(failed.throttle().retry_at(), NOW + 1);
    // The right code during the backoff: refused, not evaluated, nothing
    // written; malformed input likewise.
    let refused = Err(VerifyFailure::Refused(Refused::Backoff {
        retry_at: NOW + 1,
    }));
    assert_eq!(unchanged(failed.verify(&good, NOW)), refused);
    assert_eq!(unchanged(failed.verify("1", NOW)), refused);
    // From the first second after it, evaluated; a success resets.
    let (ok, outcome) = verify(&failed, &good, NOW + 1);
    assert!(outcome.is_ok());
    assert_eq!(ok.throttle(), mfa::Throttle::default());
}

#[test]
fn backoff_doubles_at_its_edges() {
    let key = totp();
    let wrong = wrong_totp(&key, NOW);
    let policy = ThrottlePolicy::default();
    let mut record = TotpRecord::new(key);
    let mut now = NOW;
    for n in 1..policy.get_max_failures() {
        let (next, outcome) = verify(&record, &wrong, now);
        assert_eq!(outcome, Err(VerifyFailure::Rejected));
        record = next;
        let delay = policy.delay_after(n);
        assert_eq!(delay, 1 << (n - 1));
        assert_eq!(
            unchanged(record.verify(&wrong, now + delay - 1)),
            Err(VerifyFailure::Refused(Refused::Backoff {
                retry_at: now + delay
            }))
        );
        now += delay;
    }
    assert_eq!(record.throttle().failures(), 9);
}

#[test]
fn lockout_at_exactly_max_failures() {
    let key = totp();
    let policy = ThrottlePolicy::default().initial_delay(0);
    let wrong = wrong_totp(&key, NOW);
    let mut record = TotpRecord::with_policy(key.clone(), policy).unwrap();
    for _ in 0..9 {
        record = verify(&record, &wrong, NOW).0;
    }
    // The 10th attempt is evaluated: the right code still gets in...
    let good = phone(&key, NOW);
    assert!(verify(&record, &good, NOW).1.is_ok());
    // ...and a wrong one is the attempt that locks.
    let (locked, outcome) = verify(&record, &wrong, NOW);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
    assert_eq!(locked.throttle().failures(), 10);
    // The attempt after: refused, the right code included, at any time.
    for now in [NOW, NOW + 1, u64::MAX] {
        assert_eq!(
            unchanged(locked.verify(&good, now)),
            Err(VerifyFailure::Refused(Refused::LockedOut))
        );
    }
    assert_eq!(
        unchanged(locked.resync(&good, &good, NOW)),
        Err(VerifyFailure::Refused(Refused::LockedOut))
    );
    // Lifted only by another path.
    let unlocked = locked.unlock();
    assert_eq!(unlocked.version(), locked.version() + 1);
    assert!(verify(&unlocked, &good, NOW).1.is_ok());
}

#[test]
fn malformed_input_counts_as_a_failure() {
    let record = TotpRecord::new(totp());
    let (record, outcome) = verify(&record, "12345", NOW);
    assert_eq!(
        outcome,
        Err(VerifyFailure::Malformed(CodeError::WrongLength {
            expected: 6,
            found: 5
        }))
    );
    assert_eq!(record.throttle().failures(), 1);
    let (record, outcome) = verify(&record, "12a456", NOW + 1);
    assert_eq!(
        outcome,
        Err(VerifyFailure::Malformed(CodeError::NotADigit {
            position: 3
        }))
    );
    assert_eq!(record.throttle().failures(), 2);
    assert_eq!(record.last_step(), None);
}

#[test]
fn a_time_before_t0_changes_nothing() {
    let key = totp_with(TotpConfig::default().t0(NOW));
    let record = TotpRecord::new(key);
    assert_eq!(
        unchanged(record.verify("123456", NOW - 1)),
        Err(VerifyFailure::Time(TimeError::BeforeT0))
    );
}

#[test]
fn failures_stay_opaque_and_debug_shows_no_secret() {
    let key = totp();
    let record = TotpRecord::new(key.clone());
    // Wrong, replayed and out-of-window codes fail alike.
    let (used, _) = verify(&record, &phone(&key, NOW), NOW);
    let replay = verify(&used, &phone(&key, NOW), NOW + 10).1;
    let stale = verify(&record, &phone(&key, NOW - 10 * PERIOD), NOW).1;
    let wrong = verify(&record, &wrong_totp(&key, NOW), NOW).1;
    assert_eq!(replay, Err(VerifyFailure::Rejected));
    assert_eq!(stale, replay);
    assert_eq!(wrong, replay);
    let debug = format!("{record:?} {used:#?}");
    for secret in ["GEZDGNBV", "12345678901234567890", "49, 50"] {
        assert!(!debug.contains(secret), "{debug}");
    }
}

// ---------------------------------------------------------------- HOTP

fn hverify(
    record: &HotpRecord,
    code: &str,
    now: u64,
) -> (HotpRecord, Result<mfa::HotpMatch, VerifyFailure>) {
    written(record.version(), record.verify(code, now))
}

#[test]
fn hotp_counter_moves_past_the_match() {
    let key = hotp();
    let record = HotpRecord::new(key.clone());
    // Look-ahead boundary: 5 past the expected counter is accepted, 6 not.
    assert_eq!(
        hverify(&record, &key.generate(5).to_string(), NOW)
            .1
            .unwrap()
            .counter,
        5
    );
    assert_eq!(
        hverify(&record, &key.generate(6).to_string(), NOW).1,
        Err(VerifyFailure::Rejected)
    );
    let (record, outcome) = hverify(&record, &key.generate(2).to_string(), NOW);
    assert_eq!(outcome.unwrap().offset, 2);
    assert_eq!(record.next_counter(), 3);
    // The matched code and every earlier one are spent.
    for spent in 0..=2 {
        let (_, outcome) = hverify(&record, &key.generate(spent).to_string(), NOW + 100);
        assert_eq!(outcome, Err(VerifyFailure::Rejected), "counter {spent}");
    }
    let (record, outcome) = hverify(&record, &key.generate(3).to_string(), NOW);
    assert_eq!(outcome.unwrap().offset, 0);
    assert_eq!(record.next_counter(), 4);
}

#[test]
fn hotp_resync() {
    let key = Hotp::new(&rfc_secret(), HotpConfig::default().resync(20)).unwrap();
    let record = HotpRecord::new(key.clone()).starting_at(10);
    let code = |c: u64| key.generate(c).to_string();
    // 20 past the expected counter is the edge of the range.
    let (synced, outcome) = written(0, record.resync(&code(29), &code(30), NOW));
    assert_eq!(outcome.unwrap().counter, 30);
    assert_eq!(synced.next_counter(), 31);
    assert_eq!(
        written(0, record.resync(&code(30), &code(31), NOW)).1,
        Err(VerifyFailure::Rejected)
    );
    // Not consecutive, or replayed: rejected.
    assert_eq!(
        written(0, record.resync(&code(20), &code(22), NOW)).1,
        Err(VerifyFailure::Rejected)
    );
    let (_, replay) = written(1, synced.resync(&code(29), &code(30), NOW));
    assert_eq!(replay, Err(VerifyFailure::Rejected));
}

#[test]
fn hotp_throttle_and_lockout() {
    let key = hotp();
    let wrong = wrong_hotp(&key);
    let good = key.generate(0).to_string();
    let record = HotpRecord::with_policy(key, ThrottlePolicy::default().max_failures(3)).unwrap();
    let (record, _) = hverify(&record, &wrong, NOW);
    assert_eq!(
        unchanged(record.verify(&good, NOW)),
        Err(VerifyFailure::Refused(Refused::Backoff {
            retry_at: NOW + 1
        }))
    );
    let (record, outcome) = hverify(&record, "1234567", NOW + 1);
    assert!(matches!(outcome, Err(VerifyFailure::Malformed(_))));
    assert_eq!(
        unchanged(record.verify(&good, NOW + 2)),
        Err(VerifyFailure::Refused(Refused::Backoff {
            retry_at: NOW + 3
        }))
    );
    // The third failure locks; the attempt after is refused.
    let (locked, _) = hverify(&record, &wrong, NOW + 3);
    assert_eq!(locked.throttle().failures(), 3);
    assert_eq!(
        unchanged(locked.verify(&good, u64::MAX)),
        Err(VerifyFailure::Refused(Refused::LockedOut))
    );
    let (record, outcome) = hverify(&locked.unlock(), &good, NOW + 4);
    assert!(outcome.is_ok());
    assert_eq!(record.throttle().failures(), 0);
}

// ---------------------------------------------------------------- Store

/// A store that loses every race, and counts how often it was asked.
struct AlwaysConflicts {
    record: TotpRecord,
    writes: std::cell::Cell<u32>,
}

impl Store<TotpRecord> for AlwaysConflicts {
    type Id = ();
    type Error = std::convert::Infallible;

    fn load(&self, (): &()) -> Result<Option<TotpRecord>, Self::Error> {
        Ok(Some(self.record.clone()))
    }

    fn insert(&self, (): &(), _: &TotpRecord) -> Result<Cas, Self::Error> {
        Ok(Cas::Conflict)
    }

    fn compare_and_set(&self, (): &(), _: u64, _: &TotpRecord) -> Result<Cas, Self::Error> {
        self.writes.set(self.writes.get() + 1);
        Ok(Cas::Conflict)
    }
}

#[test]
fn update_gives_up_after_max_tries_and_discards_the_outcome() {
    let key = totp();
    let store = AlwaysConflicts {
        record: TotpRecord::new(key.clone()),
        writes: std::cell::Cell::new(0),
    };
    let mut evaluations = 0;
    let result = store.update(&(), |r| {
        evaluations += 1;
        r.verify(&phone(&key, NOW), NOW)
    });
    assert_eq!(result, Err(StoreError::Conflict { tries: 8 }));
    assert_eq!((evaluations, store.writes.get()), (8, 8));
    // A refused attempt writes nothing, so it never conflicts.
    let locked = TotpRecord::with_policy(key, ThrottlePolicy::default().max_failures(1)).unwrap();
    let locked = locked.verify("1", NOW).into_parts().0.unwrap();
    let store = AlwaysConflicts {
        record: locked,
        writes: std::cell::Cell::new(0),
    };
    let result = store.update(&(), |r| r.verify("123456", NOW));
    assert_eq!(result, Ok(Err(VerifyFailure::Refused(Refused::LockedOut))));
    assert_eq!(store.writes.get(), 0);
}

/// A store whose backend always fails.
struct Broken;

impl Store<HotpRecord> for Broken {
    type Id = str;
    type Error = &'static str;

    fn load(&self, _: &str) -> Result<Option<HotpRecord>, &'static str> {
        Err("disk on fire")
    }

    fn insert(&self, _: &str, _: &HotpRecord) -> Result<Cas, &'static str> {
        Err("disk on fire")
    }

    fn compare_and_set(&self, _: &str, _: u64, _: &HotpRecord) -> Result<Cas, &'static str> {
        Err("disk on fire")
    }
}

#[test]
fn update_refuses_a_record_whose_version_did_not_advance() {
    let key = totp();
    let store = AlwaysConflicts {
        record: TotpRecord::new(key.clone()),
        writes: std::cell::Cell::new(0),
    };
    // An operation that returns the loaded record unchanged (version 0).
    let result = store.update(&(), |r| {
        mfa::Attempt::new(Some(r.clone()), Ok::<(), VerifyFailure>(()))
    });
    assert_eq!(
        result,
        Err(StoreError::VersionNotAdvanced {
            loaded: 0,
            returned: 0
        })
    );
    assert_eq!(store.writes.get(), 0, "nothing is written");
}

#[test]
fn update_reports_backend_errors() {
    let result = Broken.update("x", |r: &HotpRecord| r.verify("123456", NOW));
    assert_eq!(result, Err(StoreError::Backend("disk on fire")));
    assert_eq!(
        StoreError::Backend("disk on fire").to_string(),
        "the store failed: disk on fire"
    );
}

#[cfg(feature = "std")]
mod memory {
    use super::*;
    use mfa::MemoryStore;
    use std::sync::{Arc, Barrier};

    #[test]
    fn update_writes_failures_but_not_refusals() {
        let key = totp();
        let store = MemoryStore::new();
        assert_eq!(
            store.insert(&1u64, &TotpRecord::new(key.clone())),
            Ok(Cas::Committed)
        );
        assert_eq!(
            store.update(&2, |r| r.verify("123456", NOW)),
            Err(StoreError::NotFound)
        );
        let wrong = wrong_totp(&key, NOW);
        assert_eq!(
            store.update(&1, |r| r.verify(&wrong, NOW)),
            Ok(Err(VerifyFailure::Rejected))
        );
        let after_failure = store.load(&1).unwrap().unwrap();
        assert_eq!(
            (after_failure.version(), after_failure.throttle().failures()),
            (1, 1)
        );
        assert_eq!(
            store.update(&1, |r| r.verify(&wrong, NOW)),
            Ok(Err(VerifyFailure::Refused(Refused::Backoff {
                retry_at: NOW + 1
            })))
        );
        assert_eq!(store.load(&1).unwrap(), Some(after_failure));
        let good = phone(&key, NOW);
        assert!(
            store
                .update(&1, |r| r.verify(&good, NOW + 1))
                .unwrap()
                .is_ok()
        );
        assert_eq!(store.load(&1).unwrap().unwrap().version(), 2);
    }

    #[test]
    fn one_code_sixteen_threads_one_success() {
        let key = totp();
        let code = phone(&key, NOW);
        let store = Arc::new(MemoryStore::new());
        let _ = store.insert(&"alice", &TotpRecord::new(key)).unwrap();
        let barrier = Arc::new(Barrier::new(16));
        let outcomes: Vec<_> = (0..16)
            .map(|_| {
                let (store, barrier, code) = (store.clone(), barrier.clone(), code.clone());
                std::thread::spawn(move || {
                    barrier.wait();
                    store.update(&"alice", |r| r.verify(&code, NOW))
                })
            })
            .collect::<Vec<_>>()
            .into_iter()
            .map(|t| t.join().unwrap())
            .collect();
        let accepted = outcomes.iter().filter(|o| matches!(o, Ok(Ok(_)))).count();
        assert_eq!(accepted, 1, "{outcomes:?}");
    }
}
