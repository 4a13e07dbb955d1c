//! Google Authenticator's export, `otpauth-migration://offline?data=…`:
//! Base64 of a protobuf `MigrationPayload`, read here with a minimal
//! varint and length-delimited reader (no protobuf crate) and a small
//! Base64 decoder (no Base64 crate: a dependency for ~40 lines, and this
//! one decodes key material without secret-dependent branches or table
//! lookups, like the crate's Base32).
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

use zeroize::Zeroizing;

use super::parse::{position_in, split_label, strip_prefix_ignore_case};
use super::{KeyUri, OtpType, percent};
use crate::algorithm::Algorithm;
use crate::code::Digits;
use crate::error::{MigrationError, UriError};
use crate::secret::Secret;

/// One QR code of a Google Authenticator export ("Transfer accounts"):
/// its keys, and where it stands in the export.
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
    version: i32,
    batch_size: i32,
    batch_index: i32,
    batch_id: i32,
}

impl MigrationBatch {
    /// Parses an `otpauth-migration://offline?data=…` URI.
    ///
    /// Each key becomes a [`KeyUri`] as [`KeyUri::parse`] would read it: an
    /// entry's name is its label (`Issuer:Account`, or just the account),
    /// its issuer the `issuer` parameter. Unspecified algorithm, digits and
    /// type (0) mean SHA-1, 6 and TOTP; TOTP keys have a 30-second period,
    /// which is all Google Authenticator supports. Secrets of 80 bits or
    /// more are accepted, as by [`KeyUri::parse`].
    ///
    /// The data may be standard or URL-safe Base64, padded or not, and
    /// a space in it is read as `+` (which a form decoder may have turned
    /// into a space). Unknown protobuf fields are skipped; a field that
    /// appears twice takes its last value, as protobuf says. Parsing never
    /// panics and refuses inputs over [`KeyUri::MAX_LEN`] bytes.
    ///
    /// # Errors
    ///
    /// A [`MigrationError`] naming the problem: the URI, the Base64, the
    /// protobuf structure, or [`MigrationError::Key`] with the position of
    /// the key and a [`UriError`].
    ///
    /// ```
    /// use mfa::{MigrationBatch, MigrationError};
    ///
    /// assert_eq!(
    ///     MigrationBatch::parse("otpauth-migration://offline?data=").unwrap_err(),
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
        let text =
            percent::decode(data).map_err(|offset| MigrationError::InvalidPercentEncoding {
                position: position_in(uri, data, offset),
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
            version: 0,
            batch_size: 0,
            batch_index: 0,
            batch_id: 0,
        };
        let mut reader = Reader(payload);
        while let Some((field, value)) = reader.field()? {
            match (field, value) {
                (1, Value::Bytes(entry)) => {
                    let position = batch.keys.len().saturating_add(1);
                    let key = Entry::read(entry)?
                        .into_key()
                        .map_err(|error| MigrationError::Key { position, error })?;
                    batch.keys.push(key);
                }
                (2, Value::Varint(v)) => batch.version = int32(v),
                (3, Value::Varint(v)) => batch.batch_size = int32(v),
                (4, Value::Varint(v)) => batch.batch_index = int32(v),
                (5, Value::Varint(v)) => batch.batch_id = int32(v),
                (1..=5, _) => return Err(MigrationError::WrongWireType { field }),
                _ => {}
            }
        }
        if batch.keys.is_empty() {
            return Err(MigrationError::NoKeys);
        }
        Ok(batch)
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
        let (label_issuer, account) = split_label(name)?;
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

/// Value of a Base64 symbol (standard or URL-safe; a space as `+`), or -1,
/// without a data-dependent branch or table lookup (as `base64ct`).
#[allow(clippy::arithmetic_side_effects)] // i16 arithmetic on a u8 cannot overflow
fn base64_value(c: u8) -> i16 {
    let c = i16::from(c);
    // All ones if lo <= c <= hi, else 0.
    let in_range = |lo: i16, hi: i16| ((lo - 1 - c) & (c - hi - 1)) >> 8;
    let mut value: i16 = -1;
    value += in_range(0x41, 0x5a) & (c - 0x41 + 1); // 'A'..='Z' -> 0..=25
    value += in_range(0x61, 0x7a) & (c - 0x61 + 26 + 1); // 'a'..='z' -> 26..=51
    value += in_range(0x30, 0x39) & (c - 0x30 + 52 + 1); // '0'..='9' -> 52..=61
    value += in_range(0x2b, 0x2b) & (62 + 1); // '+'
    value += in_range(0x2d, 0x2d) & (62 + 1); // '-' (URL-safe)
    value += in_range(0x20, 0x20) & (62 + 1); // ' ', a '+' read as a space
    value += in_range(0x2f, 0x2f) & (63 + 1); // '/'
    value += in_range(0x5f, 0x5f) & (63 + 1); // '_' (URL-safe)
    value
}

/// Decodes Base64 into one allocation of exactly the final size, zeroized
/// on drop.
fn base64_decode(text: &[u8]) -> Result<Zeroizing<Vec<u8>>, MigrationError> {
    let padding = text.iter().rev().take_while(|&&b| b == b'=').count();
    let symbols = text.len().saturating_sub(padding);
    let data = text.get(..symbols).unwrap_or_default();
    if let Some(position) = data
        .iter()
        .position(|&b| base64_value(b) < 0)
        .map(|i| i.saturating_add(1))
    {
        return Err(MigrationError::InvalidBase64 { position });
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
    let mut out = Zeroizing::new(Vec::with_capacity(len));
    let mut acc: u32 = 0;
    let mut bits: u32 = 0;
    for &b in data {
        // Validated above: every symbol has a value in 0..=63.
        #[allow(clippy::cast_sign_loss)]
        let v = (base64_value(b) & 0x3f) as u32;
        acc = (acc << 6) | v;
        bits = bits.saturating_add(6);
        if bits >= 8 {
            bits = bits.saturating_sub(8);
            #[allow(clippy::cast_possible_truncation)]
            out.push((acc >> bits) as u8);
            acc &= (1u32 << bits).wrapping_sub(1);
        }
    }
    zeroize::Zeroize::zeroize(&mut acc);
    Ok(out)
}

#[cfg(test)]
mod tests;
