//! Issue 13 item 5, an identity code is never a factor (Ory Kratos #4317):
//! whole flows on a simulated clock. An identity code in flight to the
//! very phone that is the account's SMS factor is refused as the factor's
//! answer (and as a recovery code), and counted against the factor;
//! proving one's identity lifts neither a factor's lockout nor the
//! recovery codes'. The types make the rest impossible (see
//! `ContactCodes`' `compile_fail` examples).
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{ALL, Host, T0, email, locked, locking_after, phone, policy, wrong_totp};
use mfa::{
    Enrollment, FlowError, FlowPolicy, Flows, OobKey, OobPolicy, PhoneNumber, RecoveryPolicy,
    Scenario, SmsFactor, SmsRecord, TotpFactor, TotpRecord,
};

/// TOTP flows whose factor locks after 3 failures and whose recovery codes
/// lock after 2.
fn totp_flows() -> Flows<TotpFactor> {
    let factor = TotpFactor::new("Example Co")
        .unwrap()
        .with_throttle_policy(locking_after(3))
        .unwrap();
    let recovery = RecoveryPolicy::builder()
        .iterations(RecoveryPolicy::MIN_ITERATIONS)
        .count(3)
        .throttle(locking_after(2))
        .build()
        .unwrap();
    let policy = FlowPolicy::builder().recovery(recovery).build().unwrap();
    Flows::new(factor, OobKey::generate().unwrap(), policy).unwrap()
}

/// Two tabs: enrollment `a` proves the identity by `a_contact` at `t`,
/// enrollment `b` by e-mail at `t + 60` (its code replaces `a`'s) and is
/// proved at `t + 61`; at `t + 120` tab `a` asks for its code again. Both
/// contacts are verified. Returns both enrollments, `b` waiting for the
/// setup and `a`'s fresh identity code in flight.
fn two_tabs<R: Clone + std::fmt::Debug, F: mfa::Factor<Record = R>>(
    host: &mut Host<R>,
    flows: &Flows<F>,
    a_contact: &mfa::Destination,
    t: u64,
) -> (Enrollment, Enrollment, String) {
    let contacts = [email(), phone()];
    let a = host.begin(Enrollment::start(
        flows,
        &host.account,
        ALL,
        &contacts,
        a_contact,
        t,
    ));
    let b = host.begin(Enrollment::start(
        flows,
        &host.account,
        ALL,
        &contacts,
        &email(),
        t + 60,
    ));
    let code = host.last_code(&email());
    let (b, r) = host.step(&b, b.verify_identity(flows, &host.account, &code, t + 61));
    r.unwrap();
    let (a, r) = host.step(&a, a.resend_identity(flows, &host.account, t + 120));
    r.unwrap();
    assert!(host.account.identity().pending().is_some());
    (a, b, host.last_code(a_contact))
}

/// The phone that is the SMS factor receives an identity code (a tab left
/// open from before protection was on asks for one): that code, typed as
/// the factor's answer, is rejected and counted against the factor; as a
/// recovery code it is refused too; the factor's own code passes.
#[test]
fn an_identity_code_to_the_bound_phone_is_refused_as_the_factor_s_answer() {
    // One key for the SMS codes and the identity codes, as the examples do.
    let key = OobKey::generate().unwrap();
    let sms = SmsFactor::new(key.clone(), OobPolicy::default()).unwrap();
    let flows = Flows::new(sms, key, policy()).unwrap();
    let mut host = Host::<SmsRecord>::new();
    let t = T0;
    let (_, b, identity_code) = two_tabs(&mut host, &flows, &phone(), t);
    // Tab b binds the phone (a binding code to it) and turns protection on.
    let number = PhoneNumber::parse("+1 415 555 2671").unwrap();
    let (b, r) = host.step(&b, b.setup(&flows, &host.account, &number, t + 121));
    r.unwrap();
    let binding_code = host.last_code(&phone());
    let (b, r) = host.step(
        &b,
        b.confirm(&flows, &host.account, &[&binding_code], t + 122),
    );
    r.unwrap();
    assert!(b.is_done() && host.account.is_on());
    // The identity code to the bound phone is still in flight.
    assert!(host.account.identity().pending().is_some());

    let v = host.challenge(&flows, Scenario::LogOn, t + 130);
    let (v, r) = host.step(&v, v.send_code(&flows, &host.account, t + 130));
    r.unwrap();
    let factor_code = host.last_code(&phone());
    assert_ne!(
        factor_code, identity_code,
        "two codes drawn alike (1 in a million)"
    );

    let (v, r) = host.step(
        &v,
        v.respond(&flows, &host.account, &identity_code, t + 131),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    assert!(v.verified().is_none());
    let failures =
        |host: &Host<SmsRecord>| host.account.factor().unwrap().oob().throttle().failures();
    assert_eq!(failures(&host), 1, "counted against the factor");
    let r = host.run(v.respond_recovery(&flows, &host.account, &identity_code, t + 132));
    assert!(r.is_err(), "{r:?}");
    // The identity record still holds its code: nothing consumed it.
    assert!(host.account.identity().pending().is_some());

    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &factor_code, t + 133));
    r.unwrap();
    assert!(v.verified().is_some_and(|proof| !proof.by_recovery_code()));
    assert_eq!(failures(&host), 0);
}

/// [`two_tabs`] by e-mail at `t`, then tab `b` sets up an app at `t + 121`:
/// both enrollments, `a`'s identity code in flight, and the app's key.
fn app_being_set_up(
    host: &mut Host<TotpRecord>,
    flows: &Flows<TotpFactor>,
    t: u64,
) -> (Enrollment, Enrollment, String, mfa::Totp) {
    let (a, b, identity_code) = two_tabs(host, flows, &email(), t);
    let name = String::from("ada@example.com");
    let (b, r) = host.step(&b, b.setup(flows, &host.account, &name, t + 121));
    r.unwrap();
    let totp = host.keys.last().unwrap().to_totp().unwrap();
    (a, b, identity_code, totp)
}

/// A factor being set up is locked out by wrong codes; in another tab the
/// user proves their identity again. The identity code's success is
/// written, but the pending factor stays locked: even the app's right
/// code is refused until the lockout ends.
#[test]
fn proving_identity_does_not_lift_the_lockout_of_a_factor_being_set_up() {
    let flows = totp_flows();
    let mut host = Host::<TotpRecord>::new();
    let t = T0;
    let (a, b, identity_code, totp) = app_being_set_up(&mut host, &flows, t);
    let wrong = wrong_totp(&totp, t + 122);
    for _ in 0..3 {
        let (_, r) = host.step(&b, b.confirm(&flows, &host.account, &[&wrong], t + 122));
        assert_eq!(r, Err(FlowError::Rejected));
    }
    let right = totp.generate(t + 123).unwrap().to_string();
    let (_, r) = host.step(&b, b.confirm(&flows, &host.account, &[&right], t + 123));
    assert!(locked(&r), "{r:?}");

    let (a, r) = host.step(
        &a,
        a.verify_identity(&flows, &host.account, &identity_code, t + 124),
    );
    r.unwrap();
    assert!(matches!(a.awaiting(), mfa::Awaiting::Setup { .. }));
    let (_, r) = host.step(&b, b.confirm(&flows, &host.account, &[&right], t + 125));
    assert!(locked(&r), "{r:?}");
}

/// Protection is on; the app and the recovery codes are both locked out.
/// No identity code lifts either lockout: a new enrollment is refused, and
/// the identity code in flight from a tab left open before protection was
/// on is refused (that enrollment is over). Both stay locked, even to
/// their right codes.
#[test]
fn no_identity_code_lifts_the_factor_s_or_the_recovery_codes_lockout() {
    let flows = totp_flows();
    let mut host = Host::<TotpRecord>::new();
    let t = T0;
    let (a, b, identity_code, totp) = app_being_set_up(&mut host, &flows, t);
    let code = totp.generate(t + 122).unwrap().to_string();
    let (b, r) = host.step(&b, b.confirm(&flows, &host.account, &[&code], t + 122));
    r.unwrap();
    assert!(b.is_done() && host.account.identity().pending().is_some());

    // Within the identity code's lifetime (5 minutes from `t + 120`), a
    // step after the one the enrollment used.
    let now = t + 150;
    let v = host.challenge(&flows, Scenario::LogOn, now);
    let wrong = wrong_totp(&totp, now);
    for _ in 0..3 {
        let (_, r) = host.step(&v, v.respond(&flows, &host.account, &wrong, now));
        assert_eq!(r, Err(FlowError::Rejected));
    }
    for _ in 0..2 {
        let (_, r) = host.step(
            &v,
            v.respond_recovery(&flows, &host.account, "AAAA-AAAA-AAAA-AAAA", now),
        );
        assert_eq!(r, Err(FlowError::Rejected));
    }
    let both_locked = |host: &mut Host<TotpRecord>, at: u64| {
        let right = totp.generate(at).unwrap().to_string();
        let (_, r) = host.step(&v, v.respond(&flows, &host.account, &right, at));
        assert!(locked(&r), "the app: {r:?}");
        let recovery = host.recovery_codes[0].clone();
        let (_, r) = host.step(&v, v.respond_recovery(&flows, &host.account, &recovery, at));
        assert!(locked(&r), "the recovery codes: {r:?}");
    };
    both_locked(&mut host, now + 1);

    let r = host.run(Enrollment::start(
        &flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        now + 2,
    ));
    assert_eq!(r, Err(FlowError::AlreadyProtected));
    let (_, r) = host.step(
        &a,
        a.verify_identity(&flows, &host.account, &identity_code, now + 3),
    );
    assert!(r.is_err(), "{r:?}");
    both_locked(&mut host, now + 4);
}
