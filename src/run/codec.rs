//! The stored form of an account record: serialized, then sealed under
//! the host's keys with the account id as associated data.

use alloc::vec::Vec;
use core::fmt;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::flow::Protection;
use crate::record::{SendBudget, Versioned};
use crate::seal::{Keyring, SealError};

/// How a store adapter turns a [`Protection`] into the bytes of its row
/// and back: the record as JSON behind a format byte, sealed with
/// XChaCha20-Poly1305 under the current key of a [`Keyring`], with the
/// account id as associated data, so a database dump holds no usable
/// secret and a sealed value moved to another row does not open. Records
/// sealed under an older key of the ring still open, and are sealed under
/// the current key on their next write.
///
/// ```
/// use mfa::{Keyring, Protection, RecordCodec, SealingKey, TotpRecord};
///
/// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
/// let account: Protection<TotpRecord> = Protection::new()?;
/// let row = codec.encode("ada", &account)?;
/// assert_eq!(codec.decode::<TotpRecord>("ada", &row)?, account);
/// assert!(codec.decode::<TotpRecord>("bob", &row).is_err()); // another row
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct RecordCodec {
    keys: Keyring,
}

impl RecordCodec {
    /// The format of the serialized record, the first byte of the
    /// plaintext: records of another format are refused, never misread.
    pub const FORMAT: u8 = 1;

    /// A codec sealing under `keys`' current key.
    ///
    /// ```
    /// let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(7)?));
    /// assert_eq!(codec.keys().current_id(), 7);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn new(keys: Keyring) -> Self {
        Self { keys }
    }

    /// The keys.
    ///
    /// ```
    /// let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// assert_eq!(codec.keys().current_id(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn keys(&self) -> &Keyring {
        &self.keys
    }

    /// The bytes to store for `record` under account `id`.
    ///
    /// # Errors
    ///
    /// [`CodecError::Seal`] if sealing fails (the random source),
    /// [`CodecError::Serialize`] if the record does not serialize.
    ///
    /// ```
    /// # let codec = mfa::RecordCodec::new(mfa::Keyring::new(mfa::SealingKey::generate(1)?));
    /// let account: mfa::Protection<mfa::TotpRecord> = mfa::Protection::new()?;
    /// let row = codec.encode("ada", &account)?;
    /// assert!(row.len() < 1_024); // an account without protection: a few hundred bytes
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn encode<R: Serialize>(
        &self,
        id: &str,
        record: &Protection<R>,
    ) -> Result<Vec<u8>, CodecError> {
        self.seal(id, record)
    }

    /// The bytes to store for any [`StoredRecord`] (an account's
    /// [`Protection`], a [`SendBudget`]) under `id`, sealed in the
    /// record kind's own context: a row of one kind does not open as
    /// another, whatever its id.
    ///
    /// # Errors
    ///
    /// As [`encode`](Self::encode).
    ///
    /// ```
    /// use mfa::{BudgetId, RecordCodec, Keyring, SealingKey, SendBudget};
    ///
    /// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let id = BudgetId::prefix("+44");
    /// let row = codec.seal(id.as_str(), &SendBudget::new())?;
    /// assert_eq!(codec.open::<SendBudget>(id.as_str(), &row)?, SendBudget::new());
    /// assert!(codec.decode::<mfa::TotpRecord>(id.as_str(), &row).is_err()); // not an account
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn seal<T: StoredRecord + Serialize>(
        &self,
        id: &str,
        record: &T,
    ) -> Result<Vec<u8>, CodecError> {
        let json =
            zeroize::Zeroizing::new(serde_json::to_vec(record).map_err(|_| CodecError::Serialize)?);
        let mut plain = zeroize::Zeroizing::new(Vec::with_capacity(json.len().saturating_add(1)));
        plain.push(Self::FORMAT);
        plain.extend_from_slice(&json);
        Ok(self.keys.seal(&context(T::CONTEXT, id), &plain)?)
    }

    /// The record of kind `T` stored as `bytes` under `id`.
    ///
    /// # Errors
    ///
    /// As [`decode`](Self::decode).
    ///
    /// ```
    /// use mfa::{RecordCodec, Keyring, SealingKey, SendBudget};
    ///
    /// let codec = RecordCodec::new(Keyring::new(SealingKey::generate(1)?));
    /// let row = codec.seal("sms-prefix/+44", &SendBudget::new())?;
    /// assert!(codec.open::<SendBudget>("sms-prefix/+33", &row).is_err()); // another row
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn open<T: StoredRecord + DeserializeOwned>(
        &self,
        id: &str,
        bytes: &[u8],
    ) -> Result<T, CodecError> {
        let plain = self.keys.open(&context(T::CONTEXT, id), bytes)?;
        match plain.split_first() {
            Some((&Self::FORMAT, json)) => {
                serde_json::from_slice(json).map_err(|_| CodecError::Invalid)
            }
            Some((&found, _)) => Err(CodecError::Format { found }),
            None => Err(CodecError::Invalid),
        }
    }

    /// The record stored as `bytes` under account `id`.
    ///
    /// # Errors
    ///
    /// [`CodecError::Seal`] if the bytes do not open under the keys for
    /// this id (another row's, edited, an unknown key), and
    /// [`CodecError::Format`] or [`CodecError::Invalid`] for a record of
    /// another format or one that does not read back.
    ///
    /// ```
    /// use mfa::{CodecError, RecordCodec, Keyring, SealingKey, TotpRecord};
    ///
    /// let old = SealingKey::generate(1)?;
    /// let codec = RecordCodec::new(Keyring::new(old.clone()));
    /// let row = codec.encode("ada", &mfa::Protection::<TotpRecord>::new()?)?;
    /// // Rotated: key 2 seals from now on, key 1 still opens.
    /// let rotated = RecordCodec::new(Keyring::new(SealingKey::generate(2)?).with_old_key(old)?);
    /// assert!(rotated.decode::<TotpRecord>("ada", &row).is_ok());
    /// assert!(!rotated.keys().is_current(&row));
    /// assert!(matches!(RecordCodec::new(Keyring::new(SealingKey::generate(3)?)).decode::<TotpRecord>("ada", &row), Err(CodecError::Seal(_))));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn decode<R: DeserializeOwned>(
        &self,
        id: &str,
        bytes: &[u8],
    ) -> Result<Protection<R>, CodecError> {
        self.open(id, bytes)
    }
}

/// A record a store adapter keeps sealed by a [`RecordCodec`]: an
/// account's [`Protection`], or a [`SendBudget`]. Each kind seals in a
/// context of its own (`CONTEXT` and the row id are the associated data).
///
/// ```
/// use mfa::{Protection, SendBudget, StoredRecord, TotpRecord};
///
/// assert_eq!(<Protection<TotpRecord> as StoredRecord>::CONTEXT, b"mfa/protection/");
/// assert_eq!(SendBudget::CONTEXT, b"mfa/send-budget/");
/// ```
pub trait StoredRecord: Versioned {
    /// The start of the associated data, before the row id.
    const CONTEXT: &'static [u8];
}

impl<R> StoredRecord for Protection<R> {
    const CONTEXT: &'static [u8] = b"mfa/protection/";
}

impl StoredRecord for SendBudget {
    const CONTEXT: &'static [u8] = b"mfa/send-budget/";
}

/// The associated data of row `id` of a record kind.
fn context(kind: &[u8], id: &str) -> Vec<u8> {
    let mut context = Vec::with_capacity(kind.len().saturating_add(id.len()));
    context.extend_from_slice(kind);
    context.extend_from_slice(id.as_bytes());
    context
}

/// Why a stored record could not be written or read back.
///
/// ```
/// assert_eq!(
///     mfa::CodecError::Format { found: 2 }.to_string(),
///     "the stored record is of format 2; this version of mfa reads format 1"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CodecError {
    /// The bytes did not open (or could not be sealed); see the inner
    /// error.
    Seal(SealError),
    /// The record is of another format than [`RecordCodec::FORMAT`].
    Format {
        /// The format byte found.
        found: u8,
    },
    /// The record opened but does not read back as a valid record.
    Invalid,
    /// The record did not serialize.
    Serialize,
}

impl fmt::Display for CodecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Seal(e) => e.fmt(f),
            Self::Format { found } => write!(
                f,
                "the stored record is of format {found}; this version of mfa reads format {}",
                RecordCodec::FORMAT
            ),
            Self::Invalid => f.write_str("the stored record does not read back as a valid record"),
            Self::Serialize => f.write_str("the record could not be serialized"),
        }
    }
}

/// `Seal` shows its inner error's message, so it returns no source.
impl core::error::Error for CodecError {}

impl From<SealError> for CodecError {
    fn from(e: SealError) -> Self {
        Self::Seal(e)
    }
}
