//! The store under test, async or blocking, behind one interface the
//! checks are written against once.

use std::error::Error;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Barrier};

use mfa::{AsyncStore, Cas, FlowError, Protection, Ran, Store, TotpRecord, Transition};

/// The record every check stores.
pub type Account = Protection<TotpRecord>;

/// What a raw-row access may fail with.
pub type BoxError = Box<dyn Error + Send + Sync>;

/// The future a [`Raw`] access returns.
pub type RawFuture<T> = Pin<Box<dyn Future<Output = Result<T, BoxError>> + Send>>;

/// How many times a task asks again after [`FlowError::Busy`], as a client
/// told "try again" would, before the check fails.
///
/// ```
/// assert!(mfa_conformance::BUSY_RETRIES >= 100);
/// ```
pub const BUSY_RETRIES: u64 = 1_000;

/// Stack size of each thread of the blocking twin (1,000 run at once).
const THREAD_STACK: usize = 512 * 1024;

type PutFn = dyn Fn(String, u64, Vec<u8>) -> RawFuture<()> + Send + Sync;
type GetFn = dyn Fn(String) -> RawFuture<Option<Vec<u8>>> + Send + Sync;

/// Access to the rows of an async store that keeps bytes: write a row as
/// given, read it back as stored. The store must seal with
/// [`codec()`](crate::codec) for the checks that use it.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use mfa_conformance::{BoxError, Raw};
///
/// let rows: Arc<Mutex<HashMap<String, (u64, Vec<u8>)>>> = Arc::default();
/// let (put_rows, get_rows) = (rows.clone(), rows.clone());
/// let raw = Raw::new(
///     move |account, version, bytes| {
///         let rows = put_rows.clone();
///         async move {
///             rows.lock().map_err(|_| "poisoned")?.insert(account, (version, bytes));
///             Ok::<_, BoxError>(())
///         }
///     },
///     move |account| {
///         let rows = get_rows.clone();
///         async move {
///             let rows = rows.lock().map_err(|_| "poisoned")?;
///             Ok::<_, BoxError>(rows.get(&account).map(|(_, bytes)| bytes.clone()))
///         }
///     },
/// );
/// # drop(raw);
/// ```
pub struct Raw {
    put: Box<PutFn>,
    get: Box<GetFn>,
}

impl Raw {
    /// `put(account, version, bytes)` writes (inserts or replaces) the row
    /// of `account` with that version and those bytes; `get(account)`
    /// returns the bytes of its row, if any.
    pub fn new<P, PF, G, GF>(put: P, get: G) -> Self
    where
        P: Fn(String, u64, Vec<u8>) -> PF + Send + Sync + 'static,
        PF: Future<Output = Result<(), BoxError>> + Send + 'static,
        G: Fn(String) -> GF + Send + Sync + 'static,
        GF: Future<Output = Result<Option<Vec<u8>>, BoxError>> + Send + 'static,
    {
        Self {
            put: Box::new(move |account, version, bytes| Box::pin(put(account, version, bytes))),
            get: Box::new(move |account| Box::pin(get(account))),
        }
    }
}

impl fmt::Debug for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Raw").finish_non_exhaustive()
    }
}

type BlockingPutFn = dyn Fn(&str, u64, &[u8]) -> Result<(), BoxError> + Send + Sync;
type BlockingGetFn = dyn Fn(&str) -> Result<Option<Vec<u8>>, BoxError> + Send + Sync;

/// [`Raw`] for a blocking store.
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
/// use mfa_conformance::BlockingRaw;
///
/// let rows: Arc<Mutex<HashMap<String, Vec<u8>>>> = Arc::default();
/// let (put_rows, get_rows) = (rows.clone(), rows.clone());
/// let raw = BlockingRaw::new(
///     move |account, _version, bytes| {
///         put_rows.lock().map_err(|_| "poisoned")?.insert(account.to_owned(), bytes.to_vec());
///         Ok(())
///     },
///     move |account| Ok(get_rows.lock().map_err(|_| "poisoned")?.get(account).cloned()),
/// );
/// # drop(raw);
/// ```
pub struct BlockingRaw {
    put: Box<BlockingPutFn>,
    get: Box<BlockingGetFn>,
}

impl BlockingRaw {
    /// As [`Raw::new`], with plain functions.
    pub fn new<P, G>(put: P, get: G) -> Self
    where
        P: Fn(&str, u64, &[u8]) -> Result<(), BoxError> + Send + Sync + 'static,
        G: Fn(&str) -> Result<Option<Vec<u8>>, BoxError> + Send + Sync + 'static,
    {
        Self {
            put: Box::new(put),
            get: Box::new(get),
        }
    }
}

impl fmt::Debug for BlockingRaw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingRaw").finish_non_exhaustive()
    }
}

/// What the suite counted on a subject: the compare-and-sets that found
/// another version (lost races, retried by the runner), and the runs that
/// gave up with [`FlowError::Busy`] and were asked again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    /// Compare-and-sets answered [`Cas::Conflict`].
    pub conflicts: u64,
    /// Runs that ended in [`FlowError::Busy`] (asked again).
    pub busy: u64,
}

impl Stats {
    /// What happened since `before`.
    ///
    /// ```
    /// use mfa_conformance::Stats;
    ///
    /// let (before, after) = (Stats { conflicts: 2, busy: 0 }, Stats { conflicts: 5, busy: 1 });
    /// assert_eq!(after.since(before), Stats { conflicts: 3, busy: 1 });
    /// ```
    #[must_use]
    pub const fn since(self, before: Self) -> Self {
        Self {
            conflicts: self.conflicts.wrapping_sub(before.conflicts),
            busy: self.busy.wrapping_sub(before.busy),
        }
    }
}

#[derive(Default)]
struct Counters {
    conflicts: AtomicU64,
    busy: AtomicU64,
}

impl Counters {
    fn stats(&self) -> Stats {
        Stats {
            conflicts: self.conflicts.load(Ordering::Relaxed),
            busy: self.busy.load(Ordering::Relaxed),
        }
    }
}

/// The store under test, as the checks see it: implemented by
/// [`AsyncSubject`] and [`BlockingSubject`] only.
pub trait Subject: private::Sealed {
    /// Runs `op` on `account` once, through [`mfa::run`] or
    /// [`mfa::run_blocking`].
    fn run<T, Op>(&self, account: &str, op: Op) -> impl Future<Output = Ran<T>>
    where
        T: Send + 'static,
        Op: FnMut(&Account) -> Transition<T, TotpRecord> + Send;

    /// Runs `op` on `account` from `tasks` concurrent tasks (tokio tasks,
    /// or threads for a blocking store), released together; a run that
    /// ends in [`FlowError::Busy`] is asked again. The results, one per
    /// task.
    fn run_many<T, Op>(
        &self,
        account: &str,
        tasks: usize,
        op: Op,
    ) -> impl Future<Output = Vec<Ran<T>>>
    where
        T: Send + 'static,
        Op: Fn(&Account) -> Transition<T, TotpRecord> + Send + Sync + 'static;

    /// The record of `account` as stored (the store's own `load`).
    fn load(&self, account: &str) -> impl Future<Output = Option<Account>>;

    /// The store's own `insert`.
    fn insert(&self, account: &str, record: &Account) -> impl Future<Output = Cas>;

    /// Whether the subject gives access to its raw rows.
    fn has_raw(&self) -> bool;

    /// Writes the raw row of `account` (does nothing without raw access).
    fn put_raw(&self, account: &str, version: u64, bytes: Vec<u8>) -> impl Future<Output = ()>;

    /// The raw row of `account` (`None` without raw access, or no row).
    fn raw(&self, account: &str) -> impl Future<Output = Option<Vec<u8>>>;

    /// What was counted so far.
    fn stats(&self) -> Stats;
}

mod private {
    pub trait Sealed {}
}

/// An async store, counted: lost races are counted, and each load yields
/// to the runtime before it returns, as a network round trip would, so
/// that tasks interleave between load and compare-and-set even on an
/// in-memory store.
struct CountingAsync<S: ?Sized> {
    inner: Arc<S>,
    counters: Counters,
}

impl<S> AsyncStore<Account> for CountingAsync<S>
where
    S: AsyncStore<Account> + Send + Sync + ?Sized,
{
    type Id = S::Id;
    type Error = S::Error;

    async fn load(&self, id: &S::Id) -> Result<Option<Account>, S::Error> {
        let loaded = self.inner.load(id).await;
        tokio::task::yield_now().await;
        loaded
    }

    fn insert(
        &self,
        id: &S::Id,
        record: &Account,
    ) -> impl Future<Output = Result<Cas, S::Error>> + Send {
        self.inner.insert(id, record)
    }

    async fn compare_and_set(
        &self,
        id: &S::Id,
        expected: u64,
        record: &Account,
    ) -> Result<Cas, S::Error> {
        let cas = self.inner.compare_and_set(id, expected, record).await;
        if let Ok(Cas::Conflict) = cas {
            self.counters.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        cas
    }
}

/// Runs `op` until it is not [`FlowError::Busy`].
async fn run_retrying<St, T, Op>(store: &CountingAsync<St>, id: &St::Id, op: Op) -> Ran<T>
where
    St: AsyncStore<Account> + Send + Sync + ?Sized,
    Op: Fn(&Account) -> Transition<T, TotpRecord>,
{
    for _ in 0..BUSY_RETRIES {
        let ran = mfa::run(store, id, &op).await;
        if !matches!(ran.result, Err(FlowError::Busy { .. })) {
            return ran;
        }
        store.counters.busy.fetch_add(1, Ordering::Relaxed);
    }
    panic!("still busy after {BUSY_RETRIES} runs: the store never lets a write through");
}

/// An [`AsyncStore`] under test.
///
/// Its checks spawn tokio tasks: await them on a multi-thread runtime
/// (`#[tokio::test(flavor = "multi_thread", worker_threads = 2)]`).
pub struct AsyncSubject<S: AsyncStore<Account> + ?Sized> {
    store: Arc<CountingAsync<S>>,
    id: fn(&str) -> Box<S::Id>,
    raw: Option<Raw>,
}

impl<S: AsyncStore<Account> + ?Sized> fmt::Debug for AsyncSubject<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AsyncSubject")
            .field("stats", &self.store.counters.stats())
            .field("raw", &self.raw.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> AsyncSubject<S>
where
    S: AsyncStore<Account> + Send + Sync + ?Sized + 'static,
    S::Id: Send,
{
    /// `store`, whose records are named by `id(account)` (for `Id = str`,
    /// [`str_id`](crate::str_id)), with raw access to its rows if it keeps
    /// bytes.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mfa::{MemoryStore, Protection, TotpRecord};
    /// use mfa_conformance::AsyncSubject;
    ///
    /// # fn main() -> Result<(), Box<dyn std::error::Error>> {
    /// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
    /// let subject = AsyncSubject::new(store, |a| Box::new(a.to_owned()), None);
    /// let runtime = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build()?;
    /// let report = runtime.block_on(mfa_conformance::exactly_once(&subject));
    /// assert!(report.ran);
    /// # Ok(()) }
    /// ```
    pub fn new(store: Arc<S>, id: fn(&str) -> Box<S::Id>, raw: Option<Raw>) -> Self {
        Self {
            store: Arc::new(CountingAsync {
                inner: store,
                counters: Counters::default(),
            }),
            id,
            raw,
        }
    }
}

impl<S: AsyncStore<Account> + ?Sized> private::Sealed for AsyncSubject<S> {}

impl<S> Subject for AsyncSubject<S>
where
    S: AsyncStore<Account> + Send + Sync + ?Sized + 'static,
    S::Id: Send,
{
    async fn run<T, Op>(&self, account: &str, op: Op) -> Ran<T>
    where
        T: Send + 'static,
        Op: FnMut(&Account) -> Transition<T, TotpRecord> + Send,
    {
        let id = (self.id)(account);
        mfa::run(&*self.store, &id, op).await
    }

    async fn run_many<T, Op>(&self, account: &str, tasks: usize, op: Op) -> Vec<Ran<T>>
    where
        T: Send + 'static,
        Op: Fn(&Account) -> Transition<T, TotpRecord> + Send + Sync + 'static,
    {
        let op = Arc::new(op);
        let start = Arc::new(tokio::sync::Barrier::new(tasks));
        let handles: Vec<_> = (0..tasks)
            .map(|_| {
                let (store, op, start) = (self.store.clone(), op.clone(), start.clone());
                let id = (self.id)(account);
                tokio::spawn(async move {
                    start.wait().await;
                    run_retrying(&store, &id, &*op).await
                })
            })
            .collect();
        let mut ran = Vec::with_capacity(tasks);
        for handle in handles {
            ran.push(handle.await.expect("a task panicked"));
        }
        ran
    }

    async fn load(&self, account: &str) -> Option<Account> {
        let id = (self.id)(account);
        self.store.inner.load(&id).await.expect("the store's load")
    }

    async fn insert(&self, account: &str, record: &Account) -> Cas {
        let id = (self.id)(account);
        self.store
            .inner
            .insert(&id, record)
            .await
            .expect("the store's insert")
    }

    fn has_raw(&self) -> bool {
        self.raw.is_some()
    }

    async fn put_raw(&self, account: &str, version: u64, bytes: Vec<u8>) {
        if let Some(raw) = &self.raw {
            (raw.put)(account.to_owned(), version, bytes)
                .await
                .expect("writing the raw row");
        }
    }

    async fn raw(&self, account: &str) -> Option<Vec<u8>> {
        match &self.raw {
            Some(raw) => (raw.get)(account.to_owned())
                .await
                .expect("reading the raw row"),
            None => None,
        }
    }

    fn stats(&self) -> Stats {
        self.store.counters.stats()
    }
}

/// A blocking store, counted: lost races are counted, and each load
/// yields the thread before it returns, so that threads interleave
/// between load and compare-and-set.
struct CountingBlocking<S: ?Sized> {
    inner: Arc<S>,
    counters: Counters,
}

impl<S> Store<Account> for CountingBlocking<S>
where
    S: Store<Account> + ?Sized,
{
    type Id = S::Id;
    type Error = S::Error;

    fn load(&self, id: &S::Id) -> Result<Option<Account>, S::Error> {
        let loaded = self.inner.load(id);
        std::thread::yield_now();
        loaded
    }

    fn insert(&self, id: &S::Id, record: &Account) -> Result<Cas, S::Error> {
        self.inner.insert(id, record)
    }

    fn compare_and_set(
        &self,
        id: &S::Id,
        expected: u64,
        record: &Account,
    ) -> Result<Cas, S::Error> {
        let cas = self.inner.compare_and_set(id, expected, record);
        if let Ok(Cas::Conflict) = cas {
            self.counters.conflicts.fetch_add(1, Ordering::Relaxed);
        }
        cas
    }
}

/// A blocking [`Store`] under test. Its checks are futures that never
/// wait: drive them with [`mfa::block_on`]; concurrent runs are threads.
pub struct BlockingSubject<S: Store<Account> + ?Sized> {
    store: Arc<CountingBlocking<S>>,
    id: fn(&str) -> Box<S::Id>,
    raw: Option<BlockingRaw>,
}

impl<S: Store<Account> + ?Sized> fmt::Debug for BlockingSubject<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BlockingSubject")
            .field("stats", &self.store.counters.stats())
            .field("raw", &self.raw.is_some())
            .finish_non_exhaustive()
    }
}

impl<S> BlockingSubject<S>
where
    S: Store<Account> + Send + Sync + ?Sized,
    S::Error: Error + Send + Sync + 'static,
{
    /// As [`AsyncSubject::new`], for a blocking store.
    ///
    /// ```
    /// use std::sync::Arc;
    /// use mfa::{MemoryStore, Protection, Store, TotpRecord};
    /// use mfa_conformance::BlockingSubject;
    ///
    /// let store: Arc<MemoryStore<String, Protection<TotpRecord>>> = Arc::new(MemoryStore::new());
    /// let subject = BlockingSubject::new(store.clone(), |a| Box::new(a.to_owned()), None);
    /// let report = mfa::block_on(mfa_conformance::version_wrap(&subject));
    /// assert!(report.ran);
    /// assert_eq!(store.len(), 1); // its account
    /// ```
    pub fn new(store: Arc<S>, id: fn(&str) -> Box<S::Id>, raw: Option<BlockingRaw>) -> Self {
        Self {
            store: Arc::new(CountingBlocking {
                inner: store,
                counters: Counters::default(),
            }),
            id,
            raw,
        }
    }

    fn run_retrying<T, Op>(&self, account: &str, op: &Op) -> Ran<T>
    where
        Op: Fn(&Account) -> Transition<T, TotpRecord>,
    {
        let id = (self.id)(account);
        for _ in 0..BUSY_RETRIES {
            let ran = mfa::run_blocking(&*self.store, &id, op);
            if !matches!(ran.result, Err(FlowError::Busy { .. })) {
                return ran;
            }
            self.store.counters.busy.fetch_add(1, Ordering::Relaxed);
        }
        panic!("still busy after {BUSY_RETRIES} runs: the store never lets a write through");
    }
}

impl<S: Store<Account> + ?Sized> private::Sealed for BlockingSubject<S> {}

impl<S> Subject for BlockingSubject<S>
where
    S: Store<Account> + Send + Sync + ?Sized,
    S::Error: Error + Send + Sync + 'static,
{
    async fn run<T, Op>(&self, account: &str, op: Op) -> Ran<T>
    where
        T: Send + 'static,
        Op: FnMut(&Account) -> Transition<T, TotpRecord> + Send,
    {
        let id = (self.id)(account);
        mfa::run_blocking(&*self.store, &id, op)
    }

    async fn run_many<T, Op>(&self, account: &str, tasks: usize, op: Op) -> Vec<Ran<T>>
    where
        T: Send + 'static,
        Op: Fn(&Account) -> Transition<T, TotpRecord> + Send + Sync + 'static,
    {
        let start = Barrier::new(tasks);
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..tasks)
                .map(|_| {
                    std::thread::Builder::new()
                        .stack_size(THREAD_STACK)
                        .spawn_scoped(scope, || {
                            start.wait();
                            self.run_retrying(account, &op)
                        })
                        .expect("a thread")
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("a thread panicked"))
                .collect()
        })
    }

    async fn load(&self, account: &str) -> Option<Account> {
        let id = (self.id)(account);
        self.store.inner.load(&id).expect("the store's load")
    }

    async fn insert(&self, account: &str, record: &Account) -> Cas {
        let id = (self.id)(account);
        self.store
            .inner
            .insert(&id, record)
            .expect("the store's insert")
    }

    fn has_raw(&self) -> bool {
        self.raw.is_some()
    }

    async fn put_raw(&self, account: &str, version: u64, bytes: Vec<u8>) {
        if let Some(raw) = &self.raw {
            (raw.put)(account, version, &bytes).expect("writing the raw row");
        }
    }

    async fn raw(&self, account: &str) -> Option<Vec<u8>> {
        match &self.raw {
            Some(raw) => (raw.get)(account).expect("reading the raw row"),
            None => None,
        }
    }

    fn stats(&self) -> Stats {
        self.store.counters.stats()
    }
}
