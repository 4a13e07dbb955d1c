//! Sealing: authenticated encryption of secrets at rest and of session
//! state kept by the client (feature `seal`).
//!
//! A [`Keyring`] seals with XChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`; draft-irtf-cfrg-xchacha) under its current
//! [`SealingKey`] and opens values sealed under any of its keys, chosen by
//! the key id in the sealed value, so keys rotate without a flag day. The
//! house models are Authelia's storage `encryption_key` and the `cookie`
//! crate's `PrivateJar`.
//!
//! # Format (version 1)
//!
//! | bytes | field |
//! |---|---|
//! | 1 | format version, `1` |
//! | 4 | key id, big-endian |
//! | 24 | nonce, random for every seal |
//! | n | ciphertext, as long as the plaintext |
//! | 16 | Poly1305 tag |
//!
//! The associated data is `"mfa-seal"`, the version byte, the key id, the
//! length of the context as 8 bytes big-endian, then the context. Editing
//! the header, the context or any byte of the value makes opening fail.
//! The text form is the same bytes in unpadded Base64url (RFC 4648 §5),
//! safe in a cookie value, a URL or a text column.

mod error;
#[cfg(test)]
mod tests;

use alloc::boxed::Box;
use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use base64ct::{Base64, Base64UrlUnpadded, Encoding};
use chacha20poly1305::aead::AeadInOut;
use chacha20poly1305::{Key, KeyInit, Tag, XChaCha20Poly1305, XNonce};
use zeroize::{ZeroizeOnDrop, Zeroizing};

pub use error::SealError;

/// The label that starts the associated data of every sealed value, so
/// that nothing sealed by `mfa` authenticates in another protocol that
/// happens to use the same key.
const DOMAIN: &[u8] = b"mfa-seal";
const ID_LEN: usize = 4;
const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;
/// Version, key id and nonce.
const HEADER_LEN: usize = 1 + ID_LEN + NONCE_LEN;
/// The unpadded Base64url characters that hold the version and key id
/// (5 bytes need 7 characters; 8 decode to exactly 6 bytes).
const TEXT_ID_PREFIX: usize = 8;
/// The associated data before the context: label, version, key id and the
/// context's length.
const AAD_FIXED_LEN: usize = DOMAIN.len() + 1 + ID_LEN + 8;

/// A 256-bit key that seals and opens values, with the id that sealed
/// values carry to name it.
///
/// - Make one with [`generate`](Self::generate) and keep
///   [`expose_base64`](Self::expose_base64) in your secret configuration
///   (not in the database whose rows it seals); load it back with
///   [`from_base64`](Self::from_base64) or [`from_bytes`](Self::from_bytes).
/// - The id is yours to choose: number keys 1, 2, 3 … as you rotate them.
///   It is public, written in clear in every sealed value.
/// - The bytes are zeroized on drop and live on the heap, so moving the key
///   leaves no copy behind; [`Debug`](fmt::Debug) prints only the id.
///
/// ```
/// use mfa::SealingKey;
///
/// let key = SealingKey::generate(1)?; // once, when you set up the service
/// let text = key.expose_base64(); // store this in your secret configuration
/// let again = SealingKey::from_base64(1, &text)?; // at each start
/// assert_eq!(again.expose_bytes(), key.expose_bytes());
/// assert_eq!(format!("{key:?}"), "SealingKey { id: 1, .. }");
/// # Ok::<(), mfa::Error>(())
/// ```
pub struct SealingKey {
    id: u32,
    bytes: Box<Zeroizing<[u8; SealingKey::LEN]>>,
}

impl SealingKey {
    /// Length of a key in bytes (256 bits).
    pub const LEN: usize = 32;

    /// Generates a key from the operating system's random source.
    ///
    /// # Errors
    ///
    /// [`SealError::RandomSource`] if the random source fails; a weak key
    /// is never returned.
    ///
    /// ```
    /// let key = mfa::SealingKey::generate(7)?;
    /// assert_eq!(key.id(), 7);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn generate(id: u32) -> Result<Self, SealError> {
        let mut bytes = Box::new(Zeroizing::new([0u8; Self::LEN]));
        getrandom::fill(&mut bytes[..]).map_err(|_| SealError::RandomSource)?;
        Ok(Self { id, bytes })
    }

    /// Takes 32 bytes of key material, such as 32 bytes from a secrets
    /// manager.
    ///
    /// # Errors
    ///
    /// [`SealError::KeyLength`] unless `bytes` is exactly 32 bytes long.
    ///
    /// ```
    /// use mfa::{SealError, SealingKey};
    ///
    /// let material = [0x42; 32]; // from your secrets manager, not a constant
    /// let key = SealingKey::from_bytes(1, &material)?;
    /// assert_eq!(key.expose_bytes(), &material);
    /// assert_eq!(SealingKey::from_bytes(1, &[0; 16]).err(), Some(SealError::KeyLength { len: 16 }));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn from_bytes(id: u32, bytes: &[u8]) -> Result<Self, SealError> {
        if bytes.len() != Self::LEN {
            return Err(SealError::KeyLength { len: bytes.len() });
        }
        let mut key = Box::new(Zeroizing::new([0u8; Self::LEN]));
        for (to, from) in key.iter_mut().zip(bytes) {
            *to = *from;
        }
        Ok(Self { id, bytes: key })
    }

    /// Takes a key as standard, padded Base64 (RFC 4648 §4), 44 characters,
    /// as [`expose_base64`](Self::expose_base64) writes it and
    /// `openssl rand -base64 32` prints it. Spaces and line breaks around it
    /// (from a file or an environment variable) are ignored.
    ///
    /// # Errors
    ///
    /// [`SealError::KeyEncoding`] if the text is not Base64,
    /// [`SealError::KeyLength`] if it does not hold 32 bytes.
    ///
    /// ```
    /// use mfa::{SealError, SealingKey};
    ///
    /// // From your secret configuration, e.g. `openssl rand -base64 32`.
    /// let text = "q83vEjRWeJCrze8SNFZ4kKvN7xI0VniQq83vEjRWeJA=\n";
    /// let key = SealingKey::from_base64(3, text)?;
    /// assert_eq!(key.id(), 3);
    /// assert_eq!(SealingKey::from_base64(3, "not base64!").err(), Some(SealError::KeyEncoding));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn from_base64(id: u32, text: &str) -> Result<Self, SealError> {
        let bytes = Base64::decode_vec(text.trim_ascii())
            .map(Zeroizing::new)
            .map_err(|_| SealError::KeyEncoding)?;
        Self::from_bytes(id, &bytes)
    }

    /// The id that values sealed under this key carry.
    ///
    /// ```
    /// assert_eq!(mfa::SealingKey::generate(2)?.id(), 2);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn id(&self) -> u32 {
        self.id
    }

    /// The key bytes, to store the key. Anyone who has them can open
    /// everything sealed under this key.
    ///
    /// ```
    /// let key = mfa::SealingKey::generate(1)?;
    /// assert_eq!(key.expose_bytes().len(), mfa::SealingKey::LEN);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn expose_bytes(&self) -> &[u8; Self::LEN] {
        &self.bytes
    }

    /// The key as standard, padded Base64 (44 characters), to store it in
    /// your secret configuration; zeroized on drop. Read it back with
    /// [`from_base64`](Self::from_base64).
    ///
    /// ```
    /// let key = mfa::SealingKey::generate(1)?;
    /// assert_eq!(key.expose_base64().len(), 44);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn expose_base64(&self) -> Zeroizing<String> {
        Zeroizing::new(Base64::encode_string(&self.bytes[..]))
    }

    /// The AEAD instance; it holds its own copy of the key and zeroizes it
    /// on drop (`chacha20poly1305`'s `zeroize` feature).
    fn cipher(&self) -> XChaCha20Poly1305 {
        let key: &Key = (&**self.bytes).into();
        XChaCha20Poly1305::new(key)
    }
}

/// Copies the key straight into a new heap buffer, never through the stack.
impl Clone for SealingKey {
    fn clone(&self) -> Self {
        let mut bytes = Box::new(Zeroizing::new([0u8; Self::LEN]));
        bytes.copy_from_slice(&self.bytes[..]);
        Self { id: self.id, bytes }
    }
}

impl fmt::Debug for SealingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SealingKey")
            .field("id", &self.id)
            .finish_non_exhaustive()
    }
}

impl ZeroizeOnDrop for SealingKey {}

/// The keys of a service: one current key that seals every new value, and
/// older keys that still open what they sealed.
///
/// `context` is associated data: authenticated, not encrypted, not stored
/// in the sealed value, and required to open it. Pass what the value
/// belongs to, so that it cannot be moved:
///
/// - a record at rest: the table and the row id, e.g. `b"totp_factor/42"`,
///   so a sealed secret copied into another row does not open there;
/// - session state in a cookie: a purpose and the session id, e.g.
///   `b"mfa/session/enrollment/"` followed by the session id, so the
///   state of one flow or one session is refused in another.
///
/// Rotation: add the new key everywhere as an old key first
/// ([`with_old_key`](Self::with_old_key)), so that every instance opens
/// what it will seal; then make it the current key, keeping the old one.
/// Each value opened under an old key is not [`is_current`](Self::is_current):
/// seal it again on its next write (or in a background pass). Drop the old
/// key once nothing sealed under it is left (for cookies: after their
/// longest lifetime).
///
/// Sealing hides and authenticates; it does not make a value fresh. A
/// client can send back any cookie it was ever given: keep failure counts
/// and anything else that must only grow in the account record, and put an
/// expiry in what you seal.
///
/// ```
/// use mfa::{Keyring, SealingKey};
///
/// let old = SealingKey::generate(1)?; // both from your secret configuration
/// let new = SealingKey::generate(2)?;
/// let sealed_long_ago = Keyring::new(old.clone()).seal(b"totp_factor/42", b"key bytes")?;
///
/// let keys = Keyring::new(new).with_old_key(old)?;
/// let secret = keys.open(b"totp_factor/42", &sealed_long_ago)?; // still opens
/// assert_eq!(secret.as_slice(), b"key bytes");
/// assert!(!keys.is_current(&sealed_long_ago)); // so seal it again on the next write
/// let resealed = keys.seal(b"totp_factor/42", &secret)?;
/// assert!(keys.is_current(&resealed));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct Keyring {
    current: SealingKey,
    old: Vec<SealingKey>,
}

impl Keyring {
    /// The format version this build writes and reads.
    pub const VERSION: u8 = 1;
    /// Bytes a sealed value has beyond its plaintext: version (1), key id
    /// (4), nonce (24) and tag (16).
    pub const OVERHEAD: usize = HEADER_LEN + TAG_LEN;

    /// A key ring with one key, which seals and opens.
    ///
    /// ```
    /// let keys = mfa::Keyring::new(mfa::SealingKey::generate(1)?);
    /// assert_eq!(keys.current_id(), 1);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn new(current: SealingKey) -> Self {
        Self {
            current,
            old: Vec::new(),
        }
    }

    /// Adds a key that opens what it sealed but seals nothing new.
    ///
    /// # Errors
    ///
    /// [`SealError::DuplicateKeyId`] if a key with the same id is already in
    /// the ring.
    ///
    /// ```
    /// use mfa::{Keyring, SealError, SealingKey};
    ///
    /// let keys = Keyring::new(SealingKey::generate(2)?).with_old_key(SealingKey::generate(1)?)?;
    /// assert_eq!(
    ///     keys.with_old_key(SealingKey::generate(2)?).err(),
    ///     Some(SealError::DuplicateKeyId { id: 2 })
    /// );
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn with_old_key(mut self, key: SealingKey) -> Result<Self, SealError> {
        if self.key(key.id).is_some() {
            return Err(SealError::DuplicateKeyId { id: key.id });
        }
        self.old.push(key);
        Ok(self)
    }

    /// The id of the key that seals new values.
    ///
    /// ```
    /// let keys = mfa::Keyring::new(mfa::SealingKey::generate(5)?);
    /// assert_eq!(keys.current_id(), 5);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn current_id(&self) -> u32 {
        self.current.id
    }

    /// Seals `plaintext` under the current key, bound to `context` (see the
    /// [type docs](Self)), with a fresh random nonce: sealing the same
    /// plaintext twice gives two different values. The result is
    /// [`OVERHEAD`](Self::OVERHEAD) bytes longer than the plaintext.
    ///
    /// # Errors
    ///
    /// [`SealError::RandomSource`] if no nonce could be drawn,
    /// [`SealError::TooLong`] beyond 256 GiB.
    ///
    /// ```
    /// let keys = mfa::Keyring::new(mfa::SealingKey::generate(1)?);
    /// let record_id = 42_u64; // the row the value is stored in
    /// let context = format!("totp_factor/{record_id}");
    /// let sealed = keys.seal(context.as_bytes(), b"secret bytes")?; // store this
    /// assert_eq!(sealed.len(), 12 + mfa::Keyring::OVERHEAD);
    /// assert_eq!(keys.open(context.as_bytes(), &sealed)?.as_slice(), b"secret bytes");
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn seal(&self, context: &[u8], plaintext: &[u8]) -> Result<Vec<u8>, SealError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| SealError::RandomSource)?;
        self.seal_with_nonce(&nonce, context, plaintext)
    }

    /// [`seal`](Self::seal), as unpadded Base64url text, for a cookie value
    /// or a text column.
    ///
    /// # Errors
    ///
    /// As [`seal`](Self::seal).
    ///
    /// ```
    /// let keys = mfa::Keyring::new(mfa::SealingKey::generate(1)?);
    /// let session_id = "q3J8…"; // your session id
    /// let context = format!("mfa/session/enrollment/{session_id}");
    /// let cookie = keys.seal_to_string(context.as_bytes(), br#"{"state":"..."}"#)?;
    /// assert!(cookie.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    /// assert_eq!(keys.open_str(context.as_bytes(), &cookie)?.as_slice(), br#"{"state":"..."}"#);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn seal_to_string(&self, context: &[u8], plaintext: &[u8]) -> Result<String, SealError> {
        self.seal(context, plaintext)
            .map(|sealed| Base64UrlUnpadded::encode_string(&sealed))
    }

    /// Opens a value sealed under any key of the ring with the same
    /// `context`. The plaintext is zeroized on drop.
    ///
    /// # Errors
    ///
    /// Checked in this order, each saying what is wrong and nothing of the
    /// plaintext: [`SealError::Truncated`] (empty input),
    /// [`SealError::UnknownVersion`], [`SealError::Truncated`] (shorter
    /// than [`OVERHEAD`](Self::OVERHEAD)), [`SealError::UnknownKey`], then
    /// [`SealError::NotAuthentic`] for anything else: an edited value or
    /// header, another context, or another key under the same id.
    ///
    /// ```
    /// use mfa::{Keyring, SealError, SealingKey};
    ///
    /// let keys = Keyring::new(SealingKey::generate(1)?);
    /// let mut sealed = keys.seal(b"totp_factor/42", b"secret bytes")?; // as stored
    /// assert_eq!(keys.open(b"totp_factor/42", &sealed)?.as_slice(), b"secret bytes");
    /// assert_eq!(keys.open(b"totp_factor/7", &sealed), Err(SealError::NotAuthentic));
    /// sealed[30] ^= 1;
    /// assert_eq!(keys.open(b"totp_factor/42", &sealed), Err(SealError::NotAuthentic));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let parts = Parts::parse(sealed)?;
        let key = self
            .key(parts.key_id)
            .ok_or(SealError::UnknownKey { id: parts.key_id })?;
        let aad = associated_data(parts.version, parts.key_id, context);
        let mut plaintext = Zeroizing::new(parts.ciphertext.to_vec());
        key.cipher()
            .decrypt_inout_detached(
                &XNonce::from(*parts.nonce),
                &aad,
                plaintext.as_mut_slice().into(),
                &Tag::from(*parts.tag),
            )
            .map_err(|_| SealError::NotAuthentic)?;
        Ok(plaintext)
    }

    /// [`open`](Self::open) for the text form of
    /// [`seal_to_string`](Self::seal_to_string).
    ///
    /// # Errors
    ///
    /// [`SealError::Encoding`] if the text is not unpadded Base64url, then
    /// as [`open`](Self::open).
    ///
    /// ```
    /// use mfa::{Keyring, SealError, SealingKey};
    ///
    /// let keys = Keyring::new(SealingKey::generate(1)?);
    /// let cookie = keys.seal_to_string(b"mfa/session/verify/s1", b"state")?; // from the request
    /// assert_eq!(keys.open_str(b"mfa/session/verify/s1", &cookie)?.as_slice(), b"state");
    /// assert_eq!(keys.open_str(b"mfa/session/verify/s1", "not base64!"), Err(SealError::Encoding));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn open_str(&self, context: &[u8], sealed: &str) -> Result<Zeroizing<Vec<u8>>, SealError> {
        let bytes = Base64UrlUnpadded::decode_vec(sealed).map_err(|_| SealError::Encoding)?;
        self.open(context, &bytes)
    }

    /// Whether `sealed` is in the current format under the current key.
    /// When it is not, seal the plaintext again on the next write.
    ///
    /// This reads only the header and proves nothing: call it on a value
    /// that [`open`](Self::open) accepted.
    ///
    /// ```
    /// use mfa::{Keyring, SealingKey};
    ///
    /// let old = SealingKey::generate(1)?;
    /// let sealed = Keyring::new(old.clone()).seal(b"row 9", b"secret")?; // as stored
    /// let keys = Keyring::new(SealingKey::generate(2)?).with_old_key(old)?;
    /// assert!(!keys.is_current(&sealed));
    /// assert!(keys.is_current(&keys.seal(b"row 9", &keys.open(b"row 9", &sealed)?)?));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn is_current(&self, sealed: &[u8]) -> bool {
        match sealed.split_first() {
            Some((&version, rest)) => {
                version == Self::VERSION
                    && rest.first_chunk::<ID_LEN>() == Some(&self.current.id.to_be_bytes())
            }
            None => false,
        }
    }

    /// [`is_current`](Self::is_current) for the text form; it decodes only
    /// the first characters.
    ///
    /// ```
    /// let keys = mfa::Keyring::new(mfa::SealingKey::generate(1)?);
    /// let cookie = keys.seal_to_string(b"mfa/session/verify/s1", b"state")?; // from the request
    /// assert!(keys.is_current_str(&cookie));
    /// assert!(!keys.is_current_str("AQAA"));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn is_current_str(&self, sealed: &str) -> bool {
        let mut header = [0u8; 6];
        sealed
            .get(..TEXT_ID_PREFIX)
            .and_then(|prefix| Base64UrlUnpadded::decode(prefix, &mut header).ok())
            .is_some_and(|header| self.is_current(header))
    }

    /// The key of the ring with this id.
    fn key(&self, id: u32) -> Option<&SealingKey> {
        core::iter::once(&self.current)
            .chain(&self.old)
            .find(|key| key.id == id)
    }

    /// [`seal`](Self::seal) with a given nonce; the tests pin the format
    /// with it. Never reuse a nonce under one key.
    fn seal_with_nonce(
        &self,
        nonce: &[u8; NONCE_LEN],
        context: &[u8],
        plaintext: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        let key = &self.current;
        let aad = associated_data(Self::VERSION, key.id, context);
        // Encrypted in place: the copy of the plaintext becomes ciphertext.
        let mut body = Zeroizing::new(plaintext.to_vec());
        let tag = key
            .cipher()
            .encrypt_inout_detached(&XNonce::from(*nonce), &aad, body.as_mut_slice().into())
            .map_err(|_| SealError::TooLong)?;
        let mut sealed = Vec::with_capacity(body.len().saturating_add(Self::OVERHEAD));
        sealed.push(Self::VERSION);
        sealed.extend_from_slice(&key.id.to_be_bytes());
        sealed.extend_from_slice(nonce);
        sealed.extend_from_slice(&body);
        sealed.extend_from_slice(&tag);
        Ok(sealed)
    }
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        struct Ids<'a>(&'a [SealingKey]);
        impl fmt::Debug for Ids<'_> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_list()
                    .entries(self.0.iter().map(SealingKey::id))
                    .finish()
            }
        }
        f.debug_struct("Keyring")
            .field("current", &self.current.id)
            .field("old", &Ids(&self.old))
            .finish_non_exhaustive()
    }
}

/// The fields of a sealed value, borrowed from it.
struct Parts<'a> {
    version: u8,
    key_id: u32,
    nonce: &'a [u8; NONCE_LEN],
    ciphertext: &'a [u8],
    tag: &'a [u8; TAG_LEN],
}

impl<'a> Parts<'a> {
    /// Splits a sealed value; never panics.
    fn parse(sealed: &'a [u8]) -> Result<Self, SealError> {
        let truncated = SealError::Truncated {
            len: sealed.len(),
            min: Keyring::OVERHEAD,
        };
        let (&version, rest) = sealed.split_first().ok_or(truncated)?;
        if version != Keyring::VERSION {
            return Err(SealError::UnknownVersion { version });
        }
        let (key_id, rest) = rest.split_first_chunk::<ID_LEN>().ok_or(truncated)?;
        let (nonce, rest) = rest.split_first_chunk::<NONCE_LEN>().ok_or(truncated)?;
        let (ciphertext, tag) = rest.split_last_chunk::<TAG_LEN>().ok_or(truncated)?;
        Ok(Self {
            version,
            key_id: u32::from_be_bytes(*key_id),
            nonce,
            ciphertext,
            tag,
        })
    }
}

/// `"mfa-seal" || version || key id (4, BE) || len(context) (8, BE) || context`.
fn associated_data(version: u8, key_id: u32, context: &[u8]) -> Vec<u8> {
    let mut aad = Vec::with_capacity(context.len().saturating_add(AAD_FIXED_LEN));
    aad.extend_from_slice(DOMAIN);
    aad.push(version);
    aad.extend_from_slice(&key_id.to_be_bytes());
    // A slice is at most `isize::MAX` bytes, which always fits in a u64.
    let len = u64::try_from(context.len()).unwrap_or(u64::MAX);
    aad.extend_from_slice(&len.to_be_bytes());
    aad.extend_from_slice(context);
    aad
}
