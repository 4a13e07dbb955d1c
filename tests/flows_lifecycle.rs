//! The life of an account after its first factor (issue 13, items 1, 3
//! and 4), through the runner (`mfa::run_blocking`) on a `MemoryStore`,
//! with a simulated clock: several named factors (add, challenge the one
//! picked, replace in place, rename, remove, never the last, at most
//! `MAX_FACTORS`), throttling per factor, recovery codes running low and
//! renewed, the admin reset, audit events and the end of other sessions.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

use mfa::{
    AdminId, Audit, Credential, Destination, Effect, Enrollment, Event, FactorId, FactorName,
    FlowError, FlowPolicy, Flows, MAX_FACTORS, MemoryStore, NameError, OobKey, Protection, Ran,
    Reason, RecoveryPolicy, Scenario, Store, ThrottlePolicy, Totp, TotpFactor, TotpRecord,
    Verification, Verified,
};

const T0: u64 = 1_700_000_010;
const DAY: u64 = 86_400;
const ADA: &str = "ada";

/// A host: the store, and what the effects asked for.
struct Host {
    flows: Flows<TotpFactor>,
    store: MemoryStore<String, Protection<TotpRecord>>,
    id: String,
    notices: Vec<Event>,
    audit: Vec<Audit>,
    ended: usize,
    recovery_codes: Vec<String>,
}

fn recovery(count: u8, low: u8) -> FlowPolicy {
    FlowPolicy::builder()
        .recovery(
            RecoveryPolicy::builder()
                .iterations(1_000)
                .count(count)
                .build()
                .unwrap(),
        )
        .recovery_low(low)
        .build()
        .unwrap()
}

impl Host {
    fn new(factor: TotpFactor, policy: FlowPolicy) -> Self {
        Self {
            flows: Flows::new(factor, OobKey::generate().unwrap(), policy).unwrap(),
            store: MemoryStore::new(),
            id: String::from(ADA),
            notices: Vec::new(),
            audit: Vec::new(),
            ended: 0,
            recovery_codes: Vec::new(),
        }
    }

    fn plain() -> Self {
        Self::new(TotpFactor::new("Example Co").unwrap(), recovery(3, 2))
    }

    fn account(&self) -> Protection<TotpRecord> {
        self.store.load(&self.id).unwrap().unwrap()
    }

    /// Runs `op` through the runner and keeps what its effects say.
    fn run<S>(
        &mut self,
        op: impl FnMut(&Protection<TotpRecord>) -> mfa::Transition<S, TotpRecord>,
    ) -> Ran<S> {
        let ran = mfa::run_blocking(&self.store, &self.id, op);
        for effect in &ran.effects {
            match effect {
                Effect::Notify { event, .. } => self.notices.push(*event),
                Effect::Audit { account, event, .. } => {
                    assert_eq!(*account, self.account().account_id());
                    self.audit.push(event.clone());
                }
                Effect::EndOtherSessions => self.ended += 1,
                Effect::ShowRecoveryCodes(codes) => {
                    self.recovery_codes = codes.iter().map(|c| c.expose().to_owned()).collect();
                }
                Effect::Deliver(_) | Effect::ShowKey(_) => {}
            }
        }
        ran
    }

    /// Runs `op`, which must go through; the new state.
    fn must<S>(
        &mut self,
        op: impl FnMut(&Protection<TotpRecord>) -> mfa::Transition<S, TotpRecord>,
    ) -> S {
        let ran = self.run(op);
        assert_eq!(ran.result, Ok(()));
        ran.state.unwrap()
    }

    /// Turns protection on with an app at `now`; the app.
    fn enroll(&mut self, now: u64) -> Totp {
        let flows = self.flows.clone();
        let email = Destination::email("ada@example.com").unwrap();
        let ran = self.run(|a| {
            Enrollment::start(
                &flows,
                a,
                &[Scenario::LogOn],
                std::slice::from_ref(&email),
                &email,
                now,
            )
        });
        let code = ran.deliveries().next().unwrap().code().expose().to_owned();
        let e = ran.state.unwrap();
        let e = self.must(|a| e.verify_identity(&flows, a, &code, now));
        self.confirm_app(e, now)
    }

    /// Sets up and confirms an app on an enrollment waiting for its setup.
    fn confirm_app(&mut self, e: Enrollment, now: u64) -> Totp {
        let flows = self.flows.clone();
        let label = String::from("ada@example.com");
        let ran = self.run(|a| e.setup(&flows, a, &label, now));
        let app = ran.key().unwrap().to_totp().unwrap();
        let e = ran.state.unwrap();
        let code = app.generate(now).unwrap().to_string();
        self.must(|a| e.confirm(&flows, a, &[&code], now));
        app
    }

    /// A passed critical-operation check with `app` (the first factor,
    /// or `factor` if given) at `now`.
    fn check(&mut self, app: &Totp, factor: Option<&FactorId>, now: u64) -> Verified {
        let flows = self.flows.clone();
        let v = self.must(|a| Verification::step_up(&flows, a, now));
        let v = match factor {
            Some(id) => self.must(|a| v.choose(&flows, a, id, now)),
            None => v,
        };
        let code = app.generate(now).unwrap().to_string();
        let v = self.must(|a| v.respond(&flows, a, &code, now));
        v.verified().unwrap().clone()
    }

    /// Adds an app named `name` at `now`, with a fresh check of `with`.
    fn add(&mut self, with: &Totp, name: &str, now: u64) -> (FactorId, Totp) {
        let flows = self.flows.clone();
        let check = self.check(with, None, now);
        let name = FactorName::new(name).unwrap();
        let e = self.must(|a| Enrollment::start_add(&flows, a, &check, &name, now));
        let app = self.confirm_app(e, now);
        let added = self.account().factors().last().unwrap().id().to_owned();
        (added, app)
    }

    fn ids(&self) -> Vec<FactorId> {
        self.account().factors().iter().map(|f| *f.id()).collect()
    }
}

/// A code that is none of `app`'s within ±3 steps of `now`.
fn wrong(app: &Totp, now: u64) -> String {
    let step = app.step_at(now).unwrap();
    let near: Vec<String> = (step - 3..=step + 3)
        .map(|s| app.generate_at_step(s).to_string())
        .collect();
    (0..1_000_000u32)
        .map(|n| format!("{n:06}"))
        .find(|c| !near.contains(c))
        .unwrap()
}

#[test]
fn a_second_factor_is_added_named_and_challenged_alone() {
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    let [a] = host.ids()[..] else {
        panic!("one factor")
    };
    assert_eq!(host.account().factors()[0].name().as_str(), "totp");
    let generation_proof = host.check(&a_app, None, T0 + 60);

    let (b, b_app) = host.add(&a_app, "Tablet", T0 + 120);
    let account = host.account();
    assert_eq!(host.ids(), [a, b]);
    assert_eq!(account.factor_by_id(&b).unwrap().name().as_str(), "Tablet");
    assert_eq!(account.factor_by_id(&b).unwrap().added(), T0 + 120);
    assert_eq!(
        host.notices.last(),
        Some(&Event::FactorAdded { kind: "totp" })
    );
    assert_eq!(
        host.audit.last(),
        Some(&Audit::FactorAdded {
            factor: b,
            kind: "totp"
        })
    );
    assert_eq!(host.ended, 2, "turned on, then a factor added");
    // A new generation: a proof from before the addition counts no more.
    let flows = host.flows.clone();
    let late = host.run(|a| a.regenerate_recovery_codes(&flows, &generation_proof, T0 + 121));
    assert_eq!(late.result, Err(FlowError::CheckRequired));

    // Logging on challenges A, the default: B's code is rejected there.
    let now = T0 + 1_000;
    let v = host.must(|acc| Verification::start(&flows, acc, Scenario::LogOn, None, now));
    assert_eq!(v.factor(), Some(&a));
    let b_code = b_app.generate(now).unwrap().to_string();
    let ran = host.run(|acc| v.respond(&flows, acc, &b_code, now));
    assert_eq!(ran.result, Err(FlowError::Rejected));
    assert_eq!(
        host.audit.last(),
        Some(&Audit::CodeRejected {
            credential: Credential::Factor,
            factor: Some(a),
        })
    );
    assert_eq!(
        host.account()
            .factor_by_id(&b)
            .unwrap()
            .record()
            .throttle()
            .failures(),
        0
    );
    // The user picks B: B's code passes, A's is not tried.
    let v = host.must(|acc| v.choose(&flows, acc, &b, now));
    assert_eq!(v.factor(), Some(&b));
    let a_code = a_app.generate(now).unwrap().to_string();
    let ran = host.run(|acc| v.respond(&flows, acc, &a_code, now));
    assert_eq!(ran.result, Err(FlowError::Rejected));
    let v = host.must(|acc| v.respond(&flows, acc, &b_code, now));
    assert!(v.is_done());
    // An id the account does not hold.
    let v = host.must(|acc| Verification::start(&flows, acc, Scenario::LogOn, None, now));
    let other: FactorId = "0123456789abcdef".parse().unwrap();
    assert_eq!(
        host.run(|acc| v.choose(&flows, acc, &other, now)).result,
        Err(FlowError::UnknownFactor)
    );
}

#[test]
fn a_month_of_daily_successes_on_one_factor_leaves_the_other_untouched() {
    // django-otp #110: successes on one device piled up as backoff on another.
    let factor = TotpFactor::new("Example Co")
        .unwrap()
        .with_throttle_policy(
            ThrottlePolicy::builder()
                .free_failures(0)
                .initial_delay(1)
                .build()
                .unwrap(),
        )
        .unwrap();
    let mut host = Host::new(factor, recovery(3, 2));
    let a_app = host.enroll(T0);
    let (b, b_app) = host.add(&a_app, "Backup key", T0 + 60);
    let b_before = host.account().factor_by_id(&b).unwrap().record().clone();
    let flows = host.flows.clone();
    for day in 1..=31 {
        let now = T0 + day * DAY;
        let v = host.must(|acc| Verification::start(&flows, acc, Scenario::LogOn, None, now));
        let code = a_app.generate(now).unwrap().to_string();
        host.must(|acc| v.respond(&flows, acc, &code, now));
    }
    let account = host.account();
    let b_after = account.factor_by_id(&b).unwrap().record();
    assert_eq!(
        b_after, &b_before,
        "B's record is not touched by A's checks"
    );
    assert_eq!(b_after.throttle().failures(), 0);
    // B passes at once: no backoff waits for it.
    let now = T0 + 32 * DAY;
    let v = host.must(|acc| Verification::start(&flows, acc, Scenario::LogOn, None, now));
    let v = host.must(|acc| v.choose(&flows, acc, &b, now));
    let code = b_app.generate(now).unwrap().to_string();
    host.must(|acc| v.respond(&flows, acc, &code, now));
}

#[test]
fn a_lockout_of_one_factor_is_notified_and_leaves_the_other_usable() {
    let factor = TotpFactor::new("Example Co")
        .unwrap()
        .with_throttle_policy(
            ThrottlePolicy::builder()
                .free_failures(0)
                .initial_delay(0)
                .max_failures(3)
                .build()
                .unwrap(),
        )
        .unwrap();
    let mut host = Host::new(factor, recovery(3, 2));
    let a_app = host.enroll(T0);
    let [a] = host.ids()[..] else {
        panic!("one factor")
    };
    let (b, b_app) = host.add(&a_app, "Backup key", T0 + 60);
    let flows = host.flows.clone();
    let now = T0 + 1_000;
    let v = host.must(|acc| Verification::start(&flows, acc, Scenario::LogOn, None, now));
    let bad = wrong(&a_app, now);
    for _ in 0..3 {
        assert_eq!(
            host.run(|acc| v.respond(&flows, acc, &bad, now)).result,
            Err(FlowError::Rejected)
        );
    }
    let code = a_app.generate(now).unwrap().to_string();
    let locked = host.run(|acc| v.respond(&flows, acc, &code, now));
    assert!(matches!(
        locked.result,
        Err(FlowError::Refused(mfa::Refused::LockedOut { .. }))
    ));
    assert!(matches!(
        host.notices.last(),
        Some(Event::LockedOut {
            credential: Credential::Factor,
            ..
        })
    ));
    assert!(host.audit.iter().any(|e| matches!(
        e,
        Audit::LockedOut { credential: Credential::Factor, factor: Some(f), .. } if *f == a
    )));
    let rejected = host
        .audit
        .iter()
        .filter(|e| matches!(e, Audit::CodeRejected { factor: Some(f), .. } if *f == a))
        .count();
    assert_eq!(
        rejected, 3,
        "each wrong code audited with its factor (django-otp #75)"
    );
    // B is a credential of its own: the user may pass with it.
    assert!(
        !host
            .account()
            .factor_by_id(&b)
            .unwrap()
            .record()
            .throttle()
            .is_lockout()
    );
    let v = host.must(|acc| v.choose(&flows, acc, &b, now));
    let code = b_app.generate(now).unwrap().to_string();
    let v = host.must(|acc| v.respond(&flows, acc, &code, now));
    assert!(v.is_done());
    // A stays locked.
    assert!(
        host.account()
            .factor_by_id(&a)
            .unwrap()
            .record()
            .throttle()
            .is_lockout()
    );
}

#[test]
fn a_change_replaces_the_factor_in_place() {
    // Keycloak #8753: a reset added a second credential beside the old one.
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    let (b, _) = host.add(&a_app, "Old phone", T0 + 60);
    let before = host.account();
    let flows = host.flows.clone();
    let now = T0 + 600;
    let check = host.check(&a_app, None, now);
    let e = host.must(|acc| Enrollment::start_change(&flows, acc, &b, &check, now));
    let new_app = host.confirm_app(e, now);
    let after = host.account();
    assert_eq!(
        host.ids(),
        before.factors().iter().map(|f| *f.id()).collect::<Vec<_>>()
    );
    let replaced = after.factor_by_id(&b).unwrap();
    assert_eq!(replaced.name().as_str(), "Old phone");
    assert_eq!(replaced.added(), now);
    assert_ne!(replaced.record(), before.factor_by_id(&b).unwrap().record());
    let (a_after, a_before) = (&after.factors()[0], &before.factors()[0]);
    assert_eq!(
        (a_after.id(), a_after.name()),
        (a_before.id(), a_before.name()),
        "A kept"
    );
    assert_eq!(a_after.added(), a_before.added());
    assert_eq!(
        host.notices.last(),
        Some(&Event::FactorChanged { kind: "totp" })
    );
    assert_eq!(
        host.audit.last(),
        Some(&Audit::FactorChanged {
            factor: b,
            kind: "totp"
        })
    );
    assert_eq!(host.ended, 3);
    // The proof used is of the old generation now.
    let again = host.run(|acc| Enrollment::start_change(&flows, acc, &b, &check, now + 1));
    assert_eq!(again.result, Err(FlowError::CheckRequired));
    // The new app answers for B.
    let later = now + 60;
    let check = host.check(&new_app, Some(&b), later);
    assert!(!check.by_recovery_code());
    // An unknown id cannot be changed.
    let other: FactorId = "0123456789abcdef".parse().unwrap();
    let ran = host.run(|acc| Enrollment::start_change(&flows, acc, &other, &check, later));
    assert_eq!(ran.result, Err(FlowError::UnknownFactor));
}

#[test]
fn rename_and_remove_after_a_fresh_check_never_the_last_factor() {
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    let [a] = host.ids()[..] else {
        panic!("one factor")
    };
    let (b, b_app) = host.add(&a_app, "Tablet", T0 + 60);
    let flows = host.flows.clone();
    let now = T0 + 600;
    let check = host.check(&a_app, None, now);
    let ended = host.ended;

    let name = FactorName::new("Old tablet").unwrap();
    host.must(|acc| acc.rename_factor(&flows, &b, &name, &check, now));
    assert_eq!(host.account().factor_by_id(&b).unwrap().name(), &name);
    assert_eq!(host.audit.last(), Some(&Audit::FactorRenamed { factor: b }));
    assert_eq!(host.ended, ended, "a rename ends no session");
    // A rename keeps the generation: the same check still counts.
    let stale = host.run(|acc| acc.rename_factor(&flows, &b, &name, &check, now + 300));
    assert_eq!(
        stale.result,
        Err(FlowError::CheckRequired),
        "fresh for 300 s only"
    );

    // A challenge of B, pending while B is removed.
    let pending_b = host.must(|acc| Verification::step_up(&flows, acc, now + 1));
    let pending_b = host.must(|acc| pending_b.choose(&flows, acc, &b, now + 1));

    host.must(|acc| acc.remove_factor(&flows, &b, &check, now + 2));
    assert_eq!(host.ids(), [a]);
    assert_eq!(host.notices.last(), Some(&Event::FactorRemoved));
    assert_eq!(host.audit.last(), Some(&Audit::FactorRemoved { factor: b }));
    assert_eq!(host.ended, ended + 1);
    let code = b_app.generate(now + 3).unwrap().to_string();
    let ran = host.run(|acc| pending_b.respond(&flows, acc, &code, now + 3));
    assert_eq!(ran.result, Err(FlowError::UnknownFactor));

    // The last factor stays while protection is on.
    let check = host.check(&a_app, None, now + 60);
    let ran = host.run(|acc| acc.remove_factor(&flows, &a, &check, now + 60));
    assert_eq!(ran.result, Err(FlowError::LastFactor));
    let ran = host.run(|acc| acc.remove_factor(&flows, &b, &check, now + 60));
    assert_eq!(ran.result, Err(FlowError::UnknownFactor));
    let ran = host.run(|acc| acc.rename_factor(&flows, &b, &name, &check, now + 60));
    assert_eq!(ran.result, Err(FlowError::UnknownFactor));
}

#[test]
fn at_most_max_factors() {
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    let mut now = T0;
    for n in 2..=MAX_FACTORS {
        now += 60;
        host.add(&a_app, &format!("Key {n}"), now);
    }
    assert_eq!(host.account().factors().len(), MAX_FACTORS);
    now += 60;
    let flows = host.flows.clone();
    let check = host.check(&a_app, None, now);
    let name = FactorName::new("One too many").unwrap();
    let ran = host.run(|acc| Enrollment::start_add(&flows, acc, &check, &name, now));
    assert_eq!(ran.result, Err(FlowError::TooManyFactors { max: 10 }));
}

#[test]
fn of_two_additions_started_side_by_side_only_the_first_completes() {
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    let mut now = T0;
    for n in 2..MAX_FACTORS {
        now += 60;
        host.add(&a_app, &format!("Key {n}"), now);
    }
    // Two additions started side by side with room for one: the first
    // moves the generation, so the second cannot go past the cap.
    now += 60;
    let flows = host.flows.clone();
    let check = host.check(&a_app, None, now);
    let name = FactorName::new("Tab one").unwrap();
    let first = host.must(|acc| Enrollment::start_add(&flows, acc, &check, &name, now));
    let second = host.must(|acc| Enrollment::start_add(&flows, acc, &check, &name, now));
    host.confirm_app(first, now);
    assert_eq!(host.account().factors().len(), MAX_FACTORS);
    let label = String::from("ada@example.com");
    let ran = host.run(|acc| second.setup(&flows, acc, &label, now));
    // The first addition moved the generation: the second one is over.
    assert_eq!(ran.result, Err(FlowError::Expired));
}

#[test]
fn factor_names_are_1_to_64_characters_without_control_characters() {
    assert!(FactorName::new(&"a".repeat(64)).is_ok());
    assert_eq!(
        FactorName::new(&"a".repeat(65)),
        Err(NameError::TooLong { max: 64 })
    );
    assert!(FactorName::new("é").is_ok());
    assert_eq!(FactorName::new("  "), Err(NameError::Empty));
    assert_eq!(FactorName::new("a\u{7}b"), Err(NameError::Control));
    assert_eq!(FactorName::new("a\u{85}b"), Err(NameError::Control));
    assert!(AdminId::new(&"a".repeat(64)).is_ok());
    assert!(AdminId::new(&"a".repeat(65)).is_err());
    assert!(Reason::new(&"a".repeat(256)).is_ok());
    assert_eq!(
        Reason::new(&"a".repeat(257)),
        Err(NameError::TooLong { max: 256 })
    );
    // Read back through the same check.
    let json = serde_json::to_string(&"b".repeat(65)).unwrap();
    assert!(serde_json::from_str::<FactorName>(&json).is_err());
    let json = serde_json::to_string(&"b".repeat(64)).unwrap();
    assert!(serde_json::from_str::<FactorName>(&json).is_ok());
}

/// Uses recovery codes one by one; the notice after each.
fn recovery_notices(count: u8, low: u8) -> Vec<Event> {
    let mut host = Host::new(TotpFactor::new("Example Co").unwrap(), recovery(count, low));
    host.enroll(T0);
    let codes = host.recovery_codes.clone();
    let flows = host.flows.clone();
    let mut notices = Vec::new();
    for (i, code) in codes.iter().enumerate() {
        let now = T0 + 600 + 60 * i as u64;
        let v = host.must(|acc| Verification::start(&flows, acc, Scenario::LogOn, None, now));
        host.must(|acc| v.respond_recovery(&flows, acc, code, now));
        notices.push(*host.notices.last().unwrap());
        assert_eq!(
            host.account().recovery_codes_left(),
            Some(codes.len() - i - 1)
        );
        assert_eq!(
            host.audit.last(),
            Some(&Audit::RecoveryCodeUsed {
                remaining: codes.len() - i - 1
            })
        );
    }
    notices
}

#[test]
fn few_recovery_codes_left_is_notified_at_the_threshold() {
    use Event::{RecoveryCodeUsed as Used, RecoveryCodesLow as Low};
    assert_eq!(FlowPolicy::default().recovery_low(), 2);
    assert_eq!(
        recovery_notices(5, 2),
        [
            Used { remaining: 4 },
            Used { remaining: 3 },
            Low { remaining: 2 },
            Low { remaining: 1 },
            Low { remaining: 0 },
        ]
    );
    assert_eq!(
        recovery_notices(2, 0),
        [Used { remaining: 1 }, Low { remaining: 0 }]
    );
    assert!(FlowPolicy::builder().recovery_low(20).build().is_ok());
    assert!(FlowPolicy::builder().recovery_low(21).build().is_err());
}

#[test]
fn after_the_last_recovery_code_new_ones_can_be_made() {
    // Kratos #1649, #3890.
    let mut host = Host::plain();
    host.enroll(T0);
    let codes = host.recovery_codes.clone();
    let flows = host.flows.clone();
    let mut last = None;
    for (i, code) in codes.iter().enumerate() {
        let now = T0 + 600 + i as u64;
        let v = host.must(|acc| Verification::step_up(&flows, acc, now));
        let v = host.must(|acc| v.respond_recovery(&flows, acc, code, now));
        last = Some(v.verified().unwrap().clone());
    }
    assert_eq!(host.account().recovery_codes_left(), Some(0));
    let check = last.unwrap();
    assert!(check.by_recovery_code());
    let now = check.at() + flows.policy().fresh_check() - 1;
    host.must(|acc| acc.regenerate_recovery_codes(&flows, &check, now));
    assert_eq!(host.account().recovery_codes_left(), Some(3));
    assert_eq!(host.audit.last(), Some(&Audit::RecoveryCodesRegenerated));
    assert_ne!(host.recovery_codes, codes);
}

#[test]
fn an_admin_reset_turns_protection_off_and_says_who_and_why() {
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    host.add(&a_app, "Tablet", T0 + 60);
    let flows = host.flows.clone();
    let now = T0 + 600;
    let proof = host.check(&a_app, None, now);
    let ended = host.ended;
    let admin = AdminId::new("staff-17").unwrap();
    let reason = Reason::new("ticket 4711").unwrap();
    let ran = host.run(|acc| acc.admin_reset(&flows, &admin, &reason, now + 1));
    assert_eq!(ran.result, Ok(()));
    assert_eq!(
        ran.notices().map(|(e, _)| e).collect::<Vec<_>>(),
        [Event::AdminReset]
    );
    assert_eq!(
        ran.audit().cloned().collect::<Vec<_>>(),
        [Audit::AdminReset {
            admin: admin.clone(),
            reason: reason.clone()
        }]
    );
    assert!(ran.ends_other_sessions());
    assert_eq!(host.ended, ended + 1);
    let account = host.account();
    assert!(!account.is_on());
    assert!(account.factors().is_empty());
    assert_eq!(account.recovery_codes_left(), None);
    // Proofs from before count no more; a second reset has nothing to do.
    let ran = host.run(|acc| acc.turn_off(&flows, &proof, now + 2));
    assert_eq!(ran.result, Err(FlowError::NotProtected));
    let ran = host.run(|acc| acc.admin_reset(&flows, &admin, &reason, now + 2));
    assert_eq!(ran.result, Err(FlowError::NotProtected));
    // The owner turns protection on again.
    host.enroll(now + 3);
    assert_eq!(host.account().factors().len(), 1);
}

#[test]
fn every_security_change_is_audited_and_ends_other_sessions_where_it_must() {
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    assert_eq!(host.ended, 1, "protection on");
    let [a] = host.ids()[..] else {
        panic!("one factor")
    };
    let (b, _) = host.add(&a_app, "Tablet", T0 + 60);
    assert_eq!(host.ended, 2, "factor added");
    let flows = host.flows.clone();
    let now = T0 + 600;
    let check = host.check(&a_app, None, now);
    host.must(|acc| {
        acc.set_scenarios(
            &flows,
            &[Scenario::LogOn, Scenario::CriticalOperation],
            &check,
            now,
        )
    });
    host.must(|acc| acc.regenerate_recovery_codes(&flows, &check, now));
    assert_eq!(host.ended, 2, "scenarios and recovery codes end no session");
    host.must(|acc| acc.remove_factor(&flows, &b, &check, now));
    assert_eq!(host.ended, 3, "factor removed");
    let check = host.check(&a_app, None, now + 60);
    host.must(|acc| acc.turn_off(&flows, &check, now + 60));
    assert_eq!(host.ended, 4, "protection off");
    let events: Vec<Audit> = host
        .audit
        .iter()
        .filter(|e| !matches!(e, Audit::CodeRejected { .. }))
        .cloned()
        .collect();
    assert_eq!(
        events,
        [
            Audit::ProtectionOn {
                factor: a,
                kind: "totp"
            },
            Audit::FactorAdded {
                factor: b,
                kind: "totp"
            },
            Audit::ScenariosChanged,
            Audit::RecoveryCodesRegenerated,
            Audit::FactorRemoved { factor: b },
            Audit::ProtectionOff,
        ]
    );
}

#[test]
fn audit_events_hold_no_personal_data() {
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    let (b, b_app) = host.add(&a_app, "Ada's tablet", T0 + 60);
    let flows = host.flows.clone();
    let now = T0 + 600;
    let v = host.must(|acc| Verification::start(&flows, acc, Scenario::LogOn, None, now));
    let bad = wrong(&b_app, now);
    let _ = host.run(|acc| v.respond(&flows, acc, &bad, now));
    let check = host.check(&a_app, None, now + 30);
    let name = FactorName::new("Ada's old tablet").unwrap();
    host.must(|acc| acc.rename_factor(&flows, &b, &name, &check, now + 30));
    let log: String = host.audit.iter().map(|e| format!("{e} {e:?}\n")).collect();
    for personal in ["ada@example.com", "Ada", "tablet", "ada"] {
        assert!(
            !log.contains(personal),
            "{personal} in the audit log:\n{log}"
        );
    }
    assert!(log.contains(&b.to_string()));
    assert!(!log.contains(&bad), "no code in the audit log");
}

#[test]
fn the_record_reads_back_with_its_factors_and_refuses_bad_lists() {
    let mut host = Host::plain();
    let a_app = host.enroll(T0);
    host.add(&a_app, "Tablet", T0 + 60);
    let account = host.account();
    let json = serde_json::to_value(&account).unwrap();
    let back: Protection<TotpRecord> = serde_json::from_value(json.clone()).unwrap();
    assert_eq!(back, account);

    let read = |edit: &dyn Fn(&mut serde_json::Value)| {
        let mut bad = json.clone();
        edit(&mut bad);
        serde_json::from_value::<Protection<TotpRecord>>(bad)
    };
    // One id twice.
    assert!(
        read(&|v| {
            let id = v["active"]["factors"][0]["id"].clone();
            v["active"]["factors"][1]["id"] = id;
        })
        .is_err()
    );
    // No factor while protection is on.
    assert!(read(&|v| v["active"]["factors"] = serde_json::json!([])).is_err());
    // More than MAX_FACTORS.
    assert!(
        read(&|v| {
            let one = v["active"]["factors"][0].clone();
            let many: Vec<_> = (0..=MAX_FACTORS)
                .map(|i| {
                    let mut f = one.clone();
                    f["id"] = serde_json::json!(format!("{i:016x}"));
                    f
                })
                .collect();
            v["active"]["factors"] = serde_json::json!(many);
        })
        .is_err()
    );
    // Exactly MAX_FACTORS reads back.
    assert!(
        read(&|v| {
            let one = v["active"]["factors"][0].clone();
            let many: Vec<_> = (0..MAX_FACTORS)
                .map(|i| {
                    let mut f = one.clone();
                    f["id"] = serde_json::json!(format!("{i:016x}"));
                    f
                })
                .collect();
            v["active"]["factors"] = serde_json::json!(many);
        })
        .is_ok()
    );
    // A name too long, an id not 16 hex digits, a field unknown.
    assert!(
        read(&|v| v["active"]["factors"][0]["name"] = serde_json::json!("x".repeat(65))).is_err()
    );
    assert!(
        read(&|v| v["active"]["factors"][0]["id"] = serde_json::json!("+00000000000000f")).is_err()
    );
    assert!(read(&|v| v["active"]["factors"][0]["extra"] = serde_json::json!(1)).is_err());
}
