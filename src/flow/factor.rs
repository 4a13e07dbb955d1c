//! What a factor kind is to the flows: how it is set up and confirmed, how
//! it challenges, how it checks a response against its record.

use crate::record::{Attempt, Destination, OobDelivery, Throttle};
use crate::uri::KeyUri;

use super::error::FlowError;

/// A kind of second factor, as the flows see it. The built-in kinds are
/// [`TotpFactor`](crate::TotpFactor) (an authenticator app) and
/// [`SmsFactor`](crate::SmsFactor) (codes by text message); a service adds
/// its own (an e-mail code, a hardware token) by implementing this trait.
///
/// The value implementing it is the service's configuration of the kind
/// (issuer, policies, keys); the state lives in [`Record`](Self::Record):
/// the active factor, or one being set up (a pending secret, a phone with
/// its code in flight), both kept in the account's
/// [`Protection`](crate::Protection), so that every failure is counted in
/// the account record. Every method is a pure function of (configuration, state,
/// input, `now`): it reads no clock and does no IO. Operations that change
/// a state return an [`Attempt`] with the new state, *also on failure*
/// (a failure count changed): keep every throttling, replay and code rule
/// in the records of layer 2, and this trait is only glue.
///
/// ```
/// use mfa::{Attempt, Begun, Destination, Factor, FlowError, HotpRecord, Prompt, Throttle};
///
/// /// A hardware token: the service imports its seed, the user confirms one code.
/// #[derive(Clone, Debug)]
/// struct Token;
///
/// impl Factor for Token {
///     type Setup = HotpRecord; // from the vendor's seed file
///     type Record = HotpRecord;
///
///     fn kind(&self) -> &'static str {
///         "hotp-token"
///     }
///     fn begin(&self, setup: &HotpRecord, _: Option<&Destination>, _: u64) -> Result<Begun<HotpRecord>, FlowError> {
///         Ok(Begun::Confirm { pending: setup.clone(), prompt: Prompt::Code { codes: 1 } })
///     }
///     fn confirm(&self, pending: &HotpRecord, codes: &[&str], now: u64) -> Attempt<HotpRecord, HotpRecord, FlowError> {
///         let [code] = codes else { return Attempt::new(None, Err(FlowError::CodesNeeded { count: 1 })) };
///         let (record, outcome) = pending.verify(code, now).into_parts();
///         match (record, outcome) {
///             (Some(active), Ok(_)) => Attempt::new(None, Ok(active)),
///             (record, outcome) => Attempt::new(record, Err(outcome.err().map_or(FlowError::Rejected, FlowError::from))),
///         }
///     }
///     fn challenge(&self, _: &HotpRecord, _: u64) -> Attempt<HotpRecord, Prompt, FlowError> {
///         Attempt::new(None, Ok(Prompt::Code { codes: 1 }))
///     }
///     fn verify(&self, record: &HotpRecord, code: &str, now: u64) -> Attempt<HotpRecord, (), FlowError> {
///         let (record, outcome) = record.verify(code, now).into_parts();
///         Attempt::new(record, outcome.map(|_| ()).map_err(FlowError::from))
///     }
///     fn unlock(&self, record: &HotpRecord) -> HotpRecord {
///         record.unlock()
///     }
///     fn throttle(&self, record: &HotpRecord) -> Throttle {
///         record.throttle()
///     }
/// }
/// assert_eq!(Token.kind(), "hotp-token");
/// ```
pub trait Factor {
    /// What starts the setup of a new factor once the user's identity is
    /// verified: the account name for a TOTP key, the phone number to
    /// bind for SMS.
    type Setup;
    /// The factor's state, kept in the account's
    /// [`Protection`](crate::Protection): active, or pending while it is
    /// set up (never in the session: a pending secret and its failure
    /// count live in the account record).
    type Record: Clone + core::fmt::Debug;

    /// The name of the kind, such as `"totp"` or `"sms"`, for
    /// notifications and logs.
    fn kind(&self) -> &'static str;

    /// The name of the kind of an active `record`, for the
    /// [`FactorBound`](crate::Event::FactorBound) and
    /// [`FactorChanged`](crate::Event::FactorChanged) notices. The default
    /// is [`kind`](Self::kind); a factor of several kinds, such as
    /// [`EitherFactor`](crate::EitherFactor), names the record's.
    ///
    /// ```
    /// use mfa::{Factor, PhoneNumber, SmsFactor, SmsRecord};
    ///
    /// let sms = SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// assert_eq!(sms.kind_of(&SmsRecord::new(PhoneNumber::parse("+14155552671")?)), "sms");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    fn kind_of(&self, record: &Self::Record) -> &'static str {
        let _ = record;
        self.kind()
    }

    /// Starts setting up a factor from `setup`. `verified` is the contact
    /// the user's identity was verified through moments ago (`None` when
    /// the user proved themselves with a second-factor check instead).
    ///
    /// Returns the pending factor and what to ask the user, the pending
    /// factor and a destination to prove by a code (which the flows
    /// issue and check through the account's own record of binding codes,
    /// under its limits), or the active record at once when nothing is
    /// left to confirm (an SMS factor on the phone that was just verified).
    ///
    /// # Errors
    ///
    /// Any [`FlowError`] the kind needs: a random source that failed, an
    /// account name a key URI cannot hold, a code that cannot be sent.
    fn begin(
        &self,
        setup: &Self::Setup,
        verified: Option<&Destination>,
        now: u64,
    ) -> Result<Begun<Self::Record>, FlowError>;

    /// Confirms a pending factor with the codes the user typed. On success
    /// the outcome is the active record (any step or code used to confirm
    /// consumed); on a counted failure, the attempt holds the new pending
    /// state to keep.
    fn confirm(
        &self,
        pending: &Self::Record,
        codes: &[&str],
        now: u64,
    ) -> Attempt<Self::Record, Self::Record, FlowError>;

    /// The active record of a pending factor whose destination `to` was
    /// proved by a binding code ([`Begun::Deliver`]): called by the flows
    /// once the code sent to `to` checked out. An implementation must bind
    /// only `to`, and refuse a `pending` factor for another destination
    /// (the session state holds both; they must agree). The default:
    /// [`FlowError::WrongState`] (the kind never asks for a binding code).
    ///
    /// # Errors
    ///
    /// Any [`FlowError`] the kind needs; [`SmsFactor`](crate::SmsFactor):
    /// [`FlowError::Rejected`] when `pending` is not for `to`.
    ///
    /// ```
    /// use mfa::{Destination, Factor, FlowError, PhoneNumber, SmsFactor, SmsRecord};
    ///
    /// let sms = SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// let phone = PhoneNumber::parse("+14155552671")?;
    /// let pending = SmsRecord::new(phone.clone());
    /// assert_eq!(sms.bind(&pending, &Destination::Sms(phone), 0)?.phone(), pending.phone());
    ///
    /// // A code proved another phone: not this one.
    /// let other = Destination::sms("+14155550000")?;
    /// assert_eq!(sms.bind(&pending, &other, 0).err(), Some(FlowError::Rejected));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    fn bind(
        &self,
        pending: &Self::Record,
        to: &Destination,
        now: u64,
    ) -> Result<Self::Record, FlowError> {
        let _ = (pending, to, now);
        Err(FlowError::WrongState {
            waiting_for: "the code the authenticator shows",
        })
    }

    /// Where a record (active or pending) delivers its codes, if it
    /// delivers them anywhere: the phone of an SMS factor. The flows refuse
    /// to bind a factor to a destination that another factor of the
    /// account already has ([`FlowError::AlreadyBound`]): a second factor
    /// on the same phone is no second device, only a duplicate (and twice
    /// the codes to one SIM). The default is `None` (an app or a token,
    /// whose secret is new each time): never a duplicate.
    ///
    /// ```
    /// use mfa::{Destination, Factor, PhoneNumber, SmsFactor, SmsRecord, TotpFactor};
    ///
    /// let sms = SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// let record = SmsRecord::new(PhoneNumber::parse("+1 415 555 2671")?);
    /// assert_eq!(sms.destination(&record), Some(Destination::sms("+14155552671")?));
    ///
    /// let app = TotpFactor::new("Example Co")?;
    /// // An authenticator app's record, as the flows keep it.
    /// let record = mfa::TotpRecord::new(mfa::Totp::new(&mfa::Secret::generate()?, mfa::TotpConfig::default())?);
    /// assert_eq!(app.destination(&record), None);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    fn destination(&self, record: &Self::Record) -> Option<Destination> {
        let _ = record;
        None
    }

    /// Sends the confirmation of a pending factor again (a new code to
    /// the phone being bound), for a "resend" button. The default has
    /// nothing to resend: [`FlowError::WrongState`].
    fn resend(&self, pending: &Self::Record, now: u64) -> Attempt<Self::Record, Prompt, FlowError> {
        let _ = (pending, now);
        Attempt::new(
            None,
            Err(FlowError::WrongState {
                waiting_for: "the code the authenticator shows",
            }),
        )
    }

    /// Challenges the user at a protected scenario: what to ask for, and
    /// the new record if the challenge changed it (a code was issued).
    fn challenge(
        &self,
        record: &Self::Record,
        now: u64,
    ) -> Attempt<Self::Record, Prompt, FlowError>;

    /// Checks the user's response to a challenge against the record.
    ///
    /// A success must hold the new record, with the code consumed (the
    /// step or counter recorded, the one-time code spent): the flows write
    /// it with compare-and-set, so that the same code cannot pass twice. A
    /// success without a new record is refused as
    /// [`FlowError::Rejected`].
    fn verify(
        &self,
        record: &Self::Record,
        code: &str,
        now: u64,
    ) -> Attempt<Self::Record, (), FlowError>;

    /// The record with its failure count and lockout cleared, after the
    /// user proved themselves with a recovery code.
    ///
    /// It needs no proof as an argument because it grants nothing: the
    /// record it returns is detached from the account. The flows call it
    /// in one place only, [`Verification::respond_recovery`](crate::Verification::respond_recovery),
    /// once a recovery code has passed, for every factor of the account
    /// in the same write. Nothing else reaches it: an identity or binding
    /// code is no `Self::Record` (see [`ContactCodes`](crate::ContactCodes)),
    /// a factor's own success clears its own count through
    /// [`verify`](Self::verify), and the administrator's
    /// [`admin_reset`](crate::Protection::admin_reset) turns protection
    /// off rather than unlocking. [`Protection`](crate::Protection) has no
    /// public way to put a factor's record back (only its flows write it,
    /// each behind a fresh [`Verified`](crate::Verified), a recovery code,
    /// or the admin reset), so calling `unlock` yourself lifts no lockout;
    /// this does not compile:
    ///
    /// ```compile_fail,E0624
    /// use mfa::{Factor, Protection, TotpFactor, TotpRecord};
    ///
    /// fn lift(f: &TotpFactor, account: &Protection<TotpRecord>) -> Option<Protection<TotpRecord>> {
    ///     let factor = account.factors().first()?;
    ///     let unlocked = f.unlock(factor.record());
    ///     account.with_factor(factor.id(), unlocked) // private: the flows' own
    /// }
    /// ```
    ///
    /// (A host that edits the stored record behind the flows' back, or
    /// keeps layer-2 records without the flows, is outside what a type
    /// can guard.)
    fn unlock(&self, record: &Self::Record) -> Self::Record;

    /// The record's throttle: the flows read it to tell the owner of a
    /// lockout ([`Event::LockedOut`](crate::Event::LockedOut)).
    fn throttle(&self, record: &Self::Record) -> Throttle;

    /// Whether a challenge waits for the user to ask for a code
    /// ([`Verification::send_code`](crate::Verification::send_code))
    /// rather than sending one at once: `true` for a factor whose codes
    /// cost a message. The default is `false` (an app shows its code).
    ///
    /// ```
    /// use mfa::{Factor, PhoneNumber, SmsFactor, SmsRecord};
    ///
    /// let sms = SmsFactor::new(mfa::OobKey::generate()?, mfa::OobPolicy::default())?;
    /// let record = SmsRecord::new(PhoneNumber::parse("+14155552671")?);
    /// assert!(sms.on_demand(&record));
    /// assert!(!sms.with_send_at_challenge(true).on_demand(&record));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    fn on_demand(&self, record: &Self::Record) -> bool {
        let _ = record;
        false
    }
}

/// What [`Factor::begin`] returns.
///
/// ```
/// use mfa::{Begun, Prompt};
///
/// let begun: Begun<u8> = Begun::Confirm { pending: 1, prompt: Prompt::Code { codes: 1 } };
/// assert!(matches!(begun, Begun::Confirm { .. }));
/// ```
#[derive(Debug)]
pub enum Begun<R> {
    /// The factor waits for confirmation: the flows keep `pending` in the
    /// account record; ask the user.
    Confirm {
        /// The pending factor.
        pending: R,
        /// What to ask the user (and what to show or deliver first).
        prompt: Prompt,
    },
    /// Prove `to` by a code: the flows issue it through the account's
    /// record of binding codes ([`Protection::binding`](crate::Protection::binding):
    /// per-account cooldown, hourly cap and attempts, whatever the
    /// destination), deliver it, check what the user types back, then
    /// ask [`Factor::bind`] for the active record. Keep `pending`.
    Deliver {
        /// The pending factor.
        pending: R,
        /// Where the binding code goes (the phone being bound).
        to: Destination,
    },
    /// Nothing is left to confirm: this is the active record.
    Active(R),
}

/// What to ask the user for, and what to show or deliver first.
///
/// ```
/// use mfa::Prompt;
///
/// assert_eq!(Prompt::Code { codes: 2 }.codes(), 2);
/// ```
#[derive(Clone, Debug)]
#[non_exhaustive]
pub enum Prompt {
    /// Ask for the code (or `codes` consecutive codes) that the user's app
    /// or token shows.
    Code {
        /// How many consecutive codes.
        codes: u8,
    },
    /// Show this key (as a QR code, or the text of its secret), then ask
    /// for `codes` consecutive codes from the app.
    Key {
        /// The key to show. It holds the secret: show it once, never log it.
        uri: KeyUri,
        /// How many consecutive codes.
        codes: u8,
    },
    /// Deliver this code, then ask the user to type it.
    Deliver(OobDelivery),
}

impl Prompt {
    /// How many codes to ask the user for.
    ///
    /// ```
    /// assert_eq!(mfa::Prompt::Code { codes: 1 }.codes(), 1);
    /// ```
    #[must_use]
    pub const fn codes(&self) -> u8 {
        match self {
            Self::Code { codes } | Self::Key { codes, .. } => *codes,
            Self::Deliver(_) => 1,
        }
    }
}
