//! Recovery codes: a set generated once and shown once, stored only as
//! salted PBKDF2 hashes, each usable once (NIST SP 800-63B look-up
//! secrets, OWASP MFA cheat sheet).

mod crockford;
mod pbkdf2;
mod policy;
#[cfg(test)]
mod tests;

use alloc::string::String;
use alloc::vec::Vec;
use core::fmt;

use subtle::{Choice, ConditionallySelectable, ConstantTimeEq};
use zeroize::{ZeroizeOnDrop, Zeroizing};

pub use policy::{RecoveryPolicy, RecoveryPolicyBuilder};

use super::attempt::Attempt;
use super::store::Versioned;
use super::throttle::{Refused, Throttle};
use crate::error::ParamError;

/// Bytes of the salt of a set: 128 bits (NIST SP 800-63B asks for at least
/// 32, NIST SP 800-132 for at least 128).
const SALT_LEN: usize = 16;

/// One recovery code, as shown to the user once: 16 symbols of
/// Crockford's Base32 in groups of four, such as `7KQ2-M9XD-4TBV-0HZC`.
///
/// The text is a credential: it is zeroized on drop, `Debug` hides it,
/// there is no `Display`, and getting it is an explicit call:
/// [`expose`](Self::expose).
///
/// ```
/// use mfa::{RecoveryCodes, RecoveryPolicy};
///
/// let (_, codes) = RecoveryCodes::generate(&RecoveryPolicy::default(), 1_700_000_000)?;
/// assert_eq!(codes.len(), 10);
/// let first = &codes[0];
/// assert_eq!(first.expose().len(), 19); // XXXX-XXXX-XXXX-XXXX
/// assert_eq!(format!("{first:?}"), "RecoveryCode(..)");
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone)]
pub struct RecoveryCode {
    text: Zeroizing<String>,
}

impl RecoveryCode {
    /// The code's text, to show the user once (to print or save). Handle
    /// with care: do not log it.
    ///
    /// ```
    /// let (_, codes) = mfa::RecoveryCodes::generate(&mfa::RecoveryPolicy::builder().count(2).build()?, 0)?;
    /// for code in &codes {
    ///     assert!(code.expose().split('-').all(|group| group.len() == 4));
    /// }
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn expose(&self) -> &str {
        &self.text
    }
}

impl fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryCode(..)")
    }
}

/// The only field is a [`Zeroizing`] string, which clears its buffer on
/// drop.
impl ZeroizeOnDrop for RecoveryCode {}

/// A stored code: its hash, and when it was used.
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
#[cfg_attr(feature = "serde", serde(deny_unknown_fields))]
struct StoredCode {
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    hash: [u8; 32],
    used_at: Option<u64>,
}

/// A set of recovery codes, as the host stores it: a salt, the PBKDF2 hash
/// of each code, which codes are used, and the failure count. Plain data;
/// the codes themselves are only ever in the [`RecoveryCode`]s handed out
/// at generation.
///
/// # Design
///
/// - **Entropy: 80 bits per code**, above the 64 bits NIST SP 800-63B asks
///   of saved recovery codes: 10 bytes from the OS random source, written
///   as 16 symbols of 5 bits.
/// - **Alphabet: Crockford's Base32** (`0-9`, `A-Z` without `I L O U`),
///   upper case, in groups of four (`7KQ2-M9XD-4TBV-0HZC`), easy to read
///   aloud and to type. Input is forgiving: any case, spaces and hyphens
///   (including Unicode dashes) anywhere, and the letters people confuse
///   with digits read as those digits (`O` as `0`, `I` and `L` as `1`),
///   so no code is ever refused for an `O` typed for a `0`.
/// - **Hashing: PBKDF2-HMAC-SHA256 with a salt, rather than 112-bit codes
///   and a fast hash.** NIST SP 800-63B allows either. Codes of 112 bits
///   would be 23 symbols long, half as long again, and recovery codes are
///   typed in a hurry, by someone who has just lost their phone. 80-bit
///   codes and the KDF meet the rule for secrets under 112 bits (a salted
///   password-hashing scheme, salt of at least 32 bits; here 128), and
///   brute force stays out of reach even for someone holding the hashes:
///   2^80 guesses, each 10,000 HMAC iterations by default.
/// - **One KDF run per attempt, whatever the number of codes.** The salt
///   is per set, not per code, so the typed code is hashed once and
///   compared with every unused hash, in constant time. Per-code salts
///   would cost one KDF run per remaining code on every attempt (10 times
///   the work, an easy denial of service), or a public per-code
///   identifier typed with the code. The price of one salt per set is that
///   an offline guess is tested against all codes of the set at once: with
///   10 codes, 2^80 / 10 ≈ 2^76.7 guesses, still far out of reach.
/// - Each code is usable once: a success records when it was used, and the
///   code is never accepted again. [`regenerate`](Self::regenerate)
///   replaces the whole set (with a new salt), so every old code stops
///   working. The failure count is kept across regeneration, as for
///   out-of-band codes.
/// - Failed attempts are throttled through [`Throttle`]. This is the last
///   way in for a user who lost their other factors, so its lockout is
///   lifted only by [`unlock`](Self::unlock) (an administrator) or a
///   success.
///
/// With the `serde` feature the record serializes as plain data (salt,
/// hashes, use times, throttle) and is validated when deserialized: 1 to 20
/// codes, an iteration count from 1,000 to 1,000,000.
///
/// ```
/// use mfa::{RecoveryCodes, RecoveryError, RecoveryPolicy};
///
/// let policy = RecoveryPolicy::default();
/// let now = 1_700_000_000;
/// let (record, codes) = RecoveryCodes::generate(&policy, now)?;
/// // Store `record`; show `codes` to the user once, then drop them.
/// let typed = codes[3].expose().to_lowercase().replace('-', " ");
///
/// let (record, outcome) = record.verify(&policy, &typed, now + 60).into_parts();
/// assert_eq!(outcome, Ok(()));
/// let record = record.ok_or(RecoveryError::Rejected)?;
/// assert_eq!(record.remaining(), 9);
///
/// // Each code works once.
/// let (_, again) = record.verify(&policy, &typed, now + 120).into_parts();
/// assert_eq!(again, Err(RecoveryError::Rejected));
/// # Ok::<(), mfa::Error>(())
/// ```
#[derive(Clone, PartialEq, Eq)]
#[cfg_attr(
    feature = "serde",
    derive(serde::Serialize, serde::Deserialize),
    serde(try_from = "RawRecoveryCodes")
)]
pub struct RecoveryCodes {
    version: u64,
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    salt: [u8; SALT_LEN],
    iterations: u32,
    generated_at: u64,
    codes: Vec<StoredCode>,
    throttle: Throttle,
}

impl RecoveryCodes {
    /// Generates a new set from the operating system's random source: the
    /// record to store (version 0), and the codes to show the user once.
    ///
    /// This runs PBKDF2 once per code (about 10 × the cost of a check).
    ///
    /// # Errors
    ///
    /// [`RecoveryError::Policy`], [`RecoveryError::RandomSource`].
    ///
    /// ```
    /// use mfa::{RecoveryCodes, RecoveryPolicy};
    ///
    /// let (record, codes) = RecoveryCodes::generate(&RecoveryPolicy::builder().count(3).build()?, 0)?;
    /// assert_eq!((record.remaining(), codes.len(), record.version()), (3, 3, 0));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn generate(
        policy: &RecoveryPolicy,
        now: u64,
    ) -> Result<(Self, Vec<RecoveryCode>), RecoveryError> {
        Self::generate_with(policy, now, getrandom::fill)
    }

    /// As [`generate`](Self::generate), with the randomness from `fill`,
    /// which must fill the buffer it is given with random bytes: a
    /// cryptographically secure generator in production, a fixed sequence
    /// in tests. A source that fails or repeats itself (two equal codes)
    /// gives [`RecoveryError::RandomSource`].
    ///
    /// # Errors
    ///
    /// As [`generate`](Self::generate).
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use mfa::{RecoveryCodes, RecoveryError, RecoveryPolicy};
    ///
    /// let mut counter = 0u8;
    /// let counting = |buf: &mut [u8]| -> Result<(), Infallible> {
    ///     counter += 1;
    ///     buf.fill(counter);
    ///     Ok(())
    /// };
    /// let (_, codes) = RecoveryCodes::generate_with(&RecoveryPolicy::builder().count(2).build()?, 0, counting)?;
    /// assert_eq!(codes[0].expose(), "0810-40G2-0810-40G2"); // ten bytes of 0x02
    ///
    /// let stuck = |buf: &mut [u8]| -> Result<(), Infallible> { buf.fill(9); Ok(()) };
    /// assert_eq!(
    ///     RecoveryCodes::generate_with(&RecoveryPolicy::default(), 0, stuck).err(),
    ///     Some(RecoveryError::RandomSource)
    /// );
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn generate_with<E>(
        policy: &RecoveryPolicy,
        now: u64,
        fill: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Result<(Self, Vec<RecoveryCode>), RecoveryError> {
        Self::build(policy, now, 0, Throttle::default(), fill)
    }

    /// Replaces the whole set with a new one, drawn from the operating
    /// system's random source: every old code stops working. The failure
    /// count is kept. The new record has the next version; the codes are
    /// to be shown once, after the record is written.
    ///
    /// # Errors
    ///
    /// In the outcome, with no new record: as [`generate`](Self::generate).
    ///
    /// ```
    /// use mfa::{RecoveryCodes, RecoveryError, RecoveryPolicy};
    ///
    /// let policy = RecoveryPolicy::builder().count(3).build()?;
    /// let (old, old_codes) = RecoveryCodes::generate(&policy, 0)?;
    /// let (new, new_codes) = old.regenerate(&policy, 60).into_parts();
    /// let (new, new_codes) = (new.ok_or(RecoveryError::Rejected)?, new_codes?);
    /// assert_eq!((new.version(), new.remaining(), new_codes.len()), (1, 3, 3));
    ///
    /// let (_, outcome) = new.verify(&policy, old_codes[0].expose(), 120).into_parts();
    /// assert_eq!(outcome, Err(RecoveryError::Rejected));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn regenerate(
        &self,
        policy: &RecoveryPolicy,
        now: u64,
    ) -> Attempt<Self, Vec<RecoveryCode>, RecoveryError> {
        self.regenerate_with(policy, now, getrandom::fill)
    }

    /// As [`regenerate`](Self::regenerate), with the randomness from
    /// `fill` (see [`generate_with`](Self::generate_with)).
    ///
    /// # Errors
    ///
    /// In the outcome, with no new record: as [`generate`](Self::generate).
    ///
    /// ```
    /// use core::convert::Infallible;
    /// use mfa::{RecoveryCodes, RecoveryPolicy};
    ///
    /// let mut counter = 0u8;
    /// let mut counting = |buf: &mut [u8]| -> Result<(), Infallible> {
    ///     counter = counter.wrapping_add(1);
    ///     buf.fill(counter);
    ///     Ok(())
    /// };
    /// let policy = RecoveryPolicy::builder().count(3).build()?;
    /// let (record, _) = RecoveryCodes::generate_with(&policy, 0, &mut counting)?;
    /// let (record, codes) = record.regenerate_with(&policy, 1, &mut counting).into_parts();
    /// assert_eq!(codes?.len(), 3);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn regenerate_with<E>(
        &self,
        policy: &RecoveryPolicy,
        now: u64,
        fill: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Attempt<Self, Vec<RecoveryCode>, RecoveryError> {
        match Self::build(
            policy,
            now,
            self.version.wrapping_add(1),
            self.throttle,
            fill,
        ) {
            Ok((record, codes)) => Attempt::new(Some(record), Ok(codes)),
            Err(e) => Attempt::new(None, Err(e)),
        }
    }

    fn build<E>(
        policy: &RecoveryPolicy,
        now: u64,
        version: u64,
        throttle: Throttle,
        mut fill: impl FnMut(&mut [u8]) -> Result<(), E>,
    ) -> Result<(Self, Vec<RecoveryCode>), RecoveryError> {
        let policy = policy.validated().map_err(RecoveryError::Policy)?;
        let mut salt = [0u8; SALT_LEN];
        fill(&mut salt).map_err(|_| RecoveryError::RandomSource)?;
        let count = usize::from(policy.count());
        let mut codes = Vec::with_capacity(count);
        let mut stored: Vec<StoredCode> = Vec::with_capacity(count);
        for _ in 0..count {
            let mut bytes = Zeroizing::new([0u8; crockford::CODE_BYTES]);
            fill(bytes.as_mut_slice()).map_err(|_| RecoveryError::RandomSource)?;
            let hash = pbkdf2::pbkdf2_sha256(bytes.as_slice(), &salt, policy.iterations());
            // Equal codes in one set only come from a broken source.
            if stored.iter().any(|code| code.hash == *hash) {
                return Err(RecoveryError::RandomSource);
            }
            stored.push(StoredCode {
                hash: *hash,
                used_at: None,
            });
            codes.push(RecoveryCode {
                text: crockford::encode(&bytes),
            });
        }
        let record = Self {
            version,
            salt,
            iterations: policy.iterations(),
            generated_at: now,
            codes: stored,
            throttle,
        };
        Ok((record, codes))
    }

    /// Checks what the user typed against every unused code of the set.
    ///
    /// Without evaluating the input, and with the record unchanged
    /// (`None`): the policy is checked; an attempt during backoff or
    /// lockout is [`RecoveryError::Refused`]; with every code used,
    /// [`RecoveryError::NoCodesLeft`].
    ///
    /// Otherwise the attempt counts. Input that is not 16 symbols of the
    /// alphabet ([`RecoveryError::InvalidCharacter`],
    /// [`RecoveryError::WrongLength`], no KDF run) and a wrong or used code
    /// ([`RecoveryError::Rejected`]) add one failure to the throttle. A
    /// right code is marked used (at `now`) and resets the throttle.
    ///
    /// The input is hashed once, then compared with every stored hash in
    /// constant time, used ones included (their result is masked), so the
    /// time taken does not depend on which code matched, or whether one
    /// did.
    ///
    /// # Errors
    ///
    /// In the outcome, as listed above.
    ///
    /// ```
    /// use mfa::{RecoveryCodes, RecoveryError, RecoveryPolicy};
    ///
    /// let policy = RecoveryPolicy::builder().count(1).build()?;
    /// let (record, codes) = RecoveryCodes::generate(&policy, 0)?;
    /// let (record, outcome) = record.verify(&policy, codes[0].expose(), 10).into_parts();
    /// assert_eq!(outcome, Ok(()));
    /// let record = record.ok_or(RecoveryError::Rejected)?;
    /// let (unchanged, outcome) = record.verify(&policy, codes[0].expose(), 20).into_parts();
    /// assert_eq!((unchanged, outcome), (None, Err(RecoveryError::NoCodesLeft)));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    pub fn verify(
        &self,
        policy: &RecoveryPolicy,
        input: &str,
        now: u64,
    ) -> Attempt<Self, (), RecoveryError> {
        let refuse = |e| Attempt::new(None, Err(e));
        let policy = match policy.validated() {
            Ok(policy) => policy,
            Err(e) => return refuse(RecoveryError::Policy(e)),
        };
        let throttle_policy = policy.throttle();
        if let Err(refused) = self.throttle.check(now) {
            return refuse(RecoveryError::Refused(refused));
        }
        if self.remaining() == 0 {
            return refuse(RecoveryError::NoCodesLeft);
        }

        let matched = crockford::decode(input).and_then(|bytes| {
            let hash = pbkdf2::pbkdf2_sha256(bytes.as_slice(), &self.salt, self.iterations);
            let mut found = Choice::from(0);
            let mut index = 0u64;
            for (i, code) in (0u64..).zip(self.codes.iter()) {
                let unused = Choice::from(u8::from(code.used_at.is_none()));
                let hit = hash.as_slice().ct_eq(&code.hash) & unused;
                index.conditional_assign(&i, hit);
                found |= hit;
            }
            if bool::from(found) {
                usize::try_from(index).map_err(|_| RecoveryError::Rejected)
            } else {
                Err(RecoveryError::Rejected)
            }
        });

        let mut record = self.clone();
        record.version = self.version.wrapping_add(1);
        let used = matched.ok().and_then(|index| record.codes.get_mut(index));
        let outcome = if let Some(code) = used {
            code.used_at = Some(now);
            record.throttle = self.throttle.after_success();
            Ok(())
        } else {
            record.throttle = self.throttle.after_failure(now, &throttle_policy);
            Err(matched.err().unwrap_or(RecoveryError::Rejected))
        };
        Attempt::new(Some(record), outcome)
    }

    /// The record with its failure count and backoff cleared, for an
    /// administrator who has verified the user another way. Write it with
    /// compare-and-set like any other change.
    ///
    /// ```
    /// let (record, _) = mfa::RecoveryCodes::generate(&mfa::RecoveryPolicy::builder().count(1).build()?, 0)?;
    /// let unlocked = record.unlock();
    /// assert_eq!((unlocked.version(), unlocked.throttle().failures()), (1, 0));
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use = "write the unlocked record with compare-and-set"]
    pub fn unlock(&self) -> Self {
        Self {
            version: self.version.wrapping_add(1),
            throttle: self.throttle.after_success(),
            ..self.clone()
        }
    }

    /// How many codes are still unused.
    ///
    /// ```
    /// let (record, _) = mfa::RecoveryCodes::generate(&mfa::RecoveryPolicy::builder().count(3).build()?, 0)?;
    /// assert_eq!(record.remaining(), 3);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn remaining(&self) -> usize {
        self.codes
            .iter()
            .filter(|code| code.used_at.is_none())
            .count()
    }

    /// How many codes the set had when it was generated.
    ///
    /// ```
    /// let (record, _) = mfa::RecoveryCodes::generate(&mfa::RecoveryPolicy::builder().count(2).build()?, 0)?;
    /// assert_eq!(record.total(), 2);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub fn total(&self) -> usize {
        self.codes.len()
    }

    /// When the set was generated (Unix seconds).
    ///
    /// ```
    /// let (record, _) = mfa::RecoveryCodes::generate(&mfa::RecoveryPolicy::builder().count(1).build()?, 42)?;
    /// assert_eq!(record.generated_at(), 42);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn generated_at(&self) -> u64 {
        self.generated_at
    }

    /// The PBKDF2 iteration count the set was hashed with.
    ///
    /// ```
    /// let (record, _) = mfa::RecoveryCodes::generate(&mfa::RecoveryPolicy::builder().count(1).build()?, 0)?;
    /// assert_eq!(record.iterations(), 10_000);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn iterations(&self) -> u32 {
        self.iterations
    }

    /// The failure count and when the next attempt is evaluated.
    ///
    /// ```
    /// let (record, _) = mfa::RecoveryCodes::generate(&mfa::RecoveryPolicy::builder().count(1).build()?, 0)?;
    /// assert_eq!(record.throttle().failures(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn throttle(&self) -> Throttle {
        self.throttle
    }

    /// The version: 0 for a new set, one more after each change.
    ///
    /// ```
    /// let (record, _) = mfa::RecoveryCodes::generate(&mfa::RecoveryPolicy::builder().count(1).build()?, 0)?;
    /// assert_eq!(record.version(), 0);
    /// # Ok::<(), mfa::Error>(())
    /// ```
    #[must_use]
    pub const fn version(&self) -> u64 {
        self.version
    }
}

impl Versioned for RecoveryCodes {
    fn version(&self) -> u64 {
        self.version
    }
}

/// Shows the counts and times, never a salt or a hash.
impl fmt::Debug for RecoveryCodes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RecoveryCodes")
            .field("version", &self.version)
            .field("remaining", &self.remaining())
            .field("total", &self.total())
            .field("generated_at", &self.generated_at)
            .field("iterations", &self.iterations)
            .field("throttle", &self.throttle)
            .finish_non_exhaustive()
    }
}

/// The serialized form, validated into [`RecoveryCodes`] on
/// deserialization.
#[cfg(feature = "serde")]
#[derive(serde::Deserialize)]
#[serde(rename = "RecoveryCodes", deny_unknown_fields)]
struct RawRecoveryCodes {
    version: u64,
    #[cfg_attr(feature = "serde", serde(with = "crate::b64"))]
    salt: [u8; SALT_LEN],
    iterations: u32,
    generated_at: u64,
    codes: Vec<StoredCode>,
    throttle: Throttle,
}

#[cfg(feature = "serde")]
impl TryFrom<RawRecoveryCodes> for RecoveryCodes {
    type Error = &'static str;

    fn try_from(raw: RawRecoveryCodes) -> Result<Self, Self::Error> {
        if !(RecoveryPolicy::MIN_ITERATIONS..=RecoveryPolicy::MAX_ITERATIONS)
            .contains(&raw.iterations)
        {
            return Err("recovery codes must be hashed with 1,000 to 1,000,000 iterations");
        }
        if raw.codes.is_empty() || raw.codes.len() > usize::from(RecoveryPolicy::MAX_COUNT) {
            return Err("a set holds 1 to 20 recovery codes");
        }
        Ok(Self {
            version: raw.version,
            salt: raw.salt,
            iterations: raw.iterations,
            generated_at: raw.generated_at,
            codes: raw.codes,
            throttle: raw.throttle,
        })
    }
}

/// Why recovery codes were not generated, or a code was not accepted.
///
/// [`Rejected`](Self::Rejected) covers a wrong code and a used one alike.
/// The input errors describe the user's own input, which is public.
///
/// ```
/// use mfa::RecoveryError;
///
/// assert_eq!(RecoveryError::Rejected.to_string(), "the recovery code was rejected");
/// assert_eq!(
///     RecoveryError::WrongLength { expected: 16, found: 15 }.to_string(),
///     "a recovery code has 16 letters and digits, not 15"
/// );
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum RecoveryError {
    /// The policy is out of range; see [`RecoveryPolicyBuilder::build`](crate::RecoveryPolicyBuilder::build).
    Policy(ParamError),
    /// Throttled: locked out, or too soon after a failure. Not evaluated.
    Refused(Refused),
    /// Every code of the set is used; generate a new set.
    NoCodesLeft,
    /// A character that is not in the alphabet, a space or a hyphen
    /// (counted as a failure). `position` counts characters from 1.
    InvalidCharacter {
        /// Position of the character, counting from 1.
        position: usize,
    },
    /// Too many or too few symbols (counted as a failure).
    WrongLength {
        /// The number of symbols a code has.
        expected: usize,
        /// The number found.
        found: usize,
    },
    /// The code was not accepted: wrong, or already used.
    Rejected,
    /// The random source failed; no codes were generated.
    RandomSource,
}

impl fmt::Display for RecoveryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::Policy(e) => e.fmt(f),
            Self::Refused(e) => e.fmt(f),
            Self::NoCodesLeft => {
                f.write_str("every recovery code has been used; generate a new set")
            }
            Self::InvalidCharacter { position } => write!(
                f,
                "character {position} is not part of a recovery code (letters and digits, groups separated by hyphens)"
            ),
            Self::WrongLength { expected, found } => write!(
                f,
                "a recovery code has {expected} letters and digits, not {found}"
            ),
            Self::Rejected => f.write_str("the recovery code was rejected"),
            Self::RandomSource => f.write_str("the operating system's random source failed"),
        }
    }
}

impl core::error::Error for RecoveryError {
    fn source(&self) -> Option<&(dyn core::error::Error + 'static)> {
        match self {
            Self::Policy(e) => Some(e),
            Self::Refused(e) => Some(e),
            _ => None,
        }
    }
}

impl From<Refused> for RecoveryError {
    fn from(e: Refused) -> Self {
        Self::Refused(e)
    }
}
