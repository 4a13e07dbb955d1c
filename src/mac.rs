//! The keyed HMAC state shared by HOTP and TOTP.
//!
//! The key schedule (the compressions of `K ^ ipad` and `K ^ opad`, RFC 2104)
//! runs once, in [`Keyed::new`], and only the two chaining states are kept.
//! Each code then costs exactly two calls of the hash's compression function
//! (RFC 4226 §5.3): one over the padded 8-byte counter from the inner state,
//! one over the padded inner digest from the outer state. Nothing else is
//! done per candidate: no buffering, no allocation. The states, blocks and
//! digests are zeroized: the keyed states on drop, the per-code temporaries
//! before returning.
//!
//! The construction is checked against the `hmac` crate on random keys and
//! counters (tests below) as well as against the RFC vectors.

use core::fmt;

use hmac::digest::KeyInit;
use sha1::Digest;
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::Zeroize;

use crate::algorithm::Algorithm;
use crate::code::Digits;
use crate::secret::Secret;

/// FIPS 180-4 §5.3.1: the SHA-1 initial hash value.
const SHA1_IV: [u32; 5] = [
    0x6745_2301,
    0xEFCD_AB89,
    0x98BA_DCFE,
    0x1032_5476,
    0xC3D2_E1F0,
];
/// FIPS 180-4 §5.3.3: the SHA-256 initial hash value.
const SHA256_IV: [u32; 8] = [
    0x6a09_e667,
    0xbb67_ae85,
    0x3c6e_f372,
    0xa54f_f53a,
    0x510e_527f,
    0x9b05_688c,
    0x1f83_d9ab,
    0x5be0_cd19,
];
/// FIPS 180-4 §5.3.5: the SHA-512 initial hash value.
const SHA512_IV: [u64; 8] = [
    0x6a09_e667_f3bc_c908,
    0xbb67_ae85_84ca_a73b,
    0x3c6e_f372_fe94_f82b,
    0xa54f_f53a_5f1d_36f1,
    0x510e_527f_ade6_82d1,
    0x9b05_688c_2b3e_6c1f,
    0x1f83_d9ab_fb41_bd6b,
    0x5be0_cd19_137e_2179,
];

/// The chaining states after compressing `K ^ ipad` and `K ^ opad`.
#[derive(Clone)]
pub(crate) enum Keyed {
    Sha1 { inner: [u32; 5], outer: [u32; 5] },
    Sha256 { inner: [u32; 8], outer: [u32; 8] },
    Sha512 { inner: [u64; 8], outer: [u64; 8] },
}

impl Drop for Keyed {
    fn drop(&mut self) {
        match self {
            Self::Sha1 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            Self::Sha256 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
            Self::Sha512 { inner, outer } => {
                inner.zeroize();
                outer.zeroize();
            }
        }
    }
}

impl zeroize::ZeroizeOnDrop for Keyed {}

/// Generates the key schedule and the per-code HMAC of one hash function.
macro_rules! hmac_fns {
    (
        $schedule:ident, $code:ident, $hash:ty, $compress:path,
        word = $word:ty, words = $words:literal, block = $block:literal,
        iv = $iv:expr, digest = $digest:literal
    ) => {
        /// HMAC key schedule (RFC 2104 §2): hash a key longer than a block,
        /// pad it with zeros, and compress `K ^ ipad` and `K ^ opad` once.
        fn $schedule(key: &[u8]) -> ([$word; $words], [$word; $words]) {
            let mut padded = [0u8; $block];
            if key.len() > $block {
                let mut hashed = <$hash>::digest(key);
                for (p, k) in padded.iter_mut().zip(hashed.iter()) {
                    *p = *k;
                }
                hashed.zeroize();
            } else {
                for (p, k) in padded.iter_mut().zip(key) {
                    *p = *k;
                }
            }
            let mut inner = $iv;
            let mut outer = $iv;
            let mut block = [0u8; $block];
            for (b, p) in block.iter_mut().zip(&padded) {
                *b = p ^ 0x36;
            }
            $compress(&mut inner, core::slice::from_ref(&block));
            for (b, p) in block.iter_mut().zip(&padded) {
                *b = p ^ 0x5c;
            }
            $compress(&mut outer, core::slice::from_ref(&block));
            block.zeroize();
            padded.zeroize();
            (inner, outer)
        }

        /// HMAC(K, counter) from the precomputed states: two compressions.
        /// Writes the digest to `out`.
        #[inline(always)]
        fn $code(
            inner: &[$word; $words],
            outer: &[$word; $words],
            counter: u64,
            out: &mut [u8; $digest],
        ) {
            // Inner: one block holding the counter, the 0x80 pad byte and the
            // message length in bits (the ipad block plus 8 bytes).
            let mut block = [0u8; $block];
            for (b, c) in block.iter_mut().zip(counter.to_be_bytes()) {
                *b = c;
            }
            let mut tail = block.iter_mut().skip(8);
            if let Some(b) = tail.next() {
                *b = 0x80;
            }
            let bits = (($block + 8) * 8) as u64;
            for (b, l) in block.iter_mut().rev().zip(bits.to_le_bytes()) {
                *b = l;
            }
            let mut state = *inner;
            $compress(&mut state, core::slice::from_ref(&block));
            // Outer: the inner digest, padded the same way.
            block = [0u8; $block];
            let words = state.iter().flat_map(|w| w.to_be_bytes());
            for (b, d) in block.iter_mut().zip(words.take($digest)) {
                *b = d;
            }
            if let Some(b) = block.iter_mut().nth($digest) {
                *b = 0x80;
            }
            let bits = (($block + $digest) * 8) as u64;
            for (b, l) in block.iter_mut().rev().zip(bits.to_le_bytes()) {
                *b = l;
            }
            state = *outer;
            $compress(&mut state, core::slice::from_ref(&block));
            for (o, d) in out
                .iter_mut()
                .zip(state.iter().flat_map(|w| w.to_be_bytes()))
            {
                *o = d;
            }
            block.zeroize();
            state.zeroize();
        }
    };
}

hmac_fns!(
    sha1_schedule,
    sha1_hmac,
    sha1::Sha1,
    sha1::block_api::compress,
    word = u32,
    words = 5,
    block = 64,
    iv = SHA1_IV,
    digest = 20
);
hmac_fns!(
    sha256_schedule,
    sha256_hmac,
    sha2::Sha256,
    sha2::block_api::compress256,
    word = u32,
    words = 8,
    block = 64,
    iv = SHA256_IV,
    digest = 32
);
hmac_fns!(
    sha512_schedule,
    sha512_hmac,
    sha2::Sha512,
    sha2::block_api::compress512,
    word = u64,
    words = 8,
    block = 128,
    iv = SHA512_IV,
    digest = 64
);

impl Keyed {
    pub(crate) fn new(secret: &Secret, algorithm: Algorithm) -> Self {
        let key = secret.expose_bytes();
        match algorithm {
            Algorithm::Sha1 => {
                let (inner, outer) = sha1_schedule(key);
                Self::Sha1 { inner, outer }
            }
            Algorithm::Sha256 => {
                let (inner, outer) = sha256_schedule(key);
                Self::Sha256 { inner, outer }
            }
            Algorithm::Sha512 => {
                let (inner, outer) = sha512_schedule(key);
                Self::Sha512 { inner, outer }
            }
        }
    }

    pub(crate) const fn algorithm(&self) -> Algorithm {
        match self {
            Self::Sha1 { .. } => Algorithm::Sha1,
            Self::Sha256 { .. } => Algorithm::Sha256,
            Self::Sha512 { .. } => Algorithm::Sha512,
        }
    }

    /// The code for `counter`: HMAC, dynamic truncation, reduction.
    #[inline]
    pub(crate) fn code(&self, counter: u64, digits: Digits) -> u32 {
        let value = match self {
            Self::Sha1 { inner, outer } => {
                let mut out = [0u8; 20];
                sha1_hmac(inner, outer, counter, &mut out);
                truncate_and_clear(&mut out)
            }
            Self::Sha256 { inner, outer } => {
                let mut out = [0u8; 32];
                sha256_hmac(inner, outer, counter, &mut out);
                truncate_and_clear(&mut out)
            }
            Self::Sha512 { inner, outer } => {
                let mut out = [0u8; 64];
                sha512_hmac(inner, outer, counter, &mut out);
                truncate_and_clear(&mut out)
            }
        };
        digits.reduce(value)
    }
}

fn truncate_and_clear(hmac: &mut [u8]) -> u32 {
    let value = dynamic_truncation(hmac);
    hmac.zeroize();
    value
}

/// Runs the `hmac` crate's key schedule, for the keyed hashes of other
/// modules (out-of-band codes, PBKDF2).
#[allow(clippy::expect_used)]
pub(crate) fn key_schedule<M: KeyInit>(key: &[u8]) -> M {
    // HMAC accepts keys of any length (RFC 2104 §2; `hmac` only ever returns
    // `Ok`), so this cannot fail.
    M::new_from_slice(key).expect("HMAC accepts keys of any length")
}

/// RFC 4226 §5.3: the low 4 bits of the last byte select 4 bytes, of which
/// the low 31 bits are the value. The selection scans all 16 possible
/// offsets with constant-time selects, so no memory access depends on the
/// secret offset.
fn dynamic_truncation(hmac: &[u8]) -> u32 {
    let offset = hmac.last().map_or(0, |b| b & 0x0f);
    let mut value = 0u32;
    for (i, window) in (0u8..16).zip(hmac.windows(4)) {
        let word = <[u8; 4]>::try_from(window).map_or(0, u32::from_be_bytes);
        value.conditional_assign(&word, i.ct_eq(&offset));
    }
    value & 0x7fff_ffff
}

impl fmt::Debug for Keyed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyed")
            .field("algorithm", &self.algorithm())
            .finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc4226_truncation_example() {
        // RFC 4226 §5.4: HMAC-SHA-1 value and its truncation.
        let hmac = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(dynamic_truncation(&hmac), 0x50ef_7f19);
        assert_eq!(Digits::SIX.reduce(dynamic_truncation(&hmac)), 872_921);
    }

    /// The direct construction against the `hmac` crate, on keys of every
    /// length class (short, a whole block, longer than a block) and
    /// counters across the range.
    #[test]
    fn matches_the_hmac_crate() {
        use hmac::digest::FixedOutput;
        use hmac::{Hmac, Mac};

        fn reference<M: Mac + FixedOutput + KeyInit>(
            key: &[u8],
            counter: u64,
        ) -> alloc::vec::Vec<u8> {
            let mut mac: M = key_schedule(key);
            Mac::update(&mut mac, &counter.to_be_bytes());
            mac.finalize_fixed().to_vec()
        }

        let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for len in [10usize, 16, 20, 32, 63, 64, 65, 100, 127, 128] {
            let key: alloc::vec::Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let secret = Secret::from_bytes_legacy(&key).expect("length in range");
            for counter in [0, 1, 0xffff_ffff, u64::MAX, next(), next()] {
                let mut out = [0u8; 20];
                let (i, o) = sha1_schedule(&key);
                sha1_hmac(&i, &o, counter, &mut out);
                assert_eq!(
                    &out[..],
                    &reference::<Hmac<sha1::Sha1>>(&key, counter)[..],
                    "SHA1 {len}"
                );
                let mut out = [0u8; 32];
                let (i, o) = sha256_schedule(&key);
                sha256_hmac(&i, &o, counter, &mut out);
                assert_eq!(
                    &out[..],
                    &reference::<Hmac<sha2::Sha256>>(&key, counter)[..],
                    "SHA256 {len}"
                );
                let mut out = [0u8; 64];
                let (i, o) = sha512_schedule(&key);
                sha512_hmac(&i, &o, counter, &mut out);
                assert_eq!(
                    &out[..],
                    &reference::<Hmac<sha2::Sha512>>(&key, counter)[..],
                    "SHA512 {len}"
                );
                for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
                    let keyed = Keyed::new(&secret, alg);
                    assert_eq!(keyed.algorithm(), alg);
                    let full = match alg {
                        Algorithm::Sha1 => reference::<Hmac<sha1::Sha1>>(&key, counter),
                        Algorithm::Sha256 => reference::<Hmac<sha2::Sha256>>(&key, counter),
                        Algorithm::Sha512 => reference::<Hmac<sha2::Sha512>>(&key, counter),
                    };
                    assert_eq!(
                        keyed.code(counter, Digits::EIGHT),
                        Digits::EIGHT.reduce(dynamic_truncation(&full))
                    );
                }
            }
        }
    }

    #[test]
    fn truncation_reads_every_offset() {
        let mut hmac = [0u8; 20];
        for offset in 0..16u8 {
            hmac.fill(0);
            hmac[19] = offset;
            let at = usize::from(offset);
            hmac[at..at + 4].copy_from_slice(&[0xff, 0x12, 0x34, 0x56]);
            hmac[19] = (hmac[19] & 0xf0) | offset;
            let expect = u32::from_be_bytes([hmac[at], hmac[at + 1], hmac[at + 2], hmac[at + 3]]);
            assert_eq!(
                dynamic_truncation(&hmac),
                expect & 0x7fff_ffff,
                "offset {offset}"
            );
        }
    }
}
