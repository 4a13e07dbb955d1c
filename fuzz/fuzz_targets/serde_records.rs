//! serde_json of every layer-2 record, policy and the values they hold:
//! the first byte picks the type, the rest is JSON. What deserializes
//! serializes to JSON that deserializes again to the same JSON, and a
//! record that deserializes can be used (verified, resynchronised,
//! unlocked, issued to) without a panic.
//!
//! `FlowPolicy` deserializes exactly when the builder builds the same
//! fields. The flow types (`Protection`, `Enrollment`, `Verification`) are
//! the `flows` targets'.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfa::{
    Algorithm, BudgetLimits, Destination, Digits, FlowPolicy, HotpConfig, HotpRecord, OobKey,
    OobPolicy, OobRecord, PendingCode, RecoveryCodes, RecoveryPolicy, Secret, SendBudget, Throttle,
    ThrottlePolicy, TotpConfig, TotpRecord, Window,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

/// Deserializes `json` as `T`; if it does, checks the round trip and
/// returns the value.
fn round_trip<T: Serialize + DeserializeOwned>(json: &[u8]) -> Option<T> {
    let value: T = serde_json::from_slice(json).ok()?;
    let first = serde_json::to_string(&value).expect("a deserialized value serializes");
    let again: T = serde_json::from_str(&first)
        .unwrap_or_else(|e| panic!("own output {first} does not deserialize: {e}"));
    let second = serde_json::to_string(&again).expect("serializes");
    assert_eq!(first, second, "serialization is stable");
    Some(value)
}

/// Bounded work: resynchronisation of a deserialized record scans up to
/// twice its configured span, so only small spans are driven here.
const MAX_DRIVEN_RESYNC: u32 = 32;

fuzz_target!(|data: &[u8]| {
    let Some((&which, json)) = data.split_first() else {
        return;
    };
    let now = 1_700_000_000;
    match which % 18 {
        0 => {
            if let Some(record) = round_trip::<TotpRecord>(json) {
                let _ = record.verify("123456", now).into_parts();
                if record.totp().config().resync() <= MAX_DRIVEN_RESYNC {
                    let _ = record.resync("123456", "654321", now).into_parts();
                }
                let _ = record.unlock();
                let _ = (record.last_step(), record.drift(), record.max_drift());
            }
        }
        1 => {
            if let Some(record) = round_trip::<HotpRecord>(json) {
                let _ = record.verify("123456", now).into_parts();
                if record.hotp().config().resync() <= MAX_DRIVEN_RESYNC {
                    let _ = record.resync("123456", "654321", now).into_parts();
                }
                let _ = record.unlock();
                let _ = (record.next_counter(), record.last_counter());
            }
        }
        2 => {
            if let Some(record) = round_trip::<OobRecord>(json) {
                let policy = OobPolicy::default();
                let Ok(key) = OobKey::from_bytes(&[7; 32]) else {
                    return;
                };
                let to = record.pending().map(|p| p.destination().clone());
                let to = to.or_else(|| Destination::sms("+14155552671").ok());
                if let Some(to) = to {
                    let _ = record
                        .verify(&policy, &key, &to, "123456", now)
                        .into_parts();
                    let fill = |buf: &mut [u8]| -> Result<(), ()> {
                        buf.fill(1);
                        Ok(())
                    };
                    let _ = record
                        .issue_with(&policy, &key, &to, now, fill)
                        .into_parts();
                }
                let _ = record.next_send_at(&policy);
                let _ = record.unlock();
            }
        }
        3 => {
            if let Some(record) = round_trip::<RecoveryCodes>(json) {
                // Verifying costs `iterations` HMACs (up to 1,000,000);
                // the recovery_code target drives verification.
                let _ = (record.remaining(), record.total(), record.iterations());
                let _ = record.unlock();
            }
        }
        4 => {
            if let Some(policy) = round_trip::<ThrottlePolicy>(json) {
                // Deserialization checks what the builder checks.
                assert_eq!(policy.to_builder().build(), Ok(policy));
                let _ = policy.wait_after(u32::MAX);
                let throttle = Throttle::default().after_failure(now, &policy);
                // No wait is longer than the longest lockout.
                if let Err(refused) = throttle.check(now) {
                    assert!(refused.retry_after() <= policy.max_lockout());
                }
            }
        }
        5 => {
            if let Some(policy) = round_trip::<OobPolicy>(json) {
                // Deserialization checks what the builder checks.
                assert_eq!(policy.to_builder().build(), Ok(policy));
            }
        }
        6 => {
            if let Some(policy) = round_trip::<RecoveryPolicy>(json) {
                // Deserialization checks what the builder checks.
                assert_eq!(policy.to_builder().build(), Ok(policy));
            }
        }
        7 => {
            if let Some(throttle) = round_trip::<Throttle>(json) {
                let policy = ThrottlePolicy::default();
                let _ = throttle.check(now);
                let _ = throttle.after_failure(u64::MAX, &policy).after_success();
                let _ = (throttle.is_locked_out(now), throttle.strikes());
            }
        }
        8 => {
            let _ = round_trip::<PendingCode>(json);
        }
        9 => {
            let _ = round_trip::<TotpConfig>(json);
        }
        10 => {
            let _ = round_trip::<HotpConfig>(json);
        }
        11 => {
            let _ = round_trip::<Window>(json);
        }
        12 => {
            let _ = round_trip::<Digits>(json);
        }
        13 => {
            let _ = round_trip::<Algorithm>(json);
        }
        14 => {
            if let Some(budget) = round_trip::<SendBudget>(json) {
                // A stored budget (shared by every account texting a
                // number) is spent at any time without a panic.
                for limits in [
                    BudgetLimits::PER_NUMBER,
                    BudgetLimits::PER_NUMBER.with_per_hour(0),
                ] {
                    for at in [0, now, u64::MAX] {
                        let _ = budget.spend(&limits, at).into_parts();
                    }
                }
            }
        }
        15 => {
            let _ = round_trip::<BudgetLimits>(json);
        }
        16 => {
            let _ = round_trip::<Secret>(json);
        }
        _ => {
            if let Some(policy) = round_trip::<FlowPolicy>(json) {
                // Deserialization checks what the builder checks.
                assert_eq!(policy.to_builder().build(), Ok(policy));
            }
            // And refuses what the builder refuses: the same fields,
            // read one by one and given to the builder, build a policy
            // exactly when the whole deserializes, and the same one.
            if let Ok(value) = serde_json::from_slice::<Value>(json) {
                same_as_builder(&value);
            }
            // The same on numbers the fuzzer need not spell in JSON: the
            // default policy with its own numbers read from the input (2
            // bytes each, 4 for the trust, 1 for the codes left), which
            // whole JSON documents rarely reach with one valid edit.
            let mut value = serde_json::to_value(FlowPolicy::default()).expect("serializes");
            let mut rest = json;
            for (name, len) in [
                ("pending_ttl", 2),
                ("grace", 2),
                ("fresh_check", 2),
                ("pass_ttl", 2),
                ("trust_ttl", 4),
                ("recovery_low", 1),
            ] {
                let (bytes, tail) = rest.split_at(rest.len().min(len));
                rest = tail;
                if bytes.is_empty() {
                    break;
                }
                let mut n = [0u8; 8];
                n[..bytes.len()].copy_from_slice(bytes);
                value[name] = u64::from_le_bytes(n).into();
            }
            same_as_builder(&value);
        }
    }
});

/// A `FlowPolicy` deserializes from `value` exactly when the builder
/// builds its fields, and to the same policy.
fn same_as_builder(value: &Value) {
    // serde also reads a struct from an array of its fields in order,
    // which has no names to give the builder.
    if !value.is_object() {
        return;
    }
    let direct = serde_json::from_value::<FlowPolicy>(value.clone()).ok();
    match built(value) {
        Some(built) => assert_eq!(built.ok(), direct),
        None => assert_eq!(direct, None, "a field the builder has not"),
    }
}

/// The builder's answer for the fields of `value`, if it is an object
/// with every field of a `FlowPolicy` (the account throttle may be left
/// out), each of its type, and no other.
fn built(value: &Value) -> Option<Result<FlowPolicy, mfa::ParamError>> {
    fn field<T: DeserializeOwned>(object: &Map<String, Value>, name: &str) -> Option<T> {
        serde_json::from_value(object.get(name)?.clone()).ok()
    }
    const FIELDS: [&str; 9] = [
        "pending_ttl",
        "grace",
        "fresh_check",
        "pass_ttl",
        "trust_ttl",
        "identity",
        "recovery",
        "recovery_low",
        "account_throttle",
    ];
    let object = value.as_object()?;
    if object.keys().any(|k| !FIELDS.contains(&k.as_str())) {
        return None;
    }
    let throttle = match object.get("account_throttle") {
        Some(_) => field::<ThrottlePolicy>(object, "account_throttle")?,
        None => ThrottlePolicy::default(),
    };
    Some(
        FlowPolicy::builder()
            .pending_ttl(field(object, "pending_ttl")?)
            .grace(field(object, "grace")?)
            .fresh_check(field(object, "fresh_check")?)
            .pass_ttl(field(object, "pass_ttl")?)
            .trust_ttl(field(object, "trust_ttl")?)
            .identity(field(object, "identity")?)
            .recovery(field(object, "recovery")?)
            .recovery_low(field(object, "recovery_low")?)
            .account_throttle(throttle)
            .build(),
    )
}
