//! The keyed HMAC state shared by HOTP and TOTP.
//!
//! The key schedule (the compressions of `K ^ ipad` and `K ^ opad`, RFC 2104)
//! runs once, in [`Keyed::new`], and only the two chaining states are kept.
//! Each code then costs exactly two calls of the hash's compression function
//! (RFC 4226 §5.3): one over the padded 8-byte counter from the inner state,
//! one over the padded inner digest from the outer state. The blocks are
//! padded once per call and dispatched on the hash and the code length once
//! per call, so a candidate costs the two compressions, writing the counter
//! (one candidate ahead, see `Sha1Scratch`) and the inner digest, the
//! truncation (from the state's words) and a masked compare: no buffering,
//! no allocation, no branch on secret data.
//! The keyed states are zeroized on drop, the per-call scratch (the last
//! inner digest and the last chaining state) when the call returns.
//!
//! The construction is checked against the `hmac` crate on random keys and
//! counters (tests below) as well as against the RFC vectors.

use core::fmt;

use core::hint::black_box;
use hmac::digest::KeyInit;
use sha1::Digest;

use subtle::Choice;
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

/// Generates, for one hash function, the key schedule and the scratch that
/// computes truncated HMACs from the precomputed states.
macro_rules! hmac_fns {
    (
        $schedule:ident, $scratch:ident, $hash:ty, $compress:path,
        word = $word:ty, words = $words:literal, block = $block:literal,
        iv = $iv:expr, digest = $digest:literal, truncate = $truncate:path
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

        /// The blocks and the chaining state of one verification, reused by
        /// every candidate. The blocks are padded once, in `new`; each code
        /// then writes only counters and the inner digest. What is secret
        /// (the inner digest in the outer block, the last state) is
        /// zeroized once, on drop.
        struct $scratch {
            /// The inner blocks of even and odd counters. Each code writes
            /// the next counter into the other block, one code ahead: the
            /// compression reads its block 16 bytes at a time, a read the
            /// CPU cannot forward from the 8-byte write of the counter, so
            /// a counter written just before would hold the inner
            /// compression until everything before it has retired (the
            /// previous candidate's outer compression included). Written
            /// ahead, it is in the cache by then, and consecutive
            /// candidates overlap: 0.8x the time of a scan that writes the
            /// counter just before (`benches/compare.rs`, `reference`).
            inner_blocks: [[u8; $block]; 2],
            outer_block: [u8; $block],
            state: [$word; $words],
        }

        impl $scratch {
            #[inline(always)]
            fn new() -> Self {
                let mut scratch = Self {
                    inner_blocks: [[0; $block]; 2],
                    outer_block: [0; $block],
                    state: [0; $words],
                };
                for block in &mut scratch.inner_blocks {
                    pad(block, 8);
                }
                pad(&mut scratch.outer_block, $digest);
                scratch
            }

            /// HMAC(K, counter) from the precomputed states, exactly two
            /// compressions (RFC 4226 §5.3), and its dynamic truncation.
            /// Fastest when called for consecutive counters, as the scans
            /// do; any order gives the right code.
            #[inline(always)]
            fn truncated(
                &mut self,
                inner: &[$word; $words],
                outer: &[$word; $words],
                counter: u64,
            ) -> u32 {
                let [even, odd] = &mut self.inner_blocks;
                let (this, next) = if counter & 1 == 0 {
                    (even, odd)
                } else {
                    (odd, even)
                };
                // The previous code wrote this counter already, unless this
                // is the first code or the counters are not consecutive.
                // (The branches are on the public counter.)
                if let Some(head) = this.first_chunk_mut::<8>() {
                    let bytes = counter.to_be_bytes();
                    if *head != bytes {
                        *head = bytes;
                    }
                }
                if let Some(head) = next.first_chunk_mut::<8>() {
                    *head = counter.wrapping_add(1).to_be_bytes();
                }
                self.state = *inner;
                $compress(&mut self.state, core::slice::from_ref(this));
                store_be(&self.state, &mut self.outer_block);
                self.state = *outer;
                $compress(&mut self.state, core::slice::from_ref(&self.outer_block));
                $truncate(&self.state)
            }
        }

        impl Drop for $scratch {
            fn drop(&mut self) {
                // The inner block holds only the public counter and padding;
                // the outer block's first `digest` bytes are the last inner
                // digest, and the state the last HMAC.
                if let Some(inner_digest) = self.outer_block.get_mut(..$digest) {
                    inner_digest.zeroize();
                }
                self.state.as_mut_slice().zeroize();
            }
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
/// total length in bits at the end of the block. The block is all zeros
/// before.
#[inline(always)]
fn pad(block: &mut [u8], len: usize) {
    if let Some(b) = block.get_mut(len) {
        *b = 0x80;
    }
    let bits = (block.len().saturating_add(len).saturating_mul(8)) as u64;
    for (b, l) in block.iter_mut().rev().zip(bits.to_le_bytes()) {
        *b = l;
    }
}

/// The dynamic truncation of an HMAC-SHA-1 state.
#[inline(always)]
fn truncate_sha1(&[a, b, c, d, e]: &[u32; 5]) -> u32 {
    truncate(words_128(a, b, c, d), e, e)
}

/// The dynamic truncation of an HMAC-SHA-256 state.
#[inline(always)]
fn truncate_sha256(&[a, b, c, d, e, _, _, h]: &[u32; 8]) -> u32 {
    truncate(words_128(a, b, c, d), e, h)
}

/// The dynamic truncation of an HMAC-SHA-512 state.
#[inline(always)]
fn truncate_sha512(&[a, b, c, _, _, _, _, h]: &[u64; 8]) -> u32 {
    #[allow(clippy::cast_possible_truncation)] // the high half, and the last byte
    truncate(
        (u128::from(a) << 64) | u128::from(b),
        (c >> 32) as u32,
        h as u32,
    )
}

/// Four big-endian words as the first 16 bytes of a hash, big-endian.
#[inline(always)]
fn words_128(a: u32, b: u32, c: u32, d: u32) -> u128 {
    (u128::from(a) << 96) | (u128::from(b) << 64) | (u128::from(c) << 32) | u128::from(d)
}

hmac_fns!(
    sha1_schedule,
    Sha1Scratch,
    sha1::Sha1,
    sha1::block_api::compress,
    word = u32,
    words = 5,
    block = 64,
    iv = SHA1_IV,
    digest = 20,
    truncate = truncate_sha1
);
hmac_fns!(
    sha256_schedule,
    Sha256Scratch,
    sha2::Sha256,
    sha2::block_api::compress256,
    word = u32,
    words = 8,
    block = 64,
    iv = SHA256_IV,
    digest = 32,
    truncate = truncate_sha256
);
hmac_fns!(
    sha512_schedule,
    Sha512Scratch,
    sha2::Sha512,
    sha2::block_api::compress512,
    word = u64,
    words = 8,
    block = 128,
    iv = SHA512_IV,
    digest = 64,
    truncate = truncate_sha512
);

/// Runs `$run::<MODULUS>(truncated, $arg...)`, where `truncated(counter)`
/// is the truncated HMAC of the counter under this key and `MODULUS` is
/// `10^digits`: the hash and the code length are dispatched once per call,
/// never per candidate, and the reduction divides by a constant.
macro_rules! with_codes {
    ($keyed:expr, $digits:expr, $run:ident($($arg:expr),*)) => {
        match $keyed {
            Keyed::Sha1 { inner, outer } => {
                let mut scratch = Sha1Scratch::new();
                with_codes!(@digits $digits, $run(
                    |counter| scratch.truncated(inner, outer, counter), $($arg),*
                ))
            }
            Keyed::Sha256 { inner, outer } => {
                let mut scratch = Sha256Scratch::new();
                with_codes!(@digits $digits, $run(
                    |counter| scratch.truncated(inner, outer, counter), $($arg),*
                ))
            }
            Keyed::Sha512 { inner, outer } => {
                let mut scratch = Sha512Scratch::new();
                with_codes!(@digits $digits, $run(
                    |counter| scratch.truncated(inner, outer, counter), $($arg),*
                ))
            }
        }
    };
    (@digits $digits:expr, $run:ident($($arg:expr),*)) => {
        match $digits.get() {
            6 => $run::<1_000_000>($($arg),*),
            7 => $run::<10_000_000>($($arg),*),
            _ => $run::<100_000_000>($($arg),*),
        }
    };
}

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
    pub(crate) fn code(&self, counter: u64, digits: Digits) -> u32 {
        let value = match self {
            Self::Sha1 { inner, outer } => Sha1Scratch::new().truncated(inner, outer, counter),
            Self::Sha256 { inner, outer } => Sha256Scratch::new().truncated(inner, outer, counter),
            Self::Sha512 { inner, outer } => Sha512Scratch::new().truncated(inner, outer, counter),
        };
        digits.reduce(value)
    }

    /// Looks for `code` among the counters `first..=last` that are after
    /// `last_used`, in constant time: every candidate is computed and
    /// compared, with no early exit. Returns whether one matched and the
    /// highest that did (the safest to record against replay).
    pub(crate) fn scan(
        &self,
        range: (u64, u64),
        digits: Digits,
        code: u32,
        last_used: Option<u64>,
    ) -> (Choice, u64) {
        with_codes!(self, digits, scan_codes(range, code, last_used))
    }

    /// Looks for `first_code` at some counter `c` and `second_code` at
    /// `c + 1`, both within `first..=last` and after `last_used`, in
    /// constant time. Returns whether a pair matched and the counter of the
    /// second code of the highest pair.
    pub(crate) fn scan_pair(
        &self,
        range: (u64, u64),
        digits: Digits,
        codes: (u32, u32),
        last_used: Option<u64>,
    ) -> (Choice, u64) {
        with_codes!(self, digits, scan_code_pairs(range, codes, last_used))
    }
}

/// The body of [`Keyed::scan`], for one hash and one code length.
///
/// Constant time: every candidate is computed, reduced by a constant
/// (a multiplication) and compared without a branch; whether it matched is
/// a 0/1 word that passes through [`black_box`] (so that the compiler cannot
/// turn what follows into a branch) and is folded into the result with
/// masks. The only branch in the loop is on the public counter.
#[inline(always)]
fn scan_codes<const MODULUS: u32>(
    mut truncated: impl FnMut(u64) -> u32,
    (first, last): (u64, u64),
    code: u32,
    last_used: Option<u64>,
) -> (Choice, u64) {
    let fresh = Fresh::new(last_used);
    let mut found = 0u8;
    let mut matched = 0u64;
    for counter in Counters::new(first, last) {
        let hit = black_box(equal(reduce::<MODULUS>(truncated(counter)), code) & fresh.at(counter));
        matched = select(hit, counter, matched);
        found |= hit;
    }
    (Choice::from(found), matched)
}

/// The body of [`Keyed::scan_pair`], constant-time as [`scan_codes`].
#[inline(always)]
fn scan_code_pairs<const MODULUS: u32>(
    mut truncated: impl FnMut(u64) -> u32,
    (first, last): (u64, u64),
    (first_code, second_code): (u32, u32),
    last_used: Option<u64>,
) -> (Choice, u64) {
    let fresh = Fresh::new(last_used);
    let mut found = 0u8;
    let mut matched = 0u64;
    // 0 on the first candidate, so a pair never starts before `first`.
    let mut previous_hit = 0u8;
    for counter in Counters::new(first, last) {
        let code = reduce::<MODULUS>(truncated(counter));
        let hit = black_box(previous_hit & equal(code, second_code));
        matched = select(hit, counter, matched);
        found |= hit;
        previous_hit = black_box(equal(code, first_code) & fresh.at(counter));
    }
    (Choice::from(found), matched)
}

/// RFC 4226 §5.3: the code is the truncated value modulo `10^digits`, a
/// constant here, so the remainder compiles to a multiplication.
#[inline(always)]
#[allow(clippy::arithmetic_side_effects)] // remainder by a non-zero constant
const fn reduce<const MODULUS: u32>(value: u32) -> u32 {
    value % MODULUS
}

/// 1 if `a == b`, else 0, without a branch.
#[inline(always)]
const fn equal(a: u32, b: u32) -> u8 {
    let diff = a ^ b;
    // The top bit of `diff | -diff` is set exactly when `diff` is not zero.
    #[allow(clippy::cast_possible_truncation)] // 0 or 1
    let nonzero = ((diff | diff.wrapping_neg()) >> 31) as u8;
    nonzero ^ 1
}

/// `new` if `bit` is 1, `old` if it is 0, with a mask rather than a branch.
#[inline(always)]
const fn select(bit: u8, new: u64, old: u64) -> u64 {
    let mask = 0u64.wrapping_sub(bit as u64);
    old ^ ((old ^ new) & mask)
}

/// The counters `first..=last`, none if `first > last`: a count and a
/// start, which compile to a simpler loop than `RangeInclusive`.
struct Counters {
    next: u64,
    left: u64,
}

impl Counters {
    #[inline(always)]
    fn new(first: u64, last: u64) -> Self {
        Self {
            next: first,
            // `last - first + 1`, which is 0 for the whole `u64` range too:
            // no caller scans more than a few thousand counters.
            left: if first <= last {
                last.wrapping_sub(first).wrapping_add(1)
            } else {
                0
            },
        }
    }
}

impl Iterator for Counters {
    type Item = u64;

    #[inline(always)]
    fn next(&mut self) -> Option<u64> {
        if self.left == 0 {
            return None;
        }
        self.left = self.left.wrapping_sub(1);
        let counter = self.next;
        self.next = self.next.wrapping_add(1);
        Some(counter)
    }
}

/// Whether a counter is after the last used one.
struct Fresh {
    /// 1 if there is a last used counter, else 0 (everything is fresh).
    bounded: u8,
    last: u64,
}

impl Fresh {
    #[inline(always)]
    fn new(last_used: Option<u64>) -> Self {
        Self {
            bounded: u8::from(last_used.is_some()),
            last: last_used.unwrap_or(0),
        }
    }

    /// 1 if `counter` is fresh, else 0, without a branch.
    #[inline(always)]
    fn at(&self, counter: u64) -> u8 {
        (self.bounded & u8::from(counter <= self.last)) ^ 1
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

/// RFC 4226 §5.3, dynamic truncation: the low 4 bits of the last byte of
/// the HMAC select 4 of its first 20 bytes, of which the low 31 bits are
/// the value. `head` is bytes 0 to 15 of the HMAC, `tail` bytes 16 to 19
/// (both big-endian), and the low byte of `last` is its last byte.
///
/// The selection is a shift of the first 20 bytes by the secret offset, not
/// an index: no memory access and no branch depends on it (variable shifts
/// are constant-time on the targets we care about, and a 128-bit shift
/// compiles to `shld`/`shl` and a conditional move).
#[inline(always)]
fn truncate(head: u128, tail: u32, last: u32) -> u32 {
    let offset = last & 0x0f;
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

    /// [`truncate`] over the bytes of an HMAC of 20 bytes or more.
    fn dynamic_truncation(hmac: &[u8]) -> u32 {
        let head = u128::from_be_bytes(hmac[..16].try_into().unwrap());
        let tail = u32::from_be_bytes(hmac[16..20].try_into().unwrap());
        truncate(head, tail, u32::from(*hmac.last().unwrap()))
    }

    /// RFC 4226 §5.3 as written: index by the offset.
    fn naive_truncation(h: &[u8]) -> u32 {
        let offset = usize::from(h.last().unwrap() & 0x0f);
        u32::from_be_bytes([h[offset], h[offset + 1], h[offset + 2], h[offset + 3]]) & 0x7fff_ffff
    }

    #[test]
    fn rfc4226_truncation_example() {
        // RFC 4226 §5.4: HMAC-SHA-1 value and its truncation.
        let hmac = [
            0x1f, 0x86, 0x98, 0x69, 0x0e, 0x02, 0xca, 0x16, 0x61, 0x85, 0x50, 0xef, 0x7f, 0x19,
            0xda, 0x8e, 0x94, 0x5b, 0x55, 0x5a,
        ];
        assert_eq!(dynamic_truncation(&hmac), 0x50ef_7f19);
        assert_eq!(Digits::SIX.reduce(dynamic_truncation(&hmac)), 872_921);
        let words: [u32; 5] = core::array::from_fn(|i| {
            u32::from_be_bytes(hmac[4 * i..4 * i + 4].try_into().unwrap())
        });
        assert_eq!(truncate_sha1(&words), 0x50ef_7f19);
    }

    /// The direct construction against the `hmac` crate, on keys of every
    /// length class (short, a whole block, longer than a block) and
    /// counters across the range: the whole HMAC (the scratch's last
    /// state), its truncation from the state's words, and the code.
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

        fn bytes<W: Copy + ToBeBytes>(state: &[W]) -> alloc::vec::Vec<u8> {
            let mut out = alloc::vec![0u8; state.len() * W::LEN];
            store_be(state, &mut out);
            out
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
                // Several codes with one scratch, in and out of order: each
                // overwrites the counters and inner digest of the last.
                let order = [
                    counter.wrapping_add(1),
                    counter,
                    counter,
                    counter.wrapping_add(1),
                    counter.wrapping_add(2),
                    counter.wrapping_add(4),
                ];
                let (i, o) = sha1_schedule(&key);
                let mut scratch = Sha1Scratch::new();
                for c in order {
                    let full = reference::<Hmac<sha1::Sha1>>(&key, c);
                    let value = scratch.truncated(&i, &o, c);
                    assert_eq!(bytes(&scratch.state), full, "SHA1 {len}");
                    assert_eq!(value, naive_truncation(&full), "SHA1 {len}");
                }
                let (i, o) = sha256_schedule(&key);
                let mut scratch = Sha256Scratch::new();
                for c in order {
                    let full = reference::<Hmac<sha2::Sha256>>(&key, c);
                    let value = scratch.truncated(&i, &o, c);
                    assert_eq!(bytes(&scratch.state), full, "SHA256 {len}");
                    assert_eq!(value, naive_truncation(&full), "SHA256 {len}");
                }
                let (i, o) = sha512_schedule(&key);
                let mut scratch = Sha512Scratch::new();
                for c in order {
                    let full = reference::<Hmac<sha2::Sha512>>(&key, c);
                    let value = scratch.truncated(&i, &o, c);
                    assert_eq!(bytes(&scratch.state), full, "SHA512 {len}");
                    assert_eq!(value, naive_truncation(&full), "SHA512 {len}");
                }
                for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
                    let keyed = Keyed::new(&secret, alg);
                    assert_eq!(keyed.algorithm(), alg);
                    let full = match alg {
                        Algorithm::Sha1 => reference::<Hmac<sha1::Sha1>>(&key, counter),
                        Algorithm::Sha256 => reference::<Hmac<sha2::Sha256>>(&key, counter),
                        Algorithm::Sha512 => reference::<Hmac<sha2::Sha512>>(&key, counter),
                    };
                    for digits in [Digits::SIX, Digits::SEVEN, Digits::EIGHT] {
                        assert_eq!(
                            keyed.code(counter, digits),
                            digits.reduce(naive_truncation(&full))
                        );
                    }
                }
            }
        }
    }

    /// The scan against a plain loop over the same codes, for every hash
    /// and code length: which candidate matches, replays, the highest of
    /// two matches, empty ranges and the end of the counter range.
    #[test]
    fn scan_matches_a_plain_search() {
        let secret = Secret::from_bytes(b"12345678901234567890").unwrap();
        for alg in [Algorithm::Sha1, Algorithm::Sha256, Algorithm::Sha512] {
            let keyed = Keyed::new(&secret, alg);
            for digits in [Digits::SIX, Digits::SEVEN, Digits::EIGHT] {
                let plain = |(first, last): (u64, u64), code: u32, last_used: Option<u64>| {
                    let mut found = None;
                    let mut c = first;
                    while c <= last {
                        if keyed.code(c, digits) == code && last_used.is_none_or(|l| c > l) {
                            found = Some(c);
                        }
                        if c == u64::MAX {
                            break;
                        }
                        c += 1;
                    }
                    found
                };
                let scan = |range, code, last_used| {
                    let (found, matched) = keyed.scan(range, digits, code, last_used);
                    bool::from(found).then_some(matched)
                };
                let ranges = [
                    (100, 102),
                    (100, 100),
                    (101, 100),
                    (0, 4),
                    (u64::MAX - 2, u64::MAX),
                    (u64::MAX, u64::MAX - 1),
                ];
                for range in ranges {
                    let codes = [
                        keyed.code(range.0, digits),
                        keyed.code(range.1, digits),
                        keyed.code(range.0.wrapping_add(1), digits),
                        12_345,
                    ];
                    for code in codes {
                        for last_used in
                            [None, Some(0), Some(range.0), Some(range.1), Some(u64::MAX)]
                        {
                            assert_eq!(
                                scan(range, code, last_used),
                                plain(range, code, last_used),
                                "{alg:?} {digits:?} {range:?} {last_used:?}"
                            );
                        }
                    }
                }
                // Two matches (a code that repeats): the highest is kept.
                if digits == Digits::SIX {
                    let mut seen = alloc::collections::BTreeMap::new();
                    let (a, b) = (0..5_000u64)
                        .find_map(|c| seen.insert(keyed.code(c, digits), c).map(|a| (a, c)))
                        .expect("12 repeats expected among 5,000 codes");
                    let code = keyed.code(a, digits);
                    assert_eq!(keyed.code(b, digits), code);
                    assert_eq!(scan((a, b), code, None), Some(b));
                    assert_eq!(scan((a, b), code, Some(a)), Some(b));
                    assert_eq!(scan((a, b), code, Some(b)), None);
                    assert_eq!(scan((a.saturating_sub(3), b + 3), code, None), Some(b));
                }
                // Pairs: the second code's counter, after the last used one.
                let pair = (keyed.code(50, digits), keyed.code(51, digits));
                let (found, matched) = keyed.scan_pair((40, 60), digits, pair, None);
                assert_eq!((bool::from(found), matched), (true, 51));
                let (found, _) = keyed.scan_pair((51, 60), digits, pair, None);
                assert!(!bool::from(found), "a pair never starts before the range");
                let (found, _) = keyed.scan_pair((40, 60), digits, pair, Some(50));
                assert!(!bool::from(found), "the first code of a pair must be fresh");
                let (found, matched) = keyed.scan_pair((40, 60), digits, pair, Some(49));
                assert_eq!((bool::from(found), matched), (true, 51));
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
            assert_eq!(
                dynamic_truncation(h),
                naive_truncation(h),
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

    #[test]
    fn equal_and_select_are_exact() {
        for (a, b) in [
            (0, 0),
            (0, 1),
            (1, 0),
            (u32::MAX, u32::MAX),
            (u32::MAX, 0),
            (1 << 31, 0),
        ] {
            assert_eq!(equal(a, b), u8::from(a == b), "{a} {b}");
        }
        assert_eq!(select(1, 7, 9), 7);
        assert_eq!(select(0, 7, 9), 9);
        let fresh = Fresh::new(Some(10));
        assert_eq!((fresh.at(9), fresh.at(10), fresh.at(11)), (0, 0, 1));
        assert_eq!(Fresh::new(None).at(0), 1);
        assert_eq!(Fresh::new(Some(u64::MAX)).at(u64::MAX), 0);
    }
}
