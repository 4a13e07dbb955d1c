//! The glue between the console and `mfa`: the store set-up and the flows,
//! the runner every handler calls (with the deliveries and notices carried
//! out), and a refusal in words for the person. The handlers call the
//! runner in one statement per flow operation
//! (`app.run(&user, |f, a| e.confirm(f, a, &[&code], now)).await`), load
//! an account with `mfa::load`, and take the key, the recovery codes and
//! where a code went from the run (`Ran::key`, …). A test
//! (`tests::glue_is_counted`) counts this file's code lines, those
//! statements of the handlers, and keeps the sum under 100.

use mfa::{Either, EitherFactor, FlowError, Flows, Keyring, Protection, RecordCodec, Transition};
use mfa_sqlx::AnyStore;
use std::sync::Arc;

use crate::BoxError;
use crate::keys::Keys;
use crate::outbox::{self, Sender};

/// The factor kinds offered: an authenticator app or a phone.
pub type Factor = EitherFactor<mfa::TotpFactor, mfa::SmsFactor>;
/// The factor record of an account: an app's key or a phone.
pub type Record = Either<mfa::TotpRecord, mfa::SmsRecord>;
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
    /// The SMS budgets each text spends before it goes (its number's, 10
    /// an hour and 20 a day), kept in the store.
    pub budgets: mfa::SmsBudgets,
}

impl Console {
    /// Opens the store `url` names (`sqlite://…`, `postgres://…`; its
    /// schema applied) and builds the flows with `keys`; codes and notices
    /// go to `sender`.
    pub async fn open(url: &str, keys: Keys, sender: Arc<dyn Sender>) -> Result<Self, BoxError> {
        Ok(Self {
            budgets: mfa::SmsBudgets::new(keys.oob.clone()),
            flows: Flows::totp_or_sms("Example Co", keys.oob)?,
            store: AnyStore::connect(url, RecordCodec::new(Keyring::new(keys.sealing))).await?,
            sender,
        })
    }
}

impl crate::app::App {
    /// Runs one flow operation (called with the flows and the account as
    /// stored) on `user`'s record through `mfa::run`, then carries out the
    /// lifecycle's effects (the user's other sessions ended when it asks,
    /// the SMS budgets spent: `App::lifecycle_effects`), then its
    /// deliveries and notices through the sender, and writes its audit
    /// events to standard error; the key and recovery codes to show stay
    /// in the run, for the page (`Ran::key`, …).
    pub async fn run<S>(
        &self,
        user: &crate::users::User,
        mut op: impl FnMut(&Flows<Factor>, &Account) -> Transition<S, Record> + Send,
    ) -> mfa::Ran<S> {
        let flows = &self.mfa.flows;
        let mut ran = mfa::run(&self.mfa.store, user.name.as_str(), |a| op(flows, a)).await;
        self.lifecycle_effects(user, &mut ran).await;
        // The audit log of the console is its standard error.
        for event in ran.audit() {
            eprintln!("console: audit: {}: {event}", user.name);
        }
        let codes = ran.deliveries().map(outbox::code_message);
        let notices = ran.notices().map(|n| outbox::notice(&user.email, n));
        for message in codes.chain(notices).collect::<Vec<_>>() {
            if let Err(e) = self.mfa.sender.send(message).await {
                eprintln!("console: sending failed: {e}");
                ran.result = Err(FlowError::Internal("a message could not be sent"));
            }
        }
        ran
    }
}

/// A refusal as a person would want to read it, the crate's sentences
/// ("Too many failed attempts. Try again in 20 s.", "Wrong code. …"); the
/// server's own failures are logged here, and said as such.
pub fn say(e: &FlowError) -> String {
    if e.kind() == mfa::ErrorKind::Server {
        eprintln!("console: {e}: {:?}", std::error::Error::source(e));
    }
    e.for_user().to_string()
}
