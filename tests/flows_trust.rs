//! "Remember this device" (issue 13, item 2), whole flows on the in-memory
//! store through the runner, with a simulated clock: a device token passes
//! its scenario of its account until it expires (30 days by default), is
//! revoked, or a factor or the protection changes (a factor added, removed
//! or replaced, protection off or on, an admin reset); never another
//! account, another scenario, or after a recovery-code log-on. Trusting and
//! revoking are notified and audited; a refused token is challenged as
//! `start` would, with the first factor.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{ALL, T0, email, policy, totp_flows};
use mfa::{
    AdminId, Audit, DeviceId, DeviceToken, DeviceTokenError, Effect, Enrollment, Event, FactorId,
    FactorName, FlowError, FlowPolicy, Flows, MemoryStore, ParamError, Protection, Ran, Reason,
    Scenario, Store, Totp, TotpFactor, TotpRecord, TrustedDevice, Verification, Verified,
};

const DAY: u64 = 86_400;
/// Ten minutes after enrollment, on a step of its own.
const AT: u64 = T0 + 600;

/// A service: its flows and its database.
struct Site {
    flows: Flows<TotpFactor>,
    store: MemoryStore<String, Protection<TotpRecord>>,
}

impl Site {
    fn new(policy: FlowPolicy) -> Self {
        Self {
            flows: totp_flows(policy),
            store: MemoryStore::new(),
        }
    }

    fn account(&self, user: &str) -> Protection<TotpRecord> {
        self.store.load(&user.to_owned()).unwrap().unwrap()
    }

    /// Enrolls `user`'s app for `scenarios` at `now` (identity by e-mail).
    fn enroll(&self, user: &str, scenarios: &[Scenario], now: u64) -> Totp {
        self.enroll_with_codes(user, scenarios, now).0
    }

    /// As [`enroll`](Self::enroll); also returns the recovery codes shown.
    fn enroll_with_codes(
        &self,
        user: &str,
        scenarios: &[Scenario],
        now: u64,
    ) -> (Totp, Vec<String>) {
        let (f, store, user) = (&self.flows, &self.store, &user.to_owned());
        let (e, effects) = ok(mfa::run_blocking(store, user, |a| {
            Enrollment::start(f, a, scenarios, &[email()], &email(), now)
        }));
        let code = delivered(&effects);
        let (e, _) = ok(mfa::run_blocking(store, user, |a| {
            e.verify_identity(f, a, &code, now)
        }));
        let name = String::from("ada@example.com");
        let (e, effects) = ok(mfa::run_blocking(store, user, |a| {
            e.setup(f, a, &name, now)
        }));
        let totp = shown_key(&effects);
        let code = totp.generate(now).unwrap().to_string();
        let (e, effects) = ok(mfa::run_blocking(store, user, |a| {
            e.confirm(f, a, &[&code], now)
        }));
        assert!(e.is_done());
        (totp, recovery_codes(&effects))
    }

    /// A check at `scenario`, passed with the app's code at `now`.
    fn check(&self, user: &str, totp: &Totp, scenario: Scenario, now: u64) -> Verified {
        let (f, store, user) = (&self.flows, &self.store, &user.to_owned());
        let (v, _) = ok(mfa::run_blocking(store, user, |a| {
            Verification::start(f, a, scenario.clone(), None, now)
        }));
        assert!(!v.is_done(), "challenged");
        let code = totp.generate(now).unwrap().to_string();
        let (v, _) = ok(mfa::run_blocking(store, user, |a| {
            v.respond(f, a, &code, now)
        }));
        v.verified().unwrap().clone()
    }

    /// `trust_device` after `check`, at `now`.
    fn trust_after(&self, user: &str, check: &Verified, now: u64) -> Ran<DeviceToken> {
        mfa::run_blocking(&self.store, &user.to_owned(), |a| {
            a.trust_device(&self.flows, check, now)
        })
    }

    /// A check at `scenario` at `now`, then "remember this device":
    /// notified, and audited with the device's id.
    fn trust(&self, user: &str, totp: &Totp, scenario: Scenario, now: u64) -> DeviceToken {
        let check = self.check(user, totp, scenario, now);
        self.trust_checked(user, &check, now)
    }

    /// "Remember this device" after `check`, at `now`, which must go
    /// through.
    fn trust_checked(&self, user: &str, check: &Verified, now: u64) -> DeviceToken {
        let (token, effects) = ok(self.trust_after(user, check, now));
        let me = self.account(user).account_id();
        assert!(matches!(
            effects.as_slice(),
            [
                Effect::Notify { event: Event::DeviceTrusted, at },
                Effect::Audit { account, event: Audit::DeviceTrusted { device }, at: audited },
            ] if *at == now && *audited == now && *account == me && device == token.id()
        ));
        token
    }

    /// Adds an app to `user`'s account (`Enrollment::start_add`) after a
    /// critical-operation check with `totp` at `now`; its id and the app.
    fn add_app(&self, user: &str, totp: &Totp, now: u64) -> (FactorId, Totp) {
        let (f, store, user_id) = (&self.flows, &self.store, &user.to_owned());
        let check = self.check(user, totp, Scenario::CriticalOperation, now);
        let name = FactorName::new("Tablet").unwrap();
        let (e, _) = ok(mfa::run_blocking(store, user_id, |a| {
            Enrollment::start_add(f, a, &check, &name, now + 1)
        }));
        let (e, effects) = ok(mfa::run_blocking(store, user_id, |a| {
            e.setup(f, a, user_id, now + 2)
        }));
        let app = shown_key(&effects);
        self.confirm_new_key(user, (e, app.clone()), now + 3);
        let id = *self.account(user).factors().last().unwrap().id();
        (id, app)
    }

    /// The check `start_trusted` makes with `token` at `now`: a pass
    /// with no effect, or (the scenario protected) a challenge whose only
    /// effect is the audit of the refused token.
    fn start(&self, user: &str, token: &DeviceToken, scenario: Scenario, now: u64) -> Verification {
        let protected = self.account(user).protects(&scenario);
        let (v, effects) = ok(mfa::run_blocking(&self.store, &user.to_owned(), |a| {
            Verification::start_trusted(&self.flows, a, scenario.clone(), Some(token), None, now)
        }));
        let me = self.account(user).account_id();
        if v.is_done() && !protected {
            assert!(effects.is_empty(), "{effects:?}");
        } else if v.is_done() {
            assert!(
                matches!(
                    effects.as_slice(),
                    [Effect::Audit { account, event: Audit::DevicePassed { device }, at }]
                        if *account == me && device == token.id() && *at == now
                ),
                "{effects:?}"
            );
        } else {
            assert!(protected);
            assert!(
                matches!(
                    effects.as_slice(),
                    [Effect::Audit { account, event: Audit::DeviceRefused { device }, at }]
                        if *account == me && device == token.id() && *at == now
                ),
                "{effects:?}"
            );
        }
        v
    }

    /// `start_trusted` with `token` and plain `start`, side by side at
    /// `now` on the same record: the answer must be the same (state,
    /// result, write, effects), but for `start_trusted`'s one audit event
    /// of the refused token, the last effect. Returns that event.
    fn refused(&self, user: &str, token: &DeviceToken, scenario: &Scenario, now: u64) -> Audit {
        let account = self.account(user);
        let trusted = Verification::start_trusted(
            &self.flows,
            &account,
            scenario.clone(),
            Some(token),
            None,
            now,
        );
        let plain = Verification::start(&self.flows, &account, scenario.clone(), None, now);
        let (state, persist, mut effects, result) = trusted.into_parts();
        let (plain_state, plain_persist, plain_effects, plain_result) = plain.into_parts();
        assert!(state.as_ref().is_some_and(|v| !v.is_done()), "challenged");
        assert_eq!((state, result), (plain_state, plain_result));
        assert_eq!(format!("{persist:?}"), format!("{plain_persist:?}"));
        let Some(Effect::Audit {
            account: who,
            event,
            at,
        }) = effects.pop()
        else {
            panic!("no audit event: {effects:?}");
        };
        assert_eq!((who, at), (account.account_id(), now));
        assert_eq!(format!("{effects:?}"), format!("{plain_effects:?}"));
        event
    }

    /// Whether `token` passes `scenario` of `user` at `now`, without a
    /// challenge, and the pass authorises the operation.
    fn passes(&self, user: &str, token: &DeviceToken, scenario: Scenario, now: u64) -> bool {
        let v = self.start(user, token, scenario.clone(), now);
        let authorized = v.authorize(&self.flows, &self.account(user), &scenario, now);
        assert_eq!(v.is_done(), authorized.is_ok(), "{authorized:?}");
        assert!(v.verified().is_none(), "a device pass is no proof");
        v.is_done()
    }

    /// Starts replacing `user`'s key (`Enrollment::start_change`) after a
    /// critical-operation check at `at`, and sets the new key up at
    /// `at + 2`: the change waits for the new app's first code.
    fn start_new_key(&self, user: &str, totp: &Totp, at: u64) -> (Enrollment, Totp) {
        let (f, store, user_id) = (&self.flows, &self.store, &user.to_owned());
        let check = self.check(user, totp, Scenario::CriticalOperation, at);
        let first = *self.account(user).factors()[0].id();
        let (e, _) = ok(mfa::run_blocking(store, user_id, |a| {
            Enrollment::start_change(f, a, &first, &check, at + 1)
        }));
        let (e, effects) = ok(mfa::run_blocking(store, user_id, |a| {
            e.setup(f, a, user_id, at + 2)
        }));
        (e, shown_key(&effects))
    }

    /// Confirms the new key of `start_new_key` at `now`.
    fn confirm_new_key(&self, user: &str, (e, new): (Enrollment, Totp), now: u64) {
        let code = new.generate(now).unwrap().to_string();
        let (e, _) = ok(mfa::run_blocking(&self.store, &user.to_owned(), |a| {
            e.confirm(&self.flows, a, &[&code], now)
        }));
        assert!(e.is_done());
    }

    /// The stored list of trusted devices, as JSON.
    #[cfg(feature = "serde")]
    fn trusted_json(&self, user: &str) -> serde_json::Value {
        serde_json::to_value(self.account(user)).unwrap()["trusted"].clone()
    }

    /// Writes `trusted` into `user`'s stored record behind the flows'
    /// back (a database edit, a restored backup).
    #[cfg(feature = "serde")]
    fn put_trusted_json(&self, user: &str, trusted: serde_json::Value) {
        let old = self.account(user);
        let mut value = serde_json::to_value(&old).unwrap();
        value["trusted"] = trusted;
        value["version"] = (old.version() + 1).into();
        let new: Protection<TotpRecord> = serde_json::from_value(value).unwrap();
        let cas = self
            .store
            .compare_and_set(&user.to_owned(), old.version(), &new)
            .unwrap();
        assert_eq!(cas, mfa::Cas::Committed);
        assert_eq!(self.account(user), new);
    }

    fn revoke(&self, user: &str, id: &DeviceId, now: u64) -> Vec<Effect> {
        ok(mfa::run_blocking(&self.store, &user.to_owned(), |a| {
            a.revoke_device(id, now)
        }))
        .1
    }
}

/// The state and effects of a run that went through.
fn ok<S>(ran: Ran<S>) -> (S, Vec<Effect>) {
    ran.result.unwrap();
    (ran.state.unwrap(), ran.effects)
}

fn delivered(effects: &[Effect]) -> String {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::Deliver(d) => Some(d.code().expose().to_owned()),
            _ => None,
        })
        .unwrap()
}

fn shown_key(effects: &[Effect]) -> Totp {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::ShowKey(uri) => Some(uri.to_totp().unwrap()),
            _ => None,
        })
        .unwrap()
}

fn recovery_codes(effects: &[Effect]) -> Vec<String> {
    effects
        .iter()
        .find_map(|e| match e {
            Effect::ShowRecoveryCodes(codes) => {
                Some(codes.iter().map(|c| c.expose().to_owned()).collect())
            }
            _ => None,
        })
        .unwrap()
}

/// Whether `effects` notify and audit `count` devices revoked.
fn revoked(count: usize) -> impl Fn(&[Effect]) -> bool {
    move |effects| {
        matches!(
            effects,
            [
                Effect::Notify { event: Event::DevicesRevoked { count: c }, .. },
                Effect::Audit { event: Audit::DevicesRevoked { count: a }, .. },
            ] if *c == count && *a == count
        )
    }
}

#[test]
fn a_remembered_device_passes_log_on_until_it_expires() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let account = site.account("ada");
    let listed: Vec<&TrustedDevice> = account.trusted_devices(AT).collect();
    assert_eq!(listed.len(), 1);
    assert_eq!(
        (listed[0].id(), listed[0].scenario(), listed[0].added_at()),
        (token.id(), &Scenario::LogOn, AT)
    );
    assert_eq!(listed[0].expires_at(), AT + 30 * DAY);

    // Through the cookie: the value read back is the same token.
    let cookie = token.to_cookie_value();
    let token = DeviceToken::parse(&cookie).unwrap();
    assert!(site.passes("ada", &token, Scenario::LogOn, AT + 1));
    assert!(site.passes("ada", &token, Scenario::LogOn, AT + 30 * DAY - 1));
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT + 30 * DAY));
    assert_eq!(
        site.account("ada").trusted_devices(AT + 30 * DAY).count(),
        0
    );
    // A clock that went back before the device was trusted: no pass.
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT - 1));
}

#[test]
fn the_trust_lasts_as_configured() {
    let site = Site::new(policy().to_builder().trust_ttl(DAY).build().unwrap());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    assert!(site.passes("ada", &token, Scenario::LogOn, AT + DAY - 1));
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT + DAY));
    // Expired, it is not revoked again: nothing to write or tell.
    let ran = mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.revoke_all_devices(AT + DAY)
    });
    assert_eq!(ran.result, Ok(()));
    assert!(ran.effects.is_empty());
    let ran = mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.revoke_all_devices(AT + DAY - 1)
    });
    assert!(revoked(1)(&ran.effects));
}

#[test]
fn the_trust_lasts_a_day_to_a_year() {
    let with = |seconds| FlowPolicy::builder().trust_ttl(seconds).build();
    assert_eq!(with(DAY).unwrap().trust_ttl(), DAY);
    assert_eq!(with(365 * DAY).unwrap().trust_ttl(), 365 * DAY);
    for seconds in [0, DAY - 1, 365 * DAY + 1] {
        assert!(matches!(
            with(seconds),
            Err(ParamError::OutOfRange { value, min: DAY, max, .. }) if value == seconds && max == 365 * DAY
        ));
    }
    assert_eq!(FlowPolicy::default().trust_ttl(), 30 * DAY);
}

#[test]
fn ten_devices_at_most_the_oldest_forgotten() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let tokens: Vec<DeviceToken> = (0..TrustedDevice::MAX_PER_ACCOUNT as u64)
        .map(|i| site.trust("ada", &totp, Scenario::LogOn, AT + 30 * i))
        .collect();
    let now = AT + 30 * 10;
    assert_eq!(site.account("ada").trusted_devices(now).count(), 10);
    assert!(
        tokens
            .iter()
            .all(|t| site.passes("ada", t, Scenario::LogOn, now))
    );

    // The eleventh forgets the first, and only it.
    let eleventh = site.trust("ada", &totp, Scenario::LogOn, now);
    let later = now + 60;
    assert_eq!(site.account("ada").trusted_devices(later).count(), 10);
    assert!(!site.passes("ada", &tokens[0], Scenario::LogOn, later));
    assert!(
        tokens[1..]
            .iter()
            .all(|t| site.passes("ada", t, Scenario::LogOn, later))
    );
    assert!(site.passes("ada", &eleventh, Scenario::LogOn, later));
}

#[test]
fn a_token_copied_to_another_account_is_refused() {
    // TalentCloud PR #1915: one account's "remember me" cookie let any
    // account on the browser skip its second factor.
    let site = Site::new(policy());
    let ada = site.enroll("ada", ALL, T0);
    let bob = site.enroll("bob", ALL, T0);
    let adas = site.trust("ada", &ada, Scenario::LogOn, AT);
    let bobs = site.trust("bob", &bob, Scenario::LogOn, AT);
    assert!(!site.passes("bob", &adas, Scenario::LogOn, AT + 1));
    assert!(!site.passes("ada", &bobs, Scenario::LogOn, AT + 1));
    // The same id with Bob's secret is not Ada's token either.
    let forged = format!(
        "{}.{}",
        adas.id(),
        bobs.to_cookie_value().split_once('.').unwrap().1
    );
    let forged = DeviceToken::parse(&forged).unwrap();
    assert!(!site.passes("ada", &forged, Scenario::LogOn, AT + 1));
    assert!(site.passes("ada", &adas, Scenario::LogOn, AT + 1));

    // A device pass of Ada's authorises nothing at Bob's.
    let pass = site.start("ada", &adas, Scenario::LogOn, AT + 2);
    assert_eq!(
        pass.authorize(&site.flows, &site.account("bob"), &Scenario::LogOn, AT + 2),
        Err(FlowError::WrongAccount)
    );
    // Nor can Ada's check trust a device at Bob's.
    let check = site.check("ada", &ada, Scenario::LogOn, AT + 30);
    assert_eq!(
        site.trust_after("bob", &check, AT + 30).result,
        Err(FlowError::WrongAccount)
    );
}

#[test]
#[cfg(feature = "serde")]
fn an_entry_copied_into_another_record_passes_nothing() {
    // The hash binds the account: Ada's entry in Bob's record (a database
    // edit) does not let Ada's token into Bob's account.
    let site = Site::new(policy());
    let ada = site.enroll("ada", ALL, T0);
    site.enroll("bob", ALL, T0);
    let token = site.trust("ada", &ada, Scenario::LogOn, AT);
    site.put_trusted_json("bob", site.trusted_json("ada"));
    assert_eq!(site.account("bob").trusted_devices(AT + 1).count(), 1);
    assert!(!site.passes("bob", &token, Scenario::LogOn, AT + 1));
    assert!(site.passes("ada", &token, Scenario::LogOn, AT + 1));
}

#[test]
#[cfg(feature = "serde")]
fn a_list_restored_from_before_a_factor_change_passes_nothing() {
    // The hash binds the factor's generation: an old list written back (a
    // restored backup) opens nothing after the factor was replaced.
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let old = site.trusted_json("ada");
    let change = site.start_new_key("ada", &totp, AT + 30);
    site.confirm_new_key("ada", change, AT + 60);
    site.put_trusted_json("ada", old);
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT + 61));
}

#[test]
fn a_log_on_token_passes_no_other_scenario() {
    let site = Site::new(policy());
    let scenarios = [
        Scenario::LogOn,
        Scenario::CriticalOperation,
        Scenario::Custom("export".into()),
    ];
    let totp = site.enroll("ada", &scenarios, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    for other in [
        Scenario::CriticalOperation,
        Scenario::Custom("export".into()),
    ] {
        assert!(!site.passes("ada", &token, other, AT + 1));
    }
    // A log-on pass by device does not authorise a critical operation.
    let pass = site.start("ada", &token, Scenario::LogOn, AT + 2);
    assert_eq!(
        pass.authorize(
            &site.flows,
            &site.account("ada"),
            &Scenario::CriticalOperation,
            AT + 2
        ),
        Err(FlowError::CheckRequired)
    );
    // A custom scenario can be remembered too, on its own.
    let export = site.trust("ada", &totp, Scenario::Custom("export".into()), AT + 30);
    assert!(site.passes("ada", &export, Scenario::Custom("export".into()), AT + 31));
    assert!(!site.passes("ada", &export, Scenario::LogOn, AT + 31));
}

#[test]
fn only_a_fresh_factor_check_at_log_on_or_a_custom_scenario_trusts_a_device() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);

    // A critical-operation check: its point is to ask again on this device.
    let critical = site.check("ada", &totp, Scenario::CriticalOperation, AT);
    assert_eq!(
        site.trust_after("ada", &critical, AT).result,
        Err(FlowError::CheckRequired)
    );

    // Fresh for `fresh_check` (300 s), not a second more.
    let check = site.check("ada", &totp, Scenario::LogOn, AT + 30);
    assert_eq!(
        site.trust_after("ada", &check, AT + 330).result,
        Err(FlowError::CheckRequired)
    );
    assert_eq!(site.trust_after("ada", &check, AT + 329).result, Ok(()));
    assert_eq!(site.account("ada").trusted_devices(AT + 330).count(), 1);
}

#[test]
fn a_recovery_code_log_on_trusts_no_device() {
    // A lost phone's log-on must not mint a 30-day pass.
    let site = Site::new(policy());
    let (f, user) = (&site.flows, &String::from("ada"));
    let (_, codes) = site.enroll_with_codes("ada", ALL, T0);

    let (v, _) = ok(mfa::run_blocking(&site.store, user, |a| {
        Verification::start(f, a, Scenario::LogOn, None, AT)
    }));
    let (v, _) = ok(mfa::run_blocking(&site.store, user, |a| {
        v.respond_recovery(f, a, &codes[0], AT)
    }));
    let check = v.verified().unwrap();
    assert!(check.by_recovery_code());
    let ran = site.trust_after("ada", check, AT);
    assert_eq!(ran.result, Err(FlowError::CheckRequired));
    assert!(ran.state.is_none() && ran.effects.is_empty());
    assert_eq!(site.account("ada").trusted_devices(AT).count(), 0);
}

#[test]
fn no_device_is_trusted_for_an_unprotected_scenario() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", &[Scenario::LogOn], T0);
    // A step-up passes at a critical operation, which is not protected.
    let (f, user) = (&site.flows, &String::from("ada"));
    let (v, _) = ok(mfa::run_blocking(&site.store, user, |a| {
        Verification::step_up(f, a, AT)
    }));
    let code = totp.generate(AT).unwrap().to_string();
    let (v, _) = ok(mfa::run_blocking(&site.store, user, |a| {
        v.respond(f, a, &code, AT)
    }));
    assert_eq!(
        site.trust_after("ada", v.verified().unwrap(), AT).result,
        Err(FlowError::NotProtected)
    );
}

#[test]
fn devices_are_revoked_one_by_one_or_all_at_once() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let laptop = site.trust("ada", &totp, Scenario::LogOn, AT);
    let phone = site.trust("ada", &totp, Scenario::LogOn, AT + 30);
    let tablet = site.trust("ada", &totp, Scenario::LogOn, AT + 60);
    let now = AT + 90;

    // One: the laptop, from the list's "revoke" button.
    let id = DeviceId::parse(&laptop.id().to_string()).unwrap();
    let version = site.account("ada").version();
    assert!(revoked(1)(&site.revoke("ada", &id, now)));
    assert_eq!(site.account("ada").version(), version + 1);
    assert!(!site.passes("ada", &laptop, Scenario::LogOn, now));
    assert!(site.passes("ada", &phone, Scenario::LogOn, now));
    // Again: nothing to write, nothing to tell.
    assert!(site.revoke("ada", &id, now).is_empty());
    assert_eq!(site.account("ada").version(), version + 1);

    // All: the two left.
    let (_, effects) = ok(mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.revoke_all_devices(now + 1)
    }));
    assert!(revoked(2)(&effects));
    assert!(!site.passes("ada", &phone, Scenario::LogOn, now + 1));
    assert!(!site.passes("ada", &tablet, Scenario::LogOn, now + 1));
    assert_eq!(site.account("ada").trusted_devices(now + 1).count(), 0);
    let (_, effects) = ok(mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.revoke_all_devices(now + 2)
    }));
    assert!(effects.is_empty());
}

#[test]
fn revoking_ends_a_device_pass_already_given() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let other = site.trust("ada", &totp, Scenario::LogOn, AT + 30);
    let pass = site.start("ada", &token, Scenario::LogOn, AT + 40);
    let authorize = |now| pass.authorize(&site.flows, &site.account("ada"), &Scenario::LogOn, now);
    assert_eq!(authorize(AT + 41), Ok(()));
    // This device revoked, another still remembered: this pass ends.
    site.revoke("ada", token.id(), AT + 42);
    assert_eq!(authorize(AT + 43), Err(FlowError::CheckRequired));
    assert!(site.passes("ada", &other, Scenario::LogOn, AT + 43));
}

#[test]
fn a_device_pass_authorises_for_pass_ttl_only() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let pass = site.start("ada", &token, Scenario::LogOn, AT + 10);
    let authorize = |now| pass.authorize(&site.flows, &site.account("ada"), &Scenario::LogOn, now);
    assert_eq!(authorize(AT + 10 + 299), Ok(()));
    assert_eq!(authorize(AT + 10 + 300), Err(FlowError::CheckRequired));
    assert_eq!(authorize(AT + 9), Err(FlowError::Expired));
}

#[test]
fn replacing_the_factor_forgets_every_device() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let pass = site.start("ada", &token, Scenario::LogOn, AT + 10);

    // A new key for the app (`Enrollment::start_change`).
    let change = site.start_new_key("ada", &totp, AT + 30);
    // Until the new factor is confirmed, the device still counts.
    assert!(site.passes("ada", &token, Scenario::LogOn, AT + 33));
    site.confirm_new_key("ada", change, AT + 34);

    assert_eq!(site.account("ada").trusted_devices(AT + 35).count(), 0);
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT + 35));
    assert_eq!(
        pass.authorize(&site.flows, &site.account("ada"), &Scenario::LogOn, AT + 35),
        Err(FlowError::CheckRequired)
    );
}

#[test]
fn new_recovery_codes_keep_the_devices() {
    // The factor is the same: the devices it trusted stay trusted.
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let check = site.check("ada", &totp, Scenario::CriticalOperation, AT + 30);
    ok(mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.regenerate_recovery_codes(&site.flows, &check, AT + 31)
    }));
    assert!(site.passes("ada", &token, Scenario::LogOn, AT + 32));
}

#[test]
fn protection_off_and_on_again_forgets_every_device() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let check = site.check("ada", &totp, Scenario::CriticalOperation, AT + 30);
    ok(mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.turn_off(&site.flows, &check, AT + 31)
    }));
    assert_eq!(site.account("ada").trusted_devices(AT + 32).count(), 0);
    // Off: log-on passes anyway, by no device.
    let v = site.start("ada", &token, Scenario::LogOn, AT + 32);
    assert!(v.is_done());

    site.enroll("ada", ALL, AT + 60);
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT + 120));
}

#[test]
fn unprotecting_a_scenario_forgets_its_devices() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let (f, user) = (&site.flows, &String::from("ada"));
    let check = site.check("ada", &totp, Scenario::CriticalOperation, AT + 30);
    ok(mfa::run_blocking(&site.store, user, |a| {
        a.set_scenarios(f, &[Scenario::CriticalOperation], &check, AT + 31)
    }));
    assert_eq!(site.account("ada").trusted_devices(AT + 32).count(), 0);
    ok(mfa::run_blocking(&site.store, user, |a| {
        a.set_scenarios(f, ALL, &check, AT + 32)
    }));
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT + 33));
}

#[test]
#[cfg(feature = "serde")]
fn the_server_keeps_only_a_keyed_hash_of_the_token() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let cookie = token.to_cookie_value();
    let (id, secret) = cookie.split_once('.').unwrap();
    let account = site.account("ada");
    let stored = serde_json::to_string(&account).unwrap();
    assert!(stored.contains(id), "the device id is public");
    assert!(!stored.contains(secret));
    let shown = format!("{account:?}{token:?}");
    assert!(!shown.contains(secret));
    assert!(format!("{token:?}").contains(id));

    // The record reads back, and the token still passes.
    let back: Protection<TotpRecord> = serde_json::from_str(&stored).unwrap();
    assert_eq!(back, account);
}

#[test]
#[cfg(feature = "serde")]
fn a_stored_list_is_checked_when_read() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    site.trust("ada", &totp, Scenario::LogOn, AT);
    let mut value = serde_json::to_value(site.account("ada")).unwrap();
    let device = value["trusted"][0].clone();
    // The same device twice.
    value["trusted"] = serde_json::json!([device.clone(), device.clone()]);
    assert!(serde_json::from_value::<Protection<TotpRecord>>(value.clone()).is_err());
    // Eleven devices.
    let eleven: Vec<_> = (0..11u8)
        .map(|i| {
            let mut d = device.clone();
            let id = format!("{}{}A", "A".repeat(20), char::from(b'A' + i));
            d["id"] = serde_json::to_value(DeviceId::parse(&id).unwrap()).unwrap();
            d
        })
        .collect();
    value["trusted"] = serde_json::json!(eleven[..10]);
    assert!(serde_json::from_value::<Protection<TotpRecord>>(value.clone()).is_ok());
    value["trusted"] = serde_json::json!(eleven);
    assert!(serde_json::from_value::<Protection<TotpRecord>>(value.clone()).is_err());
    value.as_object_mut().unwrap().remove("trusted");
    assert!(serde_json::from_value::<Protection<TotpRecord>>(value).is_err());
}

#[test]
#[cfg(feature = "serde")]
fn an_edited_device_pass_is_refused() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let other = site.trust("ada", &totp, Scenario::LogOn, AT + 30);
    let pass = site.start("ada", &token, Scenario::LogOn, AT + 31);
    let mut value = serde_json::to_value(&pass).unwrap();
    value["stage"]["Trusted"]["device"] = serde_json::to_value(other.id()).unwrap();
    let edited: Verification = serde_json::from_value(value).unwrap();
    assert_eq!(
        edited.authorize(&site.flows, &site.account("ada"), &Scenario::LogOn, AT + 32),
        Err(FlowError::Tampered)
    );
}

#[test]
fn cookie_values_are_parsed_with_a_typed_error() {
    let good = "AAECAwQFBgcICQoLDA0ODw.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    assert_eq!(good.len(), DeviceToken::COOKIE_LEN);
    let token = DeviceToken::parse(good).unwrap();
    assert_eq!(token.to_cookie_value().as_str(), good);
    let (id, secret) = good.split_once('.').unwrap();
    let cases: Vec<(String, DeviceTokenError)> = vec![
        (String::new(), DeviceTokenError::Format),
        (id.to_owned(), DeviceTokenError::Format),
        (
            format!("{id}.{secret}.x"),
            DeviceTokenError::Length {
                part: "secret",
                len: 45,
                expected: 43,
            },
        ),
        (
            format!("{id}x.{secret}"),
            DeviceTokenError::Length {
                part: "device id",
                len: 23,
                expected: 22,
            },
        ),
        (
            format!("{}!.{secret}", &id[..21]),
            DeviceTokenError::Encoding { part: "device id" },
        ),
        (
            format!("{id}.{}=", &secret[..42]),
            DeviceTokenError::Encoding { part: "secret" },
        ),
        (
            // Non-zero padding bits in the last character.
            format!("{}x.{secret}", &id[..21]),
            DeviceTokenError::Encoding { part: "device id" },
        ),
        (
            format!("{id}.{}é", &secret[..41]),
            DeviceTokenError::Encoding { part: "secret" },
        ),
    ];
    for (input, error) in cases {
        assert_eq!(DeviceToken::parse(&input).err(), Some(error), "{input:?}");
        assert!(!error.to_string().contains(secret));
    }
}

#[test]
fn the_notices_name_no_device_and_no_person() {
    assert_eq!(
        Event::DeviceTrusted.to_string(),
        "a device was remembered: it will not be asked for the second factor for a while"
    );
    assert_eq!(
        Event::DevicesRevoked { count: 2 }.to_string(),
        "2 remembered device(s) will be asked for the second factor again"
    );
}

#[test]
fn adding_a_factor_forgets_every_device() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let pass = site.start("ada", &token, Scenario::LogOn, AT + 10);

    // A second app (`Enrollment::start_add`), confirmed at AT + 33.
    site.add_app("ada", &totp, AT + 30);
    assert_eq!(site.account("ada").factors().len(), 2);
    assert_eq!(site.account("ada").trusted_devices(AT + 34).count(), 0);
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT + 34));
    assert_eq!(
        pass.authorize(&site.flows, &site.account("ada"), &Scenario::LogOn, AT + 34),
        Err(FlowError::CheckRequired)
    );
    // A device trusted after the addition passes.
    let again = site.trust("ada", &totp, Scenario::LogOn, AT + 60);
    assert!(site.passes("ada", &again, Scenario::LogOn, AT + 61));
}

#[test]
fn an_addition_not_confirmed_keeps_the_devices() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let (f, store, user) = (&site.flows, &site.store, &String::from("ada"));
    let check = site.check("ada", &totp, Scenario::CriticalOperation, AT + 30);
    let name = FactorName::new("Tablet").unwrap();
    let (e, _) = ok(mfa::run_blocking(store, user, |a| {
        Enrollment::start_add(f, a, &check, &name, AT + 31)
    }));
    ok(mfa::run_blocking(store, user, |a| {
        e.setup(f, a, user, AT + 32)
    }));
    // Waiting for the new app's first code: nothing changed yet.
    assert!(site.passes("ada", &token, Scenario::LogOn, AT + 33));
}

#[test]
fn removing_a_factor_forgets_every_device() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let (tablet_id, tablet) = site.add_app("ada", &totp, AT);
    let ids: Vec<FactorId> = site
        .account("ada")
        .factors()
        .iter()
        .map(|f| *f.id())
        .collect();
    assert_eq!(ids[1], tablet_id);
    let first = ids[0];

    // One device trusted by a check with the first app, one with the
    // tablet, picked at log-on (`Verification::choose`).
    let now = AT + 60;
    let laptop = site.trust("ada", &totp, Scenario::LogOn, now);
    let (f, store, user) = (&site.flows, &site.store, &String::from("ada"));
    let (v, _) = ok(mfa::run_blocking(store, user, |a| {
        Verification::start(f, a, Scenario::LogOn, None, now)
    }));
    assert_eq!(v.factor(), Some(&first));
    let (v, _) = ok(mfa::run_blocking(store, user, |a| {
        v.choose(f, a, &tablet_id, now)
    }));
    let code = tablet.generate(now).unwrap().to_string();
    let (v, _) = ok(mfa::run_blocking(store, user, |a| {
        v.respond(f, a, &code, now)
    }));
    let phone = site.trust_checked("ada", v.verified().unwrap(), now);
    assert!(site.passes("ada", &laptop, Scenario::LogOn, now + 1));
    assert!(site.passes("ada", &phone, Scenario::LogOn, now + 1));

    // Removing the tablet forgets both, whichever factor trusted them.
    let check = site.check("ada", &totp, Scenario::CriticalOperation, now + 30);
    ok(mfa::run_blocking(store, user, |a| {
        a.remove_factor(f, &tablet_id, &check, now + 31)
    }));
    assert_eq!(site.account("ada").factors().len(), 1);
    assert_eq!(site.account("ada").trusted_devices(now + 32).count(), 0);
    assert!(!site.passes("ada", &laptop, Scenario::LogOn, now + 32));
    assert!(!site.passes("ada", &phone, Scenario::LogOn, now + 32));
}

#[test]
fn renaming_a_factor_keeps_the_devices() {
    // A rename changes no secret: the devices stay remembered.
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let check = site.check("ada", &totp, Scenario::CriticalOperation, AT + 30);
    let first = *site.account("ada").factors()[0].id();
    let name = FactorName::new("Phone").unwrap();
    ok(mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.rename_factor(&site.flows, &first, &name, &check, AT + 31)
    }));
    assert!(site.passes("ada", &token, Scenario::LogOn, AT + 32));
}

#[test]
fn an_admin_reset_forgets_every_device() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let token = site.trust("ada", &totp, Scenario::LogOn, AT);
    let pass = site.start("ada", &token, Scenario::LogOn, AT + 10);
    let admin = AdminId::new("staff-17").unwrap();
    let reason = Reason::new("ticket 4711: lost phone").unwrap();
    ok(mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.admin_reset(&site.flows, &admin, &reason, AT + 30)
    }));
    assert_eq!(site.account("ada").trusted_devices(AT + 31).count(), 0);
    // Off: log-on passes anyway, by no device.
    let v = site.start("ada", &token, Scenario::LogOn, AT + 31);
    assert!(v.is_done() && v.verified().is_none());

    // Turned on again: the old token is challenged, the old pass void.
    site.enroll("ada", ALL, AT + 60);
    assert!(!site.passes("ada", &token, Scenario::LogOn, AT + 120));
    assert_eq!(
        pass.authorize(
            &site.flows,
            &site.account("ada"),
            &Scenario::LogOn,
            AT + 120
        ),
        Err(FlowError::CheckRequired)
    );
}

#[test]
fn a_refused_token_is_challenged_with_the_first_factor() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let (tablet_id, _) = site.add_app("ada", &totp, AT);
    let first = *site.account("ada").factors()[0].id();
    let now = AT + 60;
    let token = site.trust("ada", &totp, Scenario::LogOn, now);
    let (f, user) = (&site.flows, &String::from("ada"));

    // A device pass challenges no factor, and none can be picked.
    let pass = site.start("ada", &token, Scenario::LogOn, now + 1);
    assert!(pass.is_done());
    assert_eq!(pass.factor(), None);
    let ran = mfa::run_blocking(&site.store, user, |a| {
        pass.choose(f, a, &tablet_id, now + 1)
    });
    assert!(matches!(ran.result, Err(FlowError::WrongState { .. })));

    // Revoked, the token is challenged as `start` would: the first factor,
    // and the user may pick the other.
    site.revoke("ada", token.id(), now + 2);
    let v = site.start("ada", &token, Scenario::LogOn, now + 3);
    assert!(!v.is_done());
    assert_eq!(v.factor(), Some(&first));
    let (v, _) = ok(mfa::run_blocking(&site.store, user, |a| {
        v.choose(f, a, &tablet_id, now + 3)
    }));
    assert_eq!(v.factor(), Some(&tablet_id));
}

/// A stolen or stale cookie being tried shows in the security log: a
/// token that does not pass (revoked, expired, another account's, forged,
/// made before a factor change, for another scenario) is audited with the
/// id it names, and answered exactly as a plain challenge. A token that
/// passes, or one offered where no check is made, is not audited.
#[test]
fn a_refused_token_is_audited_and_answered_as_a_plain_challenge() {
    let site = Site::new(policy());
    let ada = site.enroll("ada", ALL, T0);
    let bob = site.enroll("bob", ALL, T0);
    let adas = site.trust("ada", &ada, Scenario::LogOn, AT);
    let bobs = site.trust("bob", &bob, Scenario::LogOn, AT);
    let refused = |token: &DeviceToken| Audit::DeviceRefused {
        device: *token.id(),
    };
    let now = AT + 60;

    // Another account's token, and a forged one (Ada's id, Bob's secret).
    let forged = format!(
        "{}.{}",
        adas.id(),
        bobs.to_cookie_value().split_once('.').unwrap().1
    );
    let forged = DeviceToken::parse(&forged).unwrap();
    assert_eq!(
        site.refused("ada", &bobs, &Scenario::LogOn, now),
        refused(&bobs)
    );
    assert_eq!(
        site.refused("ada", &forged, &Scenario::LogOn, now),
        refused(&adas)
    );
    // Another scenario than the one it was trusted for.
    let critical = Scenario::CriticalOperation;
    assert_eq!(site.refused("ada", &adas, &critical, now), refused(&adas));
    // Expired.
    let later = AT + 30 * DAY;
    assert_eq!(
        site.refused("ada", &adas, &Scenario::LogOn, later),
        refused(&adas)
    );

    // Its own token passes, audited as a pass.
    assert!(site.passes("ada", &adas, Scenario::LogOn, now));
    let ran = mfa::run_blocking(&site.store, &String::from("ada"), |a| {
        Verification::start_trusted(&site.flows, a, Scenario::LogOn, Some(&adas), None, now)
    });
    assert_eq!(
        ran.audit().cloned().collect::<Vec<_>>(),
        [Audit::DevicePassed { device: *adas.id() }]
    );

    // Revoked.
    site.revoke("ada", adas.id(), now + 1);
    assert_eq!(
        site.refused("ada", &adas, &Scenario::LogOn, now + 2),
        refused(&adas)
    );
    // Made before a factor change.
    let bobs_next = site.trust("bob", &bob, Scenario::LogOn, now);
    site.add_app("bob", &bob, now + 30);
    assert_eq!(
        site.refused("bob", &bobs_next, &Scenario::LogOn, now + 60),
        refused(&bobs_next)
    );

    // Offered where no check is made (the scenario not protected): no
    // audit, as with no token.
    site.enroll("carol", &[Scenario::CriticalOperation], T0);
    let (v, effects) = ok(mfa::run_blocking(
        &site.store,
        &String::from("carol"),
        |a| Verification::start_trusted(&site.flows, a, Scenario::LogOn, Some(&bobs), None, now),
    ));
    assert!(v.is_done() && effects.is_empty());
    assert_eq!(
        refused(&bobs).to_string(),
        format!("device {} refused; challenged instead", bobs.id())
    );
}

#[test]
fn trusting_and_revoking_are_audited_without_the_token() {
    let site = Site::new(policy());
    let totp = site.enroll("ada", ALL, T0);
    let check = site.check("ada", &totp, Scenario::LogOn, AT);
    let ran = site.trust_after("ada", &check, AT);
    let token = ran.state.as_ref().unwrap();
    let audit: Vec<Audit> = ran.audit().cloned().collect();
    assert_eq!(
        audit,
        [Audit::DeviceTrusted {
            device: *token.id()
        }]
    );
    let cookie = token.to_cookie_value();
    let (id, secret) = cookie.split_once('.').unwrap();
    let log = format!("{} {:?}", audit[0], audit[0]);
    assert!(log.contains(id), "the device's public id: {log}");
    assert!(!log.contains(secret), "never its secret: {log}");
    for personal in ["ada@example.com", "ada"] {
        assert!(!log.contains(personal), "{personal} in {log}");
    }
    let ran = mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        a.revoke_all_devices(AT + 1)
    });
    assert_eq!(
        ran.audit().cloned().collect::<Vec<_>>(),
        [Audit::DevicesRevoked { count: 1 }]
    );
    assert_eq!(
        Audit::DevicesRevoked { count: 1 }.to_string(),
        "1 remembered device(s) revoked"
    );
    // A device pass changes nothing, so it writes nothing; it is audited
    // with the device's id only, so that a host can keep its last use and a
    // copied cookie in use shows in the log.
    let token = site.trust("ada", &totp, Scenario::LogOn, AT + 30);
    let before = site.account("ada");
    let ran = mfa::run_blocking(&site.store, &"ada".to_owned(), |a| {
        Verification::start_trusted(&site.flows, a, Scenario::LogOn, Some(&token), None, AT + 31)
    });
    let passed = Audit::DevicePassed {
        device: *token.id(),
    };
    assert_eq!(ran.audit().collect::<Vec<_>>(), [&passed]);
    assert_eq!(
        passed.to_string(),
        format!("device {} passed without a code", token.id())
    );
    assert!(ran.state.is_some_and(|v| v.is_done()));
    assert_eq!(site.account("ada"), before);
}
