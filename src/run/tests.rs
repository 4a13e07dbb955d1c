//! Unit tests of what a host takes from a run and of the page's load: the
//! `Ran` accessors along a real TOTP enrollment over a `MemoryStore`, and
//! `load` / `load_blocking` on an empty, a written and a failing store.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use alloc::string::{String, ToString};
use alloc::vec;

use super::*;
use crate::flow::{Enrollment, Event, FlowPolicy, Flows, Scenario, TotpFactor};
use crate::record::{MemoryStore, RecoveryPolicy, TotpRecord};
use crate::{OobKey, Secret, Totp, TotpConfig};

const NOW: u64 = 1_700_000_000;

type Account = Protection<TotpRecord>;

fn flows() -> Flows<TotpFactor> {
    let recovery = RecoveryPolicy::builder()
        .iterations(1_000)
        .count(4)
        .build()
        .unwrap();
    let policy = FlowPolicy::builder().recovery(recovery).build().unwrap();
    Flows::new(
        TotpFactor::new("Example Co").unwrap(),
        OobKey::generate().unwrap(),
        policy,
    )
    .unwrap()
}

/// The code in the run's `Effect::Deliver`, as the mailer would send it.
fn delivered(ran: &Ran<Enrollment>) -> String {
    ran.effects
        .iter()
        .find_map(|effect| match effect {
            Effect::Deliver(d) => Some(d.code().expose().to_string()),
            _ => None,
        })
        .expect("a code to deliver")
}

#[test]
fn each_accessor_finds_its_effect_and_only_its_own() {
    let (flows, store) = (flows(), MemoryStore::<String, Account>::new());
    let ada = String::from("ada");
    let email = Destination::email("ada@example.com").unwrap();
    let all = [Scenario::LogOn];

    // The identity code: a destination, no key, no codes.
    let ran = run_blocking(&store, &ada, |a| {
        Enrollment::start(&flows, a, &all, core::slice::from_ref(&email), &email, NOW)
    });
    assert_eq!(ran.result, Ok(()));
    assert_eq!(ran.sent_to(), Some(&email));
    assert!(ran.key().is_none() && ran.recovery_codes().is_none());

    let (enrollment, code) = (ran.state.clone().unwrap(), delivered(&ran));
    let ran = run_blocking(&store, &ada, |a| {
        enrollment.verify_identity(&flows, a, &code, NOW)
    });
    let enrollment = ran.state.unwrap();

    // The key: the one the effects carry, nothing else.
    let name = String::from("ada@example.com");
    let ran = run_blocking(&store, &ada, |a| enrollment.setup(&flows, a, &name, NOW));
    assert_eq!(ran.result, Ok(()));
    let shown = ran.effects.iter().find_map(|effect| match effect {
        Effect::ShowKey(key) => Some(key),
        _ => None,
    });
    assert!(shown.is_some());
    assert_eq!(ran.key(), shown);
    assert_eq!(ran.key().unwrap().account(), "ada@example.com");
    assert!(ran.sent_to().is_none() && ran.recovery_codes().is_none());

    // The codes, once protection is on: as many as the policy makes.
    let totp = ran.key().unwrap().to_totp().unwrap();
    let enrollment = ran.state.unwrap();
    let code = totp.generate(NOW).unwrap().to_string();
    let ran = run_blocking(&store, &ada, |a| {
        enrollment.confirm(&flows, a, &[&code], NOW)
    });
    assert_eq!(ran.result, Ok(()));
    let codes = ran.recovery_codes().unwrap();
    assert_eq!(codes.len(), 4);
    match ran.effects.first() {
        Some(Effect::ShowRecoveryCodes(shown)) => assert!(core::ptr::eq(shown.as_slice(), codes)),
        other => panic!("recovery codes first, not {other:?}"),
    }
    assert!(ran.key().is_none() && ran.sent_to().is_none());
}

/// A key URI of a fresh secret, for a `ShowKey` effect.
fn a_key() -> KeyUri {
    let totp = Totp::new(&Secret::generate().unwrap(), TotpConfig::default()).unwrap();
    KeyUri::totp(&totp, "Example Co", "ada@example.com").unwrap()
}

/// A successful run that left these effects.
fn ran_of(effects: alloc::vec::Vec<Effect>) -> Ran<()> {
    Ran {
        state: Some(()),
        effects,
        result: Ok(()),
    }
}

#[test]
fn accessors_look_past_other_effects() {
    let key = a_key();
    let ran = ran_of(vec![
        Effect::Notify {
            event: Event::ProtectionOff,
            at: NOW,
        },
        Effect::ShowKey(key.clone()),
    ]);
    assert_eq!(ran.key(), Some(&key));
    assert!(ran.recovery_codes().is_none() && ran.sent_to().is_none());

    let failed: Ran<()> = Ran::failed(FlowError::Busy { tries: 8 });
    assert!(failed.key().is_none() && failed.recovery_codes().is_none());
    assert!(failed.sent_to().is_none());
}

#[test]
fn load_gives_a_new_record_until_one_is_written_then_that_one() {
    let (flows, store) = (flows(), MemoryStore::<String, Account>::new());
    let ada = String::from("ada");

    let fresh = crate::block_on(load(&store, &ada)).unwrap();
    assert_eq!(fresh.version(), 0);
    assert!(!fresh.is_on());
    assert_eq!(load_blocking(&store, &ada).unwrap().version(), 0);
    // Nothing written by a load.
    assert_eq!(Store::load(&store, &ada).unwrap(), None);

    let email = Destination::email("ada@example.com").unwrap();
    let ran = run_blocking(&store, &ada, |a| {
        Enrollment::start(
            &flows,
            a,
            &[Scenario::LogOn],
            core::slice::from_ref(&email),
            &email,
            NOW,
        )
    });
    assert_eq!(ran.result, Ok(()));
    let stored = Store::load(&store, &ada).unwrap().unwrap();
    assert_eq!(stored.version(), 1);
    assert_eq!(crate::block_on(load(&store, &ada)).unwrap(), stored);
    assert_eq!(load_blocking(&store, &ada).unwrap(), stored);
}

/// A store whose backend is down: every call fails with its own error.
#[derive(Debug)]
struct Down;

#[derive(Debug)]
struct Unreachable;

impl core::fmt::Display for Unreachable {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("the database does not answer")
    }
}

impl core::error::Error for Unreachable {}

impl Store<Account> for Down {
    type Id = str;
    type Error = Unreachable;

    fn load(&self, _: &str) -> Result<Option<Account>, Unreachable> {
        Err(Unreachable)
    }

    fn insert(&self, _: &str, _: &Account) -> Result<Cas, Unreachable> {
        Err(Unreachable)
    }

    fn compare_and_set(&self, _: &str, _: u64, _: &Account) -> Result<Cas, Unreachable> {
        Err(Unreachable)
    }
}

impl AsyncStore<Account> for Down {
    type Id = str;
    type Error = Unreachable;

    fn load(&self, _: &str) -> impl Future<Output = Result<Option<Account>, Unreachable>> + Send {
        core::future::ready(Err(Unreachable))
    }

    fn insert(
        &self,
        _: &str,
        _: &Account,
    ) -> impl Future<Output = Result<Cas, Unreachable>> + Send {
        core::future::ready(Err(Unreachable))
    }

    fn compare_and_set(
        &self,
        _: &str,
        _: u64,
        _: &Account,
    ) -> impl Future<Output = Result<Cas, Unreachable>> + Send {
        core::future::ready(Err(Unreachable))
    }
}

#[test]
fn a_failing_store_is_a_storage_error_with_its_error_as_source() {
    for got in [
        crate::block_on(load(&Down, "ada")),
        load_blocking(&Down, "ada"),
    ] {
        let e = got.unwrap_err();
        assert_eq!(e.code(), "storage");
        let source = core::error::Error::source(&e).expect("the store's error");
        assert_eq!(source.to_string(), "the database does not answer");
    }
}

#[test]
fn deliveries_and_notices_keep_their_order_and_skip_the_rest() {
    let key = a_key();
    let ran = ran_of(vec![
        Effect::Notify {
            event: Event::ProtectionOff,
            at: NOW,
        },
        Effect::ShowKey(key),
        Effect::Notify {
            event: Event::RecoveryCodesRegenerated,
            at: NOW + 1,
        },
    ]);
    assert_eq!(
        ran.notices().collect::<alloc::vec::Vec<_>>(),
        [
            (Event::ProtectionOff, NOW),
            (Event::RecoveryCodesRegenerated, NOW + 1)
        ]
    );
    assert_eq!(ran.deliveries().count(), 0);

    // A real delivery: the identity code, to the address picked.
    let (flows, store) = (flows(), MemoryStore::<String, Account>::new());
    let email = Destination::email("ada@example.com").unwrap();
    let ran = run_blocking(&store, &String::from("ada"), |a| {
        Enrollment::start(
            &flows,
            a,
            &[Scenario::LogOn],
            core::slice::from_ref(&email),
            &email,
            NOW,
        )
    });
    let delivered: alloc::vec::Vec<_> = ran.deliveries().collect();
    assert_eq!(delivered.len(), 1);
    assert_eq!(delivered.first().map(|d| d.destination()), Some(&email));
    assert_eq!(ran.sent_to(), Some(&email));
    assert_eq!(ran.notices().count(), 0);
}
