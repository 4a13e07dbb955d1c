//! PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) for one 32-byte block, the salted
//! password-hashing KDF that NIST SP 800-63B asks for when a stored secret
//! has fewer than 112 bits.
//!
//! The KDF is RustCrypto's `pbkdf2` crate (`no_std`, no allocation), over
//! the same `hmac` and `sha2` as the rest of the crate, whose keyed states
//! zeroize on drop (their `zeroize` features are on). It leaves its last
//! PRF outputs on the stack, though: `pbkdf2` keeps `U_c` in a local it
//! does not zeroize, and a copy of `U_{c-1}` (the last HMAC's message)
//! stays in the frames below it.
//! `U_{c-1}` and `U_c` together let a guess of the code be checked with
//! one HMAC instead of `c` iterations. So after the call the stack it used
//! is overwritten (`scrub_stack`). Measured with `tools/stack-residue`
//! (`cargo run --release` there, and in CI), which scans the stack after
//! each variant for `U_1`, `U_{c-1}`, `U_c` and the derived key: the crate
//! alone left `U_{c-1}`, `U_c` and the derived key; the hand-written loop
//! this replaced left `U_{c-1}` and the derived key; this module's code
//! leaves only the derived key (what the record stores anyway), and a code
//! checked with `RecoveryCodes::verify` leaves nothing.

use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// Bytes of stack overwritten after the KDF: its frames (`pbkdf2`, `hmac`,
/// the SHA-256 compression) measured under 512 bytes deep, so 4 KiB leaves
/// a wide margin for other targets and compilers.
const SCRUB_LEN: usize = 4096;

/// `DK = T_1 = U_1 ^ U_2 ^ … ^ U_c`, with `U_1 = PRF(P, S || INT(1))` and
/// `U_i = PRF(P, U_{i-1})`; `iterations` below 1 is taken as 1.
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let mut derived = Zeroizing::new([0u8; 32]);
    derive(password, salt, iterations.max(1), &mut derived);
    scrub_stack();
    derived
}

/// The KDF in a frame of its own, so that [`scrub_stack`], called next
/// from the same frame, overwrites the stack it used.
#[inline(never)]
fn derive(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8; 32]) {
    // HMAC takes keys of any length, so `pbkdf2_hmac` cannot fail.
    ::pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, out);
}

/// Overwrites `SCRUB_LEN` bytes of the stack below the caller's frame,
/// where the frames of the function it called last lived. `zeroize`
/// writes with volatile stores, so the writes are not optimised away.
#[inline(never)]
fn scrub_stack() {
    let mut area = [0u8; SCRUB_LEN];
    area.zeroize();
    core::hint::black_box(&area);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(bytes: &[u8]) -> alloc::string::String {
        use core::fmt::Write;
        bytes.iter().fold(alloc::string::String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }

    #[test]
    fn known_vectors() {
        // PBKDF2-HMAC-SHA256, P = "password", S = "salt" (the RFC 6070
        // inputs; the values are those of Python's hashlib.pbkdf2_hmac and
        // OpenSSL).
        let cases = [
            (
                1,
                "120fb6cffcf8b32c43e7225256c4f837a86548c92ccc35480805987cb70be17b",
            ),
            (
                2,
                "ae4d0c95af6b46d32d0adff928f06dd02a303f8ef3c251dfd6e2d85a95474c43",
            ),
            (
                4096,
                "c5e478d59288c841aa530db6845c4c8d962893a001ce4e11a4963873aa98134a",
            ),
        ];
        for (iterations, expected) in cases {
            assert_eq!(
                hex(&*pbkdf2_sha256(b"password", b"salt", iterations)),
                expected,
                "c = {iterations}"
            );
        }
        // RFC 7914 §11: P = "passwd", S = "salt", c = 1 (first 32 bytes).
        assert_eq!(
            hex(&*pbkdf2_sha256(b"passwd", b"salt", 1)),
            "55ac046e56e3089fec1691c22544b605f94185216dde0465e68b9d57c20dacbc"
        );
        assert_eq!(
            pbkdf2_sha256(b"password", b"salt", 0),
            pbkdf2_sha256(b"password", b"salt", 1)
        );
    }
}
