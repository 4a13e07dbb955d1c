//! What an operation on a factor record returns: the outcome, and the new
//! record that must be written before the outcome is acted on.

use core::fmt;

use crate::error::{CodeError, TimeError};

use super::throttle::Refused;

/// Why a code checked through a factor record was not accepted.
///
/// Only [`Refused`](Self::Refused) says more than "no", and what it says is
/// public: when attempts are evaluated again; and
/// [`ClockBehind`](Self::ClockBehind), which says that a TOTP code is an
/// old one (of a step that never comes back). A wrong code, a code ahead
/// of the window and a replayed code are all [`Rejected`](Self::Rejected).
///
/// | variant | code evaluated | counts as a failure | record changed |
/// |---|---|---|---|
/// | `Refused` | no | no | no |
/// | `Malformed` | no (no HMAC) | **yes** | yes |
/// | `Rejected` | yes | yes | yes |
/// | `ClockBehind` | yes | yes | yes |
/// | `Time` | no | no | no |
///
/// ```
/// use mfa::{Refused, VerifyFailure};
///
/// let f = VerifyFailure::Refused(Refused::Backoff { retry_at: 1_002, retry_after: 2 });
/// assert_eq!(f.to_string(), "too many failed attempts; try again in 2 s");
/// assert_eq!(VerifyFailure::Rejected.to_string(), "the code was rejected");
/// assert!(VerifyFailure::Rejected.is_counted());
/// assert!(!f.is_counted());
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum VerifyFailure {
    /// Throttled: too soon after a failure, or locked out. The code was not
    /// evaluated and the record is unchanged.
    Refused(Refused),
    /// The input is not a code of the right form (wrong length, not
    /// digits). No HMAC was computed, but the attempt **counts** as a
    /// failure, like any other attempt that gets past the throttle.
    Malformed(CodeError),
    /// The code was evaluated and not accepted. Nothing more is said, on
    /// purpose. Counts as a failure.
    Rejected,
    /// A TOTP code that is not accepted, but is the code of an earlier
    /// step, below every window and within the resynchronisation range:
    /// the clock of the user's phone is likely behind (see
    /// [`TotpRecord`](crate::TotpRecord)'s rules). Counts as a failure,
    /// like [`Rejected`](Self::Rejected).
    ///
    /// ```
    /// use mfa::VerifyFailure;
    ///
    /// assert!(VerifyFailure::ClockBehind.is_counted());
    /// assert_eq!(VerifyFailure::ClockBehind.to_string(), "the code is an old one; the clock of the device that made it is behind");
    /// ```
    ClockBehind,
    /// The verification time is before the key's T0: a clock or
    /// configuration problem of the host, not the user's. Not evaluated,
    /// not counted, record unchanged.
    Time(TimeError),
}

impl VerifyFailure {
    /// Whether this failure was counted in the record's throttle (and so
    /// changed the record).
    ///
    /// ```
    /// use mfa::{CodeError, VerifyFailure};
    ///
    /// let typo = VerifyFailure::Malformed(CodeError::WrongLength { expected: 6, found: 5 });
    /// assert!(typo.is_counted());
    /// ```
    #[must_use]
    pub const fn is_counted(&self) -> bool {
        matches!(
            self,
            Self::Malformed(_) | Self::Rejected | Self::ClockBehind
        )
    }
}

impl fmt::Display for VerifyFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Refused(e) => e.fmt(f),
            Self::Malformed(e) => e.fmt(f),
            Self::Rejected => f.write_str("the code was rejected"),
            Self::ClockBehind => f.write_str(
                "the code is an old one; the clock of the device that made it is behind",
            ),
            Self::Time(e) => e.fmt(f),
        }
    }
}

impl core::error::Error for VerifyFailure {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Refused(e) => Some(e),
            Self::Malformed(e) => Some(e),
            Self::Rejected | Self::ClockBehind => None,
            Self::Time(e) => Some(e),
        }
    }
}

impl From<Refused> for VerifyFailure {
    fn from(e: Refused) -> Self {
        Self::Refused(e)
    }
}

/// The result of a pure operation on a factor record `R`: an outcome, and
/// the new record to persist, if the operation changed it.
///
/// **Write first, then act.** When [`record`](Self::record) is `Some`,
/// write it with compare-and-set against the version of the record you
/// loaded (see [`Store`](crate::Store)), *even when the outcome is a
/// failure*: the failure count changed. Only once the write has succeeded
/// may the outcome be acted on; if it lost a race, load again and redo the
/// operation. Otherwise two requests racing with the same code could both
/// be let in. [`Store::update`](crate::Store::update) does all of this.
///
/// When [`record`](Self::record) is `None` (the attempt was refused by the
/// throttle), nothing changed and nothing needs writing.
///
/// ```
/// use mfa::{Secret, Totp, TotpConfig, TotpRecord, VerifyFailure};
///
/// let record = TotpRecord::new(Totp::new(&Secret::generate()?, TotpConfig::default())?);
/// let now = 1_700_000_000;
/// let code = record.totp().generate(now)?.to_string();
///
/// let (new_record, outcome) = record.verify(&code, now).into_parts();
/// let new_record = new_record.ok_or(VerifyFailure::Rejected)?;
/// // Write `new_record` where the stored version is still `record.version()`;
/// // only then act on the outcome.
/// assert_eq!(new_record.version(), record.version() + 1);
/// assert!(outcome.is_ok());
/// # Ok::<(), mfa::Error>(())
/// ```
#[must_use = "write the new record (compare-and-set on the loaded version) before acting on the outcome"]
#[derive(Clone, Debug)]
pub struct Attempt<R, T, E = VerifyFailure> {
    record: Option<R>,
    outcome: Result<T, E>,
}

impl<R, T, E> Attempt<R, T, E> {
    /// Puts together an attempt, for record types outside this crate:
    /// `record` is the new record to write (`None` if nothing changed).
    ///
    /// ```
    /// let attempt: mfa::Attempt<u8, ()> = mfa::Attempt::new(Some(1), Ok(()));
    /// assert_eq!(attempt.record(), Some(&1));
    /// ```
    pub const fn new(record: Option<R>, outcome: Result<T, E>) -> Self {
        Self { record, outcome }
    }

    /// The new record to write before acting on the outcome, or `None` if
    /// the operation changed nothing.
    ///
    /// ```
    /// let attempt: mfa::Attempt<u8, ()> = mfa::Attempt::new(None, Ok(()));
    /// assert!(attempt.record().is_none());
    /// ```
    #[must_use]
    pub const fn record(&self) -> Option<&R> {
        self.record.as_ref()
    }

    /// Writes the new record with `write` (your compare-and-set against
    /// the loaded version), and only if that succeeded hands back the
    /// outcome: the order this type demands, in one call that cannot be
    /// skipped. When there is no new record, `write` is not called.
    ///
    /// # Errors
    ///
    /// The error of `write`, in which case the outcome must not be acted
    /// on (reload and redo the operation).
    ///
    /// ```
    /// use mfa::{Secret, Totp, TotpConfig, TotpRecord};
    ///
    /// let mut stored = TotpRecord::new(Totp::new(&Secret::generate()?, TotpConfig::default())?);
    /// let now = 1_700_000_000;
    /// let code = stored.totp().generate(now)?.to_string();
    ///
    /// let loaded = stored.clone();
    /// let outcome = loaded.verify(&code, now).commit(|new| {
    ///     // `UPDATE … WHERE id = ? AND version = ?` in a real store.
    ///     if stored.version() != loaded.version() {
    ///         return Err("conflict: reload and retry");
    ///     }
    ///     stored = new.clone();
    ///     Ok(())
    /// })?;
    /// assert!(outcome.is_ok());
    /// assert_eq!(stored.last_step(), Some(now / 30));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn commit<W>(self, write: impl FnOnce(&R) -> Result<(), W>) -> Result<Result<T, E>, W> {
        if let Some(record) = &self.record {
            write(record)?;
        }
        Ok(self.outcome)
    }

    /// The new record to write first, and the outcome to act on once it is
    /// written. Prefer [`commit`](Self::commit) or
    /// [`Store::update`](crate::Store::update), which cannot get the order
    /// wrong: dropping the record here and acting on the outcome loses the
    /// replay protection and the failure count.
    ///
    /// ```
    /// let attempt: mfa::Attempt<u8, u8> = mfa::Attempt::new(Some(2), Ok(7));
    /// assert_eq!(attempt.into_parts(), (Some(2), Ok(7)));
    /// ```
    pub fn into_parts(self) -> (Option<R>, Result<T, E>) {
        (self.record, self.outcome)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloc::string::ToString;

    /// Only a failure that got past the throttle and the clock counts.
    #[test]
    fn only_evaluated_failures_count() {
        let refused = Refused::LockedOut {
            retry_at: 900,
            retry_after: 900,
        };
        for (failure, counted) in [
            (
                VerifyFailure::Malformed(CodeError::NotADigit { position: 1 }),
                true,
            ),
            (VerifyFailure::Rejected, true),
            (VerifyFailure::from(refused), false),
            (VerifyFailure::Time(TimeError::BeforeT0), false),
        ] {
            assert_eq!(failure.is_counted(), counted, "{failure:?}");
        }
        use core::error::Error as _;
        let failure = VerifyFailure::from(refused);
        let source = failure.source().map(ToString::to_string);
        assert_eq!(source, Some(refused.to_string()));
        assert!(VerifyFailure::Rejected.source().is_none());
    }

    #[test]
    fn record_reads_the_new_record() {
        let attempt: Attempt<u8, ()> = Attempt::new(Some(7), Ok(()));
        assert_eq!(attempt.record(), Some(&7));
    }
}
