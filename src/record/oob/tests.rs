//! Out-of-band codes with a simulated clock, at every boundary.

// Simulated times and counts are small; overflow would be a test bug.
#![allow(clippy::arithmetic_side_effects)]

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::convert::Infallible;

use super::*;
use crate::record::throttle::ThrottlePolicy;

const T0: u64 = 1_700_000_000;

fn key() -> OobKey {
    OobKey::from_bytes(&[0x42; 32]).unwrap()
}

fn phone() -> Destination {
    Destination::sms("+14155552671").unwrap()
}

/// A random source that always yields `value` as 8 big-endian bytes, so the
/// code is `value` modulo 10^digits.
fn fixed(value: u64) -> impl FnMut(&mut [u8]) -> Result<(), Infallible> {
    move |buf: &mut [u8]| {
        for (dst, src) in buf.iter_mut().zip(value.to_be_bytes().iter().cycle()) {
            *dst = *src;
        }
        Ok(())
    }
}

/// Issues a code whose digits are `value`, expecting success.
fn issue(
    record: &OobRecord,
    policy: &OobPolicy,
    to: &Destination,
    now: u64,
    value: u64,
) -> (OobRecord, OobDelivery) {
    let (record, delivery) = record
        .issue_with(policy, &key(), to, now, fixed(value))
        .into_parts();
    (record.unwrap(), delivery.unwrap())
}

/// Verifies, returning the record to keep (the new one, or the old one if
/// unchanged) and the outcome.
fn verify(
    record: &OobRecord,
    policy: &OobPolicy,
    to: &Destination,
    input: &str,
    now: u64,
) -> (OobRecord, Result<(), OobError>) {
    let (new, outcome) = record.verify(policy, &key(), to, input, now).into_parts();
    match &new {
        Some(new) => assert_eq!(new.version(), record.version() + 1),
        None => assert!(outcome.is_err(), "a success always changes the record"),
    }
    (new.unwrap_or_else(|| record.clone()), outcome)
}

/// A policy without backoff (nine free failures in a row, then from the
/// 10th each failure locks: 900 s, then doubling), to test per-code limits
/// in isolation.
fn no_backoff() -> OobPolicy {
    OobPolicy::builder()
        .throttle(
            ThrottlePolicy::builder()
                .initial_delay(0)
                .max_delay(0)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap()
}

#[test]
fn right_code_accepted_once() {
    let policy = OobPolicy::default();
    let (record, delivery) = issue(&OobRecord::new(), &policy, &phone(), T0, 123_456);
    assert_eq!(delivery.code().expose(), "123456");
    assert_eq!(record.version(), 1);
    let (record, outcome) = verify(&record, &policy, &phone(), "123456", T0 + 1);
    assert_eq!(outcome, Ok(()));
    assert!(record.pending().is_none(), "consumed");
    let (unchanged, outcome) = record
        .verify(&policy, &key(), &phone(), "123456", T0 + 2)
        .into_parts();
    assert_eq!(outcome, Err(OobError::NoPendingCode));
    assert!(unchanged.is_none());
}

#[test]
fn codes_are_zero_padded_and_sized_by_policy() {
    let (_, delivery) = issue(&OobRecord::new(), &OobPolicy::default(), &phone(), T0, 42);
    assert_eq!(delivery.code().expose(), "000042");
    let ten = OobPolicy::builder().digits(10).build().unwrap();
    let (record, delivery) = issue(&OobRecord::new(), &ten, &phone(), T0, 9_876_543_210);
    assert_eq!(delivery.code().expose(), "9876543210");
    let (_, outcome) = verify(&record, &ten, &phone(), "98765 43210", T0);
    assert_eq!(outcome, Ok(()));
    // A 6-digit answer to a 10-digit code is malformed.
    let (_, outcome) = verify(&record, &ten, &phone(), "987654", T0);
    assert_eq!(
        outcome,
        Err(OobError::Malformed(CodeError::WrongLength {
            expected: 10,
            found: 6
        }))
    );
}

#[test]
fn os_random_codes_are_digits_and_differ() {
    let policy = OobPolicy::default();
    let codes: Vec<String> = (0..20)
        .map(|i| {
            let (_, delivery) = OobRecord::new()
                .issue(&policy, &key(), &phone(), T0 + i)
                .into_parts();
            delivery.unwrap().code().expose().to_string()
        })
        .collect();
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
    );
    let mut unique = codes.clone();
    unique.sort();
    unique.dedup();
    assert!(unique.len() > 15, "{codes:?}");
}

#[test]
fn rejection_sampling_has_no_modulo_bias() {
    // 2^64 - 1 = 18446744073709551615; the largest multiple of 10^6 that fits
    // is 18446744073709000000, the first rejected draw.
    let limit = 18_446_744_073_709_000_000u64;
    let digits = code::draw(6, &mut fixed(limit - 1)).unwrap();
    assert_eq!(digits.as_bytes(), b"999999");
    assert!(code::draw(6, &mut fixed(limit)).is_none());
    assert!(code::draw(6, &mut fixed(u64::MAX)).is_none());
    // A rejected draw is followed by a fresh one.
    let mut draws = [limit, 7].into_iter();
    let mut source = |buf: &mut [u8]| -> Result<(), Infallible> {
        buf.copy_from_slice(&draws.next().unwrap_or(0).to_be_bytes());
        Ok(())
    };
    assert_eq!(code::draw(6, &mut source).unwrap().as_bytes(), b"000007");
    // 10 digits: the limit is the largest multiple of 10^10.
    let limit10 = u64::MAX / 10_000_000_000 * 10_000_000_000;
    assert!(code::draw(10, &mut fixed(limit10)).is_none());
    assert_eq!(
        code::draw(10, &mut fixed(limit10 - 1)).unwrap().as_bytes(),
        b"9999999999"
    );
    // A failing source gives no code.
    assert!(code::draw(6, &mut |_: &mut [u8]| Err::<(), ()>(())).is_none());
    let (unchanged, outcome) = OobRecord::new()
        .issue_with(
            &OobPolicy::default(),
            &key(),
            &phone(),
            T0,
            |_: &mut [u8]| Err::<(), ()>(()),
        )
        .into_parts();
    assert!(unchanged.is_none());
    assert_eq!(outcome.err(), Some(OobError::RandomSource));
}

#[test]
fn last_second_of_life_and_first_after() {
    let policy = OobPolicy::default();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 111_111);
    let (_, outcome) = verify(&record, &policy, &phone(), "111111", T0 + 299);
    assert_eq!(outcome, Ok(()), "the 300th second is still valid");
    let (unchanged, outcome) = record
        .verify(&policy, &key(), &phone(), "111111", T0 + 300)
        .into_parts();
    assert_eq!((unchanged, outcome), (None, Err(OobError::Expired)));

    // At the 10-minute maximum.
    let max = OobPolicy::builder().ttl(600).build().unwrap();
    let (record, _) = issue(&OobRecord::new(), &max, &phone(), T0, 111_111);
    assert_eq!(
        verify(&record, &max, &phone(), "111111", T0 + 599).1,
        Ok(())
    );
    assert_eq!(
        verify(&record, &max, &phone(), "111111", T0 + 600).1,
        Err(OobError::Expired)
    );
}

#[test]
fn ttl_is_capped_at_ten_minutes() {
    assert_eq!(
        OobPolicy::builder().ttl(600).build().map(|p| p.ttl()),
        Ok(600)
    );
    assert_eq!(
        OobPolicy::builder().ttl(601).build(),
        Err(ParamError::CodeLifetime {
            seconds: 601,
            max: 600
        })
    );
    assert!(OobPolicy::builder().ttl(0).build().is_err());
    // An invalid policy cannot be built, so no operation ever sees one.
}

#[test]
fn policy_bounds() {
    let p = OobPolicy::builder();
    assert_eq!(p.build(), Ok(OobPolicy::default()));
    for (policy, ok) in [
        (p.digits(5), false),
        (p.digits(6), true),
        (p.digits(10), true),
        (p.digits(11), false),
        (p.max_attempts(0), false),
        (p.max_attempts(1), true),
        (p.max_attempts(5), true),
        (p.max_attempts(6), false),
        (p.resend_cooldown(0), true),
        (p.resend_cooldown(3_600), true),
        (p.resend_cooldown(3_601), false),
        (p.max_sends_per_hour(0), false),
        (p.max_sends_per_hour(1), true),
        (p.max_sends_per_hour(60), true),
        (p.max_sends_per_hour(61), false),
        (p.max_sends_per_day(0), false),
        (p.max_sends_per_day(1), true),
        (p.max_sends_per_day(OobPolicy::MAX_SENDS_PER_DAY), true),
        (p.max_sends_per_day(OobPolicy::MAX_SENDS_PER_DAY + 1), false),
        (p.ttl(1), true),
        (
            p.throttle(ThrottlePolicy::builder().max_delay(86_400).build().unwrap()),
            true,
        ),
        (p.throttle(ThrottlePolicy::unlimited()), true),
    ] {
        assert_eq!(policy.build().is_ok(), ok, "{policy:?}");
    }
    assert_eq!(
        p.digits(11).build(),
        Err(ParamError::OutOfRange {
            name: "digits of an out-of-band code",
            value: 11,
            min: 6,
            max: 10
        })
    );
    assert_eq!(
        p.max_sends_per_day(1_441).build(),
        Err(ParamError::OutOfRange {
            name: "out-of-band codes sent per day",
            value: 1_441,
            min: 1,
            max: 1_440
        })
    );
    // An out-of-range throttle policy cannot be built, so it cannot reach
    // an OobPolicy either.
    assert_eq!(
        ThrottlePolicy::builder().max_failures(101).build(),
        Err(ParamError::MaxFailures(101))
    );
    assert!(ThrottlePolicy::builder().max_delay(86_401).build().is_err());
    assert_eq!(OobPolicy::DAY_WINDOW, 86_400);
}

#[test]
fn fifth_attempt_evaluated_sixth_refused() {
    let policy = no_backoff();
    let (mut record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 555_555);
    for attempt in 1..=4 {
        let outcome;
        (record, outcome) = verify(&record, &policy, &phone(), "000000", T0 + attempt);
        assert_eq!(outcome, Err(OobError::Rejected));
    }
    assert_eq!(record.pending().map(PendingCode::failures), Some(4));
    // The 5th attempt is evaluated: the right code is accepted.
    assert_eq!(
        verify(&record, &policy, &phone(), "555555", T0 + 5).1,
        Ok(())
    );
    // A 5th failure instead uses the code up: the 6th attempt, even with
    // the right code, is not evaluated.
    let (record, outcome) = verify(&record, &policy, &phone(), "000000", T0 + 5);
    assert_eq!(outcome, Err(OobError::Rejected));
    let (unchanged, outcome) = record
        .verify(&policy, &key(), &phone(), "555555", T0 + 6)
        .into_parts();
    assert_eq!(
        (unchanged, outcome),
        (None, Err(OobError::AttemptsExhausted))
    );
    assert_eq!(record.throttle().failures(), 5);
}

#[test]
fn malformed_input_counts_as_an_attempt() {
    let policy = no_backoff();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 1);
    let (record, outcome) = verify(&record, &policy, &phone(), "12a456", T0);
    assert_eq!(
        outcome,
        Err(OobError::Malformed(CodeError::NotADigit { position: 3 }))
    );
    assert_eq!(record.pending().map(PendingCode::failures), Some(1));
    assert_eq!(record.throttle().failures(), 1);
}

#[test]
fn backoff_applies_across_attempts() {
    let policy = OobPolicy::default();
    let (mut record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 7);
    // The first three failures are forgiven typos: the next attempt, at the
    // same second, is evaluated (and the right code would get in).
    for n in 1..=3 {
        let outcome;
        (record, outcome) = verify(&record, &policy, &phone(), "000000", T0);
        assert_eq!(outcome, Err(OobError::Rejected), "failure {n}");
        assert_eq!(record.throttle().retry_at(), T0, "failure {n}");
    }
    assert_eq!(verify(&record, &policy, &phone(), "000007", T0).1, Ok(()));
    // 1 s backoff after the fourth failure: refused, not evaluated.
    let (record, _) = verify(&record, &policy, &phone(), "000000", T0);
    assert_eq!(record.throttle().failures(), 4);
    let (unchanged, outcome) = record
        .verify(&policy, &key(), &phone(), "000007", T0)
        .into_parts();
    assert!(unchanged.is_none());
    assert_eq!(
        outcome,
        Err(OobError::Refused(Refused::Backoff {
            retry_at: T0 + 1,
            retry_after: 1
        }))
    );
    assert_eq!(
        verify(&record, &policy, &phone(), "000007", T0 + 1).1,
        Ok(())
    );
}

#[test]
fn issue_is_refused_during_a_lockout_but_not_a_backoff() {
    let policy = OobPolicy::builder()
        .resend_cooldown(0)
        .throttle(
            ThrottlePolicy::builder()
                .free_failures(0)
                .initial_delay(100)
                .max_failures(2)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 1);
    // The first failure backs off for 100 s: verifying waits, sending does not.
    let (record, _) = verify(&record, &policy, &phone(), "999999", T0);
    assert_eq!(
        record
            .verify(&policy, &key(), &phone(), "000001", T0 + 99)
            .into_parts(),
        (
            None,
            Err(OobError::Refused(Refused::Backoff {
                retry_at: T0 + 100,
                retry_after: 1
            }))
        )
    );
    let (record, again) = issue(&record, &policy, &phone(), T0 + 1, 2);
    // Within its lifetime, the same code goes out again.
    assert_eq!(again.code().expose(), "000001");
    assert_eq!(record.pending().map(PendingCode::issued_at), Some(T0));
    // The second failure locks for 900 s: nothing is sent until it ends.
    let (record, _) = verify(&record, &policy, &phone(), "999999", T0 + 100);
    assert!(record.throttle().is_lockout());
    for now in [T0 + 100, T0 + 999] {
        let (unchanged, outcome) = record
            .issue_with(&policy, &key(), &phone(), now, fixed(3))
            .into_parts();
        assert!(unchanged.is_none());
        assert_eq!(
            outcome.err(),
            Some(OobError::Refused(Refused::LockedOut {
                retry_at: T0 + 1_000,
                retry_after: T0 + 1_000 - now
            })),
            "{now}"
        );
    }
    let (record, _) = issue(&record, &policy, &phone(), T0 + 1_000, 3);
    assert_eq!(
        verify(&record, &policy, &phone(), "000003", T0 + 1_000).1,
        Ok(())
    );
}

#[test]
fn resend_does_not_reset_failures() {
    let policy = no_backoff();
    let (mut record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 1);
    for i in 0..3 {
        (record, _) = verify(&record, &policy, &phone(), "999999", T0 + i);
    }
    assert_eq!(record.throttle().failures(), 3);
    let (record, again) = issue(&record, &policy, &phone(), T0 + 60, 2);
    assert_eq!(
        record.throttle().failures(),
        3,
        "NIST: not reset by a resend"
    );
    // The same code again, and its failures kept: a resend buys no guesses.
    assert_eq!(again.code().expose(), "000001");
    assert_eq!(record.pending().map(PendingCode::failures), Some(3));
    let (mut record, _) = verify(&record, &policy, &phone(), "999999", T0 + 61);
    (record, _) = verify(&record, &policy, &phone(), "999999", T0 + 62);
    assert_eq!(record.throttle().failures(), 5);
    assert_eq!(
        verify(&record, &policy, &phone(), "000001", T0 + 70).1,
        Err(OobError::AttemptsExhausted)
    );
    // A used-up code is not sent again: a new one is, with its own
    // attempts, but the account-wide count goes on.
    let (mut record, fresh) = issue(&record, &policy, &phone(), T0 + 120, 2);
    assert_eq!(fresh.code().expose(), "000002");
    assert_eq!(record.pending().map(PendingCode::failures), Some(0));
    for i in 0..3 {
        (record, _) = verify(&record, &policy, &phone(), "999999", T0 + 121 + i);
    }
    assert_eq!(record.throttle().failures(), 8);
    // Once it expired, a new code: two more failures reach the lockout
    // (10 by default).
    let (mut record, _) = issue(&record, &policy, &phone(), T0 + 420, 3);
    for i in 0..2 {
        (record, _) = verify(&record, &policy, &phone(), "999999", T0 + 421 + i);
    }
    assert_eq!(record.throttle().failures(), 10);
    // The 10th failure, at T0 + 422, locks for 900 s.
    let locked = |now: u64| {
        OobError::Refused(Refused::LockedOut {
            retry_at: T0 + 1_322,
            retry_after: T0 + 1_322 - now,
        })
    };
    for now in [T0 + 423, T0 + 1_321] {
        assert_eq!(
            verify(&record, &policy, &phone(), "000003", now).1,
            Err(locked(now))
        );
        // A locked-out factor sends nothing more.
        let (unchanged, outcome) = record
            .issue_with(&policy, &key(), &phone(), now, fixed(4))
            .into_parts();
        assert!(unchanged.is_none());
        assert_eq!(outcome.err(), Some(locked(now)), "{now}");
    }
    // An administrator (or another factor) lifts it at once, and the
    // strike stays: one typo is forgiven, the next one locks for 1,800 s.
    let unlocked = record.unlock();
    assert_eq!(unlocked.throttle().failures(), 0);
    assert_eq!(unlocked.throttle().strikes(), 1);
    assert_eq!(
        verify(&unlocked, &policy, &phone(), "000003", T0 + 424).1,
        Ok(())
    );
    let (typo, _) = verify(&unlocked, &policy, &phone(), "999999", T0 + 424);
    assert_eq!(typo.throttle().check(T0 + 424), Ok(()), "forgiven");
    let (again, _) = verify(&typo, &policy, &phone(), "999999", T0 + 424);
    assert_eq!(
        again.throttle().check(T0 + 424),
        Err(Refused::LockedOut {
            retry_at: T0 + 2_224,
            retry_after: 1_800
        })
    );
    // Otherwise it ends on its own: from T0 + 1,322 the code in flight is
    // evaluated again (it expired at T0 + 720), and a new one can be sent.
    assert_eq!(
        verify(&record, &policy, &phone(), "000003", T0 + 1_322).1,
        Err(OobError::Expired)
    );
    let (record, _) = issue(&record, &policy, &phone(), T0 + 1_322, 4);
    assert_eq!(
        verify(&record, &policy, &phone(), "000004", T0 + 1_322).1,
        Ok(())
    );
}

#[test]
fn attempts_are_fixed_when_the_code_is_issued() {
    let two = no_backoff().to_builder().max_attempts(2).build().unwrap();
    let five = no_backoff();
    // Issued allowing 2 attempts, checked under a policy of 5: still 2.
    let (mut record, _) = issue(&OobRecord::new(), &two, &phone(), T0, 6);
    assert_eq!(record.pending().map(|p| p.max_attempts), Some(2));
    for _ in 0..2 {
        (record, _) = verify(&record, &five, &phone(), "999999", T0);
    }
    assert_eq!(
        record
            .verify(&five, &key(), &phone(), "000006", T0)
            .into_parts(),
        (None, Err(OobError::AttemptsExhausted))
    );
    // Issued allowing 5, checked under a policy of 1: the 5th attempt is
    // evaluated, the 6th is not.
    let one = no_backoff().to_builder().max_attempts(1).build().unwrap();
    let (mut record, _) = issue(&OobRecord::new(), &five, &phone(), T0, 6);
    for _ in 0..4 {
        (record, _) = verify(&record, &one, &phone(), "999999", T0);
    }
    assert_eq!(verify(&record, &one, &phone(), "000006", T0).1, Ok(()));
    let (record, _) = verify(&record, &one, &phone(), "999999", T0);
    assert_eq!(
        verify(&record, &one, &phone(), "000006", T0).1,
        Err(OobError::AttemptsExhausted)
    );
}

#[test]
fn success_resets_failures_but_keeps_strikes() {
    let policy = no_backoff();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 8);
    let (record, _) = verify(&record, &policy, &phone(), "000000", T0);
    let (record, outcome) = verify(&record, &policy, &phone(), "000008", T0);
    assert_eq!(outcome, Ok(()));
    let t = record.throttle();
    assert_eq!((t.failures(), t.retry_at(), t.is_lockout()), (0, 0, false));
    assert_eq!(t.strikes(), 0);
    // The time of the last failure is kept (failures are forgotten from
    // it): the success leaves a record no longer fresh.
    assert_eq!(
        t,
        Throttle::default()
            .after_failure(T0, &ThrottlePolicy::default())
            .after_success()
    );
    assert_ne!(t, Throttle::default());

    // After a lockout (one failure locks here), the strike outlives the
    // success: the next failure locks for twice as long.
    let one = OobPolicy::builder()
        .throttle(
            ThrottlePolicy::builder()
                .free_failures(0)
                .max_failures(1)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let (record, _) = issue(&OobRecord::new(), &one, &phone(), T0, 8);
    let (locked, _) = verify(&record, &one, &phone(), "000000", T0);
    assert_eq!(locked.throttle().retry_at(), T0 + 900);
    let (record, _) = issue(&locked, &one, &phone(), T0 + 900, 9);
    let (record, outcome) = verify(&record, &one, &phone(), "000009", T0 + 900);
    assert_eq!(outcome, Ok(()));
    assert_eq!(
        (record.throttle().failures(), record.throttle().strikes()),
        (0, 1)
    );
    let (record, _) = issue(&record, &one, &phone(), T0 + 960, 10);
    let (record, _) = verify(&record, &one, &phone(), "000000", T0 + 961);
    assert_eq!(record.throttle().retry_at(), T0 + 961 + 1_800);
}

#[test]
fn code_is_bound_to_its_destination() {
    let policy = no_backoff();
    let other_phone = Destination::sms("+14155552672").unwrap();
    let email = Destination::email("ada@example.com").unwrap();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 424_242);
    for wrong in [&other_phone, &email] {
        let (new, outcome) = verify(&record, &policy, wrong, "424242", T0);
        assert_eq!(outcome, Err(OobError::Rejected), "{wrong}");
        assert_eq!(new.throttle().failures(), 1);
    }
    // The same number typed differently is the same destination.
    let typed = Destination::sms("+1 (415) 555-2671").unwrap();
    assert_eq!(verify(&record, &policy, &typed, "424242", T0).1, Ok(()));
    // Same for e-mail, whose domain is case-insensitive.
    let (record, _) = issue(&OobRecord::new(), &policy, &email, T0, 1);
    let upper = Destination::email("ada@EXAMPLE.com").unwrap();
    assert_eq!(verify(&record, &policy, &upper, "000001", T0).1, Ok(()));
    let other = Destination::email("Ada@example.com").unwrap();
    assert_eq!(
        verify(&record, &policy, &other, "000001", T0).1,
        Err(OobError::Rejected)
    );
}

#[test]
fn hash_binds_key_destination_time_and_code() {
    let k = key();
    let base = k.code_hash(&phone(), T0, b"123456");
    assert_ne!(
        base,
        OobKey::from_bytes(&[0x43; 32])
            .unwrap()
            .code_hash(&phone(), T0, b"123456")
    );
    assert_ne!(
        base,
        k.code_hash(&Destination::sms("+14155552672").unwrap(), T0, b"123456")
    );
    assert_ne!(base, k.code_hash(&phone(), T0 + 1, b"123456"));
    assert_ne!(base, k.code_hash(&phone(), T0, b"123457"));
    assert_ne!(base, k.code_hash(&phone(), T0, b"0123456"));
    assert_eq!(base, k.code_hash(&phone(), T0, b"123456"));
}

#[test]
fn resend_cooldown_edges() {
    let policy = OobPolicy::default();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 1);
    let (unchanged, outcome) = record
        .issue_with(&policy, &key(), &phone(), T0 + 59, fixed(2))
        .into_parts();
    assert!(unchanged.is_none());
    assert_eq!(
        outcome.err(),
        Some(OobError::Cooldown {
            retry_at: T0 + 60,
            retry_after: 1
        })
    );
    assert_eq!(record.next_send_at(&policy), T0 + 60);
    let (record, _) = issue(&record, &policy, &phone(), T0 + 60, 2);
    assert_eq!(record.next_send_at(&policy), T0 + 120);
    // The cooldown holds across destinations too.
    let email = Destination::email("ada@example.com").unwrap();
    let (_, outcome) = record
        .issue_with(&policy, &key(), &email, T0 + 119, fixed(3))
        .into_parts();
    assert_eq!(
        outcome.err(),
        Some(OobError::Cooldown {
            retry_at: T0 + 120,
            retry_after: 1
        })
    );
    let (_, outcome) = record
        .issue_with(&policy, &key(), &email, T0 + 75, fixed(3))
        .into_parts();
    assert_eq!(
        outcome.err().map(|e| e.to_string()).as_deref(),
        Some("a code was sent moments ago; a new one can be sent in 45 s")
    );
    // No cooldown configured: back-to-back sends, up to the hourly cap.
    let eager = OobPolicy::builder().resend_cooldown(0).build().unwrap();
    let (record, _) = issue(&OobRecord::new(), &eager, &phone(), T0, 1);
    assert!(
        record
            .issue_with(&eager, &key(), &phone(), T0, fixed(2))
            .into_parts()
            .1
            .is_ok()
    );
}

#[test]
fn sends_per_hour_cap_edges() {
    let policy = OobPolicy::default();
    let mut record = OobRecord::new();
    for i in 0..5 {
        (record, _) = issue(&record, &policy, &phone(), T0 + 60 * i, i);
    }
    // The 6th send within the hour: refused until the 1st leaves the window.
    assert_eq!(record.next_send_at(&policy), T0 + 3_600);
    for now in [T0 + 300, T0 + 3_599] {
        let (unchanged, outcome) = record
            .issue_with(&policy, &key(), &phone(), now, fixed(9))
            .into_parts();
        assert!(unchanged.is_none());
        assert_eq!(
            outcome.err(),
            Some(OobError::SendLimit {
                retry_at: T0 + 3_600,
                retry_after: T0 + 3_600 - now
            }),
            "{now}"
        );
    }
    // 3,299 s, said in minutes rounded up.
    let (_, outcome) = record
        .issue_with(&policy, &key(), &phone(), T0 + 301, fixed(9))
        .into_parts();
    assert_eq!(
        outcome.err().map(|e| e.to_string()).as_deref(),
        Some("too many codes were sent lately; a new one can be sent in 55 min")
    );
    let (record, _) = issue(&record, &policy, &phone(), T0 + 3_600, 9);
    // Now the 2nd send (T0 + 60) is the oldest in the window.
    assert_eq!(record.next_send_at(&policy), T0 + 3_660);
    assert_eq!(
        record.sends.len(),
        5,
        "sends older than an hour are dropped"
    );
    // A lower cap applies at once to an existing log.
    let strict = OobPolicy::builder().max_sends_per_hour(2).build().unwrap();
    assert_eq!(record.next_send_at(&strict), T0 + 240 + 3_600);
    // Consecutive sends are the cooldown's business, not the cap's.
    let one = OobPolicy::builder()
        .max_sends_per_hour(1)
        .resend_cooldown(10)
        .build()
        .unwrap();
    let (record, _) = issue(&OobRecord::new(), &one, &phone(), T0, 1);
    assert_eq!(
        record
            .issue_with(&one, &key(), &phone(), T0 + 10, fixed(2))
            .into_parts()
            .1
            .err(),
        Some(OobError::SendLimit {
            retry_at: T0 + 3_600,
            retry_after: 3_590
        })
    );
}

#[test]
fn sends_per_day_cap_edges() {
    // One send an hour: the cooldown and the hourly cap never hold one
    // back, the daily cap (10 from the window's first send) does.
    let policy = OobPolicy::default();
    let mut record = OobRecord::new();
    assert_eq!((record.day_start, record.day_sends), (0, 0));
    for i in 0..10 {
        (record, _) = issue(&record, &policy, &phone(), T0 + 3_600 * i, i);
        assert_eq!((record.day_start, record.day_sends), (T0, i as u16 + 1));
    }
    let day_end = T0 + OobPolicy::DAY_WINDOW;
    assert_eq!(record.next_send_at(&policy), day_end);
    for now in [T0 + 36_000, day_end - 1] {
        let (unchanged, outcome) = record
            .issue_with(&policy, &key(), &phone(), now, fixed(10))
            .into_parts();
        assert!(unchanged.is_none(), "a refused send is not counted");
        assert_eq!(
            outcome.err(),
            Some(OobError::SendLimit {
                retry_at: day_end,
                retry_after: day_end - now
            }),
            "{now}"
        );
    }
    let (_, outcome) = record
        .issue_with(&policy, &key(), &phone(), T0 + 36_000, fixed(10))
        .into_parts();
    assert_eq!(
        outcome.err().map(|e| e.to_string()).as_deref(),
        Some("too many codes were sent lately; a new one can be sent in 14 h")
    );
    // At the window's end a new window starts, at that send.
    let (record, _) = issue(&record, &policy, &phone(), day_end, 10);
    assert_eq!((record.day_start, record.day_sends), (day_end, 1));
    assert_eq!(record.next_send_at(&policy), day_end + 60, "the cooldown");

    // A lower cap applies at once to the count so far; the hourly cap,
    // if later, still rules.
    let mut record = OobRecord::new();
    for i in 0..3 {
        (record, _) = issue(&record, &policy, &phone(), T0 + 60 * i, i);
    }
    assert_eq!(
        record.next_send_at(&policy.to_builder().max_sends_per_day(3).build().unwrap()),
        day_end
    );
    assert_eq!(
        record.next_send_at(&policy.to_builder().max_sends_per_day(4).build().unwrap()),
        T0 + 180
    );
    assert_eq!(
        record.next_send_at(
            &policy
                .to_builder()
                .max_sends_per_day(4)
                .max_sends_per_hour(3)
                .build()
                .unwrap()
        ),
        T0 + 3_600
    );
    // A window that ended no longer holds a send back, whatever its count.
    let one = policy.to_builder().max_sends_per_day(1).build().unwrap();
    let (record, _) = issue(&OobRecord::new(), &one, &phone(), T0, 1);
    assert_eq!(
        record
            .issue_with(&one, &key(), &phone(), day_end - 1, fixed(2))
            .into_parts()
            .1
            .err(),
        Some(OobError::SendLimit {
            retry_at: day_end,
            retry_after: 1
        })
    );
    let (record, _) = issue(&record, &one, &phone(), day_end + 5_000, 2);
    assert_eq!((record.day_start, record.day_sends), (day_end + 5_000, 1));
    assert_eq!(record.next_send_at(&one), day_end + 5_000 + 86_400);
}

#[test]
fn resend_sends_the_same_code_until_it_expires() {
    let policy = OobPolicy::default();
    let (record, first) = issue(&OobRecord::new(), &policy, &phone(), T0, 111_111);
    assert_eq!(first.code().expose(), "111111");
    // The last second of its life (T0 + 299): the same code, the same
    // expiry, and either text works.
    let (again, second) = issue(&record, &policy, &phone(), T0 + 299, 222_222);
    assert_eq!(
        (second.code().expose(), second.expires_at()),
        ("111111", T0 + 300)
    );
    assert_eq!(again.pending(), record.pending());
    assert_eq!(again.version(), record.version() + 1);
    assert_eq!(
        verify(&again, &policy, &phone(), "111111", T0 + 299).1,
        Ok(())
    );
    // From its expiry on (T0 + 300): a new code, with a lifetime of its own.
    let (renewed, third) = issue(&record, &policy, &phone(), T0 + 300, 222_222);
    assert_eq!(
        (third.code().expose(), third.expires_at()),
        ("222222", T0 + 600)
    );
    assert_eq!(
        verify(&renewed, &policy, &phone(), "111111", T0 + 301).1,
        Err(OobError::Rejected)
    );
    assert_eq!(
        verify(&renewed, &policy, &phone(), "222222", T0 + 599).1,
        Ok(())
    );
    // Another destination: a new code, bound to it.
    let email = Destination::email("ada@example.com").unwrap();
    let (_, other) = issue(&record, &policy, &email, T0 + 60, 333_333);
    assert_eq!(other.code().expose(), "333333");
    // A used code: a new one.
    let (used, _) = verify(&record, &policy, &phone(), "111111", T0 + 30);
    let (_, next) = issue(&used, &policy, &phone(), T0 + 60, 444_444);
    assert_eq!(next.code().expose(), "444444");
    // The code is not stored in clear: a record read under another key
    // cannot reproduce it, and gets a new code.
    let (_, foreign) = record
        .issue_with(
            &policy,
            &OobKey::from_bytes(&[9; 32]).unwrap(),
            &phone(),
            T0 + 60,
            fixed(555_555),
        )
        .into_parts();
    assert_eq!(foreign.unwrap().code().expose(), "555555");
    let pending = record.pending().unwrap();
    assert!(!pending.masked.windows(6).any(|w| w == b"111111"));
}

#[test]
fn nothing_secret_in_debug_display_or_errors() {
    let policy = OobPolicy::default();
    let (record, delivery) = issue(&OobRecord::new(), &policy, &phone(), T0, 987_654);
    let pending = record.pending().unwrap();
    let hash_hex: String = pending.hash.iter().map(|b| format!("{b:02x}")).collect();
    let hash_dec = format!("{:?}", pending.hash);
    let key_bytes = format!("{:?}", key().expose_bytes());
    let shown = format!(
        "{record:?} {record:#?} {delivery:?} {delivery:#?} {:?} {:?} {}",
        key(),
        delivery.code(),
        delivery.destination(),
    );
    for secret in [
        "987654",
        &hash_hex,
        &hash_dec[1..20],
        &key_bytes[1..20],
        "66, 66",
    ] {
        assert!(!shown.contains(secret), "{secret} in {shown}");
    }
    assert!(shown.contains("+14155552671"), "destinations are shown");
    let errors = [
        OobError::Rejected,
        OobError::Malformed(CodeError::NotADigit { position: 1 }),
        OobError::Expired,
        OobError::NoPendingCode,
        OobError::AttemptsExhausted,
        OobError::RandomSource,
        OobError::Cooldown {
            retry_at: T0,
            retry_after: 1,
        },
        OobError::SendLimit {
            retry_at: T0,
            retry_after: 1,
        },
        OobError::Refused(Refused::LockedOut {
            retry_at: T0,
            retry_after: 900,
        }),
        OobError::Refused(Refused::Backoff {
            retry_at: T0,
            retry_after: 2,
        }),
        OobError::Policy(ParamError::MaxDelay),
    ];
    for e in errors {
        let text = format!("{e} {e:?}");
        assert!(!text.contains("987654"), "{text}");
        // A wait is said as a wait, never as a Unix time.
        assert!(!e.to_string().contains("1700000000"), "{e}");
        assert!(
            text.chars().next().is_some_and(char::is_lowercase),
            "{text}"
        );
    }
}

#[test]
fn key_lengths() {
    assert!(OobKey::from_bytes(&[1; 16]).is_ok());
    assert!(OobKey::from_bytes(&[1; 64]).is_ok());
    assert_eq!(
        OobKey::from_bytes(&[1; 15]).map(|k| k.len()),
        Err(crate::SecretError::TooShort {
            bits: 120,
            min_bits: 128
        })
    );
    assert_eq!(
        OobKey::from_bytes(&[1; 65]).map(|k| k.len()),
        Err(crate::SecretError::TooLong {
            bits: 520,
            max_bits: 512
        })
    );
    let a = OobKey::generate().unwrap();
    let b = OobKey::generate().unwrap();
    assert_eq!(a.len(), 32);
    assert_ne!(a.expose_bytes(), b.expose_bytes());
    fn zeroized_on_drop<T: ZeroizeOnDrop>() {}
    zeroized_on_drop::<OobKey>();
    zeroized_on_drop::<OobCode>();
}

use zeroize::ZeroizeOnDrop;

#[test]
fn phone_numbers() {
    for (input, canonical) in [
        ("+14155552671", "+14155552671"),
        ("+1 (415) 555-2671", "+14155552671"),
        (" +44 20 7946 0958 ", "+442079460958"),
        ("+33.1.23.45.67.89", "+33123456789"),
        ("+6834002", "+6834002"),                 // 7 digits (Niue)
        ("+123456789012345", "+123456789012345"), // 15 digits
    ] {
        assert_eq!(
            PhoneNumber::parse(input).map(|p| p.as_str().to_string()),
            Ok(canonical.to_string()),
            "{input}"
        );
        assert_eq!(
            PhoneNumber::parse(input).map(|p| p.to_string()),
            Ok(canonical.to_string()),
            "{input} shown"
        );
    }
    for (input, error) in [
        ("", DestinationError::MissingPlus),
        ("4155552671", DestinationError::MissingPlus),
        ("0044 20 7946 0958", DestinationError::MissingPlus),
        ("1+4155552671", DestinationError::MissingPlus),
        ("+", DestinationError::PhoneLength { digits: 0 }),
        ("+683400", DestinationError::PhoneLength { digits: 6 }),
        (
            "+1234567890123456",
            DestinationError::PhoneLength { digits: 16 },
        ),
        ("+0441234567", DestinationError::CountryCode),
        (
            "++14155552671",
            DestinationError::InvalidCharacter { position: 2 },
        ),
        (
            "+1415+5552671",
            DestinationError::InvalidCharacter { position: 6 },
        ),
        (
            "+1415555267x",
            DestinationError::InvalidCharacter { position: 12 },
        ),
        (
            "+1\n4155552671",
            DestinationError::InvalidCharacter { position: 3 },
        ),
        (
            "+١٤١٥٥٥٥٢٦٧١",
            DestinationError::InvalidCharacter { position: 2 },
        ),
    ] {
        assert_eq!(PhoneNumber::parse(input), Err(error), "{input:?}");
    }
}

#[test]
fn email_addresses() {
    let local64 = "a".repeat(64);
    let long_ok = format!("{local64}@{}.com", "b".repeat(63)); // 64+1+63+4 = 132
    let label = "c".repeat(63);
    let total254 = format!("{local64}@{label}.{label}.{}.com", "d".repeat(57));
    assert_eq!(total254.len(), 254);
    let total255 = format!("{local64}@{label}.{label}.{}.com", "d".repeat(58));
    for (input, canonical) in [
        ("ada@example.com", "ada@example.com"),
        ("Ada.Lovelace@Example.COM", "Ada.Lovelace@example.com"),
        ("o'brien+mfa@mail.example.ie", "o'brien+mfa@mail.example.ie"),
        ("x@a-b.co", "x@a-b.co"),
        ("用户@例子.中国", "用户@例子.中国"),
        (
            "{weird}!#$%&*=?^_`|~/@xn--bcher-kva.example",
            "{weird}!#$%&*=?^_`|~/@xn--bcher-kva.example",
        ),
        (long_ok.as_str(), long_ok.as_str()),
        (total254.as_str(), total254.as_str()),
    ] {
        assert_eq!(
            EmailAddress::parse(input).map(|e| e.as_str().to_string()),
            Ok(canonical.to_string()),
            "{input}"
        );
    }
    let local65 = format!("{}@example.com", "a".repeat(65));
    let label64 = format!("a@{}.com", "b".repeat(64));
    for (input, error) in [
        ("", DestinationError::EmailAt),
        ("ada.example.com", DestinationError::EmailAt),
        ("ada@@example.com", DestinationError::EmailAt),
        ("a@b@example.com", DestinationError::EmailAt),
        ("@example.com", DestinationError::EmailLocalPart),
        (local65.as_str(), DestinationError::EmailLocalPart),
        (".ada@example.com", DestinationError::EmailLocalPart),
        ("ada.@example.com", DestinationError::EmailLocalPart),
        ("a..da@example.com", DestinationError::EmailLocalPart),
        ("ada@", DestinationError::EmailDomain),
        ("ada@localhost", DestinationError::EmailDomain),
        ("ada@example..com", DestinationError::EmailDomain),
        ("ada@.example.com", DestinationError::EmailDomain),
        ("ada@example.com.", DestinationError::EmailDomain),
        ("ada@-example.com", DestinationError::EmailDomain),
        ("ada@example-.com", DestinationError::EmailDomain),
        ("ada@exa_mple.com", DestinationError::EmailDomain),
        ("ada@exa+mple.com", DestinationError::EmailDomain),
        ("ada@192.168.0.1", DestinationError::EmailDomain),
        (label64.as_str(), DestinationError::EmailDomain),
        (
            "ada lovelace@example.com",
            DestinationError::InvalidCharacter { position: 4 },
        ),
        (
            "ada@example.com\r\nBcc: x@y.z",
            DestinationError::InvalidCharacter { position: 16 },
        ),
        (
            "\"ada\"@example.com",
            DestinationError::InvalidCharacter { position: 1 },
        ),
        (
            "ada@[192.168.0.1]",
            DestinationError::InvalidCharacter { position: 5 },
        ),
        (
            "a<b>@example.com",
            DestinationError::InvalidCharacter { position: 2 },
        ),
        (
            "ad\u{200b}a@example.com",
            DestinationError::InvalidCharacter { position: 3 },
        ),
        (
            "ada@exa\u{202e}mple.com",
            DestinationError::InvalidCharacter { position: 8 },
        ),
        (
            "ada@example.com\u{a0}",
            DestinationError::InvalidCharacter { position: 16 },
        ),
        (
            total255.as_str(),
            DestinationError::EmailLength { len: 255 },
        ),
    ] {
        assert_eq!(EmailAddress::parse(input), Err(error), "{input:?}");
    }
}

#[test]
fn destination_errors_read_well() {
    for e in [
        DestinationError::MissingPlus,
        DestinationError::InvalidCharacter { position: 3 },
        DestinationError::PhoneLength { digits: 3 },
        DestinationError::CountryCode,
        DestinationError::EmailLength { len: 300 },
        DestinationError::EmailAt,
        DestinationError::EmailLocalPart,
        DestinationError::EmailDomain,
    ] {
        let text = e.to_string();
        assert!(
            text.chars().next().is_some_and(char::is_lowercase),
            "{text}"
        );
        assert!(!text.ends_with('.'), "{text}");
    }
}

#[test]
fn ten_digit_codes_are_sent_again_too() {
    let policy = OobPolicy::builder().digits(10).build().unwrap();
    let (record, first) = issue(&OobRecord::new(), &policy, &phone(), T0, 9_876_543_210);
    assert_eq!(first.code().expose(), "9876543210");
    let (_, again) = issue(&record, &policy, &phone(), T0 + 60, 1);
    assert_eq!(again.code().expose(), "9876543210");
}

#[cfg(feature = "serde")]
#[test]
fn a_record_without_a_masked_code_reads_and_resends_a_new_code() {
    let policy = OobPolicy::default();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 111_111);
    let mut json: serde_json::Value = serde_json::to_value(&record).unwrap();
    let pending = json.get_mut("pending").unwrap().as_object_mut().unwrap();
    assert!(pending.remove("masked").is_some());
    let old: OobRecord = serde_json::from_value(json).unwrap();
    // Written back, it says "no masked code": all zeros (Base64 `A`s).
    let back = serde_json::to_value(&old).unwrap();
    let masked = back["pending"]["masked"].as_str().unwrap();
    assert!(
        !masked.is_empty() && masked.trim_end_matches('=').chars().all(|c| c == 'A'),
        "{masked}"
    );
    // Its code still verifies; a resend sends a new one.
    assert_eq!(verify(&old, &policy, &phone(), "111111", T0 + 1).1, Ok(()));
    let (_, fresh) = issue(&old, &policy, &phone(), T0 + 60, 222_222);
    assert_eq!(fresh.code().expose(), "222222");
}

#[test]
fn pending_code_getters_and_debug_read_their_own_fields() {
    let policy = OobPolicy::builder().digits(8).ttl(120).build().unwrap();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 12_345_678);
    let pending = record.pending().unwrap();
    assert_eq!(
        (
            pending.digits(),
            pending.issued_at(),
            pending.expires_at(),
            pending.failures()
        ),
        (8, T0, T0 + 120, 0)
    );
    let shown = format!("{pending:?}");
    for field in [
        "PendingCode",
        "+14155552671",
        "digits: 8",
        "issued_at: 1700000000",
        "expires_at: 1700000120",
        "failures: 0",
    ] {
        assert!(shown.contains(field), "{field} not in {shown}");
    }
}

#[test]
fn a_delivery_is_binding_only_when_marked() {
    let (_, delivery) = issue(&OobRecord::new(), &OobPolicy::default(), &phone(), T0, 1);
    assert!(!delivery.is_binding());
    assert!(delivery.for_binding().is_binding());
}

#[test]
fn the_cooldown_holds_back_a_send_once_the_cap_has_passed() {
    // Three sends an hour: the 3rd, at T0 + 3,590, fills the cap until
    // T0 + 3,600, but its cooldown runs until T0 + 3,650, so the refusal
    // at T0 + 3,610 is the cooldown's, not the cap's.
    let policy = OobPolicy::builder()
        .max_sends_per_hour(3)
        .resend_cooldown(60)
        .build()
        .unwrap();
    let mut record = OobRecord::new();
    for (now, value) in [(T0, 1), (T0 + 3_500, 2), (T0 + 3_590, 3)] {
        (record, _) = issue(&record, &policy, &phone(), now, value);
    }
    let (unchanged, outcome) = record
        .issue_with(&policy, &key(), &phone(), T0 + 3_610, fixed(4))
        .into_parts();
    assert!(unchanged.is_none());
    assert_eq!(
        outcome.err(),
        Some(OobError::Cooldown {
            retry_at: T0 + 3_650,
            retry_after: 40
        })
    );
}

#[test]
fn unlock_and_keeping_change_only_their_own_fields() {
    let policy = no_backoff();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 123_456);
    let (record, _) = verify(&record, &policy, &phone(), "000000", T0 + 1);
    assert_eq!((record.version(), record.throttle().failures()), (2, 1));
    assert_eq!(Versioned::version(&record), 2);

    let unlocked = record.unlock();
    assert_eq!(unlocked.version(), 3);
    assert_eq!(unlocked.throttle().failures(), 0);
    assert_eq!(unlocked.pending(), record.pending());

    let kept = record.clone().keeping(Throttle::default());
    assert_eq!(kept.version(), 2);
    assert_eq!(kept.throttle(), Throttle::default());
    assert_eq!(kept.pending(), record.pending());
    assert_eq!(record.clone().keeping(record.throttle()), record);
}

#[test]
fn an_error_sources_the_error_it_wraps() {
    use core::error::Error as _;
    let wrapped = [
        (
            OobError::Policy(ParamError::MaxDelay),
            ParamError::MaxDelay.to_string(),
        ),
        (
            OobError::Refused(Refused::Backoff {
                retry_at: T0,
                retry_after: 2,
            }),
            Refused::Backoff {
                retry_at: T0,
                retry_after: 2,
            }
            .to_string(),
        ),
        (
            OobError::Malformed(CodeError::NotADigit { position: 1 }),
            CodeError::NotADigit { position: 1 }.to_string(),
        ),
    ];
    for (e, inner) in wrapped {
        assert_eq!(e.source().map(ToString::to_string), Some(inner), "{e:?}");
    }
    for e in [
        OobError::Rejected,
        OobError::Expired,
        OobError::NoPendingCode,
        OobError::AttemptsExhausted,
        OobError::RandomSource,
    ] {
        assert!(e.source().is_none(), "{e:?}");
    }
}

/// Reads `record` serialized, with `change` applied to its JSON.
#[cfg(feature = "serde")]
fn reread(
    record: &OobRecord,
    change: impl FnOnce(&mut serde_json::Value),
) -> Result<OobRecord, String> {
    let mut json = serde_json::to_value(record).unwrap();
    change(&mut json);
    serde_json::from_value(json).map_err(|e| e.to_string())
}

#[cfg(feature = "serde")]
#[test]
fn a_stored_record_is_read_up_to_each_bound_and_refused_beyond() {
    let policy = OobPolicy::default();
    let (record, _) = issue(&OobRecord::new(), &policy, &phone(), T0, 123_456);
    // The attempts the stored code allows, fixed at issue.
    let max = policy.max_attempts();
    let sends = |n: u64| serde_json::Value::from((0..n).map(|i| T0 + i).collect::<Vec<_>>());
    let set = |path: &'static [&'static str], value: serde_json::Value| {
        move |json: &mut serde_json::Value| {
            let mut at = json;
            for step in path {
                at = at.get_mut(*step).unwrap();
            }
            *at = value;
        }
    };
    let cases: [(&[&str], serde_json::Value, Option<&str>); 14] = [
        (&["sends"], sends(60), None),
        (&["sends"], sends(61), Some("more sends than any policy")),
        (&["day_sends"], 1_440.into(), None),
        (&["day_sends"], 1_441.into(), Some("daily send count")),
        (&["pending", "expires_at"], (T0 + 600).into(), None),
        (&["pending", "expires_at"], (T0 + 601).into(), Some("600 s")),
        (&["pending", "expires_at"], (T0 - 1).into(), Some("600 s")),
        (
            &["pending", "max_attempts"],
            0.into(),
            Some("1 to 5 attempts"),
        ),
        (&["pending", "max_attempts"], 1.into(), None),
        (&["pending", "max_attempts"], 5.into(), None),
        (
            &["pending", "max_attempts"],
            6.into(),
            Some("1 to 5 attempts"),
        ),
        (&["pending", "failures"], max.into(), None),
        (
            &["pending", "failures"],
            (max + 1).into(),
            Some("more failed attempts"),
        ),
        (&["pending", "digits"], 11.into(), Some("6 to 10 digits")),
    ];
    for (path, value, refusal) in cases {
        let shown = format!("{path:?} = {value}");
        let read = reread(&record, set(path, value));
        match refusal {
            None => assert!(read.is_ok(), "{shown}: {read:?}"),
            Some(reason) => assert!(
                read.as_ref().is_err_and(|e| e.contains(reason)),
                "{shown}: {read:?}"
            ),
        }
    }
}

#[test]
fn code_hashes_are_stable_across_versions() {
    // Stored records hold these hashes: a change to the hashed input
    // (the channel's tag included) would reject every code in flight
    // after an upgrade. The values are HMAC-SHA256 under 32 bytes 0x42 of
    // "mfa/oob-code/v1", the tag (1 SMS, 2 e-mail), the 8-byte big-endian
    // length and bytes of the address, the time (8 bytes) and the
    // length-prefixed code, computed apart with Python's `hmac`.
    let hex = |hash: [u8; 32]| -> String { hash.iter().map(|b| format!("{b:02x}")).collect() };
    let email = Destination::email("ada@example.com").unwrap();
    assert_eq!(
        (
            hex(key().code_hash(&phone(), T0, b"123456")),
            hex(key().code_hash(&email, T0, b"123456")),
        ),
        (
            String::from("7cea5d579971b3888817e4b3b37bee24ab2e81e8cd55d5e6b96f18a696ff5e46"),
            String::from("1d3a07dd2eca6388e02f7a53b45fb47d98ee6e8f134689450f0bcfeefc114ad6")
        )
    );
}

#[test]
fn addresses_show_and_convert_as_their_canonical_form() {
    let email = EmailAddress::parse("Ada@Example.COM").unwrap();
    assert_eq!(email.to_string(), "Ada@example.com");
    assert_eq!(String::from(email), "Ada@example.com");
    let phone_number = PhoneNumber::parse("+1 (415) 555-2671").unwrap();
    assert_eq!(String::from(phone_number), "+14155552671");
    for (destination, shown) in [
        (phone(), "+14155552671"),
        (
            Destination::email("Ada@Example.COM").unwrap(),
            "Ada@example.com",
        ),
    ] {
        assert_eq!(destination.to_string(), shown);
    }
}

#[cfg(feature = "serde")]
#[test]
fn a_stored_policy_reads_back_every_field_and_is_validated() {
    let policy = OobPolicy::builder()
        .digits(8)
        .ttl(120)
        .max_attempts(3)
        .resend_cooldown(30)
        .max_sends_per_hour(4)
        .max_sends_per_day(9)
        .throttle(no_backoff().throttle())
        .build()
        .unwrap();
    let json = serde_json::to_value(policy).unwrap();
    assert_eq!(
        serde_json::from_value::<OobPolicy>(json.clone()).ok(),
        Some(policy)
    );
    let mut short = json;
    *short.get_mut("digits").unwrap() = 5.into();
    let refused = serde_json::from_value::<OobPolicy>(short).map_err(|e| e.to_string());
    assert!(
        refused.as_ref().is_err_and(|e| e.contains("digits")),
        "{refused:?}"
    );
}

#[test]
fn key_tags_and_code_masks_are_stable_across_versions() {
    // Proofs and stored masks are read by later versions. HMAC-SHA256
    // under 32 bytes 0x42 of each part prefixed by its 8-byte big-endian
    // length, the domain first, computed apart with Python's `hmac`.
    let hex = |bytes: &[u8]| -> String { bytes.iter().map(|b| format!("{b:02x}")).collect() };
    assert_eq!(
        hex(&key().tag(b"d", &[b"ab", b""])),
        "2af517aba0302c123ff672dc50ed1e96135daeba05e29efb7c6081960c8a813e"
    );
    assert_eq!(
        hex(key().code_mask(&[7; 32]).as_slice()),
        "8b3b42fc55a2f37d4bef0dbbe56e95d760926b61bd6a2c52218f903dddfc3b76"
    );
    assert_eq!(format!("{:?}", key()), "OobKey { len: 32, .. }");
}

#[test]
fn unmasking_gives_digits_or_nothing() {
    let digits = code::parse("123456", 6).unwrap();
    let pad = [0x5a; 32];
    let masked = code::mask(&digits, &pad);
    assert_eq!(
        code::unmask(&masked, &pad, 6)
            .as_ref()
            .map(code::Digits::as_bytes),
        Some(&b"123456"[..])
    );
    // Another pad (another key) unmasks to bytes that are not digits.
    assert!(code::unmask(&masked, &[0xa5; 32], 6).is_none());
    // More digits than a code has.
    assert!(code::unmask(&[b'0'; code::MAX_DIGITS], &[0; 32], 11).is_none());
}

#[test]
fn a_sent_code_debugs_as_its_length_only() {
    let (_, delivery) = issue(
        &OobRecord::new(),
        &OobPolicy::default(),
        &phone(),
        T0,
        987_654,
    );
    assert_eq!(
        format!("{:?}", delivery.code()),
        "OobCode { digits: 6, .. }"
    );
}

#[test]
fn budget_limits_read_their_own_fields() {
    let limits = BudgetLimits::PER_NUMBER.with_per_hour(3).with_per_day(7);
    assert_eq!((limits.per_hour(), limits.per_day()), (3, 7));
}

#[test]
fn a_send_budget_fills_each_window_and_reopens_it_at_its_end() {
    // Two texts an hour, three a day.
    let limits = BudgetLimits::PER_NUMBER.with_per_hour(2).with_per_day(3);
    let spend = |budget: &SendBudget, now: u64| budget.spend(&limits, now).into_parts();
    let refused = |retry_at: u64, now: u64| {
        Err(OobError::SendLimit {
            retry_at,
            retry_after: retry_at - now,
        })
    };
    let (budget, ok) = spend(&SendBudget::new(), T0);
    let budget = budget.unwrap();
    assert_eq!(ok, Ok(()));
    assert_eq!((budget.version(), Versioned::version(&budget)), (1, 1));
    let (budget, _) = spend(&budget, T0 + 10);
    let budget = budget.unwrap();
    assert_eq!(
        (
            budget.version(),
            Versioned::version(&budget),
            budget.spent(T0 + 10)
        ),
        (2, 2, (2, 2))
    );
    // The hour is full until T0 + 3,600.
    for now in [T0 + 20, T0 + 3_599] {
        assert_eq!(
            spend(&budget, now),
            (None, refused(T0 + 3_600, now)),
            "{now}"
        );
    }
    assert_eq!(budget.spent(T0 + 3_599), (2, 2));
    assert_eq!(budget.spent(T0 + 3_600), (0, 2));
    let (budget, ok) = spend(&budget, T0 + 3_600);
    let budget = budget.unwrap();
    assert_eq!((ok, budget.spent(T0 + 3_600)), (Ok(()), (1, 3)));
    // The day is full until T0 + 86,400, though the hour is not.
    assert_eq!(
        spend(&budget, T0 + 3_601),
        (None, refused(T0 + 86_400, T0 + 3_601))
    );
    assert_eq!(budget.spent(T0 + 86_399), (0, 3));
    assert_eq!(budget.spent(T0 + 86_400), (0, 0));
    let (budget, ok) = spend(&budget, T0 + 86_400);
    assert_eq!(
        (ok, budget.map(|b| (b.version(), b.spent(T0 + 86_400)))),
        (Ok(()), Some((4, (1, 1))))
    );
}

#[test]
fn budget_ids_are_stable_across_versions() {
    // Budgets are stored under these ids. The hex is the first 16 bytes
    // of HMAC-SHA256 under 32 bytes 0x42 of the length-prefixed domain
    // and number, computed apart with Python's `hmac`.
    let number = PhoneNumber::parse("+14155552671").unwrap();
    let id = BudgetId::number(&key(), &number);
    assert_eq!(id.as_str(), "sms-number/711f7a428363bf458690c17ce1240536");
    assert_eq!(id.to_string(), id.as_str());
    assert_eq!(
        BudgetId::binding(&key(), &number).as_str(),
        "sms-binding/473b4bd9c66f2abcd3986525a58f050f"
    );
    assert_eq!(BudgetId::prefix("+1900").as_str(), "sms-prefix/+1900");
    // A host's map of budgets is looked up by the id's text.
    let mut stored = alloc::collections::BTreeMap::new();
    stored.insert(BudgetId::prefix("+1900"), 1);
    assert_eq!(stored.get("sms-prefix/+1900"), Some(&1));
    assert_eq!(stored.get(&String::from("sms-prefix/+1900")), Some(&1));
    assert_eq!(stored.get("sms-prefix/+44"), None);
}

#[test]
fn sms_budgets_debug_shows_the_limits_not_the_key() {
    let shown = format!("{:?}", SmsBudgets::new(key()));
    for part in [
        "SmsBudgets",
        "OobKey { len: 32, .. }",
        "per_number: BudgetLimits { per_hour: 10, per_day: 20 }",
    ] {
        assert!(shown.contains(part), "{part} not in {shown}");
    }
}
