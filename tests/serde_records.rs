//! Feature `serde`: records and configuration round-trip, a record read
//! back verifies exactly like the original, and nothing invalid can be
//! deserialized.
#![cfg(feature = "serde")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mfa::{
    Algorithm, Digits, Hotp, HotpConfig, HotpRecord, Secret, ThrottlePolicy, Totp, TotpConfig,
    TotpRecord, Window,
};
use proptest::prelude::*;
use serde_json::{Value, json};

fn algorithm() -> impl Strategy<Value = Algorithm> {
    prop_oneof![
        Just(Algorithm::Sha1),
        Just(Algorithm::Sha256),
        Just(Algorithm::Sha512)
    ]
}

fn digits() -> impl Strategy<Value = Digits> {
    prop_oneof![Just(Digits::SIX), Just(Digits::SEVEN), Just(Digits::EIGHT)]
}

/// Any secret a record can hold, 80-bit legacy keys included.
fn secret() -> impl Strategy<Value = Secret> {
    proptest::collection::vec(any::<u8>(), Secret::LEGACY_MIN_LEN..=Secret::MAX_LEN)
        .prop_map(|bytes| Secret::from_bytes_legacy(&bytes).unwrap())
}

/// Any valid throttle policy: forgiven failures below `max_failures`,
/// lockouts from 1 s to a week, no backoff longer than the longest
/// lockout, failures forgotten after it to a year; or no throttle at all.
fn policy() -> impl Strategy<Value = ThrottlePolicy> {
    let limited = (
        0u64..=600,
        0u64..=3_600,
        1u32..=ThrottlePolicy::NIST_MAX_FAILURES,
        any::<u32>(),
        1u64..=ThrottlePolicy::MAX_LOCKOUT,
        any::<u64>(),
        any::<u64>(),
    )
        .prop_map(|(initial, extra, max, free, lockout, longest, forget)| {
            let max_lockout = lockout + longest % (ThrottlePolicy::MAX_LOCKOUT - lockout + 1);
            let max_delay = (initial + extra).min(max_lockout);
            let forget_after =
                max_lockout + forget % (ThrottlePolicy::MAX_FORGET_AFTER - max_lockout + 1);
            ThrottlePolicy::builder()
                .free_failures(free % max)
                .initial_delay(initial.min(max_delay))
                .max_delay(max_delay)
                .max_failures(max)
                .lockout(lockout)
                .max_lockout(max_lockout)
                .forget_after(forget_after)
                .build()
                .unwrap()
        });
    prop_oneof![9 => limited, 1 => Just(ThrottlePolicy::unlimited())]
        .prop_map(|p| p.to_builder().build().unwrap())
}

prop_compose! {
    fn totp_config()(
        algorithm in algorithm(),
        digits in digits(),
        period in 1u64..=300,
        t0 in 0u64..1_000_000,
        behind in 0..=Window::MAX,
        ahead in 0..=Window::MAX,
        resync in 0..=TotpConfig::MAX_RESYNC,
    ) -> TotpConfig {
        TotpConfig::builder()
            .algorithm(algorithm)
            .digits(digits)
            .period(period)
            .t0(t0)
            .window(Window::new(behind, ahead).unwrap())
            .resync(resync).build().unwrap()
    }
}

prop_compose! {
    fn hotp_config()(
        algorithm in algorithm(),
        digits in digits(),
        look_ahead in 0..=HotpConfig::MAX_LOOK_AHEAD,
        resync in 0..=HotpConfig::MAX_RESYNC,
    ) -> HotpConfig {
        HotpConfig::builder()
            .algorithm(algorithm)
            .digits(digits)
            .look_ahead(look_ahead)
            .resync(resync).build().unwrap()
    }
}

/// A record in any state reachable through its operations: some codes
/// accepted (so a last step and a drift), some failures, a version.
fn totp_record() -> impl Strategy<Value = TotpRecord> {
    (
        secret(),
        totp_config(),
        policy(),
        proptest::collection::vec((any::<bool>(), -3i64..=3), 0..6),
    )
        .prop_map(|(secret, config, policy, history)| {
            let totp = Totp::new(&secret, config).unwrap();
            let mut record = TotpRecord::with_policy(totp, policy).unwrap();
            let mut now: u64 = 1_700_000_000;
            for (good, skew) in history {
                now += 3_600;
                let phone = now.saturating_add_signed(skew * config.period() as i64);
                let code = if good {
                    record.totp().generate(phone).unwrap().to_string()
                } else {
                    "x".to_owned()
                };
                if let (Some(next), _) = record.verify(&code, now).into_parts() {
                    record = next;
                }
            }
            record
        })
}

fn hotp_record() -> impl Strategy<Value = HotpRecord> {
    (
        secret(),
        hotp_config(),
        policy(),
        0u64..u64::MAX / 2,
        proptest::collection::vec((any::<bool>(), 0u64..=3), 0..6),
    )
        .prop_map(|(secret, config, policy, start, history)| {
            let hotp = Hotp::new(&secret, config).unwrap();
            let mut record = HotpRecord::with_policy(hotp, policy)
                .unwrap()
                .starting_at(start);
            let mut now = 1_700_000_000;
            for (good, ahead) in history {
                now += 3_600;
                let code = if good {
                    record
                        .hotp()
                        .generate(record.next_counter() + ahead)
                        .to_string()
                } else {
                    "x".to_owned()
                };
                if let (Some(next), _) = record.verify(&code, now).into_parts() {
                    record = next;
                }
            }
            record
        })
}

/// The same input through two records gives the same outcome and the same
/// new record.
fn same_totp(a: &TotpRecord, b: &TotpRecord, code: &str, now: u64) {
    let (ra, oa) = a.verify(code, now).into_parts();
    let (rb, ob) = b.verify(code, now).into_parts();
    assert_eq!(oa, ob);
    assert_eq!(ra, rb);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn totp_records_round_trip_and_verify_alike(record in totp_record(), dt in 0u64..600, skew in -3i64..=3) {
        let json = serde_json::to_string(&record).unwrap();
        let back: TotpRecord = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &record);
        prop_assert_eq!(serde_json::to_string(&back).unwrap(), json);

        let now = 1_700_000_000 + 7 * 3_600 + dt;
        let period = record.totp().config().period() as i64;
        let phone = now.saturating_add_signed(skew * period);
        let good = record.totp().generate(phone).unwrap().to_string();
        same_totp(&record, &back, &good, now);
        same_totp(&record, &back, "123", now);
        let first = record.totp().generate(phone.saturating_add_signed(-period)).unwrap().to_string();
        let (ra, oa) = record.resync(&first, &good, now).into_parts();
        let (rb, ob) = back.resync(&first, &good, now).into_parts();
        prop_assert_eq!(oa, ob);
        prop_assert_eq!(ra, rb);
    }

    #[test]
    fn hotp_records_round_trip_and_verify_alike(record in hotp_record(), ahead in 0u64..8, now in any::<u64>()) {
        let json = serde_json::to_string(&record).unwrap();
        let back: HotpRecord = serde_json::from_str(&json).unwrap();
        prop_assert_eq!(&back, &record);
        let code = record.hotp().generate(record.next_counter() + ahead).to_string();
        let (ra, oa) = record.verify(&code, now).into_parts();
        let (rb, ob) = back.verify(&code, now).into_parts();
        prop_assert_eq!(oa, ob);
        prop_assert_eq!(ra, rb);
    }

    #[test]
    fn configs_and_policies_round_trip(t in totp_config(), h in hotp_config(), p in policy()) {
        prop_assert_eq!(serde_json::from_value::<TotpConfig>(serde_json::to_value(t).unwrap()).unwrap(), t);
        prop_assert_eq!(serde_json::from_value::<HotpConfig>(serde_json::to_value(h).unwrap()).unwrap(), h);
        prop_assert_eq!(serde_json::from_value::<ThrottlePolicy>(serde_json::to_value(p).unwrap()).unwrap(), p);
    }

    #[test]
    fn secrets_round_trip(secret in secret()) {
        let json = serde_json::to_string(&secret).unwrap();
        prop_assert_eq!(&json, &format!("\"{}\"", secret.expose_base32().as_str()));
        prop_assert_eq!(serde_json::from_str::<Secret>(&json).unwrap(), secret);
    }
}

fn rfc_record() -> TotpRecord {
    let totp = Totp::new(
        &Secret::from_bytes(b"12345678901234567890").unwrap(),
        TotpConfig::default(),
    )
    .unwrap();
    TotpRecord::new(totp)
}

#[test]
fn the_format_is_plain_and_stable() {
    let record = rfc_record();
    let now = 1_700_000_010;
    let code = record.totp().generate(now).unwrap().to_string();
    let record = record.verify(&code, now).into_parts().0.unwrap();
    assert_eq!(
        serde_json::to_value(&record).unwrap(),
        json!({
            "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "config": {
                "algorithm": "SHA1",
                "digits": 6,
                "period": 30,
                "t0": 0,
                "window": { "behind": 1, "ahead": 1 },
                "resync": 120
            },
            "last_step": 56_666_667,
            "drift": 0,
            "throttle": {
                "failures": 0,
                "retry_at": 0,
                "locked": false,
                "strikes": 0,
                "last_failure": 0
            },
            "policy": {
                "limited": true,
                "free_failures": 3,
                "initial_delay": 1,
                "max_delay": 300,
                "max_failures": 10,
                "lockout": 900,
                "max_lockout": 86_400,
                "forget_after": 2_592_000
            },
            "version": 1
        })
    );
    let hotp = HotpRecord::new(
        Hotp::new(
            &Secret::from_bytes(b"12345678901234567890").unwrap(),
            HotpConfig::default(),
        )
        .unwrap(),
    );
    assert_eq!(
        serde_json::to_value(&hotp).unwrap(),
        json!({
            "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
            "config": { "algorithm": "SHA1", "digits": 6, "look_ahead": 5, "resync": 100 },
            "last_counter": null,
            "throttle": {
                "failures": 0,
                "retry_at": 0,
                "locked": false,
                "strikes": 0,
                "last_failure": 0
            },
            "policy": {
                "limited": true,
                "free_failures": 3,
                "initial_delay": 1,
                "max_delay": 300,
                "max_failures": 10,
                "lockout": 900,
                "max_lockout": 86_400,
                "forget_after": 2_592_000
            },
            "version": 0
        })
    );
    // A lockout is stored as such, and read back as one.
    // Ten failures, each as soon as it is evaluated: the 10th at 1,063.
    let mut locked = hotp;
    for _ in 0..10 {
        let now = locked.throttle().retry_at().max(1_000);
        locked = locked.verify("000000", now).into_parts().0.unwrap();
    }
    let json = serde_json::to_value(&locked).unwrap();
    assert_eq!(
        json["throttle"],
        json!({
            "failures": 10,
            "retry_at": 1_963,
            "locked": true,
            "strikes": 1,
            "last_failure": 1_063
        })
    );
    let back: HotpRecord = serde_json::from_value(json).unwrap();
    assert!(back.throttle().is_locked_out(1_962));
    assert!(!back.throttle().is_locked_out(1_963));
    assert_eq!(back, locked);
    // A success keeps the strike and the time of the last failure, and
    // both are read back: the next failure but one locks for 1,800 s.
    let good = back.hotp().generate(0).to_string();
    let owner = back.verify(&good, 1_963).into_parts().0.unwrap();
    let json = serde_json::to_value(&owner).unwrap();
    assert_eq!(
        json["throttle"],
        json!({
            "failures": 0,
            "retry_at": 0,
            "locked": false,
            "strikes": 1,
            "last_failure": 1_063
        })
    );
    let mut back: HotpRecord = serde_json::from_value(json).unwrap();
    for _ in 0..2 {
        back = back.verify("000000", 2_000).into_parts().0.unwrap();
    }
    assert_eq!(back.throttle().retry_at(), 2_000 + 1_800);
    // An unlimited policy is stored as such.
    let unlimited = serde_json::to_value(ThrottlePolicy::unlimited()).unwrap();
    assert_eq!(unlimited["limited"], json!(false));
    assert_eq!(
        serde_json::from_value::<ThrottlePolicy>(unlimited).unwrap(),
        ThrottlePolicy::unlimited()
    );
}

/// The record's JSON with one field replaced (or removed, for `Null`).
fn patched(path: &[&str], value: Value) -> String {
    let mut json = serde_json::to_value(rfc_record()).unwrap();
    let mut at = &mut json;
    for key in &path[..path.len() - 1] {
        at = &mut at[*key];
    }
    let object = at.as_object_mut().unwrap();
    let last = path[path.len() - 1];
    if value.is_null() {
        object.remove(last);
    } else {
        object.insert(last.to_owned(), value);
    }
    json.to_string()
}

#[test]
fn invalid_records_are_refused() {
    let cases: [(&[&str], Value, &str); 33] = [
        (&["config", "digits"], json!(5), "5 digits"),
        (&["config", "digits"], json!(9), "9 digits"),
        (&["config", "period"], json!(0), "period"),
        (&["config", "algorithm"], json!("MD5"), "unknown algorithm"),
        (&["config", "window", "ahead"], json!(11), "window of 11"),
        (
            &["config", "resync"],
            json!(2_881),
            "resynchronisation range of 2881",
        ),
        (&["policy", "max_failures"], json!(101), "101 failures"),
        (&["policy", "max_failures"], json!(0), "0 failures"),
        (&["policy", "initial_delay"], json!(301), "maximum backoff"),
        (
            &["policy", "free_failures"],
            json!(10),
            "failures forgiven before any wait: 10 is out of range; use 0 to 9",
        ),
        (
            &["policy", "lockout"],
            json!(0),
            "seconds of the first lockout: 0 is out of range",
        ),
        (
            &["policy", "max_lockout"],
            json!(899),
            "seconds of the longest lockout: 899 is out of range; use 900 to 604800",
        ),
        (
            &["policy", "max_lockout"],
            json!(604_801),
            "seconds of the longest lockout: 604801 is out of range",
        ),
        (
            &["policy", "lockout"],
            Value::Null,
            "missing field `lockout`",
        ),
        (
            &["policy", "free_failures"],
            Value::Null,
            "missing field `free_failures`",
        ),
        (&["policy", "extra"], json!(1), "unknown field `extra`"),
        (
            &["policy", "max_delay"],
            json!(86_401),
            "seconds of the longest backoff: 86401 is out of range; use 1 to 86400",
        ),
        (
            &["policy", "forget_after"],
            json!(86_399),
            "seconds without a failure before failures are forgotten: 86399 is out of range; use 86400 to 31536000",
        ),
        (
            &["policy", "forget_after"],
            json!(31_536_001),
            "seconds without a failure before failures are forgotten: 31536001 is out of range",
        ),
        (
            &["policy", "forget_after"],
            Value::Null,
            "missing field `forget_after`",
        ),
        (
            &["policy", "limited"],
            Value::Null,
            "missing field `limited`",
        ),
        (&["policy", "limited"], json!(0), "invalid type"),
        (
            &["throttle", "locked"],
            Value::Null,
            "missing field `locked`",
        ),
        (&["throttle", "locked"], json!(1), "invalid type"),
        (
            &["throttle", "strikes"],
            Value::Null,
            "missing field `strikes`",
        ),
        (
            &["throttle", "last_failure"],
            Value::Null,
            "missing field `last_failure`",
        ),
        (&["throttle", "strikes"], json!(-1), "invalid value"),
        (&["throttle", "extra"], json!(1), "unknown field `extra`"),
        (&["drift"], json!(121), "drift of 121"),
        (&["drift"], json!(-121), "drift of -121"),
        (&["secret"], json!("GEZDGNBVGY3TQOJQ1"), "invalid Base32"),
        (&["secret"], json!("GEZDGNBVGY3TQOI"), "at least 80"),
        (&["last_step"], Value::Null, "missing field `last_step`"),
    ];
    for (path, value, message) in cases {
        let text = patched(path, value);
        let err = serde_json::from_str::<TotpRecord>(&text)
            .unwrap_err()
            .to_string();
        assert!(err.contains(message), "{path:?}: {err}");
        assert!(
            !err.contains("GEZDGNBV"),
            "an error must not show the secret: {err}"
        );
    }
    // The bounds are inclusive; unknown fields are refused.
    assert!(serde_json::from_str::<TotpRecord>(&patched(&["drift"], json!(-120))).is_ok());
    let accepted: [(&[&str], Value); 11] = [
        (&["policy", "free_failures"], json!(9)),
        (&["policy", "free_failures"], json!(0)),
        (&["policy", "lockout"], json!(1)),
        (&["policy", "max_lockout"], json!(900)),
        (&["policy", "max_lockout"], json!(604_800)),
        (&["policy", "max_delay"], json!(86_400)),
        (&["policy", "forget_after"], json!(86_400)),
        (&["policy", "forget_after"], json!(31_536_000)),
        (&["policy", "limited"], json!(false)),
        (&["throttle", "locked"], json!(true)),
        (&["throttle", "strikes"], json!(u32::MAX)),
    ];
    for (path, value) in accepted {
        let text = patched(path, value);
        assert!(
            serde_json::from_str::<TotpRecord>(&text).is_ok(),
            "{path:?}: {text}"
        );
    }
    let err = serde_json::from_str::<TotpRecord>(&patched(&["extra"], json!(1))).unwrap_err();
    assert!(err.to_string().contains("unknown field `extra`"), "{err}");
    let err = serde_json::from_str::<Window>(r#"{"behind":1,"ahead":1,"both":1}"#).unwrap_err();
    assert!(err.to_string().contains("unknown field"), "{err}");
}

#[test]
fn a_legacy_secret_reads_back_but_a_short_one_does_not() {
    let legacy = Secret::from_base32_legacy("JBSWY3DPEHPK3PXP").unwrap();
    let json = serde_json::to_string(&legacy).unwrap();
    let back: Secret = serde_json::from_str(&json).unwrap();
    assert!(back.is_short());
    assert_eq!(back, legacy);
    assert!(serde_json::from_str::<Secret>("\"JBSWY3DPEHPK3PX\"").is_err());
    // Lenient like the Base32 parser, for hand-edited data.
    let spaced: Secret = serde_json::from_str("\"jbsw y3dp ehpk 3pxp\"").unwrap();
    assert_eq!(spaced, legacy);
}

#[test]
fn algorithm_and_digits_forms() {
    assert_eq!(
        serde_json::to_string(&Algorithm::Sha256).unwrap(),
        "\"SHA256\""
    );
    assert_eq!(
        serde_json::from_str::<Algorithm>("\"sha-512\"").unwrap(),
        Algorithm::Sha512
    );
    assert_eq!(serde_json::to_string(&Digits::EIGHT).unwrap(), "8");
    assert!(serde_json::from_str::<Digits>("256").is_err());
}
