//! What the `flows` and `flows_oob` targets share (and the seed maker,
//! `fuzz/examples/seeds.rs`): the flows' fixed key and policy, and
//! one pass of every call of the flows over one input, for any factor.
//!
//! Input: `op` (1 byte), `now` (8 bytes, big-endian), then three fields
//! separated by zero bytes: the state's JSON, the account's JSON, the code.
#![allow(dead_code)]

use mfa::{
    AdminId, DeviceToken, Enrollment, Factor, FactorId, FactorName, FlowPolicy, Flows, OobKey,
    Protection, Reason, RecoveryPolicy, Scenario, Transition, Verification, Verified,
};
use serde::de::DeserializeOwned;

/// The flows' key, fixed so that seeds can hold valid states.
pub const KEY: [u8; 32] = [7; 32];

/// The flows' key as an [`OobKey`].
pub fn key() -> OobKey {
    OobKey::from_bytes(&KEY).expect("a key")
}

/// The flows' policy: the defaults, with 3 recovery codes at 1,000
/// iterations so that a recovery code costs little.
pub fn policy() -> FlowPolicy {
    FlowPolicy::builder()
        .recovery(
            RecoveryPolicy::builder()
                .iterations(1_000)
                .count(3)
                .build()
                .expect("a valid recovery policy"),
        )
        .build()
        .expect("a valid policy")
}

/// A write must expect the loaded version and advance it by one.
fn check<S, R>(account: &Protection<R>, t: &Transition<S, R>)
where
    R: Clone + core::fmt::Debug,
{
    if let Some(p) = t.persist() {
        assert_eq!(p.expected_version, account.version());
        assert_eq!(p.record.version(), account.version().wrapping_add(1));
    }
    let _ = (t.result(), t.effects().len(), format!("{:?}", t.result()));
}

/// One input through the flows: the state read as an `Enrollment`, a
/// `Verification` or a `Verified`, each call picked by `op`, then the
/// calls that need no state. `setup` reads the code field as the factor's
/// setup (an account name, a phone number).
pub fn drive<F: Factor>(flows: &Flows<F>, data: &[u8], setup: impl Fn(&str) -> Option<F::Setup>)
where
    F::Record: DeserializeOwned,
{
    let [op, rest @ ..] = data else { return };
    let Some((now, rest)) = rest.split_first_chunk::<8>() else {
        return;
    };
    let now = u64::from_be_bytes(*now);
    let mut fields = rest.split(|&b| b == 0);
    let state = fields.next().unwrap_or_default();
    let account = fields.next().unwrap_or_default();
    let code = core::str::from_utf8(fields.next().unwrap_or_default()).unwrap_or("");
    let account: Protection<F::Record> = match serde_json::from_slice(account) {
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
            1 => {
                if let Some(setup) = setup(code) {
                    check(&account, &e.setup(flows, &account, &setup, now));
                }
            }
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
                &account.set_scenarios(flows, std::slice::from_ref(&scenario), &proof, now),
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
}
