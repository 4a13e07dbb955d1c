//! The check of the SMS send budgets shared by all accounts.

use std::borrow::Borrow;
use std::sync::Arc;

use mfa::{AsyncStore, BudgetId, BudgetLimits, FlowError, OobError, SendBudget};

use crate::checks::Report;
use crate::fixture::{T0, account};

/// 16 concurrent tasks each spend one text from one SMS send budget of 10
/// an hour ([`mfa::spend_budget`], compare-and-set on the store): exactly
/// 10 are admitted and 6 refused with `SendLimit` until the hour's end;
/// the stored budget counts 10 at version 10. At its last second the
/// window still refuses; at its end exactly, a text goes again. A task
/// told `Busy` (every try lost a race) asks again.
///
/// ```
/// # use std::sync::Arc;
/// use mfa::{MemoryStore, SendBudget};
///
/// let store: Arc<MemoryStore<String, SendBudget>> = Arc::new(MemoryStore::new());
/// let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
/// let report = runtime.block_on(mfa_conformance::budget_exactly_once(store));
/// assert!(report.ran, "{report}");
/// # Ok::<(), std::io::Error>(())
/// ```
pub async fn budget_exactly_once<S>(store: Arc<S>) -> Report
where
    S: AsyncStore<SendBudget> + Send + Sync + 'static,
    BudgetId: Borrow<S::Id>,
{
    const TASKS: usize = 16;
    let limits = BudgetLimits::PER_NUMBER.with_per_hour(10).with_per_day(100);
    let id = BudgetId::prefix(&account("budget_exactly_once"));
    let spend = |now: u64| {
        let (store, id) = (Arc::clone(&store), id.clone());
        async move {
            let mut busy = 0;
            loop {
                match mfa::spend_budget(&*store, &id, limits, now).await {
                    Err(FlowError::Busy { .. }) => busy += 1,
                    outcome => return (outcome, busy),
                }
            }
        }
    };
    let tasks: Vec<_> = (0..TASKS).map(|_| tokio::spawn(spend(T0))).collect();
    let (mut admitted, mut refused, mut busy) = (0, 0, 0);
    for task in tasks {
        let (outcome, asked_again) = task.await.expect("a task");
        busy += asked_again;
        match outcome {
            Ok(()) => admitted += 1,
            Err(FlowError::Code(OobError::SendLimit { retry_at, .. })) => {
                assert_eq!(
                    retry_at,
                    T0 + BudgetLimits::HOUR,
                    "refused until the hour's end"
                );
                refused += 1;
            }
            Err(e) => panic!("a spend failed: {e}"),
        }
    }
    assert_eq!(
        (admitted, refused),
        (10, 6),
        "exactly the budget is admitted"
    );
    let stored: SendBudget = store
        .load(id.borrow())
        .await
        .ok()
        .flatten()
        .expect("the budget is stored");
    assert_eq!((stored.spent(T0), stored.version()), ((10, 10), 10));

    // The window's last second still refuses; its end admits.
    let last = spend(T0 + BudgetLimits::HOUR - 1).await.0;
    assert_eq!(
        last.map_err(|e| e.retry_after()),
        Err(Some(1)),
        "refused at the window's last second"
    );
    assert_eq!(spend(T0 + BudgetLimits::HOUR).await.0, Ok(()));
    Report {
        check: "budget_exactly_once",
        detail: format!(
            "{TASKS} concurrent spends of a budget of 10: {admitted} admitted, {refused} refused ({busy} busy runs asked again); the window rolls over at its end"
        ),
        ran: true,
        row_bytes: None,
    }
}
