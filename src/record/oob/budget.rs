//! Budgets of texts per destination number and per number prefix, across
//! accounts: what the per-account caps of [`OobRecord`](super::OobRecord)
//! cannot see. SMS pumping (toll fraud) sends texts to premium numbers
//! from many accounts, each within its own caps.

use alloc::string::String;
use core::borrow::Borrow;
use core::fmt;

use super::OobError;
use super::destination::PhoneNumber;
use super::key::OobKey;
use crate::record::attempt::Attempt;
use crate::record::store::Versioned;

/// How many texts one budget allows: per hour and per day, each a fixed
/// window that opens with its first send and ends exactly
/// [`HOUR`](Self::HOUR) or [`DAY`](Self::DAY) seconds later.
///
/// | budget | default | why |
/// |---|---|---|
/// | [`PER_NUMBER`](Self::PER_NUMBER) | 10 an hour, 20 a day | one person's phone: two accounts' worth of the per-account caps (5 an hour, 10 a day) |
/// | a prefix | none: the host sets them | a country or a premium range; its traffic is the host's to know |
///
/// A limit of 0 refuses every text (a prefix the host never sends to).
///
/// ```
/// use mfa::BudgetLimits;
///
/// let number = BudgetLimits::PER_NUMBER;
/// assert_eq!((number.per_hour(), number.per_day()), (10, 20));
/// let premium = BudgetLimits::PER_NUMBER.with_per_hour(50).with_per_day(200);
/// assert_eq!((premium.per_hour(), premium.per_day()), (50, 200));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct BudgetLimits {
    per_hour: u32,
    per_day: u32,
}

impl Default for BudgetLimits {
    fn default() -> Self {
        Self::PER_NUMBER
    }
}

impl BudgetLimits {
    /// The default budget of one destination number: 10 texts an hour, 20
    /// a day.
    pub const PER_NUMBER: Self = Self {
        per_hour: 10,
        per_day: 20,
    };
    /// The length of the hourly window, in seconds.
    pub const HOUR: u64 = 3_600;
    /// The length of the daily window, in seconds.
    pub const DAY: u64 = 86_400;

    /// These limits with `texts` an hour.
    ///
    /// ```
    /// assert_eq!(mfa::BudgetLimits::PER_NUMBER.with_per_hour(3).per_hour(), 3);
    /// ```
    #[must_use]
    pub const fn with_per_hour(mut self, texts: u32) -> Self {
        self.per_hour = texts;
        self
    }

    /// These limits with `texts` a day.
    ///
    /// ```
    /// assert_eq!(mfa::BudgetLimits::PER_NUMBER.with_per_day(5).per_day(), 5);
    /// ```
    #[must_use]
    pub const fn with_per_day(mut self, texts: u32) -> Self {
        self.per_day = texts;
        self
    }

    /// Texts allowed in an hourly window.
    ///
    /// ```
    /// assert_eq!(mfa::BudgetLimits::default().per_hour(), 10);
    /// ```
    #[must_use]
    pub const fn per_hour(&self) -> u32 {
        self.per_hour
    }

    /// Texts allowed in a daily window.
    ///
    /// ```
    /// assert_eq!(mfa::BudgetLimits::default().per_day(), 20);
    /// ```
    #[must_use]
    pub const fn per_day(&self) -> u32 {
        self.per_day
    }
}

/// The texts spent from one budget (a destination number's, or a
/// prefix's), shared by every account: plain data the host stores under a
/// [`BudgetId`], written with compare-and-set like any record (see
/// [`Store`](crate::Store)), so that two service instances sending at once
/// count both texts.
///
/// [`spend`](Self::spend) is a pure function of (record, limits, now).
///
/// ```
/// use mfa::{BudgetLimits, OobError, SendBudget};
///
/// let limits = BudgetLimits::PER_NUMBER.with_per_hour(2);
/// let now = 1_700_000_000;
/// let (budget, ok) = SendBudget::new().spend(&limits, now).into_parts();
/// assert_eq!(ok, Ok(()));
/// let budget = budget.ok_or(OobError::Rejected)?; // write it, then send the text
/// let (budget, ok) = budget.spend(&limits, now + 10).into_parts();
/// let budget = budget.ok_or(OobError::Rejected)?;
/// // The third text of the hour waits for the window that opened at `now` to end.
/// let (unchanged, refused) = budget.spend(&limits, now + 20).into_parts();
/// assert!(unchanged.is_none());
/// assert_eq!(refused, Err(OobError::SendLimit { retry_at: now + 3_600, retry_after: 3_580 }));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct SendBudget {
    version: u64,
    hour_start: u64,
    hour_sends: u32,
    day_start: u64,
    day_sends: u32,
}

/// A fixed window at `now`: its start and its sends so far (a new window
/// if none is open).
const fn window(start: u64, sends: u32, length: u64, now: u64) -> (u64, u32) {
    if sends == 0 || now >= start.saturating_add(length) {
        (now, 0)
    } else {
        (start, sends)
    }
}

impl SendBudget {
    /// A budget with nothing spent, at version 0.
    ///
    /// ```
    /// assert_eq!(mfa::SendBudget::new().version(), 0);
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The version: 0 for a new record, one more after each spend.
    ///
    /// ```
    /// let (budget, _) = mfa::SendBudget::new().spend(&mfa::BudgetLimits::PER_NUMBER, 0).into_parts();
    /// assert_eq!(budget.map(|b| b.version()), Some(1));
    /// ```
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The texts spent at `now` in the hourly and the daily window.
    ///
    /// ```
    /// use mfa::{BudgetLimits, SendBudget};
    ///
    /// let (budget, _) = SendBudget::new().spend(&BudgetLimits::PER_NUMBER, 1_000).into_parts();
    /// let budget = budget.unwrap_or_default();
    /// assert_eq!(budget.spent(1_000 + 3_599), (1, 1));
    /// assert_eq!(budget.spent(1_000 + 3_600), (0, 1)); // the hour is over
    /// assert_eq!(budget.spent(1_000 + 86_400), (0, 0));
    /// ```
    #[must_use]
    pub const fn spent(&self, now: u64) -> (u32, u32) {
        (
            window(self.hour_start, self.hour_sends, BudgetLimits::HOUR, now).1,
            window(self.day_start, self.day_sends, BudgetLimits::DAY, now).1,
        )
    }

    /// Spends one text at `now`: the new record (write it with
    /// compare-and-set, then send), or, when the hourly or the daily
    /// window is full, [`OobError::SendLimit`] with the end of the window
    /// that holds it back, and the record unchanged (`None`).
    ///
    /// # Errors
    ///
    /// In the outcome: [`OobError::SendLimit`].
    ///
    /// ```
    /// use mfa::{BudgetLimits, OobError, SendBudget};
    ///
    /// let limits = BudgetLimits::PER_NUMBER; // 10 an hour, 20 a day
    /// let mut budget = SendBudget::new();
    /// for k in 0..10 {
    ///     budget = budget.spend(&limits, 1_000 + k).into_parts().0.ok_or(OobError::Rejected)?;
    /// }
    /// let (_, eleventh) = budget.spend(&limits, 1_010).into_parts();
    /// assert_eq!(eleventh.map_err(|e| e.to_string()), Err("too many codes were sent lately; a new one can be sent in 60 min".into()));
    /// assert_eq!(budget.spend(&limits, 4_600).into_parts().1, Ok(())); // the hour is over
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn spend(&self, limits: &BudgetLimits, now: u64) -> Attempt<Self, (), OobError> {
        let (hour_start, hour_sends) =
            window(self.hour_start, self.hour_sends, BudgetLimits::HOUR, now);
        let (day_start, day_sends) = window(self.day_start, self.day_sends, BudgetLimits::DAY, now);
        let mut retry_at = 0;
        if hour_sends >= limits.per_hour {
            retry_at = hour_start.saturating_add(BudgetLimits::HOUR);
        }
        if day_sends >= limits.per_day {
            retry_at = retry_at.max(day_start.saturating_add(BudgetLimits::DAY));
        }
        if retry_at > 0 {
            return Attempt::new(
                None,
                Err(OobError::SendLimit {
                    retry_at,
                    retry_after: retry_at.saturating_sub(now),
                }),
            );
        }
        let spent = Self {
            version: self.version.wrapping_add(1),
            hour_start,
            hour_sends: hour_sends.saturating_add(1),
            day_start,
            day_sends: day_sends.saturating_add(1),
        };
        Attempt::new(Some(spent), Ok(()))
    }
}

impl Versioned for SendBudget {
    fn version(&self) -> u64 {
        self.version
    }
}

/// The id a budget is stored under: for a number, a keyed hash of it (no
/// phone number is stored as a key in clear); for a prefix, the prefix.
/// Ids of numbers start with `sms-number/`, ids of numbers' binding
/// budgets with `sms-binding/`, ids of prefixes with `sms-prefix/`, so
/// none meet.
///
/// ```
/// use mfa::{BudgetId, OobKey, PhoneNumber};
///
/// let key = OobKey::generate()?; // the service's `OobKey`
/// let phone = PhoneNumber::parse("+44 20 7946 0958")?;
/// let id = BudgetId::number(&key, &phone);
/// assert!(id.as_str().starts_with("sms-number/"));
/// assert!(!id.as_str().contains("2079460958"));
/// assert_eq!(id, BudgetId::number(&key, &PhoneNumber::parse("+442079460958")?));
/// assert_eq!(BudgetId::prefix("+44").as_str(), "sms-prefix/+44");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct BudgetId(String);

impl BudgetId {
    /// The id of `phone`'s budget: `sms-number/` and 32 hex digits of
    /// HMAC-SHA256 under `key`, in a domain of its own. The same number
    /// always gets the same id under the same key; without the key, the
    /// id says nothing about the number.
    ///
    /// ```
    /// # use mfa::{BudgetId, OobKey, PhoneNumber};
    /// let id = BudgetId::number(&OobKey::from_bytes(&[7; 32])?, &PhoneNumber::parse("+14155552671")?);
    /// assert_eq!(id.as_str().len(), "sms-number/".len() + 32);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn number(key: &OobKey, phone: &PhoneNumber) -> Self {
        Self::keyed("sms-number/", b"mfa/send-budget/number/v1", key, phone)
    }

    /// The id of `phone`'s binding budget, spent by phone-binding texts
    /// ([`OobDelivery::is_binding`](crate::OobDelivery::is_binding)):
    /// `sms-binding/` and 32 hex digits of HMAC-SHA256 under `key`, in a
    /// domain of its own, never equal to [`number`](Self::number)'s.
    ///
    /// ```
    /// # use mfa::{BudgetId, OobKey, PhoneNumber};
    /// let (key, phone) = (OobKey::from_bytes(&[7; 32])?, PhoneNumber::parse("+14155552671")?);
    /// let id = BudgetId::binding(&key, &phone);
    /// assert_eq!(id.as_str().len(), "sms-binding/".len() + 32);
    /// assert_ne!(id.as_str()[12..], BudgetId::number(&key, &phone).as_str()[11..]);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn binding(key: &OobKey, phone: &PhoneNumber) -> Self {
        Self::keyed("sms-binding/", b"mfa/send-budget/binding/v1", key, phone)
    }

    /// `kind` and 32 hex digits of the tag of `phone` under `key` in
    /// `domain`.
    fn keyed(kind: &str, domain: &[u8], key: &OobKey, phone: &PhoneNumber) -> Self {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let tag = key.tag(domain, &[phone.as_str().as_bytes()]);
        let mut id = String::with_capacity(kind.len().saturating_add(32));
        id.push_str(kind);
        for byte in tag.iter().take(16) {
            for nibble in [byte >> 4, byte & 0x0f] {
                id.push(char::from(
                    HEX.get(usize::from(nibble)).copied().unwrap_or(b'0'),
                ));
            }
        }
        Self(id)
    }

    /// The id of a prefix's budget: `sms-prefix/` and the prefix, as the
    /// host's [`PrefixBudget`] names it.
    ///
    /// ```
    /// assert_eq!(mfa::BudgetId::prefix("+1900").as_str(), "sms-prefix/+1900");
    /// ```
    #[must_use]
    pub fn prefix(prefix: &str) -> Self {
        let mut id = String::with_capacity(prefix.len().saturating_add(11));
        id.push_str("sms-prefix/");
        id.push_str(prefix);
        Self(id)
    }

    /// The id as text, to store the budget under.
    ///
    /// ```
    /// assert!(mfa::BudgetId::prefix("+44").as_str().ends_with("+44"));
    /// ```
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BudgetId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl Borrow<str> for BudgetId {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl Borrow<String> for BudgetId {
    fn borrow(&self) -> &String {
        &self.0
    }
}

/// The host's hook that puts a number in a prefix budget (a country by
/// its calling code, a premium range), with that prefix's limits; `None`
/// for a number that only has its own budget.
///
/// Implemented by `()` (no prefix budgets) and by any
/// `Fn(&PhoneNumber) -> Option<(&'static str, BudgetLimits)>`.
///
/// ```
/// use mfa::{BudgetLimits, PhoneNumber, PrefixBudget};
///
/// // Texts to the UK share 1,000 an hour; to +882 (international networks) 5.
/// let by_country = |phone: &PhoneNumber| match phone.as_str() {
///     p if p.starts_with("+44") => Some(("+44", BudgetLimits::PER_NUMBER.with_per_hour(1_000).with_per_day(10_000))),
///     p if p.starts_with("+882") => Some(("+882", BudgetLimits::PER_NUMBER.with_per_hour(5).with_per_day(10))),
///     _ => None,
/// };
/// let uk = PhoneNumber::parse("+44 20 7946 0958")?;
/// assert_eq!(by_country.prefix(&uk).map(|(prefix, _)| prefix), Some("+44"));
/// assert_eq!(().prefix(&uk), None);
/// # Ok::<(), mfa::Error>(())
/// ```
pub trait PrefixBudget {
    /// The prefix budget a text to `phone` also spends, and its limits.
    fn prefix(&self, phone: &PhoneNumber) -> Option<(&str, BudgetLimits)>;
}

impl PrefixBudget for () {
    fn prefix(&self, _phone: &PhoneNumber) -> Option<(&str, BudgetLimits)> {
        None
    }
}

impl<F> PrefixBudget for F
where
    F: Fn(&PhoneNumber) -> Option<(&'static str, BudgetLimits)>,
{
    fn prefix(&self, phone: &PhoneNumber) -> Option<(&str, BudgetLimits)> {
        self(phone)
    }
}

/// Which budgets a text spends: its number's (keyed with the service's
/// [`OobKey`], [`BudgetLimits::PER_NUMBER`] unless set), and its prefix's
/// if the host's [`PrefixBudget`] names one. Apply it to a run's
/// deliveries with [`spend_budgets`](crate::spend_budgets).
///
/// A phone-binding text ([`OobDelivery::is_binding`](crate::OobDelivery::is_binding))
/// spends the number's binding budget ([`BudgetId::binding`], the same
/// limits) instead of its own: any account may start binding any number,
/// so strangers who fill a number's budget that way must not stop its
/// owner's log-on texts. The prefix budget is shared by every text: it is
/// the host's cap against SMS pumping, whatever the purpose.
///
/// ```
/// use mfa::{BudgetId, BudgetLimits, OobKey, PhoneNumber, SmsBudgets};
///
/// let key = OobKey::generate()?; // the service's `OobKey`
/// let budgets = SmsBudgets::new(key.clone())
///     .with_per_number(BudgetLimits::PER_NUMBER.with_per_day(15))
///     .with_prefixes(|phone: &PhoneNumber| phone.as_str().starts_with("+44").then_some(("+44", BudgetLimits::PER_NUMBER.with_per_hour(500))));
/// let uk = PhoneNumber::parse("+44 20 7946 0958")?;
/// let spent: Vec<(BudgetId, BudgetLimits)> = budgets.budgets(&uk).collect();
/// assert_eq!(spent[0], (BudgetId::number(&key, &uk), BudgetLimits::PER_NUMBER.with_per_day(15)));
/// assert_eq!(spent[1].0, BudgetId::prefix("+44"));
/// assert_eq!(budgets.budgets(&PhoneNumber::parse("+14155552671")?).count(), 1);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct SmsBudgets<P = ()> {
    key: OobKey,
    per_number: BudgetLimits,
    prefixes: P,
}

impl SmsBudgets {
    /// Per-number budgets of [`BudgetLimits::PER_NUMBER`], their ids keyed
    /// with `key`, and no prefix budgets.
    ///
    /// ```
    /// let budgets = mfa::SmsBudgets::new(mfa::OobKey::generate()?);
    /// assert_eq!(budgets.per_number(), mfa::BudgetLimits::PER_NUMBER);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn new(key: OobKey) -> Self {
        Self {
            key,
            per_number: BudgetLimits::PER_NUMBER,
            prefixes: (),
        }
    }
}

impl<P: PrefixBudget> SmsBudgets<P> {
    /// The same, with `limits` for each number.
    ///
    /// ```
    /// let limits = mfa::BudgetLimits::PER_NUMBER.with_per_hour(4);
    /// let budgets = mfa::SmsBudgets::new(mfa::OobKey::generate()?).with_per_number(limits);
    /// assert_eq!(budgets.per_number(), limits);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn with_per_number(mut self, limits: BudgetLimits) -> Self {
        self.per_number = limits;
        self
    }

    /// The same, with `prefixes` as the hook that names prefix budgets.
    ///
    /// ```
    /// use mfa::{BudgetLimits, PhoneNumber, SmsBudgets};
    ///
    /// let block_882 = |phone: &PhoneNumber| phone.as_str().starts_with("+882").then_some(("+882", BudgetLimits::PER_NUMBER.with_per_hour(0)));
    /// let budgets = SmsBudgets::new(mfa::OobKey::generate()?).with_prefixes(block_882);
    /// assert_eq!(budgets.budgets(&PhoneNumber::parse("+882 1234 5678")?).count(), 2);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn with_prefixes<Q: PrefixBudget>(self, prefixes: Q) -> SmsBudgets<Q> {
        SmsBudgets {
            key: self.key,
            per_number: self.per_number,
            prefixes,
        }
    }

    /// The limits of each number's budget.
    ///
    /// ```
    /// assert_eq!(mfa::SmsBudgets::new(mfa::OobKey::generate()?).per_number().per_day(), 20);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn per_number(&self) -> BudgetLimits {
        self.per_number
    }

    /// The budgets a text to `phone` spends, with their limits: the
    /// number's, then the prefix's if there is one.
    ///
    /// ```
    /// # use mfa::{PhoneNumber, SmsBudgets};
    /// let budgets = SmsBudgets::new(mfa::OobKey::generate()?);
    /// assert_eq!(budgets.budgets(&PhoneNumber::parse("+14155552671")?).count(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn budgets(&self, phone: &PhoneNumber) -> impl Iterator<Item = (BudgetId, BudgetLimits)> {
        self.with_prefix(BudgetId::number(&self.key, phone), phone)
    }

    /// The budgets a phone-binding text to `phone` spends, with their
    /// limits: the number's binding budget, then the prefix's if there is
    /// one.
    ///
    /// ```
    /// # use mfa::{BudgetId, OobKey, PhoneNumber, SmsBudgets};
    /// let key = OobKey::generate()?;
    /// let phone = PhoneNumber::parse("+14155552671")?;
    /// let spent: Vec<_> = SmsBudgets::new(key.clone()).binding_budgets(&phone).map(|(id, _)| id).collect();
    /// assert_eq!(spent, [BudgetId::binding(&key, &phone)]);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn binding_budgets(
        &self,
        phone: &PhoneNumber,
    ) -> impl Iterator<Item = (BudgetId, BudgetLimits)> {
        self.with_prefix(BudgetId::binding(&self.key, phone), phone)
    }

    /// `own` with the number's limits, then `phone`'s prefix budget.
    fn with_prefix(
        &self,
        own: BudgetId,
        phone: &PhoneNumber,
    ) -> impl Iterator<Item = (BudgetId, BudgetLimits)> {
        let prefix = self
            .prefixes
            .prefix(phone)
            .map(|(prefix, limits)| (BudgetId::prefix(prefix), limits));
        core::iter::once((own, self.per_number)).chain(prefix)
    }
}

impl<P> fmt::Debug for SmsBudgets<P> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmsBudgets")
            .field("key", &self.key)
            .field("per_number", &self.per_number)
            .finish_non_exhaustive()
    }
}
