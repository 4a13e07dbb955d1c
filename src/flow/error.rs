//! Why a step of a protection flow did not go through.

use core::fmt;

use crate::error::{CodeError, UriError};
use crate::record::{OobError, RecoveryError, Refused, VerifyFailure};

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
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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
}

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
            Self::Malformed(e) => e.fmt(f),
            Self::Code(e) => e.fmt(f),
            Self::Recovery(e) => e.fmt(f),
            Self::Uri(e) => e.fmt(f),
            Self::RandomSource => f.write_str("the operating system's random source failed"),
            Self::Tampered => f.write_str(
                "this flow state was not made by this service or was changed; start again",
            ),
        }
    }
}

impl FlowError {
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

impl core::error::Error for FlowError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Refused(e) => Some(e),
            Self::Malformed(e) => Some(e),
            Self::Code(e) => Some(e),
            Self::Recovery(e) => Some(e),
            Self::Uri(e) => Some(e),
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
