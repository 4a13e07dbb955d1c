//! Recovery codes: generation, single use, regeneration, normalization,
//! throttling, and the alphabet.

// Simulated times and counts are small; overflow would be a test bug.
#![allow(clippy::arithmetic_side_effects)]

use alloc::format;
use alloc::string::{String, ToString};
use alloc::vec::Vec;
use core::convert::Infallible;

use super::*;
use crate::record::throttle::ThrottlePolicy;

const T0: u64 = 1_700_000_000;

/// The cheapest allowed hashing, so the tests run fast in debug builds.
fn policy() -> RecoveryPolicy {
    RecoveryPolicy::builder()
        .iterations(RecoveryPolicy::MIN_ITERATIONS)
        .build()
        .unwrap()
}

/// A deterministic source: every call fills its buffer with the next byte
/// of a counter.
fn counter(start: u8) -> impl FnMut(&mut [u8]) -> Result<(), Infallible> {
    let mut next = start;
    move |buf: &mut [u8]| {
        for b in buf.iter_mut() {
            *b = next;
            next = next.wrapping_add(1);
        }
        Ok(())
    }
}

fn generate(policy: &RecoveryPolicy) -> (RecoveryCodes, Vec<String>) {
    let (record, codes) = RecoveryCodes::generate(policy, T0).unwrap();
    let codes = codes.iter().map(|c| c.expose().to_string()).collect();
    (record, codes)
}

fn verify(
    record: &RecoveryCodes,
    policy: &RecoveryPolicy,
    input: &str,
    now: u64,
) -> (RecoveryCodes, Result<(), RecoveryError>) {
    let (new, outcome) = record.verify(policy, input, now).into_parts();
    if let Some(new) = &new {
        assert_eq!(new.version(), record.version() + 1);
    }
    (new.unwrap_or_else(|| record.clone()), outcome)
}

#[test]
fn alphabet_is_crockford_without_ambiguous_letters() {
    const ALPHABET: &[u8; 32] = b"0123456789ABCDEFGHJKMNPQRSTVWXYZ";
    for (v, &c) in (0u8..).zip(ALPHABET.iter()) {
        assert_eq!(crockford::symbol(v), c, "value {v}");
        assert_eq!(crockford::value(c), i16::from(v));
        assert_eq!(crockford::value(c.to_ascii_lowercase()), i16::from(v));
    }
    for c in [b'I', b'L', b'O', b'U', b'i', b'l', b'o', b'u'] {
        assert!(!ALPHABET.contains(&c));
    }
    // Read as the digits they look like.
    for (c, v) in [
        (b'O', 0),
        (b'o', 0),
        (b'I', 1),
        (b'i', 1),
        (b'L', 1),
        (b'l', 1),
    ] {
        assert_eq!(crockford::value(c), v, "{}", char::from(c));
    }
    for c in 0..=255u8 {
        let expected = ALPHABET.contains(&c.to_ascii_uppercase()) || b"OoIiLl".contains(&c);
        assert_eq!(crockford::value(c) >= 0, expected, "byte {c}");
    }
}

#[test]
fn codes_have_80_bits_and_the_display_form() {
    let (record, codes) = RecoveryCodes::generate(&policy(), T0).unwrap();
    assert_eq!(codes.len(), 10);
    assert_eq!((record.total(), record.remaining()), (10, 10));
    for code in &codes {
        let text = code.expose();
        assert_eq!(text.len(), 19, "{text}");
        let groups: Vec<&str> = text.split('-').collect();
        assert_eq!(groups.len(), 4);
        assert!(groups.iter().all(|g| g.len() == 4));
        assert!(
            text.bytes()
                .filter(|&b| b != b'-')
                .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b))
        );
        // 16 symbols of 5 bits: 80 bits, above NIST's 64.
        assert_eq!(text.bytes().filter(|&b| b != b'-').count() * 5, 80);
        // The text round-trips to the 10 random bytes.
        let bytes = crockford::decode(text).unwrap();
        assert_eq!(crockford::encode(&bytes).as_str(), text);
    }
    let mut unique: Vec<&str> = codes.iter().map(RecoveryCode::expose).collect();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), 10);
}

#[test]
fn encoding_uses_every_bit() {
    assert_eq!(crockford::encode(&[0; 10]).as_str(), "0000-0000-0000-0000");
    assert_eq!(
        crockford::encode(&[0xff; 10]).as_str(),
        "ZZZZ-ZZZZ-ZZZZ-ZZZZ"
    );
    // One bit set at a time moves one symbol.
    for bit in 0..80 {
        let mut bytes = [0u8; 10];
        bytes[bit / 8] = 0x80 >> (bit % 8);
        let text = crockford::encode(&bytes);
        let symbols: Vec<u8> = text.bytes().filter(|&b| b != b'-').collect();
        assert_eq!(
            symbols.iter().filter(|&&b| b != b'0').count(),
            1,
            "{}",
            text.as_str()
        );
        assert_eq!(*crockford::decode(&text).unwrap(), bytes);
    }
    // Symbols are uniform over a large sample of random codes.
    let mut counts = [0u32; 32];
    for _ in 0..400 {
        let mut bytes = [0u8; 10];
        getrandom::fill(&mut bytes).unwrap();
        for b in crockford::encode(&bytes).bytes().filter(|&b| b != b'-') {
            counts[usize::try_from(crockford::value(b)).unwrap()] += 1;
        }
    }
    // 6,400 symbols: 200 expected per value; far outside 100..300 means a
    // broken mapping, not bad luck (about 7 standard deviations).
    assert!(
        counts.iter().all(|&n| (100..300).contains(&n)),
        "{counts:?}"
    );
}

#[test]
fn each_code_works_once_and_the_last_one_too() {
    let p = policy().to_builder().count(3).build().unwrap();
    let (mut record, codes) = generate(&p);
    for (i, code) in codes.iter().enumerate() {
        let outcome;
        (record, outcome) = verify(&record, &p, code, T0 + i as u64);
        assert_eq!(outcome, Ok(()), "code {i}");
        assert_eq!(record.remaining(), 2 - i);
        // Reuse is refused.
        if i < 2 {
            let (_, again) = verify(&record, &p, code, T0 + 10);
            assert_eq!(again, Err(RecoveryError::Rejected));
        }
    }
    // After the last code: nothing left, nothing evaluated.
    assert_eq!(record.remaining(), 0);
    let (unchanged, outcome) = record.verify(&p, &codes[0], T0 + 20).into_parts();
    assert_eq!(
        (unchanged, outcome),
        (None, Err(RecoveryError::NoCodesLeft))
    );
    assert_eq!(record.total(), 3);
    assert!(
        record
            .codes
            .iter()
            .zip(0u64..)
            .all(|(c, i)| c.used_at == Some(T0 + i))
    );
}

#[test]
fn codes_may_be_used_in_any_order() {
    let p = policy().to_builder().count(4).build().unwrap();
    let (mut record, codes) = generate(&p);
    for i in [2, 0, 3, 1] {
        let outcome;
        (record, outcome) = verify(&record, &p, &codes[i], T0);
        assert_eq!(outcome, Ok(()));
        assert_eq!(
            record.codes[i].used_at,
            Some(T0),
            "the matched slot is marked"
        );
    }
}

#[test]
fn input_is_normalized() {
    let p = policy().to_builder().count(1).build().unwrap();
    let (record, codes) = generate(&p);
    let code = &codes[0];
    let plain = code.replace('-', "");
    let variants = [
        code.clone(),
        code.to_lowercase(),
        plain.clone(),
        plain.to_lowercase(),
        code.replace('-', " "),
        format!("  {}  ", code.replace('-', " - ")),
        code.replace('-', "\u{2013}"), // en dash from a word processor
        code.replace('-', "\u{2010}"),
        plain.replace('0', "O").replace('1', "I"),
        plain.replace('0', "o").replace('1', "l"),
    ];
    for typed in &variants {
        assert_eq!(verify(&record, &p, typed, T0).1, Ok(()), "{typed}");
    }
}

#[test]
fn malformed_input_counts_but_runs_no_kdf() {
    let p = policy()
        .to_builder()
        .throttle(ThrottlePolicy::builder().initial_delay(0).build().unwrap())
        .build()
        .unwrap();
    let (record, codes) = generate(&p);
    let (record, outcome) = verify(&record, &p, &codes[0][..18], T0);
    assert_eq!(
        outcome,
        Err(RecoveryError::WrongLength {
            expected: 16,
            found: 15
        })
    );
    assert_eq!(record.throttle().failures(), 1);
    let too_long = format!("{}0", codes[0]);
    assert_eq!(
        verify(&record, &p, &too_long, T0).1,
        Err(RecoveryError::WrongLength {
            expected: 16,
            found: 17
        })
    );
    assert_eq!(
        verify(&record, &p, "ABCD-EFGH-JKMN-PQRU", T0).1,
        Err(RecoveryError::InvalidCharacter { position: 19 })
    );
    assert_eq!(
        verify(&record, &p, "ABCD_EFGH-JKMN-PQRS", T0).1,
        Err(RecoveryError::InvalidCharacter { position: 5 })
    );
    assert_eq!(
        verify(&record, &p, "ABCD-EFGH-JKMN-PQRÉ", T0).1,
        Err(RecoveryError::InvalidCharacter { position: 19 })
    );
    // Beyond Latin-1 too (a character no byte holds): refused where it
    // stands, never read as a symbol.
    assert_eq!(
        verify(&record, &p, "ABCD-EFGH-JKMN-PQR€", T0).1,
        Err(RecoveryError::InvalidCharacter { position: 19 })
    );
    assert_eq!(
        verify(&record, &p, "", T0).1,
        Err(RecoveryError::WrongLength {
            expected: 16,
            found: 0
        })
    );
}

#[test]
fn regenerate_invalidates_the_old_set_and_keeps_failures() {
    let p = policy()
        .to_builder()
        .throttle(ThrottlePolicy::builder().initial_delay(0).build().unwrap())
        .build()
        .unwrap();
    let (record, old_codes) = generate(&p);
    let (record, _) = verify(&record, &p, "0000-0000-0000-0000", T0);
    assert_eq!(record.throttle().failures(), 1);
    let (new, new_codes) = record.regenerate(&p, T0 + 10).into_parts();
    let (new, new_codes) = (new.unwrap(), new_codes.unwrap());
    assert_eq!(new.version(), record.version() + 1);
    assert_eq!((new.remaining(), new.generated_at()), (10, T0 + 10));
    assert_eq!(new.throttle().failures(), 1, "regeneration is no reset");
    assert_ne!(new.salt, record.salt);
    for old in &old_codes {
        assert_eq!(
            verify(&new, &p, old, T0 + 20).1,
            Err(RecoveryError::Rejected)
        );
    }
    let (new, outcome) = verify(&new, &p, new_codes[9].expose(), T0 + 20);
    assert_eq!(outcome, Ok(()));
    assert_eq!(new.throttle().failures(), 0, "a success resets");
}

#[test]
fn throttled_and_locked_out() {
    // One forgiven failure, a 1 s backoff, a lockout at the third.
    let p = policy()
        .to_builder()
        .throttle(
            ThrottlePolicy::builder()
                .free_failures(1)
                .max_failures(3)
                .build()
                .unwrap(),
        )
        .build()
        .unwrap();
    let (record, codes) = generate(&p);
    let wrong = "0000-0000-0000-0000";
    let refused = |record: &RecoveryCodes, now: u64| {
        let (unchanged, outcome) = record.verify(&p, &codes[0], now).into_parts();
        assert!(unchanged.is_none(), "refused at {now}: nothing written");
        outcome
    };
    // Failure 1 is forgiven: the next attempt, at the same second, counts.
    let (record, outcome) = verify(&record, &p, wrong, T0);
    assert_eq!(outcome, Err(RecoveryError::Rejected));
    assert_eq!(record.throttle().retry_at(), T0);
    // Failure 2 backs off for 1 s: refused, unevaluated, in its last second.
    let (record, _) = verify(&record, &p, wrong, T0);
    assert_eq!(
        refused(&record, T0),
        Err(RecoveryError::Refused(Refused::Backoff {
            retry_at: T0 + 1,
            retry_after: 1
        }))
    );
    // Failure 3 locks for 900 s.
    let (locked, _) = verify(&record, &p, wrong, T0 + 1);
    assert_eq!(locked.throttle().failures(), 3);
    for (now, retry_after) in [(T0 + 1, 900), (T0 + 900, 1)] {
        assert_eq!(
            refused(&locked, now),
            Err(RecoveryError::Refused(Refused::LockedOut {
                retry_at: T0 + 901,
                retry_after
            }))
        );
    }
    // An administrator lifts it at once; the strike stays, so one typo is
    // forgiven and the next failure locks for twice as long.
    let unlocked = locked.unlock();
    assert_eq!(
        (
            unlocked.version(),
            unlocked.throttle().failures(),
            unlocked.throttle().strikes()
        ),
        (locked.version() + 1, 0, 1)
    );
    assert_eq!(verify(&unlocked, &p, &codes[0], T0 + 2).1, Ok(()));
    let (typo, _) = verify(&unlocked, &p, wrong, T0 + 2);
    assert_eq!(typo.throttle().retry_at(), T0 + 2, "forgiven");
    let (again, _) = verify(&typo, &p, wrong, T0 + 2);
    assert_eq!(again.throttle().retry_at(), T0 + 1_802);
    // Otherwise it ends at T0 + 901, and the run goes on: with a strike,
    // the next failure locks at once, for twice as long.
    let (locked, _) = verify(&locked, &p, wrong, T0 + 901);
    assert_eq!(
        refused(&locked, T0 + 2_700),
        Err(RecoveryError::Refused(Refused::LockedOut {
            retry_at: T0 + 2_701,
            retry_after: 1
        }))
    );
    let (record, outcome) = verify(&locked, &p, &codes[0], T0 + 2_701);
    assert_eq!(outcome, Ok(()));
    let t = record.throttle();
    assert_eq!((t.failures(), t.retry_at(), t.strikes()), (0, 0, 2));
    // After the owner's success: one forgiven typo, then 900 × 2^2 s.
    let (record, _) = verify(&record, &p, wrong, T0 + 2_701);
    assert_eq!(record.throttle().retry_at(), T0 + 2_701, "forgiven");
    let (locked, _) = verify(&record, &p, wrong, T0 + 2_701);
    assert_eq!(
        refused(&locked, T0 + 2_701),
        Err(RecoveryError::Refused(Refused::LockedOut {
            retry_at: T0 + 6_301,
            retry_after: 3_600
        }))
    );
}

#[test]
fn unthrottled_by_default() {
    // 80-bit codes: every attempt is evaluated, failures are only counted.
    assert_eq!(
        RecoveryPolicy::default().throttle(),
        ThrottlePolicy::unlimited()
    );
    let p = policy().to_builder().count(1).build().unwrap();
    let (mut record, codes) = generate(&p);
    for n in 1..=120 {
        let outcome;
        (record, outcome) = verify(&record, &p, "0000-0000-0000-0000", T0);
        assert_eq!(outcome, Err(RecoveryError::Rejected), "failure {n}");
        assert_eq!(record.throttle().failures(), n);
        assert_eq!(record.throttle().check(T0), Ok(()), "failure {n}");
    }
    assert_eq!(record.throttle().strikes(), 0);
    assert_eq!(verify(&record, &p, &codes[0], T0).1, Ok(()));
}

#[test]
fn deterministic_generation() {
    let p = policy().to_builder().count(2).build().unwrap();
    let (a, codes_a) = RecoveryCodes::generate_with(&p, T0, counter(0)).unwrap();
    let (b, codes_b) = RecoveryCodes::generate_with(&p, T0, counter(0)).unwrap();
    assert_eq!(a, b);
    // Salt 0..16, then code bytes 16..26 and 26..36.
    let first: Vec<u8> = (16..26).collect();
    assert_eq!(
        codes_a[0].expose(),
        crockford::encode(&first.try_into().unwrap()).as_str()
    );
    assert_eq!(codes_a[1].expose(), codes_b[1].expose());
    assert_eq!(a.salt, core::array::from_fn(|i| i as u8));
    // A stuck source is caught by the duplicate check.
    let stuck = |buf: &mut [u8]| -> Result<(), Infallible> {
        buf.fill(7);
        Ok(())
    };
    assert_eq!(
        RecoveryCodes::generate_with(&p, T0, stuck).err(),
        Some(RecoveryError::RandomSource)
    );
    let failing = |_: &mut [u8]| Err::<(), ()>(());
    assert_eq!(
        RecoveryCodes::generate_with(&p, T0, failing).err(),
        Some(RecoveryError::RandomSource)
    );
    let (unchanged, outcome) = a.regenerate_with(&p, T0, failing).into_parts();
    assert!(unchanged.is_none());
    assert_eq!(outcome.err(), Some(RecoveryError::RandomSource));
}

#[test]
fn policy_bounds() {
    let p = RecoveryPolicy::builder();
    assert_eq!(p.build(), Ok(RecoveryPolicy::default()));
    for (policy, ok) in [
        (p.count(0), false),
        (p.count(1), true),
        (p.count(20), true),
        (p.count(21), false),
        (p.iterations(999), false),
        (p.iterations(1_000), true),
        (p.iterations(1_000_000), true),
        (p.iterations(1_000_001), false),
        (
            p.throttle(ThrottlePolicy::builder().free_failures(9).build().unwrap()),
            true,
        ),
    ] {
        assert_eq!(policy.build().is_ok(), ok, "{policy:?}");
    }
    assert_eq!(
        p.count(0).build(),
        Err(ParamError::OutOfRange {
            name: "recovery codes per set",
            value: 0,
            min: 1,
            max: 20
        })
    );
    // An out-of-range throttle policy cannot be built, so it cannot reach
    // a RecoveryPolicy, nor an invalid RecoveryPolicy an operation.
    for throttle in [
        ThrottlePolicy::builder().max_failures(0),
        ThrottlePolicy::builder().free_failures(10),
        ThrottlePolicy::builder().lockout(0),
    ] {
        assert!(throttle.build().is_err(), "{throttle:?}");
    }
}

#[test]
fn iterations_are_stored_with_the_set() {
    // A set made with one count still verifies after the policy changes.
    let (record, codes) = generate(&policy());
    assert_eq!(record.iterations(), 1_000);
    let raised = RecoveryPolicy::builder().iterations(2_000).build().unwrap();
    assert_eq!(verify(&record, &raised, &codes[0], T0).1, Ok(()));
}

#[test]
fn default_policy_round_trip() {
    let (record, codes) =
        RecoveryCodes::generate(&RecoveryPolicy::builder().count(1).build().unwrap(), T0).unwrap();
    assert_eq!(record.iterations(), 10_000);
    assert_eq!(
        verify(&record, &RecoveryPolicy::default(), codes[0].expose(), T0).1,
        Ok(())
    );
}

#[test]
fn nothing_secret_in_debug_display_or_errors() {
    let (record, codes) = RecoveryCodes::generate(&policy(), T0).unwrap();
    let mut shown = format!("{record:?} {record:#?} {codes:?} {codes:#?}");
    for e in [
        RecoveryError::Rejected,
        RecoveryError::NoCodesLeft,
        RecoveryError::InvalidCharacter { position: 3 },
        RecoveryError::WrongLength {
            expected: 16,
            found: 3,
        },
        RecoveryError::RandomSource,
        RecoveryError::Refused(Refused::LockedOut {
            retry_at: T0,
            retry_after: 900,
        }),
        RecoveryError::Policy(ParamError::MaxDelay),
    ] {
        let text = format!("{e} {e:?}");
        assert!(
            text.chars().next().is_some_and(char::is_lowercase),
            "{text}"
        );
        shown.push_str(&text);
    }
    for code in &codes {
        let text = code.expose();
        assert!(!shown.contains(text), "{text}");
        assert!(!shown.contains(&text.replace('-', "")), "{text}");
    }
    let salt = format!("{:?}", record.salt);
    assert!(!shown.contains(&salt[1..12]), "{shown}");
    for stored in &record.codes {
        let hash = format!("{:?}", stored.hash);
        assert!(!shown.contains(&hash[1..12]), "{shown}");
        let hex: String = stored.hash.iter().map(|b| format!("{b:02x}")).collect();
        assert!(!shown.contains(&hex[..8]));
    }
    assert!(shown.contains("remaining: 10"));
    assert_eq!(format!("{:?}", codes[0]), "RecoveryCode(..)");
    fn zeroized_on_drop<T: ZeroizeOnDrop>() {}
    zeroized_on_drop::<RecoveryCode>();
}

#[test]
fn an_error_sources_the_error_it_wraps() {
    use core::error::Error;
    let refused = Refused::LockedOut {
        retry_at: T0,
        retry_after: 900,
    };
    let e = RecoveryError::from(refused);
    assert_eq!(e, RecoveryError::Refused(refused));
    let policy = RecoveryError::Policy(ParamError::MaxDelay);
    for (e, inner) in [
        (e, refused.to_string()),
        (policy, ParamError::MaxDelay.to_string()),
    ] {
        assert_eq!(e.source().map(ToString::to_string), Some(inner), "{e:?}");
    }
    assert!(RecoveryError::Rejected.source().is_none());
}

#[test]
fn a_code_is_written_into_a_string_of_its_final_size() {
    // Reserved up front, the string never grows: growing would copy the
    // code and leave the old buffer in freed memory, unzeroized.
    let text = crockford::encode(&[0xa5; 10]);
    assert_eq!(crockford::DISPLAY_LEN, "XXXX-XXXX-XXXX-XXXX".len());
    assert_eq!(
        (text.len(), text.capacity()),
        (crockford::DISPLAY_LEN, crockford::DISPLAY_LEN)
    );
}
