//! Changing the method of a protected account, TOTP to SMS and back, with
//! `EitherFactor<TotpFactor, SmsFactor>`: a fresh check first, the new
//! factor confirmed, a notice, the old factor dead, recovery codes kept.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{Host, T0, email, other_than, phone, policy};
use mfa::{
    Awaiting, Either, EitherFactor, Enrollment, Event, FlowError, Flows, OobKey, OobPolicy,
    PhoneNumber, Scenario, SmsFactor, SmsRecord, Totp, TotpFactor, TotpRecord, Verified,
};

type Method = EitherFactor<TotpFactor, SmsFactor>;
type Record = Either<TotpRecord, SmsRecord>;

const ALL: &[Scenario] = &[Scenario::LogOn, Scenario::CriticalOperation];

fn flows() -> Flows<Method> {
    let key = OobKey::generate().unwrap();
    let sms = SmsFactor::new(key.clone(), OobPolicy::default())
        .unwrap()
        .with_send_at_challenge(true);
    Flows::new(
        EitherFactor::new(TotpFactor::new("Example Co").unwrap(), sms),
        key,
        policy(),
    )
    .unwrap()
}

fn number() -> PhoneNumber {
    PhoneNumber::parse("+1 415 555 2671").unwrap()
}

/// Identity by e-mail, then `setup`; returns the enrollment to confirm.
fn enroll(
    host: &mut Host<Record>,
    flows: &Flows<Method>,
    setup: Either<String, PhoneNumber>,
    now: u64,
) -> Enrollment {
    let e = host.begin(Enrollment::start(
        flows,
        &host.account,
        ALL,
        &[email()],
        &email(),
        now,
    ));
    let code = host.last_code(&email());
    let (e, r) = host.step(&e, e.verify_identity(flows, &host.account, &code, now + 10));
    r.unwrap();
    let (e, r) = host.step(&e, e.setup(flows, &host.account, &setup, now + 20));
    r.unwrap();
    e
}

fn enroll_totp(host: &mut Host<Record>, flows: &Flows<Method>, now: u64) -> Totp {
    let e = enroll(host, flows, Either::First("ada@example.com".into()), now);
    let totp = host.keys.last().unwrap().to_totp().unwrap();
    let code = totp.generate(now + 30).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(flows, &host.account, &[&code], now + 30));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(
        host.last_notice(),
        Some(Event::FactorBound { kind: "totp" })
    );
    totp
}

fn enroll_sms(host: &mut Host<Record>, flows: &Flows<Method>, now: u64) {
    let e = enroll(host, flows, Either::Second(number()), now);
    let code = host.last_code(&phone());
    let (e, r) = host.step(&e, e.confirm(flows, &host.account, &[&code], now + 30));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(host.last_notice(), Some(Event::FactorBound { kind: "sms" }));
}

/// Starts a check at `scenario`; `answer` gives the code once challenged.
fn check(
    host: &mut Host<Record>,
    flows: &Flows<Method>,
    scenario: Scenario,
    answer: impl FnOnce(&Host<Record>) -> String,
    now: u64,
) -> Result<Verified, FlowError> {
    let v = host.challenge(flows, scenario, now);
    let code = answer(host);
    let (v, r) = host.step(&v, v.respond(flows, &host.account, &code, now));
    r.map(|()| v.verified().unwrap().clone())
}

#[test]
fn totp_to_sms_needs_a_fresh_totp_check_and_binds_the_new_phone() {
    let flows = flows();
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let at = T0 + 600;
    let code = totp.generate(at).unwrap().to_string();
    let proof = check(&mut host, &flows, Scenario::CriticalOperation, |_| code, at).unwrap();

    // Without a fresh check: refused, nothing written.
    let writes = host.writes;
    let totp_factor = host.account.factors()[0].clone();
    let stale = Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 300,
    );
    assert_eq!(stale.result(), Err(FlowError::CheckRequired));
    assert!((stale.persist().is_none() && stale.effects().is_empty()) && stale.state().is_none());
    assert_eq!(host.writes, writes);

    // With it: straight to the setup, where the user picks SMS and a number.
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 10,
    ));
    // Until the check stops being fresh, not a full pending step.
    assert_eq!(
        e.awaiting(),
        Awaiting::Setup {
            expires_at: at + 300
        }
    );
    let (e, r) = host.step(
        &e,
        e.setup(&flows, &host.account, &Either::Second(number()), at + 20),
    );
    r.unwrap();
    assert_eq!(e.awaiting(), Awaiting::BindingCode { to: &phone() });
    let sent = host.last_code(&phone());
    // Nothing is replaced until the new phone confirms: only the account's
    // binding-code record (its send log) is written.
    assert_eq!(host.writes, writes + 1);
    assert!(host.account.factor().is_some_and(|f| f.first().is_some()));

    // A wrong code: counted, the change still pending.
    let (e, r) = host.step(
        &e,
        e.confirm(&flows, &host.account, &[&other_than(&sent)], at + 25),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    assert!(!e.is_done());
    assert_eq!(host.account.binding().throttle().failures(), 1);

    // The code sent to the new phone: SMS replaces TOTP, and it is notified.
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&sent], at + 30));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(host.writes, writes + 3);
    assert_eq!(
        host.last_notice(),
        Some(Event::FactorChanged { kind: "sms" })
    );
    let record = host.account.factor().and_then(Either::second).unwrap();
    assert_eq!(record.phone(), &number());
    assert_eq!(host.account.scenarios(), ALL);
    // The one factor, replaced in place: same id and name, no second one.
    let [sms_factor] = host.account.factors() else {
        panic!("one factor")
    };
    assert_eq!(sms_factor.id(), totp_factor.id());
    assert_eq!(sms_factor.name(), totp_factor.name());
    assert_eq!(
        host.audit.last(),
        Some(&mfa::Audit::FactorChanged {
            factor: *totp_factor.id(),
            kind: "sms"
        })
    );
    assert_eq!(
        host.sessions_ended, 2,
        "turned on, then the factor replaced"
    );

    // A protected scenario now challenges by SMS; the authenticator's codes
    // no longer pass.
    let now = at + 120;
    let inbox = host.inbox.len();
    let v = host.challenge(&flows, Scenario::LogOn, now);
    assert_eq!(host.inbox.len(), inbox + 1);
    let sms = host.last_code(&phone());
    let old = totp.generate(now).unwrap().to_string();
    if old != sms {
        let (_, r) = host.step(&v, v.respond(&flows, &host.account, &old, now));
        assert_eq!(r, Err(FlowError::Rejected));
    }
    let (v, r) = host.step(&v, v.respond(&flows, &host.account, &sms, now + 1));
    r.unwrap();
    assert!(v.is_done());
}

#[test]
fn sms_to_totp_needs_a_fresh_sms_check_and_consumes_the_confirming_step() {
    let flows = flows();
    let mut host = Host::new();
    enroll_sms(&mut host, &flows, T0);
    let at = T0 + 600;
    let proof = check(
        &mut host,
        &flows,
        Scenario::CriticalOperation,
        |host| host.last_code(&phone()),
        at,
    )
    .unwrap();

    let late = Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 300,
    );
    assert_eq!(late.result(), Err(FlowError::CheckRequired));

    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 10,
    ));
    let (e, r) = host.step(
        &e,
        e.setup(
            &flows,
            &host.account,
            &Either::First("ada@example.com".into()),
            at + 20,
        ),
    );
    r.unwrap();
    // A new secret is shown; a TOTP binding has nothing to resend.
    assert_eq!(host.keys.len(), 1);
    assert_eq!(host.keys[0].account(), "ada@example.com");
    assert!(matches!(
        e.resend(&flows, &host.account, at + 90).result(),
        Err(FlowError::WrongState { .. })
    ));
    assert!(host.account.factor().is_some_and(|f| f.second().is_some()));

    let totp = host.keys[0].to_totp().unwrap();
    let code = totp.generate(at + 30).unwrap().to_string();
    let (e, r) = host.step(&e, e.confirm(&flows, &host.account, &[&code], at + 30));
    r.unwrap();
    assert!(e.is_done());
    assert_eq!(
        host.last_notice(),
        Some(Event::FactorChanged { kind: "totp" })
    );
    assert!(host.account.factor().is_some_and(|f| f.first().is_some()));

    // The confirming step is consumed: its code does not pass a check; no
    // SMS goes out any more; the next step's code passes.
    let inbox = host.inbox.len();
    let replay = check(&mut host, &flows, Scenario::LogOn, |_| code, at + 31);
    assert_eq!(replay.err(), Some(FlowError::Rejected));
    assert_eq!(host.inbox.len(), inbox);
    let next = totp.generate(at + 60).unwrap().to_string();
    check(&mut host, &flows, Scenario::LogOn, |_| next, at + 60).unwrap();
}

#[test]
fn stale_or_future_checks_and_unprotected_accounts_are_refused() {
    let flows = flows();
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let at = T0 + 900;
    let code = totp.generate(at).unwrap().to_string();
    let proof = check(&mut host, &flows, Scenario::LogOn, |_| code, at).unwrap();
    for now in [at - 1, at + 300, at + 10_000] {
        let step = Enrollment::start_change(
            &flows,
            &host.account,
            host.account.factors()[0].id(),
            &proof,
            now,
        );
        assert_eq!(step.result(), Err(FlowError::CheckRequired), "at {now}");
    }
    assert!(
        Enrollment::start_change(
            &flows,
            &host.account,
            host.account.factors()[0].id(),
            &proof,
            at + 299
        )
        .result()
        .is_ok()
    );

    // Protection turned off while a change was pending: the change fails.
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 1,
    ));
    let (e, r) = host.step(
        &e,
        e.setup(&flows, &host.account, &Either::Second(number()), at + 2),
    );
    r.unwrap();
    let outputs = host.account.turn_off(&flows, &proof, at + 3);
    host.run(outputs).unwrap();
    let sent = host.last_code(&phone());
    let step = e.confirm(&flows, &host.account, &[&sent], at + 4);
    assert_eq!(step.result(), Err(FlowError::Expired));
    assert!(!host.account.is_on());
    assert_eq!(
        Enrollment::start_change(
            &flows,
            &host.account,
            &"0000000000000001".parse().unwrap(),
            &proof,
            at + 5
        )
        .result(),
        Err(FlowError::NotProtected)
    );
}

#[test]
fn recovery_codes_survive_a_change_made_with_one() {
    let flows = flows();
    let mut host = Host::new();
    enroll_totp(&mut host, &flows, T0);
    let codes = host.recovery_codes.clone();
    assert_eq!(codes.len(), 3);

    // The authenticator is lost: a recovery code passes the check...
    let at = T0 + 600;
    let v = host.challenge(&flows, Scenario::CriticalOperation, at);
    let (v, r) = host.step(&v, v.respond_recovery(&flows, &host.account, &codes[0], at));
    r.unwrap();
    let proof = v.verified().unwrap().clone();
    assert!(proof.by_recovery_code());

    // ... and allows the change to SMS.
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 10,
    ));
    let (e, r) = host.step(
        &e,
        e.setup(&flows, &host.account, &Either::Second(number()), at + 20),
    );
    r.unwrap();
    let sent = host.last_code(&phone());
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&sent], at + 30));
    r.unwrap();
    assert_eq!(
        host.last_notice(),
        Some(Event::FactorChanged { kind: "sms" })
    );

    // The set is kept, not regenerated: the used code stays used (a failure,
    // with the recovery codes' one-second backoff), the others work.
    assert!(host.recovery_codes == codes, "no new codes shown");
    assert_eq!(host.account.recovery_codes().unwrap().remaining(), 2);
    let now = at + 200;
    let v = host.challenge(&flows, Scenario::LogOn, now);
    let (v, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &codes[0], now),
    );
    assert_eq!(r, Err(FlowError::Rejected));
    let (v, r) = host.step(
        &v,
        v.respond_recovery(&flows, &host.account, &codes[1], now + 1),
    );
    r.unwrap();
    assert!(v.is_done());
    assert_eq!(
        host.last_notice(),
        Some(Event::RecoveryCodesLow { remaining: 1 })
    );
}

#[cfg(feature = "serde")]
#[test]
fn a_change_in_progress_and_the_account_serialize() {
    let flows = flows();
    let mut host = Host::new();
    let totp = enroll_totp(&mut host, &flows, T0);
    let at = T0 + 600;
    let code = totp.generate(at).unwrap().to_string();
    let proof = check(&mut host, &flows, Scenario::LogOn, |_| code, at).unwrap();
    let e = host.begin(Enrollment::start_change(
        &flows,
        &host.account,
        host.account.factors()[0].id(),
        &proof,
        at + 10,
    ));
    let (e, r) = host.step(
        &e,
        e.setup(&flows, &host.account, &Either::Second(number()), at + 20),
    );
    r.unwrap();

    // Between requests: the session state and the account record, as JSON.
    // The pending factor (the second side) is in the account record.
    let session = serde_json::to_string(&e).unwrap();
    assert!(!session.contains("\"second\""));
    let stored = serde_json::to_string(&host.account).unwrap();
    assert!(stored.contains("\"first\"") && stored.contains("\"second\""));
    let e: Enrollment = serde_json::from_str(&session).unwrap();
    host.account = serde_json::from_str(&stored).unwrap();

    let sent = host.last_code(&phone());
    let (_, r) = host.step(&e, e.confirm(&flows, &host.account, &[&sent], at + 30));
    r.unwrap();
    let stored = serde_json::to_string(&host.account).unwrap();
    let back: mfa::Protection<Record> = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, host.account);

    // Any other side is refused, and so is a side's invalid record.
    let third = stored.replace("\"second\"", "\"third\"");
    assert!(serde_json::from_str::<mfa::Protection<Record>>(&third).is_err());
    let bad_phone = stored.replace("+14155552671", "not a phone");
    assert_ne!(bad_phone, stored);
    assert!(serde_json::from_str::<mfa::Protection<Record>>(&bad_phone).is_err());
}
