//! The keyed HMAC state shared by HOTP and TOTP.
//!
//! The key schedule (the compressions of `K ^ ipad` and `K ^ opad`) runs
//! once, in [`Keyed::new`]. Each code then clones that state and costs only
//! the two compressions of one HMAC over the 8-byte counter (RFC 4226 §5.3),
//! with no heap allocation. All key-derived state, including each clone and
//! each HMAC output, is zeroized on drop (`hmac`/`sha1`/`sha2` with their
//! `zeroize` features, and a zeroized local output buffer).

use core::fmt;

use hmac::digest::{FixedOutput, KeyInit, Output};
use hmac::{EagerHash, Hmac, Mac};
use sha1::Sha1;
use sha2::{Sha256, Sha512};
use subtle::{ConditionallySelectable, ConstantTimeEq};
use zeroize::{Zeroize, ZeroizeOnDrop};

use crate::algorithm::Algorithm;
use crate::code::Digits;
use crate::secret::Secret;

#[derive(Clone)]
pub(crate) enum Keyed {
    Sha1(Hmac<Sha1>),
    Sha256(Hmac<Sha256>),
    Sha512(Hmac<Sha512>),
}

// Checked at compile time: the precomputed key state clears itself. An
// `Hmac<D>` is its inner and outer `D::Core` states plus a block buffer; the
// cores are `ZeroizeOnDrop` with the hashes' `zeroize` feature, and the
// buffer zeroizes in its `Drop` under `digest/zeroize` (which `hmac`'s
// `zeroize` feature turns on).
const _: fn() = || {
    fn zeroized_on_drop<T: ZeroizeOnDrop>() {}
    zeroized_on_drop::<<Sha1 as EagerHash>::Core>();
    zeroized_on_drop::<<Sha256 as EagerHash>::Core>();
    zeroized_on_drop::<<Sha512 as EagerHash>::Core>();
};

impl Keyed {
    pub(crate) fn new(secret: &Secret, algorithm: Algorithm) -> Self {
        let key = secret.expose_bytes();
        match algorithm {
            Algorithm::Sha1 => Self::Sha1(key_schedule(key)),
            Algorithm::Sha256 => Self::Sha256(key_schedule(key)),
            Algorithm::Sha512 => Self::Sha512(key_schedule(key)),
        }
    }

    pub(crate) const fn algorithm(&self) -> Algorithm {
        match self {
            Self::Sha1(_) => Algorithm::Sha1,
            Self::Sha256(_) => Algorithm::Sha256,
            Self::Sha512(_) => Algorithm::Sha512,
        }
    }

    /// The code for `counter`: HMAC, dynamic truncation, reduction.
    #[inline]
    pub(crate) fn code(&self, counter: u64, digits: Digits) -> u32 {
        let msg = counter.to_be_bytes();
        let value = match self {
            Self::Sha1(mac) => truncate_with(mac, &msg),
            Self::Sha256(mac) => truncate_with(mac, &msg),
            Self::Sha512(mac) => truncate_with(mac, &msg),
        };
        digits.reduce(value)
    }
}

/// Runs the HMAC key schedule.
#[allow(clippy::expect_used)]
pub(crate) fn key_schedule<M: KeyInit>(key: &[u8]) -> M {
    // HMAC accepts keys of any length (RFC 2104 §2; `hmac` only ever returns
    // `Ok`), so this cannot fail.
    M::new_from_slice(key).expect("HMAC accepts keys of any length")
}

#[inline(always)]
fn truncate_with<M>(keyed: &M, msg: &[u8; 8]) -> u32
where
    M: Mac + FixedOutput + Clone,
{
    let mut mac = keyed.clone();
    Mac::update(&mut mac, msg);
    let mut out = Output::<M>::default();
    mac.finalize_into(&mut out);
    let value = dynamic_truncation(&out);
    out.zeroize();
    value
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
