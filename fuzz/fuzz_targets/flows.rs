//! The flows over the TOTP factor, driven by fuzzed session state: an
//! `Enrollment`, a `Verification` or a `Verified` read from JSON (edited,
//! hand-made, or one the flows made under the fuzzer's fixed key), an
//! account record read from JSON, a code and a time; every call must
//! answer with a result, never panic, and any write it asks for must
//! follow the record it was computed from.
//!
//! The code field is also read as the setup's account name and as a
//! remembered device's cookie. Input: see `common/drive.rs`.
#![no_main]

#[path = "common/drive.rs"]
mod drive;

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mfa::{Flows, TotpFactor};

/// The flows, under the fixed key.
fn flows() -> &'static Flows<TotpFactor> {
    static FLOWS: OnceLock<Flows<TotpFactor>> = OnceLock::new();
    FLOWS.get_or_init(|| {
        let factor = TotpFactor::new("Fuzz").expect("an issuer");
        Flows::new(factor, drive::key(), drive::policy()).expect("flows")
    })
}

fuzz_target!(|data: &[u8]| {
    drive::drive(flows(), data, |code| Some(code.to_owned()));
});
