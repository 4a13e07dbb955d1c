//! Spending the SMS budgets of a run's deliveries against a store of
//! [`SendBudget`]s: load, spend, compare-and-set, retry on a lost race.

use alloc::vec::Vec;
use core::borrow::Borrow;
use core::future::Future;
use core::pin::pin;
use core::task::{Context, Poll, Waker};

use super::{AsyncStore, MAX_TRIES, Ran, storage};
use crate::flow::{Effect, FlowError};
use crate::record::{
    BudgetId, BudgetLimits, Cas, Destination, OobDelivery, PrefixBudget, SendBudget, SmsBudgets,
    Store,
};

/// Spends one text from the budget stored under `id`, with
/// compare-and-set: a budget raced by other instances counts every text
/// exactly once. A budget not stored yet is created.
///
/// # Errors
///
/// `FlowError::Code(OobError::SendLimit { retry_at, retry_after })` when
/// the budget is spent (nothing written); [`FlowError::Busy`] when every
/// try lost a race; [`FlowError::Storage`] when the store fails.
///
/// ```
/// use mfa::{BudgetId, BudgetLimits, FlowError, MemoryStore, OobError, SendBudget};
///
/// let store: MemoryStore<String, SendBudget> = MemoryStore::new();
/// let (id, limits) = (BudgetId::prefix("+882"), BudgetLimits::PER_NUMBER.with_per_hour(1));
/// mfa::block_on(mfa::spend_budget(&store, &id, limits, 1_000))?;
/// let second = mfa::block_on(mfa::spend_budget(&store, &id, limits, 1_001));
/// assert_eq!(second, Err(FlowError::Code(OobError::SendLimit { retry_at: 4_600, retry_after: 3_599 })));
/// assert_eq!(second.map_err(|e| e.retry_after()), Err(Some(3_599)));
/// # Ok::<(), mfa::Error>(())
/// ```
pub async fn spend_budget<St>(
    store: &St,
    id: &BudgetId,
    limits: BudgetLimits,
    now: u64,
) -> Result<(), FlowError>
where
    St: AsyncStore<SendBudget> + Sync,
    BudgetId: Borrow<St::Id>,
{
    let id: &St::Id = id.borrow();
    for _ in 0..MAX_TRIES {
        let Some(budget) = store.load(id).await.map_err(storage)? else {
            // Committed or not (another request made it first): load it.
            let _ = store
                .insert(id, &SendBudget::new())
                .await
                .map_err(storage)?;
            continue;
        };
        let (spent, outcome) = budget.spend(&limits, now).into_parts();
        let Some(spent) = spent else {
            return outcome.map_err(FlowError::Code);
        };
        match store
            .compare_and_set(id, budget.version(), &spent)
            .await
            .map_err(storage)?
        {
            Cas::Committed => return outcome.map_err(FlowError::Code),
            Cas::Conflict => {}
        }
    }
    Err(FlowError::Busy { tries: MAX_TRIES })
}

/// Spends the budgets of each delivery of a run (see
/// [`Ran::deliveries`](crate::Ran::deliveries)) before it is sent: a text
/// spends its number's budget (a phone-binding text, its number's binding
/// budget: see [`OobDelivery::is_binding`]), then its prefix's (see
/// [`SmsBudgets`]); an e-mail spends none. Returns each delivery with `Ok(())` (send it) or
/// why not, a [`FlowError`] that reads as a sentence and carries
/// [`retry_after`](FlowError::retry_after). Counting errs towards
/// refusing: a text refused by its prefix's budget has spent its
/// number's.
///
/// Call it after the run wrote the account's record, with a store of
/// [`SendBudget`]s (the same backend as the accounts'; the ids are
/// [`BudgetId`]s).
///
/// ```
/// use mfa::{BudgetLimits, Destination, FlowError, MemoryStore, OobKey, OobPolicy, OobRecord, SendBudget, SmsBudgets};
///
/// let key = OobKey::generate()?; // the service's `OobKey`
/// let budgets = SmsBudgets::new(key.clone()).with_per_number(BudgetLimits::PER_NUMBER.with_per_hour(1));
/// let store: MemoryStore<String, SendBudget> = MemoryStore::new();
/// let phone = Destination::sms("+14155552671")?;
///
/// // Two accounts text the same number within the hour (each delivery as
/// // in a `Ran`'s `deliveries()`).
/// let (_, first) = OobRecord::new().issue(&OobPolicy::default(), &key, &phone, 1_000).into_parts();
/// let (_, second) = OobRecord::new().issue(&OobPolicy::default(), &key, &phone, 1_010).into_parts();
/// let (first, second) = (first?, second?);
/// let sent = mfa::block_on(mfa::spend_budgets(&store, &budgets, [&first], 1_000));
/// assert!(sent.iter().all(|(_, ok)| ok.is_ok()));
/// let refused = mfa::block_on(mfa::spend_budgets(&store, &budgets, [&second], 1_010));
/// let (_, why) = &refused[0];
/// assert_eq!(why.as_ref().map_err(FlowError::retry_after), Err(Some(3_590)));
/// assert_eq!(why.as_ref().map_err(ToString::to_string), Err("too many codes were sent lately; a new one can be sent in 60 min".into()));
/// # Ok::<(), mfa::Error>(())
/// ```
pub async fn spend_budgets<'d, St, P>(
    store: &St,
    budgets: &SmsBudgets<P>,
    deliveries: impl IntoIterator<Item = &'d OobDelivery>,
    now: u64,
) -> Vec<(&'d OobDelivery, Result<(), FlowError>)>
where
    St: AsyncStore<SendBudget> + Sync,
    BudgetId: Borrow<St::Id>,
    P: PrefixBudget,
{
    let mut out = Vec::new();
    for delivery in deliveries {
        let result = match delivery.destination() {
            Destination::Sms(phone) if delivery.is_binding() => {
                spend_text(store, budgets.binding_budgets(phone), now).await
            }
            Destination::Sms(phone) => spend_text(store, budgets.budgets(phone), now).await,
            Destination::Email(_) => Ok(()),
        };
        out.push((delivery, result));
    }
    out
}

/// Spends every budget of one text, stopping at the first refusal.
async fn spend_text<St>(
    store: &St,
    budgets: impl Iterator<Item = (BudgetId, BudgetLimits)>,
    now: u64,
) -> Result<(), FlowError>
where
    St: AsyncStore<SendBudget> + Sync,
    BudgetId: Borrow<St::Id>,
{
    for (id, limits) in budgets {
        spend_budget(store, &id, limits, now).await?;
    }
    Ok(())
}

/// As [`spend_budgets`], on a blocking [`Store`] of [`SendBudget`]s.
///
/// ```
/// use mfa::{BudgetLimits, Destination, MemoryStore, OobKey, OobPolicy, OobRecord, SendBudget, SmsBudgets};
///
/// let key = OobKey::generate()?;
/// let budgets = SmsBudgets::new(key.clone());
/// let store: MemoryStore<String, SendBudget> = MemoryStore::new();
/// let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &key, &Destination::sms("+14155552671")?, 1_000).into_parts();
/// let delivery = delivery?;
/// for (delivery, allowed) in mfa::spend_budgets_blocking(&store, &budgets, [&delivery], 1_000) {
///     allowed?; // then text `delivery.code()` to `delivery.destination()`
/// }
/// # Ok::<(), mfa::Error>(())
/// ```
pub fn spend_budgets_blocking<'d, St, P>(
    store: &St,
    budgets: &SmsBudgets<P>,
    deliveries: impl IntoIterator<Item = &'d OobDelivery>,
    now: u64,
) -> Vec<(&'d OobDelivery, Result<(), FlowError>)>
where
    St: Store<SendBudget> + Sync,
    St::Id: Sync,
    St::Error: core::error::Error + Send + Sync + 'static,
    BudgetId: Borrow<St::Id>,
    P: PrefixBudget,
{
    let deliveries: Vec<&'d OobDelivery> = deliveries.into_iter().collect();
    let blocking = Blocking(store);
    let spent = {
        let future = pin!(spend_budgets(&blocking, budgets, deliveries.clone(), now));
        // Every future of the blocking adapter is ready: one poll ends it.
        match future.poll(&mut Context::from_waker(Waker::noop())) {
            Poll::Ready(spent) => Some(spent),
            Poll::Pending => None,
        }
    };
    spent.unwrap_or_else(|| {
        let stuck = || {
            Err(FlowError::Internal(
                "a blocking store did not answer at once",
            ))
        };
        deliveries.into_iter().map(|d| (d, stuck())).collect()
    })
}

impl<S> Ran<S> {
    /// Spends the SMS budgets of this run's deliveries before they are
    /// sent (as [`spend_budgets`] does, with its store and its errors) and
    /// keeps only the deliveries they allow: a refused one leaves the
    /// effects, and its refusal (the first, if several) becomes the result,
    /// unless the result is an error already. One call between the run and
    /// the sending: what [`deliveries`](Self::deliveries) yields afterwards
    /// may go out, and a refusal reads as a sentence
    /// ([`FlowError::for_user`], with [`retry_after`](FlowError::retry_after)).
    /// The record the run wrote stays written (a challenge stays issued,
    /// its code unsent).
    ///
    /// ```
    /// use mfa::{BudgetLimits, Destination, Effect, MemoryStore, OobKey, OobPolicy, OobRecord, Ran, SendBudget, SmsBudgets};
    ///
    /// let key = OobKey::generate()?; // the service's `OobKey`
    /// let budgets = SmsBudgets::new(key.clone()).with_per_number(BudgetLimits::PER_NUMBER.with_per_hour(1));
    /// let store: MemoryStore<String, SendBudget> = MemoryStore::new(); // the database of the accounts
    /// let phone = Destination::sms("+14155552671")?;
    /// // Two runs that text the same number, as `mfa::run` leaves them (their codes issued).
    /// let text = |at| -> Result<Ran<()>, mfa::Error> {
    ///     let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &key, &phone, at).into_parts();
    ///     Ok(Ran { state: None, effects: vec![Effect::Deliver(delivery?)], result: Ok(()) })
    /// };
    /// let (mut first, mut second) = (text(1_000)?, text(1_010)?);
    ///
    /// mfa::block_on(first.spend_budgets(&store, &budgets, 1_000));
    /// assert_eq!((first.deliveries().count(), first.result), (1, Ok(()))); // send it
    /// mfa::block_on(second.spend_budgets(&store, &budgets, 1_010));
    /// assert_eq!(second.deliveries().count(), 0); // nothing to send
    /// let refusal = second.result.map_err(|e| e.for_user().to_string());
    /// assert_eq!(refusal, Err("Too many codes were sent lately. A new one can be sent in 60 min.".into()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub async fn spend_budgets<St, P>(&mut self, store: &St, budgets: &SmsBudgets<P>, now: u64)
    where
        St: AsyncStore<SendBudget> + Sync,
        BudgetId: Borrow<St::Id>,
        P: PrefixBudget,
    {
        let spent = spend_budgets(store, budgets, self.deliveries(), now).await;
        let refusals = spent
            .into_iter()
            .map(|(_, allowed)| allowed.err())
            .collect();
        self.keep_allowed(refusals);
    }

    /// As [`spend_budgets`](Self::spend_budgets), on a blocking [`Store`]
    /// of [`SendBudget`]s (see [`spend_budgets_blocking`]).
    ///
    /// ```
    /// use mfa::{Destination, Enrollment, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, SendBudget, SmsBudgets, TotpFactor, TotpRecord};
    ///
    /// let key = OobKey::generate()?; // the service's `OobKey`, the flows' and the budgets'
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, key.clone(), FlowPolicy::default())?;
    /// let (accounts, sent): (MemoryStore<String, Protection<TotpRecord>>, MemoryStore<String, SendBudget>) = (MemoryStore::new(), MemoryStore::new());
    /// let (ada, phone) = (String::from("ada"), Destination::sms("+14155552671")?); // her verified phone
    ///
    /// let mut ran = mfa::run_blocking(&accounts, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[phone.clone()], &phone, 1_000));
    /// ran.spend_budgets_blocking(&sent, &SmsBudgets::new(key), 1_000);
    /// ran.result.clone()?;
    /// assert_eq!(ran.deliveries().count(), 1); // within its number's budget: text it
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn spend_budgets_blocking<St, P>(&mut self, store: &St, budgets: &SmsBudgets<P>, now: u64)
    where
        St: Store<SendBudget> + Sync,
        St::Id: Sync,
        St::Error: core::error::Error + Send + Sync + 'static,
        BudgetId: Borrow<St::Id>,
        P: PrefixBudget,
    {
        let spent = spend_budgets_blocking(store, budgets, self.deliveries(), now);
        let refusals = spent
            .into_iter()
            .map(|(_, allowed)| allowed.err())
            .collect();
        self.keep_allowed(refusals);
    }

    /// Drops the deliveries refused (`refusals`, one for each delivery in
    /// order: `None` for a delivery allowed), and makes the first refusal
    /// the result unless it is an error already.
    fn keep_allowed(&mut self, refusals: Vec<Option<FlowError>>) {
        let mut refusals = refusals.into_iter();
        let mut first = None;
        self.effects.retain(|effect| {
            if !matches!(effect, Effect::Deliver(_)) {
                return true;
            }
            let Some(refusal) = refusals.next().flatten() else {
                return true;
            };
            first.get_or_insert(refusal);
            false
        });
        if let (Ok(()), Some(refusal)) = (&self.result, first) {
            self.result = Err(refusal);
        }
    }
}

/// A blocking store seen as an async one whose futures are ready at once.
struct Blocking<'a, St>(&'a St);

impl<St> AsyncStore<SendBudget> for Blocking<'_, St>
where
    St: Store<SendBudget> + Sync,
    St::Id: Sync,
    St::Error: core::error::Error + Send + Sync + 'static,
{
    type Id = St::Id;
    type Error = St::Error;

    fn load(
        &self,
        id: &St::Id,
    ) -> impl Future<Output = Result<Option<SendBudget>, St::Error>> + Send {
        core::future::ready(self.0.load(id))
    }

    fn insert(
        &self,
        id: &St::Id,
        record: &SendBudget,
    ) -> impl Future<Output = Result<Cas, St::Error>> + Send {
        core::future::ready(self.0.insert(id, record))
    }

    fn compare_and_set(
        &self,
        id: &St::Id,
        expected: u64,
        record: &SendBudget,
    ) -> impl Future<Output = Result<Cas, St::Error>> + Send {
        core::future::ready(self.0.compare_and_set(id, expected, record))
    }
}
