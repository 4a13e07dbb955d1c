//! The glue between the console and `mfa`: the store set-up, the one call
//! every handler makes to the runner (with the effects carried out), and
//! the mapping of a `FlowError` to a sentence for the person. Everything
//! else in the console is pages, users, sessions and the outbox. A test
//! (`tests::glue_is_small`) counts this file's code lines.

use std::str::FromStr;

use mfa::{
    AsyncStore, Effect, Either, EitherFactor, FlowError, KeyUri, Protection, RecordCodec,
    RecoveryCode, SmsFactor, SmsRecord, TotpFactor, TotpRecord, Transition,
};
use mfa_sqlx::{PgPool, Postgres, Sqlite, SqlitePool, SqlxStore};
use sqlx::{postgres::PgConnectOptions, sqlite::SqliteConnectOptions};

use crate::outbox::{self, Sender};

/// The factor kinds offered: an authenticator app or a phone.
pub type Factor = EitherFactor<TotpFactor, SmsFactor>;
/// An account's protection record, as stored.
pub type Account = Protection<Either<TotpRecord, SmsRecord>>;

/// The account records' store: SQLite (a file) or PostgreSQL.
#[derive(Clone, Debug)]
pub enum Store {
    /// `sqlite://…`
    Sqlite(SqlxStore<Sqlite>),
    /// `postgres://…`, in `schema` when one is given.
    Postgres(SqlxStore<Postgres>),
}

/// Connects to `url` (SQLite file created if missing; PostgreSQL tables in
/// `schema`, created if missing) and applies the store's migrations.
pub async fn open_store(
    url: &str,
    schema: Option<&str>,
    codec: RecordCodec,
) -> Result<Store, crate::BoxError> {
    if url.starts_with("postgres") {
        let mut options = PgConnectOptions::from_str(url)?;
        if let Some(schema) = schema {
            let admin = PgPool::connect_with(options.clone()).await?;
            let sql = format!(
                "CREATE SCHEMA IF NOT EXISTS \"{}\"",
                schema.replace('"', "")
            );
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&admin)
                .await?;
            options = options.options([("search_path", schema)]);
        }
        let store = SqlxStore::new(PgPool::connect_with(options).await?, codec);
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
    op: impl FnMut(&Account) -> Transition<S, Either<TotpRecord, SmsRecord>> + Send,
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
    for effect in ran.effects {
        let message = match effect {
            Effect::Deliver(d) => {
                done.sent_to = Some(d.destination().clone());
                outbox::code_message(&d)
            }
            Effect::Notify { event, at } => outbox::notice(&user.email, event, at),
            Effect::ShowKey(uri) => {
                done.key = Some(uri);
                continue;
            }
            Effect::ShowRecoveryCodes(codes) => {
                done.codes = Some(codes);
                continue;
            }
        };
        if let Err(e) = sender.send(message).await {
            eprintln!("console: sending failed: {e}");
            done.result = done
                .result
                .and(Err(FlowError::Internal("the message could not be sent")));
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

/// A refusal as a person would want to read it; the server's own failures
/// are logged, and said as such.
pub fn say(e: &FlowError) -> String {
    let wait = e
        .retry_after()
        .map(crate::pages::duration)
        .unwrap_or_default();
    match e.code() {
        "rejected" => "Wrong code.".to_owned(),
        "backoff" | "locked_out" => format!("Too many wrong codes. Try again in {wait}."),
        "code_cooldown" => format!("We just sent you a code. You can ask for a new one in {wait}."),
        "code_send_limit" => format!("We have sent too many codes. Try again in {wait}."),
        "code_expired" | "code_used_up" => {
            "That code no longer works. Ask for a new one.".to_owned()
        }
        "no_code_sent" => "Ask for a code first.".to_owned(),
        "malformed" => "That is not a code: type the digits you received.".to_owned(),
        "recovery_code_form" => "That is not a recovery code: type it as it was shown.".to_owned(),
        "no_recovery_codes_left" => "No recovery codes are left.".to_owned(),
        "scenarios" => "Choose at least one: log-on or critical operations.".to_owned(),
        "expired" | "tampered" | "wrong_state" | "wrong_account" => {
            "This step has expired. Start again.".to_owned()
        }
        "check_required" => "Confirm it is you first.".to_owned(),
        _ if e.kind() == mfa::ErrorKind::Server => {
            eprintln!(
                "console: {e} ({:?})",
                std::error::Error::source(e).map(ToString::to_string)
            );
            "Something went wrong on our side. Try again.".to_owned()
        }
        _ => crate::pages::sentence(&e.to_string()),
    }
}
