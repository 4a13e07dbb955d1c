//! The server key that out-of-band code hashes are keyed with, and the
//! hash itself.

use alloc::vec::Vec;
use core::fmt;

use hmac::digest::{FixedOutput, Output};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use super::destination::Destination;
use crate::error::SecretError;
use crate::mac::key_schedule;

/// The server-side key ("pepper") that out-of-band code hashes are keyed
/// with: HMAC-SHA256 over the code and what it is bound to.
///
/// # Why a server key, and not a key stored in each record
///
/// A 6-digit code has only a million values. If the key that hashes it sat
/// in the same record, anyone who can read the records (a leaked backup, an
/// injected query, a curious operator) could try all million in a fraction
/// of a second and log in with the live code, and the hash would protect
/// nothing. Keeping the key out of the database, in the service's secret
/// configuration or a KMS, makes a leaked record useless: without the key,
/// the hash of a code cannot be tested.
///
/// Rotating the key invalidates the codes outstanding at that moment (at
/// most [`OobPolicy::MAX_TTL`](crate::OobPolicy::MAX_TTL) worth): checking
/// one of them with the new key counts as a failed attempt, and the user
/// asks for a new code.
///
/// 128 to 512 bits; [`generate`](Self::generate) makes 256. The bytes are
/// zeroized on drop, `Debug` shows only the length, and there is no
/// `Display`.
///
/// ```
/// use mfa::OobKey;
///
/// let key = OobKey::generate()?;
/// // Store `key.expose_bytes()` in your secret configuration, then load it:
/// let loaded = OobKey::from_bytes(key.expose_bytes())?;
/// assert_eq!(format!("{loaded:?}"), "OobKey { len: 32, .. }");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct OobKey {
    bytes: Zeroizing<Vec<u8>>,
    /// The HMAC key schedule, computed once; zeroized on drop (see
    /// `crate::mac`).
    mac: Hmac<Sha256>,
}

impl OobKey {
    /// The shortest key: 128 bits (NIST SP 800-63B asks for at least 112).
    pub const MIN_LEN: usize = 16;
    /// The longest key: 512 bits, one SHA-256 block.
    pub const MAX_LEN: usize = 64;
    /// The length of [`generate`](Self::generate): 256 bits.
    pub const DEFAULT_LEN: usize = 32;

    /// A new 256-bit key from the operating system's random source.
    ///
    /// # Errors
    ///
    /// [`SecretError::RandomSource`] if the random source fails.
    ///
    /// ```
    /// assert_eq!(mfa::OobKey::generate()?.len(), 32);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn generate() -> Result<Self, SecretError> {
        let mut bytes = Zeroizing::new([0u8; Self::DEFAULT_LEN]);
        getrandom::fill(bytes.as_mut_slice()).map_err(|_| SecretError::RandomSource)?;
        Self::from_bytes(bytes.as_slice())
    }

    /// A key from its bytes, 16 to 64 of them.
    ///
    /// # Errors
    ///
    /// [`SecretError::TooShort`] or [`SecretError::TooLong`].
    ///
    /// ```
    /// assert!(mfa::OobKey::from_bytes(&[7; 32]).is_ok());
    /// assert!(mfa::OobKey::from_bytes(&[7; 15]).is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        let bits = bytes.len().saturating_mul(8);
        if bytes.len() < Self::MIN_LEN {
            return Err(SecretError::TooShort {
                bits,
                min_bits: Self::MIN_LEN.saturating_mul(8),
            });
        }
        if bytes.len() > Self::MAX_LEN {
            return Err(SecretError::TooLong {
                bits,
                max_bits: Self::MAX_LEN.saturating_mul(8),
            });
        }
        Ok(Self {
            bytes: Zeroizing::new(bytes.to_vec()),
            mac: key_schedule(bytes),
        })
    }

    /// The key bytes, for storing them in the service's secret
    /// configuration. Handle with care.
    ///
    /// ```
    /// let key = mfa::OobKey::from_bytes(&[7; 32])?;
    /// assert_eq!(key.expose_bytes(), &[7; 32]);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn expose_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Length in bytes.
    ///
    /// ```
    /// assert_eq!(mfa::OobKey::from_bytes(&[7; 16])?.len(), 16);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // a key is never empty
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// The keyed hash that is stored for a code: HMAC-SHA256 over a domain
    /// label, the channel, the destination, the number of digits, the time
    /// of issue and the code's digits, each of variable length prefixed by
    /// its length. Binding the destination means a code sent to one number
    /// cannot confirm another; binding the time of issue makes every
    /// issued code's hash distinct.
    pub(crate) fn code_hash(
        &self,
        destination: &Destination,
        issued_at: u64,
        code: &[u8],
    ) -> [u8; 32] {
        /// Separates these hashes from any other use of the key.
        const DOMAIN: &[u8] = b"mfa/oob-code/v1";
        let address = destination.as_str().as_bytes();
        let mut mac = self.mac.clone();
        mac.update(DOMAIN);
        mac.update(&[destination.channel().tag()]);
        mac.update(&len_prefix(address.len()));
        mac.update(address);
        mac.update(&issued_at.to_be_bytes());
        mac.update(&len_prefix(code.len()));
        mac.update(code);
        let mut out = Output::<Hmac<Sha256>>::default();
        mac.finalize_into(&mut out);
        let hash: [u8; 32] = out.into();
        hash
    }
}

impl OobKey {
    /// HMAC-SHA256 under this key over a domain label (each use its own)
    /// and `parts`, each prefixed by its length (the domain too, so that
    /// no domain and parts read as another domain's): the tag of a
    /// [`Verified`](crate::Verified) proof. The input starts with a zero
    /// byte (a length prefix), never with that of a code hash.
    pub(crate) fn tag(&self, domain: &[u8], parts: &[&[u8]]) -> [u8; 32] {
        let mut mac = self.mac.clone();
        mac.update(&len_prefix(domain.len()));
        mac.update(domain);
        for part in parts {
            mac.update(&len_prefix(part.len()));
            mac.update(part);
        }
        let mut out = Output::<Hmac<Sha256>>::default();
        mac.finalize_into(&mut out);
        out.into()
    }
}

impl OobKey {
    /// The mask a code in flight is stored under, beside its hash, so that
    /// a resend can send the same digits without storing them in clear:
    /// a keyed PRF of the code's hash, in a domain of its own. Without the
    /// key, the masked digits say nothing about the code.
    pub(crate) fn code_mask(&self, hash: &[u8; 32]) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.tag(b"mfa/oob-code-mask/v1", &[hash]))
    }
}

/// A length as 8 big-endian bytes.
fn len_prefix(len: usize) -> [u8; 8] {
    u64::try_from(len).unwrap_or(u64::MAX).to_be_bytes()
}

impl fmt::Debug for OobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OobKey")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// Both fields clear themselves on drop: a [`Zeroizing`] buffer and the
/// HMAC state (see `crate::mac`).
impl ZeroizeOnDrop for OobKey {}
