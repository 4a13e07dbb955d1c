//! The built-in TOTP factor: a virtual MFA device (an authenticator app).

use alloc::string::String;

use crate::error::{ParamError, UriError};
use crate::record::{Attempt, Destination, Throttle, ThrottlePolicy, TotpRecord};
use crate::secret::Secret;
use crate::totp::{Totp, TotpConfig};
use crate::uri::KeyUri;

use super::error::FlowError;
use super::factor::{Begun, Factor, Prompt};

/// The TOTP factor kind (a "virtual MFA device"): enrollment issues a
/// fresh secret ([`Secret::generate`], 160 bits) with its [`KeyUri`] for
/// the QR code, and is confirmed by the code the app shows, or by two
/// consecutive codes when [`with_consecutive_codes`](Self::with_consecutive_codes)
/// asks for that (as AWS IAM does). The confirming step is consumed: the
/// active [`TotpRecord`] has its `last_step` set, so the same code cannot
/// pass the next check (RFC 6238 §5.2).
///
/// Replay, drift and throttling are the [`TotpRecord`]'s.
///
/// ```
/// use mfa::{Factor, TotpFactor};
///
/// let factor = TotpFactor::new("Example Co")?.with_consecutive_codes(true);
/// assert_eq!((factor.kind(), factor.issuer(), factor.codes()), ("totp", "Example Co", 2));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct TotpFactor {
    issuer: String,
    config: TotpConfig,
    throttle: ThrottlePolicy,
    consecutive: bool,
}

impl TotpFactor {
    /// The TOTP kind for keys issued by `issuer` (shown in the user's app),
    /// with the default [`TotpConfig`] (SHA-1, 6 digits, 30 s: what every
    /// app supports) and [`ThrottlePolicy`], confirmed by one code.
    ///
    /// # Errors
    ///
    /// [`UriError::EmptyIssuer`] or [`UriError::ColonInIssuer`]: the
    /// issuer cannot be written in a key URI.
    ///
    /// ```
    /// assert!(mfa::TotpFactor::new("Example Co").is_ok());
    /// assert_eq!(mfa::TotpFactor::new("a:b").err(), Some(mfa::UriError::ColonInIssuer));
    /// ```
    pub fn new(issuer: &str) -> Result<Self, UriError> {
        let probe = Secret::from_bytes(&[0; Secret::DEFAULT_LEN])?;
        let totp = Totp::new(&probe, TotpConfig::default()).map_err(|_| UriError::NonZeroT0)?;
        KeyUri::totp(&totp, issuer, "account")?;
        Ok(Self {
            issuer: issuer.into(),
            config: TotpConfig::default(),
            throttle: ThrottlePolicy::default(),
            consecutive: false,
        })
    }

    /// Keys with these parameters. Keep the default unless every app of
    /// your users honours them ([`TotpConfig::is_universal`]).
    ///
    /// # Errors
    ///
    /// [`UriError::Param`] if the parameters are not valid, or
    /// [`UriError::NonZeroT0`] for a T0 other than 0, which a key URI
    /// cannot say.
    ///
    /// ```
    /// use mfa::{TotpConfig, TotpFactor, Window};
    ///
    /// let factor = TotpFactor::new("Example")?.with_config(TotpConfig::builder().window(Window::symmetric(2)?).build()?)?;
    /// assert_eq!(factor.config().window(), Window::symmetric(2)?);
    /// assert!(TotpFactor::new("Example")?.with_config(TotpConfig::builder().t0(30).build()?).is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn with_config(mut self, config: TotpConfig) -> Result<Self, UriError> {
        let probe = Secret::from_bytes(&[0; Secret::DEFAULT_LEN])?;
        let totp = Totp::new(&probe, config).map_err(UriError::Param)?;
        KeyUri::totp(&totp, &self.issuer, "account")?;
        self.config = config;
        Ok(self)
    }

    /// The throttle policy of the records made.
    ///
    /// # Errors
    ///
    /// [`ParamError`] if the policy is not valid.
    ///
    /// ```
    /// use mfa::{ThrottlePolicy, TotpFactor};
    ///
    /// let factor = TotpFactor::new("Example")?.with_throttle_policy(ThrottlePolicy::builder().max_failures(5).build()?)?;
    /// assert_eq!(factor.throttle_policy().max_failures(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn with_throttle_policy(mut self, policy: ThrottlePolicy) -> Result<Self, ParamError> {
        self.throttle = policy.validated()?;
        Ok(self)
    }

    /// Whether enrollment is confirmed by two consecutive codes rather
    /// than one (the AWS IAM rule): proof that the app's clock is right,
    /// at the cost of waiting up to 30 s for the second code. The pair is
    /// checked with [`TotpRecord::resync`], over the key's
    /// resynchronisation range.
    ///
    /// ```
    /// assert_eq!(mfa::TotpFactor::new("Example")?.with_consecutive_codes(true).codes(), 2);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn with_consecutive_codes(mut self, two: bool) -> Self {
        self.consecutive = two;
        self
    }

    /// The issuer shown in the user's app.
    ///
    /// ```
    /// assert_eq!(mfa::TotpFactor::new("Example")?.issuer(), "Example");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The parameters of the keys issued.
    ///
    /// ```
    /// assert_eq!(mfa::TotpFactor::new("Example")?.config(), &mfa::TotpConfig::default());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn config(&self) -> &TotpConfig {
        &self.config
    }

    /// The throttle policy of the records made.
    ///
    /// ```
    /// assert_eq!(mfa::TotpFactor::new("Example")?.throttle_policy(), mfa::ThrottlePolicy::default());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn throttle_policy(&self) -> ThrottlePolicy {
        self.throttle
    }

    /// How many codes confirm an enrollment: 1, or 2 with
    /// [`with_consecutive_codes`](Self::with_consecutive_codes).
    ///
    /// ```
    /// assert_eq!(mfa::TotpFactor::new("Example")?.codes(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn codes(&self) -> u8 {
        if self.consecutive { 2 } else { 1 }
    }
}

/// Setup is the account name shown in the app (the user's e-mail address,
/// typically); the pending state and the record are [`TotpRecord`]s.
impl Factor for TotpFactor {
    type Setup = String;
    type Record = TotpRecord;

    fn kind(&self) -> &'static str {
        "totp"
    }

    fn begin(
        &self,
        account: &String,
        _verified: Option<&Destination>,
        _now: u64,
    ) -> Result<Begun<TotpRecord>, FlowError> {
        let secret = Secret::generate().map_err(|_| FlowError::RandomSource)?;
        let totp = Totp::new(&secret, self.config).map_err(|_| FlowError::RandomSource)?;
        let uri = KeyUri::totp(&totp, &self.issuer, account)?;
        let pending =
            TotpRecord::with_policy(totp, self.throttle).map_err(|_| FlowError::RandomSource)?;
        Ok(Begun::Confirm {
            pending,
            prompt: Prompt::Key {
                uri,
                codes: self.codes(),
            },
        })
    }

    fn confirm(
        &self,
        pending: &TotpRecord,
        codes: &[&str],
        now: u64,
    ) -> Attempt<TotpRecord, TotpRecord, FlowError> {
        let attempt = match (self.consecutive, codes) {
            (false, [code]) => pending.verify(code, now),
            (true, [first, second]) => pending.resync(first, second, now),
            _ => {
                return Attempt::new(
                    None,
                    Err(FlowError::CodesNeeded {
                        count: self.codes(),
                    }),
                );
            }
        };
        match attempt.into_parts() {
            (Some(active), Ok(_)) => Attempt::new(None, Ok(active)),
            (record, Err(e)) => Attempt::new(record, Err(e.into())),
            (None, Ok(_)) => Attempt::new(None, Err(FlowError::Rejected)),
        }
    }

    fn challenge(&self, _record: &TotpRecord, _now: u64) -> Attempt<TotpRecord, Prompt, FlowError> {
        Attempt::new(None, Ok(Prompt::Code { codes: 1 }))
    }

    fn verify(
        &self,
        record: &TotpRecord,
        code: &str,
        now: u64,
    ) -> Attempt<TotpRecord, (), FlowError> {
        let (record, outcome) = record.verify(code, now).into_parts();
        Attempt::new(record, outcome.map(|_| ()).map_err(FlowError::from))
    }

    fn unlock(&self, record: &TotpRecord) -> TotpRecord {
        record.unlock()
    }

    fn throttle(&self, record: &TotpRecord) -> Throttle {
        record.throttle()
    }
}
