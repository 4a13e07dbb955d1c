//! The glue between the console and `mfa`: the store set-up, the runner
//! every handler calls (with the deliveries and notices carried out), the
//! account's load, and the mapping of a `FlowError` to a sentence for the
//! person. The handlers call it in one statement per flow operation
//! (`app.mfa.run(&user, |f, a| e.confirm(f, a, &[&code], now))`); the rest
//! of the console is pages, users, sessions and the outbox. A test
//! (`tests::glue_is_small`) counts this file's code lines and the
//! handlers' calls, and keeps the sum under 100.

use mfa::{
    AsyncStore, Effect, Either, EitherFactor, ErrorKind, FlowError, FlowPolicy, Flows, Keyring,
    OobPolicy, Protection, Ran, RecordCodec, SmsFactor, SmsRecord, TotpFactor, TotpRecord,
    Transition,
};
use mfa_sqlx::AnyStore;
use std::sync::Arc;

use crate::BoxError;
use crate::keys::Keys;
use crate::outbox::{self, Sender};
use crate::users::User;

/// The factor kinds offered: an authenticator app or a phone.
pub type Factor = EitherFactor<TotpFactor, SmsFactor>;
/// The factor record of an account: an app's key or a phone.
pub type Record = Either<TotpRecord, SmsRecord>;
/// An account's protection record, as stored.
pub type Account = Protection<Record>;

/// The crate's side of the console: the flows, the store, where codes
/// and notices go.
pub struct Console {
    /// The flows, built once at start-up.
    pub flows: Flows<Factor>,
    /// The account records.
    pub store: AnyStore,
    /// Where codes and notices go.
    pub sender: Arc<dyn Sender>,
}

impl Console {
    /// Opens the store `url` names (`sqlite://…`, `postgres://…`; its
    /// schema applied) and builds the flows with `keys`; codes and notices
    /// go to `sender`.
    pub async fn open(url: &str, keys: Keys, sender: Arc<dyn Sender>) -> Result<Self, BoxError> {
        let codec = RecordCodec::new(Keyring::new(keys.sealing));
        let store = AnyStore::connect(url, codec).await?;
        let sms = SmsFactor::new(keys.oob.clone(), OobPolicy::default())?;
        let factor = EitherFactor::new(TotpFactor::new("Example Co")?, sms);
        let flows = Flows::new(factor, keys.oob, FlowPolicy::default())?;
        Ok(Self {
            flows,
            store,
            sender,
        })
    }

    /// Runs one flow operation (called with the flows and the account as
    /// stored) on `user`'s record through `mfa::run`, then carries out its
    /// deliveries and notices through the sender; the key and recovery
    /// codes to show stay in `effects`, for the page.
    pub async fn run<S>(
        &self,
        user: &User,
        mut op: impl FnMut(&Flows<Factor>, &Account) -> Transition<S, Record> + Send,
    ) -> Ran<S> {
        let flows = &self.flows;
        let mut ran = mfa::run(&self.store, user.name.as_str(), |a| op(flows, a)).await;
        for effect in &ran.effects {
            let message = match effect {
                Effect::Deliver(d) => outbox::code_message(d),
                Effect::Notify { event, at } => outbox::notice(&user.email, *event, *at),
                Effect::ShowKey(_) | Effect::ShowRecoveryCodes(_) => continue,
            };
            if let Err(e) = self.sender.send(message).await {
                eprintln!("console: sending failed: {e}");
                ran.result = Err(FlowError::Internal("a message could not be sent"));
            }
        }
        ran
    }

    /// `user`'s record as stored (a new one if none yet), for the pages.
    pub async fn account(&self, user: &User) -> Result<Account, FlowError> {
        self.store
            .load(user.name.as_str())
            .await
            .map_err(|e| FlowError::Storage(Arc::new(e)))?
            .map_or_else(Protection::new, Ok)
    }
}

/// A refusal as a person would want to read it: the crate's message as
/// sentences ("Too many failed attempts. Try again in 20 s."), but "Wrong
/// code." for a rejected one and "out of date" for a step that does not fit
/// the state (a form sent twice, an old tab); the server's own failures are
/// logged, and said as such.
pub fn say(e: &FlowError) -> String {
    if e.kind() == ErrorKind::Server {
        eprintln!("console: {e}: {:?}", std::error::Error::source(e));
        return "Something went wrong on our side. Try again.".to_owned();
    }
    match e.code() {
        "rejected" => "Wrong code.".to_owned(),
        "wrong_state" | "tampered" => "This page is out of date. Start again.".to_owned(),
        _ => crate::pages::sentence(&e.to_string()),
    }
}
