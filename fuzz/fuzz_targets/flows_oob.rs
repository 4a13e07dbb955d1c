//! The flows over the SMS factor, alone (`Flows<SmsFactor>`) or beside
//! TOTP (`Flows<EitherFactor<TotpFactor, SmsFactor>>`), driven by fuzzed
//! session state, account record, code and time as in the `flows` target:
//! no call panics, and every write follows the record it was computed
//! from.
//!
//! Input: one byte that picks the flows (even: SMS alone, odd: either
//! factor), then the `flows` target's input (see `common/drive.rs`). The
//! code field is also read as the setup: a phone number for SMS; for
//! either factor, a phone number if it is one, else a TOTP account name.
//! Seeds: states the flows made under the fixed key at each stage
//! (`cargo run --manifest-path fuzz/Cargo.toml --example seeds`).
#![no_main]

#[path = "common/drive.rs"]
mod drive;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mfa::{Either, EitherFactor, Flows, OobPolicy, PhoneNumber, SmsFactor, TotpFactor};

/// The SMS factor under the fixed key, texting at the challenge.
fn sms() -> SmsFactor {
    SmsFactor::new(drive::key(), OobPolicy::default())
        .expect("an SMS factor")
        .with_send_at_challenge(true)
}

fn sms_flows() -> &'static Flows<SmsFactor> {
    static FLOWS: OnceLock<Flows<SmsFactor>> = OnceLock::new();
    FLOWS.get_or_init(|| Flows::new(sms(), drive::key(), drive::policy()).expect("flows"))
}

fn either_flows() -> &'static Flows<EitherFactor<TotpFactor, SmsFactor>> {
    static FLOWS: OnceLock<Flows<EitherFactor<TotpFactor, SmsFactor>>> = OnceLock::new();
    FLOWS.get_or_init(|| {
        let totp = TotpFactor::new("Fuzz").expect("an issuer");
        Flows::new(
            EitherFactor::new(totp, sms()),
            drive::key(),
            drive::policy(),
        )
        .expect("flows")
    })
}

fuzz_target!(|data: &[u8]| {
    let [which, data @ ..] = data else { return };
    if which % 2 == 0 {
        drive::drive(sms_flows(), data, |code| PhoneNumber::parse(code).ok());
    } else {
        drive::drive(either_flows(), data, |code| {
            Some(match PhoneNumber::parse(code) {
                Ok(phone) => Either::Second(phone),
                Err(_) => Either::First(code.to_owned()),
            })
        });
    }
});
