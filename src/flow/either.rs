//! A factor of one of two kinds, chosen at setup, so that an account can
//! change its method (TOTP to SMS and back).

use crate::record::{Attempt, Destination, OobKey, OobPolicy, Throttle};

use super::error::FlowError;
use super::factor::{Begun, Factor, Prompt};
use super::{FlowPolicy, Flows, SmsFactor, TotpFactor};

/// Two factor kinds offered side by side, such as
/// `EitherFactor<TotpFactor, SmsFactor>`: the user picks one at each
/// [`setup`](crate::Enrollment::setup) (an [`Either`] of the two kinds'
/// setups), and the account's record is an [`Either`] of their records.
/// Changing the method is then a replacement of the factor
/// ([`Enrollment::start_change`](crate::Enrollment::start_change), after a
/// fresh check), like a change of phone or key: the old factor stops
/// working once the new one is confirmed; scenarios and recovery codes are
/// kept.
///
/// Every call goes to the side of the state it is given; notifications
/// name the kind of the record's side ([`Factor::kind_of`]).
/// [`kind`](Factor::kind) itself, which has no record, is `"either"`.
///
/// An account stored as `Protection<TotpRecord>` under
/// `Flows<TotpFactor>` does not read as `Protection<Either<…>>`: pick the
/// combinator before storing accounts, or migrate them.
///
/// ```
/// use mfa::{Either, EitherFactor, Factor, OobKey, OobPolicy, SmsFactor, TotpFactor};
///
/// let factor = EitherFactor::new(TotpFactor::new("Example Co")?, SmsFactor::new(OobKey::generate()?, OobPolicy::default())?);
/// assert_eq!(factor.kind(), "either");
/// assert_eq!(factor.first().issuer(), "Example Co");
/// // An SMS setup: the phone number to bind.
/// let setup: Either<String, mfa::PhoneNumber> = Either::Second(mfa::PhoneNumber::parse("+14155552671")?);
/// assert!(setup.second().is_some());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct EitherFactor<A, B> {
    first: A,
    second: B,
}

impl Flows<EitherFactor<TotpFactor, SmsFactor>> {
    /// The flows of a service that offers both an authenticator app and
    /// text messages, with the default policies: TOTP keys issued by
    /// `issuer`, and `key` (from the service's secrets) for the texted
    /// codes and the identity codes. For other policies, build the
    /// [`EitherFactor`] and call [`Flows::new`].
    ///
    /// # Errors
    ///
    /// [`UriError`](crate::UriError) (as [`Error::Uri`](crate::Error)) if
    /// `issuer` cannot name a key (empty, or with a colon).
    ///
    /// ```
    /// use mfa::{Factor, Flows, OobKey};
    ///
    /// let flows = Flows::totp_or_sms("Example Co", OobKey::generate()?)?;
    /// assert_eq!(flows.factor().first().issuer(), "Example Co");
    /// assert_eq!(flows.factor().second().kind(), "sms");
    /// assert!(Flows::totp_or_sms("", OobKey::generate()?).is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn totp_or_sms(issuer: &str, key: OobKey) -> Result<Self, crate::Error> {
        let sms = SmsFactor::new(key.clone(), OobPolicy::default())?;
        let factor = EitherFactor::new(TotpFactor::new(issuer)?, sms);
        Ok(Self::new(factor, key, FlowPolicy::default())?)
    }
}

impl<A, B> EitherFactor<A, B> {
    /// The two kinds: [`Either::First`] states go to `first`,
    /// [`Either::Second`] states to `second`.
    ///
    /// ```
    /// let sms = mfa::SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// let factor = mfa::EitherFactor::new(mfa::TotpFactor::new("Example Co")?, sms);
    /// assert_eq!(factor.second().policy().digits(), 6);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn new(first: A, second: B) -> Self {
        Self { first, second }
    }

    /// The first kind.
    ///
    /// ```
    /// let sms = mfa::SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// let factor = mfa::EitherFactor::new(mfa::TotpFactor::new("Example Co")?, sms);
    /// assert_eq!(factor.first().codes(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn first(&self) -> &A {
        &self.first
    }

    /// The second kind.
    ///
    /// ```
    /// use mfa::Factor;
    ///
    /// let sms = mfa::SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// let factor = mfa::EitherFactor::new(mfa::TotpFactor::new("Example Co")?, sms);
    /// assert_eq!(factor.second().kind(), "sms");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn second(&self) -> &B {
        &self.second
    }
}

/// One of two: the setup, pending state or record of an [`EitherFactor`].
///
/// With the `serde` feature it serializes externally tagged,
/// `{"first": …}` or `{"second": …}`; the side's own type validates its
/// part when read back, and any other tag is refused.
///
/// ```
/// use mfa::Either;
///
/// let record: Either<u8, &str> = Either::First(7);
/// assert_eq!((record.first(), record.second()), (Some(&7), None));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(rename_all = "snake_case")
)]
pub enum Either<A, B> {
    /// The first kind's (TOTP, in `EitherFactor<TotpFactor, SmsFactor>`).
    First(A),
    /// The second kind's (SMS, in `EitherFactor<TotpFactor, SmsFactor>`).
    Second(B),
}

impl<A, B> Either<A, B> {
    /// The first kind's value, if it is that side.
    ///
    /// ```
    /// assert_eq!(mfa::Either::<u8, u8>::Second(1).first(), None);
    /// ```
    #[must_use]
    pub const fn first(&self) -> Option<&A> {
        match self {
            Self::First(a) => Some(a),
            Self::Second(_) => None,
        }
    }

    /// The second kind's value, if it is that side.
    ///
    /// ```
    /// assert_eq!(mfa::Either::<u8, u8>::Second(1).second(), Some(&1));
    /// ```
    #[must_use]
    pub const fn second(&self) -> Option<&B> {
        match self {
            Self::First(_) => None,
            Self::Second(b) => Some(b),
        }
    }
}

/// An attempt of one side, with its record put on that side.
fn side<R, S, T, U>(
    attempt: Attempt<R, T, FlowError>,
    record: impl FnOnce(R) -> S,
    outcome: impl FnOnce(T) -> U,
) -> Attempt<S, U, FlowError> {
    let (r, o) = attempt.into_parts();
    Attempt::new(r.map(record), o.map(outcome))
}

/// A begun setup of one side, with its states put on that side.
fn begun<R, S>(begun: Begun<R>, record: impl FnOnce(R) -> S) -> Begun<S> {
    match begun {
        Begun::Confirm { pending, prompt } => Begun::Confirm {
            pending: record(pending),
            prompt,
        },
        Begun::Deliver { pending, to } => Begun::Deliver {
            pending: record(pending),
            to,
        },
        Begun::Active(r) => Begun::Active(record(r)),
    }
}

/// Setup, pending state and record are [`Either`]s of the two kinds'; each
/// call goes to the side of its input.
impl<A: Factor, B: Factor> Factor for EitherFactor<A, B> {
    type Setup = Either<A::Setup, B::Setup>;
    type Record = Either<A::Record, B::Record>;

    fn kind(&self) -> &'static str {
        "either"
    }

    fn kind_of(&self, record: &Self::Record) -> &'static str {
        match record {
            Either::First(r) => self.first.kind_of(r),
            Either::Second(r) => self.second.kind_of(r),
        }
    }

    fn begin(
        &self,
        setup: &Self::Setup,
        verified: Option<&Destination>,
        now: u64,
    ) -> Result<Begun<Self::Record>, FlowError> {
        Ok(match setup {
            Either::First(s) => begun(self.first.begin(s, verified, now)?, Either::First),
            Either::Second(s) => begun(self.second.begin(s, verified, now)?, Either::Second),
        })
    }

    fn confirm(
        &self,
        pending: &Self::Record,
        codes: &[&str],
        now: u64,
    ) -> Attempt<Self::Record, Self::Record, FlowError> {
        match pending {
            Either::First(p) => side(
                self.first.confirm(p, codes, now),
                Either::First,
                Either::First,
            ),
            Either::Second(p) => side(
                self.second.confirm(p, codes, now),
                Either::Second,
                Either::Second,
            ),
        }
    }

    fn bind(
        &self,
        pending: &Self::Record,
        to: &Destination,
        now: u64,
    ) -> Result<Self::Record, FlowError> {
        Ok(match pending {
            Either::First(p) => Either::First(self.first.bind(p, to, now)?),
            Either::Second(p) => Either::Second(self.second.bind(p, to, now)?),
        })
    }

    fn destination(&self, record: &Self::Record) -> Option<Destination> {
        match record {
            Either::First(r) => self.first.destination(r),
            Either::Second(r) => self.second.destination(r),
        }
    }

    fn resend(&self, pending: &Self::Record, now: u64) -> Attempt<Self::Record, Prompt, FlowError> {
        match pending {
            Either::First(p) => side(self.first.resend(p, now), Either::First, |x| x),
            Either::Second(p) => side(self.second.resend(p, now), Either::Second, |x| x),
        }
    }

    fn challenge(
        &self,
        record: &Self::Record,
        now: u64,
    ) -> Attempt<Self::Record, Prompt, FlowError> {
        match record {
            Either::First(r) => side(self.first.challenge(r, now), Either::First, |x| x),
            Either::Second(r) => side(self.second.challenge(r, now), Either::Second, |x| x),
        }
    }

    fn verify(
        &self,
        record: &Self::Record,
        code: &str,
        now: u64,
    ) -> Attempt<Self::Record, (), FlowError> {
        match record {
            Either::First(r) => side(self.first.verify(r, code, now), Either::First, |x| x),
            Either::Second(r) => side(self.second.verify(r, code, now), Either::Second, |x| x),
        }
    }

    fn unlock(&self, record: &Self::Record) -> Self::Record {
        match record {
            Either::First(r) => Either::First(self.first.unlock(r)),
            Either::Second(r) => Either::Second(self.second.unlock(r)),
        }
    }

    fn throttle(&self, record: &Self::Record) -> Throttle {
        match record {
            Either::First(r) => self.first.throttle(r),
            Either::Second(r) => self.second.throttle(r),
        }
    }

    fn on_demand(&self, record: &Self::Record) -> bool {
        match record {
            Either::First(r) => self.first.on_demand(r),
            Either::Second(r) => self.second.on_demand(r),
        }
    }
}
