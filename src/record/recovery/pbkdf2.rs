//! PBKDF2-HMAC-SHA256 (RFC 8018 §5.2) for one 32-byte block, the salted
//! password-hashing KDF that NIST SP 800-63B asks for when a stored secret
//! has fewer than 112 bits.
//!
//! The HMAC key schedule of the password runs once; each iteration then
//! costs the two compressions of one HMAC over a 32-byte message. Every
//! intermediate value is zeroized.

use hmac::digest::{FixedOutput, Output};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

use crate::mac::key_schedule;

/// `DK = T_1 = U_1 ^ U_2 ^ … ^ U_c`, with `U_1 = PRF(P, S || INT(1))` and
/// `U_i = PRF(P, U_{i-1})`; `iterations` below 1 is taken as 1.
pub(crate) fn pbkdf2_sha256(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let prf: Hmac<Sha256> = key_schedule(password);
    let mut block = Output::<Hmac<Sha256>>::default();

    let mut mac = prf.clone();
    mac.update(salt);
    mac.update(&1u32.to_be_bytes());
    mac.finalize_into(&mut block);

    let mut derived = Zeroizing::new([0u8; 32]);
    derived.copy_from_slice(&block);
    for _ in 1..iterations {
        let mut mac = prf.clone();
        mac.update(&block);
        mac.finalize_into(&mut block);
        for (d, u) in derived.iter_mut().zip(block.iter()) {
            *d ^= u;
        }
    }
    block.zeroize();
    derived
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
