//! Sending text messages and e-mails: the [`Sender`] trait a real gateway
//! implements, and the development [`Outbox`] behind it, which keeps what
//! was "sent" for the `/outbox` page.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};

use mfa::{Channel, Credential, Destination, Event, OobDelivery};

/// A message to send: a text message or an e-mail.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Where it goes: a phone (SMS) or an e-mail address.
    pub to: Destination,
    /// The subject (e-mails only).
    pub subject: String,
    /// The text.
    pub body: String,
}

impl Message {
    /// `"sms"` or `"email"`.
    pub fn channel(&self) -> &'static str {
        match self.to.channel() {
            Channel::Sms => "sms",
            _ => "email",
        }
    }
}

/// What sending can fail with.
pub type SendError = Box<dyn std::error::Error + Send + Sync>;

/// A sender's future.
pub type Sending<'a> = Pin<Box<dyn Future<Output = Result<(), SendError>> + Send + 'a>>;

/// Sends text messages and e-mails. The console uses the development
/// [`Outbox`]; an SMS gateway or a mailer implements this to replace it.
pub trait Sender: Send + Sync {
    /// Sends `message` by its channel (SMS or e-mail).
    fn send(&self, message: Message) -> Sending<'_>;
}

/// The development outbox: keeps every message "sent", newest last.
#[derive(Clone, Debug, Default)]
pub struct Outbox {
    messages: Arc<Mutex<Vec<Message>>>,
}

impl Outbox {
    /// The messages sent so far, newest first.
    pub fn newest_first(&self) -> Vec<Message> {
        let messages = self.messages.lock().map(|m| m.clone()).unwrap_or_default();
        messages.into_iter().rev().collect()
    }
}

impl Sender for Outbox {
    fn send(&self, message: Message) -> Sending<'_> {
        let kept = self.messages.lock().map(|mut m| m.push(message)).is_ok();
        Box::pin(async move {
            if kept {
                Ok(())
            } else {
                Err(SendError::from("the outbox is poisoned"))
            }
        })
    }
}

/// The message that carries a one-time code.
pub fn code_message(delivery: &OobDelivery) -> Message {
    let code = delivery.code().expose();
    let body = match delivery.channel() {
        Channel::Sms => format!("{code} is your Example Co code. It works for 5 minutes."),
        _ => format!(
            "Your Example Co verification code is {code}.\n\nIt works for 5 minutes. \
             If you did not ask for it, ignore this e-mail."
        ),
    };
    Message {
        to: delivery.destination().clone(),
        subject: "Your verification code".to_owned(),
        body,
    }
}

/// The e-mail that tells the account's owner what happened, and when
/// (a notice of `mfa::Ran::notices`).
pub fn notice(to: &Destination, (event, at): (Event, u64)) -> Message {
    let when = crate::pages::timestamp(at);
    let not_you = "If it was not you, change your password and contact us.";
    let (subject, text) = match event {
        Event::FactorBound { kind } => (
            "Account protection is on".to_owned(),
            format!(
                "Account protection was turned on, with {}.",
                method_name(kind)
            ),
        ),
        Event::FactorChanged { kind } => (
            "Your second factor changed".to_owned(),
            format!(
                "One of your second factors was replaced: it is now {}, and what it was before no longer signs you in.",
                method_name(kind)
            ),
        ),
        Event::RecoveryCodeUsed { remaining } => (
            "A recovery code was used".to_owned(),
            format!("A recovery code was used to confirm it was you. {remaining} are left."),
        ),
        Event::RecoveryCodesRegenerated => (
            "New recovery codes".to_owned(),
            "New recovery codes were made; the old ones no longer work.".to_owned(),
        ),
        Event::ScenariosChanged => (
            "Account protection changed".to_owned(),
            "The operations that ask for your second factor changed.".to_owned(),
        ),
        Event::ProtectionOff => (
            "Account protection is off".to_owned(),
            "Account protection was turned off: signing in needs only your password.".to_owned(),
        ),
        Event::LockedOut { credential, until } => (
            "Too many wrong codes".to_owned(),
            format!(
                "Too many wrong {} were typed; they are locked until {}.",
                match credential {
                    Credential::Factor => "second-factor codes",
                    Credential::RecoveryCode => "recovery codes",
                    _ => "verification codes",
                },
                crate::pages::timestamp(until)
            ),
        ),
        other => (
            "Account protection".to_owned(),
            crate::pages::sentence(&other.to_string()),
        ),
    };
    Message {
        to: to.clone(),
        subject,
        body: format!("{text}\n\nWhen: {when}.\n\n{not_you}"),
    }
}

/// The name a person knows a factor kind by.
pub fn method_name(kind: &str) -> &'static str {
    match kind {
        "totp" => "an authenticator app",
        "sms" => "text messages",
        _ => "a second factor",
    }
}
