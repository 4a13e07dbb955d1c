//! SMS send budgets across accounts: per destination number (10 texts an
//! hour, 20 a day by default; phone-binding texts in a budget of their
//! own) and per prefix (the host's hook), spent by
//! `spend_budgets_blocking` on the deliveries of runs, with a simulated
//! clock. Each limit at its boundary: the last text that fits passes, the
//! next is refused until the window ends, and the window rolls over at
//! exactly its end.
#![cfg(feature = "std")]
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod flows_common;

use flows_common::{ALL, Host, T0, email, enroll_sms, policy};
use mfa::{
    BudgetId, BudgetLimits, Destination, Effect, Enrollment, FlowError, Flows, MemoryStore,
    OobDelivery, OobError, OobKey, OobPolicy, OobRecord, PhoneNumber, Protection, Scenario,
    SendBudget, SmsBudgets, SmsFactor, SmsRecord, Store, Verification,
};

type Accounts = MemoryStore<String, Protection<SmsRecord>>;
type Budgets = MemoryStore<String, SendBudget>;

fn key() -> OobKey {
    OobKey::from_bytes(&[0x42; 32]).unwrap()
}

fn number(text: &str) -> PhoneNumber {
    PhoneNumber::parse(text).unwrap()
}

/// A delivery of a fresh account's code to `to` at `now`.
fn delivery(to: &Destination, now: u64) -> OobDelivery {
    let (_, delivery) = OobRecord::new()
        .issue(&OobPolicy::default(), &key(), to, now)
        .into_parts();
    delivery.unwrap()
}

/// A text of a fresh account's code to the number `to` at `now`.
fn text(to: &str, now: u64) -> OobDelivery {
    delivery(&Destination::sms(to).unwrap(), now)
}

/// Spends the budgets of one text at `now`.
fn spend(
    store: &Budgets,
    budgets: &SmsBudgets<impl mfa::PrefixBudget>,
    to: &str,
    now: u64,
) -> Result<(), FlowError> {
    let delivery = text(to, now);
    let spent = mfa::spend_budgets_blocking(store, budgets, [&delivery], now);
    assert_eq!(spent.len(), 1);
    spent.into_iter().next().unwrap().1
}

fn limit(retry_at: u64, now: u64) -> Result<(), FlowError> {
    Err(FlowError::Code(OobError::SendLimit {
        retry_at,
        retry_after: retry_at - now,
    }))
}

/// Accounts of strangers that bind `phone` as their SMS factor, each
/// step on the runner, and spend the budgets of its texts.
struct Binders {
    flows: Flows<SmsFactor>,
    accounts: Accounts,
    store: Budgets,
    budgets: SmsBudgets,
    phone: PhoneNumber,
}

impl Binders {
    fn new() -> Self {
        Self {
            flows: Flows::new(
                SmsFactor::new(key(), OobPolicy::default()).unwrap(),
                key(),
                policy(),
            )
            .unwrap(),
            accounts: Accounts::new(),
            store: Budgets::new(),
            budgets: SmsBudgets::new(key()),
            phone: number("+1 415 555 2671"),
        }
    }

    /// Account `id` binds the phone at `at`: the identity code by e-mail,
    /// then the binding text, whose budgets it spends.
    fn bind(&self, id: &str, at: u64) -> Result<(), FlowError> {
        let (flows, accounts, store, budgets) =
            (&self.flows, &self.accounts, &self.store, &self.budgets);
        let id = id.to_owned();
        let ran = mfa::run_blocking(accounts, &id, |a| {
            Enrollment::start(flows, a, ALL, &[email()], &email(), at)
        });
        // An e-mail spends no text budget.
        assert!(
            mfa::spend_budgets_blocking(store, budgets, ran.deliveries(), at)
                .iter()
                .all(|(_, ok)| ok.is_ok())
        );
        let code = ran.deliveries().next().unwrap().code().expose().to_owned();
        let e = ran.state.unwrap();
        let ran = mfa::run_blocking(accounts, &id, |a| e.verify_identity(flows, a, &code, at));
        let e = ran.state.unwrap();
        let ran = mfa::run_blocking(accounts, &id, |a| e.setup(flows, a, &self.phone, at));
        ran.result.clone().unwrap();
        assert!(ran.deliveries().all(OobDelivery::is_binding));
        let mut spent = mfa::spend_budgets_blocking(store, budgets, ran.deliveries(), at);
        assert_eq!(spent.len(), 1);
        spent.remove(0).1
    }
}

/// Eleven accounts bind the same phone through the flows, each on the
/// runner, within a minute: the number's binding budget lets 10 binding
/// texts go, refuses the 11th until the hour that opened with the first
/// ends (still at its last second), and lets it go at that end exactly.
#[test]
fn the_11th_text_to_a_number_from_another_account_waits_for_the_hour() {
    let binders = Binders::new();
    let (key, store, phone) = (key(), &binders.store, &binders.phone);
    let bind = |id: &str, at: u64| binders.bind(id, at);
    for k in 0..10 {
        assert_eq!(
            bind(&format!("account-{k}"), T0 + k),
            Ok(()),
            "text {}",
            k + 1
        );
    }
    let eleventh = bind("account-10", T0 + 10);
    assert_eq!(eleventh, limit(T0 + 3_600, T0 + 10), "the 11th");
    let e = eleventh.unwrap_err();
    assert_eq!((e.retry_after(), e.status()), (Some(3_590), 429));
    assert_eq!(
        e.for_user().to_string(),
        "Too many codes were sent lately. A new one can be sent in 60 min."
    );
    // Refused at the hour's last second; sent at its end exactly.
    assert_eq!(
        bind("account-11", T0 + 3_599),
        limit(T0 + 3_600, T0 + 3_599)
    );
    assert_eq!(bind("account-12", T0 + 3_600), Ok(()));
    // The budget is stored under the keyed id, never the number; the
    // number's own budget (the owner's texts) is untouched.
    let id = BudgetId::binding(&key, phone);
    let stored = Store::load(store, &id.to_string()).unwrap().unwrap();
    assert_eq!(stored.spent(T0 + 3_600), (1, 11));
    assert!(!id.as_str().contains("4155552671"));
    let own = BudgetId::number(&key, phone).to_string();
    assert_eq!(Store::load(store, &own).unwrap(), None);
}

/// Strangers' accounts that bind the owner's number (which they need not
/// own) until its budget refuses them, an hour after hour all day, do
/// not stop the owner's log-on texts: binding texts spend a budget of
/// their own.
#[test]
fn strangers_binding_a_number_do_not_spend_its_owners_texts() {
    let binders = Binders::new();
    let flows = &binders.flows;
    let mut owner: Host<SmsRecord> = Host::new();
    enroll_sms(&mut owner, flows, T0);
    let mut stranger = 0;
    for hour in 0..3 {
        let at = T0 + 100 + hour * 3_600;
        let mut refused = None;
        while refused.is_none() {
            stranger += 1;
            refused = binders.bind(&format!("stranger-{stranger}"), at).err();
        }
        assert!(matches!(
            refused,
            Some(FlowError::Code(OobError::SendLimit { .. }))
        ));
        // The owner logs on: the challenge's text is still admitted.
        let check = owner.begin(Verification::start(
            flows,
            &owner.account,
            Scenario::LogOn,
            None,
            at,
        ));
        let (_, persist, effects, result) = check.send_code(flows, &owner.account, at).into_parts();
        result.unwrap();
        let deliveries: Vec<OobDelivery> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::Deliver(d) => Some(d.clone()),
                _ => None,
            })
            .collect();
        assert_eq!(deliveries.len(), 1);
        assert!(!deliveries[0].is_binding());
        let spent = mfa::spend_budgets_blocking(&binders.store, &binders.budgets, &deliveries, at);
        assert_eq!(spent[0].1, Ok(()), "the owner's text, hour {hour}");
        owner.apply(persist, effects);
    }
    // 10 bound in each of the first two hours, then the day's cap of 20.
    assert_eq!(stranger, 10 + 1 + 10 + 1 + 1);
}

/// 20 texts a day: the 20th passes (two full hours), the 21st waits for
/// the day that opened with the first text, at its last second too, and
/// goes at its end.
#[test]
fn the_21st_text_to_a_number_in_a_day_waits_for_the_day() {
    let (store, budgets) = (Budgets::new(), SmsBudgets::new(key()));
    let to = "+14155552671";
    for k in 0..10 {
        assert_eq!(spend(&store, &budgets, to, T0 + k), Ok(()), "{k}");
    }
    assert_eq!(
        spend(&store, &budgets, to, T0 + 3_599),
        limit(T0 + 3_600, T0 + 3_599)
    );
    for k in 0..10 {
        assert_eq!(
            spend(&store, &budgets, to, T0 + 3_600 + k),
            Ok(()),
            "{}",
            11 + k
        );
    }
    let day_end = T0 + 86_400;
    for now in [T0 + 7_200, day_end - 1] {
        assert_eq!(
            spend(&store, &budgets, to, now),
            limit(day_end, now),
            "{now}"
        );
    }
    assert_eq!(spend(&store, &budgets, to, day_end), Ok(()));
    // Another number has a budget of its own.
    assert_eq!(spend(&store, &budgets, "+14155550000", T0 + 7_200), Ok(()));
}

/// The host's prefix hook: three texts an hour to +882 numbers, across
/// numbers; other numbers only have their own budgets.
#[test]
fn a_prefix_budget_holds_across_numbers() {
    let store = Budgets::new();
    let budgets = SmsBudgets::new(key()).with_prefixes(|phone: &PhoneNumber| {
        phone.as_str().starts_with("+882").then_some((
            "+882",
            BudgetLimits::PER_NUMBER.with_per_hour(3).with_per_day(5),
        ))
    });
    for k in 0..3 {
        let to = format!("+88212345670{k}");
        assert_eq!(spend(&store, &budgets, &to, T0 + k), Ok(()), "{to}");
    }
    assert_eq!(
        spend(&store, &budgets, "+882123456709", T0 + 10),
        limit(T0 + 3_600, T0 + 10)
    );
    assert_eq!(spend(&store, &budgets, "+14155552671", T0 + 10), Ok(()));
    assert_eq!(spend(&store, &budgets, "+882123456709", T0 + 3_600), Ok(()));
    let prefix = Store::load(&store, &BudgetId::prefix("+882").to_string())
        .unwrap()
        .unwrap();
    assert_eq!(prefix.spent(T0 + 3_600), (1, 4));
    // A limit of 0 refuses every text to the prefix.
    let blocked = SmsBudgets::new(key()).with_prefixes(|phone: &PhoneNumber| {
        phone
            .as_str()
            .starts_with("+882")
            .then_some(("+882-blocked", BudgetLimits::PER_NUMBER.with_per_hour(0)))
    });
    assert!(spend(&Budgets::new(), &blocked, "+882123456700", T0).is_err());
}

/// A run that delivers to both channels: the e-mail passes, the text
/// spends; the results come back in order, one per delivery.
#[test]
fn each_delivery_gets_its_own_answer() {
    let store = Budgets::new();
    let budgets = SmsBudgets::new(key()).with_per_number(BudgetLimits::PER_NUMBER.with_per_hour(1));
    let mail = delivery(&email(), T0);
    let (first, second) = (text("+14155552671", T0), text("+14155552671", T0));
    let spent = mfa::spend_budgets_blocking(&store, &budgets, [&mail, &first, &second], T0);
    let results: Vec<_> = spent
        .iter()
        .map(|(d, r)| (d.channel(), r.clone()))
        .collect();
    assert_eq!(
        results,
        [
            (mfa::Channel::Email, Ok(())),
            (mfa::Channel::Sms, Ok(())),
            (mfa::Channel::Sms, limit(T0 + 3_600, T0)),
        ]
    );
}

/// `Ran::spend_budgets_blocking` keeps what the budgets allow: the e-mail
/// and the first text stay, the refused text leaves the effects, the
/// other effects stay in order, and the refusal becomes the result; a
/// result that already is an error stays that error.
#[test]
fn a_run_keeps_the_deliveries_its_budgets_allow() {
    let store = Budgets::new();
    let budgets = SmsBudgets::new(key()).with_per_number(BudgetLimits::PER_NUMBER.with_per_hour(1));
    let mail = delivery(&email(), T0);
    let ran = |result| mfa::Ran::<()> {
        state: None,
        effects: vec![
            Effect::Deliver(mail.clone()),
            Effect::Deliver(text("+14155552671", T0)),
            Effect::EndOtherSessions,
            Effect::Deliver(text("+14155552671", T0)),
        ],
        result,
    };
    let mut first = ran(Ok(()));
    first.spend_budgets_blocking(&store, &budgets, T0);
    assert_eq!(first.result, limit(T0 + 3_600, T0));
    let channels: Vec<_> = first.deliveries().map(OobDelivery::channel).collect();
    assert_eq!(channels, [mfa::Channel::Email, mfa::Channel::Sms]);
    assert!(first.ends_other_sessions());
    assert_eq!(first.effects.len(), 3);

    let mut failed = ran(Err(FlowError::Rejected));
    failed.spend_budgets_blocking(&store, &budgets, T0);
    assert_eq!(failed.result, Err(FlowError::Rejected));
    assert_eq!(failed.deliveries().count(), 1, "only the e-mail is left");
}
