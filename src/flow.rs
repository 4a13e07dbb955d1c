//! Layer 3: account protection flows, as sans-IO state machines.
//!
//! ```text
//! Enrollment (session state)                 Protection (account record)
//!
//!  start ──► Identity ──verify_identity──► Setup ──setup──► Confirm ──confirm──► Done
//!  (code to a      │ code to e-mail or       │ account name    │ TOTP: key + QR    │ factor active,
//!   verified       │ bound phone             │ or phone number │ SMS: code to the  │ recovery codes
//!   contact)       ▼                         │                 │ new phone         │ shown once,
//!            resend_identity                 └──(SMS on the just-verified phone)───┤ "factor bound"
//!                                                                                   ▼ notified
//!  start_change (fresh check, factor id) ───► Setup ─► … ─► Done: factor replaced in place
//!  start_add (fresh check, name) ───────────► Setup ─► … ─► Done: factor appended
//!
//! Verification (session state)
//!
//!  start ──► Passed   (scenario not protected, or inside the grace window)
//!    └─────► Challenged ──respond / respond_recovery──► Passed (holds a Verified)
//!             │ TOTP: ask for the code                          recovery code: notified
//!             └─send_code (SMS: nothing is texted until the user asks; again for a new code)
//!  step_up ─► Challenged   (always while protection is on: a proof for changes)
//!  choose ──► Challenged   (another of the account's factors; the first by default)
//!  start_trusted ─► Passed by a remembered device (DeviceToken from a cookie),
//!                   or as start; authorize asks the account again
//!
//! Changes (on Protection, each needs a Verified of this account from the
//! last minutes, since its factor last changed):
//!  regenerate_recovery_codes · set_scenarios · rename_factor · remove_factor
//!  · turn_off   (each audited; all but the rename notified)
//! admin_reset: the host's administrator turns protection off (notified,
//! audited with who and why, every session ended).
//!
//! Remembered devices (on Protection, each notified and audited):
//!  trust_device (a fresh factor check at log-on or a custom scenario) ─► DeviceToken
//!  revoke_device · revoke_all_devices   (no check: they only take access away)
//!  cleared when a factor is added, removed or replaced, or protection is
//!  turned on or off (by the owner or an administrator)
//! ```
//!
//! Every input carries `now`; every call returns a [`Transition`]: at most
//! one [`Persist`] of the account record (compare-and-set on the expected
//! version), then the [`Effect`]s to carry out in order (deliveries,
//! notifications, what to show), the state to keep and the result.
//! [`run`](crate::run) and [`run_blocking`](crate::run_blocking) carry a
//! transition out against a store.
//! Every rule about codes (throttling, replay, expiry, attempts) is the
//! factor records' (layer 2); the flows only decide which record to ask
//! and what follows.

mod audit;
mod contact;
mod either;
mod enroll;
mod error;
mod factor;
mod factors;
mod protection;
mod sms;
mod totp;
mod trust;
mod verify;

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use subtle::ConstantTimeEq;

pub use audit::Audit;
pub use contact::{BindingCodes, ContactCodes, ForBinding, ForIdentity, IdentityCodes};
pub use either::{Either, EitherFactor};
pub use enroll::{Awaiting, Enrollment};
pub use error::{ErrorKind, FlowError};
pub use factor::{Begun, Factor, Prompt};
pub use factors::{
    AccountId, AdminId, FactorId, FactorName, MAX_FACTORS, NameError, NamedFactor, Reason,
};
pub use protection::Protection;
pub use sms::{SmsFactor, SmsRecord};
pub use totp::TotpFactor;
pub use trust::{DeviceId, DeviceToken, DeviceTokenError, TrustedDevice};
use verify::Proved;
pub use verify::Verification;

use crate::error::ParamError;
use crate::record::{
    OobDelivery, OobKey, OobPolicy, RecoveryCode, RecoveryPolicy, Throttle, ThrottlePolicy,
};
use crate::uri::KeyUri;

/// Where protection applies: logging on, critical operations (changing
/// the password, deleting resources), or a scenario of the service's own.
///
/// ```
/// use mfa::Scenario;
///
/// assert_eq!(Scenario::LogOn.to_string(), "log-on");
/// assert_eq!(Scenario::Custom("export".into()).to_string(), "export");
/// ```
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[non_exhaustive]
pub enum Scenario {
    /// Logging on.
    LogOn,
    /// A critical operation: changing the password or the e-mail address,
    /// deleting resources, changing the protection itself. The grace
    /// window applies to these.
    CriticalOperation,
    /// A scenario the service defines, by name.
    Custom(String),
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::LogOn => f.write_str("log-on"),
            Self::CriticalOperation => f.write_str("critical-operation"),
            Self::Custom(name) => f.write_str(name),
        }
    }
}

/// The rules of the flows, with their defaults and sources.
///
/// | setting | default | allowed | source |
/// |---|---|---|---|
/// | [`pending_ttl`](FlowPolicyBuilder::pending_ttl) | 600 s | 60 s – 1 h | NIST SP 800-63B (OOB codes ≤ 10 min) |
/// | [`grace`](FlowPolicyBuilder::grace) | off | 0 – 1 h | cloud consoles use 15 min ([`Self::CLOUD_CONSOLE_GRACE`]) |
/// | [`fresh_check`](FlowPolicyBuilder::fresh_check) | 300 s | 30 s – 1 h | OWASP: re-authenticate before changing factors |
/// | [`pass_ttl`](FlowPolicyBuilder::pass_ttl) | 300 s | 30 s – 1 h | Authelia `elevation_lifespan`, Kratos `privileged_session_max_age` |
/// | [`trust_ttl`](FlowPolicyBuilder::trust_ttl) | 30 days | 1 – 365 days | Auth0 "remember this browser" (30 days) |
/// | [`identity`](FlowPolicyBuilder::identity) | [`OobPolicy::default`] | see it | NIST SP 800-63B |
/// | [`recovery`](FlowPolicyBuilder::recovery) | [`RecoveryPolicy::default`] | see it | NIST SP 800-63B |
/// | [`recovery_low`](FlowPolicyBuilder::recovery_low) | 2 | 0 – 20 | Kratos #1649: tell users before the last code is gone |
/// | [`account_throttle`](FlowPolicyBuilder::account_throttle) | [`ThrottlePolicy::default`] | see it | NIST SP 800-63B: failed attempts limited per account |
///
/// ```
/// use mfa::FlowPolicy;
///
/// let policy = FlowPolicy::builder().grace(FlowPolicy::CLOUD_CONSOLE_GRACE).build()?;
/// assert_eq!((policy.grace(), policy.pending_ttl()), (900, 600));
/// assert!(FlowPolicy::builder().pending_ttl(10).build().is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawFlowPolicy")
)]
pub struct FlowPolicy {
    pending_ttl: u64,
    grace: u64,
    fresh_check: u64,
    pass_ttl: u64,
    trust_ttl: u64,
    identity: OobPolicy,
    recovery: RecoveryPolicy,
    recovery_low: u8,
    account_throttle: ThrottlePolicy,
}

impl Default for FlowPolicy {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FlowPolicy {
    /// The grace window cloud consoles use after a critical-operation
    /// check: 15 minutes.
    pub const CLOUD_CONSOLE_GRACE: u64 = 900;
    /// The longest any window of the flows may be: an hour.
    pub const MAX_WINDOW: u64 = 3_600;

    const DEFAULT: Self = Self {
        pending_ttl: 600,
        grace: 0,
        fresh_check: 300,
        pass_ttl: 300,
        trust_ttl: 30 * DAY,
        identity: OobPolicy::DEFAULT,
        // 80-bit codes need no rate limit (NIST SP 800-63B §5.1.2.2),
        // and a lockout would let a password holder keep the owner's
        // last way in locked.
        recovery: RecoveryPolicy::DEFAULT,
        recovery_low: 2,
        account_throttle: ThrottlePolicy::DEFAULT,
    };

    /// A builder starting from the [default](Self::default) policy.
    ///
    /// ```
    /// let policy = mfa::FlowPolicy::builder().grace(900).build()?;
    /// assert_eq!((policy.grace(), policy.pending_ttl()), (900, 600));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn builder() -> FlowPolicyBuilder {
        FlowPolicyBuilder {
            policy: Self::DEFAULT,
        }
    }

    /// A builder starting from this policy, to change some of its
    /// settings.
    ///
    /// ```
    /// let policy = mfa::FlowPolicy::default();
    /// let shorter = policy.to_builder().pass_ttl(60).build()?;
    /// assert_eq!((shorter.pass_ttl(), shorter.grace()), (60, policy.grace()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn to_builder(&self) -> FlowPolicyBuilder {
        FlowPolicyBuilder { policy: *self }
    }

    /// How long a pending step (identity verified but no factor set up, a
    /// pending secret or phone binding, a challenge) stays valid, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().pending_ttl(), 600);
    /// ```
    #[must_use]
    pub const fn pending_ttl(&self) -> u64 {
        self.pending_ttl
    }

    /// The grace window after a successful critical-operation check, in
    /// seconds; 0 when it is off.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().grace(), 0);
    /// ```
    #[must_use]
    pub const fn grace(&self) -> u64 {
        self.grace
    }

    /// How recent a check must be for a change to the protection, in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().fresh_check(), 300);
    /// ```
    #[must_use]
    pub const fn fresh_check(&self) -> u64 {
        self.fresh_check
    }

    /// How long a passed [`Verification`] authorises its operation, in
    /// seconds.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().pass_ttl(), 300);
    /// ```
    #[must_use]
    pub const fn pass_ttl(&self) -> u64 {
        self.pass_ttl
    }

    /// How long a remembered device passes without a challenge
    /// ([`Protection::trust_device`]), in seconds.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().trust_ttl(), 30 * 86_400);
    /// ```
    #[must_use]
    pub const fn trust_ttl(&self) -> u64 {
        self.trust_ttl
    }

    /// The rules of identity-verification and phone-binding codes.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().identity(), mfa::OobPolicy::default());
    /// ```
    #[must_use]
    pub const fn identity(&self) -> OobPolicy {
        self.identity
    }

    /// The rules of recovery codes.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().recovery(), mfa::RecoveryPolicy::default());
    /// ```
    #[must_use]
    pub const fn recovery(&self) -> RecoveryPolicy {
        self.recovery
    }

    /// When recovery codes count as few: a use that leaves this many or
    /// fewer is notified as [`Event::RecoveryCodesLow`] rather than
    /// [`Event::RecoveryCodeUsed`], so the owner makes new ones in time.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().recovery_low(), 2);
    /// ```
    #[must_use]
    pub const fn recovery_low(&self) -> u8 {
        self.recovery_low
    }

    /// The throttle of the account's factors together
    /// ([`Protection::throttle`]): every counted wrong code on any factor
    /// also counts there, and with two factors or more a code is
    /// evaluated only while both its factor's throttle and the account's
    /// allow it. Without it, an attacker who knows the password would get
    /// `max_failures` guesses per factor, by switching factors
    /// ([`Verification::choose`](crate::Verification::choose)). A success
    /// on any factor, or a recovery code, resets its failures (not its
    /// strikes), as for a factor. With one factor, that factor's own
    /// throttle is the only one (as before this setting existed, even when
    /// it is looser). Recovery codes keep their own throttle
    /// ([`recovery`](Self::recovery)), outside this one.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::default().account_throttle(), mfa::ThrottlePolicy::default());
    /// ```
    #[must_use]
    pub const fn account_throttle(&self) -> ThrottlePolicy {
        self.account_throttle
    }

    /// The policy if every setting is in range (see
    /// [`FlowPolicyBuilder::build`]); a built or deserialized policy always
    /// is.
    pub(crate) const fn validated(self) -> Result<Self, ParamError> {
        if let Err(e) = window("seconds a pending step is valid", self.pending_ttl, 60) {
            return Err(e);
        }
        if let Err(e) = window("seconds of the grace window", self.grace, 0) {
            return Err(e);
        }
        if let Err(e) = window(
            "seconds a check stays fresh for changes",
            self.fresh_check,
            30,
        ) {
            return Err(e);
        }
        if let Err(e) = window("seconds a passed check authorises", self.pass_ttl, 30) {
            return Err(e);
        }
        if self.trust_ttl < DAY || self.trust_ttl > 365 * DAY {
            return Err(ParamError::OutOfRange {
                name: "seconds a remembered device is trusted",
                value: self.trust_ttl,
                min: DAY,
                max: 365 * DAY,
            });
        }
        if let Err(e) = self.identity.validated() {
            return Err(e);
        }
        if self.recovery_low > RecoveryPolicy::MAX_COUNT {
            return Err(ParamError::OutOfRange {
                name: "recovery codes left that count as few",
                value: self.recovery_low as u64,
                min: 0,
                max: RecoveryPolicy::MAX_COUNT as u64,
            });
        }
        if let Err(e) = self.account_throttle.validated() {
            return Err(e);
        }
        match self.recovery.validated() {
            Ok(_) => Ok(self),
            Err(e) => Err(e),
        }
    }
}

/// Builds a [`FlowPolicy`]: set what differs from the default, then
/// [`build`](Self::build), which checks every setting against its allowed
/// range (see the table on [`FlowPolicy`]).
///
/// ```
/// use mfa::{FlowPolicy, FlowPolicyBuilder};
///
/// let builder: FlowPolicyBuilder = FlowPolicy::builder().fresh_check(120);
/// assert_eq!(builder.build()?.fresh_check(), 120);
/// assert!(builder.fresh_check(0).build().is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlowPolicyBuilder {
    policy: FlowPolicy,
}

impl Default for FlowPolicyBuilder {
    fn default() -> Self {
        FlowPolicy::builder()
    }
}

impl FlowPolicyBuilder {
    /// Sets how long a pending step (identity verified but no factor set
    /// up, a pending secret or phone binding, a challenge) stays valid.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::builder().pending_ttl(300).build()?.pending_ttl(), 300);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn pending_ttl(mut self, seconds: u64) -> Self {
        self.policy.pending_ttl = seconds;
        self
    }

    /// Sets the grace window after a successful critical-operation check,
    /// in which further critical operations are not challenged; 0 (the
    /// default) turns it off.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::builder().grace(900).build()?.grace(), 900);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn grace(mut self, seconds: u64) -> Self {
        self.policy.grace = seconds;
        self
    }

    /// Sets how recent a check must be for a change to the protection.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::builder().fresh_check(120).build()?.fresh_check(), 120);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn fresh_check(mut self, seconds: u64) -> Self {
        self.policy.fresh_check = seconds;
        self
    }

    /// Sets how long a passed [`Verification`] authorises its operation
    /// ([`Verification::authorize`]), from the moment it passed: one check
    /// does not unlock every later critical operation of the session.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::builder().pass_ttl(60).build()?.pass_ttl(), 60);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn pass_ttl(mut self, seconds: u64) -> Self {
        self.policy.pass_ttl = seconds;
        self
    }

    /// Sets how long a remembered device passes without a challenge, from
    /// the moment it was trusted: a day to a year.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::builder().trust_ttl(7 * 86_400).build()?.trust_ttl(), 604_800);
    /// assert!(mfa::FlowPolicy::builder().trust_ttl(3_600).build().is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn trust_ttl(mut self, seconds: u64) -> Self {
        self.policy.trust_ttl = seconds;
        self
    }

    /// Sets the rules of identity-verification codes (sent to a verified
    /// e-mail address or phone) and of phone-binding codes (sent to a
    /// number being bound), each kept in its own account-level record of
    /// the [`Protection`].
    ///
    /// ```
    /// let identity = mfa::OobPolicy::builder().ttl(120).build()?;
    /// let policy = mfa::FlowPolicy::builder().identity(identity).build()?;
    /// assert_eq!(policy.identity().ttl(), 120);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn identity(mut self, policy: OobPolicy) -> Self {
        self.policy.identity = policy;
        self
    }

    /// Sets the rules of recovery codes.
    ///
    /// ```
    /// let recovery = mfa::RecoveryPolicy::builder().count(5).build()?;
    /// let policy = mfa::FlowPolicy::builder().recovery(recovery).build()?;
    /// assert_eq!(policy.recovery().count(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn recovery(mut self, policy: RecoveryPolicy) -> Self {
        self.policy.recovery = policy;
        self
    }

    /// Sets how many recovery codes left count as few (see
    /// [`FlowPolicy::recovery_low`]); 0 tells the owner only when the last
    /// one is used.
    ///
    /// ```
    /// assert_eq!(mfa::FlowPolicy::builder().recovery_low(0).build()?.recovery_low(), 0);
    /// assert!(mfa::FlowPolicy::builder().recovery_low(20).build().is_ok());
    /// assert!(mfa::FlowPolicy::builder().recovery_low(21).build().is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn recovery_low(mut self, codes: u8) -> Self {
        self.policy.recovery_low = codes;
        self
    }

    /// Sets the throttle of the account's factors together (see
    /// [`FlowPolicy::account_throttle`]): with several factors, at most
    /// its `max_failures` wrong codes in a row are evaluated across all of
    /// them before a lockout. [`ThrottlePolicy::unlimited`] leaves only
    /// each factor's own throttle (the guesses then grow with the
    /// factors).
    ///
    /// ```
    /// let cap = mfa::ThrottlePolicy::builder().max_failures(5).build()?;
    /// let policy = mfa::FlowPolicy::builder().account_throttle(cap).build()?;
    /// assert_eq!(policy.account_throttle().max_failures(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn account_throttle(mut self, policy: ThrottlePolicy) -> Self {
        self.policy.account_throttle = policy;
        self
    }

    /// The checked policy.
    ///
    /// # Errors
    ///
    /// [`ParamError::OutOfRange`] for a window out of range, or the error
    /// of the identity, recovery or account-throttle policy.
    ///
    /// ```
    /// assert!(mfa::FlowPolicy::builder().grace(3_600).build().is_ok());
    /// assert!(mfa::FlowPolicy::builder().grace(3_601).build().is_err());
    /// ```
    pub const fn build(self) -> Result<FlowPolicy, ParamError> {
        self.policy.validated()
    }
}

/// The serialized form, validated into a [`FlowPolicy`].
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(rename = "FlowPolicy", deny_unknown_fields)]
struct RawFlowPolicy {
    pending_ttl: u64,
    grace: u64,
    fresh_check: u64,
    pass_ttl: u64,
    trust_ttl: u64,
    identity: OobPolicy,
    recovery: RecoveryPolicy,
    recovery_low: u8,
    /// Absent from policies stored before it existed: the default.
    #[serde(default)]
    account_throttle: ThrottlePolicy,
}

#[cfg(feature = "serde")]
impl TryFrom<RawFlowPolicy> for FlowPolicy {
    type Error = ParamError;

    fn try_from(raw: RawFlowPolicy) -> Result<Self, ParamError> {
        Self {
            pending_ttl: raw.pending_ttl,
            grace: raw.grace,
            fresh_check: raw.fresh_check,
            pass_ttl: raw.pass_ttl,
            trust_ttl: raw.trust_ttl,
            identity: raw.identity,
            recovery: raw.recovery,
            recovery_low: raw.recovery_low,
            account_throttle: raw.account_throttle,
        }
        .validated()
    }
}

/// A day, in seconds: the unit of the trust of remembered devices.
const DAY: u64 = 86_400;

/// A window of the policy, in range.
const fn window(name: &'static str, value: u64, min: u64) -> Result<(), ParamError> {
    if value < min || value > FlowPolicy::MAX_WINDOW {
        return Err(ParamError::OutOfRange {
            name,
            value,
            min,
            max: FlowPolicy::MAX_WINDOW,
        });
    }
    Ok(())
}

/// The service's configuration of the flows: the factor kind, the
/// [`FlowPolicy`], and the server key of identity-verification codes.
/// Built once at start-up; never serialized.
///
/// ```
/// use mfa::{FlowPolicy, Flows, OobKey, TotpFactor};
///
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?;
/// assert_eq!(flows.policy().pending_ttl(), 600);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct Flows<F> {
    factor: F,
    key: OobKey,
    policy: FlowPolicy,
}

impl<F: Factor> Flows<F> {
    /// The flows for `factor`, with `key` for identity codes (keep it in
    /// the service's secrets; it may be the key of an [`SmsFactor`]).
    ///
    /// # Errors
    ///
    /// [`ParamError`] if the policy is not valid; a [`FlowPolicy`] is
    /// checked when it is built ([`FlowPolicyBuilder::build`]) or
    /// deserialized, so this check only repeats that one.
    ///
    /// ```
    /// use mfa::{FlowPolicy, Flows, OobKey, TotpFactor};
    ///
    /// let policy = FlowPolicy::builder().fresh_check(60).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example")?, OobKey::generate()?, policy)?;
    /// assert_eq!(flows.policy().fresh_check(), 60);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn new(factor: F, key: OobKey, policy: FlowPolicy) -> Result<Self, ParamError> {
        Ok(Self {
            factor,
            key,
            policy: policy.validated()?,
        })
    }

    /// The factor kind.
    ///
    /// ```
    /// use mfa::{Factor, FlowPolicy, Flows, OobKey, TotpFactor};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example")?, OobKey::generate()?, FlowPolicy::default())?;
    /// assert_eq!(flows.factor().kind(), "totp");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn factor(&self) -> &F {
        &self.factor
    }

    /// The policy.
    ///
    /// ```
    /// use mfa::{FlowPolicy, Flows, OobKey, TotpFactor};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example")?, OobKey::generate()?, FlowPolicy::default())?;
    /// assert_eq!(flows.policy().grace(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn policy(&self) -> &FlowPolicy {
        &self.policy
    }

    /// The key of identity-verification codes.
    pub(crate) const fn key(&self) -> &OobKey {
        &self.key
    }

    /// A proof for `account` at its current generation, tagged with the key.
    pub(crate) fn proof<R: Clone>(
        &self,
        account: &Protection<R>,
        scenario: Scenario,
        by: Proved,
        now: u64,
    ) -> Verified {
        let mut proof = Verified {
            account: account.id(),
            generation: account.generation(),
            at: now,
            scenario,
            by,
            tag: [0; 32],
        };
        proof.tag = proof.expected_tag(&self.key);
        proof
    }

    /// Whether `check` is a proof of these flows' (its tag) for `account`
    /// at its current generation.
    ///
    /// # Errors
    ///
    /// [`FlowError::WrongAccount`] for a proof of another account,
    /// [`FlowError::CheckRequired`] for a forged or outdated one.
    pub(crate) fn bound<R: Clone>(
        &self,
        account: &Protection<R>,
        check: &Verified,
    ) -> Result<(), FlowError> {
        let tag = check.expected_tag(&self.key);
        if !bool::from(tag.as_slice().ct_eq(check.tag.as_slice())) {
            return Err(FlowError::CheckRequired);
        }
        if check.account != account.id() {
            return Err(FlowError::WrongAccount);
        }
        if check.generation != account.generation() {
            return Err(FlowError::CheckRequired);
        }
        Ok(())
    }

    /// Whether `check` is bound to `account` and recent enough for a
    /// change at `now`.
    pub(crate) fn check_fresh<R: Clone>(
        &self,
        account: &Protection<R>,
        check: &Verified,
        now: u64,
    ) -> Result<(), FlowError> {
        self.bound(account, check)?;
        if check.at <= now && now < check.at.saturating_add(self.policy.fresh_check) {
            Ok(())
        } else {
            Err(FlowError::CheckRequired)
        }
    }
}

/// What happened, for the notice to the user ("the user SHALL be
/// notified", NIST SP 800-63B; "notify out of band", OWASP).
///
/// ```
/// use mfa::Event;
///
/// assert_eq!(Event::FactorBound { kind: "totp" }.to_string(), "a second factor (totp) was bound to the account");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Event {
    /// Protection was turned on with a new factor.
    FactorBound {
        /// The factor kind.
        kind: &'static str,
    },
    /// A factor was replaced (another method, another phone, a new key).
    FactorChanged {
        /// The kind of the new factor.
        kind: &'static str,
    },
    /// Another factor was added to the account.
    FactorAdded {
        /// Its kind.
        kind: &'static str,
    },
    /// One of the account's factors was removed.
    FactorRemoved,
    /// A recovery code was used.
    RecoveryCodeUsed {
        /// Unused codes left.
        remaining: usize,
    },
    /// A recovery code was used, and few are left
    /// ([`FlowPolicy::recovery_low`] or fewer): make new ones.
    RecoveryCodesLow {
        /// Unused codes left.
        remaining: usize,
    },
    /// An administrator turned the account's protection off (the reason
    /// is in the audit log).
    AdminReset,
    /// A new set of recovery codes replaced the old one.
    RecoveryCodesRegenerated,
    /// The protected scenarios changed.
    ScenariosChanged,
    /// Protection was turned off.
    ProtectionOff,
    /// Too many wrong codes locked one of the account's credentials until
    /// `until` (Unix seconds): tell the owner, since whoever guessed may
    /// know their password.
    LockedOut {
        /// What was locked.
        credential: Credential,
        /// When attempts are evaluated again.
        until: u64,
    },
    /// A device was remembered: it passes a scenario without a challenge
    /// for a while ([`Protection::trust_device`]).
    DeviceTrusted,
    /// Remembered devices were forgotten ([`Protection::revoke_device`],
    /// [`Protection::revoke_all_devices`]).
    DevicesRevoked {
        /// How many.
        count: usize,
    },
}

/// What follows a refused code that turned the `credential`'s throttle
/// from `before` into `after`: its audit event, and the notice and audit
/// event of a lockout if it started one.
pub(crate) fn refused<R: Clone>(
    account: &Protection<R>,
    before: Throttle,
    after: Throttle,
    credential: Credential,
    factor: Option<FactorId>,
    now: u64,
) -> Vec<Output<R>> {
    let mut outputs = vec![account.audit(Audit::CodeRejected { credential, factor }, now)];
    if after.is_lockout() && after.failures() > before.failures() {
        let until = after.retry_at();
        outputs.push(Output::Notify {
            event: Event::LockedOut { credential, until },
            at: now,
        });
        outputs.push(account.audit(
            Audit::LockedOut {
                credential,
                factor,
                until,
            },
            now,
        ));
    }
    outputs
}

/// One of the ways an account's owner proves themselves, each throttled in
/// its own record of the [`Protection`].
///
/// ```
/// assert_eq!(mfa::Credential::RecoveryCode.to_string(), "recovery codes");
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Credential {
    /// The second factor (the authenticator app, the phone).
    Factor,
    /// The recovery codes.
    RecoveryCode,
    /// The identity-verification codes (by e-mail or the bound phone).
    IdentityCode,
    /// The codes sent to a phone being bound.
    BindingCode,
}

impl fmt::Display for Credential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::Factor => "the second factor",
            Self::RecoveryCode => "recovery codes",
            Self::IdentityCode => "identity-verification codes",
            Self::BindingCode => "phone-binding codes",
        })
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::FactorBound { kind } => {
                write!(f, "a second factor ({kind}) was bound to the account")
            }
            Self::FactorChanged { kind } => {
                write!(f, "the account's second factor was replaced ({kind})")
            }
            Self::FactorAdded { kind } => {
                write!(f, "another second factor ({kind}) was added to the account")
            }
            Self::FactorRemoved => f.write_str("a second factor was removed from the account"),
            Self::RecoveryCodeUsed { remaining } => {
                write!(f, "a recovery code was used; {remaining} left")
            }
            Self::RecoveryCodesLow { remaining } => write!(
                f,
                "a recovery code was used; only {remaining} left: make new ones"
            ),
            Self::AdminReset => {
                f.write_str("an administrator turned account protection off; turn it on again")
            }
            Self::RecoveryCodesRegenerated => f.write_str("new recovery codes were generated"),
            Self::ScenariosChanged => f.write_str("the protected scenarios changed"),
            Self::ProtectionOff => f.write_str("account protection was turned off"),
            Self::LockedOut { credential, .. } => write!(
                f,
                "too many wrong codes locked {credential} for a while; if it was not you, change your password"
            ),
            Self::DeviceTrusted => f.write_str(
                "a device was remembered: it will not be asked for the second factor for a while",
            ),
            Self::DevicesRevoked { count } => {
                write!(
                    f,
                    "{count} remembered device(s) will be asked for the second factor again"
                )
            }
        }
    }
}

/// A side effect for the host to carry out once the account record is
/// written: deliver a code, notify the user, show a key or recovery codes.
/// A closed set: a host's `match` needs no catch-all arm.
///
/// `Debug` shows no code, secret or recovery code.
///
/// ```
/// use mfa::{Effect, Event};
///
/// let effect = Effect::Notify { event: Event::ProtectionOff, at: 60 };
/// match effect {
///     Effect::Deliver(_) | Effect::ShowKey(_) | Effect::ShowRecoveryCodes(_) => unreachable!(),
///     Effect::Audit { .. } | Effect::EndOtherSessions => unreachable!(),
///     Effect::Notify { event, at } => assert_eq!((event, at), (Event::ProtectionOff, 60)),
/// }
/// ```
#[must_use = "the host must carry out every effect, after the record is written"]
#[derive(Clone, Debug)]
pub enum Effect {
    /// Send this code to its destination (by SMS or e-mail), then ask the
    /// user for it.
    Deliver(OobDelivery),
    /// Tell the user what happened, through a channel of their own (an
    /// e-mail to the account address, typically).
    Notify {
        /// What happened.
        event: Event,
        /// When (Unix seconds).
        at: u64,
    },
    /// Show this key to the user once: its QR code
    /// ([`KeyUri::to_qr`](crate::KeyUri) with the `qr` feature) and the
    /// Base32 secret for manual entry.
    ShowKey(KeyUri),
    /// Show these recovery codes once (to print or save), then drop them.
    ShowRecoveryCodes(Vec<RecoveryCode>),
    /// Write this event to the security audit log (it holds no personal
    /// data beyond the account id; see [`Audit`]).
    Audit {
        /// The account ([`Protection::account_id`]).
        account: AccountId,
        /// What happened.
        event: Audit,
        /// When (Unix seconds).
        at: u64,
    },
    /// End every other session of the account (keep the one making this
    /// request, if it is the owner's; after an admin reset, end them all):
    /// protection was turned on or off, or a factor was added, removed or
    /// replaced, so a session opened before may belong to whoever the
    /// change locks out (WordPress/two-factor #577).
    EndOtherSessions,
}

/// The write a transition asks for: `record` where the stored version is
/// still `expected_version` (compare-and-set). If the write loses a race,
/// carry out none of the effects: load the record again and redo the call
/// with the state you had ([`run`](crate::run) does this).
///
/// ```
/// use mfa::{Persist, Protection, SmsRecord};
///
/// let record: Protection<SmsRecord> = Protection::new()?;
/// let persist = Persist { record, expected_version: 0 };
/// assert_eq!(persist.record.version(), persist.expected_version);
/// # Ok::<(), mfa::Error>(())
/// ```
#[must_use = "write the record with compare-and-set before carrying out the effects"]
#[derive(Clone, Debug)]
pub struct Persist<R> {
    /// The account's new protection record.
    pub record: Protection<R>,
    /// The version the write must find.
    pub expected_version: u64,
}

/// What a call on a flow asks of the host: at most one write of the
/// account record, then the effects to carry out, the state to keep, and
/// whether the call went through. Every flow operation returns one, and
/// [`run`](crate::run) / [`run_blocking`](crate::run_blocking) carry it
/// out against a store.
///
/// **Write, then do, then keep, then answer.** Write
/// [`persist`](Self::persist) (if any) with compare-and-set; only once it
/// is written, carry out [`effects`](Self::effects) in order; keep
/// [`state`](Self::state) if it is `Some`; answer with
/// [`result`](Self::result). A failed call can still hold a write (a
/// failure counted in the account record) and effects (a lockout notice):
/// carry them out too.
///
/// ```
/// use mfa::{FlowError, Transition};
///
/// let t: Transition<u8, ()> = Transition::failed(FlowError::Expired);
/// let (state, persist, effects, result) = t.into_parts();
/// assert!(state.is_none() && persist.is_none() && effects.is_empty());
/// assert_eq!(result, Err(FlowError::Expired));
/// ```
#[must_use = "write the record, carry out the effects, keep the state, then act on the result"]
#[derive(Clone, Debug)]
pub struct Transition<S, R> {
    state: Option<S>,
    persist: Option<Persist<R>>,
    effects: Vec<Effect>,
    result: Result<(), FlowError>,
}

/// The parts of a [`Transition`]: the state to keep, the write, the
/// effects, the result.
pub type Parts<S, R> = (
    Option<S>,
    Option<Persist<R>>,
    Vec<Effect>,
    Result<(), FlowError>,
);

/// What the flows build a transition from: the write first, then effects.
/// (Transient: built and split at once, so the large `Persist` is not boxed.)
#[derive(Clone, Debug)]
#[allow(clippy::large_enum_variant)]
pub(crate) enum Output<R> {
    Persist {
        record: Protection<R>,
        expected_version: u64,
    },
    Deliver(OobDelivery),
    Notify {
        event: Event,
        at: u64,
    },
    ShowKey(KeyUri),
    ShowRecoveryCodes(Vec<RecoveryCode>),
    Audit {
        account: AccountId,
        event: Audit,
        at: u64,
    },
    EndOtherSessions,
}

impl<S, R> Transition<S, R> {
    /// From outputs in order: at most one write, and it comes first (the
    /// flows build them so; a second write would be a bug, and is dropped
    /// into an error rather than a lost update).
    fn from_outputs(
        state: Option<S>,
        outputs: Vec<Output<R>>,
        result: Result<(), FlowError>,
    ) -> Self {
        let mut persist = None;
        let mut effects = Vec::with_capacity(outputs.len());
        for output in outputs {
            match output {
                Output::Persist {
                    record,
                    expected_version,
                } if persist.is_none() && effects.is_empty() => {
                    persist = Some(Persist {
                        record,
                        expected_version,
                    });
                }
                Output::Persist { .. } => {
                    return Self::failed(FlowError::Internal(
                        "a transition asked for a second write",
                    ));
                }
                Output::Deliver(d) => effects.push(Effect::Deliver(d)),
                Output::Notify { event, at } => effects.push(Effect::Notify { event, at }),
                Output::ShowKey(uri) => effects.push(Effect::ShowKey(uri)),
                Output::ShowRecoveryCodes(c) => effects.push(Effect::ShowRecoveryCodes(c)),
                Output::Audit { account, event, at } => {
                    effects.push(Effect::Audit { account, event, at });
                }
                Output::EndOtherSessions => effects.push(Effect::EndOtherSessions),
            }
        }
        Self {
            state,
            persist,
            effects,
            result,
        }
    }

    /// A transition that went through.
    pub(crate) fn done(state: S, outputs: Vec<Output<R>>) -> Self {
        Self::from_outputs(Some(state), outputs, Ok(()))
    }

    /// The same transition with `event` audited after its other effects:
    /// the write, the state, the result and what the user sees stay as
    /// they were.
    pub(crate) fn audited(mut self, account: &Protection<R>, event: Audit, at: u64) -> Self
    where
        R: Clone,
    {
        self.effects.push(Effect::Audit {
            account: account.account_id(),
            event,
            at,
        });
        self
    }

    /// A transition that failed without changing anything.
    ///
    /// ```
    /// let t: mfa::Transition<u8, ()> = mfa::Transition::failed(mfa::FlowError::NotProtected);
    /// assert!(t.state().is_none() && t.persist().is_none() && t.effects().is_empty());
    /// ```
    pub const fn failed(error: FlowError) -> Self {
        Self {
            state: None,
            persist: None,
            effects: Vec::new(),
            result: Err(error),
        }
    }

    /// A transition that failed after changing something (a failure count).
    pub(crate) fn counted(state: Option<S>, outputs: Vec<Output<R>>, error: FlowError) -> Self {
        Self::from_outputs(state, outputs, Err(error))
    }

    /// The state to keep from now on; `None`: keep the one you had.
    ///
    /// ```
    /// let t: mfa::Transition<u8, ()> = mfa::Transition::failed(mfa::FlowError::Expired);
    /// assert_eq!(t.state(), None);
    /// ```
    #[must_use]
    pub const fn state(&self) -> Option<&S> {
        self.state.as_ref()
    }

    /// The write to make first, if any.
    ///
    /// ```
    /// let t: mfa::Transition<u8, ()> = mfa::Transition::failed(mfa::FlowError::Expired);
    /// assert!(t.persist().is_none());
    /// ```
    #[must_use]
    pub const fn persist(&self) -> Option<&Persist<R>> {
        self.persist.as_ref()
    }

    /// What to do once the record is written, in order.
    ///
    /// ```
    /// let t: mfa::Transition<u8, ()> = mfa::Transition::failed(mfa::FlowError::Expired);
    /// assert!(t.effects().is_empty());
    /// ```
    pub fn effects(&self) -> &[Effect] {
        &self.effects
    }

    /// Whether the call went through.
    ///
    /// # Errors
    ///
    /// Why it did not.
    ///
    /// ```
    /// let t: mfa::Transition<u8, ()> = mfa::Transition::failed(mfa::FlowError::Expired);
    /// assert_eq!(t.result(), Err(mfa::FlowError::Expired));
    /// ```
    pub fn result(&self) -> Result<(), FlowError> {
        self.result.clone()
    }

    /// The state to keep (if any), the write (if any), the effects, the
    /// result.
    ///
    /// ```
    /// let t: mfa::Transition<u8, ()> = mfa::Transition::failed(mfa::FlowError::Expired);
    /// let (_, _, _, result) = t.into_parts();
    /// assert!(result.is_err());
    /// ```
    pub fn into_parts(self) -> Parts<S, R> {
        (self.state, self.persist, self.effects, self.result)
    }
}

/// Proof of a successful second-factor check (or recovery code): when,
/// at which scenario, and how. Kept in the user's server-side session:
/// it opens the grace window and allows changes to the protection while
/// fresh ([`FlowPolicy::fresh_check`]).
///
/// Only a [`Verification`] makes one, bound to the account's
/// [`Protection`] (its random binding and the generation of its factor)
/// and tagged with an HMAC under the [`Flows`]' [`OobKey`]. A proof of
/// another account is refused ([`FlowError::WrongAccount`]); a forged or
/// edited one, or one from before the factor was replaced or protection
/// turned off, is [`FlowError::CheckRequired`]. With the `serde` feature it
/// serializes like any session state (the tag makes a hand-written one
/// useless); keep it server-side all the same.
///
/// Any proof counts for changes while fresh: a check at any scenario,
/// passed with the factor or a recovery code. When the scenario at hand is
/// not protected (or the grace window is open), get one with
/// [`Verification::step_up`].
///
/// ```
/// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
/// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
/// #     effects.iter().find_map(|effect| match effect {
/// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
/// #         _ => None,
/// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
/// # }
/// # // The user's authenticator app, from the key shown (scanned).
/// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
/// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
/// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
/// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
/// #     }
/// # }
/// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
/// # // example; returns the app and the recovery codes shown.
/// # fn enroll_totp(
/// #     flows: &mfa::Flows<mfa::TotpFactor>,
/// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
/// #     ada: &String,
/// #     scenarios: &[mfa::Scenario],
/// #     now: u64,
/// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
/// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
/// #         ran.result?;
/// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
/// #     }
/// #     let email = mfa::Destination::email("ada@example.com")?;
/// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
/// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
/// #     }))?;
/// #     let code = delivered(&effects)?;
/// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
/// #     let name = String::from("ada@example.com");
/// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
/// #     let totp = scanned(&effects)?;
/// #     let code = totp.generate(now)?.to_string();
/// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
/// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
/// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
/// #         _ => None,
/// #     });
/// #     Ok((totp, recovery_codes.unwrap_or_default()))
/// # }
/// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Verification};
///
/// // Built once at start-up (recovery codes made fast for the example).
/// let policy = FlowPolicy::builder()
///     .recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?)
///     .build()?;
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
/// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
/// let ada = String::from("ada"); // the signed-in user
/// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
/// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
/// // critical operations (as in `Enrollment::confirm`'s example).
/// let now = 1_700_000_610;
///
/// // A critical-operation check: challenged, passed with the app's code.
/// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
/// ran.result?;
/// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
/// let code = totp.generate(now)?.to_string();
/// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
/// ran.result?;
/// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
/// let proof = passed.verified().ok_or(FlowError::CheckRequired)?; // kept in the session
/// assert_eq!((proof.at(), proof.scenario(), proof.by_recovery_code()), (now, &Scenario::CriticalOperation, false));
///
/// // It allows changes while fresh (`FlowPolicy::fresh_check`: 5 minutes).
/// let late = mfa::run_blocking(&store, &ada, |account| account.turn_off(&flows, proof, now + 300));
/// assert_eq!(late.result, Err(FlowError::CheckRequired));
/// let ran = mfa::run_blocking(&store, &ada, |account| account.turn_off(&flows, proof, now + 299));
/// assert_eq!(ran.result, Ok(()));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct Verified {
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    account: [u8; 16],
    generation: u64,
    at: u64,
    scenario: Scenario,
    /// Only [`Verification`] makes a [`Proved`], from a factor's or a
    /// recovery code's success: no other step (an identity or binding
    /// code, an enrollment) can build a `Verified`.
    #[cfg_attr(feature = "serde", serde(rename = "by_recovery_code"))]
    by: Proved,
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    tag: [u8; 32],
}

impl Verified {
    /// HMAC-SHA256 under the flows' key over every other field.
    fn expected_tag(&self, key: &OobKey) -> [u8; 32] {
        /// Separates these tags from any other use of the key.
        const DOMAIN: &[u8] = b"mfa/verified/v1";
        let (kind, name): (u8, &[u8]) = match &self.scenario {
            Scenario::LogOn => (0, b""),
            Scenario::CriticalOperation => (1, b""),
            Scenario::Custom(name) => (2, name.as_bytes()),
        };
        key.tag(
            DOMAIN,
            &[
                &self.account,
                &self.generation.to_be_bytes(),
                &self.at.to_be_bytes(),
                &[u8::from(self.by.by_recovery_code()), kind],
                name,
            ],
        )
    }
}

impl Verified {
    /// When the check succeeded (Unix seconds).
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder()
    ///     .recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?)
    ///     .build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // A log-on check, passed with the app's code at `now`.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let proof = passed.verified().ok_or(FlowError::CheckRequired)?;
    /// assert_eq!(proof.at(), now);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn at(&self) -> u64 {
        self.at
    }

    /// The scenario checked.
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder()
    ///     .recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?)
    ///     .build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (totp, _) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // A critical-operation check, passed with the app's code.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::CriticalOperation, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let proof = passed.verified().ok_or(FlowError::CheckRequired)?;
    /// assert_eq!(proof.scenario(), &Scenario::CriticalOperation);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// Whether a recovery code, rather than the factor, passed the check.
    ///
    /// ```
    /// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
    /// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
    /// #     effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
    /// #         _ => None,
    /// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
    /// # }
    /// # // The user's authenticator app, from the key shown (scanned).
    /// # fn scanned(effects: &[mfa::Effect]) -> Result<mfa::Totp, mfa::Error> {
    /// #     match effects.iter().find(|effect| matches!(effect, mfa::Effect::ShowKey(_))) {
    /// #         Some(mfa::Effect::ShowKey(uri)) => Ok(uri.to_totp()?),
    /// #         _ => Err(mfa::FlowError::Internal("no key shown").into()),
    /// #     }
    /// # }
    /// # // Ada enrolls her authenticator app at `now`, as in `Enrollment::confirm`'s
    /// # // example; returns the app and the recovery codes shown.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     scenarios: &[mfa::Scenario],
    /// #     now: u64,
    /// # ) -> Result<(mfa::Totp, Vec<String>), mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, scenarios, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     let (_, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     let recovery_codes = effects.iter().find_map(|effect| match effect {
    /// #         mfa::Effect::ShowRecoveryCodes(codes) => Some(codes.iter().map(|c| c.expose().to_owned()).collect()),
    /// #         _ => None,
    /// #     });
    /// #     Ok((totp, recovery_codes.unwrap_or_default()))
    /// # }
    /// use mfa::{FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder()
    ///     .recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?)
    ///     .build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// # let (_, recovery_codes) = enroll_totp(&flows, &store, &ada, &[Scenario::LogOn, Scenario::CriticalOperation], 1_700_000_010)?;
    /// // `recovery_codes`: those shown when Ada enrolled her app, ten minutes ago
    /// // (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // The phone is lost: a log-on check, passed with a recovery code.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// ran.result?;
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond_recovery(&flows, account, &recovery_codes[0], now));
    /// ran.result?;
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let proof = passed.verified().ok_or(FlowError::CheckRequired)?;
    /// assert!(proof.by_recovery_code());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn by_recovery_code(&self) -> bool {
        self.by.by_recovery_code()
    }
}

/// A canonical encoding of a flow state's fields, each length-prefixed or
/// of fixed size, for the state's tag.
#[derive(Default)]
pub(crate) struct Transcript(Vec<u8>);

impl Transcript {
    /// A byte string, prefixed by its length.
    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> &mut Self {
        self.u64(u64::try_from(bytes.len()).unwrap_or(u64::MAX));
        self.0.extend_from_slice(bytes);
        self
    }

    /// A number, as 8 big-endian bytes.
    pub(crate) fn u64(&mut self, value: u64) -> &mut Self {
        self.0.extend_from_slice(&value.to_be_bytes());
        self
    }

    /// A small number or a discriminant.
    pub(crate) fn byte(&mut self, value: u8) -> &mut Self {
        self.0.push(value);
        self
    }

    /// A scenario: its kind, and the name of a custom one.
    pub(crate) fn scenario(&mut self, scenario: &Scenario) -> &mut Self {
        match scenario {
            Scenario::LogOn => self.byte(0),
            Scenario::CriticalOperation => self.byte(1),
            Scenario::Custom(name) => self.byte(2).bytes(name.as_bytes()),
        }
    }

    /// A destination, or none.
    pub(crate) fn destination(&mut self, to: Option<&crate::record::Destination>) -> &mut Self {
        match to {
            None => self.byte(0),
            Some(to) => self
                .byte(match to.channel() {
                    crate::record::Channel::Sms => 1,
                    _ => 2,
                })
                .bytes(to.as_str().as_bytes()),
        }
    }

    /// A proof, with its own tag.
    pub(crate) fn verified(&mut self, proof: &Verified) -> &mut Self {
        self.bytes(&proof.account)
            .u64(proof.generation)
            .u64(proof.at)
            .scenario(&proof.scenario)
            .byte(u8::from(proof.by.by_recovery_code()))
            .bytes(&proof.tag)
    }

    /// A time, or none.
    pub(crate) fn time(&mut self, at: Option<u64>) -> &mut Self {
        match at {
            None => self.byte(0),
            Some(at) => self.byte(1).u64(at),
        }
    }
}

impl<F> Flows<F> {
    /// The tag of a state under `domain`, over its transcript.
    pub(crate) fn tag(&self, domain: &[u8], transcript: &Transcript) -> [u8; 32] {
        self.key.tag(domain, &[&transcript.0])
    }

    /// Whether `tag` is the tag of the transcript: a state made by these
    /// flows and not edited since.
    ///
    /// # Errors
    ///
    /// [`FlowError::Tampered`].
    pub(crate) fn check_tag(
        &self,
        domain: &[u8],
        transcript: &Transcript,
        tag: &[u8; 32],
    ) -> Result<(), FlowError> {
        let expected = self.tag(domain, transcript);
        if bool::from(expected.as_slice().ct_eq(tag.as_slice())) {
            Ok(())
        } else {
            Err(FlowError::Tampered)
        }
    }
}

/// The scenarios, checked: at least one, none twice.
fn checked_scenarios(scenarios: &[Scenario]) -> Result<Vec<Scenario>, FlowError> {
    let mut out: Vec<Scenario> = Vec::with_capacity(scenarios.len());
    for scenario in scenarios {
        if out.contains(scenario) {
            return Err(FlowError::Scenarios);
        }
        out.push(scenario.clone());
    }
    if out.is_empty() {
        return Err(FlowError::Scenarios);
    }
    Ok(out)
}

/// Reads scenarios, checked as [`checked_scenarios`] does.
#[cfg(feature = "serde")]
fn de_scenarios<'de, D: serde::Deserializer<'de>>(
    deserializer: D,
) -> Result<Vec<Scenario>, D::Error> {
    let scenarios = <Vec<Scenario> as serde::Deserialize>::deserialize(deserializer)?;
    checked_scenarios(&scenarios).map_err(serde::de::Error::custom)
}
