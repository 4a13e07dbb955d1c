//! Why a step of a protection flow did not go through.

use alloc::string::ToString;
use alloc::sync::Arc;
use core::fmt;

use crate::error::{CodeError, UriError};
use crate::record::{OobError, RecoveryError, Refused, VerifyFailure};

use super::factors::FactorId;

/// Why a step of an enrollment, a verification or a change did not go
/// through.
///
/// Codes are never part of an error: [`Rejected`](Self::Rejected) says
/// nothing more than "no". Every message is lower case and says what to do.
///
/// ```
/// use mfa::{FlowError, Refused};
///
/// assert_eq!(
///     FlowError::Expired.to_string(),
///     "this step has expired; start again"
/// );
/// let throttled = FlowError::Refused(Refused::Backoff { retry_at: 60, retry_after: 2 });
/// assert_eq!(throttled.to_string(), "too many failed attempts; try again in 2 s");
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum FlowError {
    /// The call does not fit the state of the flow; the flow is waiting
    /// for what is named here.
    WrongState {
        /// What the flow is waiting for, such as `"the identity code"`.
        waiting_for: &'static str,
    },
    /// Account protection is already on: change it (after a fresh check)
    /// instead of enrolling again.
    AlreadyProtected,
    /// Account protection is off: enroll first.
    NotProtected,
    /// The contact chosen for the identity check is not one of the
    /// account's verified contacts.
    UnknownContact,
    /// No scenario was chosen, or one was chosen twice.
    Scenarios,
    /// The account has no factor with this id (removed since, or another
    /// account's).
    UnknownFactor,
    /// The account's last factor cannot be removed while protection is
    /// on: turn protection off instead.
    LastFactor,
    /// The account already has the most factors allowed.
    TooManyFactors {
        /// How many ([`MAX_FACTORS`](crate::MAX_FACTORS)).
        max: usize,
    },
    /// The new factor's destination (the phone number of an SMS factor)
    /// is already another factor of the account, named here: a second
    /// factor on the same phone is no second device. Bind another number,
    /// or replace that factor
    /// ([`Enrollment::start_change`](crate::Enrollment::start_change),
    /// which may keep its own number).
    ///
    /// ```
    /// use mfa::{ErrorKind, FactorId, FlowError};
    ///
    /// let id: FactorId = "00000000000000ff".parse()?; // the factor that has the number
    /// let e = FlowError::AlreadyBound { factor: id };
    /// assert_eq!((e.kind(), e.code(), e.status()), (ErrorKind::User, "already_bound", 400));
    /// assert_eq!(
    ///     e.for_user().to_string(),
    ///     "This phone number or address is already one of your factors. Enter another."
    /// );
    /// # Ok::<(), mfa::Error>(())
    /// ```
    AlreadyBound {
        /// The account's factor that has the destination already.
        factor: FactorId,
    },
    /// The pending step (a pending secret, a pending binding, a challenge)
    /// has expired.
    Expired,
    /// A change to the protection needs a second-factor check (or a
    /// recovery code) from the last few minutes, of this account since its
    /// factor was last activated or replaced; or the change was started
    /// before such a change and cannot complete.
    CheckRequired,
    /// The flow state or proof was made for another account than the
    /// [`Protection`](crate::Protection) passed: load the signed-in user's
    /// own record, or start the flow again for it.
    WrongAccount,
    /// The step needs this many codes (two consecutive codes, for
    /// instance), and a different number was given.
    CodesNeeded {
        /// How many codes the step needs.
        count: u8,
    },
    /// Throttled: too soon after a failure, or locked out. Not evaluated.
    Refused(Refused),
    /// The code was not accepted. Nothing more is said, on purpose.
    Rejected,
    /// The code was not accepted, and it is an old code of the
    /// authenticator app: the code of an earlier time step, below every
    /// window and within the resynchronisation range
    /// ([`VerifyFailure::ClockBehind`]). The phone's clock is likely
    /// behind: tell the user to check it (Moodle tool_mfa PR #163). It is
    /// a rejection like [`Rejected`](Self::Rejected): counted by the
    /// throttle, nothing accepted. A code ahead of a window (a phone whose
    /// clock is fast) is only [`Rejected`](Self::Rejected): a guess that
    /// matches a later step becomes valid when a window reaches it, so
    /// saying so would tell a guesser to wait.
    ///
    /// The drift that the factor's record keeps (from its accepted codes)
    /// is the host's to read:
    ///
    /// ```
    /// use mfa::{ErrorKind, FlowError, Protection, TotpRecord};
    ///
    /// let e = FlowError::ClockBehind;
    /// assert_eq!((e.kind(), e.code(), e.status(), e.retry_after()), (ErrorKind::User, "clock_behind", 401, None));
    /// assert_eq!(e.for_user().to_string(), "This code looks old. Check your phone's time.");
    ///
    /// // The recorded drift in steps, per account: none before the first code.
    /// let account: Protection<TotpRecord> = Protection::new()?; // as loaded from your store
    /// assert_eq!(account.factor().map(TotpRecord::drift), None);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    ClockBehind,
    /// The input is not a code of the right form; counted as a failure.
    Malformed(CodeError),
    /// An out-of-band code could not be sent or checked (cooldown, send
    /// limit, expired or used-up code, no code in flight).
    Code(OobError),
    /// A recovery code could not be checked or generated.
    Recovery(RecoveryError),
    /// The key URI could not be built (the account name, or the issuer).
    Uri(UriError),
    /// The operating system's random source failed.
    RandomSource,
    /// The flow state was not made by these flows, or was edited since
    /// (its tag does not match): start the flow again.
    Tampered,
    /// The account record kept changing under concurrent requests: the
    /// runner gave up after `tries` compare-and-set attempts. Retry later.
    Busy {
        /// How many times the call was tried.
        tries: u32,
    },
    /// The store failed (a database or Redis error, a record that cannot
    /// be read back), the error it gave as its `source`.
    Storage(Arc<dyn core::error::Error + Send + Sync>),
    /// A bug: a factor or the flows broke their own contract (named here).
    Internal(&'static str),
}

/// Whose fault a [`FlowError`] is, for the answer a handler gives.
///
/// ```
/// use mfa::{ErrorKind, FlowError};
///
/// assert_eq!(FlowError::Rejected.kind(), ErrorKind::User);
/// assert_eq!(FlowError::Expired.kind(), ErrorKind::State);
/// assert_eq!(FlowError::RandomSource.kind(), ErrorKind::Server);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// What the user typed or did: a wrong or malformed code, too many
    /// tries, an unknown contact. Show the message; HTTP 4xx.
    User,
    /// The request does not fit the flow's state (expired, another
    /// account's, edited, already done): start the flow again; HTTP 409.
    State,
    /// The server: a random source or a store that failed, a bug. Log it;
    /// HTTP 5xx.
    Server,
}

/// Equal when of the same variant with equal fields; two
/// [`Storage`](FlowError::Storage) errors are equal when they are the same
/// error (the same `Arc`).
impl PartialEq for FlowError {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Storage(a), Self::Storage(b)) => Arc::ptr_eq(a, b),
            (Self::Storage(_), _) | (_, Self::Storage(_)) => false,
            (Self::WrongState { waiting_for: a }, Self::WrongState { waiting_for: b }) => a == b,
            (Self::CodesNeeded { count: a }, Self::CodesNeeded { count: b }) => a == b,
            (Self::TooManyFactors { max: a }, Self::TooManyFactors { max: b }) => a == b,
            (Self::AlreadyBound { factor: a }, Self::AlreadyBound { factor: b }) => a == b,
            (Self::Refused(a), Self::Refused(b)) => a == b,
            (Self::Malformed(a), Self::Malformed(b)) => a == b,
            (Self::Code(a), Self::Code(b)) => a == b,
            (Self::Recovery(a), Self::Recovery(b)) => a == b,
            (Self::Uri(a), Self::Uri(b)) => a == b,
            (Self::Busy { tries: a }, Self::Busy { tries: b }) => a == b,
            (Self::Internal(a), Self::Internal(b)) => a == b,
            (a, b) => core::mem::discriminant(a) == core::mem::discriminant(b),
        }
    }
}

impl Eq for FlowError {}

impl fmt::Display for FlowError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::WrongState { waiting_for } => {
                write!(
                    f,
                    "this step does not fit now; the flow is waiting for {waiting_for}"
                )
            }
            Self::AlreadyProtected => f.write_str(
                "account protection is already on; change it after a fresh second-factor check",
            ),
            Self::NotProtected => f.write_str("account protection is off; turn it on first"),
            Self::UnknownContact => f.write_str(
                "the contact is not one of the account's verified contacts; choose one of them",
            ),
            Self::Scenarios => {
                f.write_str("choose at least one scenario to protect, each at most once")
            }
            Self::UnknownFactor => {
                f.write_str("the account has no such factor; choose one of its factors")
            }
            Self::LastFactor => f.write_str(
                "the last factor cannot be removed; turn account protection off instead",
            ),
            Self::TooManyFactors { max } => {
                write!(
                    f,
                    "an account holds at most {max} factors; remove one first"
                )
            }
            Self::AlreadyBound { .. } => f.write_str(
                "this phone number or address is already one of your factors; enter another",
            ),
            Self::Expired => f.write_str("this step has expired; start again"),
            Self::CheckRequired => f.write_str(
                "this change needs a fresh second-factor check; verify again, then retry",
            ),
            Self::WrongAccount => f.write_str(
                "this flow state or proof belongs to another account; start again for this account",
            ),
            Self::CodesNeeded { count } => {
                write!(f, "enter {count} consecutive codes from the authenticator")
            }
            Self::Refused(e) => e.fmt(f),
            Self::Rejected => f.write_str("the code was rejected; check it and try again"),
            Self::ClockBehind => f.write_str("this code looks old; check your phone's time"),
            Self::Malformed(e) => e.fmt(f),
            Self::Code(e) => e.fmt(f),
            Self::Recovery(e) => e.fmt(f),
            Self::Uri(e) => e.fmt(f),
            Self::RandomSource => f.write_str("the operating system's random source failed"),
            Self::Tampered => f.write_str(
                "this flow state was not made by this service or was changed; start again",
            ),
            Self::Busy { tries } => write!(
                f,
                "the account changed under {tries} concurrent requests in a row; try again"
            ),
            Self::Storage(_) => f.write_str("the account record could not be loaded or stored"),
            Self::Internal(what) => write!(f, "internal error: {what}"),
        }
    }
}

impl FlowError {
    /// Whose fault it is: the user's, the request's state, or the server's.
    ///
    /// ```
    /// use mfa::{ErrorKind, FlowError, Refused};
    ///
    /// let locked = FlowError::Refused(Refused::LockedOut { retry_at: 900, retry_after: 900 });
    /// assert_eq!(locked.kind(), ErrorKind::User);
    /// assert_eq!(FlowError::Tampered.kind(), ErrorKind::State);
    /// ```
    #[must_use]
    pub const fn kind(&self) -> ErrorKind {
        match self {
            Self::UnknownContact
            | Self::Scenarios
            | Self::UnknownFactor
            | Self::LastFactor
            | Self::TooManyFactors { .. }
            | Self::AlreadyBound { .. }
            | Self::CodesNeeded { .. }
            | Self::Refused(_)
            | Self::Rejected
            | Self::ClockBehind
            | Self::Malformed(_)
            | Self::Code(_)
            | Self::Uri(_) => ErrorKind::User,
            Self::Recovery(e) => match e {
                RecoveryError::Policy(_) | RecoveryError::RandomSource => ErrorKind::Server,
                _ => ErrorKind::User,
            },
            Self::WrongState { .. }
            | Self::AlreadyProtected
            | Self::NotProtected
            | Self::Expired
            | Self::CheckRequired
            | Self::WrongAccount
            | Self::Tampered => ErrorKind::State,
            Self::RandomSource | Self::Busy { .. } | Self::Storage(_) | Self::Internal(_) => {
                ErrorKind::Server
            }
        }
    }

    /// A stable, machine-readable code, for logs, metrics and translated
    /// messages: it never changes for a variant.
    ///
    /// ```
    /// use mfa::{FlowError, OobError};
    ///
    /// assert_eq!(FlowError::Rejected.code(), "rejected");
    /// assert_eq!(FlowError::Code(OobError::Expired).code(), "code_expired");
    /// ```
    #[must_use]
    pub const fn code(&self) -> &'static str {
        match self {
            Self::WrongState { .. } => "wrong_state",
            Self::AlreadyProtected => "already_protected",
            Self::NotProtected => "not_protected",
            Self::UnknownContact => "unknown_contact",
            Self::Scenarios => "scenarios",
            Self::UnknownFactor => "unknown_factor",
            Self::LastFactor => "last_factor",
            Self::TooManyFactors { .. } => "too_many_factors",
            Self::AlreadyBound { .. } => "already_bound",
            Self::Expired => "expired",
            Self::CheckRequired => "check_required",
            Self::WrongAccount => "wrong_account",
            Self::CodesNeeded { .. } => "codes_needed",
            Self::Refused(Refused::Backoff { .. }) => "backoff",
            Self::Refused(_) => "locked_out",
            Self::Rejected => "rejected",
            Self::ClockBehind => "clock_behind",
            Self::Malformed(_) => "malformed",
            Self::Code(e) => match e {
                OobError::Cooldown { .. } => "code_cooldown",
                OobError::SendLimit { .. } => "code_send_limit",
                OobError::NoPendingCode => "no_code_sent",
                OobError::Expired => "code_expired",
                OobError::AttemptsExhausted => "code_used_up",
                _ => "code",
            },
            Self::Recovery(RecoveryError::NoCodesLeft) => "no_recovery_codes_left",
            Self::Recovery(_) => "recovery_code_form",
            Self::Uri(_) => "account_name",
            Self::RandomSource => "random_source",
            Self::Tampered => "tampered",
            Self::Busy { .. } => "busy",
            Self::Storage(_) => "storage",
            Self::Internal(_) => "internal",
        }
    }

    /// The HTTP status a handler answers with: 400 for a mistake in what
    /// the user typed, 401 for a rejected code, 429 while throttled or a
    /// code cannot be sent yet, 409 for a request that does not fit the
    /// flow's state, 503 when busy, 500 for the server's failures.
    ///
    /// ```
    /// use mfa::{FlowError, OobError};
    ///
    /// assert_eq!(FlowError::Rejected.status(), 401);
    /// assert_eq!(FlowError::Code(OobError::Cooldown { retry_at: 60, retry_after: 60 }).status(), 429);
    /// assert_eq!(FlowError::Expired.status(), 409);
    /// ```
    #[must_use]
    pub const fn status(&self) -> u16 {
        if self.retry_after().is_some() {
            return 429;
        }
        match self {
            Self::Rejected | Self::ClockBehind => 401,
            Self::Busy { .. } => 503,
            _ => match self.kind() {
                ErrorKind::User => 400,
                ErrorKind::State => 409,
                ErrorKind::Server => 500,
            },
        }
    }

    /// Seconds until the request can succeed, for a `Retry-After` header
    /// and a "try again in 20 s" message: during a backoff or lockout, a
    /// resend cooldown, or the hourly cap on sent codes.
    ///
    /// ```
    /// use mfa::{FlowError, OobError, Refused};
    ///
    /// let refused = FlowError::Refused(Refused::Backoff { retry_at: 1_020, retry_after: 20 });
    /// assert_eq!(refused.retry_after(), Some(20));
    /// assert_eq!(refused.to_string(), "too many failed attempts; try again in 20 s");
    /// let cooldown = FlowError::Code(OobError::Cooldown { retry_at: 1_030, retry_after: 30 });
    /// assert_eq!(cooldown.retry_after(), Some(30));
    /// assert_eq!(FlowError::Rejected.retry_after(), None);
    /// ```
    #[must_use]
    pub const fn retry_after(&self) -> Option<u64> {
        match self {
            Self::Refused(r) => Some(r.retry_after()),
            Self::Code(
                OobError::Cooldown { retry_after, .. } | OobError::SendLimit { retry_after, .. },
            ) => Some(*retry_after),
            _ => None,
        }
    }
}

impl FlowError {
    /// The refusal as the person at the page should read it, in sentences:
    /// the message, each clause capitalised and ended with a full stop
    /// ("Too many failed attempts. Try again in 20 s."), except that a
    /// rejected code is "Wrong code", a step that does not fit the flow's
    /// state (a form sent twice, an old tab) is out of date, and the
    /// server's own failures ([`ErrorKind::Server`]) say nothing of what
    /// failed: log those (`Display` and `source`) yourself. For another
    /// language, translate by [`code`](Self::code) instead.
    ///
    /// ```
    /// use mfa::{FlowError, OobError, Refused};
    ///
    /// let throttled = FlowError::Refused(Refused::Backoff { retry_at: 1_020, retry_after: 20 });
    /// assert_eq!(throttled.for_user().to_string(), "Too many failed attempts. Try again in 20 s.");
    /// let cooldown = FlowError::Code(OobError::Cooldown { retry_at: 1_030, retry_after: 30 });
    /// assert_eq!(cooldown.to_string(), "a code was sent moments ago; a new one can be sent in 30 s");
    /// assert_eq!(cooldown.for_user().to_string(), "A code was sent moments ago. A new one can be sent in 30 s.");
    /// assert_eq!(FlowError::Rejected.for_user().to_string(), "Wrong code. Check it and try again.");
    /// assert_eq!(FlowError::Tampered.for_user().to_string(), "This step is out of date. Start again.");
    /// assert_eq!(FlowError::Busy { tries: 8 }.for_user().to_string(), "Something went wrong on our side. Try again.");
    /// ```
    #[must_use]
    pub fn for_user(&self) -> impl fmt::Display + '_ {
        ForUser(self)
    }
}

/// [`FlowError::for_user`]'s sentences.
struct ForUser<'a>(&'a FlowError);

impl fmt::Display for ForUser<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let text = match self.0 {
            FlowError::Rejected => return f.write_str("Wrong code. Check it and try again."),
            FlowError::WrongState { .. } | FlowError::Tampered => {
                return f.write_str("This step is out of date. Start again.");
            }
            e if e.kind() == ErrorKind::Server => {
                return f.write_str("Something went wrong on our side. Try again.");
            }
            e => e.to_string(),
        };
        for (i, clause) in text.split("; ").enumerate() {
            if i > 0 {
                f.write_str(" ")?;
            }
            let mut chars = clause.chars();
            for c in chars.next().into_iter().flat_map(char::to_uppercase) {
                fmt::Write::write_char(f, c)?;
            }
            f.write_str(chars.as_str())?;
            f.write_str(".")?;
        }
        Ok(())
    }
}

/// The wrappers (`Refused`, `Code`, …) show their inner error's message
/// as their own, so they do not also return it as `source` (a reporter
/// would print it twice); [`Storage`](FlowError::Storage) has a message of
/// its own, and the store's error as its source.
impl core::error::Error for FlowError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Storage(e) => Some(&**e),
            _ => None,
        }
    }
}

/// Throttling and rejection keep their own variants, whatever the record
/// they come from.
impl From<VerifyFailure> for FlowError {
    fn from(e: VerifyFailure) -> Self {
        match e {
            VerifyFailure::Refused(r) => Self::Refused(r),
            VerifyFailure::Malformed(c) => Self::Malformed(c),
            VerifyFailure::ClockBehind => Self::ClockBehind,
            // A host clock before T0 and any future failure: no more than "no".
            _ => Self::Rejected,
        }
    }
}

/// Throttling and rejection keep their own variants; the rest is
/// [`FlowError::Code`].
impl From<OobError> for FlowError {
    fn from(e: OobError) -> Self {
        match e {
            OobError::Refused(r) => Self::Refused(r),
            OobError::Malformed(c) => Self::Malformed(c),
            OobError::Rejected => Self::Rejected,
            OobError::RandomSource => Self::RandomSource,
            other => Self::Code(other),
        }
    }
}

/// Throttling and rejection keep their own variants; the rest is
/// [`FlowError::Recovery`].
impl From<RecoveryError> for FlowError {
    fn from(e: RecoveryError) -> Self {
        match e {
            RecoveryError::Refused(r) => Self::Refused(r),
            RecoveryError::Rejected => Self::Rejected,
            RecoveryError::RandomSource => Self::RandomSource,
            other => Self::Recovery(other),
        }
    }
}

impl From<UriError> for FlowError {
    fn from(e: UriError) -> Self {
        Self::Uri(e)
    }
}

impl From<Refused> for FlowError {
    fn from(e: Refused) -> Self {
        Self::Refused(e)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use alloc::string::ToString;

    use super::*;
    use crate::error::CodeError;

    #[test]
    fn each_clause_of_the_message_is_a_sentence() {
        let malformed = FlowError::Malformed(CodeError::WrongLength {
            expected: 6,
            found: 2,
        });
        assert_eq!(
            malformed.for_user().to_string(),
            "The code must have 6 digits, not 2."
        );
        let clauses = FlowError::Expired.to_string().split("; ").count();
        let sentences = FlowError::Expired.for_user().to_string();
        assert_eq!(sentences, "This step has expired. Start again.");
        assert_eq!(sentences.matches(". ").count() + 1, clauses);
        assert_eq!(
            FlowError::CodesNeeded { count: 2 }.for_user().to_string(),
            "Enter 2 consecutive codes from the authenticator."
        );
    }

    #[test]
    fn the_server_s_failures_say_nothing_of_what_failed() {
        let store = FlowError::Storage(Arc::new(fmt::Error));
        for e in [
            store,
            FlowError::RandomSource,
            FlowError::Internal("a message could not be sent"),
            FlowError::Busy { tries: 8 },
        ] {
            assert_eq!(e.kind(), ErrorKind::Server);
            let said = e.for_user().to_string();
            assert_eq!(said, "Something went wrong on our side. Try again.");
            assert!(!said.contains(&e.to_string()));
        }
    }

    #[test]
    fn a_rejected_code_and_a_stale_step_say_so_plainly() {
        assert!(
            FlowError::Rejected
                .for_user()
                .to_string()
                .starts_with("Wrong code.")
        );
        let stale = FlowError::WrongState {
            waiting_for: "the identity code",
        };
        for e in [stale, FlowError::Tampered] {
            let said = e.for_user().to_string();
            assert_eq!(said, "This step is out of date. Start again.");
        }
    }
}
