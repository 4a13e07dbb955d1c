//! `MemoryStore`, the in-memory default, passes the suite: async (tokio
//! tasks) and blocking (threads). It keeps records, not bytes, so the
//! checks that read raw rows are skipped.

use std::sync::Arc;

use mfa::{MemoryStore, Protection, SendBudget, SmsRecord, TotpRecord};

type Memory = MemoryStore<String, Protection<TotpRecord>>;

// The suite names records by `Box<S::Id>`; this store's `Id` is `String`.
#[allow(clippy::box_collection)]
fn id(account: &str) -> Box<String> {
    Box::new(account.to_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_passes_the_async_suite() {
    let summary = mfa_conformance::check(Arc::new(Memory::new()), id, None).await;
    println!("{summary}");
    assert_eq!(summary.reports.iter().filter(|r| r.ran).count(), 5);
}

#[test]
fn memory_store_passes_the_blocking_suite() {
    let summary = mfa_conformance::check_blocking(Arc::new(Memory::new()), id, None);
    println!("{summary}");
    assert_eq!(summary.reports.iter().filter(|r| r.ran).count(), 5);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_counts_a_send_budget_exactly_once() {
    let store: MemoryStore<String, SendBudget> = MemoryStore::new();
    let report = mfa_conformance::budget_exactly_once(Arc::new(store)).await;
    println!("{report}");
    assert!(report.ran);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn memory_store_resends_the_same_sms_code() {
    let store: MemoryStore<String, Protection<SmsRecord>> = MemoryStore::new();
    let report = mfa_conformance::resend_same_code(Arc::new(store), id).await;
    println!("{report}");
    assert!(report.ran);
}
