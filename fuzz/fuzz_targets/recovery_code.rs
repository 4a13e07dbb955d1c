//! `RecoveryCodes::verify` on any typed text, against a set made once from
//! a fixed random source (PBKDF2 at the policy's minimum of 1,000
//! iterations, so a well-formed guess costs about 0.2 ms). A code that
//! verifies is one of the set as the user may type it (any case,
//! separators, `O`/`I`/`L` for `0`/`1`); after a success the same code is
//! refused.
#![no_main]

use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use mfa::{RecoveryCodes, RecoveryPolicy};

fn policy() -> RecoveryPolicy {
    RecoveryPolicy::builder()
        .count(2)
        .iterations(RecoveryPolicy::MIN_ITERATIONS)
        .build()
        .expect("a valid policy")
}

fn set() -> &'static (RecoveryCodes, Vec<String>) {
    static SET: OnceLock<(RecoveryCodes, Vec<String>)> = OnceLock::new();
    SET.get_or_init(|| {
        let mut n = 0u8;
        let fill = |buf: &mut [u8]| -> Result<(), ()> {
            // The salt, then each code filled with one byte: the seeds in
            // corpus/recovery_code are the codes, typed.
            n = n.wrapping_add(1);
            buf.fill(n);
            Ok(())
        };
        let (record, codes) = RecoveryCodes::generate_with(&policy(), 0, fill).expect("generates");
        let codes = codes.iter().map(|c| normalize(c.expose())).collect();
        (record, codes)
    })
}

/// A typed code in canonical form, as Crockford's decoding reads it.
fn normalize(typed: &str) -> String {
    typed
        .chars()
        .filter(|&c| !(c.is_whitespace() || c == '-' || ('\u{2010}'..='\u{2015}').contains(&c)))
        .map(|c| match c.to_ascii_uppercase() {
            'O' => '0',
            'I' | 'L' => '1',
            c => c,
        })
        .collect()
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = core::str::from_utf8(data) else {
        return;
    };
    let (record, codes) = set();
    let (next, outcome) = record.verify(&policy(), text, 100).into_parts();
    if outcome.is_ok() {
        let typed = normalize(text);
        assert!(codes.contains(&typed), "{text:?} is not one of the codes");
        let next = next.expect("a success has a new record");
        assert_eq!(next.remaining(), record.remaining() - 1);
        let (_, again) = next.verify(&policy(), text, 200).into_parts();
        assert!(again.is_err(), "a used code is refused");
    }
});
