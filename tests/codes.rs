//! Out-of-band and recovery codes end to end: records that went through
//! random histories survive a JSON round trip and then behave exactly like
//! the originals; invalid stored records and policies are refused on
//! deserialization; whole flows run through a `Store`.

#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use std::convert::Infallible;

use mfa::{
    Destination, OobError, OobKey, OobPolicy, OobRecord, RecoveryCodes, RecoveryError,
    RecoveryPolicy, ThrottlePolicy,
};
use proptest::prelude::*;

const T0: u64 = 1_700_000_000;

fn key() -> OobKey {
    OobKey::from_bytes(&[0x5a; 32]).unwrap()
}

fn destinations() -> [Destination; 3] {
    [
        Destination::sms("+14155552671").unwrap(),
        Destination::sms("+447700900123").unwrap(),
        Destination::email("ada@example.com").unwrap(),
    ]
}

/// A random source that yields `value` as 8 big-endian bytes.
fn fixed(value: u64) -> impl FnMut(&mut [u8]) -> Result<(), Infallible> {
    move |buf: &mut [u8]| {
        for (dst, src) in buf.iter_mut().zip(value.to_be_bytes().iter().cycle()) {
            *dst = *src;
        }
        Ok(())
    }
}

fn json_round_trip<T: serde::Serialize + serde::de::DeserializeOwned>(value: &T) -> T {
    let text = serde_json::to_string(value).unwrap();
    serde_json::from_str(&text).unwrap()
}

prop_compose! {
    fn oob_policy()(
        digits in 6u8..=10,
        ttl in 1u64..=600,
        attempts in 1u8..=5,
        cooldown in 0u64..=120,
        sends in 1u8..=8,
        // Low daily caps, so that histories reach them.
        per_day in 1u16..=6,
        max_failures in 1u32..=12,
        free in 0u32..12,
        initial_delay in 0u64..=4,
        extra_delay in 0u64..=60,
        // Short lockouts, so that histories see them start and end.
        lockout in 1u64..=900,
        longest in 0u64..=3_600,
        // Quiet spells a history can see pass.
        forget in 0u64..=7_200,
        limited in proptest::bool::weighted(0.9),
    ) -> OobPolicy {
        let max_lockout = lockout + longest;
        let max_delay = (initial_delay + extra_delay).min(max_lockout);
        let throttle = if limited {
            ThrottlePolicy::builder()
                .free_failures(free % max_failures)
                .initial_delay(initial_delay.min(max_delay))
                .max_delay(max_delay)
                .max_failures(max_failures)
                .lockout(lockout)
                .max_lockout(max_lockout)
                .forget_after(max_lockout + forget).build().unwrap()
        } else {
            ThrottlePolicy::unlimited()
        };
        OobPolicy::builder()
            .digits(digits)
            .ttl(ttl)
            .max_attempts(attempts)
            .resend_cooldown(cooldown)
            .max_sends_per_hour(sends)
            .max_sends_per_day(per_day)
            .throttle(throttle)
            .build()
            .unwrap()
    }
}

#[derive(Clone, Debug)]
enum OobOp {
    Issue { to: usize, value: u64 },
    Right,
    Wrong,
    OtherDestination,
    Garbage,
    Unlock,
}

fn oob_op() -> impl Strategy<Value = (OobOp, u64)> {
    let op = prop_oneof![
        (0usize..3, any::<u64>()).prop_map(|(to, value)| OobOp::Issue { to, value }),
        Just(OobOp::Right),
        Just(OobOp::Wrong),
        Just(OobOp::OtherDestination),
        Just(OobOp::Garbage),
        Just(OobOp::Unlock),
    ];
    // Mostly seconds to minutes; now and then most of a day or more, so
    // that daily windows end and quiet spells pass.
    let dt = prop_oneof![9 => 0u64..400, 1 => 7_000u64..=90_000];
    (op, dt)
}

/// The state a test tracks beside the record: the last code sent and where.
#[derive(Clone, Default)]
struct Sent {
    code: Option<String>,
    to: usize,
}

/// Applies one operation; returns the record to keep and a summary of the
/// outcome, to compare two records' behaviour.
fn apply(
    record: &OobRecord,
    policy: &OobPolicy,
    sent: &mut Sent,
    op: &OobOp,
    now: u64,
) -> (OobRecord, String) {
    let dests = destinations();
    let check = |to: &Destination, input: &str| {
        let (new, outcome) = record.verify(policy, &key(), to, input, now).into_parts();
        (
            new.unwrap_or_else(|| record.clone()),
            format!("{outcome:?}"),
        )
    };
    match op {
        OobOp::Issue { to, value } => {
            let (new, outcome) = record
                .issue_with(policy, &key(), &dests[*to], now, fixed(*value))
                .into_parts();
            let summary = match &outcome {
                Ok(delivery) => {
                    sent.code = Some(delivery.code().expose().to_owned());
                    sent.to = *to;
                    format!(
                        "sent {} to {} until {}",
                        delivery.code().expose(),
                        delivery.destination(),
                        delivery.expires_at()
                    )
                }
                Err(e) => format!("{e:?}"),
            };
            (new.unwrap_or_else(|| record.clone()), summary)
        }
        OobOp::Right => {
            let code = sent.code.clone().unwrap_or_else(|| "123456".to_owned());
            check(&dests[sent.to], &code)
        }
        OobOp::Wrong => {
            let code = sent.code.clone().unwrap_or_else(|| "123456".to_owned());
            // Change the last digit.
            let mut wrong: Vec<u8> = code.into_bytes();
            if let Some(last) = wrong.last_mut() {
                *last = b'0' + (*last - b'0' + 1) % 10;
            }
            check(&dests[sent.to], &String::from_utf8(wrong).unwrap())
        }
        OobOp::OtherDestination => {
            let code = sent.code.clone().unwrap_or_else(|| "123456".to_owned());
            check(&dests[(sent.to + 1) % 3], &code)
        }
        OobOp::Garbage => check(&dests[sent.to], "12a"),
        OobOp::Unlock => (record.unlock(), "unlocked".to_owned()),
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn oob_record_round_trips_and_behaves_the_same(
        policy in oob_policy(),
        history in proptest::collection::vec(oob_op(), 0..16),
        probes in proptest::collection::vec(oob_op(), 1..6),
    ) {
        let mut record = OobRecord::new();
        let mut sent = Sent::default();
        let mut now = T0;
        for (op, dt) in &history {
            now += dt;
            (record, _) = apply(&record, &policy, &mut sent, op, now);
        }
        let read_back: OobRecord = json_round_trip(&record);
        prop_assert_eq!(&read_back, &record);
        prop_assert_eq!(json_round_trip(&policy), policy);

        // The same operations on the original and the copy give the same
        // outcomes and the same records.
        let (mut a, mut b) = (record, read_back);
        let (mut sent_a, mut sent_b) = (sent.clone(), sent);
        for (op, dt) in &probes {
            now += dt;
            let (next_a, outcome_a) = apply(&a, &policy, &mut sent_a, op, now);
            let (next_b, outcome_b) = apply(&b, &policy, &mut sent_b, op, now);
            prop_assert_eq!(&outcome_a, &outcome_b);
            prop_assert_eq!(&next_a, &next_b);
            (a, b) = (next_a, next_b);
        }
    }
}

#[derive(Clone, Debug)]
enum RecoveryOp {
    Use(usize),
    Wrong,
    Regenerate,
    Unlock,
}

fn recovery_op() -> impl Strategy<Value = (RecoveryOp, u64)> {
    let op = prop_oneof![
        4 => (0usize..20).prop_map(RecoveryOp::Use),
        2 => Just(RecoveryOp::Wrong),
        1 => Just(RecoveryOp::Regenerate),
        1 => Just(RecoveryOp::Unlock),
    ];
    (op, 0u64..30)
}

fn apply_recovery(
    record: &RecoveryCodes,
    policy: &RecoveryPolicy,
    codes: &mut Vec<String>,
    seed: &mut u8,
    op: &RecoveryOp,
    now: u64,
) -> (RecoveryCodes, String) {
    let check = |input: &str| {
        let (new, outcome) = record.verify(policy, input, now).into_parts();
        (
            new.unwrap_or_else(|| record.clone()),
            format!("{outcome:?}"),
        )
    };
    match op {
        RecoveryOp::Use(i) => check(&codes[i % codes.len()]),
        RecoveryOp::Wrong => check("0000-0000-0000-0000"),
        RecoveryOp::Regenerate => {
            *seed = seed.wrapping_add(101);
            let mut next = *seed;
            let source = |buf: &mut [u8]| -> Result<(), Infallible> {
                for b in buf.iter_mut() {
                    *b = next;
                    next = next.wrapping_mul(31).wrapping_add(7);
                }
                Ok(())
            };
            let (new, outcome) = record.regenerate_with(policy, now, source).into_parts();
            match outcome {
                Ok(new_codes) => {
                    *codes = new_codes.iter().map(|c| c.expose().to_owned()).collect();
                    (new.unwrap(), format!("regenerated {codes:?}"))
                }
                Err(e) => (record.clone(), format!("{e:?}")),
            }
        }
        RecoveryOp::Unlock => (record.unlock(), "unlocked".to_owned()),
    }
}

proptest! {
    // Each case runs PBKDF2 (1,000 iterations) a few dozen times.
    #![proptest_config(ProptestConfig::with_cases(16))]

    #[test]
    fn recovery_codes_round_trip_and_behave_the_same(
        count in 1u8..=4,
        max_failures in 1u32..=5,
        free in 0u32..5,
        lockout in 1u64..=60,
        forget in 0u64..=120,
        limited in proptest::bool::weighted(0.75),
        history in proptest::collection::vec(recovery_op(), 0..8),
        probes in proptest::collection::vec(recovery_op(), 1..4),
    ) {
        let throttle = if limited {
            ThrottlePolicy::builder()
                .free_failures(free % max_failures)
                .initial_delay(1)
                .max_delay(lockout)
                .max_failures(max_failures)
                .lockout(lockout)
                .max_lockout(lockout * 4)
                .forget_after(lockout * 4 + forget).build().unwrap()
        } else {
            ThrottlePolicy::unlimited()
        };
        let policy = RecoveryPolicy::builder()
            .count(count)
            .iterations(RecoveryPolicy::MIN_ITERATIONS)
            .throttle(throttle)
            .build();
        prop_assert!(policy.is_ok(), "{:?}", policy);
        let policy = policy.unwrap();
        let (mut record, generated) = RecoveryCodes::generate(&policy, T0).unwrap();
        let mut codes: Vec<String> = generated.iter().map(|c| c.expose().to_owned()).collect();
        let mut seed = 0u8;
        let mut now = T0;
        for (op, dt) in &history {
            now += dt;
            (record, _) = apply_recovery(&record, &policy, &mut codes, &mut seed, op, now);
        }
        let read_back: RecoveryCodes = json_round_trip(&record);
        prop_assert_eq!(&read_back, &record);
        prop_assert_eq!(read_back.remaining(), record.remaining());
        prop_assert_eq!(json_round_trip(&policy), policy);

        let (mut a, mut b) = (record, read_back);
        let (mut codes_a, mut codes_b) = (codes.clone(), codes);
        let (mut seed_a, mut seed_b) = (seed, seed);
        for (op, dt) in &probes {
            now += dt;
            let (next_a, outcome_a) = apply_recovery(&a, &policy, &mut codes_a, &mut seed_a, op, now);
            let (next_b, outcome_b) = apply_recovery(&b, &policy, &mut codes_b, &mut seed_b, op, now);
            prop_assert_eq!(&outcome_a, &outcome_b);
            prop_assert_eq!(&next_a, &next_b);
            (a, b) = (next_a, next_b);
        }
        // Every code still verifies the same way on both.
        for code in &codes_a {
            let (ra, oa) = a.verify(&policy, code, now + 1_000).into_parts();
            let (rb, ob) = b.verify(&policy, code, now + 1_000).into_parts();
            prop_assert_eq!((ra, oa), (rb, ob));
        }
    }
}

/// A record as JSON, changed by `edit`, read back.
fn edited<T: serde::Serialize + serde::de::DeserializeOwned>(
    value: &T,
    edit: impl FnOnce(&mut serde_json::Value),
) -> Result<T, serde_json::Error> {
    let mut json = serde_json::to_value(value).unwrap();
    edit(&mut json);
    serde_json::from_value(json)
}

#[test]
fn invalid_oob_records_are_refused() {
    let policy = OobPolicy::default();
    let to = &destinations()[0];
    let (record, _) = OobRecord::new()
        .issue_with(&policy, &key(), to, T0, fixed(1))
        .into_parts();
    let record = record.unwrap();
    assert!(edited(&record, |_| {}).is_ok());
    type Edit = Box<dyn FnOnce(&mut serde_json::Value)>;
    let cases: [(&str, Edit); 21] = [
        (
            "lifetime over 10 minutes",
            Box::new(|j| j["pending"]["expires_at"] = (T0 + 601).into()),
        ),
        (
            "expiry before issue",
            Box::new(|j| j["pending"]["expires_at"] = (T0 - 1).into()),
        ),
        (
            "too many failures",
            Box::new(|j| j["pending"]["failures"] = 6.into()),
        ),
        (
            "more failures than the code allows",
            Box::new(|j| {
                j["pending"]["max_attempts"] = 3.into();
                j["pending"]["failures"] = 4.into();
            }),
        ),
        (
            "no attempts allowed",
            Box::new(|j| j["pending"]["max_attempts"] = 0.into()),
        ),
        (
            "more than 5 attempts allowed",
            Box::new(|j| j["pending"]["max_attempts"] = 6.into()),
        ),
        (
            "attempts not stored",
            Box::new(|j| {
                j["pending"].as_object_mut().unwrap().remove("max_attempts");
            }),
        ),
        (
            "lockout not stored",
            Box::new(|j| {
                j["throttle"].as_object_mut().unwrap().remove("locked");
            }),
        ),
        (
            "unknown throttle field",
            Box::new(|j| j["throttle"]["extra"] = 1.into()),
        ),
        (
            "unknown pending field",
            Box::new(|j| j["pending"]["extra"] = 1.into()),
        ),
        ("5 digits", Box::new(|j| j["pending"]["digits"] = 5.into())),
        (
            "phone without +",
            Box::new(|j| j["pending"]["destination"]["Sms"] = "14155552671".into()),
        ),
        (
            "bad e-mail",
            Box::new(|j| {
                j["pending"]["destination"] = serde_json::json!({"Email": "ada@localhost"});
            }),
        ),
        (
            "unsorted sends",
            Box::new(|j| j["sends"] = serde_json::json!([T0, T0 - 1])),
        ),
        (
            "too many sends",
            Box::new(|j| j["sends"] = serde_json::json!(vec![T0; 61])),
        ),
        (
            "strikes not stored",
            Box::new(|j| {
                j["throttle"].as_object_mut().unwrap().remove("strikes");
            }),
        ),
        (
            "last failure not stored",
            Box::new(|j| {
                j["throttle"]
                    .as_object_mut()
                    .unwrap()
                    .remove("last_failure");
            }),
        ),
        (
            "more sends in a day than any policy allows",
            Box::new(|j| j["day_sends"] = 1_441.into()),
        ),
        (
            "daily count not stored",
            Box::new(|j| {
                j.as_object_mut().unwrap().remove("day_sends");
            }),
        ),
        (
            "daily window not stored",
            Box::new(|j| {
                j.as_object_mut().unwrap().remove("day_start");
            }),
        ),
        ("unknown field", Box::new(|j| j["extra"] = 1.into())),
    ];
    for (what, edit) in cases {
        assert!(edited(&record, edit).is_err(), "{what}");
    }
    // The boundary values are accepted.
    assert!(edited(&record, |j| j["pending"]["expires_at"] = (T0 + 600).into()).is_ok());
    assert!(edited(&record, |j| j["pending"]["failures"] = 5.into()).is_ok());
    assert!(
        edited(&record, |j| {
            j["pending"]["max_attempts"] = 3.into();
            j["pending"]["failures"] = 3.into();
        })
        .is_ok()
    );
    assert!(edited(&record, |j| j["pending"]["max_attempts"] = 1.into()).is_ok());
    // The attempts are stored with the code, and read back.
    let (three, _) = OobRecord::new()
        .issue_with(
            &policy.to_builder().max_attempts(3).build().unwrap(),
            &key(),
            to,
            T0,
            fixed(1),
        )
        .into_parts();
    let json = serde_json::to_value(three.unwrap()).unwrap();
    assert_eq!(json["pending"]["max_attempts"], 3);
    assert_eq!(
        json["throttle"],
        serde_json::json!({
            "failures": 0,
            "retry_at": 0,
            "locked": false,
            "strikes": 0,
            "last_failure": 0
        })
    );
    assert_eq!(
        (json["day_start"].as_u64(), json["day_sends"].as_u64()),
        (Some(T0), Some(1))
    );
    assert!(edited(&record, |j| j["sends"] = serde_json::json!(vec![T0; 60])).is_ok());
    assert!(edited(&record, |j| j["day_sends"] = 1_440.into()).is_ok());
    // The daily count is read back, and holds: a record at the cap sends
    // nothing more until its window ends.
    let full = edited(&record, |j| j["day_sends"] = 10.into()).unwrap();
    let (_, outcome) = full
        .issue_with(&policy, &key(), to, T0 + 3_600, fixed(2))
        .into_parts();
    assert_eq!(
        outcome.err(),
        Some(OobError::SendLimit {
            retry_at: T0 + 86_400,
            retry_after: 82_800
        })
    );
    let nine = edited(&record, |j| j["day_sends"] = 9.into()).unwrap();
    assert!(
        nine.issue_with(&policy, &key(), to, T0 + 3_600, fixed(2))
            .into_parts()
            .1
            .is_ok()
    );
}

#[test]
fn invalid_policies_and_recovery_records_are_refused() {
    let policy = OobPolicy::default();
    assert!(edited(&policy, |j| j["ttl"] = 600.into()).is_ok());
    assert!(edited(&policy, |j| j["ttl"] = 601.into()).is_err());
    assert!(edited(&policy, |j| j["digits"] = 11.into()).is_err());
    assert!(edited(&policy, |j| j["throttle"]["max_failures"] = 101.into()).is_err());
    assert_eq!(
        serde_json::to_value(policy.throttle()).unwrap(),
        serde_json::json!({
            "limited": true,
            "free_failures": 3,
            "initial_delay": 1,
            "max_delay": 300,
            "max_failures": 10,
            "lockout": 900,
            "max_lockout": 86_400,
            "forget_after": 2_592_000
        })
    );
    assert_eq!(
        serde_json::to_value(policy).unwrap()["max_sends_per_day"],
        10
    );
    for (value, ok) in [(0, false), (1, true), (1_440, true), (1_441, false)] {
        assert_eq!(
            edited(&policy, |j| j["max_sends_per_day"] = value.into()).is_ok(),
            ok,
            "max_sends_per_day = {value}"
        );
    }
    assert!(
        edited(&policy, |j| {
            j.as_object_mut().unwrap().remove("max_sends_per_day");
        })
        .is_err()
    );
    for (field, value, ok) in [
        ("free_failures", 9, true),
        ("free_failures", 10, false),
        ("lockout", 0, false),
        ("lockout", 1, true),
        ("max_lockout", 899, false),
        ("max_lockout", 900, true),
        ("max_lockout", 604_800, true),
        ("max_lockout", 604_801, false),
        ("max_delay", 86_400, true),
        ("max_delay", 86_401, false),
        ("forget_after", 86_399, false),
        ("forget_after", 86_400, true),
        ("forget_after", 31_536_000, true),
        ("forget_after", 31_536_001, false),
    ] {
        assert_eq!(
            edited(&policy, |j| j["throttle"][field] = value.into()).is_ok(),
            ok,
            "{field} = {value}"
        );
    }
    assert!(
        edited(&policy, |j| {
            j["throttle"].as_object_mut().unwrap().remove("lockout");
        })
        .is_err()
    );

    let recovery = RecoveryPolicy::default();
    // Unthrottled by default, and stored so.
    assert_eq!(
        serde_json::to_value(recovery).unwrap()["throttle"],
        serde_json::to_value(ThrottlePolicy::unlimited()).unwrap()
    );
    assert_eq!(
        serde_json::to_value(ThrottlePolicy::unlimited()).unwrap()["limited"],
        false
    );
    assert_eq!(json_round_trip(&recovery), recovery);
    assert!(edited(&recovery, |j| j["iterations"] = 999.into()).is_err());
    assert!(edited(&recovery, |j| j["count"] = 0.into()).is_err());

    let cheap = recovery
        .to_builder()
        .iterations(RecoveryPolicy::MIN_ITERATIONS)
        .count(2)
        .build()
        .unwrap();
    let (record, _) = RecoveryCodes::generate(&cheap, T0).unwrap();
    assert!(edited(&record, |_| {}).is_ok());
    assert!(edited(&record, |j| j["iterations"] = 999.into()).is_err());
    assert!(edited(&record, |j| j["iterations"] = 1_000_001.into()).is_err());
    assert!(edited(&record, |j| j["codes"] = serde_json::json!([])).is_err());
    // A set holds 1 to 20 codes, both bounds inclusive.
    let one = serde_json::to_value(&record).unwrap()["codes"][0].clone();
    for (n, ok) in [(1, true), (20, true), (21, false)] {
        let codes = serde_json::Value::Array(vec![one.clone(); n]);
        let read = edited(&record, |j| j["codes"] = codes);
        assert_eq!(read.is_ok(), ok, "{n} codes");
    }
    assert!(edited(&record, |j| j["salt"] = serde_json::json!([1, 2, 3])).is_err());
    assert!(
        edited(&record, |j| j["codes"][0]["hash"] =
            serde_json::json!(vec![0; 31]))
        .is_err()
    );
}

#[test]
fn serialized_records_hold_no_code() {
    let policy = OobPolicy::default();
    let (record, delivery) = OobRecord::new()
        .issue_with(&policy, &key(), &destinations()[0], T0, fixed(987_654))
        .into_parts();
    let json = serde_json::to_string(&record.unwrap()).unwrap();
    assert_eq!(delivery.unwrap().code().expose(), "987654");
    assert!(!json.contains("987654"), "{json}");

    let cheap = RecoveryPolicy::builder()
        .iterations(RecoveryPolicy::MIN_ITERATIONS)
        .build()
        .unwrap();
    let (record, codes) = RecoveryCodes::generate(&cheap, T0).unwrap();
    let json = serde_json::to_string(&record).unwrap();
    for code in &codes {
        assert!(!json.contains(code.expose()));
        assert!(!json.contains(&code.expose().replace('-', "")));
    }
}

#[cfg(feature = "std")]
mod through_a_store {
    use super::*;
    use mfa::{MemoryStore, Store};

    #[test]
    fn issue_and_verify_through_memory_store() -> Result<(), mfa::Error> {
        let store: MemoryStore<u64, OobRecord> = MemoryStore::new();
        let alice = 1;
        let (policy, key) = (OobPolicy::default(), key());
        let phone = &destinations()[0];
        let _ = store.insert(&alice, &OobRecord::new())?;

        let delivery = store.update(&alice, |r| r.issue(&policy, &key, phone, T0))??;
        let code = delivery.code().expose().to_owned();
        let wrong = if code == "000000" { "111111" } else { "000000" };
        assert_eq!(
            store.update(&alice, |r| r.verify(&policy, &key, phone, wrong, T0 + 1))?,
            Err(OobError::Rejected)
        );
        store.update(&alice, |r| r.verify(&policy, &key, phone, &code, T0 + 2))??;
        assert_eq!(
            store.update(&alice, |r| r.verify(&policy, &key, phone, &code, T0 + 3))?,
            Err(OobError::NoPendingCode)
        );
        let stored = store.load(&alice)?.unwrap();
        assert_eq!((stored.version(), stored.throttle().failures()), (3, 0));

        let cheap = RecoveryPolicy::builder()
            .iterations(RecoveryPolicy::MIN_ITERATIONS)
            .build()
            .unwrap();
        let recovery_store: MemoryStore<u64, RecoveryCodes> = MemoryStore::new();
        let (record, codes) = RecoveryCodes::generate(&cheap, T0)?;
        let _ = recovery_store.insert(&alice, &record)?;
        recovery_store.update(&alice, |r| r.verify(&cheap, codes[0].expose(), T0))??;
        assert_eq!(
            recovery_store.update(&alice, |r| r.verify(&cheap, codes[0].expose(), T0 + 1))?,
            Err(RecoveryError::Rejected)
        );
        let new_codes = recovery_store.update(&alice, |r| r.regenerate(&cheap, T0 + 2))??;
        assert_eq!(new_codes.len(), 10);
        let stored = recovery_store.load(&alice)?.unwrap();
        assert_eq!((stored.version(), stored.remaining()), (3, 10));
        Ok(())
    }
}
