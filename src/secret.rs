//! The shared key of an OTP authenticator.

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use subtle::ConstantTimeEq;
use zeroize::{ZeroizeOnDrop, Zeroizing};

use crate::algorithm::Algorithm;
use crate::base32;
use crate::error::SecretError;

/// The key shared by the service and the user's authenticator.
///
/// - The bytes are private and zeroized on drop; [`Debug`](fmt::Debug)
///   prints only the length, and there is no `Display`.
/// - Equality is constant-time.
/// - Getting the bytes or the Base32 text out (to store or to show once) is
///   an explicit call: [`expose_bytes`](Self::expose_bytes),
///   [`expose_base32`](Self::expose_base32).
/// - Length: at least [`MIN_LEN`](Self::MIN_LEN) (128 bits, RFC 4226 R6),
///   or [`LEGACY_MIN_LEN`](Self::LEGACY_MIN_LEN) (80 bits) through the
///   `*_legacy` constructors, for importing keys real issuers still hand
///   out; never shorter, never longer than [`MAX_LEN`](Self::MAX_LEN).
///
/// ```
/// use mfa::Secret;
///
/// let secret = Secret::from_base32("jbsw y3dp ehpk 3pxp jbsw y3dp ehpk 3pxp")?;
/// assert_eq!(secret.len(), 20);
/// assert_eq!(secret.expose_base32().as_str(), "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP");
/// assert_eq!(format!("{secret:?}"), "Secret { len: 20, .. }");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct Secret {
    bytes: Zeroizing<Vec<u8>>,
}

impl Secret {
    /// Minimum length in bytes: 128 bits (RFC 4226 §4, requirement R6).
    pub const MIN_LEN: usize = 16;
    /// Minimum length in bytes through the `*_legacy` constructors: 80 bits,
    /// the length some issuers still use.
    pub const LEGACY_MIN_LEN: usize = 10;
    /// Maximum length in bytes (1024 bits, one SHA-512 block).
    pub const MAX_LEN: usize = 128;
    /// Length of [`Secret::generate`]: 160 bits (RFC 4226 §4 recommends it).
    pub const DEFAULT_LEN: usize = 20;

    /// Generates a 160-bit secret from the operating system's random source.
    ///
    /// # Errors
    ///
    /// [`SecretError::RandomSource`] if the random source fails; a weak
    /// secret is never returned.
    ///
    /// ```
    /// let secret = mfa::Secret::generate()?;
    /// assert_eq!(secret.len(), 20);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn generate() -> Result<Self, SecretError> {
        Self::generate_len(Self::DEFAULT_LEN)
    }

    /// Generates a secret as long as the hash output of `algorithm`
    /// (20, 32 or 64 bytes), as RFC 6238 Appendix A does.
    ///
    /// # Errors
    ///
    /// [`SecretError::RandomSource`] if the random source fails.
    ///
    /// ```
    /// use mfa::{Algorithm, Secret};
    ///
    /// assert_eq!(Secret::generate_for(Algorithm::Sha512)?.len(), 64);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn generate_for(algorithm: Algorithm) -> Result<Self, SecretError> {
        Self::generate_len(algorithm.output_len())
    }

    fn generate_len(len: usize) -> Result<Self, SecretError> {
        let mut bytes = Zeroizing::new(alloc::vec![0u8; len]);
        getrandom::fill(&mut bytes).map_err(|_| SecretError::RandomSource)?;
        Ok(Self { bytes })
    }

    /// Takes raw key bytes of at least 128 bits.
    ///
    /// # Errors
    ///
    /// [`SecretError::TooShort`] or [`SecretError::TooLong`].
    ///
    /// ```
    /// let secret = mfa::Secret::from_bytes(b"12345678901234567890")?;
    /// assert_eq!(secret.bits(), 160);
    /// assert!(mfa::Secret::from_bytes(b"too short").is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, SecretError> {
        Self::checked(Zeroizing::new(bytes.to_vec()), Self::MIN_LEN)
    }

    /// Takes raw key bytes of at least 80 bits, for importing existing keys
    /// that are shorter than RFC 4226 allows. Check
    /// [`is_short`](Self::is_short) and plan to replace such keys.
    ///
    /// # Errors
    ///
    /// [`SecretError::TooShort`] below 80 bits, [`SecretError::TooLong`].
    ///
    /// ```
    /// let secret = mfa::Secret::from_bytes_legacy(b"0123456789")?;
    /// assert!(secret.is_short());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn from_bytes_legacy(bytes: &[u8]) -> Result<Self, SecretError> {
        Self::checked(Zeroizing::new(bytes.to_vec()), Self::LEGACY_MIN_LEN)
    }

    /// Parses a Base32 secret of at least 128 bits, leniently, as
    /// authenticator apps do: any case, spaces and hyphens anywhere, with or
    /// without `=` padding.
    ///
    /// # Errors
    ///
    /// A [`SecretError`] that says what is wrong, such as which character at
    /// which position is not Base32.
    ///
    /// ```
    /// let a = mfa::Secret::from_base32("GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")?;
    /// let b = mfa::Secret::from_base32("gezd-gnbv-gy3t-qojq-gezd-gnbv-gy3t-qojq")?;
    /// assert_eq!(a, b);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn from_base32(text: &str) -> Result<Self, SecretError> {
        Self::checked(base32::decode(text, Self::MAX_LEN)?, Self::MIN_LEN)
    }

    /// Parses a Base32 secret of at least 80 bits, for importing existing
    /// keys shorter than RFC 4226 allows (some issuers still hand out 80-bit
    /// secrets). Check [`is_short`](Self::is_short).
    ///
    /// # Errors
    ///
    /// As [`from_base32`](Self::from_base32), with an 80-bit minimum.
    ///
    /// ```
    /// let secret = mfa::Secret::from_base32_legacy("JBSWY3DPEHPK3PXP")?;
    /// assert_eq!(secret.bits(), 80);
    /// assert!(secret.is_short());
    /// assert!(mfa::Secret::from_base32("JBSWY3DPEHPK3PXP").is_err());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn from_base32_legacy(text: &str) -> Result<Self, SecretError> {
        Self::checked(base32::decode(text, Self::MAX_LEN)?, Self::LEGACY_MIN_LEN)
    }

    fn checked(bytes: Zeroizing<Vec<u8>>, min_len: usize) -> Result<Self, SecretError> {
        let bits = bytes.len().saturating_mul(8);
        if bytes.len() < min_len {
            return Err(SecretError::TooShort {
                bits,
                min_bits: min_len.saturating_mul(8),
            });
        }
        if bytes.len() > Self::MAX_LEN {
            return Err(SecretError::TooLong {
                bits,
                max_bits: Self::MAX_LEN.saturating_mul(8),
            });
        }
        Ok(Self { bytes })
    }

    /// The key bytes, for storing them. Handle with care.
    ///
    /// ```
    /// let secret = mfa::Secret::from_bytes(b"12345678901234567890")?;
    /// assert_eq!(secret.expose_bytes(), b"12345678901234567890");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn expose_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The key as upper-case Base32 without padding, the form authenticator
    /// apps and `otpauth://` URIs use; zeroized when dropped.
    ///
    /// ```
    /// let secret = mfa::Secret::from_bytes(b"12345678901234567890")?;
    /// assert_eq!(secret.expose_base32().as_str(), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn expose_base32(&self) -> Zeroizing<String> {
        base32::encode(&self.bytes)
    }

    /// Length in bytes.
    ///
    /// ```
    /// assert_eq!(mfa::Secret::generate()?.len(), 20);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    #[allow(clippy::len_without_is_empty)] // a secret is never empty
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Length in bits.
    ///
    /// ```
    /// assert_eq!(mfa::Secret::generate()?.bits(), 160);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn bits(&self) -> usize {
        self.bytes.len().saturating_mul(8)
    }

    /// Whether the secret is shorter than 128 bits, which only the `*_legacy`
    /// constructors allow.
    ///
    /// ```
    /// assert!(!mfa::Secret::generate()?.is_short());
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn is_short(&self) -> bool {
        self.bytes.len() < Self::MIN_LEN
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Secret")
            .field("len", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

impl ConstantTimeEq for Secret {
    fn ct_eq(&self, other: &Self) -> subtle::Choice {
        // Lengths are public; `ct_eq` on slices of different lengths is 0.
        self.bytes.as_slice().ct_eq(other.bytes.as_slice())
    }
}

/// Constant-time: compares every byte whatever the first difference.
impl PartialEq for Secret {
    fn eq(&self, other: &Self) -> bool {
        self.ct_eq(other).into()
    }
}

impl Eq for Secret {}

/// The only field is a [`Zeroizing`] buffer, which clears its whole
/// allocation on drop.
impl ZeroizeOnDrop for Secret {}

/// Serializes as the text of [`expose_base32`](Secret::expose_base32)
/// (upper case, no padding), a temporary that is zeroized. Where the
/// serializer puts it is yours to protect: encrypt stored records.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl serde::Serialize for Secret {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.expose_base32())
    }
}

/// Deserializes Base32 text through
/// [`from_base32_legacy`](Secret::from_base32_legacy), so that every secret
/// this type can hold reads back, 80-bit imported keys included
/// ([`is_short`](Secret::is_short) still tells them apart). This is for
/// reading back what was stored; to take a secret from a user, call
/// [`from_base32`](Secret::from_base32). An owned string handed over by the
/// format is zeroized after decoding; the decoded bytes always are.
#[cfg(feature = "serde")]
#[cfg_attr(docsrs, doc(cfg(feature = "serde")))]
impl<'de> serde::Deserialize<'de> for Secret {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_str(Base32Visitor)
    }
}

#[cfg(feature = "serde")]
struct Base32Visitor;

#[cfg(feature = "serde")]
impl serde::de::Visitor<'_> for Base32Visitor {
    type Value = Secret;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Base32 secret")
    }

    fn visit_str<E: serde::de::Error>(self, text: &str) -> Result<Secret, E> {
        Secret::from_base32_legacy(text).map_err(E::custom)
    }

    fn visit_string<E: serde::de::Error>(self, text: String) -> Result<Secret, E> {
        let text = Zeroizing::new(text);
        self.visit_str(&text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A stored secret that is not a string is refused, saying what was
    /// expected.
    #[cfg(feature = "serde")]
    #[test]
    fn deserialize_expects_a_base32_string() {
        let error = serde_json::from_str::<Secret>("42").map(|s| s.len());
        assert_eq!(
            error.map_err(|e| alloc::string::ToString::to_string(&e)),
            Err("invalid type: integer `42`, expected a Base32 secret at line 1 column 2".into())
        );
    }

    #[test]
    fn short_is_below_128_bits() {
        for (len, short) in [(10, true), (15, true), (16, false), (17, false)] {
            let secret = Secret::from_bytes_legacy(&[7; 17][..len]);
            assert_eq!(secret.map(|s| s.is_short()), Ok(short), "{len} bytes");
        }
    }

    #[test]
    fn length_boundaries() {
        assert!(Secret::from_bytes(&[7; 16]).is_ok());
        assert_eq!(
            Secret::from_bytes(&[7; 15]),
            Err(SecretError::TooShort {
                bits: 120,
                min_bits: 128
            })
        );
        assert!(Secret::from_bytes_legacy(&[7; 10]).is_ok());
        assert_eq!(
            Secret::from_bytes_legacy(&[7; 9]),
            Err(SecretError::TooShort {
                bits: 72,
                min_bits: 80
            })
        );
        assert!(Secret::from_bytes(&[7; 128]).is_ok());
        assert_eq!(
            Secret::from_bytes(&[7; 129]),
            Err(SecretError::TooLong {
                bits: 1032,
                max_bits: 1024
            })
        );
        // 26 symbols = 16 bytes; 24 symbols = 15 bytes.
        assert!(Secret::from_base32(&"A".repeat(26)).is_ok());
        assert_eq!(
            Secret::from_base32(&"A".repeat(24)),
            Err(SecretError::TooShort {
                bits: 120,
                min_bits: 128
            })
        );
        assert_eq!(
            Secret::from_base32_legacy(&"A".repeat(16)).map(|s| s.bits()),
            Ok(80)
        );
        assert!(Secret::from_base32_legacy(&"A".repeat(15)).is_err());
    }

    #[test]
    fn generated_secrets_differ_and_have_the_right_length() {
        let a = Secret::generate().expect("random source");
        let b = Secret::generate().expect("random source");
        assert_ne!(a, b);
        assert_eq!(
            Secret::generate_for(Algorithm::Sha1).map(|s| s.len()),
            Ok(20)
        );
        assert_eq!(
            Secret::generate_for(Algorithm::Sha256).map(|s| s.len()),
            Ok(32)
        );
        assert_eq!(
            Secret::generate_for(Algorithm::Sha512).map(|s| s.len()),
            Ok(64)
        );
    }

    #[test]
    fn debug_shows_no_byte() {
        let secret = Secret::from_bytes(b"12345678901234567890").expect("valid");
        let debug = alloc::format!("{secret:?} {secret:#?}");
        assert!(!debug.contains("49"), "{debug}"); // '1' as a number
        assert!(!debug.contains("GEZD"), "{debug}");
        assert!(!debug.contains("1234"), "{debug}");
        assert_eq!(alloc::format!("{secret:?}"), "Secret { len: 20, .. }");
    }

    #[test]
    fn secret_material_is_zeroized_on_drop() {
        fn zeroized_on_drop<T: ZeroizeOnDrop>() {}
        zeroized_on_drop::<Secret>();
        zeroized_on_drop::<Zeroizing<Vec<u8>>>();
    }
}
