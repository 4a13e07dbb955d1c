//! Layer 4: the runner that carries a flow's [`Transition`] out against a
//! store (load, call, compare-and-set, retry on a lost race), blocking or
//! async, and the async store trait the adapters implement.

mod budget;
#[cfg(feature = "codec")]
mod codec;

pub use budget::{spend_budget, spend_budgets, spend_budgets_blocking};
#[cfg(feature = "codec")]
#[cfg_attr(docsrs, doc(cfg(feature = "codec")))]
pub use codec::{CodecError, RecordCodec, StoredRecord};

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::future::Future;

use crate::flow::{Audit, Effect, Event, FlowError, Protection, Transition};
use crate::record::{Cas, Destination, OobDelivery, RecoveryCode, Store, Versioned};
use crate::uri::KeyUri;

/// How many times a runner calls the operation before it gives up on a
/// record that keeps changing under it ([`FlowError::Busy`]).
pub const MAX_TRIES: u32 = 8;

/// What a run left for the host once the record is written: the effects to
/// carry out (deliver, notify, show), the state to keep, and the result.
///
/// ```
/// use mfa::{FlowError, Ran};
///
/// let ran: Ran<u8> = Ran::failed(FlowError::Busy { tries: 8 });
/// assert!(ran.state.is_none() && ran.effects.is_empty());
/// assert_eq!(ran.result, Err(FlowError::Busy { tries: 8 }));
/// ```
#[must_use = "carry out the effects, keep the state, then answer with the result"]
#[derive(Clone, Debug)]
pub struct Ran<S> {
    /// The state to keep from now on; `None`: keep the one you had.
    pub state: Option<S>,
    /// What to do, in order: the record they follow from is written.
    pub effects: Vec<Effect>,
    /// Whether the call went through.
    pub result: Result<(), FlowError>,
}

impl<S> Ran<S> {
    /// A run that wrote nothing and leaves nothing to do.
    ///
    /// ```
    /// let ran: mfa::Ran<()> = mfa::Ran::failed(mfa::FlowError::Expired);
    /// assert!(ran.result.is_err());
    /// ```
    pub const fn failed(error: FlowError) -> Self {
        Self {
            state: None,
            effects: Vec::new(),
            result: Err(error),
        }
    }

    /// The key to show the user once, for their authenticator app to scan
    /// (a TOTP setup): the [`Effect::ShowKey`] among the effects.
    ///
    /// ```
    /// # // The code e-mailed: what your mailer sends, from `Effect::Deliver`.
    /// # fn delivered(ran: &mfa::Ran<mfa::Enrollment>) -> String {
    /// #     ran.effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).unwrap_or_default()
    /// # }
    /// use mfa::{Destination, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let (ada, email) = (String::from("ada"), Destination::email("ada@example.com")?);
    /// let now = 1_700_000_000;
    ///
    /// // Her identity, by the code e-mailed to her verified address...
    /// let ran = mfa::run_blocking(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, now));
    /// assert!(ran.key().is_none()); // no key yet: a code to deliver
    /// let (enrollment, code) = (ran.state.clone().ok_or(FlowError::Internal("no state"))?, delivered(&ran));
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.verify_identity(&flows, a, &code, now));
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// // ...then the key, named after her address in her app.
    /// let name = String::from("ada@example.com");
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.setup(&flows, a, &name, now));
    /// let key = ran.key().ok_or(FlowError::Internal("no key"))?;
    /// assert_eq!((key.issuer(), key.account()), (Some("Example Co"), "ada@example.com"));
    /// assert!(key.to_uri().starts_with("otpauth://totp/"));
    /// // Its QR code (feature `qr`) and its secret in Base32 go on the page.
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn key(&self) -> Option<&KeyUri> {
        self.effects.iter().find_map(|effect| match effect {
            Effect::ShowKey(key) => Some(key),
            _ => None,
        })
    }

    /// The recovery codes to show the user once (to print or save), when
    /// protection was just turned on or the codes were made anew: the
    /// [`Effect::ShowRecoveryCodes`] among the effects.
    ///
    /// ```
    /// # fn delivered(ran: &mfa::Ran<mfa::Enrollment>) -> String {
    /// #     ran.effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).unwrap_or_default()
    /// # }
    /// use mfa::{Destination, Enrollment, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord};
    ///
    /// // Recovery codes made fast for the example.
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
    /// let (ada, email) = (String::from("ada"), Destination::email("ada@example.com")?);
    /// let now = 1_700_000_000;
    ///
    /// // Her identity by e-mail, then the key her app scans (see `Ran::key`).
    /// let ran = mfa::run_blocking(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, now));
    /// let (enrollment, code) = (ran.state.clone().ok_or(FlowError::Internal("no state"))?, delivered(&ran));
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.verify_identity(&flows, a, &code, now));
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let name = String::from("ada@example.com");
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.setup(&flows, a, &name, now));
    /// let app = ran.key().ok_or(FlowError::Internal("no key"))?.to_totp()?;
    /// assert!(ran.recovery_codes().is_none()); // not on yet
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    ///
    /// // The code her app shows turns protection on: her recovery codes, once.
    /// let code = app.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.confirm(&flows, a, &[&code], now));
    /// ran.result.clone()?;
    /// assert_eq!(ran.recovery_codes().map(<[_]>::len), Some(3));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn recovery_codes(&self) -> Option<&[RecoveryCode]> {
        self.effects.iter().find_map(|effect| match effect {
            Effect::ShowRecoveryCodes(codes) => Some(codes.as_slice()),
            _ => None,
        })
    }

    /// Where a code goes (an e-mail address, a phone), for the page that
    /// asks for it ("we sent a code to …"): the destination of the
    /// [`Effect::Deliver`] among the effects, which the host delivers.
    ///
    /// ```
    /// use mfa::{Destination, Enrollment, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
    /// let ada = String::from("ada");
    /// let email = Destination::email("ada@example.com")?; // the contact she picked
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, 1_700_000_000));
    /// ran.result.clone()?;
    /// assert_eq!(ran.sent_to(), Some(&email)); // the identity code, to her address
    /// assert_eq!(ran.sent_to().map(ToString::to_string).as_deref(), Some("ada@example.com"));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn sent_to(&self) -> Option<&Destination> {
        self.deliveries().next().map(OobDelivery::destination)
    }

    /// The codes to send, in order, each to its destination (by SMS or
    /// e-mail): the [`Effect::Deliver`]s among the effects, for the SMS
    /// gateway or the mailer.
    ///
    /// ```
    /// use mfa::{Destination, Enrollment, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
    /// let (ada, email) = (String::from("ada"), Destination::email("ada@example.com")?);
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, 1_700_000_000));
    /// for delivery in ran.deliveries() {
    ///     // Your mailer: "Your verification code is …".
    ///     assert_eq!(delivery.destination(), &email);
    ///     assert_eq!(delivery.code().expose().len(), 6);
    /// }
    /// assert_eq!(ran.deliveries().count(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn deliveries(&self) -> impl Iterator<Item = &OobDelivery> {
        self.effects.iter().filter_map(|effect| match effect {
            Effect::Deliver(delivery) => Some(delivery),
            _ => None,
        })
    }

    /// What to tell the account's owner, in order, each with its time (Unix
    /// seconds), through a channel of their own (an e-mail to the account's
    /// address): the [`Effect::Notify`]s among the effects.
    ///
    /// ```
    /// # fn delivered(ran: &mfa::Ran<mfa::Enrollment>) -> String {
    /// #     ran.deliveries().next().map(|d| d.code().expose().to_owned()).unwrap_or_default()
    /// # }
    /// use mfa::{Destination, Enrollment, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord};
    ///
    /// // Recovery codes made fast for the example.
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
    /// let (ada, email) = (String::from("ada"), Destination::email("ada@example.com")?);
    /// let now = 1_700_000_000;
    ///
    /// // Her identity by e-mail, the key her app scans, then its code (see `Ran::key`).
    /// let ran = mfa::run_blocking(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, now));
    /// assert_eq!(ran.notices().count(), 0); // a code to deliver, nothing to tell
    /// let (enrollment, code) = (ran.state.clone().ok_or(FlowError::Internal("no state"))?, delivered(&ran));
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.verify_identity(&flows, a, &code, now));
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let name = String::from("ada@example.com");
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.setup(&flows, a, &name, now));
    /// let app = ran.key().ok_or(FlowError::Internal("no key"))?.to_totp()?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = app.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.confirm(&flows, a, &[&code], now));
    ///
    /// // Protection is on: tell her (an e-mail to her address).
    /// assert_eq!(ran.notices().collect::<Vec<_>>(), [(Event::FactorBound { kind: "totp" }, now)]);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn notices(&self) -> impl Iterator<Item = (Event, u64)> + '_ {
        self.effects.iter().filter_map(|effect| match effect {
            Effect::Notify { event, at } => Some((*event, *at)),
            _ => None,
        })
    }

    /// What to write to the security audit log, in order: the
    /// [`Effect::Audit`]s among the effects (the account id and time are
    /// in them; [`Audit`](crate::Audit) holds no personal data).
    ///
    /// ```
    /// # fn delivered(ran: &mfa::Ran<mfa::Enrollment>) -> String {
    /// #     ran.deliveries().next().map(|d| d.code().expose().to_owned()).unwrap_or_default()
    /// # }
    /// use mfa::{Audit, Destination, Enrollment, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord};
    ///
    /// // Recovery codes made fast for the example.
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
    /// let (ada, email) = (String::from("ada"), Destination::email("ada@example.com")?);
    /// let now = 1_700_000_000;
    ///
    /// // Her identity by e-mail, the key her app scans, then its code (see `Ran::key`).
    /// let ran = mfa::run_blocking(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, now));
    /// assert_eq!(ran.notices().count(), 0); // a code to deliver, nothing to tell
    /// let (enrollment, code) = (ran.state.clone().ok_or(FlowError::Internal("no state"))?, delivered(&ran));
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.verify_identity(&flows, a, &code, now));
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let name = String::from("ada@example.com");
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.setup(&flows, a, &name, now));
    /// let app = ran.key().ok_or(FlowError::Internal("no key"))?.to_totp()?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = app.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.confirm(&flows, a, &[&code], now));
    ///
    /// // Protection is on: an audit event names the new factor by its id.
    /// let account = mfa::load_blocking(&store, &ada)?;
    /// assert_eq!(
    ///     ran.audit().cloned().collect::<Vec<_>>(),
    ///     [Audit::ProtectionOn { factor: *account.factors()[0].id(), kind: "totp" }]
    /// );
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn audit(&self) -> impl Iterator<Item = &Audit> {
        self.effects.iter().filter_map(|effect| match effect {
            Effect::Audit { event, .. } => Some(event),
            _ => None,
        })
    }

    /// Whether to end the account's other sessions
    /// ([`Effect::EndOtherSessions`] among the effects): protection was
    /// turned on or off, or a factor added, removed or replaced.
    ///
    /// ```
    /// # fn delivered(ran: &mfa::Ran<mfa::Enrollment>) -> String {
    /// #     ran.deliveries().next().map(|d| d.code().expose().to_owned()).unwrap_or_default()
    /// # }
    /// use mfa::{Audit, Destination, Enrollment, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord};
    ///
    /// // Recovery codes made fast for the example.
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
    /// let (ada, email) = (String::from("ada"), Destination::email("ada@example.com")?);
    /// let now = 1_700_000_000;
    ///
    /// // Her identity by e-mail, the key her app scans, then its code (see `Ran::key`).
    /// let ran = mfa::run_blocking(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, now));
    /// assert_eq!(ran.notices().count(), 0); // a code to deliver, nothing to tell
    /// let (enrollment, code) = (ran.state.clone().ok_or(FlowError::Internal("no state"))?, delivered(&ran));
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.verify_identity(&flows, a, &code, now));
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let name = String::from("ada@example.com");
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.setup(&flows, a, &name, now));
    /// let app = ran.key().ok_or(FlowError::Internal("no key"))?.to_totp()?;
    /// let enrollment = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = app.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |a| enrollment.confirm(&flows, a, &[&code], now));
    ///
    /// // Protection is on: sessions opened before (on a stolen password,
    /// // maybe) must end.
    /// assert!(ran.ends_other_sessions());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn ends_other_sessions(&self) -> bool {
        self.effects
            .iter()
            .any(|effect| matches!(effect, Effect::EndOtherSessions))
    }
}

/// A store of account records with compare-and-set, for async services:
/// the same contract as the blocking [`Store`], with `Send` futures (axum
/// handlers need them). The adapters (`mfa-sqlx` for PostgreSQL and
/// SQLite, `mfa-redis`) implement it, and so does
/// [`MemoryStore`](crate::MemoryStore).
///
/// - `load` returns the record, or `None` if there is none under `id`.
/// - `insert` writes a record only if there is none under `id`
///   ([`Cas::Conflict`] otherwise).
/// - `compare_and_set` writes `record` only where the stored version is
///   still `expected` ([`Cas::Conflict`] otherwise): `UPDATE … WHERE
///   version = ?` in SQL, a Lua script or `WATCH`/`MULTI` in Redis.
///
/// ```
/// use mfa::{AsyncStore, Cas, MemoryStore, Protection, TotpRecord};
///
/// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
/// let ada = String::from("ada"); // the account's id
/// let account = Protection::new()?;
/// mfa::block_on(async {
///     assert_eq!(AsyncStore::insert(&store, &ada, &account).await?, Cas::Committed);
///     assert_eq!(AsyncStore::load(&store, &ada).await?, Some(account));
///     Ok::<(), mfa::Error>(())
/// })?;
/// # Ok::<(), mfa::Error>(())
/// ```
pub trait AsyncStore<R: Versioned> {
    /// What names a record: the account's id.
    type Id: ?Sized + Sync;
    /// What the backend fails with.
    type Error: core::error::Error + Send + Sync + 'static;

    /// The record under `id`, if any.
    fn load(&self, id: &Self::Id) -> impl Future<Output = Result<Option<R>, Self::Error>> + Send;

    /// Writes `record` under `id` if there is none.
    fn insert(
        &self,
        id: &Self::Id,
        record: &R,
    ) -> impl Future<Output = Result<Cas, Self::Error>> + Send;

    /// Writes `record` under `id` if the stored version is `expected`.
    fn compare_and_set(
        &self,
        id: &Self::Id,
        expected: u64,
        record: &R,
    ) -> impl Future<Output = Result<Cas, Self::Error>> + Send;
}

/// Checks a transition against the record it was computed from: nothing to
/// write (done), or one write to make with compare-and-set.
#[allow(clippy::type_complexity)]
fn settle<S, R>(
    loaded: &Protection<R>,
    transition: Transition<S, R>,
) -> Result<(Option<(u64, Protection<R>)>, Ran<S>), FlowError>
where
    R: Clone,
{
    let (state, persist, effects, result) = transition.into_parts();
    let ran = Ran {
        state,
        effects,
        result,
    };
    let Some(persist) = persist else {
        return Ok((None, ran));
    };
    let version = loaded.version();
    if persist.expected_version != version || persist.record.version() != version.wrapping_add(1) {
        return Err(FlowError::Internal(
            "a transition's write does not follow the record it was computed from",
        ));
    }
    Ok((Some((persist.expected_version, persist.record)), ran))
}

/// The error of a store, as a [`FlowError::Storage`].
fn storage<E: core::error::Error + Send + Sync + 'static>(e: E) -> FlowError {
    FlowError::Storage(Arc::new(e))
}

/// The account under `id` as stored, for a page (is protection on, for
/// which scenarios, by which factor): a new [`Protection`], not stored, if
/// there is none yet (the first [`run`] stores one). A store failure is
/// [`FlowError::Storage`], the store's error as its source.
///
/// # Errors
///
/// [`FlowError::Storage`] from the store, [`FlowError::RandomSource`] if
/// a new record cannot draw its id.
///
/// ```
/// use mfa::{Destination, Enrollment, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
/// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
/// let ada = String::from("ada"); // the signed-in user's id
///
/// // In an axum handler: `mfa::load(&store, &ada).await?`.
/// let account = mfa::block_on(mfa::load(&store, &ada))?;
/// assert!(!account.is_on() && account.version() == 0); // none stored: a new one
///
/// let email = Destination::email("ada@example.com")?;
/// let ran = mfa::run(&store, &ada, |a| Enrollment::start(&flows, a, &[Scenario::LogOn], &[email.clone()], &email, 1_700_000_000));
/// mfa::block_on(ran).result?;
/// assert_eq!(mfa::block_on(mfa::load(&store, &ada))?.version(), 1); // the one the run wrote
/// # Ok::<(), mfa::Error>(())
/// ```
pub async fn load<St, R>(store: &St, id: &St::Id) -> Result<Protection<R>, FlowError>
where
    St: AsyncStore<Protection<R>> + Sync,
    R: Clone,
{
    store
        .load(id)
        .await
        .map_err(storage)?
        .map_or_else(Protection::new, Ok)
}

/// As [`load`], from a blocking [`Store`] (rusqlite, the
/// [`MemoryStore`](crate::MemoryStore)).
///
/// # Errors
///
/// As [`load`]: [`FlowError::Storage`], [`FlowError::RandomSource`].
///
/// ```
/// use mfa::{MemoryStore, Protection, SmsRecord, Store};
///
/// let store: MemoryStore<String, Protection<SmsRecord>> = MemoryStore::new();
/// let ada = String::from("ada");
/// assert_eq!(mfa::load_blocking(&store, &ada)?.version(), 0); // none stored: a new one
///
/// let stored = Protection::new()?;
/// store.insert(&ada, &stored)?;
/// assert_eq!(mfa::load_blocking(&store, &ada)?, stored);
/// # Ok::<(), mfa::Error>(())
/// ```
pub fn load_blocking<St, R>(store: &St, id: &St::Id) -> Result<Protection<R>, FlowError>
where
    St: Store<Protection<R>>,
    St::Error: core::error::Error + Send + Sync + 'static,
    R: Clone,
{
    store
        .load(id)
        .map_err(storage)?
        .map_or_else(Protection::new, Ok)
}

/// Runs a flow operation against an async store: loads the account under
/// `id` (a new [`Protection`] is inserted on its first visit), calls `op`
/// with it, writes the transition's record by compare-and-set, and on a
/// lost race loads again and calls `op` again, up to [`MAX_TRIES`] times.
/// The effects come back only once their record is written.
///
/// `op` is `FnMut`: it is called once per try, with the record as loaded.
/// Store failures are [`FlowError::Storage`]; a record that kept changing,
/// [`FlowError::Busy`].
///
/// ```
/// use mfa::{Destination, Enrollment, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
/// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
/// let email = Destination::email("ada@example.com")?; // the user's verified address
/// let ada = String::from("ada"); // the signed-in user's id
/// let now = 1_700_000_000;
///
/// // In an axum handler: `.await` on the tokio runtime.
/// let ran = mfa::block_on(mfa::run(&store, &ada, |account| {
///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, now)
/// }));
/// ran.result?;
/// // The identity-code record is written; the code is for the mailer.
/// assert!(matches!(ran.effects.as_slice(), [mfa::Effect::Deliver(_)]));
/// assert!(ran.state.is_some()); // the enrollment, for the session
/// # Ok::<(), mfa::Error>(())
/// ```
pub async fn run<St, R, S, Op>(store: &St, id: &St::Id, mut op: Op) -> Ran<S>
where
    St: AsyncStore<Protection<R>> + Sync,
    R: Clone,
    Op: FnMut(&Protection<R>) -> Transition<S, R>,
{
    for _ in 0..MAX_TRIES {
        let account = match store.load(id).await {
            Ok(Some(account)) => account,
            Ok(None) => {
                let new = match Protection::new() {
                    Ok(new) => new,
                    Err(e) => return Ran::failed(e),
                };
                // Committed or not (another request made it first): load it.
                if let Err(e) = store.insert(id, &new).await {
                    return Ran::failed(storage(e));
                }
                continue;
            }
            Err(e) => return Ran::failed(storage(e)),
        };
        let (write, ran) = match settle(&account, op(&account)) {
            Ok(settled) => settled,
            Err(e) => return Ran::failed(e),
        };
        let Some((expected, record)) = write else {
            return ran;
        };
        match store.compare_and_set(id, expected, &record).await {
            Ok(Cas::Committed) => return ran,
            Ok(Cas::Conflict) => {}
            Err(e) => return Ran::failed(storage(e)),
        }
    }
    Ran::failed(FlowError::Busy { tries: MAX_TRIES })
}

/// As [`run`], against a blocking [`Store`] (rusqlite, the
/// [`MemoryStore`](crate::MemoryStore)).
///
/// ```
/// use mfa::{Destination, Enrollment, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
/// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new();
/// let email = Destination::email("ada@example.com")?;
/// let ada = "ada".to_owned();
///
/// let ran = mfa::run_blocking(&store, &ada, |account| {
///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, 1_700_000_000)
/// });
/// ran.result?;
/// assert_eq!(mfa::Store::load(&store, &ada)?.map(|a| a.version()), Some(1));
/// # Ok::<(), mfa::Error>(())
/// ```
pub fn run_blocking<St, R, S, Op>(store: &St, id: &St::Id, mut op: Op) -> Ran<S>
where
    St: Store<Protection<R>>,
    St::Error: core::error::Error + Send + Sync + 'static,
    R: Clone,
    Op: FnMut(&Protection<R>) -> Transition<S, R>,
{
    for _ in 0..MAX_TRIES {
        let account = match store.load(id) {
            Ok(Some(account)) => account,
            Ok(None) => {
                let new = match Protection::new() {
                    Ok(new) => new,
                    Err(e) => return Ran::failed(e),
                };
                if let Err(e) = store.insert(id, &new) {
                    return Ran::failed(storage(e));
                }
                continue;
            }
            Err(e) => return Ran::failed(storage(e)),
        };
        let (write, ran) = match settle(&account, op(&account)) {
            Ok(settled) => settled,
            Err(e) => return Ran::failed(e),
        };
        let Some((expected, record)) = write else {
            return ran;
        };
        match store.compare_and_set(id, expected, &record) {
            Ok(Cas::Committed) => return ran,
            Ok(Cas::Conflict) => {}
            Err(e) => return Ran::failed(storage(e)),
        }
    }
    Ran::failed(FlowError::Busy { tries: MAX_TRIES })
}

/// Drives a future to completion on the calling thread, for doctests and
/// blocking code over an [`AsyncStore`] whose futures never wait on IO
/// (the [`MemoryStore`](crate::MemoryStore)): a future that returns
/// `Pending` is polled again at once. Use your runtime (tokio) for real
/// stores.
///
/// ```
/// assert_eq!(mfa::block_on(async { 1 + 1 }), 2);
/// ```
#[cfg(feature = "std")]
#[cfg_attr(docsrs, doc(cfg(feature = "std")))]
pub fn block_on<T>(future: impl Future<Output = T>) -> T {
    use core::pin::pin;
    use core::task::{Context, Poll, Waker};

    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::yield_now();
    }
}

/// The same map, for async services: each call is one map operation under
/// the lock, and never waits.
#[cfg(feature = "std")]
impl<K, R> AsyncStore<R> for crate::record::MemoryStore<K, R>
where
    K: Eq + core::hash::Hash + Clone + Send + Sync,
    R: Versioned + Clone + Send + Sync,
{
    type Id = K;
    type Error = core::convert::Infallible;

    fn load(
        &self,
        id: &K,
    ) -> impl core::future::Future<Output = Result<Option<R>, core::convert::Infallible>> + Send
    {
        core::future::ready(Store::load(self, id))
    }

    fn insert(
        &self,
        id: &K,
        record: &R,
    ) -> impl core::future::Future<Output = Result<Cas, core::convert::Infallible>> + Send {
        core::future::ready(Store::insert(self, id, record))
    }

    fn compare_and_set(
        &self,
        id: &K,
        expected: u64,
        record: &R,
    ) -> impl core::future::Future<Output = Result<Cas, core::convert::Infallible>> + Send {
        core::future::ready(Store::compare_and_set(self, id, expected, record))
    }
}

#[cfg(all(test, feature = "std"))]
mod tests;
