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

use std::convert::Infallible;

use mfa::{
    Attempt, Cas, CodeError, Destination, Hotp, HotpConfig, HotpRecord, OobError, OobKey,
    OobPolicy, OobRecord, RecoveryCodes, RecoveryError, RecoveryPolicy, Refused, Secret, Store,
    StoreError, Throttle, ThrottlePolicy, TimeError, Totp, TotpConfig, TotpRecord, VerifyFailure,
    Versioned,
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
    // The first step after the last accepted one is accepted (the failure
    // before it was a forgiven one: no backoff).
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
    // One second later it is two steps old: refused, and said to be old.
    assert_eq!(
        verify(&fresh, &code, last_second + 1).1,
        Err(VerifyFailure::ClockBehind)
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
    // Between the two windows (drift 0 now): a code 3 steps old is refused
    // (as an old one).
    let now = now + 3_600;
    let (_, outcome) = verify(&record, &phone(&key, now - 3 * PERIOD), now);
    assert_eq!(outcome, Err(VerifyFailure::ClockBehind));
}

#[test]
fn drift_is_bounded_by_the_resync_range() {
    let key = totp_with(TotpConfig::builder().resync(3).build().unwrap());
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
    let (mut record, outcome) = verify(&record, &phone(&key, NOW + skew), NOW);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
    // Three more failures: the fourth starts a 1 s backoff, during which
    // resync is refused too, and not evaluated.
    for _ in 0..3 {
        record = verify(&record, &wrong_totp(&key, NOW), NOW).0;
    }
    let first = phone(&key, NOW + skew);
    let second = phone(&key, NOW + skew + PERIOD);
    assert_eq!(
        unchanged(record.resync(&first, &second, NOW)),
        Err(VerifyFailure::Refused(Refused::Backoff {
            retry_at: NOW + 1,
            retry_after: 1
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
    let key = totp_with(TotpConfig::builder().resync(10).build().unwrap());
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
    let wrong = wrong_totp(&key, NOW);
    let mut failed = TotpRecord::new(key.clone());
    for n in 1..=4 {
        let outcome;
        (failed, outcome) = verify(&failed, &wrong, NOW);
        assert_eq!(outcome, Err(VerifyFailure::Rejected));
        let wait = u64::from(n > 3);
        assert_eq!(failed.throttle().retry_at(), NOW + wait, "failure {n}");
    }
    // The right code during the backoff: refused, not evaluated, nothing
    // written; malformed input likewise.
    let refused = Err(VerifyFailure::Refused(Refused::Backoff {
        retry_at: NOW + 1,
        retry_after: 1,
    }));
    assert_eq!(unchanged(failed.verify(&good, NOW)), refused);
    assert_eq!(unchanged(failed.verify("1", NOW)), refused);
    // From the first second after it, evaluated; a success resets the
    // count (no lockout, so no strike): three typos are forgiven again,
    // the fourth backs off for 1 s.
    let (mut ok, outcome) = verify(&failed, &good, NOW + 1);
    assert!(outcome.is_ok());
    let t = ok.throttle();
    assert_eq!((t.failures(), t.retry_at(), t.strikes()), (0, 0, 0));
    for n in 1..=4 {
        ok = verify(&ok, &wrong, NOW + 2).0;
        let wait = u64::from(n > 3);
        assert_eq!(ok.throttle().retry_at(), NOW + 2 + wait, "failure {n}");
    }
}

/// Fails `record` with `wrong` at the first second each attempt is
/// evaluated, `failures` times from `now`: the record, the time of the
/// last failure, and the wait each failure imposed.
fn fail_totp(
    mut record: TotpRecord,
    wrong: &str,
    mut now: u64,
    failures: u32,
) -> (TotpRecord, u64, Vec<u64>) {
    let mut waits = Vec::new();
    for n in 1..=failures {
        now = now.max(record.throttle().retry_at());
        let (next, outcome) = verify(&record, wrong, now);
        assert_eq!(outcome, Err(VerifyFailure::Rejected), "failure {n}");
        record = next;
        let wait = record.throttle().retry_at() - now;
        if wait > 0 {
            // Refused in the wait's last second, with the wait stated.
            let refused = unchanged(record.verify(wrong, now + wait - 1));
            let Err(VerifyFailure::Refused(refused)) = refused else {
                panic!("failure {n}: not refused: {refused:?}");
            };
            assert_eq!((refused.retry_at(), refused.retry_after()), (now + wait, 1));
            assert_eq!(
                matches!(refused, Refused::LockedOut { .. }),
                record.throttle().is_lockout()
            );
        }
        waits.push(wait);
    }
    (record, now, waits)
}

#[test]
fn backoff_doubles_at_its_edges() {
    let key = totp();
    let wrong = wrong_totp(&key, NOW);
    // Three forgiven typos, then 1 s doubling; the 10th failure locks.
    let (record, _, waits) = fail_totp(TotpRecord::new(key.clone()), &wrong, NOW, 9);
    assert_eq!(waits, [0, 0, 0, 1, 2, 4, 8, 16, 32]);
    assert_eq!(record.throttle().failures(), 9);
    assert!(!record.throttle().is_lockout());
    // The backoff is capped at max_delay, exactly.
    let capped =
        TotpRecord::with_policy(key, ThrottlePolicy::builder().max_delay(4).build().unwrap())
            .unwrap();
    let (_, _, waits) = fail_totp(capped, &wrong, NOW, 9);
    assert_eq!(waits, [0, 0, 0, 1, 2, 4, 4, 4, 4]);
}

#[test]
fn backoff_is_said_in_seconds_from_now() {
    let key = totp();
    let wrong = wrong_totp(&key, NOW);
    let (record, last, _) = fail_totp(TotpRecord::new(key), &wrong, NOW, 5);
    assert_eq!(record.throttle().retry_at(), last + 2);
    let refused = unchanged(record.verify(&wrong, last));
    assert_eq!(
        refused,
        Err(VerifyFailure::Refused(Refused::Backoff {
            retry_at: last + 2,
            retry_after: 2
        }))
    );
    assert_eq!(
        refused.unwrap_err().to_string(),
        "too many failed attempts; try again in 2 s"
    );
}

#[test]
fn lockout_at_exactly_max_failures_ends_and_doubles() {
    let key = totp();
    let policy = ThrottlePolicy::builder().initial_delay(0).build().unwrap(); // lockouts only
    let wrong = wrong_totp(&key, NOW);
    let record = TotpRecord::with_policy(key.clone(), policy).unwrap();
    let (record, _, waits) = fail_totp(record, &wrong, NOW, 9);
    assert_eq!(waits, [0; 9]);
    // The 10th attempt is evaluated: the right code still gets in...
    let good = phone(&key, NOW);
    assert!(verify(&record, &good, NOW).1.is_ok());
    // ...and a wrong one is the attempt that locks, for 900 s.
    let (locked, outcome) = verify(&record, &wrong, NOW);
    assert_eq!(outcome, Err(VerifyFailure::Rejected));
    assert_eq!(locked.throttle().failures(), 10);
    assert!(locked.throttle().is_lockout());
    assert!(locked.throttle().is_locked_out(NOW + 899));
    assert!(!locked.throttle().is_locked_out(NOW + 900));
    // Until then: refused, the right code included.
    let later = phone(&key, NOW + 899);
    for (now, code) in [(NOW, &good), (NOW + 1, &good), (NOW + 899, &later)] {
        assert_eq!(
            unchanged(locked.verify(code, now)),
            Err(VerifyFailure::Refused(Refused::LockedOut {
                retry_at: NOW + 900,
                retry_after: NOW + 900 - now
            }))
        );
    }
    assert_eq!(
        unchanged(locked.resync(&good, &good, NOW + 899)),
        Err(VerifyFailure::Refused(Refused::LockedOut {
            retry_at: NOW + 900,
            retry_after: 1
        }))
    );
    assert_eq!(
        unchanged(locked.verify(&good, NOW))
            .unwrap_err()
            .to_string(),
        "locked after too many failed attempts; try again in 15 min"
    );
    // Another path lifts it at once, and leaves the strike.
    let unlocked = locked.unlock();
    assert_eq!(unlocked.version(), locked.version() + 1);
    assert_eq!(unlocked.throttle().strikes(), 1);
    assert!(verify(&unlocked, &good, NOW).1.is_ok());
    // Otherwise it ends at NOW + 900: the right code is accepted then.
    let at_end = phone(&key, NOW + 900);
    let (owner, outcome) = verify(&locked, &at_end, NOW + 900);
    assert!(outcome.is_ok());
    // Without a success, the run goes on from NOW + 900: its next failure
    // (the 11th in a row) locks at once, for twice as long.
    let (locked, last, waits) = fail_totp(locked, &wrong, NOW + 900, 1);
    assert_eq!(waits, [1_800]);
    assert_eq!((last, locked.throttle().failures()), (NOW + 900, 11));
    assert_eq!(
        unchanged(locked.verify(&good, NOW + 2_699)),
        Err(VerifyFailure::Refused(Refused::LockedOut {
            retry_at: NOW + 2_700,
            retry_after: 1
        }))
    );
    let at_end = phone(&key, NOW + 2_700);
    let (record, outcome) = verify(&locked, &at_end, NOW + 2_700);
    assert!(outcome.is_ok());
    let t = record.throttle();
    assert_eq!((t.failures(), t.retry_at(), t.strikes()), (0, 0, 2));
    // With the owner's success between, the strike stays: one typo is
    // forgiven, and the next failure locks for 1,800 s all the same.
    let (_, _, waits) = fail_totp(owner, &wrong, NOW + 901, 2);
    assert_eq!(waits, [0, 1_800]);
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
    let key = totp_with(TotpConfig::builder().t0(NOW).build().unwrap());
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
    // Wrong, replayed and future codes fail alike; only a code of a past
    // step that could still have been fresh says it is old.
    let (used, _) = verify(&record, &phone(&key, NOW), NOW);
    let replay = verify(&used, &phone(&key, NOW), NOW + 10).1;
    let future = verify(&record, &phone(&key, NOW + 10 * PERIOD), NOW).1;
    let wrong = verify(&record, &wrong_totp(&key, NOW), NOW).1;
    assert_eq!(replay, Err(VerifyFailure::Rejected));
    assert_eq!(future, replay);
    assert_eq!(wrong, replay);
    let stale = verify(&record, &phone(&key, NOW - 10 * PERIOD), NOW).1;
    assert_eq!(stale, Err(VerifyFailure::ClockBehind));
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
    let key = Hotp::new(
        &rfc_secret(),
        HotpConfig::builder().resync(20).build().unwrap(),
    )
    .unwrap();
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
    // One forgiven failure, then a 1 s backoff; the third locks.
    let policy = ThrottlePolicy::builder()
        .free_failures(1)
        .max_failures(3)
        .build()
        .unwrap();
    let record = HotpRecord::with_policy(key, policy).unwrap();
    let (record, _) = hverify(&record, &wrong, NOW);
    assert_eq!(record.throttle().retry_at(), NOW, "forgiven");
    let (record, outcome) = hverify(&record, "1234567", NOW);
    assert!(matches!(outcome, Err(VerifyFailure::Malformed(_))));
    assert_eq!(
        unchanged(record.verify(&good, NOW)),
        Err(VerifyFailure::Refused(Refused::Backoff {
            retry_at: NOW + 1,
            retry_after: 1
        }))
    );
    // The third failure locks for 900 s; until then the right code is
    // refused.
    let (locked, _) = hverify(&record, &wrong, NOW + 1);
    assert_eq!(locked.throttle().failures(), 3);
    assert_eq!(
        unchanged(locked.verify(&good, NOW + 900)),
        Err(VerifyFailure::Refused(Refused::LockedOut {
            retry_at: NOW + 901,
            retry_after: 1
        }))
    );
    assert_eq!(
        unchanged(locked.resync(&good, &good, NOW + 900)),
        Err(VerifyFailure::Refused(Refused::LockedOut {
            retry_at: NOW + 901,
            retry_after: 1
        }))
    );
    let (record, outcome) = hverify(&locked.unlock(), &good, NOW + 2);
    assert!(outcome.is_ok());
    assert_eq!(
        (record.throttle().failures(), record.throttle().strikes()),
        (0, 1)
    );
    let (record, outcome) = hverify(&locked, &good, NOW + 901);
    assert!(outcome.is_ok(), "the lockout ends");
    let t = record.throttle();
    assert_eq!((t.failures(), t.retry_at(), t.strikes()), (0, 0, 1));
    // The strike stays: the one forgiven failure, then, instead of the
    // 1 s backoff, a lockout of 1,800 s.
    let (record, _) = hverify(&record, &wrong, NOW + 901);
    assert_eq!(record.throttle().retry_at(), NOW + 901, "forgiven");
    let (record, _) = hverify(&record, &wrong, NOW + 901);
    assert_eq!(
        unchanged(record.verify(&good, NOW + 2_700)),
        Err(VerifyFailure::Refused(Refused::LockedOut {
            retry_at: NOW + 2_701,
            retry_after: 1
        }))
    );
}

#[test]
fn from_the_10th_failure_each_failure_locks_and_lockouts_grow_to_a_day() {
    let key = hotp();
    let wrong = wrong_hotp(&key);
    let good = key.generate(0).to_string();
    let mut record = HotpRecord::new(key);
    let mut now = NOW;
    let mut waits = Vec::new();
    for n in 1..=102u32 {
        now = now.max(record.throttle().retry_at());
        let (next, outcome) = hverify(&record, &wrong, now);
        assert_eq!(outcome, Err(VerifyFailure::Rejected), "failure {n}");
        record = next;
        let wait = record.throttle().retry_at() - now;
        if record.throttle().is_lockout() {
            assert_eq!(
                unchanged(record.verify(&good, now + wait - 1)),
                Err(VerifyFailure::Refused(Refused::LockedOut {
                    retry_at: now + wait,
                    retry_after: 1
                })),
                "failure {n}"
            );
        }
        assert_eq!(wait, ThrottlePolicy::default().wait_after(n), "failure {n}");
        waits.push((n, wait, record.throttle().is_lockout()));
    }
    // 3 forgiven, 1 s to 32 s, then from the 10th failure on a lockout
    // each: 900 s doubling with each, a day from the 17th, up to 100
    // failures in a row and past them.
    let mut expected: Vec<(u64, bool)> = [0, 0, 0, 1, 2, 4, 8, 16, 32].map(|w| (w, false)).to_vec();
    expected.extend([900, 1_800, 3_600, 7_200, 14_400, 28_800, 57_600].map(|w| (w, true)));
    expected.extend([(86_400, true); 86]);
    let got: Vec<(u64, bool)> = waits.iter().map(|&(_, w, l)| (w, l)).collect();
    assert_eq!(got, expected);
    // The 17th failure would lock for 900 × 2^7 = 115,200 s: capped.
    assert_eq!(waits[15], (16, 57_600, true));
    assert_eq!(waits[16], (17, 86_400, true));
    assert_eq!(record.throttle().strikes(), 93);
    // Even then, the wait ends, and the right code is accepted; the
    // strikes stay: one forgiven typo, then a day again.
    let end = record.throttle().retry_at();
    let (record, outcome) = hverify(&record, &good, end);
    assert!(outcome.is_ok());
    let t = record.throttle();
    assert_eq!((t.failures(), t.retry_at(), t.strikes()), (0, 0, 93));
    let (record, _) = hverify(&record, &wrong, end);
    assert_eq!(record.throttle().retry_at(), end, "forgiven");
    let (record, _) = hverify(&record, &wrong, end);
    assert_eq!(record.throttle().retry_at(), end + 86_400);

    // With runs of 7 and a first lockout of 1 s, the 6th failure backs
    // off 4 s, the 7th locks for 1 s and each after it for twice the one
    // before, until 2^20 s passes the longest lockout (a week) at the
    // 27th; past 100, a week each.
    let policy = ThrottlePolicy::builder()
        .max_failures(7)
        .lockout(1)
        .max_lockout(ThrottlePolicy::MAX_LOCKOUT)
        .build()
        .unwrap();
    let mut record = HotpRecord::with_policy(hotp(), policy).unwrap();
    let mut now = NOW;
    let mut waits = Vec::new();
    for _ in 1..=101 {
        now = now.max(record.throttle().retry_at());
        record = hverify(&record, &wrong, now).0;
        waits.push((
            record.throttle().retry_at() - now,
            record.throttle().is_lockout(),
        ));
    }
    assert_eq!(waits[5], (4, false), "the 6th failure");
    assert_eq!(waits[6], (1, true), "the 7th failure");
    assert_eq!(waits[7], (2, true), "the 8th failure");
    assert_eq!(waits[25], (524_288, true), "the 26th failure");
    assert!(
        waits[26..]
            .iter()
            .all(|&w| w == (ThrottlePolicy::MAX_LOCKOUT, true)),
        "{waits:?}"
    );
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
    let policy = ThrottlePolicy::builder()
        .free_failures(0)
        .max_failures(1)
        .build()
        .unwrap();
    let locked = TotpRecord::with_policy(key, policy).unwrap();
    let locked = locked.verify("1", NOW).into_parts().0.unwrap();
    let store = AlwaysConflicts {
        record: locked,
        writes: std::cell::Cell::new(0),
    };
    let result = store.update(&(), |r| r.verify("123456", NOW + 1));
    assert_eq!(
        result,
        Ok(Err(VerifyFailure::Refused(Refused::LockedOut {
            retry_at: NOW + 900,
            retry_after: 899
        })))
    );
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
        // Every failure is written, the forgiven ones included.
        for n in 1..=4 {
            assert_eq!(
                store.update(&1, |r| r.verify(&wrong, NOW)),
                Ok(Err(VerifyFailure::Rejected))
            );
            let after_failure = store.load(&1).unwrap().unwrap();
            assert_eq!(
                (after_failure.version(), after_failure.throttle().failures()),
                (n, n as u32)
            );
        }
        // The fourth started a backoff: a refusal writes nothing.
        let after_failure = store.load(&1).unwrap().unwrap();
        assert_eq!(
            store.update(&1, |r| r.verify(&wrong, NOW)),
            Ok(Err(VerifyFailure::Refused(Refused::Backoff {
                retry_at: NOW + 1,
                retry_after: 1
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
        assert_eq!(store.load(&1).unwrap().unwrap().version(), 5);
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

// ------------------------------------------- Every record kind, one rule each

fn oob_key() -> OobKey {
    OobKey::from_bytes(&[0x42; 32]).unwrap()
}

fn sms() -> Destination {
    Destination::sms("+14155552671").unwrap()
}

/// A random source that makes the 6-digit code `value` (below 10^6).
fn fixed(value: u64) -> impl FnMut(&mut [u8]) -> Result<(), Infallible> {
    move |buf: &mut [u8]| {
        for (dst, src) in buf.iter_mut().zip(value.to_be_bytes().iter().cycle()) {
            *dst = *src;
        }
        Ok(())
    }
}

/// Sends at `now`, which must be allowed: the code `value`, or the code
/// in flight again while it lives.
fn send(record: &OobRecord, policy: &OobPolicy, value: u64, now: u64) -> OobRecord {
    let alive = record
        .pending()
        .is_some_and(|p| now < p.expires_at() && p.failures() < policy.max_attempts());
    let (new, delivery) = record
        .issue_with(policy, &oob_key(), &sms(), now, fixed(value))
        .into_parts();
    let (new, delivery) = (new.unwrap(), delivery.unwrap());
    if alive {
        assert_eq!(new.pending(), record.pending(), "sent again");
    } else {
        assert_eq!(delivery.code().expose(), format!("{value:06}"));
    }
    new
}

/// Checks `input` at `now`; the attempt must have been evaluated (the
/// record written).
fn oob_check(
    record: &OobRecord,
    policy: &OobPolicy,
    input: &str,
    now: u64,
) -> (OobRecord, Result<(), OobError>) {
    let (new, outcome) = record
        .verify(policy, &oob_key(), &sms(), input, now)
        .into_parts();
    let new = new.unwrap_or_else(|| panic!("not evaluated at {now}: {outcome:?}"));
    assert_eq!(new.version(), record.version() + 1);
    (new, outcome)
}

/// Checks `input` at `now`; the attempt must have changed nothing (refused
/// by the throttle, or by the state of the code in flight).
fn oob_unchanged(record: &OobRecord, policy: &OobPolicy, input: &str, now: u64) -> OobError {
    let (new, outcome) = record
        .verify(policy, &oob_key(), &sms(), input, now)
        .into_parts();
    assert!(new.is_none(), "evaluated at {now}: {outcome:?}");
    outcome.unwrap_err()
}

/// The cheapest allowed hashing, so the tests run fast in debug builds,
/// throttled like the factors (recovery codes are unthrottled by default).
fn recovery_policy() -> RecoveryPolicy {
    RecoveryPolicy::builder()
        .iterations(RecoveryPolicy::MIN_ITERATIONS)
        .throttle(ThrottlePolicy::default())
        .build()
        .unwrap()
}

fn recovery_check(
    record: &RecoveryCodes,
    policy: &RecoveryPolicy,
    input: &str,
    now: u64,
) -> (RecoveryCodes, Result<(), RecoveryError>) {
    let (new, outcome) = record.verify(policy, input, now).into_parts();
    let new = new.unwrap_or_else(|| panic!("not evaluated at {now}: {outcome:?}"));
    assert_eq!(new.version(), record.version() + 1);
    (new, outcome)
}

fn recovery_unchanged(
    record: &RecoveryCodes,
    policy: &RecoveryPolicy,
    input: &str,
    now: u64,
) -> RecoveryError {
    let (new, outcome) = record.verify(policy, input, now).into_parts();
    assert!(new.is_none(), "evaluated at {now}: {outcome:?}");
    outcome.unwrap_err()
}

const WRONG_RECOVERY: &str = "0000-0000-0000-0000";

/// Issue 8, finding 9: the policy that judges a record is no longer
/// whoever calls last. A lockout imposed under `max_failures(3)` holds when
/// later calls pass a policy of 100 (which would not have locked), and a
/// record throttled under 100 is not locked out by a call passing 3.
#[test]
fn a_lockout_imposed_under_one_policy_holds_under_any_other() {
    // Two forgiven failures, then the third locks for 900 s.
    let three = ThrottlePolicy::builder()
        .free_failures(2)
        .max_failures(3)
        .build()
        .unwrap();
    let hundred = ThrottlePolicy::builder().max_failures(100).build().unwrap();
    let locked_until = |retry_at: u64, now: u64| Refused::LockedOut {
        retry_at,
        retry_after: retry_at - now,
    };

    // Out-of-band codes.
    let strict = OobPolicy::builder()
        .resend_cooldown(0)
        .throttle(three)
        .build()
        .unwrap();
    let lax = OobPolicy::builder()
        .resend_cooldown(0)
        .throttle(hundred)
        .build()
        .unwrap();
    let mut record = send(&OobRecord::new(), &strict, 123_456, NOW);
    for _ in 0..3 {
        record = oob_check(&record, &strict, "999999", NOW).0;
    }
    assert!(record.throttle().is_locked_out(NOW));
    for now in [NOW, NOW + 1, NOW + 899] {
        // The right code, under the lax policy: still refused.
        assert_eq!(
            oob_unchanged(&record, &lax, "123456", now),
            OobError::Refused(locked_until(NOW + 900, now)),
            "{now}"
        );
        let (unchanged, outcome) = record
            .issue_with(&lax, &oob_key(), &sms(), now, fixed(1))
            .into_parts();
        assert!(unchanged.is_none());
        assert_eq!(
            outcome.err(),
            Some(OobError::Refused(locked_until(NOW + 900, now)))
        );
    }
    // At NOW + 900 the lockout is over: the code in flight (expired at
    // NOW + 300) is evaluated again, and a new one is sent and accepted.
    assert_eq!(
        oob_unchanged(&record, &lax, "123456", NOW + 900),
        OobError::Expired
    );
    let record = send(&record, &lax, 654_321, NOW + 900);
    assert_eq!(oob_check(&record, &lax, "654321", NOW + 900).1, Ok(()));
    // The other way: 4 failures under 100 are a 1 s backoff, and a call
    // passing 3 does not turn them into a lockout.
    let mut record = send(&OobRecord::new(), &lax, 123_456, NOW);
    for _ in 0..4 {
        record = oob_check(&record, &lax, "999999", NOW).0;
    }
    assert_eq!(
        oob_unchanged(&record, &strict, "123456", NOW),
        OobError::Refused(Refused::Backoff {
            retry_at: NOW + 1,
            retry_after: 1
        })
    );
    assert_eq!(oob_check(&record, &strict, "123456", NOW + 1).1, Ok(()));

    // Recovery codes.
    let strict = recovery_policy()
        .to_builder()
        .throttle(three)
        .build()
        .unwrap();
    let lax = recovery_policy()
        .to_builder()
        .throttle(hundred)
        .build()
        .unwrap();
    let (mut record, codes) = RecoveryCodes::generate(&strict, NOW).unwrap();
    let code = codes[0].expose();
    for _ in 0..3 {
        record = recovery_check(&record, &strict, WRONG_RECOVERY, NOW).0;
    }
    for now in [NOW, NOW + 1, NOW + 899] {
        assert_eq!(
            recovery_unchanged(&record, &lax, code, now),
            RecoveryError::Refused(locked_until(NOW + 900, now)),
            "{now}"
        );
    }
    assert_eq!(recovery_check(&record, &lax, code, NOW + 900).1, Ok(()));
    let (mut record, codes) = RecoveryCodes::generate(&lax, NOW).unwrap();
    let code = codes[0].expose();
    for _ in 0..4 {
        record = recovery_check(&record, &lax, WRONG_RECOVERY, NOW).0;
    }
    assert_eq!(
        recovery_unchanged(&record, &strict, code, NOW),
        RecoveryError::Refused(Refused::Backoff {
            retry_at: NOW + 1,
            retry_after: 1
        })
    );
    assert_eq!(recovery_check(&record, &strict, code, NOW + 1).1, Ok(()));
}

/// Under the default policy, the time of the `n`-th wrong attempt, each
/// made at the first second it is evaluated, is `NOW + SCHEDULE[n - 2]`:
/// three forgiven failures, then 1, 2, 4, 8, 16, 32 s. After the 10th (at
/// NOW + 63), a 900 s lockout: attempts are evaluated again from NOW + 963.
const SCHEDULE: [u64; 10] = [0, 0, 0, 1, 3, 7, 15, 31, 63, 963];
const LOCKOUT_ENDS: u64 = NOW + 963;

fn locked_out_at(now: u64) -> Refused {
    Refused::LockedOut {
        retry_at: LOCKOUT_ENDS,
        retry_after: LOCKOUT_ENDS - now,
    }
}

/// A lockout ends: after 10 wrong codes, each made as soon as it is
/// evaluated, each record kind is locked out until exactly `retry_at`, and
/// at `retry_at` the right code is accepted.
#[test]
fn a_lockout_ends_at_retry_at_for_every_record_kind() {
    // TOTP.
    let key = totp();
    let wrong = wrong_totp(&key, NOW);
    let mut record = TotpRecord::new(key.clone());
    let mut now = NOW;
    for (n, after) in (1..).zip(SCHEDULE) {
        record = verify(&record, &wrong, now).0;
        assert_eq!(
            record.throttle().retry_at(),
            NOW + after,
            "TOTP failure {n}"
        );
        now = NOW + after;
    }
    assert!(record.throttle().is_lockout());
    for t in [NOW + 63, LOCKOUT_ENDS - 1] {
        assert_eq!(
            unchanged(record.verify(&phone(&key, t), t)),
            Err(VerifyFailure::Refused(locked_out_at(t)))
        );
    }
    let (record, outcome) = verify(&record, &phone(&key, LOCKOUT_ENDS), LOCKOUT_ENDS);
    assert!(outcome.is_ok());
    after_one_lockout(record.throttle());

    // HOTP.
    let key = hotp();
    let wrong = wrong_hotp(&key);
    let good = key.generate(0).to_string();
    let mut record = HotpRecord::new(key);
    let mut now = NOW;
    for (n, after) in (1..).zip(SCHEDULE) {
        record = hverify(&record, &wrong, now).0;
        assert_eq!(
            record.throttle().retry_at(),
            NOW + after,
            "HOTP failure {n}"
        );
        now = NOW + after;
    }
    for t in [NOW + 63, LOCKOUT_ENDS - 1] {
        assert_eq!(
            unchanged(record.verify(&good, t)),
            Err(VerifyFailure::Refused(locked_out_at(t)))
        );
    }
    let (record, outcome) = hverify(&record, &good, LOCKOUT_ENDS);
    assert_eq!(outcome.unwrap().counter, 0);
    after_one_lockout(record.throttle());

    // Out-of-band codes: 5 attempts per code, so a second code carries the
    // 6th to 10th failures (no resend cooldown, to keep to the schedule).
    let policy = OobPolicy::builder().resend_cooldown(0).build().unwrap();
    let mut record = send(&OobRecord::new(), &policy, 111_111, NOW);
    let mut now = NOW;
    for (n, after) in (1..).zip(SCHEDULE) {
        if n == 6 {
            record = send(&record, &policy, 222_222, now);
        }
        let outcome;
        (record, outcome) = oob_check(&record, &policy, "999999", now);
        assert_eq!(outcome, Err(OobError::Rejected), "OOB failure {n}");
        assert_eq!(record.throttle().retry_at(), NOW + after, "OOB failure {n}");
        now = NOW + after;
    }
    for t in [NOW + 63, LOCKOUT_ENDS - 1] {
        assert_eq!(
            oob_unchanged(&record, &policy, "222222", t),
            OobError::Refused(locked_out_at(t))
        );
        let (unchanged, outcome) = record
            .issue_with(&policy, &oob_key(), &sms(), t, fixed(333_333))
            .into_parts();
        assert!(unchanged.is_none());
        assert_eq!(outcome.err(), Some(OobError::Refused(locked_out_at(t))));
    }
    let record = send(&record, &policy, 333_333, LOCKOUT_ENDS);
    let (record, outcome) = oob_check(&record, &policy, "333333", LOCKOUT_ENDS);
    assert_eq!(outcome, Ok(()));
    after_one_lockout(record.throttle());

    // Recovery codes.
    let policy = recovery_policy();
    let (mut record, codes) = RecoveryCodes::generate(&policy, NOW).unwrap();
    let code = codes[0].expose();
    let mut now = NOW;
    for (n, after) in (1..).zip(SCHEDULE) {
        let outcome;
        (record, outcome) = recovery_check(&record, &policy, WRONG_RECOVERY, now);
        assert_eq!(
            outcome,
            Err(RecoveryError::Rejected),
            "recovery failure {n}"
        );
        assert_eq!(
            record.throttle().retry_at(),
            NOW + after,
            "recovery failure {n}"
        );
        now = NOW + after;
    }
    for t in [NOW + 63, LOCKOUT_ENDS - 1] {
        assert_eq!(
            recovery_unchanged(&record, &policy, code, t),
            RecoveryError::Refused(locked_out_at(t))
        );
    }
    let (record, outcome) = recovery_check(&record, &policy, code, LOCKOUT_ENDS);
    assert_eq!(outcome, Ok(()));
    assert_eq!(record.remaining(), 9);
    after_one_lockout(record.throttle());
}

/// The throttle after a success that followed the first lockout: no
/// failures, no wait, and the strike (with the time of the last failure,
/// the 10th, at NOW + 63, which `forget_after` counts from).
fn after_one_lockout(t: Throttle) {
    assert_eq!((t.failures(), t.retry_at(), t.is_lockout()), (0, 0, false));
    assert_eq!(t.strikes(), 1);
    // The same ten failures on a bare throttle, then a success.
    let policy = ThrottlePolicy::default();
    let mut expected = Throttle::default();
    for after in [0].into_iter().chain(SCHEDULE[..9].iter().copied()) {
        expected = expected.after_failure(NOW + after, &policy);
    }
    assert_eq!(t, expected.after_success());
}

/// The first three failures carry no wait (a typo is forgiven): after
/// them, the right code is accepted in the same second; the fourth starts
/// a 1 s backoff. Malformed input is one of the forgiven failures.
#[test]
fn the_first_three_failures_are_forgiven_for_every_record_kind() {
    let backoff = Refused::Backoff {
        retry_at: NOW + 1,
        retry_after: 1,
    };

    // TOTP.
    let key = totp();
    let wrong = wrong_totp(&key, NOW);
    let good = phone(&key, NOW);
    let mut record = TotpRecord::new(key);
    for (n, input) in (1..).zip([wrong.as_str(), "12345", wrong.as_str()]) {
        let outcome;
        (record, outcome) = verify(&record, input, NOW);
        assert!(outcome.unwrap_err().is_counted());
        assert_eq!(record.throttle().retry_at(), NOW, "TOTP failure {n}");
    }
    assert!(verify(&record, &good, NOW).1.is_ok());
    let (record, _) = verify(&record, &wrong, NOW);
    assert_eq!(
        unchanged(record.verify(&good, NOW)),
        Err(VerifyFailure::Refused(backoff))
    );
    assert!(verify(&record, &good, NOW + 1).1.is_ok());

    // HOTP.
    let key = hotp();
    let wrong = wrong_hotp(&key);
    let good = key.generate(0).to_string();
    let mut record = HotpRecord::new(key);
    for (n, input) in (1..).zip([wrong.as_str(), "12345", wrong.as_str()]) {
        let outcome;
        (record, outcome) = hverify(&record, input, NOW);
        assert!(outcome.unwrap_err().is_counted());
        assert_eq!(record.throttle().retry_at(), NOW, "HOTP failure {n}");
    }
    assert!(hverify(&record, &good, NOW).1.is_ok());
    let (record, _) = hverify(&record, &wrong, NOW);
    assert_eq!(
        unchanged(record.verify(&good, NOW)),
        Err(VerifyFailure::Refused(backoff))
    );
    assert!(hverify(&record, &good, NOW + 1).1.is_ok());

    // Out-of-band codes.
    let policy = OobPolicy::default();
    let mut record = send(&OobRecord::new(), &policy, 424_242, NOW);
    for (n, input) in (1..).zip(["999999", "12345", "999999"]) {
        let outcome;
        (record, outcome) = oob_check(&record, &policy, input, NOW);
        assert!(
            matches!(outcome, Err(OobError::Rejected | OobError::Malformed(_))),
            "{outcome:?}"
        );
        assert_eq!(record.throttle().retry_at(), NOW, "OOB failure {n}");
    }
    assert_eq!(oob_check(&record, &policy, "424242", NOW).1, Ok(()));
    let (record, _) = oob_check(&record, &policy, "999999", NOW);
    assert_eq!(
        oob_unchanged(&record, &policy, "424242", NOW),
        OobError::Refused(backoff)
    );
    assert_eq!(oob_check(&record, &policy, "424242", NOW + 1).1, Ok(()));

    // Recovery codes.
    let policy = recovery_policy();
    let (mut record, codes) = RecoveryCodes::generate(&policy, NOW).unwrap();
    let code = codes[0].expose();
    for (n, input) in (1..).zip([WRONG_RECOVERY, "0000", WRONG_RECOVERY]) {
        let outcome;
        (record, outcome) = recovery_check(&record, &policy, input, NOW);
        assert!(
            matches!(
                outcome,
                Err(RecoveryError::Rejected | RecoveryError::WrongLength { .. })
            ),
            "{outcome:?}"
        );
        assert_eq!(record.throttle().retry_at(), NOW, "recovery failure {n}");
    }
    assert_eq!(recovery_check(&record, &policy, code, NOW).1, Ok(()));
    let (record, _) = recovery_check(&record, &policy, WRONG_RECOVERY, NOW);
    assert_eq!(
        recovery_unchanged(&record, &policy, code, NOW),
        RecoveryError::Refused(backoff)
    );
    assert_eq!(recovery_check(&record, &policy, code, NOW + 1).1, Ok(()));
}

/// After the first lockout (10 wrong codes, on the schedule above) the
/// owner gets in at `LOCKOUT_ENDS`; a success resets the failures, not
/// the strike. One typo after it is forgiven, and the next failure locks,
/// for 1,800 s: the owner's log-on buys an attacker no fresh run.
const AGAIN: u64 = LOCKOUT_ENDS + 1_800;

fn locked_again_at(now: u64) -> Refused {
    Refused::LockedOut {
        retry_at: AGAIN,
        retry_after: AGAIN - now,
    }
}

#[test]
fn strikes_outlive_the_owners_success_for_every_record_kind() {
    // TOTP.
    let key = totp();
    let wrong = wrong_totp(&key, NOW);
    let mut record = TotpRecord::new(key.clone());
    let mut now = NOW;
    for after in SCHEDULE {
        record = verify(&record, &wrong, now).0;
        now = NOW + after;
    }
    let locked = record;
    for record in [
        verify(&locked, &phone(&key, LOCKOUT_ENDS), LOCKOUT_ENDS).0,
        locked.unlock(),
    ] {
        assert_eq!(record.throttle().strikes(), 1);
        let (typo, _) = verify(&record, &wrong, LOCKOUT_ENDS);
        assert_eq!(typo.throttle().check(LOCKOUT_ENDS), Ok(()), "forgiven");
        let (record, _) = verify(&typo, &wrong, LOCKOUT_ENDS);
        for t in [LOCKOUT_ENDS, AGAIN - 1] {
            assert_eq!(
                unchanged(record.verify(&phone(&key, t), t)),
                Err(VerifyFailure::Refused(locked_again_at(t)))
            );
        }
        let (record, outcome) = verify(&record, &phone(&key, AGAIN), AGAIN);
        assert!(outcome.is_ok());
        assert_eq!(record.throttle().strikes(), 2);
    }

    // HOTP.
    let key = hotp();
    let wrong = wrong_hotp(&key);
    let mut record = HotpRecord::new(key.clone());
    let mut now = NOW;
    for after in SCHEDULE {
        record = hverify(&record, &wrong, now).0;
        now = NOW + after;
    }
    let locked = record;
    let owner = hverify(&locked, &key.generate(0).to_string(), LOCKOUT_ENDS).0;
    for record in [owner, locked.unlock()] {
        let next = key.generate(record.next_counter()).to_string();
        let (typo, _) = hverify(&record, &wrong, LOCKOUT_ENDS);
        assert_eq!(typo.throttle().check(LOCKOUT_ENDS), Ok(()), "forgiven");
        let (record, _) = hverify(&typo, &wrong, LOCKOUT_ENDS);
        for t in [LOCKOUT_ENDS, AGAIN - 1] {
            assert_eq!(
                unchanged(record.verify(&next, t)),
                Err(VerifyFailure::Refused(locked_again_at(t)))
            );
        }
        let (record, outcome) = hverify(&record, &next, AGAIN);
        assert!(outcome.is_ok());
        assert_eq!(record.throttle().strikes(), 2);
    }

    // Out-of-band codes (a new code for the typo and the failure after it,
    // and another once the second lockout ends).
    let policy = OobPolicy::builder().resend_cooldown(0).build().unwrap();
    let mut record = send(&OobRecord::new(), &policy, 111_111, NOW);
    let mut now = NOW;
    for (n, after) in (1..).zip(SCHEDULE) {
        if n == 6 {
            record = send(&record, &policy, 222_222, now);
        }
        record = oob_check(&record, &policy, "999999", now).0;
        now = NOW + after;
    }
    let locked = record;
    let owner = send(&locked, &policy, 333_333, LOCKOUT_ENDS);
    let (owner, outcome) = oob_check(&owner, &policy, "333333", LOCKOUT_ENDS);
    assert_eq!(outcome, Ok(()));
    for record in [owner, locked.unlock()] {
        let record = send(&record, &policy, 444_444, LOCKOUT_ENDS);
        let (typo, _) = oob_check(&record, &policy, "999999", LOCKOUT_ENDS);
        assert_eq!(typo.throttle().check(LOCKOUT_ENDS), Ok(()), "forgiven");
        let (record, _) = oob_check(&typo, &policy, "999999", LOCKOUT_ENDS);
        for t in [LOCKOUT_ENDS, AGAIN - 1] {
            assert_eq!(
                oob_unchanged(&record, &policy, "444444", t),
                OobError::Refused(locked_again_at(t))
            );
        }
        let record = send(&record, &policy, 555_555, AGAIN);
        let (record, outcome) = oob_check(&record, &policy, "555555", AGAIN);
        assert_eq!(outcome, Ok(()));
        assert_eq!(record.throttle().strikes(), 2);
    }

    // Recovery codes, throttled.
    let policy = recovery_policy();
    let (mut record, codes) = RecoveryCodes::generate(&policy, NOW).unwrap();
    let mut now = NOW;
    for after in SCHEDULE {
        record = recovery_check(&record, &policy, WRONG_RECOVERY, now).0;
        now = NOW + after;
    }
    let locked = record;
    let owner = recovery_check(&locked, &policy, codes[0].expose(), LOCKOUT_ENDS).0;
    for record in [owner, locked.unlock()] {
        let (typo, _) = recovery_check(&record, &policy, WRONG_RECOVERY, LOCKOUT_ENDS);
        assert_eq!(typo.throttle().check(LOCKOUT_ENDS), Ok(()), "forgiven");
        let (record, _) = recovery_check(&typo, &policy, WRONG_RECOVERY, LOCKOUT_ENDS);
        for t in [LOCKOUT_ENDS, AGAIN - 1] {
            assert_eq!(
                recovery_unchanged(&record, &policy, codes[1].expose(), t),
                RecoveryError::Refused(locked_again_at(t))
            );
        }
        let (record, outcome) = recovery_check(&record, &policy, codes[1].expose(), AGAIN);
        assert_eq!(outcome, Ok(()));
        assert_eq!(record.throttle().strikes(), 2);
    }
}

/// Failures and strikes are forgotten when a failure comes `forget_after`
/// (30 days by default) or more after the last failure, and not one
/// second before; the time counts from the last failure, not a success.
#[test]
fn failures_and_strikes_are_forgotten_exactly_forget_after_the_last_failure() {
    let forget = ThrottlePolicy::default().forget_after();
    assert_eq!(forget, 30 * 86_400);
    // TOTP: locked out once (the last failure at NOW + 63), then the
    // owner's success at LOCKOUT_ENDS.
    let key = totp();
    let wrong = wrong_totp(&key, NOW);
    let mut record = TotpRecord::new(key.clone());
    let mut now = NOW;
    for after in SCHEDULE {
        record = verify(&record, &wrong, now).0;
        now = NOW + after;
    }
    let last = NOW + 63;
    let owner = verify(&record, &phone(&key, LOCKOUT_ENDS), LOCKOUT_ENDS).0;
    let late = wrong_totp(&key, last + forget);
    // A second before: still wary, one typo, then a lockout of 1,800 s.
    let (_, _, waits) = fail_totp(owner.clone(), &late, last + forget - 1, 2);
    assert_eq!(waits, [0, 1_800]);
    // At last + forget_after: forgotten, three typos, then 1 s.
    let (fresh, _, waits) = fail_totp(owner.clone(), &late, last + forget, 4);
    assert_eq!(waits, [0, 0, 0, 1]);
    assert_eq!(fresh.throttle().strikes(), 0);
    // Each failure restarts the clock: a typo a second before, and the
    // failure at last + forget_after is the second of a wary run.
    let (typo, _) = verify(&owner, &late, last + forget - 1);
    let (locked, _) = verify(&typo, &late, last + forget);
    assert_eq!(locked.throttle().retry_at(), last + forget + 1_800);
    // A run without a lockout is forgotten alike: five failures (a 2 s
    // backoff), then the sixth backs off 4 s, or, 30 days on, is a typo.
    let (five, last, _) = fail_totp(TotpRecord::new(key.clone()), &wrong, NOW, 5);
    assert_eq!(five.throttle().strikes(), 0);
    let late = wrong_totp(&key, last + forget);
    assert_eq!(fail_totp(five.clone(), &late, last + forget - 1, 1).2, [4]);
    assert_eq!(fail_totp(five, &late, last + forget, 1).2, [0]);

    // HOTP, at the shortest forget_after (the longest lockout, a day).
    assert!(
        ThrottlePolicy::builder()
            .forget_after(86_399)
            .build()
            .is_err()
    );
    assert!(
        ThrottlePolicy::builder()
            .forget_after(ThrottlePolicy::MAX_FORGET_AFTER + 1)
            .build()
            .is_err()
    );
    let day = ThrottlePolicy::builder()
        .forget_after(86_400)
        .build()
        .unwrap();
    let key = hotp();
    let wrong = wrong_hotp(&key);
    let mut record = HotpRecord::with_policy(key.clone(), day).unwrap();
    let mut now = NOW;
    for after in SCHEDULE {
        record = hverify(&record, &wrong, now).0;
        now = NOW + after;
    }
    let last = NOW + 63;
    let owner = hverify(&record, &key.generate(0).to_string(), LOCKOUT_ENDS).0;
    let twice = |record: &HotpRecord, at: u64| {
        let record = hverify(record, &wrong, at).0;
        hverify(&record, &wrong, at).0.throttle()
    };
    let wary = twice(&owner, last + 86_399);
    assert_eq!(
        (wary.retry_at(), wary.strikes()),
        (last + 86_399 + 1_800, 2)
    );
    let fresh = twice(&owner, last + 86_400);
    assert_eq!((fresh.retry_at(), fresh.strikes()), (last + 86_400, 0));

    // Out-of-band codes, where one failure locks: the first lockout is
    // 900 s, a repeated one 1,800 s.
    let one = ThrottlePolicy::builder()
        .free_failures(0)
        .max_failures(1)
        .build()
        .unwrap();
    let policy = OobPolicy::builder().throttle(one).build().unwrap();
    let record = send(&OobRecord::new(), &policy, 111_111, NOW);
    let locked = oob_check(&record, &policy, "999999", NOW).0;
    assert_eq!(locked.throttle().retry_at(), NOW + 900);
    let record = send(&locked, &policy, 222_222, NOW + forget - 1);
    for (at, lockout, strikes) in [(NOW + forget - 1, 1_800, 2), (NOW + forget, 900, 1)] {
        let t = oob_check(&record, &policy, "999999", at).0.throttle();
        assert_eq!((t.retry_at(), t.strikes()), (at + lockout, strikes), "{at}");
    }

    // Recovery codes, throttled, likewise.
    let policy = recovery_policy()
        .to_builder()
        .throttle(one)
        .build()
        .unwrap();
    let (record, _) = RecoveryCodes::generate(&policy, NOW).unwrap();
    let locked = recovery_check(&record, &policy, WRONG_RECOVERY, NOW).0;
    for (at, lockout, strikes) in [(NOW + forget - 1, 1_800, 2), (NOW + forget, 900, 1)] {
        let t = recovery_check(&locked, &policy, WRONG_RECOVERY, at)
            .0
            .throttle();
        assert_eq!((t.retry_at(), t.strikes()), (at + lockout, strikes), "{at}");
    }
}

/// Ten codes a day (from the window's first send): the 11th is refused
/// until `day_start + 86,400`, even when the cooldown and the hourly cap
/// would allow it; at that second a new window starts, from that send.
#[test]
fn the_11th_code_sent_in_a_day_waits_for_the_next_day_window() {
    let policy = OobPolicy::default();
    assert_eq!(policy.max_sends_per_day(), 10);
    let day_end = NOW + 86_400;
    // One send an hour: neither the cooldown (60 s) nor the hourly cap
    // (5) holds any back.
    let mut record = OobRecord::new();
    for k in 0..10 {
        record = send(&record, &policy, 100 + k, NOW + 3_600 * k);
    }
    assert_eq!(record.next_send_at(&policy), day_end);
    for now in [NOW + 36_000, day_end - 1] {
        let (unchanged, outcome) = record
            .issue_with(&policy, &oob_key(), &sms(), now, fixed(1))
            .into_parts();
        assert!(unchanged.is_none(), "{now}");
        let limit = OobError::SendLimit {
            retry_at: day_end,
            retry_after: day_end - now,
        };
        assert_eq!(outcome.err(), Some(limit), "{now}");
    }
    let (_, outcome) = record
        .issue_with(&policy, &oob_key(), &sms(), NOW + 36_000, fixed(1))
        .into_parts();
    assert_eq!(
        outcome.err().map(|e| e.to_string()).as_deref(),
        Some("too many codes were sent lately; a new one can be sent in 14 h")
    );
    // A check or an unlock sends nothing and frees no send.
    assert_eq!(record.unlock().next_send_at(&policy), day_end);
    let checked = oob_check(&record, &policy, "000109", NOW + 32_400).0;
    assert_eq!(checked.next_send_at(&policy), day_end);

    // At day_end the 11th goes, and opens the next window.
    let day = day_end;
    let mut record = send(&record, &policy, 110, day);
    // Five in its first hour, then the hourly cap holds the sixth back.
    for k in 1..5 {
        record = send(&record, &policy, 110 + k, day + 60 * k);
    }
    let (_, outcome) = record
        .issue_with(&policy, &oob_key(), &sms(), day + 300, fixed(1))
        .into_parts();
    assert_eq!(
        outcome.err(),
        Some(OobError::SendLimit {
            retry_at: day + 3_600,
            retry_after: 3_300
        })
    );
    for k in 5..10 {
        record = send(&record, &policy, 110 + k, day + 3_600 + 60 * (k - 5));
    }
    // Ten in this window: the next waits for its end, not for the oldest
    // send to be a day old.
    assert_eq!(record.next_send_at(&policy), day + 86_400);
    let (_, outcome) = record
        .issue_with(&policy, &oob_key(), &sms(), day + 86_399, fixed(1))
        .into_parts();
    assert_eq!(
        outcome.err(),
        Some(OobError::SendLimit {
            retry_at: day + 86_400,
            retry_after: 1
        })
    );
    let record = send(&record, &policy, 200, day + 86_400);
    let record = send(&record, &policy, 201, day + 86_460);
    assert_eq!(record.next_send_at(&policy), day + 86_520, "the cooldown");

    // A cap of one: the second send waits a day, cooldown or not.
    let once = OobPolicy::builder()
        .resend_cooldown(0)
        .max_sends_per_day(1)
        .build()
        .unwrap();
    let record = send(&OobRecord::new(), &once, 1, NOW);
    assert_eq!(record.next_send_at(&once), day_end);
    let (_, outcome) = record
        .issue_with(&once, &oob_key(), &sms(), NOW, fixed(2))
        .into_parts();
    assert_eq!(
        outcome.err(),
        Some(OobError::SendLimit {
            retry_at: day_end,
            retry_after: 86_400
        })
    );
    let _ = send(&record, &once, 2, day_end);
}

/// Recovery codes under `ThrottlePolicy::unlimited()` (the default): 80-bit
/// codes need no rate limit, so 1,000 wrong codes in a row are each
/// evaluated at once, and the right one is accepted right after.
#[test]
fn unlimited_recovery_codes_evaluate_1000_wrong_codes_without_a_wait() {
    assert_eq!(
        RecoveryPolicy::default().throttle(),
        ThrottlePolicy::unlimited()
    );
    let policy = RecoveryPolicy::builder()
        .iterations(RecoveryPolicy::MIN_ITERATIONS)
        .count(1)
        .throttle(ThrottlePolicy::unlimited())
        .build()
        .unwrap();
    let (mut record, codes) = RecoveryCodes::generate(&policy, NOW).unwrap();
    for n in 1..=1_000u32 {
        let wrong = format!("{n:04}-0000-0000-0000");
        let outcome;
        (record, outcome) = recovery_check(&record, &policy, &wrong, NOW);
        assert_eq!(outcome, Err(RecoveryError::Rejected), "failure {n}");
        let t = record.throttle();
        assert_eq!((t.failures(), t.check(NOW)), (n, Ok(())), "failure {n}");
        assert!(!t.is_lockout(), "failure {n}");
    }
    assert_eq!(record.throttle().strikes(), 0);
    let (record, outcome) = recovery_check(&record, &policy, codes[0].expose(), NOW);
    assert_eq!(outcome, Ok(()));
    assert_eq!((record.remaining(), record.throttle().failures()), (0, 0));
}
