//! An account's named factors, and the names and ids around them: the
//! factor id, the factor name, the account id, the administrator and the
//! reason of an admin reset.

use alloc::string::String;
use core::fmt;
use core::str::FromStr;

use super::error::FlowError;
use crate::record::is_invisible;

/// The most factors an account may hold: one more is refused with
/// [`FlowError::TooManyFactors`].
///
/// ```
/// assert_eq!(mfa::MAX_FACTORS, 10);
/// ```
pub const MAX_FACTORS: usize = 10;

/// The opaque id of one of an account's factors: random, set when the
/// factor is added, kept when it is replaced ([`Enrollment::start_change`](crate::Enrollment::start_change)).
/// Shown as 16 hexadecimal digits, and parsed back from them (a form
/// field, a path segment).
///
/// ```
/// use mfa::{FactorId, FlowError};
///
/// let id: FactorId = "00000000000000ff".parse()?;
/// assert_eq!(id.to_string(), "00000000000000ff");
/// assert_eq!(format!("{id:?}"), "FactorId(00000000000000ff)");
/// assert_eq!("ff".parse::<FactorId>(), Err(FlowError::UnknownFactor));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FactorId(u64);

/// As shown: `FactorId(00000000000000ff)`.
impl fmt::Debug for FactorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FactorId({self})")
    }
}

impl FactorId {
    /// A new random id, none of `taken`.
    pub(crate) fn generate(taken: impl Fn(&Self) -> bool) -> Result<Self, FlowError> {
        loop {
            let mut bytes = [0u8; 8];
            getrandom::fill(&mut bytes).map_err(|_| FlowError::RandomSource)?;
            let id = Self(u64::from_be_bytes(bytes));
            if !taken(&id) {
                return Ok(id);
            }
        }
    }

    /// The id as bytes, for a transcript.
    pub(crate) const fn to_bytes(self) -> [u8; 8] {
        self.0.to_be_bytes()
    }
}

impl fmt::Display for FactorId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for FactorId {
    type Err = FlowError;

    /// Exactly 16 hexadecimal digits; anything else names no factor
    /// ([`FlowError::UnknownFactor`]).
    fn from_str(s: &str) -> Result<Self, FlowError> {
        if s.len() != 16 || !s.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(FlowError::UnknownFactor);
        }
        u64::from_str_radix(s, 16)
            .map(Self)
            .map_err(|_| FlowError::UnknownFactor)
    }
}

#[cfg(feature = "serde")]
impl serde::Serialize for FactorId {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

#[cfg(feature = "serde")]
impl<'de> serde::Deserialize<'de> for FactorId {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// Why a name (of a factor, an administrator) or a reason was refused.
///
/// ```
/// use mfa::{FactorName, NameError};
///
/// assert_eq!(FactorName::new(""), Err(NameError::Empty));
/// assert_eq!(FactorName::new("a\nb"), Err(NameError::Control));
/// assert_eq!(FactorName::new("Work\u{202e}enohp"), Err(NameError::Invisible));
/// assert_eq!(FactorName::new(&"x".repeat(65)), Err(NameError::TooLong { max: 64 }));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum NameError {
    /// Nothing but white space.
    Empty,
    /// More than `max` characters.
    TooLong {
        /// The most characters allowed.
        max: usize,
    },
    /// A control character (a line break, a tab, an escape).
    Control,
    /// An invisible or line-separating character (a zero-width space, a
    /// bidirectional override, U+2028): text that would read as other text.
    Invisible,
}

impl fmt::Display for NameError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Empty => f.write_str("enter a name"),
            Self::TooLong { max } => write!(f, "use at most {max} characters"),
            Self::Control => f.write_str("use no line breaks, tabs or other control characters"),
            Self::Invisible => f.write_str(
                "use no invisible characters (zero-width spaces, direction marks, line separators)",
            ),
        }
    }
}

impl core::error::Error for NameError {}

/// `text` trimmed, if it has 1 to `max` characters and no control or
/// invisible character.
fn checked_text(text: &str, max: usize) -> Result<String, NameError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(NameError::Empty);
    }
    if text.chars().count() > max {
        return Err(NameError::TooLong { max });
    }
    if text.chars().any(char::is_control) {
        return Err(NameError::Control);
    }
    if text
        .chars()
        .any(|c| is_invisible(c) || matches!(c, '\u{2028}' | '\u{2029}'))
    {
        return Err(NameError::Invisible);
    }
    Ok(String::from(text))
}

/// Defines a validated text type: `new` checks it, serde reads it back
/// through the same check.
macro_rules! checked_text_type {
    ($(#[$doc:meta])* $name:ident, $max:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        #[cfg_attr(
            feature = "serde",
            derive(serde::Serialize, serde::Deserialize),
            serde(try_from = "String", into = "String")
        )]
        pub struct $name(String);

        impl $name {
            /// The most characters allowed.
            pub const MAX_CHARS: usize = $max;

            /// The text, trimmed, if it has 1 to
            #[doc = concat!(stringify!($max))]
            /// characters and no control character.
            ///
            /// # Errors
            ///
            /// [`NameError`], saying what to fix.
            pub fn new(text: &str) -> Result<Self, NameError> {
                checked_text(text, $max).map(Self)
            }

            /// The text.
            #[must_use]
            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;

            fn try_from(text: String) -> Result<Self, NameError> {
                Self::new(&text)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
    };
}

checked_text_type!(
    /// The name the user gives a factor ("Phone", "YubiKey at work"): 1 to
    /// 64 characters, no control or invisible characters, trimmed. Shown to the owner,
    /// never put in an audit event.
    ///
    /// ```
    /// let name = mfa::FactorName::new("  Work phone ")?;
    /// assert_eq!(name.as_str(), "Work phone");
    /// assert_eq!(mfa::FactorName::new(&"é".repeat(64))?.as_str().chars().count(), 64);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    FactorName,
    64
);

checked_text_type!(
    /// Who ran an admin reset, as the host names its administrators (an
    /// employee number, a staff account id): 1 to 64 characters, no
    /// control or invisible characters. It goes into the audit event: keep personal
    /// data (names, e-mail addresses) out of it.
    ///
    /// ```
    /// assert_eq!(mfa::AdminId::new("staff-17")?.as_str(), "staff-17");
    /// assert!(mfa::AdminId::new(" ").is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    AdminId,
    64
);

checked_text_type!(
    /// Why an administrator reset an account's protection (a ticket
    /// number, "lost phone, identity checked by video call"): 1 to 256
    /// characters, no control or invisible characters. It goes into the audit event:
    /// keep personal data out of it.
    ///
    /// ```
    /// assert_eq!(mfa::Reason::new("ticket 4711")?.as_str(), "ticket 4711");
    /// assert!(mfa::Reason::new(&"x".repeat(257)).is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    Reason,
    256
);

/// The public id of an account's [`Protection`](crate::Protection): its
/// random 128-bit binding, shown as 32 hexadecimal digits. The only
/// account data in an audit event.
///
/// ```
/// let account = mfa::Protection::<mfa::TotpRecord>::new()?;
/// assert_eq!(account.account_id().to_string().len(), 32);
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct AccountId(
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))] pub(crate) [u8; 16],
);

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.iter().try_for_each(|b| write!(f, "{b:02x}"))
    }
}

/// One of an account's factors: its id, its name, its record, and when
/// its record was set up (added, or replaced last).
///
/// ```
/// # // The code delivered (by e-mail or SMS): what your mailer or SMS gateway sends.
/// # fn delivered(effects: &[mfa::Effect]) -> Result<String, mfa::FlowError> {
/// #     effects.iter().find_map(|effect| match effect {
/// #         mfa::Effect::Deliver(d) => Some(d.code().expose().to_owned()),
/// #         _ => None,
/// #     }).ok_or(mfa::FlowError::Internal("no code delivered"))
/// # }
/// # fn done<S>(ran: mfa::Ran<S>) -> Result<(S, Vec<mfa::Effect>), mfa::Error> {
/// #     ran.result?;
/// #     Ok((ran.state.ok_or(mfa::FlowError::Internal("no state"))?, ran.effects))
/// # }
/// use mfa::{Destination, Enrollment, FlowPolicy, Flows, MemoryStore, OobKey, Protection, RecoveryPolicy, Scenario, Store, TotpFactor, TotpRecord};
///
/// let policy = FlowPolicy::builder().recovery(RecoveryPolicy::builder().iterations(1_000).count(3).build()?).build()?;
/// let flows = Flows::new(TotpFactor::new("Example Co")?, OobKey::generate()?, policy)?;
/// let store: MemoryStore<String, Protection<TotpRecord>> = MemoryStore::new(); // your database
/// let ada = String::from("ada"); // the signed-in user
/// let now = 1_700_000_010;
///
/// // Ada turns protection on with her authenticator app.
/// let email = Destination::email("ada@example.com")?;
/// let (enrollment, effects) = done(mfa::run_blocking(&store, &ada, |account| {
///     Enrollment::start(&flows, account, &[Scenario::LogOn], &[email.clone()], &email, now)
/// }))?;
/// let code = delivered(&effects)?;
/// let (enrollment, _) = done(mfa::run_blocking(&store, &ada, |account| enrollment.verify_identity(&flows, account, &code, now)))?;
/// let label = String::from("ada@example.com");
/// let (enrollment, effects) = done(mfa::run_blocking(&store, &ada, |account| enrollment.setup(&flows, account, &label, now)))?;
/// let app = match effects.iter().find(|e| matches!(e, mfa::Effect::ShowKey(_))) {
///     Some(mfa::Effect::ShowKey(uri)) => uri.to_totp()?,
///     _ => return Err(mfa::FlowError::Internal("no key shown").into()),
/// };
/// let code = app.generate(now)?.to_string();
/// done(mfa::run_blocking(&store, &ada, |account| enrollment.confirm(&flows, account, &[&code], now)))?;
///
/// // Her first factor, named after its kind until she renames it.
/// let account = store.load(&ada)?.ok_or(mfa::FlowError::NotProtected)?;
/// let [first] = account.factors() else { return Err(mfa::FlowError::Internal("one factor").into()) };
/// assert_eq!((first.name().as_str(), first.added()), ("totp", now));
/// assert_eq!(account.factor_by_id(first.id()).map(|f| f.record()), account.factor());
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(
        deny_unknown_fields,
        bound(
            serialize = "R: serde::Serialize",
            deserialize = "R: serde::Deserialize<'de>"
        )
    )
)]
pub struct NamedFactor<R> {
    pub(crate) id: FactorId,
    pub(crate) name: FactorName,
    pub(crate) record: R,
    pub(crate) added: u64,
}

impl<R> NamedFactor<R> {
    /// The factor's id.
    #[must_use]
    pub const fn id(&self) -> &FactorId {
        &self.id
    }

    /// The name the user gave it (or its kind, for the first factor,
    /// until renamed).
    #[must_use]
    pub const fn name(&self) -> &FactorName {
        &self.name
    }

    /// The factor's record (its secret or phone, its throttle).
    #[must_use]
    pub const fn record(&self) -> &R {
        &self.record
    }

    /// When its record was set up: added, or replaced last (Unix seconds).
    #[must_use]
    pub const fn added(&self) -> u64 {
        self.added
    }
}
