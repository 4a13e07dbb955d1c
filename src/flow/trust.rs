//! "Remember this device": a long-lived token, kept by the browser in a
//! cookie, that lets a check at one scenario of one account pass without a
//! challenge until it expires, is revoked, or the protection changes.
//!
//! The server keeps only a keyed hash of each token (HMAC-SHA256 under the
//! [`Flows`]' [`OobKey`](crate::OobKey), over the account binding, the
//! device id, the factor's generation, the scenario, the times and the
//! token's 256 random bits), so a leaked database mints nothing, and a
//! token of one account is worth nothing at another (the account binding
//! is hashed in).

use alloc::string::{String, ToString};
use alloc::vec;
use alloc::vec::Vec;
use core::fmt;

use base64ct::{Base64UrlUnpadded, Encoding};
use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::audit::Audit;
use super::error::FlowError;
use super::factor::Factor;
use super::protection::Protection;
use super::verify::Verification;
use super::{Event, Flows, Output, Scenario, Transcript, Transition, Verified};

/// Separates the hashes of trusted devices from any other use of the key.
const DOMAIN: &[u8] = b"mfa/trusted-device/v1";

/// Unpadded Base64url length of a device id (16 bytes).
const ID_TEXT: usize = 22;
/// Unpadded Base64url length of a token's secret (32 bytes).
const SECRET_TEXT: usize = 43;

/// The public name of a trusted device: 128 random bits, shown as 22
/// characters of unpadded Base64url. Not a secret: put it in the list of
/// devices and in the "revoke" button's form; it opens nothing without the
/// [`DeviceToken`]'s secret.
///
/// ```
/// use mfa::DeviceId;
///
/// let id = DeviceId::parse("AAECAwQFBgcICQoLDA0ODw")?;
/// assert_eq!(id.to_string(), "AAECAwQFBgcICQoLDA0ODw");
/// assert!(DeviceId::parse("not an id").is_err());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct DeviceId(#[cfg_attr(feature = "serde", serde(with = "crate::b64"))] [u8; 16]);

impl DeviceId {
    /// Reads a device id from its text (as [`Display`](fmt::Display)
    /// writes it).
    ///
    /// # Errors
    ///
    /// [`DeviceTokenError::Length`] or [`DeviceTokenError::Encoding`].
    ///
    /// ```
    /// use mfa::{DeviceId, DeviceTokenError};
    ///
    /// assert!(DeviceId::parse("AAECAwQFBgcICQoLDA0ODw").is_ok());
    /// assert_eq!(
    ///     DeviceId::parse("AAEC"),
    ///     Err(DeviceTokenError::Length { part: "device id", len: 4, expected: 22 })
    /// );
    /// ```
    pub fn parse(text: &str) -> Result<Self, DeviceTokenError> {
        decode::<16, ID_TEXT>("device id", text).map(Self)
    }
}

impl DeviceId {
    /// The id's bytes, for transcripts.
    pub(crate) const fn as_bytes(&self) -> &[u8; 16] {
        &self.0
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut buf = [0u8; ID_TEXT];
        let text = Base64UrlUnpadded::encode(&self.0, &mut buf).map_err(|_| fmt::Error)?;
        f.write_str(text)
    }
}

/// Why a cookie value is not a [`DeviceToken`] (or a text not a
/// [`DeviceId`]). Says which part is wrong, never what it holds.
///
/// ```
/// use mfa::{DeviceToken, DeviceTokenError};
///
/// let e = DeviceToken::parse("no-dot-here").err();
/// assert_eq!(e, Some(DeviceTokenError::Format));
/// assert_eq!(
///     DeviceTokenError::Format.to_string(),
///     "a trusted-device token is a device id, a dot, and a secret; forget this device and check again"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DeviceTokenError {
    /// Not two parts separated by one dot.
    Format,
    /// A part of the wrong length.
    Length {
        /// Which part: `"device id"` or `"secret"`.
        part: &'static str,
        /// Its length in characters.
        len: usize,
        /// The length it must have.
        expected: usize,
    },
    /// A part that is not unpadded Base64url.
    Encoding {
        /// Which part: `"device id"` or `"secret"`.
        part: &'static str,
    },
}

impl fmt::Display for DeviceTokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Format => f.write_str(
                "a trusted-device token is a device id, a dot, and a secret; forget this device and check again",
            ),
            Self::Length {
                part,
                len,
                expected,
            } => write!(
                f,
                "the {part} of a trusted-device token has {len} characters, not {expected}"
            ),
            Self::Encoding { part } => write!(
                f,
                "the {part} of a trusted-device token is not unpadded Base64url"
            ),
        }
    }
}

impl core::error::Error for DeviceTokenError {}

/// `N` bytes from exactly `LEN` characters of unpadded Base64url.
fn decode<const N: usize, const LEN: usize>(
    part: &'static str,
    text: &str,
) -> Result<[u8; N], DeviceTokenError> {
    if text.len() != LEN {
        return Err(DeviceTokenError::Length {
            part,
            len: text.len(),
            expected: LEN,
        });
    }
    let mut out = [0u8; N];
    match Base64UrlUnpadded::decode(text.as_bytes(), &mut out) {
        Ok(decoded) if decoded.len() == N => Ok(out),
        _ => Err(DeviceTokenError::Encoding { part }),
    }
}

/// The secret a browser keeps to be remembered: a [`DeviceId`] and 256
/// random bits. Made by [`Protection::trust_device`]; the host puts
/// [`to_cookie_value`](Self::to_cookie_value) in a long-lived cookie
/// (`HttpOnly; Secure; SameSite=Lax`, for as long as
/// [`FlowPolicy::trust_ttl`](crate::FlowPolicy::trust_ttl)), reads it back
/// with [`parse`](Self::parse), and hands it to
/// [`Verification::start_trusted`].
///
/// The secret is zeroized on drop, `Debug` shows only the device id, and
/// there is no `Display`.
///
/// ```
/// use mfa::DeviceToken;
///
/// // The cookie as the browser sent it back.
/// let cookie = "AAECAwQFBgcICQoLDA0ODw.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
/// let token = DeviceToken::parse(cookie)?;
/// assert_eq!(token.id().to_string(), "AAECAwQFBgcICQoLDA0ODw");
/// assert_eq!(format!("{token:?}"), "DeviceToken { id: \"AAECAwQFBgcICQoLDA0ODw\", .. }");
/// assert_eq!(token.to_cookie_value().as_str(), cookie);
/// # Ok::<(), mfa::Error>(())
/// ```
pub struct DeviceToken {
    id: DeviceId,
    secret: Zeroizing<[u8; 32]>,
}

impl DeviceToken {
    /// The length of a cookie value: 22 characters of device id, a dot,
    /// 43 of secret.
    pub const COOKIE_LEN: usize = ID_TEXT + 1 + SECRET_TEXT;

    /// Reads a token from its cookie value (as
    /// [`to_cookie_value`](Self::to_cookie_value) wrote it). Any input
    /// gives a token or an error, never a panic; a well-formed token that
    /// the account does not hold simply does not pass.
    ///
    /// # Errors
    ///
    /// [`DeviceTokenError::Format`] (not `<id>.<secret>`),
    /// [`DeviceTokenError::Length`], [`DeviceTokenError::Encoding`].
    ///
    /// ```
    /// use mfa::{DeviceToken, DeviceTokenError};
    ///
    /// assert_eq!(
    ///     DeviceToken::parse("AAECAwQFBgcICQoLDA0ODw.short").err(),
    ///     Some(DeviceTokenError::Length { part: "secret", len: 5, expected: 43 })
    /// );
    /// ```
    pub fn parse(cookie: &str) -> Result<Self, DeviceTokenError> {
        let (id, secret) = cookie.split_once('.').ok_or(DeviceTokenError::Format)?;
        let id = DeviceId::parse(id)?;
        let mut bytes = Zeroizing::new([0u8; 32]);
        *bytes = decode::<32, SECRET_TEXT>("secret", secret)?;
        Ok(Self { id, secret: bytes })
    }

    /// The cookie value: the device id, a dot, the secret, in unpadded
    /// Base64url ([`COOKIE_LEN`](Self::COOKIE_LEN) characters, all safe in
    /// a cookie). Handle with care: do not log it.
    ///
    /// ```
    /// let cookie = "AAECAwQFBgcICQoLDA0ODw.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8";
    /// let token = mfa::DeviceToken::parse(cookie)?;
    /// let value = token.to_cookie_value(); // zeroized when dropped
    /// assert_eq!((value.as_str(), value.len()), (cookie, mfa::DeviceToken::COOKIE_LEN));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn to_cookie_value(&self) -> Zeroizing<String> {
        let mut buf = Zeroizing::new([0u8; SECRET_TEXT]);
        let mut out = Zeroizing::new(String::with_capacity(Self::COOKIE_LEN));
        out.push_str(&self.id.to_string());
        out.push('.');
        if let Ok(secret) = Base64UrlUnpadded::encode(self.secret.as_slice(), buf.as_mut_slice()) {
            out.push_str(secret);
        }
        out
    }

    /// The device this token names: the id in
    /// [`Protection::trusted_devices`].
    ///
    /// ```
    /// let token = mfa::DeviceToken::parse("AAECAwQFBgcICQoLDA0ODw.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")?;
    /// assert_eq!(token.id(), &mfa::DeviceId::parse("AAECAwQFBgcICQoLDA0ODw")?);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn id(&self) -> &DeviceId {
        &self.id
    }

    /// A new token from the operating system's random source.
    fn generate() -> Result<Self, FlowError> {
        let mut id = [0u8; 16];
        let mut secret = Zeroizing::new([0u8; 32]);
        getrandom::fill(&mut id).map_err(|_| FlowError::RandomSource)?;
        getrandom::fill(secret.as_mut_slice()).map_err(|_| FlowError::RandomSource)?;
        Ok(Self {
            id: DeviceId(id),
            secret,
        })
    }
}

impl fmt::Debug for DeviceToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceToken")
            .field("id", &self.id.to_string())
            .finish_non_exhaustive()
    }
}

/// The secret is a [`Zeroizing`] buffer: it clears itself on drop.
impl ZeroizeOnDrop for DeviceToken {}

/// A device the account's owner chose to remember, as the account record
/// keeps it: its id, the scenario it passes, when it was added and when it
/// expires, and the keyed hash of its token (never shown: `Debug` leaves
/// it out).
///
/// ```
/// use mfa::{Protection, TotpRecord};
///
/// let account: Protection<TotpRecord> = Protection::new()?;
/// assert_eq!(account.trusted_devices(1_700_000_000).count(), 0);
/// assert_eq!(mfa::TrustedDevice::MAX_PER_ACCOUNT, 10);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(deny_unknown_fields)
)]
pub struct TrustedDevice {
    id: DeviceId,
    scenario: Scenario,
    added_at: u64,
    expires_at: u64,
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    hash: [u8; 32],
}

impl fmt::Debug for TrustedDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TrustedDevice")
            .field("id", &self.id)
            .field("scenario", &self.scenario)
            .field("added_at", &self.added_at)
            .field("expires_at", &self.expires_at)
            .finish_non_exhaustive()
    }
}

impl TrustedDevice {
    /// The most devices an account remembers: trusting one more forgets
    /// the oldest.
    pub const MAX_PER_ACCOUNT: usize = 10;

    /// The device's public id (what [`Protection::revoke_device`] takes).
    ///
    /// ```
    /// # fn devices(account: &mfa::Protection<mfa::TotpRecord>, now: u64) {
    /// for device in account.trusted_devices(now) {
    ///     println!("{} (until {}) [revoke: {}]", device.scenario(), device.expires_at(), device.id());
    /// }
    /// # }
    /// # devices(&mfa::Protection::new()?, 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn id(&self) -> &DeviceId {
        &self.id
    }

    /// The scenario it passes without a challenge.
    ///
    /// ```
    /// # fn devices(account: &mfa::Protection<mfa::TotpRecord>, now: u64) {
    /// let log_on = account.trusted_devices(now).filter(|d| d.scenario() == &mfa::Scenario::LogOn).count();
    /// # assert_eq!(log_on, 0);
    /// # }
    /// # devices(&mfa::Protection::new()?, 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn scenario(&self) -> &Scenario {
        &self.scenario
    }

    /// When it was trusted (Unix seconds).
    ///
    /// ```
    /// # fn devices(account: &mfa::Protection<mfa::TotpRecord>, now: u64) {
    /// let newest = account.trusted_devices(now).map(mfa::TrustedDevice::added_at).max();
    /// # assert_eq!(newest, None);
    /// # }
    /// # devices(&mfa::Protection::new()?, 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn added_at(&self) -> u64 {
        self.added_at
    }

    /// When it stops passing (Unix seconds): `added_at` plus
    /// [`FlowPolicy::trust_ttl`](crate::FlowPolicy::trust_ttl).
    ///
    /// ```
    /// # fn devices(account: &mfa::Protection<mfa::TotpRecord>, now: u64) {
    /// let soonest = account.trusted_devices(now).map(mfa::TrustedDevice::expires_at).min();
    /// # assert_eq!(soonest, None);
    /// # }
    /// # devices(&mfa::Protection::new()?, 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn expires_at(&self) -> u64 {
        self.expires_at
    }

    /// Whether a stored list could have been written by the flows: at
    /// most [`MAX_PER_ACCOUNT`](Self::MAX_PER_ACCOUNT) devices, no id
    /// twice.
    #[cfg(feature = "serde")]
    pub(crate) fn check_list(list: &[Self]) -> Result<(), FlowError> {
        if list.len() > Self::MAX_PER_ACCOUNT {
            return Err(FlowError::Internal(
                "more trusted devices than an account keeps",
            ));
        }
        for (i, device) in list.iter().enumerate() {
            if list
                .iter()
                .skip(i.saturating_add(1))
                .any(|d| d.id == device.id)
            {
                return Err(FlowError::Internal("a trusted device listed twice"));
            }
        }
        Ok(())
    }

    /// Whether it passes at `now`.
    const fn live(&self, now: u64) -> bool {
        self.added_at <= now && now < self.expires_at
    }

    /// The keyed hash of a token for this entry of `account`.
    fn expected_hash<F, R: Clone>(
        &self,
        flows: &Flows<F>,
        account: &Protection<R>,
        secret: &[u8; 32],
    ) -> [u8; 32] {
        let mut t = Transcript::default();
        t.bytes(&account.id())
            .bytes(&self.id.0)
            .u64(account.generation())
            .scenario(&self.scenario)
            .u64(self.added_at)
            .u64(self.expires_at)
            .bytes(secret);
        flows.tag(DOMAIN, &t)
    }
}

impl<R: Clone> Protection<R> {
    /// Remembers this device for the scenario of `check`, a check just
    /// passed with the factor on it: the host sets the returned
    /// [`DeviceToken`] as a cookie (the state of the transition), and
    /// from then on [`Verification::start_trusted`] with it passes that
    /// scenario of this account without a challenge, for
    /// [`FlowPolicy::trust_ttl`](crate::FlowPolicy::trust_ttl), until it
    /// is revoked, or until a factor is added, removed or replaced or
    /// protection turned off (by the owner or an administrator). Writes the
    /// account record ([`Persist`](crate::Persist): the keyed hash of the
    /// token, expired devices dropped, the oldest forgotten beyond
    /// [`TrustedDevice::MAX_PER_ACCOUNT`]), then
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::DeviceTrusted`] and [`Effect::Audit`](crate::Effect::Audit)
    /// with [`Audit::DeviceTrusted`](crate::Audit::DeviceTrusted) (the
    /// device's id, never its token).
    ///
    /// # Errors
    ///
    /// In the result: [`FlowError::NotProtected`] (protection is off, or
    /// the scenario is not protected), [`FlowError::WrongAccount`],
    /// [`FlowError::CheckRequired`] (a check older than
    /// [`FlowPolicy::fresh_check`](crate::FlowPolicy::fresh_check), of an
    /// older generation, passed with a recovery code, since a lost-phone
    /// log-on must not mint a lasting pass, or at
    /// [`Scenario::CriticalOperation`], whose check exists to ask again on
    /// this very device), [`FlowError::RandomSource`].
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
    /// # // example; returns the app.
    /// # fn enroll_totp(
    /// #     flows: &mfa::Flows<mfa::TotpFactor>,
    /// #     store: &mfa::MemoryStore<String, mfa::Protection<mfa::TotpRecord>>,
    /// #     ada: &String,
    /// #     now: u64,
    /// # ) -> Result<mfa::Totp, mfa::Error> {
    /// #     fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
    /// #         ran.result?;
    /// #         Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
    /// #     }
    /// #     let email = mfa::Destination::email("ada@example.com")?;
    /// #     let all = [mfa::Scenario::LogOn, mfa::Scenario::CriticalOperation];
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| {
    /// #         mfa::Enrollment::start(flows, account, &all, &[email.clone()], &email, now)
    /// #     }))?;
    /// #     let code = delivered(&effects)?;
    /// #     let (enrollment, _) = done(mfa::run_blocking(store, ada, |account| enrollment.verify_identity(flows, account, &code, now)))?;
    /// #     let name = String::from("ada@example.com");
    /// #     let (enrollment, effects) = done(mfa::run_blocking(store, ada, |account| enrollment.setup(flows, account, &name, now)))?;
    /// #     let totp = scanned(&effects)?;
    /// #     let code = totp.generate(now)?.to_string();
    /// #     done(mfa::run_blocking(store, ada, |account| enrollment.confirm(flows, account, &[&code], now)))?;
    /// #     Ok(totp)
    /// # }
    /// use mfa::{Audit, DeviceToken, Effect, Event, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord, Verification};
    ///
    /// // Built once at start-up (recovery codes made fast for the example).
    /// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the user logging on
    /// # let totp = enroll_totp(&flows, &store, &ada, 1_700_000_010)?;
    /// // `totp`: Ada's authenticator app, enrolled ten minutes ago for log-on and
    /// // critical operations (as in `Enrollment::confirm`'s example).
    /// let now = 1_700_000_610;
    ///
    /// // Log-on: challenged, passed with the app's code, "remember this device" ticked.
    /// let ran = mfa::run_blocking(&store, &ada, |account| Verification::start(&flows, account, Scenario::LogOn, None, now));
    /// let challenge = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let code = totp.generate(now)?.to_string();
    /// let ran = mfa::run_blocking(&store, &ada, |account| challenge.respond(&flows, account, &code, now));
    /// let passed = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let check = passed.verified().ok_or(FlowError::CheckRequired)?;
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.trust_device(&flows, check, now));
    /// ran.result?;
    /// assert!(matches!(
    ///     ran.effects.as_slice(),
    ///     [Effect::Notify { event: Event::DeviceTrusted, .. }, Effect::Audit { event: Audit::DeviceTrusted { .. }, .. }]
    /// ));
    /// let token = ran.state.ok_or(FlowError::Internal("no token"))?;
    /// let cookie = token.to_cookie_value(); // set as a long-lived cookie
    ///
    /// // A week later, the browser sends the cookie back: log-on passes at once.
    /// let token = DeviceToken::parse(&cookie)?;
    /// let later = now + 7 * 86_400;
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Verification::start_trusted(&flows, account, Scenario::LogOn, Some(&token), None, later)
    /// });
    /// let check = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// let account = store.load(&ada)?.ok_or(FlowError::Internal("no record"))?;
    /// assert_eq!(check.authorize(&flows, &account, &Scenario::LogOn, later), Ok(()));
    /// // A critical operation is still challenged on this device.
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Verification::start_trusted(&flows, account, Scenario::CriticalOperation, Some(&token), None, later)
    /// });
    /// assert!(ran.state.is_some_and(|check| !check.is_done()));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn trust_device<F: Factor<Record = R>>(
        &self,
        flows: &Flows<F>,
        check: &Verified,
        now: u64,
    ) -> Transition<DeviceToken, R> {
        let made = || {
            if !self.protects(check.scenario()) {
                return Err(FlowError::NotProtected);
            }
            flows.check_fresh(self, check, now)?;
            if check.by_recovery_code() || *check.scenario() == Scenario::CriticalOperation {
                return Err(FlowError::CheckRequired);
            }
            let token = DeviceToken::generate()?;
            let mut device = TrustedDevice {
                id: token.id,
                scenario: check.scenario().clone(),
                added_at: now,
                expires_at: now.saturating_add(flows.policy().trust_ttl()),
                hash: [0; 32],
            };
            device.hash = device.expected_hash(flows, self, &token.secret);
            let mut trusted: Vec<TrustedDevice> = self
                .trusted()
                .iter()
                .filter(|d| d.live(now))
                .cloned()
                .collect();
            // Oldest first: forget from the front.
            let over = trusted
                .len()
                .saturating_add(1)
                .saturating_sub(TrustedDevice::MAX_PER_ACCOUNT);
            trusted.drain(..over.min(trusted.len()));
            trusted.push(device);
            Ok((self.with_trusted(trusted), token))
        };
        match made() {
            Ok((record, token)) => {
                let device = token.id;
                Transition::done(
                    token,
                    vec![
                        record.persist_over(self),
                        Output::Notify {
                            event: Event::DeviceTrusted,
                            at: now,
                        },
                        self.audit(Audit::DeviceTrusted { device }, now),
                    ],
                )
            }
            Err(e) => Transition::failed(e),
        }
    }

    /// The devices remembered at `now` (expired ones left out), oldest
    /// first: for the "trusted devices" list, each with a revoke button
    /// ([`revoke_device`](Self::revoke_device)).
    ///
    /// ```
    /// let account = mfa::Protection::<mfa::TotpRecord>::new()?;
    /// assert_eq!(account.trusted_devices(1_700_000_000).count(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn trusted_devices(&self, now: u64) -> impl Iterator<Item = &TrustedDevice> {
        self.trusted().iter().filter(move |d| d.live(now))
    }

    /// Forgets the device `id`: its token stops passing at once, even in
    /// a [`Verification`] it already passed
    /// ([`authorize`](Verification::authorize) checks the list again).
    /// Revoking needs no fresh check: it only takes access away. Writes the
    /// account record ([`Persist`](crate::Persist)), then
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::DevicesRevoked`] and a count of 1, and
    /// [`Effect::Audit`](crate::Effect::Audit) with
    /// [`Audit::DevicesRevoked`](crate::Audit::DevicesRevoked); for an id the account
    /// does not remember at `now` (already revoked, expired), nothing to
    /// write or do.
    ///
    /// # Errors
    ///
    /// None in the result: revoking is idempotent.
    ///
    /// ```
    /// use mfa::{DeviceId, FlowError, MemoryStore, Protection, TotpRecord};
    ///
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let id = DeviceId::parse("AAECAwQFBgcICQoLDA0ODw")?; // from the form of the "revoke" button
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.revoke_device(&id, 1_700_000_000));
    /// assert_eq!(ran.result, Ok(()));
    /// assert!(ran.effects.is_empty()); // no such device: nothing to tell
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn revoke_device(&self, id: &DeviceId, now: u64) -> Transition<(), R> {
        self.forget(|device| device.id == *id, now)
    }

    /// Forgets every remembered device ("sign out of all remembered
    /// devices"): each token stops passing at once. Writes the account
    /// record ([`Persist`](crate::Persist)), then
    /// [`Effect::Notify`](crate::Effect::Notify) with
    /// [`Event::DevicesRevoked`] and how many were forgotten (expired
    /// ones are dropped too, uncounted), and
    /// [`Effect::Audit`](crate::Effect::Audit) with
    /// [`Audit::DevicesRevoked`](crate::Audit::DevicesRevoked); with none,
    /// nothing to write or do.
    ///
    /// # Errors
    ///
    /// None in the result.
    ///
    /// ```
    /// use mfa::{MemoryStore, Protection, TotpRecord};
    ///
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the signed-in user
    /// let ran = mfa::run_blocking(&store, &ada, |account| account.revoke_all_devices(1_700_000_000));
    /// assert_eq!(ran.result, Ok(()));
    /// assert!(ran.effects.is_empty()); // none remembered
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn revoke_all_devices(&self, now: u64) -> Transition<(), R> {
        self.forget(|_| true, now)
    }

    /// Without the devices `revoked` picks (and the expired ones),
    /// notified with how many of them were live; with none live, nothing
    /// to write or do.
    fn forget(&self, revoked: impl Fn(&TrustedDevice) -> bool, now: u64) -> Transition<(), R> {
        let count = self.trusted_devices(now).filter(|d| revoked(d)).count();
        if count == 0 {
            return Transition::done((), Vec::new());
        }
        let kept = self
            .trusted_devices(now)
            .filter(|d| !revoked(d))
            .cloned()
            .collect();
        Transition::done(
            (),
            vec![
                self.with_trusted(kept).persist_over(self),
                Output::Notify {
                    event: Event::DevicesRevoked { count },
                    at: now,
                },
                self.audit(Audit::DevicesRevoked { count }, now),
            ],
        )
    }

    /// Whether the device `id` is remembered for `scenario` at `now`, at
    /// the current generation (a device pass, checked again at
    /// authorisation).
    pub(crate) fn remembers(&self, id: &DeviceId, scenario: &Scenario, now: u64) -> bool {
        self.trusted()
            .iter()
            .any(|d| d.id == *id && d.scenario == *scenario && d.live(now))
    }

    /// Whether `token` passes `scenario` of this account at `now`: a live
    /// entry of its id whose hash (under this account's binding and
    /// generation) is the token's, compared in constant time.
    fn trusts<F>(
        &self,
        flows: &Flows<F>,
        token: &DeviceToken,
        scenario: &Scenario,
        now: u64,
    ) -> bool {
        self.trusted()
            .iter()
            .filter(|d| d.id == token.id && d.scenario == *scenario && d.live(now))
            .any(|d| {
                let expected = d.expected_hash(flows, self, &token.secret);
                bool::from(expected.as_slice().ct_eq(d.hash.as_slice()))
            })
    }
}

impl Verification {
    /// Starts a check at `scenario` as [`start`](Self::start) does, but
    /// first honours `device`, the [`DeviceToken`] from the browser's
    /// cookie (if it sent one): when the scenario is protected and the
    /// account remembers that device for it (made by
    /// [`Protection::trust_device`] for this account and scenario, not
    /// expired, not revoked, no factor change since), the check passes
    /// without a challenge, with nothing to write, no factor challenged
    /// ([`factor`](Self::factor) is `None`), and one
    /// [`Effect::Audit`](crate::Effect::Audit) with [`Audit::DevicePassed`]
    /// (the device's last use, for the security log). Otherwise it is
    /// exactly [`start`](Self::start), which challenges the first factor
    /// (the user may [`choose`](Self::choose) another): the host need not
    /// tell the user why a remembered device was challenged. A token
    /// offered at a protected scenario that does not pass (revoked,
    /// expired, made before a factor change, another scenario's or another
    /// account's, forged) adds one [`Effect::Audit`](crate::Effect::Audit)
    /// with [`Audit::DeviceRefused`] after `start`'s own effects, for the
    /// security log only: the state, the write, the result and every
    /// other effect are `start`'s, so the answer tells the client nothing
    /// a plain challenge would not. (A cookie that does not parse never
    /// gets here: [`DeviceToken::parse`] said why.)
    ///
    /// A device pass holds no [`Verified`] (no proof for changes, no
    /// grace window, no new device), and
    /// [`authorize`](Self::authorize) checks the device against the
    /// account again, so that revoking takes effect at once.
    ///
    /// # Errors
    ///
    /// As for [`start`](Self::start).
    ///
    /// ```
    /// use mfa::{DeviceToken, FlowError, FlowPolicy, Flows, MemoryStore, OobKey, Protection, Scenario, TotpFactor, TotpRecord, Verification};
    ///
    /// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, FlowPolicy::default())?; // built once at start-up
    /// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
    /// let ada = String::from("ada"); // the user logging on, who has not turned protection on
    /// // The cookie the browser sent, if any (this one was never trusted here).
    /// let token = DeviceToken::parse("AAECAwQFBgcICQoLDA0ODw.AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8")?;
    /// let now = 1_700_000_000;
    ///
    /// let ran = mfa::run_blocking(&store, &ada, |account| {
    ///     Verification::start_trusted(&flows, account, Scenario::LogOn, Some(&token), None, now)
    /// });
    /// let check = ran.state.ok_or(FlowError::Internal("no state"))?;
    /// assert!(check.is_done()); // not protected: passed at once, as with `start`
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn start_trusted<F: Factor>(
        flows: &Flows<F>,
        account: &Protection<F::Record>,
        scenario: Scenario,
        device: Option<&DeviceToken>,
        last: Option<&Verified>,
        now: u64,
    ) -> Transition<Self, F::Record> {
        match device {
            Some(token) if account.protects(&scenario) => {
                if account.trusts(flows, token, &scenario, now) {
                    let passed = Audit::DevicePassed { device: token.id };
                    return Transition::done(
                        Self::by_device(flows, account, scenario, token.id, now),
                        Vec::new(),
                    )
                    .audited(account, passed, now);
                }
                // Audited for the host's log only: the user gets the very
                // answer of `start`.
                let refused = Audit::DeviceRefused { device: token.id };
                Self::start(flows, account, scenario, last, now).audited(account, refused, now)
            }
            _ => Self::start(flows, account, scenario, last, now),
        }
    }
}
