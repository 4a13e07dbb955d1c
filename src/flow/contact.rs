//! The account's codes that prove a contact, never a factor: identity
//! codes and phone-binding codes, each a type of its own.

use core::marker::PhantomData;

use crate::record::{
    Attempt, Destination, OobDelivery, OobError, OobKey, OobPolicy, OobRecord, PendingCode,
    Throttle,
};

/// Codes sent to prove a contact, kept in the account's
/// [`Protection`](crate::Protection) for one purpose `P`:
/// [`IdentityCodes`] (an identity check by e-mail or the bound phone,
/// before protection is turned on) or [`BindingCodes`] (a phone being
/// bound as a factor). Each is an [`OobRecord`] underneath, with its
/// cooldown, send caps and failure count per account, but a type of its
/// own: neither is a factor's record, so no challenge can be answered with
/// it and no factor unlocked by it (Ory Kratos #4317 let an e-mailed
/// recovery code and an e-mailed second-factor code both reach the second
/// factor). Only the flows issue and check these codes; the host reads
/// them.
///
/// ```
/// use mfa::{BindingCodes, IdentityCodes, Protection, TotpRecord};
///
/// let account: Protection<TotpRecord> = Protection::new()?; // as loaded from your store
/// let identity: &IdentityCodes = account.identity();
/// let binding: &BindingCodes = account.binding();
/// assert!(identity.pending().is_none() && binding.pending().is_none());
/// # Ok::<(), mfa::Error>(())
/// ```
///
/// A factor whose record is an [`OobRecord`] (an e-mail code of the
/// service's own) checks its codes against its own record:
///
/// ```
/// use mfa::{Factor, FlowError, OobRecord, Protection};
///
/// fn answer<F: Factor<Record = OobRecord>>(f: &F, account: &Protection<OobRecord>, code: &str, now: u64) -> Result<(), FlowError> {
///     let record = account.factor().ok_or(FlowError::NotProtected)?;
///     f.verify(record, code, now).into_parts().1
/// }
/// ```
///
/// but never against the identity codes, even through the same trait;
/// this does not compile:
///
/// ```compile_fail,E0308
/// use mfa::{Factor, FlowError, OobRecord, Protection};
///
/// fn answer<F: Factor<Record = OobRecord>>(f: &F, account: &Protection<OobRecord>, code: &str, now: u64) -> Result<(), FlowError> {
///     f.verify(account.identity(), code, now).into_parts().1 // expected `&OobRecord`
/// }
/// ```
///
/// nor can the identity (or binding) codes be unlocked as a factor:
///
/// ```compile_fail,E0308
/// use mfa::{Factor, OobRecord, Protection};
///
/// fn unlock<F: Factor<Record = OobRecord>>(f: &F, account: &Protection<OobRecord>) -> OobRecord {
///     f.unlock(account.binding()) // expected `&OobRecord`
/// }
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(transparent, bound = "")
)]
pub struct ContactCodes<P> {
    record: OobRecord,
    #[cfg_attr(feature = "serde", serde(skip))]
    purpose: PhantomData<fn() -> P>,
}

/// The purpose of [`IdentityCodes`]: proving who the user is through a
/// verified contact. A marker, with no value.
///
/// ```
/// let _: Option<&mfa::ContactCodes<mfa::ForIdentity>> = None;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForIdentity {}

/// The purpose of [`BindingCodes`]: proving a phone being bound as a
/// factor. A marker, with no value.
///
/// ```
/// let _: Option<&mfa::ContactCodes<mfa::ForBinding>> = None;
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForBinding {}

/// What a purpose marker tells the codes it issues: whether they bind a
/// phone (see [`OobDelivery::is_binding`]).
pub(crate) trait Purpose {
    /// Whether the codes of this purpose bind a phone.
    const BINDING: bool;
}

impl Purpose for ForIdentity {
    const BINDING: bool = false;
}

impl Purpose for ForBinding {
    const BINDING: bool = true;
}

/// The identity-verification codes of an account
/// ([`Protection::identity`](crate::Protection::identity)).
///
/// ```
/// let account: mfa::Protection<mfa::SmsRecord> = mfa::Protection::new()?; // as loaded from your store
/// let codes: &mfa::IdentityCodes = account.identity();
/// assert_eq!(codes.throttle().failures(), 0);
/// # Ok::<(), mfa::Error>(())
/// ```
pub type IdentityCodes = ContactCodes<ForIdentity>;

/// The phone-binding codes of an account
/// ([`Protection::binding`](crate::Protection::binding)).
///
/// ```
/// let account: mfa::Protection<mfa::SmsRecord> = mfa::Protection::new()?; // as loaded from your store
/// let codes: &mfa::BindingCodes = account.binding();
/// assert!(codes.pending().is_none());
/// # Ok::<(), mfa::Error>(())
/// ```
pub type BindingCodes = ContactCodes<ForBinding>;

impl<P> ContactCodes<P> {
    /// No code in flight, no sends, no failures.
    pub(crate) fn new() -> Self {
        Self::wrap(OobRecord::new())
    }

    const fn wrap(record: OobRecord) -> Self {
        Self {
            record,
            purpose: PhantomData,
        }
    }

    /// The code in flight, if any: issued, neither consumed nor replaced.
    /// It may have expired or used up its attempts.
    ///
    /// ```
    /// let account: mfa::Protection<mfa::TotpRecord> = mfa::Protection::new()?;
    /// assert!(account.identity().pending().is_none());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn pending(&self) -> Option<&PendingCode> {
        self.record.pending()
    }

    /// The failure count across codes, and when the next attempt is
    /// evaluated.
    ///
    /// ```
    /// let account: mfa::Protection<mfa::TotpRecord> = mfa::Protection::new()?;
    /// assert_eq!(account.binding().throttle().failures(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn throttle(&self) -> Throttle {
        self.record.throttle()
    }

    /// The first Unix second at which a code may be sent again under
    /// `policy` (the flows': [`FlowPolicy::identity`](crate::FlowPolicy::identity)),
    /// for a "resend in N seconds" button; see
    /// [`OobRecord::next_send_at`].
    ///
    /// ```
    /// let account: mfa::Protection<mfa::TotpRecord> = mfa::Protection::new()?;
    /// assert_eq!(account.identity().next_send_at(&mfa::FlowPolicy::default().identity()), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn next_send_at(&self, policy: &OobPolicy) -> u64 {
        self.record.next_send_at(policy)
    }

    /// [`OobRecord::issue`], kept to this purpose: a binding code's
    /// delivery says so ([`OobDelivery::is_binding`]).
    pub(crate) fn issue(
        &self,
        policy: &OobPolicy,
        key: &OobKey,
        to: &Destination,
        now: u64,
    ) -> Attempt<Self, OobDelivery, OobError>
    where
        P: Purpose,
    {
        let (record, delivery) = self.record.issue(policy, key, to, now).into_parts();
        let delivery = delivery.map(|d| if P::BINDING { d.for_binding() } else { d });
        Self::wrapped(Attempt::new(record, delivery))
    }

    /// [`OobRecord::verify`], kept to this purpose: its success is `()`,
    /// nothing a challenge or a factor takes.
    pub(crate) fn verify(
        &self,
        policy: &OobPolicy,
        key: &OobKey,
        to: &Destination,
        code: &str,
        now: u64,
    ) -> Attempt<Self, (), OobError> {
        Self::wrapped(self.record.verify(policy, key, to, code, now))
    }

    /// With the failure count and backoff cleared ([`OobRecord::unlock`]).
    pub(crate) fn unlock(&self) -> Self {
        Self::wrap(self.record.unlock())
    }

    /// With `throttle` in place of its own (see `OobRecord::keeping`).
    pub(crate) fn keeping(self, throttle: Throttle) -> Self {
        Self::wrap(self.record.keeping(throttle))
    }

    fn wrapped<T>(attempt: Attempt<OobRecord, T, OobError>) -> Attempt<Self, T, OobError> {
        let (record, outcome) = attempt.into_parts();
        Attempt::new(record.map(Self::wrap), outcome)
    }
}

impl<P> Default for ContactCodes<P> {
    fn default() -> Self {
        Self::new()
    }
}
