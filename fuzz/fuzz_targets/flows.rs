//! The flows driven by fuzzed session state: an `Enrollment`, a
//! `Verification` or a `Verified` read from JSON (edited, hand-made, or one
//! the flows made under the fuzzer's fixed key), an account record read
//! from JSON, a code and a time; every call must answer with a result,
//! never panic, and any write it asks for must follow the record it was
//! computed from.
//!
//! The code field is also read as a remembered device's cookie.
//!
//! Input: `op` (1 byte), `now` (8 bytes, big-endian), then three fields
//! separated by zero bytes: the state's JSON, the account's JSON, the code.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mfa::{
    AdminId, DeviceToken, Enrollment, FactorId, FactorName, FlowPolicy, Flows, OobKey, Protection,
    Reason, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Transition, Verification, Verified,
};

/// The flows, under a fixed key so that seeds can hold valid states.
fn flows() -> &'static Flows<TotpFactor> {
    static FLOWS: OnceLock<Flows<TotpFactor>> = OnceLock::new();
    FLOWS.get_or_init(|| {
        let policy = FlowPolicy::builder()
            .recovery(
                RecoveryPolicy::builder()
                    .iterations(1_000)
                    .count(3)
                    .build()
                    .expect("a valid recovery policy"),
            )
            .build()
            .expect("a valid policy");
        Flows::new(
            TotpFactor::new("Fuzz").expect("an issuer"),
            OobKey::from_bytes(&[7; 32]).expect("a key"),
            policy,
        )
        .expect("flows")
    })
}

/// A write must expect the loaded version and advance it by one.
fn check<S>(account: &Protection<TotpRecord>, t: &Transition<S, TotpRecord>) {
    if let Some(p) = t.persist() {
        assert_eq!(p.expected_version, account.version());
        assert_eq!(p.record.version(), account.version().wrapping_add(1));
    }
    let _ = (t.result(), t.effects().len(), format!("{:?}", t.result()));
}

fuzz_target!(|data: &[u8]| {
    let [op, rest @ ..] = data else { return };
    let Some((now, rest)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let now = u64::from_be_bytes(*now);
    let mut fields = rest.split(|&b| b == 0);
    let state = fields.next().unwrap_or_default();
    let account = fields.next().unwrap_or_default();
    let code = core::str::from_utf8(fields.next().unwrap_or_default()).unwrap_or("");
    let flows = flows();
    let account: Protection<TotpRecord> = match serde_json::from_slice(account) {
        Ok(account) => account,
        Err(_) => return,
    };
    // A factor id: the code's, if it is one, or the account's first.
    let factor: Option<FactorId> = code
        .parse()
        .ok()
        .or_else(|| account.factors().first().map(|f| *f.id()));
    let scenario = match op % 3 {
        0 => Scenario::LogOn,
        1 => Scenario::CriticalOperation,
        _ => Scenario::Custom("export".into()),
    };
    if let Ok(e) = serde_json::from_slice::<Enrollment>(state) {
        let _ = (e.awaiting(), e.is_done(), e.scenarios());
        match op % 5 {
            0 => check(&account, &e.verify_identity(flows, &account, code, now)),
            1 => check(&account, &e.setup(flows, &account, &code.to_owned(), now)),
            2 => check(&account, &e.confirm(flows, &account, &[code], now)),
            3 => check(&account, &e.resend(flows, &account, now)),
            _ => check(&account, &e.resend_identity(flows, &account, now)),
        }
    }
    if let Ok(v) = serde_json::from_slice::<Verification>(state) {
        let _ = (v.awaiting(), v.is_done(), v.verified(), v.scenario());
        let _ = v.factor();
        match op % 5 {
            0 => check(&account, &v.respond(flows, &account, code, now)),
            1 => check(&account, &v.respond_recovery(flows, &account, code, now)),
            2 => check(&account, &v.send_code(flows, &account, now)),
            3 => {
                let _ = v.authorize(flows, &account, &scenario, now);
            }
            _ => {
                if let Some(factor) = &factor {
                    check(&account, &v.choose(flows, &account, factor, now));
                }
            }
        }
    }
    if let Ok(proof) = serde_json::from_slice::<Verified>(state) {
        let _ = (proof.at(), proof.scenario(), proof.by_recovery_code());
        let name = FactorName::new(code).ok();
        match op % 7 {
            0 => check(&account, &account.turn_off(flows, &proof, now)),
            1 => check(
                &account,
                &account.set_scenarios(flows, &[scenario.clone()], &proof, now),
            ),
            2 => check(
                &account,
                &account.regenerate_recovery_codes(flows, &proof, now),
            ),
            3 => {
                if let Some(factor) = &factor {
                    check(
                        &account,
                        &Enrollment::start_change(flows, &account, factor, &proof, now),
                    );
                }
            }
            4 => {
                if let Some(name) = &name {
                    check(
                        &account,
                        &Enrollment::start_add(flows, &account, &proof, name, now),
                    );
                }
            }
            5 => {
                if let (Some(factor), Some(name)) = (&factor, &name) {
                    check(
                        &account,
                        &account.rename_factor(flows, factor, name, &proof, now),
                    );
                }
            }
            _ => {
                if let Some(factor) = &factor {
                    check(&account, &account.remove_factor(flows, factor, &proof, now));
                }
            }
        }
        check(&account, &account.trust_device(flows, &proof, now));
    }
    // The code field as a remembered device's cookie.
    if let Ok(token) = DeviceToken::parse(code) {
        check(
            &account,
            &Verification::start_trusted(
                flows,
                &account,
                scenario.clone(),
                Some(&token),
                None,
                now,
            ),
        );
        check(&account, &account.revoke_device(token.id(), now));
    }
    check(&account, &account.revoke_all_devices(now));
    let _ = account.trusted_devices(now).count();
    if let (Ok(admin), Ok(reason)) = (AdminId::new(code), Reason::new(code)) {
        check(&account, &account.admin_reset(flows, &admin, &reason, now));
    }
    check(
        &account,
        &Verification::start(flows, &account, scenario, None, now),
    );
});
