//! The check that a resend within a code's lifetime sends the same code,
//! through the flows, on the runner and the store.

use std::sync::Arc;

use mfa::{
    AsyncStore, Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows, OobError, OobKey,
    OobPolicy, PhoneNumber, Protection, Ran, RecoveryPolicy, Scenario, SmsFactor, SmsRecord,
    Verification,
};

use crate::checks::Report;
use crate::fixture::{ALL, T0, account};

/// What a run that must succeed gave: its state and its effects.
fn done<S>(ran: Ran<S>) -> (S, Vec<Effect>) {
    if let Err(e) = ran.result {
        panic!("a step failed: {e}");
    }
    (ran.state.expect("a state"), ran.effects)
}

/// The code delivered by `effects`, and until when it is valid.
fn sent(effects: &[Effect]) -> (String, u64) {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Deliver(d) => Some((d.code().expose().to_owned(), d.expires_at())),
            _ => None,
        })
        .expect("a code was delivered")
}

/// A six-digit code that differs from `code`.
fn other_than(code: &str) -> String {
    let n: u32 = code.parse().expect("digits");
    format!("{:06}", (n + 1) % 1_000_000)
}

/// Within a code's lifetime a resend sends the same digits, until the
/// same expiry, and keeps the failed attempts; from its expiry on (or
/// once used up) a new code goes out. Through the public flows, each step
/// with [`mfa::run`] on the store: the identity code
/// ([`Enrollment::resend_identity`]), the phone-binding code
/// ([`Enrollment::resend`]) and the SMS challenge
/// ([`Verification::send_code`]), under a simulated clock.
///
/// ```
/// # use std::sync::Arc;
/// use mfa::{MemoryStore, Protection, SmsRecord};
///
/// let store: Arc<MemoryStore<String, Protection<SmsRecord>>> = Arc::new(MemoryStore::new());
/// let report = mfa::block_on(mfa_conformance::resend_same_code(store, |a| Box::new(a.to_owned())));
/// assert!(report.ran, "{report}");
/// ```
#[allow(clippy::too_many_lines)] // one flow, start to end
pub async fn resend_same_code<S>(store: Arc<S>, id: fn(&str) -> Box<S::Id>) -> Report
where
    S: AsyncStore<Protection<SmsRecord>> + Sync,
{
    let key = OobKey::from_bytes(&[0x5a; 32]).expect("a key");
    let policy = FlowPolicy::builder()
        .recovery(
            RecoveryPolicy::builder()
                .iterations(1_000)
                .count(3)
                .build()
                .expect("a recovery policy"),
        )
        .build()
        .expect("a flow policy");
    let sms = SmsFactor::new(key.clone(), OobPolicy::default()).expect("an SMS factor");
    let flows = Flows::new(sms, key, policy).expect("flows");
    let ada = id(&account("resend_same_code"));
    let store = &*store;
    let email = Destination::email("ada@example.com").expect("an address");
    let pending = |account: &Protection<SmsRecord>| {
        let failures = |p: Option<&mfa::PendingCode>| p.map(mfa::PendingCode::failures);
        (
            failures(account.identity().pending()),
            failures(account.binding().pending()),
            account.factor().and_then(|f| failures(f.oob().pending())),
        )
    };
    let load = || async { mfa::load(store, &ada).await.expect("loads") };

    // The identity code by e-mail, sent again a minute later: the same
    // code, the same expiry; two wrong tries before the resend stay.
    let (e, effects) = done(
        mfa::run(store, &ada, |a| {
            Enrollment::start(&flows, a, ALL, std::slice::from_ref(&email), &email, T0)
        })
        .await,
    );
    let first = sent(&effects);
    for t in [T0 + 1, T0 + 2] {
        let ran = mfa::run(store, &ada, |a| {
            e.verify_identity(&flows, a, &other_than(&first.0), t)
        })
        .await;
        assert_eq!(ran.result, Err(FlowError::Rejected));
    }
    let (e, effects) = done(mfa::run(store, &ada, |a| e.resend_identity(&flows, a, T0 + 60)).await);
    assert_eq!(sent(&effects), first, "the identity code is sent again");
    assert_eq!(pending(&load().await).0, Some(2), "its failures are kept");
    let (e, _) = done(
        mfa::run(store, &ada, |a| {
            e.verify_identity(&flows, a, &first.0, T0 + 61)
        })
        .await,
    );

    // The binding code, resent four minutes on: the same; from its expiry
    // on, a new one, which binds the phone.
    let phone = PhoneNumber::parse("+1 415 555 2671").expect("a number");
    let at = T0 + 100;
    let (e, effects) = done(mfa::run(store, &ada, |a| e.setup(&flows, a, &phone, at)).await);
    let bind = sent(&effects);
    assert_eq!(bind.1, at + 300);
    let (e, effects) = done(mfa::run(store, &ada, |a| e.resend(&flows, a, at + 240)).await);
    assert_eq!(sent(&effects), bind, "the binding code is sent again");
    let (e, effects) = done(mfa::run(store, &ada, |a| e.resend(&flows, a, at + 300)).await);
    let renewed = sent(&effects);
    assert_eq!(
        renewed.1,
        at + 600,
        "a new code, with a lifetime of its own"
    );
    assert_eq!(pending(&load().await).1, Some(0));
    let (e, _) = done(
        mfa::run(store, &ada, |a| {
            e.confirm(&flows, a, &[&renewed.0], at + 301)
        })
        .await,
    );
    assert!(e.is_done());

    // The SMS challenge: asked for, failed twice, asked again: the same
    // code, still at two failures; three more use it up, and only then
    // does a new code go out.
    let now = T0 + 1_000;
    let (v, _) = done(
        mfa::run(store, &ada, |a| {
            Verification::start(&flows, a, Scenario::LogOn, None, now)
        })
        .await,
    );
    let (v, effects) = done(mfa::run(store, &ada, |a| v.send_code(&flows, a, now)).await);
    let challenge = sent(&effects);
    for t in [now + 1, now + 2] {
        let ran = mfa::run(store, &ada, |a| {
            v.respond(&flows, a, &other_than(&challenge.0), t)
        })
        .await;
        assert_eq!(ran.result, Err(FlowError::Rejected));
    }
    let (v, effects) = done(mfa::run(store, &ada, |a| v.send_code(&flows, a, now + 60)).await);
    assert_eq!(
        sent(&effects),
        challenge,
        "the challenge code is sent again"
    );
    assert_eq!(
        pending(&load().await).2,
        Some(2),
        "a resend buys no guesses"
    );
    for t in [now + 61, now + 70, now + 80] {
        let ran = mfa::run(store, &ada, |a| {
            v.respond(&flows, a, &other_than(&challenge.0), t)
        })
        .await;
        assert_eq!(ran.result, Err(FlowError::Rejected), "{t}");
    }
    let ran = mfa::run(store, &ada, |a| {
        v.respond(&flows, a, &challenge.0, now + 100)
    })
    .await;
    assert_eq!(
        ran.result,
        Err(FlowError::Code(OobError::AttemptsExhausted))
    );
    let (v, effects) = done(mfa::run(store, &ada, |a| v.send_code(&flows, a, now + 120)).await);
    let fresh = sent(&effects);
    assert_eq!(fresh.1, now + 420, "a new code once the old one is used up");
    let (v, _) = done(mfa::run(store, &ada, |a| v.respond(&flows, a, &fresh.0, now + 121)).await);
    assert!(v.verified().is_some());

    Report {
        check: "resend_same_code",
        detail: "identity, binding and challenge codes: a resend within the lifetime sends the same code with its failures kept; a new code after expiry or use".to_owned(),
        ran: true,
        row_bytes: None,
    }
}
