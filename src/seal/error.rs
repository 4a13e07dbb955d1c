//! [`SealError`]: why a key could not be made or a value sealed or opened.

use core::fmt;

/// Why a sealing key could not be made, or a value could not be sealed or
/// opened.
///
/// Nothing in it comes from the plaintext: the variants that describe a
/// sealed value only repeat its public header (format version, key id) or
/// its length. A value that fails authentication says only that, whatever
/// the reason (an edited byte, the wrong context, another key with the
/// same id): an AEAD cannot tell these apart, and neither should a caller.
///
/// ```
/// use mfa::{Keyring, SealError, SealingKey};
///
/// let keys = Keyring::new(SealingKey::generate(1)?);
/// let sealed = keys.seal(b"factor 42", b"secret bytes")?;
/// assert_eq!(keys.open(b"factor 43", &sealed), Err(SealError::NotAuthentic));
/// assert_eq!(
///     SealError::NotAuthentic.to_string(),
///     "the sealed value is not authentic for this context: it was altered, \
///      sealed for another context, or sealed under another key with the same id"
/// );
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum SealError {
    /// Key material that is not [`SealingKey::LEN`](crate::SealingKey::LEN)
    /// (32) bytes long.
    KeyLength {
        /// The length given, in bytes.
        len: usize,
    },
    /// Key text that is not standard, padded Base64 (RFC 4648 §4), as
    /// `openssl rand -base64 32` prints it.
    KeyEncoding,
    /// Two keys of a [`Keyring`](crate::Keyring) with the same id: a sealed
    /// value names its key by id, so each key needs its own.
    DuplicateKeyId {
        /// The id given twice.
        id: u32,
    },
    /// The operating system's random source failed; nothing was made or
    /// sealed.
    RandomSource,
    /// A plaintext longer than XChaCha20-Poly1305 can seal (256 GiB).
    TooLong,
    /// Sealed text that is not unpadded Base64url (RFC 4648 §5), the form
    /// [`Keyring::seal_to_string`](crate::Keyring::seal_to_string) writes.
    Encoding,
    /// Fewer bytes than the shortest sealed value
    /// ([`Keyring::OVERHEAD`](crate::Keyring::OVERHEAD), a sealed empty
    /// plaintext).
    Truncated {
        /// The length of the input, in bytes.
        len: usize,
        /// The shortest sealed value, in bytes.
        min: usize,
    },
    /// A format version this build does not read (it reads
    /// [`Keyring::VERSION`](crate::Keyring::VERSION)); the value was not
    /// written by `mfa`, or by a newer one.
    UnknownVersion {
        /// The version byte found.
        version: u8,
    },
    /// The value names a key that is not in the key ring: a key retired
    /// too early, or a key ring that lacks a new key yet.
    UnknownKey {
        /// The key id found in the value.
        id: u32,
    },
    /// Authentication failed: the value, its header or the context differs
    /// from what was sealed, or the key with that id is not the one that
    /// sealed it. Nothing was decrypted.
    NotAuthentic,
}

impl fmt::Display for SealError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::KeyLength { len } => write!(
                f,
                "a sealing key is {} bytes; {len} were given",
                crate::SealingKey::LEN
            ),
            Self::KeyEncoding => f.write_str(
                "the sealing key is not padded standard Base64 (as `openssl rand -base64 32` prints)",
            ),
            Self::DuplicateKeyId { id } => write!(
                f,
                "key id {id} is already in the key ring; give each key its own id"
            ),
            Self::RandomSource => f.write_str("the operating system's random source failed"),
            Self::TooLong => f.write_str("the plaintext is too long to seal (256 GiB at most)"),
            Self::Encoding => f.write_str("the sealed text is not unpadded Base64url"),
            Self::Truncated { len, min } => write!(
                f,
                "the sealed value is {len} bytes long; a sealed value has at least {min}"
            ),
            Self::UnknownVersion { version } => write!(
                f,
                "the sealed value has format version {version}; this build reads version {}",
                crate::Keyring::VERSION
            ),
            Self::UnknownKey { id } => write!(
                f,
                "the value was sealed under key id {id}, which is not in the key ring"
            ),
            Self::NotAuthentic => f.write_str(
                "the sealed value is not authentic for this context: it was altered, \
                 sealed for another context, or sealed under another key with the same id",
            ),
        }
    }
}

impl core::error::Error for SealError {}
