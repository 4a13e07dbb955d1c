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
use subtle::{Choice, ConditionallySelectable, ConstantTimeEq, ConstantTimeGreater};
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
        /// `inner_block` and `outer_block` hold the padding already (see
        /// [`pad`]); only the counter and the inner digest are written.
        /// The digest goes to `out`.
        #[inline(always)]
        fn $code(
            inner: &[$word; $words],
            outer: &[$word; $words],
            counter: u64,
            inner_block: &mut [u8; $block],
            outer_block: &mut [u8; $block],
            out: &mut [u8; $digest],
        ) {
            if let Some(head) = inner_block.first_chunk_mut::<8>() {
                *head = counter.to_be_bytes();
            }
            let mut state = *inner;
            $compress(&mut state, core::slice::from_ref(inner_block));
            store_be(&state, outer_block);
            state = *outer;
            $compress(&mut state, core::slice::from_ref(outer_block));
            store_be(&state, out);
            state.zeroize();
        }
    };
}

/// Writes words big-endian into `out`, as far as it reaches.
#[inline(always)]
fn store_be<W: Copy + ToBeBytes>(words: &[W], out: &mut [u8]) {
    for (chunk, w) in out.chunks_exact_mut(W::LEN).zip(words) {
        for (o, b) in chunk.iter_mut().zip(w.to_be().as_ref()) {
            *o = *b;
        }
    }
}

/// `to_be_bytes` for the two word sizes of the hashes.
trait ToBeBytes {
    const LEN: usize;
    type Bytes: AsRef<[u8]>;
    fn to_be(self) -> Self::Bytes;
}

impl ToBeBytes for u32 {
    const LEN: usize = 4;
    type Bytes = [u8; 4];
    fn to_be(self) -> [u8; 4] {
        self.to_be_bytes()
    }
}

impl ToBeBytes for u64 {
    const LEN: usize = 8;
    type Bytes = [u8; 8];
    fn to_be(self) -> [u8; 8] {
        self.to_be_bytes()
    }
}

/// Writes the Merkle–Damgård padding of a one-block message of `len` bytes
/// that follows one block of key: the 0x80 byte after the message and the
/// total length in bits at the end of the block.
fn pad(block: &mut [u8], len: usize) {
    block.fill(0);
    if let Some(b) = block.get_mut(len) {
        *b = 0x80;
    }
    let bits = (block.len().saturating_add(len).saturating_mul(8)) as u64;
    for (b, l) in block.iter_mut().rev().zip(bits.to_le_bytes()) {
        *b = l;
    }
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

    /// A scanner over this key, for computing many codes with one set of
    /// scratch blocks (padded once, zeroized once when dropped).
    pub(crate) fn scanner(&self) -> Scanner<'_> {
        let (block, digest) = match self {
            Self::Sha1 { .. } => (64, 20),
            Self::Sha256 { .. } => (64, 32),
            Self::Sha512 { .. } => (128, 64),
        };
        let mut scanner = Scanner {
            keyed: self,
            digest,
            inner_block: [0; 128],
            outer_block: [0; 128],
            out: [0; 64],
        };
        if let Some(b) = scanner.inner_block.get_mut(..block) {
            pad(b, 8);
        }
        if let Some(b) = scanner.outer_block.get_mut(..block) {
            pad(b, digest);
        }
        scanner
    }

    /// The code for `counter`: HMAC, dynamic truncation, reduction.
    pub(crate) fn code(&self, counter: u64, digits: Digits) -> u32 {
        self.scanner().code(counter, digits)
    }

    /// Looks for `code` among the counters `first..=last` that are after
    /// `last_used`, in constant time: every candidate is computed and
    /// compared, with no early exit. Returns whether one matched and the
    /// highest that did (the safest to record against replay).
    pub(crate) fn scan(
        &self,
        (first, last): (u64, u64),
        digits: Digits,
        code: u32,
        last_used: Option<u64>,
    ) -> (Choice, u64) {
        let mut scanner = self.scanner();
        let mut found = Choice::from(0);
        let mut matched = 0u64;
        for counter in first..=last {
            let hit = scanner.code(counter, digits).ct_eq(&code) & is_fresh(counter, last_used);
            matched.conditional_assign(&counter, hit);
            found |= hit;
        }
        (found, matched)
    }

    /// Looks for `first_code` at some counter `c` and `second_code` at
    /// `c + 1`, both within `first..=last` and after `last_used`, in
    /// constant time. Returns whether a pair matched and the counter of the
    /// second code of the highest pair.
    pub(crate) fn scan_pair(
        &self,
        (first, last): (u64, u64),
        digits: Digits,
        (first_code, second_code): (u32, u32),
        last_used: Option<u64>,
    ) -> (Choice, u64) {
        let mut scanner = self.scanner();
        let mut found = Choice::from(0);
        let mut matched = 0u64;
        let mut previous_hit = Choice::from(0);
        for counter in first..=last {
            let code = scanner.code(counter, digits);
            // `previous_hit` is false on the first candidate, so a pair
            // never starts before `first`.
            let hit = previous_hit & code.ct_eq(&second_code);
            matched.conditional_assign(&counter, hit);
            found |= hit;
            previous_hit = code.ct_eq(&first_code) & is_fresh(counter, last_used);
        }
        (found, matched)
    }
}

/// Whether `counter` is after the last used one, in constant time.
fn is_fresh(counter: u64, last_used: Option<u64>) -> Choice {
    match last_used {
        Some(last) => counter.ct_gt(&last),
        None => Choice::from(1),
    }
}

/// Computes codes of one key, reusing padded blocks between candidates.
/// Everything it held is zeroized when it is dropped.
pub(crate) struct Scanner<'a> {
    keyed: &'a Keyed,
    /// Length of the hash output: the secret-derived prefix of
    /// `outer_block` and `out`.
    digest: usize,
    inner_block: [u8; 128],
    outer_block: [u8; 128],
    out: [u8; 64],
}

impl Scanner<'_> {
    /// The code for `counter`: HMAC, dynamic truncation, reduction.
    #[inline]
    pub(crate) fn code(&mut self, counter: u64, digits: Digits) -> u32 {
        let Self {
            keyed,
            inner_block,
            outer_block,
            out,
            ..
        } = self;
        let value = match keyed {
            Keyed::Sha1 { inner, outer } => {
                match (
                    inner_block.first_chunk_mut::<64>(),
                    outer_block.first_chunk_mut::<64>(),
                    out.first_chunk_mut::<20>(),
                ) {
                    (Some(ib), Some(ob), Some(o)) => {
                        sha1_hmac(inner, outer, counter, ib, ob, o);
                        dynamic_truncation(o)
                    }
                    _ => 0,
                }
            }
            Keyed::Sha256 { inner, outer } => {
                match (
                    inner_block.first_chunk_mut::<64>(),
                    outer_block.first_chunk_mut::<64>(),
                    out.first_chunk_mut::<32>(),
                ) {
                    (Some(ib), Some(ob), Some(o)) => {
                        sha256_hmac(inner, outer, counter, ib, ob, o);
                        dynamic_truncation(o)
                    }
                    _ => 0,
                }
            }
            Keyed::Sha512 { inner, outer } => {
                sha512_hmac(inner, outer, counter, inner_block, outer_block, out);
                dynamic_truncation(out)
            }
        };
        digits.reduce(value)
    }
}

impl Drop for Scanner<'_> {
    fn drop(&mut self) {
        // The inner block holds only the public counter and padding; the
        // outer block holds the inner digest (then public padding) and `out`
        // the HMAC. Only those digest-long prefixes are secret.
        if let Some(inner_digest) = self.outer_block.get_mut(..self.digest) {
            inner_digest.zeroize();
        }
        if let Some(hmac) = self.out.get_mut(..self.digest) {
            hmac.zeroize();
        }
    }
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
/// the low 31 bits are the value.
///
/// The selection is a shift of the first 20 bytes by the secret offset, not
/// an index: no memory access and no branch depends on it (variable shifts
/// are constant-time on the targets we care about, and a 128-bit shift
/// compiles to `shld`/`shl` and a conditional move).
fn dynamic_truncation(hmac: &[u8]) -> u32 {
    let offset = u32::from(hmac.last().map_or(0, |b| b & 0x0f));
    let head = hmac
        .first_chunk::<16>()
        .map_or(0, |b| u128::from_be_bytes(*b));
    let tail = hmac
        .get(16..20)
        .and_then(|b| <[u8; 4]>::try_from(b).ok())
        .map_or(0, u32::from_be_bytes);
    // Bytes `offset ..` of the 20 moved to the top: `head << 8·offset`,
    // with the first bytes of `tail` shifted in below them. The tail is
    // pre-shifted by one bit less so that offset 0 shifts it out entirely
    // (by 127) instead of by an out-of-range 128.
    let bits = offset.wrapping_mul(8); // at most 120
    let shifted =
        head.wrapping_shl(bits) | (u128::from(tail) << 95).wrapping_shr(127u32.wrapping_sub(bits));
    #[allow(clippy::cast_possible_truncation)] // the top 32 bits
    let value = (shifted >> 96) as u32;
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
                let (mut ib, mut ob) = ([0u8; 64], [0u8; 64]);
                pad(&mut ib, 8);
                pad(&mut ob, 20);
                sha1_hmac(&i, &o, counter, &mut ib, &mut ob, &mut out);
                assert_eq!(
                    &out[..],
                    &reference::<Hmac<sha1::Sha1>>(&key, counter)[..],
                    "SHA1 {len}"
                );
                let mut out = [0u8; 32];
                let (i, o) = sha256_schedule(&key);
                let (mut ib, mut ob) = ([0u8; 64], [0u8; 64]);
                pad(&mut ib, 8);
                pad(&mut ob, 32);
                sha256_hmac(&i, &o, counter, &mut ib, &mut ob, &mut out);
                assert_eq!(
                    &out[..],
                    &reference::<Hmac<sha2::Sha256>>(&key, counter)[..],
                    "SHA256 {len}"
                );
                let mut out = [0u8; 64];
                let (i, o) = sha512_schedule(&key);
                let (mut ib, mut ob) = ([0u8; 128], [0u8; 128]);
                pad(&mut ib, 8);
                pad(&mut ob, 64);
                sha512_hmac(&i, &o, counter, &mut ib, &mut ob, &mut out);
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

    /// Against the RFC's indexing formulation, for every offset and
    /// pseudo-random bytes around it.
    #[test]
    fn truncation_matches_indexing() {
        let mut x = 0x2545_f491_4f6c_dd1d_u64;
        for round in 0..512 {
            let mut hmac = [0u8; 64];
            for b in &mut hmac {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                *b = x as u8;
            }
            let len = [20, 32, 64][round % 3];
            let h = &hmac[..len];
            let offset = usize::from(h[len - 1] & 0x0f);
            let naive =
                u32::from_be_bytes([h[offset], h[offset + 1], h[offset + 2], h[offset + 3]]);
            assert_eq!(
                dynamic_truncation(h),
                naive & 0x7fff_ffff,
                "offset {offset}"
            );
        }
    }

    /// `Debug` names the hash and shows nothing of the keyed states.
    #[test]
    fn debug_shows_the_algorithm_only() {
        let secret = Secret::from_bytes_legacy(&[0xa5; 20]).expect("length in range");
        for (alg, name) in [
            (Algorithm::Sha1, "Sha1"),
            (Algorithm::Sha256, "Sha256"),
            (Algorithm::Sha512, "Sha512"),
        ] {
            let keyed = Keyed::new(&secret, alg);
            assert_eq!(
                alloc::format!("{keyed:?}"),
                alloc::format!("Keyed {{ algorithm: {name}, .. }}")
            );
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
