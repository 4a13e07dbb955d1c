//! The glue between the console and `mfa`: the store set-up, the one call
//! every handler makes to the runner (with the effects carried out), and
//! the mapping of a `FlowError` to a sentence for the person. Everything
//! else in the console is pages, users, sessions and the outbox. A test
//! (`tests::glue_is_small`) counts this file's code lines.

use std::str::FromStr;

use mfa::{
    AsyncStore, Effect, Either, EitherFactor, ErrorKind, FlowError, KeyUri, Protection,
    RecordCodec, RecoveryCode, SmsFactor, SmsRecord, TotpFactor, TotpRecord, Transition,
};
use mfa_sqlx::{PgPool, Postgres, Sqlite, SqlitePool, SqlxStore};
use sqlx::sqlite::SqliteConnectOptions;

use crate::outbox::{self, Sender};

/// The factor kinds offered: an authenticator app or a phone.
pub type Factor = EitherFactor<TotpFactor, SmsFactor>;
/// The factor record of an account: an app's key or a phone.
pub type Record = Either<TotpRecord, SmsRecord>;
/// An account's protection record, as stored.
pub type Account = Protection<Record>;

/// The account records' store: SQLite (a file) or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Store {
    /// `sqlite://…`
    Sqlite(SqlxStore<Sqlite>),
    /// `postgres://…`
    Postgres(SqlxStore<Postgres>),
}

/// Connects to `url` (a SQLite file, created if missing, or PostgreSQL)
/// and applies the store's migrations.
pub async fn open_store(url: &str, codec: RecordCodec) -> Result<Store, crate::BoxError> {
    if url.starts_with("postgres") {
        let store = SqlxStore::new(PgPool::connect(url).await?, codec);
        store.migrate().await?;
        return Ok(Store::Postgres(store));
    }
    let options = SqliteConnectOptions::from_str(url)?.create_if_missing(true);
    let store = SqlxStore::new(SqlitePool::connect_with(options).await?, codec);
    store.migrate().await?;
    Ok(Store::Sqlite(store))
}

/// What a run left for the page, once its effects were carried out.
#[derive(Debug)]
pub struct Done<S> {
    /// The flow state to keep, if it changed.
    pub state: Option<S>,
    /// The key to show (TOTP setup), once.
    pub key: Option<KeyUri>,
    /// The recovery codes to show, once.
    pub codes: Option<Vec<RecoveryCode>>,
    /// Where a code was just sent.
    pub sent_to: Option<mfa::Destination>,
    /// Whether the step went through.
    pub result: Result<(), FlowError>,
}

/// Runs one flow operation on `user`'s record through `mfa::run`, then
/// carries out its effects: codes and notices go to the sender, the key
/// and recovery codes come back for the page.
pub async fn run<S>(
    store: &Store,
    sender: &dyn Sender,
    user: &crate::users::User,
    op: impl FnMut(&Account) -> Transition<S, Record> + Send,
) -> Done<S> {
    let ran = match store {
        Store::Sqlite(s) => mfa::run(s, user.name.as_str(), op).await,
        Store::Postgres(s) => mfa::run(s, user.name.as_str(), op).await,
    };
    let mut done = Done {
        state: ran.state,
        key: None,
        codes: None,
        sent_to: None,
        result: ran.result,
    };
    let mut messages = Vec::new();
    for effect in ran.effects {
        match effect {
            Effect::ShowKey(uri) => done.key = Some(uri),
            Effect::ShowRecoveryCodes(codes) => done.codes = Some(codes),
            Effect::Notify { event, at } => messages.push(outbox::notice(&user.email, event, at)),
            Effect::Deliver(d) => {
                done.sent_to = Some(d.destination().clone());
                messages.push(outbox::code_message(&d));
            }
        }
    }
    for message in messages {
        if let Err(e) = sender.send(message).await {
            eprintln!("console: sending failed: {e}");
            done.result = Err(FlowError::Internal("a message could not be sent"));
        }
    }
    done
}

/// `user`'s record as stored (a new one if none yet), for the pages and
/// for `Verification::authorize`.
pub async fn account(store: &Store, user: &crate::users::User) -> Result<Account, FlowError> {
    let loaded = match store {
        Store::Sqlite(s) => s.load(user.name.as_str()).await,
        Store::Postgres(s) => s.load(user.name.as_str()).await,
    };
    loaded
        .map_err(|e| FlowError::Storage(std::sync::Arc::new(e)))?
        .map_or_else(Protection::new, Ok)
}

/// A refusal as a person would want to read it: the crate's message as a
/// sentence, but "Wrong code." for a rejected one and "start again" for a
/// stale step; the server's own failures are logged, and said as such.
pub fn say(e: &FlowError) -> String {
    match (e.kind(), e.code()) {
        (_, "rejected") => "Wrong code.".to_owned(),
        (ErrorKind::State, "expired" | "tampered" | "wrong_state" | "wrong_account") => {
            "This step has expired. Start again.".to_owned()
        }
        (ErrorKind::Server, _) => {
            eprintln!("console: {e}: {:?}", std::error::Error::source(e));
            "Something went wrong on our side. Try again.".to_owned()
        }
        _ => crate::pages::sentence(&e.to_string()),
    }
}
