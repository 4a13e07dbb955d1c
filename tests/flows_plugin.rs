//! A factor kind added from outside the crate, with the public API only:
//! a hardware HOTP token (RFC 4226) whose seed the service imports from
//! the vendor's file. Driven through enrollment and verification.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{Host, T0, email, locked, locking_after, policy};
use mfa::{
    Attempt, Begun, Destination, Enrollment, Event, Factor, FlowError, Flows, Hotp, HotpConfig,
    HotpRecord, OobKey, Prompt, Scenario, Secret, ThrottlePolicy,
};

/// A hardware token: one code confirms it; a check asks for the next code.
#[derive(Clone, Debug)]
struct HotpToken {
    throttle: ThrottlePolicy,
}

impl Factor for HotpToken {
    /// The token's seed, from the vendor's file.
    type Setup = Secret;
    type Record = HotpRecord;

    fn kind(&self) -> &'static str {
        "hotp-token"
    }

    fn begin(
        &self,
        seed: &Secret,
        _verified: Option<&Destination>,
        _now: u64,
    ) -> Result<Begun<HotpRecord>, FlowError> {
        let hotp = Hotp::new(seed, HotpConfig::default()).map_err(|_| FlowError::Rejected)?;
        let pending =
            HotpRecord::with_policy(hotp, self.throttle).map_err(|_| FlowError::Rejected)?;
        Ok(Begun::Confirm {
            pending,
            prompt: Prompt::Code { codes: 1 },
        })
    }

    fn confirm(
        &self,
        pending: &HotpRecord,
        codes: &[&str],
        now: u64,
    ) -> Attempt<HotpRecord, HotpRecord, FlowError> {
        let [code] = codes else {
            return Attempt::new(None, Err(FlowError::CodesNeeded { count: 1 }));
        };
        match pending.verify(code, now).into_parts() {
            (Some(active), Ok(_)) => Attempt::new(None, Ok(active)),
            (record, Err(e)) => Attempt::new(record, Err(e.into())),
            (None, Ok(_)) => Attempt::new(None, Err(FlowError::Rejected)),
        }
    }

    fn challenge(&self, _record: &HotpRecord, _now: u64) -> Attempt<HotpRecord, Prompt, FlowError> {
        Attempt::new(None, Ok(Prompt::Code { codes: 1 }))
    }

    fn verify(
        &self,
        record: &HotpRecord,
        code: &str,
        now: u64,
    ) -> Attempt<HotpRecord, (), FlowError> {
        let (record, outcome) = record.verify(code, now).into_parts();
        Attempt::new(record, outcome.map(|_| ()).map_err(FlowError::from))
    }

    fn unlock(&self, record: &HotpRecord) -> HotpRecord {
        record.unlock()
    }

    fn throttle(&self, record: &HotpRecord) -> mfa::Throttle {
        record.throttle()
    }
}

fn seed() -> Secret {
    Secret::from_bytes(b"12345678901234567890").unwrap()
}

/// RFC 4226 Appendix D: the token's codes for counters 0..9.
const TOKEN: [&str; 10] = [
    "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
    "520489",
];

#[test]
fn a_hardware_token_enrolls_and_verifies() {
    let factor = HotpToken {
        throttle: locking_after(3),
    };
    let flows = Flows::new(factor, OobKey::generate().unwrap(), policy()).unwrap();
    let mut host = Host::<HotpRecord>::new();
    let scenarios = [Scenario::LogOn];

    // Identity by e-mail, then the token's seed, then its first code.
    let e = host.begin(Enrollment::start(
        &flows,
        &host.account,
        &scenarios,
        &[email()],
        &email(),
        T0,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(&flows, &host.account, &code, T0 + 5));
    r.unwrap();
    let (e, r) = host.step(&e, e.setup(&flows, &host.account, &seed(), T0 + 10));
    r.unwrap();
    assert!(
        host.keys.is_empty() && host.inbox.len() == 1,
        "nothing shown or sent"
    );
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &["000000"], T0 + 15));
    assert_eq!(r, Err(FlowError::Rejected));
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[TOKEN[0]], T0 + 20));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(host.account.factor().unwrap().next_counter(), 1);
    assert_eq!(
        host.last_notice(),
        Some(Event::FactorBound { kind: "hotp-token" })
    );
    assert_eq!(host.recovery_codes.len(), 3);

    // Log on: the confirming code is used up; the next one passes.
    let v = host.challenge(&flows, Scenario::LogOn, T0 + 100);
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, TOKEN[0], T0 + 100));
    assert_eq!(r, Err(FlowError::Rejected));
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, TOKEN[2], T0 + 101));
    r.unwrap();
    assert!(v.is_done());
    assert_eq!(host.account.factor().unwrap().next_counter(), 3);

    // Lockout, then a recovery code.
    let v = host.challenge(&flows, Scenario::LogOn, T0 + 200);
    for _ in 0..3 {
        let (_, r) = host.step(&v, v.respond(&flows, &host.account, "000000", T0 + 200));
        assert_eq!(r, Err(FlowError::Rejected));
    }
    let (_, r) = host.step(&v, v.respond(&flows, &host.account, TOKEN[3], T0 + 200));
    assert!(locked(&r), "{:?}", r);
    let recovery = host.recovery_codes[0].clone();
    let (v, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &recovery, T0 + 201),
    );
    r.unwrap();
    assert!(v.verified().unwrap().by_recovery_code());
    assert_eq!(host.account.factor().unwrap().throttle().failures(), 0);
}
