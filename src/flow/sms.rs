//! The built-in SMS factor: codes sent by text message to a bound phone.

use crate::record::{Attempt, Destination, OobKey, OobPolicy, OobRecord, PhoneNumber, Throttle};

use super::error::FlowError;
use super::factor::{Begun, Factor, Prompt};

/// The SMS factor kind: a phone number bound to the account, and the
/// [`OobRecord`] of the codes sent to it.
///
/// Binding: the user enters a number, a code is sent to it, and typing
/// the code back binds it. The binding code is issued and checked by the
/// flows through the account's own record
/// ([`Protection::binding`](crate::Protection::binding), under
/// [`FlowPolicy::identity`](crate::FlowPolicy::identity)), so that its
/// cooldown, hourly cap and attempt count hold per account, whatever the
/// number, and persist. When the user's identity was verified by a code
/// sent to that same number moments before, the number is bound at once.
/// A change of number is a new binding (NIST SP 800-63B): the flows start
/// it again, with a code to the new number.
///
/// Every rule of the codes of an active factor (6 digits from the OS random source, stored as a keyed
/// hash bound to the number, 5 min lifetime, 5 attempts per code, resend
/// cooldown and hourly cap, failures kept across codes) is the
/// [`OobRecord`]'s, under the factor's [`OobPolicy`].
///
/// ```
/// use mfa::{Factor, OobKey, OobPolicy, SmsFactor};
///
/// let factor = SmsFactor::new(OobKey::generate()?, OobPolicy::default())?;
/// assert_eq!(factor.kind(), "sms");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct SmsFactor {
    key: OobKey,
    policy: OobPolicy,
    at_challenge: bool,
}

impl SmsFactor {
    /// The SMS kind with the server key that code hashes are keyed with
    /// (keep it in the service's secrets, not with the records) and the
    /// code policy.
    ///
    /// # Errors
    ///
    /// [`ParamError`](crate::ParamError) if the policy is not valid; an
    /// [`OobPolicy`] is checked when it is built
    /// ([`OobPolicyBuilder::build`](crate::OobPolicyBuilder::build)) or
    /// deserialized, so this check only repeats that one.
    ///
    /// ```
    /// use mfa::{OobKey, OobPolicy, SmsFactor};
    ///
    /// let key = OobKey::generate()?;
    /// assert!(OobPolicy::builder().ttl(0).build().is_err());
    /// let factor = SmsFactor::new(key, OobPolicy::builder().ttl(120).build()?)?;
    /// assert_eq!(factor.policy().ttl(), 120);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn new(key: OobKey, policy: OobPolicy) -> Result<Self, crate::ParamError> {
        Ok(Self {
            key,
            policy: policy.validated()?,
            at_challenge: false,
        })
    }

    /// Whether a challenge texts a code at once (`true`), or waits for the
    /// user to ask for one with
    /// [`Verification::send_code`](crate::Verification::send_code)
    /// (`false`, the default), so that a user about to type a recovery
    /// code spends none of the hourly texts.
    ///
    /// ```
    /// use mfa::{OobKey, OobPolicy, SmsFactor};
    ///
    /// let factor = SmsFactor::new(OobKey::generate()?, OobPolicy::default())?.with_send_at_challenge(true);
    /// assert!(factor.sends_at_challenge());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn with_send_at_challenge(mut self, at_once: bool) -> Self {
        self.at_challenge = at_once;
        self
    }

    /// See [`with_send_at_challenge`](Self::with_send_at_challenge).
    ///
    /// ```
    /// let factor = mfa::SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// assert!(!factor.sends_at_challenge());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn sends_at_challenge(&self) -> bool {
        self.at_challenge
    }

    /// The code policy.
    ///
    /// ```
    /// let factor = mfa::SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// assert_eq!(factor.policy().digits(), 6);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn policy(&self) -> &OobPolicy {
        &self.policy
    }

    fn check(
        &self,
        record: &SmsRecord,
        code: &str,
        now: u64,
    ) -> Attempt<SmsRecord, SmsRecord, FlowError> {
        let to = Destination::Sms(record.phone.clone());
        let (oob, outcome) = record
            .oob
            .verify(&self.policy, &self.key, &to, code, now)
            .into_parts();
        let new = oob.map(|oob| SmsRecord {
            phone: record.phone.clone(),
            oob,
        });
        match (new, outcome) {
            (Some(new), Ok(())) => Attempt::new(Some(new.clone()), Ok(new)),
            (new, Ok(())) => Attempt::new(new, Err(FlowError::Rejected)),
            (new, Err(e)) => Attempt::new(new, Err(e.into())),
        }
    }

    fn send(&self, record: &SmsRecord, now: u64) -> Attempt<SmsRecord, Prompt, FlowError> {
        let to = Destination::Sms(record.phone.clone());
        let (oob, delivery) = record
            .oob
            .issue(&self.policy, &self.key, &to, now)
            .into_parts();
        match (oob, delivery) {
            (Some(oob), Ok(delivery)) => Attempt::new(
                Some(SmsRecord {
                    phone: record.phone.clone(),
                    oob,
                }),
                Ok(Prompt::Deliver(delivery)),
            ),
            (_, Err(e)) => Attempt::new(None, Err(e.into())),
            (None, Ok(_)) => Attempt::new(None, Err(FlowError::RandomSource)),
        }
    }
}

/// An SMS factor as the account keeps it: the phone number, and the
/// [`OobRecord`] of the codes sent to it (code in flight as a keyed hash,
/// sends, failures). Also the pending state of a binding: the number
/// being bound (its binding code is in the account's
/// [`Protection::binding`](crate::Protection::binding) record).
///
/// With the `serde` feature it serializes as `{phone, oob}`, validated
/// when read back.
///
/// ```
/// use mfa::{OobRecord, PhoneNumber, SmsRecord};
///
/// let record = SmsRecord::new(PhoneNumber::parse("+1 415 555 2671")?);
/// assert_eq!(record.phone().as_str(), "+14155552671");
/// assert_eq!(record.oob(), &OobRecord::new());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct SmsRecord {
    phone: PhoneNumber,
    oob: OobRecord,
}

impl SmsRecord {
    /// A record for `phone`, with no code sent yet.
    ///
    /// ```
    /// let record = mfa::SmsRecord::new(mfa::PhoneNumber::parse("+14155552671")?);
    /// assert!(record.oob().pending().is_none());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn new(phone: PhoneNumber) -> Self {
        Self {
            phone,
            oob: OobRecord::new(),
        }
    }

    /// The phone number.
    ///
    /// ```
    /// let record = mfa::SmsRecord::new(mfa::PhoneNumber::parse("+14155552671")?);
    /// assert_eq!(record.phone().to_string(), "+14155552671");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn phone(&self) -> &PhoneNumber {
        &self.phone
    }

    /// The codes sent to the phone: code in flight, sends, failures.
    ///
    /// ```
    /// let record = mfa::SmsRecord::new(mfa::PhoneNumber::parse("+14155552671")?);
    /// assert_eq!(record.oob().throttle().failures(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn oob(&self) -> &OobRecord {
        &self.oob
    }
}

/// Setup is the phone number to bind; the pending state and the record
/// are [`SmsRecord`]s.
impl Factor for SmsFactor {
    type Setup = PhoneNumber;
    type Record = SmsRecord;

    fn kind(&self) -> &'static str {
        "sms"
    }

    fn begin(
        &self,
        phone: &PhoneNumber,
        verified: Option<&Destination>,
        _now: u64,
    ) -> Result<Begun<SmsRecord>, FlowError> {
        let record = SmsRecord::new(phone.clone());
        // The identity check just proved this very number: it is bound.
        if let Some(Destination::Sms(proved)) = verified
            && *proved == record.phone
        {
            return Ok(Begun::Active(record));
        }
        // The binding code goes through the account's record, not this
        // fresh one: its limits hold whatever the number.
        let to = Destination::Sms(record.phone.clone());
        Ok(Begun::Deliver {
            pending: record,
            to,
        })
    }

    /// Binding codes are checked by the flows ([`Begun::Deliver`]), never
    /// here: [`FlowError::WrongState`].
    fn confirm(
        &self,
        _pending: &SmsRecord,
        _codes: &[&str],
        _now: u64,
    ) -> Attempt<SmsRecord, SmsRecord, FlowError> {
        Attempt::new(
            None,
            Err(FlowError::WrongState {
                waiting_for: "the binding code, checked by the flows",
            }),
        )
    }

    fn bind(
        &self,
        pending: &SmsRecord,
        to: &Destination,
        _now: u64,
    ) -> Result<SmsRecord, FlowError> {
        // Only the phone the binding code was delivered to (and proved).
        match to {
            Destination::Sms(proved) if *proved == pending.phone => {
                Ok(SmsRecord::new(pending.phone.clone()))
            }
            _ => Err(FlowError::Rejected),
        }
    }

    fn destination(&self, record: &SmsRecord) -> Option<Destination> {
        Some(Destination::Sms(record.phone.clone()))
    }

    fn challenge(&self, record: &SmsRecord, now: u64) -> Attempt<SmsRecord, Prompt, FlowError> {
        self.send(record, now)
    }

    fn verify(
        &self,
        record: &SmsRecord,
        code: &str,
        now: u64,
    ) -> Attempt<SmsRecord, (), FlowError> {
        let (record, outcome) = self.check(record, code, now).into_parts();
        Attempt::new(record, outcome.map(|_| ()))
    }

    fn throttle(&self, record: &SmsRecord) -> Throttle {
        record.oob.throttle()
    }

    fn on_demand(&self, _record: &SmsRecord) -> bool {
        !self.at_challenge
    }

    fn unlock(&self, record: &SmsRecord) -> SmsRecord {
        SmsRecord {
            phone: record.phone.clone(),
            oob: record.oob.unlock(),
        }
    }
}
