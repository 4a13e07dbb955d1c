//! Google Authenticator's export, `otpauth-migration://offline?data=…`:
//! Base64 of a protobuf `MigrationPayload`, decoded with RustCrypto's
//! `base64ct` (constant time, `no_std`, into a buffer this module sizes
//! once and zeroizes) and read with a minimal varint and length-delimited
//! reader. No protobuf crate: the schema below is seven fields deep, the
//! reader borrows from the decoded payload without copying a secret, and
//! `prost` would add a derive, the `bytes` crate and copies that are not
//! zeroized.
//!
//! ```text
//! message MigrationPayload {
//!   repeated OtpParameters otp_parameters = 1;
//!   int32 version = 2; int32 batch_size = 3; int32 batch_index = 4; int32 batch_id = 5;
//! }
//! message OtpParameters {
//!   bytes secret = 1; string name = 2; string issuer = 3;
//!   Algorithm algorithm = 4;   // 0 unspecified, 1 SHA1, 2 SHA256, 3 SHA512, 4 MD5
//!   DigitCount digits = 5;     // 0 unspecified, 1 six, 2 eight
//!   OtpType type = 6;          // 0 unspecified, 1 HOTP, 2 TOTP
//!   int64 counter = 7;
//! }
//! ```

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64ct::{Base64Unpadded, Encoding as _};
use zeroize::Zeroizing;

use super::parse::{position_in, split_label, strip_prefix_ignore_case};
use super::{KeyUri, OtpType, percent};
use crate::algorithm::Algorithm;
use crate::code::Digits;
use crate::error::{MigrationError, UriError};
use crate::secret::Secret;

/// One QR code of a Google Authenticator export ("Transfer accounts"):
/// its keys, the keys it could not import and why, and where it stands in
/// the export.
///
/// An export of many accounts is split over several QR codes; each is a
/// batch with the same [`batch_id`](Self::batch_id), numbered by
/// [`batch_index`](Self::batch_index) from 0 to
/// [`batch_size`](Self::batch_size) - 1.
///
/// ```
/// use mfa::MigrationBatch;
///
/// // One TOTP key: secret "12345678901234567890", name "Example:alice",
/// // issuer "Example", SHA1, 6 digits.
/// let uri = "otpauth-migration://offline?data=CjQKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEg1FeGFtcGxlOmFsaWNlGgdFeGFtcGxlIAEoATACEAEYASAAKAA%3D";
/// let batch = MigrationBatch::parse(uri)?;
/// let key = &batch.keys()[0];
/// assert_eq!((key.issuer(), key.account()), (Some("Example"), "alice"));
/// assert_eq!(key.to_totp()?.generate(59)?.to_string(), "287082");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MigrationBatch {
    keys: Vec<KeyUri>,
    refused: Vec<RefusedKey>,
    version: i32,
    batch_size: i32,
    batch_index: i32,
    batch_id: i32,
}

impl MigrationBatch {
    /// Parses an `otpauth-migration://offline?data=…` URI.
    ///
    /// Each key becomes a [`KeyUri`] as [`KeyUri::parse`] would read it: an
    /// entry's name is its label (`Issuer:Account`, or just the account,
    /// split at the first colon), its issuer the `issuer` parameter.
    /// Unspecified algorithm, digits and type (0) mean SHA-1, 6 and TOTP;
    /// TOTP keys have a 30-second period, which is all Google
    /// Authenticator supports. Secrets of 80 bits or more are accepted, as
    /// by [`KeyUri::parse`].
    ///
    /// **A key that cannot be imported does not sink the others.** It is
    /// left out of [`keys`](Self::keys) and reported in
    /// [`refused`](Self::refused) with its position, name and reason, as an
    /// app importing the export would skip it; check `refused()` and tell
    /// the user, or call [`require_all`](Self::require_all) to refuse the
    /// whole batch instead. A batch may so hold no key at all.
    ///
    /// The data may be standard or URL-safe Base64, padded or not, and
    /// `+` or a space in it is read as `+` (the query is form-decoded, and
    /// some tools leave `+` unescaped). Unknown protobuf fields are
    /// skipped; a field that appears twice takes its last value, as
    /// protobuf says. Parsing never panics and refuses inputs over
    /// [`KeyUri::MAX_LEN`] bytes.
    ///
    /// # Errors
    ///
    /// A [`MigrationError`] naming the problem with the export as a whole:
    /// the URI, the Base64, the protobuf structure (which makes every key
    /// suspect), or [`MigrationError::NoKeys`] for an export without any
    /// entry.
    ///
    /// ```
    /// use mfa::{MigrationBatch, MigrationError};
    ///
    /// assert_eq!(
    ///     MigrationBatch::parse("otpauth-migration://offline").unwrap_err(),
    ///     MigrationError::MissingData
    /// );
    /// ```
    pub fn parse(uri: &str) -> Result<Self, MigrationError> {
        if uri.len() > KeyUri::MAX_LEN {
            return Err(MigrationError::TooLong {
                len: uri.len(),
                max: KeyUri::MAX_LEN,
            });
        }
        let trimmed = uri.trim_matches(|c: char| c.is_ascii_whitespace());
        let rest = strip_prefix_ignore_case(trimmed, "otpauth-migration://offline")
            .ok_or(MigrationError::NotMigration)?;
        let rest = rest.split_once('#').map_or(rest, |(before, _)| before);
        let query = match rest.split_once('?') {
            Some(("" | "/", query)) => query,
            // The right scheme and host, and nothing after them.
            None if matches!(rest, "" | "/") => "",
            _ => return Err(MigrationError::NotMigration),
        };
        let mut data = None;
        for pair in query.split('&') {
            let (name, value) = pair.split_once('=').unwrap_or((pair, ""));
            if name == "data" {
                if data.is_some() {
                    return Err(MigrationError::DuplicateData);
                }
                data = Some(value);
            }
        }
        let data = data.ok_or(MigrationError::MissingData)?;
        // Form-decoded like every query value: a `+` becomes a space, which
        // the Base64 reader takes back as `+`.
        let text = percent::decode_query(data).map_err(|offset| {
            MigrationError::InvalidPercentEncoding {
                position: position_in(uri, data, offset),
            }
        })?;
        if text.is_empty() {
            return Err(MigrationError::MissingData);
        }
        let payload = base64_decode(&text)?;
        Self::from_payload(&payload)
    }

    fn from_payload(payload: &[u8]) -> Result<Self, MigrationError> {
        let mut batch = Self {
            keys: Vec::new(),
            refused: Vec::new(),
            version: 0,
            batch_size: 0,
            batch_index: 0,
            batch_id: 0,
        };
        let mut reader = Reader(payload);
        while let Some((field, value)) = reader.field()? {
            match (field, value) {
                (1, Value::Bytes(entry)) => {
                    let position = batch
                        .keys
                        .len()
                        .saturating_add(batch.refused.len())
                        .saturating_add(1);
                    let entry = Entry::read(entry)?;
                    let (name, issuer) = (entry.name, entry.issuer);
                    match entry.into_key() {
                        Ok(key) => batch.keys.push(key),
                        Err(error) => batch.refused.push(RefusedKey {
                            position,
                            name: String::from_utf8_lossy(name).into_owned(),
                            issuer: String::from_utf8_lossy(issuer).into_owned(),
                            error,
                        }),
                    }
                }
                (2, Value::Varint(v)) => batch.version = int32(v),
                (3, Value::Varint(v)) => batch.batch_size = int32(v),
                (4, Value::Varint(v)) => batch.batch_index = int32(v),
                (5, Value::Varint(v)) => batch.batch_id = int32(v),
                (1..=5, _) => return Err(MigrationError::WrongWireType { field }),
                _ => {}
            }
        }
        if batch.keys.is_empty() && batch.refused.is_empty() {
            return Err(MigrationError::NoKeys);
        }
        Ok(batch)
    }

    /// The keys that could not be imported, in export order, each with its
    /// position, name and reason. Empty when every key was imported.
    ///
    /// ```
    /// use mfa::{MigrationBatch, SecretError, UriError};
    ///
    /// // johncallahan/otpauth_migration's two keys, then Google
    /// // Authenticator's "test" key, whose secret has only 72 bits.
    /// let uri = "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAAgACjn4Pv4AgoXCgkcigkMoJDKCRQSBHRlc3QgASgBMAIQARgBIAAok6iNzAc%3D";
    /// let batch = MigrationBatch::parse(uri)?;
    /// assert_eq!(batch.keys().len(), 2);
    /// let [refused] = batch.refused() else { panic!("one refused key") };
    /// assert_eq!((refused.position(), refused.name()), (3, "test"));
    /// assert_eq!(
    ///     refused.error(),
    ///     UriError::Secret(SecretError::TooShort { bits: 72, min_bits: 80 })
    /// );
    /// assert_eq!(
    ///     refused.to_string(),
    ///     "key 3 of the export (\"test\") was not imported: invalid secret: \
    ///      the secret has 72 bits; at least 80 are required"
    /// );
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn refused(&self) -> &[RefusedKey] {
        &self.refused
    }

    /// Returns the batch if every key was imported, for a caller that
    /// wants all or nothing.
    ///
    /// # Errors
    ///
    /// [`MigrationError::Key`] with the position and reason of the first
    /// refused key.
    ///
    /// ```
    /// use mfa::{MigrationBatch, MigrationError};
    ///
    /// # let uri = "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAAgACjn4Pv4AgoXCgkcigkMoJDKCRQSBHRlc3QgASgBMAIQARgBIAAok6iNzAc%3D";
    /// let err = MigrationBatch::parse(uri)?.require_all().unwrap_err();
    /// assert!(matches!(err, MigrationError::Key { position: 3, .. }));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn require_all(self) -> Result<Self, MigrationError> {
        match self.refused.first() {
            Some(refused) => Err(MigrationError::Key {
                position: refused.position,
                error: refused.error,
            }),
            None => Ok(self),
        }
    }

    /// The keys, in export order.
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CjQKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEg1FeGFtcGxlOmFsaWNlGgdFeGFtcGxlIAEoATACEAEYASAAKAA%3D";
    /// let batch = mfa::MigrationBatch::parse(uri)?;
    /// assert_eq!(batch.keys().len(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn keys(&self) -> &[KeyUri] {
        &self.keys
    }

    /// The keys, in export order, by value.
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CjQKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEg1FeGFtcGxlOmFsaWNlGgdFeGFtcGxlIAEoATACEAEYASAAKAA%3D";
    /// for key in mfa::MigrationBatch::parse(uri)?.into_keys() {
    ///     assert!(key.to_uri().starts_with("otpauth://totp/Example:alice?"));
    /// }
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn into_keys(self) -> Vec<KeyUri> {
        self.keys
    }

    /// The payload's format version (1 in current exports; 0 if absent).
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CjQKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEg1FeGFtcGxlOmFsaWNlGgdFeGFtcGxlIAEoATACEAEYASAAKAA%3D";
    /// assert_eq!(mfa::MigrationBatch::parse(uri)?.version(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn version(&self) -> i32 {
        self.version
    }

    /// How many QR codes the export has (0 if absent).
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CjQKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEg1FeGFtcGxlOmFsaWNlGgdFeGFtcGxlIAEoATACEAEYASAAKAA%3D";
    /// assert_eq!(mfa::MigrationBatch::parse(uri)?.batch_size(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn batch_size(&self) -> i32 {
        self.batch_size
    }

    /// Which QR code of the export this is, from 0.
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CjQKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEg1FeGFtcGxlOmFsaWNlGgdFeGFtcGxlIAEoATACEAEYASAAKAA%3D";
    /// assert_eq!(mfa::MigrationBatch::parse(uri)?.batch_index(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn batch_index(&self) -> i32 {
        self.batch_index
    }

    /// The export's identifier, the same in each of its QR codes.
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CjQKFDEyMzQ1Njc4OTAxMjM0NTY3ODkwEg1FeGFtcGxlOmFsaWNlGgdFeGFtcGxlIAEoATACEAEYASAAKAA%3D";
    /// assert_eq!(mfa::MigrationBatch::parse(uri)?.batch_id(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn batch_id(&self) -> i32 {
        self.batch_id
    }
}

/// A key of an export that could not be imported, and why
/// ([`MigrationBatch::refused`]). It holds no secret material.
///
/// Its [`Display`](fmt::Display) is one line for the user, with the name
/// and issuer quoted and escaped, since an export may hold any text.
///
/// ```
/// # let uri = "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAAgACjn4Pv4AgoXCgkcigkMoJDKCRQSBHRlc3QgASgBMAIQARgBIAAok6iNzAc%3D";
/// let batch = mfa::MigrationBatch::parse(uri)?;
/// for refused in batch.refused() {
///     eprintln!("{refused}"); // key 3 of the export ("test") was not imported: …
/// }
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RefusedKey {
    position: usize,
    name: String,
    issuer: String,
    error: UriError,
}

impl RefusedKey {
    /// Which key of the batch, counting from 1.
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAAgACjn4Pv4AgoXCgkcigkMoJDKCRQSBHRlc3QgASgBMAIQARgBIAAok6iNzAc%3D";
    /// assert_eq!(mfa::MigrationBatch::parse(uri)?.refused()[0].position(), 3);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn position(&self) -> usize {
        self.position
    }

    /// The entry's name, as the export holds it (invalid UTF-8 replaced
    /// by U+FFFD).
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAAgACjn4Pv4AgoXCgkcigkMoJDKCRQSBHRlc3QgASgBMAIQARgBIAAok6iNzAc%3D";
    /// assert_eq!(mfa::MigrationBatch::parse(uri)?.refused()[0].name(), "test");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The entry's issuer, empty if it has none.
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAAgACjn4Pv4AgoXCgkcigkMoJDKCRQSBHRlc3QgASgBMAIQARgBIAAok6iNzAc%3D";
    /// assert_eq!(mfa::MigrationBatch::parse(uri)?.refused()[0].issuer(), "");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// Why the key was refused.
    ///
    /// ```
    /// # let uri = "otpauth-migration://offline?data=CkMKFD3GyqSCSm0oh2eyMx4gtDFmy4XZEhxBQ01FIENvOmpvaG4uZG9lQGV4YW1wbGUuY29tGgdBQ01FIENvIAEoATACCjUKCkhlbGxvId6tvu8SGEV4YW1wbGU6YWxpY2VAZ29vZ2xlLmNvbRoHRXhhbXBsZSABKAEwAhABGAAgACjn4Pv4AgoXCgkcigkMoJDKCRQSBHRlc3QgASgBMAIQARgBIAAok6iNzAc%3D";
    /// let error = mfa::MigrationBatch::parse(uri)?.refused()[0].error();
    /// assert!(matches!(error, mfa::UriError::Secret(_)));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn error(&self) -> UriError {
        self.error
    }
}

impl fmt::Display for RefusedKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "key {} of the export ({:?}", self.position, self.name)?;
        if !self.issuer.is_empty() {
            write!(f, ", issuer {:?}", self.issuer)?;
        }
        write!(f, ") was not imported: {}", self.error)
    }
}

/// An `int32` field: protobuf keeps the low 32 bits of the varint.
#[allow(clippy::cast_possible_truncation, clippy::cast_possible_wrap)] // as protobuf does
const fn int32(v: u64) -> i32 {
    v as u32 as i32
}

/// The fields of one `OtpParameters` message, as read.
#[derive(Default)]
struct Entry<'a> {
    secret: &'a [u8],
    name: &'a [u8],
    issuer: &'a [u8],
    algorithm: u64,
    digits: u64,
    otp_type: u64,
    counter: u64,
}

impl<'a> Entry<'a> {
    fn read(bytes: &'a [u8]) -> Result<Self, MigrationError> {
        let mut entry = Self::default();
        let mut reader = Reader(bytes);
        while let Some((field, value)) = reader.field()? {
            match (field, value) {
                (1, Value::Bytes(b)) => entry.secret = b,
                (2, Value::Bytes(b)) => entry.name = b,
                (3, Value::Bytes(b)) => entry.issuer = b,
                (4, Value::Varint(v)) => entry.algorithm = v,
                (5, Value::Varint(v)) => entry.digits = v,
                (6, Value::Varint(v)) => entry.otp_type = v,
                (7, Value::Varint(v)) => entry.counter = v,
                (1..=7, _) => return Err(MigrationError::WrongWireType { field }),
                _ => {}
            }
        }
        Ok(entry)
    }

    fn into_key(self) -> Result<KeyUri, UriError> {
        let Self {
            secret,
            name,
            issuer,
            algorithm,
            digits,
            otp_type,
            counter,
        } = self;
        if secret.is_empty() {
            return Err(UriError::MissingSecret);
        }
        let secret = Secret::from_bytes_legacy(secret)?;
        let name = core::str::from_utf8(name).map_err(|_| UriError::InvalidUtf8)?;
        let issuer = core::str::from_utf8(issuer).map_err(|_| UriError::InvalidUtf8)?;
        let algorithm = match algorithm {
            0 | 1 => Algorithm::Sha1,
            2 => Algorithm::Sha256,
            3 => Algorithm::Sha512,
            _ => return Err(UriError::UnknownAlgorithm),
        };
        let digits = match digits {
            0 | 1 => Digits::SIX,
            2 => Digits::EIGHT,
            _ => return Err(UriError::InvalidDigits),
        };
        let otp_type = match otp_type {
            0 | 2 => OtpType::Totp { period: 30 },
            1 => OtpType::Hotp {
                // An int64 above i64::MAX is a negative counter.
                counter: if i64::try_from(counter).is_ok() {
                    counter
                } else {
                    return Err(UriError::InvalidCounter);
                },
            },
            _ => return Err(UriError::UnknownType),
        };
        let (label_issuer, account) = split_label(name);
        Ok(KeyUri {
            otp_type,
            secret,
            algorithm,
            digits,
            account,
            label_issuer,
            issuer_param: (!issuer.is_empty()).then(|| String::from(issuer)),
            extra: Vec::new(),
        })
    }
}

/// A protobuf field's value.
#[derive(Clone, Copy, Debug)]
enum Value<'a> {
    Varint(u64),
    Bytes(&'a [u8]),
    /// A 32- or 64-bit fixed value, which this schema never uses.
    Fixed,
}

/// Reads protobuf fields from a byte slice; every read is bounds-checked.
#[derive(Debug)]
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn byte(&mut self) -> Result<u8, MigrationError> {
        let (&b, rest) = self.0.split_first().ok_or(MigrationError::Truncated)?;
        self.0 = rest;
        Ok(b)
    }

    fn varint(&mut self) -> Result<u64, MigrationError> {
        let mut value: u64 = 0;
        for shift in (0..64).step_by(7) {
            let b = self.byte()?;
            // The tenth byte may carry only the 64th bit.
            if shift == 63 && b > 1 {
                return Err(MigrationError::VarintTooLong);
            }
            value |= u64::from(b & 0x7f) << shift;
            if b & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(MigrationError::VarintTooLong)
    }

    fn take(&mut self, len: u64) -> Result<&'a [u8], MigrationError> {
        let len = usize::try_from(len).map_err(|_| MigrationError::Truncated)?;
        let (taken, rest) = self
            .0
            .split_at_checked(len)
            .ok_or(MigrationError::Truncated)?;
        self.0 = rest;
        Ok(taken)
    }

    /// The next field number and value, or `None` at the end. A field
    /// number beyond `u32` reads as 0, which no schema field has.
    fn field(&mut self) -> Result<Option<(u32, Value<'a>)>, MigrationError> {
        if self.0.is_empty() {
            return Ok(None);
        }
        let key = self.varint()?;
        let field = u32::try_from(key >> 3).unwrap_or(0);
        let value = match key & 7 {
            0 => Value::Varint(self.varint()?),
            1 => {
                self.take(8)?;
                Value::Fixed
            }
            2 => {
                let len = self.varint()?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                self.take(4)?;
                Value::Fixed
            }
            other => {
                return Err(MigrationError::UnsupportedWireType {
                    wire_type: u8::try_from(other).unwrap_or(u8::MAX),
                });
            }
        };
        Ok(Some((field, value)))
    }
}

/// All ones if `lo <= b <= hi`, else 0, without a data-dependent branch
/// (the range test of `base64ct`'s decoder).
#[allow(
    clippy::arithmetic_side_effects, // i16 arithmetic on u8 values cannot overflow
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss
)]
const fn in_range(b: u8, lo: u8, hi: u8) -> u8 {
    let (b, lo, hi) = (b as i16, lo as i16, hi as i16);
    // Both differences are negative only inside the range; the sign bit,
    // spread by the arithmetic shift, is the mask.
    (((lo - 1 - b) & (b - hi - 1)) >> 8) as u8
}

/// A symbol of standard or URL-safe Base64, or a space (a `+` that form
/// decoding turned into one), as standard Base64, and whether it is one
/// of them; computed without a data-dependent branch or table lookup.
const fn standard_symbol(b: u8) -> (u8, bool) {
    let plus = in_range(b, b' ', b' ') | in_range(b, b'-', b'-');
    let slash = in_range(b, b'_', b'_');
    let valid = in_range(b, b'A', b'Z')
        | in_range(b, b'a', b'z')
        | in_range(b, b'0', b'9')
        | in_range(b, b'+', b'+')
        | in_range(b, b'/', b'/')
        | plus
        | slash;
    (
        (b & !(plus | slash)) | (b'+' & plus) | (b'/' & slash),
        valid != 0,
    )
}

/// Decodes Base64 into one allocation of exactly the final size, zeroized
/// on drop, through `base64ct`.
///
/// Only lengths and the position of the first symbol that is not Base64
/// (which is not part of any payload) decide a branch. The symbols are
/// first written as standard Base64 into a zeroizing copy, so that one
/// `base64ct` engine reads all the spellings that exports come in.
fn base64_decode(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, MigrationError> {
    let padding = text.iter().rev().take_while(|&&b| b == b'=').count();
    let symbols = text.len().saturating_sub(padding);
    let data = text.get(..symbols).unwrap_or_default();
    let mut standard = Zeroizing::new(Vec::with_capacity(symbols));
    for (i, &b) in data.iter().enumerate() {
        let (symbol, valid) = standard_symbol(b);
        if !valid {
            return Err(MigrationError::InvalidBase64 {
                position: i.saturating_add(1),
            });
        }
        standard.push(symbol);
    }
    // 4 symbols carry 3 bytes; a lone trailing symbol carries none, and
    // padding may only fill up the last group of 4.
    let padded_len_ok = padding == 0 || (padding <= 2 && text.len().is_multiple_of(4));
    if symbols % 4 == 1 || !padded_len_ok {
        return Err(MigrationError::InvalidBase64 {
            position: symbols.saturating_add(1),
        });
    }
    let len = (symbols / 4)
        .saturating_mul(3)
        .saturating_add((symbols % 4).saturating_mul(3) / 4);
    let mut out = Zeroizing::new(alloc::vec![0u8; len]);
    // Every symbol is valid and the length is right, so only unused low
    // bits of the last symbol that are not zero (a non-canonical encoding,
    // which no exporter writes) can fail here.
    Base64Unpadded::decode(&*standard, &mut out)
        .map_err(|_| MigrationError::InvalidBase64 { position: symbols })?;
    Ok(out)
}

#[cfg(test)]
mod tests;
