//! Out-of-band codes, sent by SMS or e-mail: issued from the OS random
//! source, stored only as a keyed hash bound to the destination, valid for
//! a few minutes, tried a few times, resent within limits (NIST SP 800-63B,
//! OWASP MFA cheat sheet).

mod budget;
mod code;
mod destination;
mod key;
mod policy;
#[cfg(test)]
mod tests;

use alloc::vec::Vec;
use core::fmt;

use subtle::ConstantTimeEq;

pub use budget::{BudgetId, BudgetLimits, PrefixBudget, SendBudget, SmsBudgets};
pub use code::OobCode;
pub(crate) use destination::is_invisible;
pub use destination::{Channel, Destination, DestinationError, EmailAddress, PhoneNumber};
pub use key::OobKey;
pub use policy::{OobPolicy, OobPolicyBuilder};

use super::attempt::Attempt;
use super::store::Versioned;
use super::throttle::{Refused, Throttle, Wait};
use crate::error::{CodeError, ParamError};

/// The out-of-band factor of one account: the code in flight (as a keyed
/// hash), the times of recent sends, and the failure count across codes.
/// Plain data the host persists.
///
/// Every operation is a pure function of (record, input, now) and returns
/// an [`Attempt`]: the outcome, and the new record with its
/// [`version`](Self::version) one higher, to write with compare-and-set
/// before acting on the outcome (see [`Store`](crate::Store)).
///
/// - [`issue`](Self::issue) makes a code for a [`Destination`] and says
///   what to deliver. Within the lifetime of the code in flight, to the
///   same destination, it sends that same code again (the user who gets
///   two texts can type either); otherwise a new code replaces it. The
///   failure count is **not** reset (NIST SP 800-63B), nor are the
///   failures of the code sent again.
/// - [`verify`](Self::verify) checks what the user typed against the code
///   and the destination it was sent to; the first success consumes it.
///
/// With the `serde` feature the record serializes as plain data (the code
/// only as its keyed hash, which is useless without the [`OobKey`]) and is
/// validated when deserialized: destinations are parsed again, a code
/// cannot live longer than 10 minutes or have more than 5 failures, and the
/// send log is bounded and in time order.
///
/// ```
/// use mfa::{Destination, OobError, OobKey, OobPolicy, OobRecord};
///
/// let key = OobKey::generate()?; // once, kept in the service's secrets
/// let policy = OobPolicy::default();
/// let phone = Destination::sms("+1 415 555 2671")?;
/// let now = 1_700_000_000;
///
/// let record = OobRecord::new();
/// let (record, delivery) = record.issue(&policy, &key, &phone, now).into_parts();
/// let (record, delivery) = (record.ok_or(OobError::Rejected)?, delivery?);
/// // Write `record`, then send `delivery.code().expose()` to `delivery.destination()`.
///
/// let typed = delivery.code().expose().to_owned(); // what the user types back
/// let (record, outcome) = record.verify(&policy, &key, &phone, &typed, now + 30).into_parts();
/// assert_eq!(outcome, Ok(()));
/// let record = record.ok_or(OobError::Rejected)?;
///
/// // The code is consumed: trying it again finds no code.
/// let (_, again) = record.verify(&policy, &key, &phone, &typed, now + 31).into_parts();
/// assert_eq!(again, Err(OobError::NoPendingCode));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, Default, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawOobRecord")
)]
pub struct OobRecord {
    version: u64,
    throttle: Throttle,
    pending: Option<PendingCode>,
    /// Unix times of the sends of the last hour, oldest first.
    sends: Vec<u64>,
    /// The start of the daily cap's window, and the sends in it.
    day_start: u64,
    day_sends: u16,
}

/// The code in flight: where it was sent, when, until when it is valid, how
/// many attempts failed, and its keyed hash (never shown).
///
/// ```
/// use mfa::{Destination, OobKey, OobPolicy, OobRecord};
///
/// let to = Destination::email("ada@example.com")?;
/// let (record, _) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 1_000).into_parts();
/// let record = record.ok_or(mfa::OobError::Rejected)?;
/// let pending = record.pending().ok_or(mfa::OobError::NoPendingCode)?;
/// assert_eq!((pending.destination(), pending.issued_at(), pending.expires_at()), (&to, 1_000, 1_300));
/// assert_eq!(pending.failures(), 0);
/// assert!(!format!("{pending:?}").contains("hash"));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawPendingCode")
)]
pub struct PendingCode {
    destination: Destination,
    digits: u8,
    issued_at: u64,
    expires_at: u64,
    failures: u8,
    /// The attempts this code allows, fixed when it was issued.
    max_attempts: u8,
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    hash: [u8; 32],
    /// The digits, masked (see `OobKey::code_mask`), so that a resend
    /// within the lifetime sends the same code.
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    masked: [u8; code::MAX_DIGITS],
}

impl PendingCode {
    /// Where the code was sent.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (record, _) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 0).into_parts();
    /// # let pending = record.as_ref().and_then(OobRecord::pending).ok_or(mfa::OobError::NoPendingCode)?;
    /// assert_eq!(pending.destination().as_str(), "ada@example.com");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn destination(&self) -> &Destination {
        &self.destination
    }

    /// The number of digits of the code.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (record, _) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 0).into_parts();
    /// # let pending = record.as_ref().and_then(OobRecord::pending).ok_or(mfa::OobError::NoPendingCode)?;
    /// assert_eq!(pending.digits(), 6);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn digits(&self) -> u8 {
        self.digits
    }

    /// When the code was issued (Unix seconds).
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (record, _) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 5).into_parts();
    /// # let pending = record.as_ref().and_then(OobRecord::pending).ok_or(mfa::OobError::NoPendingCode)?;
    /// assert_eq!(pending.issued_at(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn issued_at(&self) -> u64 {
        self.issued_at
    }

    /// The first Unix second at which the code is no longer accepted: a
    /// code issued at `t` with a lifetime of 300 s is accepted up to and
    /// including `t + 299`.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (record, _) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 5).into_parts();
    /// # let pending = record.as_ref().and_then(OobRecord::pending).ok_or(mfa::OobError::NoPendingCode)?;
    /// assert_eq!(pending.expires_at(), 305);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// Failed attempts at this code.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (record, _) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 5).into_parts();
    /// # let pending = record.as_ref().and_then(OobRecord::pending).ok_or(mfa::OobError::NoPendingCode)?;
    /// assert_eq!(pending.failures(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn failures(&self) -> u8 {
        self.failures
    }
}

impl fmt::Debug for PendingCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingCode")
            .field("destination", &self.destination)
            .field("digits", &self.digits)
            .field("issued_at", &self.issued_at)
            .field("expires_at", &self.expires_at)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

/// What to deliver: the code, where, and until when it is valid.
///
/// `Debug` hides the code; see [`OobCode`].
///
/// ```
/// use mfa::{Channel, Destination, OobKey, OobPolicy, OobRecord};
///
/// let to = Destination::sms("+14155552671")?;
/// let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 1_000).into_parts();
/// let delivery = delivery?;
/// assert_eq!((delivery.channel(), delivery.destination(), delivery.expires_at()), (Channel::Sms, &to, 1_300));
/// assert!(!format!("{delivery:?}").contains(delivery.code().expose()));
/// # Ok::<(), mfa::Error>(())
/// ```
#[must_use = "deliver the code to the destination, after writing the record"]
#[derive(Clone, Debug)]
pub struct OobDelivery {
    destination: Destination,
    code: OobCode,
    expires_at: u64,
    binding: bool,
}

impl OobDelivery {
    /// The channel to send through.
    ///
    /// ```
    /// # use mfa::{Channel, Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 0).into_parts();
    /// assert_eq!(delivery?.channel(), Channel::Email);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn channel(&self) -> Channel {
        self.destination.channel()
    }

    /// Where to send the code.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 0).into_parts();
    /// assert_eq!(delivery?.destination().as_str(), "ada@example.com");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn destination(&self) -> &Destination {
        &self.destination
    }

    /// The code to send.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 0).into_parts();
    /// assert_eq!(delivery?.code().expose().len(), 6);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn code(&self) -> &OobCode {
        &self.code
    }

    /// The first Unix second at which the code is no longer accepted.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::email("ada@example.com")?;
    /// # let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 0).into_parts();
    /// assert_eq!(delivery?.expires_at(), 300);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// Whether this is a phone-binding code: sent by the flows to a phone
    /// being bound as a factor, which the account has not proved it owns
    /// yet. [`spend_budgets`](crate::spend_budgets) charges such texts to
    /// the number's binding budget, not to the budget of the owner's
    /// texts (see [`SmsBudgets`]). `false` for every other code.
    ///
    /// ```
    /// # use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    /// # let to = Destination::sms("+14155552671")?;
    /// let (_, delivery) = OobRecord::new().issue(&OobPolicy::default(), &OobKey::generate()?, &to, 0).into_parts();
    /// assert!(!delivery?.is_binding()); // a factor's code, as `OobRecord` issues it
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn is_binding(&self) -> bool {
        self.binding
    }

    /// The same delivery, marked as a phone-binding code.
    pub(crate) const fn for_binding(mut self) -> Self {
        self.binding = true;
        self
    }
}

impl OobRecord {
    /// A record with no code in flight, no sends and no failures, at
    /// version 0.
    ///
    /// ```
    /// let record = mfa::OobRecord::new();
    /// assert_eq!((record.version(), record.pending().is_none()), (0, true));
    /// ```
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// The version: 0 for a new record, one more after each change.
    ///
    /// ```
    /// assert_eq!(mfa::OobRecord::new().version(), 0);
    /// ```
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }

    /// The failure count across codes, and when the next attempt is
    /// evaluated.
    ///
    /// ```
    /// assert_eq!(mfa::OobRecord::new().throttle().failures(), 0);
    /// ```
    #[must_use]
    pub const fn throttle(&self) -> Throttle {
        self.throttle
    }

    /// The code in flight, if any: issued, neither consumed nor replaced.
    /// It may have expired or used up its attempts.
    ///
    /// ```
    /// assert!(mfa::OobRecord::new().pending().is_none());
    /// ```
    #[must_use]
    pub const fn pending(&self) -> Option<&PendingCode> {
        self.pending.as_ref()
    }

    /// The first Unix second at which a code may be sent again: after the
    /// resend cooldown since the last send, once fewer than
    /// `max_sends_per_hour` sends fall in the last hour, and once the daily
    /// window (`max_sends_per_day` from its first send) has room. 0 if
    /// nothing holds a send back. For a "resend in N seconds" button.
    ///
    /// ```
    /// use mfa::{Destination, OobKey, OobPolicy, OobRecord};
    ///
    /// let policy = OobPolicy::default();
    /// let to = Destination::sms("+14155552671")?;
    /// assert_eq!(OobRecord::new().next_send_at(&policy), 0);
    /// let (record, _) = OobRecord::new().issue(&policy, &OobKey::generate()?, &to, 1_000).into_parts();
    /// assert_eq!(record.ok_or(mfa::OobError::Rejected)?.next_send_at(&policy), 1_060);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn next_send_at(&self, policy: &OobPolicy) -> u64 {
        self.send_limits(policy).0
    }

    /// The daily window at `now` (its start and its sends so far).
    const fn day_at(&self, now: u64) -> (u64, u16) {
        if self.day_sends == 0 || now >= self.day_start.saturating_add(OobPolicy::DAY_WINDOW) {
            (now, 0)
        } else {
            (self.day_start, self.day_sends)
        }
    }

    /// The next send time and whether the hourly cap (rather than the
    /// cooldown) is what sets it.
    fn send_limits(&self, policy: &OobPolicy) -> (u64, bool) {
        let cooldown_end = self
            .sends
            .iter()
            .max()
            .map_or(0, |last| last.saturating_add(policy.resend_cooldown()));
        // With `n` sends logged (oldest first) and a cap of `max`, the send
        // at index `n - max` must leave the window before another is
        // allowed.
        let cap = usize::from(policy.max_sends_per_hour());
        let cap_end = self
            .sends
            .len()
            .checked_sub(cap)
            .and_then(|index| self.sends.get(index))
            .map_or(0, |oldest| oldest.saturating_add(OobPolicy::SEND_WINDOW));
        // The daily cap, if it is reached (its window may have ended).
        let day_end = if self.day_sends >= policy.max_sends_per_day() {
            self.day_start.saturating_add(OobPolicy::DAY_WINDOW)
        } else {
            0
        };
        let cap_end = cap_end.max(day_end);
        (
            cooldown_end.max(cap_end),
            cap_end >= cooldown_end && cap_end > 0,
        )
    }

    /// Issues a new code for `destination`, drawn from the operating
    /// system's random source: the new record (holding only the code's
    /// keyed hash) and what to deliver.
    ///
    /// A resend within the lifetime of the code in flight, to the same
    /// destination and with attempts left, delivers the **same** code,
    /// until the same [`expires_at`](PendingCode::expires_at), with its
    /// failed attempts kept: two texts, either code works, and asking for
    /// a resend buys no guesses (keycloak-mfa-plugins PR #444). The code
    /// is not stored in clear: it is masked under a keyed PRF of its hash.
    /// Otherwise (none in flight, expired, used up, another destination) a
    /// new code replaces the one in flight, which is then no longer
    /// accepted. The failure count across codes is kept (NIST SP 800-63B:
    /// issuing a new code SHALL NOT reset it); a new code gets its own
    /// [`max_attempts`](OobPolicy::max_attempts).
    ///
    /// Refused, with the record unchanged (`None`), while the throttle is
    /// locked out (sending would only cost money), within the resend
    /// cooldown, or when the hourly or the daily cap is reached.
    ///
    /// # Errors
    ///
    /// In the outcome: [`OobError::Policy`], [`OobError::Refused`] (locked
    /// out), [`OobError::Cooldown`], [`OobError::SendLimit`],
    /// [`OobError::RandomSource`].
    ///
    /// ```
    /// use mfa::{Destination, OobError, OobKey, OobPolicy, OobRecord};
    ///
    /// let (policy, key) = (OobPolicy::default(), OobKey::generate()?);
    /// let to = Destination::sms("+14155552671")?;
    /// let (record, delivery) = OobRecord::new().issue(&policy, &key, &to, 1_000).into_parts();
    /// let record = record.ok_or(OobError::Rejected)?;
    /// assert_eq!(delivery?.code().expose().len(), 6);
    ///
    /// let (unchanged, again) = record.issue(&policy, &key, &to, 1_059).into_parts();
    /// assert!(unchanged.is_none());
    /// assert_eq!(again.err(), Some(OobError::Cooldown { retry_at: 1_060, retry_after: 1 }));
    ///
    /// // After the cooldown, within the code's 300 s, the same code again.
    /// let first = record.pending().map(|p| p.expires_at());
    /// let (record, again) = record.issue(&policy, &key, &to, 1_060).into_parts();
    /// assert_eq!(Some(again?.expires_at()), first);
    /// # let _ = record;
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn issue(
        &self,
        policy: &OobPolicy,
        key: &OobKey,
        destination: &Destination,
        now: u64,
    ) -> Attempt<Self, OobDelivery, OobError> {
        self.issue_with(policy, key, destination, now, getrandom::fill)
    }

    /// As [`issue`](Self::issue), with the randomness from `fill`, which
    /// must fill the buffer it is given with random bytes. In production,
    /// pass a cryptographically secure generator (or use `issue`); in
    /// tests, a fixed sequence makes the code predictable.
    ///
    /// A source that fails, or that keeps returning bytes the rejection
    /// sampling cannot use (such as all `0xff`), gives
    /// [`OobError::RandomSource`], never a weak code.
    ///
    /// # Errors
    ///
    /// As [`issue`](Self::issue).
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use mfa::{Destination, OobError, OobKey, OobPolicy, OobRecord};
    ///
    /// let to = Destination::sms("+14155552671")?;
    /// let key = OobKey::from_bytes(&[7; 32])?;
    /// let zeros = |buf: &mut [u8]| -> Result<(), Infallible> { buf.fill(0); Ok(()) };
    /// let (_, delivery) = OobRecord::new().issue_with(&OobPolicy::default(), &key, &to, 0, zeros).into_parts();
    /// assert_eq!(delivery?.code().expose(), "000000");
    ///
    /// let broken = |buf: &mut [u8]| -> Result<(), Infallible> { buf.fill(0xff); Ok(()) };
    /// let (_, delivery) = OobRecord::new().issue_with(&OobPolicy::default(), &key, &to, 0, broken).into_parts();
    /// assert_eq!(delivery.err(), Some(OobError::RandomSource));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn issue_with<E>(
        &self,
        policy: &OobPolicy,
        key: &OobKey,
        destination: &Destination,
        now: u64,
        mut fill: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Attempt<Self, OobDelivery, OobError> {
        let refuse = |e| Attempt::new(None, Err(e));
        let policy = match policy.validated() {
            Ok(policy) => policy,
            Err(e) => return refuse(OobError::Policy(e)),
        };
        if let Err(refused @ Refused::LockedOut { .. }) = self.throttle.check(now) {
            return refuse(OobError::Refused(refused));
        }
        let (day_start, day_sends) = self.day_at(now);
        let (next_send_at, capped) = self.send_limits(&policy);
        let (next_send_at, capped) = if day_sends >= policy.max_sends_per_day() {
            (
                next_send_at.max(day_start.saturating_add(OobPolicy::DAY_WINDOW)),
                true,
            )
        } else {
            (next_send_at, capped)
        };
        if now < next_send_at {
            let retry_after = next_send_at.saturating_sub(now);
            return refuse(if capped {
                OobError::SendLimit {
                    retry_at: next_send_at,
                    retry_after,
                }
            } else {
                OobError::Cooldown {
                    retry_at: next_send_at,
                    retry_after,
                }
            });
        }
        // Within its lifetime, the code in flight is sent again, with its
        // failures kept: the user may type either text, and asking for a
        // resend buys no guesses.
        let (pending, digits) = match self.resendable(key, destination, now) {
            Some(again) => again,
            None => {
                let Some(digits) = code::draw(policy.digits(), &mut fill) else {
                    return refuse(OobError::RandomSource);
                };
                let hash = key.code_hash(destination, now, digits.as_bytes());
                let pending = PendingCode {
                    destination: destination.clone(),
                    digits: policy.digits(),
                    issued_at: now,
                    expires_at: now.saturating_add(policy.ttl()),
                    failures: 0,
                    max_attempts: policy.max_attempts(),
                    masked: code::mask(&digits, &key.code_mask(&hash)),
                    hash,
                };
                (pending, digits)
            }
        };
        let delivery = OobDelivery {
            destination: destination.clone(),
            code: OobCode::new(&digits),
            expires_at: pending.expires_at,
            binding: false,
        };
        let mut sends: Vec<u64> = self
            .sends
            .iter()
            .copied()
            .filter(|&sent| sent.saturating_add(OobPolicy::SEND_WINDOW) > now)
            .collect();
        sends.push(now);
        sends.sort_unstable();
        let excess = sends
            .len()
            .saturating_sub(usize::from(OobPolicy::MAX_SENDS_PER_HOUR));
        sends.drain(..excess);
        let record = Self {
            version: self.version.wrapping_add(1),
            throttle: self.throttle,
            pending: Some(pending),
            sends,
            day_start,
            day_sends: day_sends.saturating_add(1),
        };
        Attempt::new(Some(record), Ok(delivery))
    }

    /// The code in flight and its digits, if it can be sent again at
    /// `now`: to the same destination, before it expires, with attempts
    /// left, and unmasked to digits (a record changed by hand gives a new
    /// code instead).
    fn resendable(
        &self,
        key: &OobKey,
        destination: &Destination,
        now: u64,
    ) -> Option<(PendingCode, code::Digits)> {
        let pending = self.pending.as_ref()?;
        if pending.destination != *destination
            || now >= pending.expires_at
            || pending.failures >= pending.max_attempts
        {
            return None;
        }
        let digits = code::unmask(
            &pending.masked,
            &key.code_mask(&pending.hash),
            pending.digits,
        )?;
        // The mask is only as good as the key: a record read under another
        // key unmasks to digits that do not match its hash.
        let hash = key.code_hash(destination, pending.issued_at, digits.as_bytes());
        bool::from(hash.ct_eq(&pending.hash)).then(|| (pending.clone(), digits))
    }

    /// Checks what the user typed against the code in flight, which must
    /// have been sent to `destination` (the destination is part of the
    /// code's hash: a code sent to one number cannot confirm another).
    ///
    /// In order, without evaluating the code, and with the record unchanged
    /// (`None`):
    /// the policy is checked; an attempt during backoff or lockout is
    /// [`OobError::Refused`]; with no code in flight, [`NoPendingCode`];
    /// from [`expires_at`](PendingCode::expires_at) on, [`Expired`]; after
    /// `max_attempts` failures at this code, [`AttemptsExhausted`].
    ///
    /// Otherwise the attempt counts. Input that is not a code of the right
    /// length ([`OobError::Malformed`], no hash computed) and a wrong code
    /// ([`OobError::Rejected`]) add one failure to the code and to the
    /// throttle. A right code is consumed and resets the throttle. The
    /// comparison is constant-time.
    ///
    /// [`NoPendingCode`]: OobError::NoPendingCode
    /// [`Expired`]: OobError::Expired
    /// [`AttemptsExhausted`]: OobError::AttemptsExhausted
    ///
    /// # Errors
    ///
    /// In the outcome, as listed above.
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use mfa::{Destination, OobError, OobKey, OobPolicy, OobRecord};
    ///
    /// let (policy, key) = (OobPolicy::default(), OobKey::from_bytes(&[7; 32])?);
    /// let alice = Destination::sms("+14155552671")?;
    /// let mallory = Destination::sms("+14155550000")?;
    /// let zeros = |buf: &mut [u8]| -> Result<(), Infallible> { buf.fill(0); Ok(()) };
    /// let (record, _) = OobRecord::new().issue_with(&policy, &key, &alice, 0, zeros).into_parts();
    /// let record = record.ok_or(OobError::Rejected)?; // the code is 000000
    ///
    /// // The right code, checked against another number, is rejected.
    /// let (record, outcome) = record.verify(&policy, &key, &mallory, "000000", 10).into_parts();
    /// assert_eq!(outcome, Err(OobError::Rejected));
    /// let record = record.ok_or(OobError::Rejected)?;
    /// assert_eq!(record.throttle().failures(), 1);
    ///
    /// // A first failure is forgiven: at once, against the number it was
    /// // sent to, it is accepted.
    /// let (_, outcome) = record.verify(&policy, &key, &alice, "000 000", 10).into_parts();
    /// assert_eq!(outcome, Ok(()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn verify(
        &self,
        policy: &OobPolicy,
        key: &OobKey,
        destination: &Destination,
        input: &str,
        now: u64,
    ) -> Attempt<Self, (), OobError> {
        let refuse = |e| Attempt::new(None, Err(e));
        let policy = match policy.validated() {
            Ok(policy) => policy,
            Err(e) => return refuse(OobError::Policy(e)),
        };
        let throttle_policy = policy.throttle();
        if let Err(refused) = self.throttle.check(now) {
            return refuse(OobError::Refused(refused));
        }
        let Some(pending) = &self.pending else {
            return refuse(OobError::NoPendingCode);
        };
        if now >= pending.expires_at {
            return refuse(OobError::Expired);
        }
        if pending.failures >= pending.max_attempts {
            return refuse(OobError::AttemptsExhausted);
        }

        let outcome = match code::parse(input, pending.digits) {
            Ok(typed) => {
                let hash = key.code_hash(destination, pending.issued_at, typed.as_bytes());
                if bool::from(hash.ct_eq(&pending.hash)) {
                    Ok(())
                } else {
                    Err(OobError::Rejected)
                }
            }
            Err(e) => Err(OobError::Malformed(e)),
        };
        let mut record = self.clone();
        record.version = self.version.wrapping_add(1);
        if outcome.is_ok() {
            record.pending = None;
            record.throttle = self.throttle.after_success();
        } else {
            if let Some(pending) = record.pending.as_mut() {
                pending.failures = pending.failures.saturating_add(1);
            }
            record.throttle = self.throttle.after_failure(now, &throttle_policy);
        }
        Attempt::new(Some(record), outcome)
    }

    /// The record with its failure count and backoff cleared, for when the
    /// user proved themselves another way (a recovery code, an
    /// administrator). The lockout is only ever lifted this way or by a
    /// success. The code in flight and the send log are kept. Write it with
    /// compare-and-set like any other change.
    ///
    /// ```
    /// use mfa::OobRecord;
    ///
    /// let record = OobRecord::new().unlock();
    /// assert_eq!((record.version(), record.throttle().failures()), (1, 0));
    /// ```
    #[must_use = "write the unlocked record with compare-and-set"]
    pub fn unlock(&self) -> Self {
        Self {
            version: self.version.wrapping_add(1),
            throttle: self.throttle.after_success(),
            ..self.clone()
        }
    }
}

impl OobRecord {
    /// The same record with `throttle` in place of its own: a success
    /// that must not forgive earlier failures (a binding code proves a
    /// phone, and its failures may be at another number).
    pub(crate) fn keeping(mut self, throttle: Throttle) -> Self {
        self.throttle = throttle;
        self
    }
}

impl Versioned for OobRecord {
    fn version(&self) -> u64 {
        self.version
    }
}

/// The serialized form, validated into an [`OobRecord`] on
/// deserialization.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(rename = "OobRecord", deny_unknown_fields)]
struct RawOobRecord {
    version: u64,
    throttle: Throttle,
    pending: Option<PendingCode>,
    sends: Vec<u64>,
    day_start: u64,
    day_sends: u16,
}

#[cfg(feature = "serde")]
impl TryFrom<RawOobRecord> for OobRecord {
    type Error = &'static str;

    fn try_from(raw: RawOobRecord) -> Result<Self, Self::Error> {
        if raw.sends.len() > usize::from(OobPolicy::MAX_SENDS_PER_HOUR) {
            return Err("the send log holds more sends than any policy allows");
        }
        if !raw.sends.is_sorted() {
            return Err("the send log must be in time order");
        }
        if raw.day_sends > OobPolicy::MAX_SENDS_PER_DAY {
            return Err("the daily send count is more than any policy allows");
        }
        Ok(Self {
            version: raw.version,
            throttle: raw.throttle,
            pending: raw.pending,
            sends: raw.sends,
            day_start: raw.day_start,
            day_sends: raw.day_sends,
        })
    }
}

/// No masked code: nothing to send again.
#[cfg(feature = "serde")]
const fn unmasked() -> [u8; code::MAX_DIGITS] {
    [0; code::MAX_DIGITS]
}

/// The serialized form, validated into a [`PendingCode`] on
/// deserialization.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(rename = "PendingCode", deny_unknown_fields)]
struct RawPendingCode {
    destination: Destination,
    digits: u8,
    issued_at: u64,
    expires_at: u64,
    failures: u8,
    /// The attempts this code allows, fixed when it was issued.
    max_attempts: u8,
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    hash: [u8; 32],
    /// Absent in records written before resends sent the same code: a
    /// resend then sends a new one.
    #[cfg_attr(feature = "serde", serde(with = "crate::b64", default = "unmasked"))]
    masked: [u8; code::MAX_DIGITS],
}

#[cfg(feature = "serde")]
impl TryFrom<RawPendingCode> for PendingCode {
    type Error = &'static str;

    fn try_from(raw: RawPendingCode) -> Result<Self, Self::Error> {
        if !(OobPolicy::MIN_DIGITS..=OobPolicy::MAX_DIGITS).contains(&raw.digits) {
            return Err("an out-of-band code must have 6 to 10 digits");
        }
        let lifetime = raw.expires_at.checked_sub(raw.issued_at);
        if lifetime.is_none_or(|seconds| seconds > OobPolicy::MAX_TTL) {
            return Err("an out-of-band code must expire within 600 s of its issue");
        }
        if raw.max_attempts == 0 || raw.max_attempts > OobPolicy::MAX_ATTEMPTS {
            return Err("an out-of-band code allows 1 to 5 attempts");
        }
        if raw.failures > raw.max_attempts {
            return Err("an out-of-band code cannot have more failed attempts than it allows");
        }
        Ok(Self {
            destination: raw.destination,
            digits: raw.digits,
            issued_at: raw.issued_at,
            expires_at: raw.expires_at,
            failures: raw.failures,
            max_attempts: raw.max_attempts,
            hash: raw.hash,
            masked: raw.masked,
        })
    }
}

/// Why an out-of-band code was not issued or not accepted.
///
/// Only [`Rejected`](Self::Rejected) and [`Malformed`](Self::Malformed)
/// come from evaluating what the user typed, and `Rejected` says nothing
/// more than "no": a wrong code and a code checked against the wrong
/// destination are indistinguishable. The others state public facts (a
/// time, the state of the code in flight) and leave the record unchanged.
///
/// ```
/// use mfa::OobError;
///
/// assert_eq!(OobError::Rejected.to_string(), "the code was rejected");
/// assert_eq!(
///     OobError::Cooldown { retry_at: 1_060, retry_after: 45 }.to_string(),
///     "a code was sent moments ago; a new one can be sent in 45 s"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum OobError {
    /// The policy is out of range; see [`OobPolicyBuilder::build`](crate::OobPolicyBuilder::build).
    Policy(ParamError),
    /// Throttled: locked out, or too soon after a failure. Not evaluated.
    Refused(Refused),
    /// A code was sent less than the resend cooldown ago.
    Cooldown {
        /// The first Unix second at which a code can be sent.
        retry_at: u64,
        /// Seconds from the refusal to `retry_at`.
        retry_after: u64,
    },
    /// The cap on codes sent per hour is reached.
    SendLimit {
        /// The first Unix second at which a code can be sent.
        retry_at: u64,
        /// Seconds from the refusal to `retry_at`.
        retry_after: u64,
    },
    /// No code is in flight: none was issued, or it was already used.
    NoPendingCode,
    /// The code in flight has expired; ask for a new one.
    Expired,
    /// The code in flight has had its attempts; ask for a new one.
    AttemptsExhausted,
    /// The input is not a code of the right length; counted as a failure.
    Malformed(CodeError),
    /// The code was not accepted. Nothing more is said, on purpose.
    Rejected,
    /// The random source failed; no code was issued.
    RandomSource,
}

impl fmt::Display for OobError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Policy(e) => e.fmt(f),
            Self::Refused(e) => e.fmt(f),
            Self::Cooldown { retry_after, .. } => write!(
                f,
                "a code was sent moments ago; a new one can be sent in {}",
                Wait(*retry_after)
            ),
            Self::SendLimit { retry_after, .. } => write!(
                f,
                "too many codes were sent lately; a new one can be sent in {}",
                Wait(*retry_after)
            ),
            Self::NoPendingCode => f.write_str("no code is waiting to be confirmed; ask for one"),
            Self::Expired => f.write_str("the code has expired; ask for a new one"),
            Self::AttemptsExhausted => {
                f.write_str("the code was tried too many times; ask for a new one")
            }
            Self::Malformed(e) => e.fmt(f),
            Self::Rejected => f.write_str("the code was rejected"),
            Self::RandomSource => f.write_str("the operating system's random source failed"),
        }
    }
}

impl core::error::Error for OobError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Policy(e) => Some(e),
            Self::Refused(e) => Some(e),
            Self::Malformed(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Refused> for OobError {
    fn from(e: Refused) -> Self {
        Self::Refused(e)
    }
}
