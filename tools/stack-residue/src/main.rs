//! Which PBKDF2-HMAC-SHA256 intermediates are left on the stack?
//!
//! Runs each variant of the recovery-code KDF with a known code and salt,
//! then reads the 64 KiB of stack below the caller (where the variant's
//! frames were) and looks for `U_1`, `U_{c-1}`, `U_c` and the derived key.
//! `U_{c-1}` with `U_c` lets a guess be checked with one HMAC instead of
//! `c` iterations, so the KDF must not leave them behind. (The derived key
//! is what a recovery-code record stores, so a copy of it tells nothing
//! new; it is reported all the same.) Exits 1 if `mfa`'s variant leaves a
//! `U_i`.
//!
//! The variants: the hand-written loop `mfa` had, RustCrypto's `pbkdf2`
//! alone, `pbkdf2` followed by the stack scrub as in
//! `src/record/recovery/pbkdf2.rs`, and `mfa` itself: a recovery code
//! checked by `RecoveryCodes::verify`, from a set made with a known random
//! source, so its salt and code bytes are known. Run with
//! `cargo run --release`; CI does.
//!
//! Reading the stack below the stack pointer is outside what Rust defines;
//! it is a measurement, done in release mode, and lives outside the crate.

use std::hint::black_box;
use std::sync::OnceLock;

use hmac::digest::{FixedOutput, KeyInit, Output};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use zeroize::{Zeroize, Zeroizing};

/// What `mfa`'s recovery codes hash when the random source fills its
/// first buffer (the 16-byte salt) with 1s and the next (the code's 10
/// bytes) with 2s.
const CODE: &[u8] = &[2; 10];
const SALT: &[u8] = &[1; 16];
const ITERATIONS: u32 = mfa::RecoveryPolicy::MIN_ITERATIONS;

/// What `mfa` had before: the loop over `hmac`, `U_i` zeroized.
#[inline(never)]
fn hand_written(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let prf = <Hmac<Sha256>>::new_from_slice(password).expect("any key length");
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

/// RustCrypto's `pbkdf2`, nothing else.
#[inline(never)]
fn crate_alone(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let mut derived = Zeroizing::new([0u8; 32]);
    pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, &mut *derived);
    derived
}

// ---- a copy of src/record/recovery/pbkdf2.rs ----
const SCRUB_LEN: usize = 4096;

#[inline(never)]
fn as_in_mfa(password: &[u8], salt: &[u8], iterations: u32) -> Zeroizing<[u8; 32]> {
    let mut derived = Zeroizing::new([0u8; 32]);
    derive(password, salt, iterations.max(1), &mut derived);
    scrub_stack();
    derived
}

#[inline(never)]
fn derive(password: &[u8], salt: &[u8], iterations: u32, out: &mut [u8; 32]) {
    ::pbkdf2::pbkdf2_hmac::<Sha256>(password, salt, iterations, out);
}

#[inline(never)]
fn scrub_stack() {
    let mut area = [0u8; SCRUB_LEN];
    area.zeroize();
    core::hint::black_box(&area);
}
// ---- end of the copy ----

/// The set `mfa_verify` checks against, made before the variants run, with
/// the stack cleared after it.
static SET: OnceLock<(mfa::RecoveryCodes, String)> = OnceLock::new();
/// The derived key, for `mfa_verify` to return.
static DK: OnceLock<[u8; 32]> = OnceLock::new();

fn policy() -> mfa::RecoveryPolicy {
    mfa::RecoveryPolicy::builder()
        .count(1)
        .iterations(ITERATIONS)
        .build()
        .expect("a valid policy")
}

fn make_set() -> (mfa::RecoveryCodes, String) {
    let mut n = 0u8;
    let fill = |buf: &mut [u8]| -> Result<(), ()> {
        n += 1;
        buf.fill(n);
        Ok(())
    };
    let (record, codes) = mfa::RecoveryCodes::generate_with(&policy(), 0, fill).expect("generates");
    (record, codes[0].expose().to_owned())
}

/// `mfa` itself: verifies the code through the public API (the derived
/// key is the stored hash, so it is returned for the check below).
#[inline(never)]
fn mfa_verify(_: &[u8], _: &[u8], _: u32) -> Zeroizing<[u8; 32]> {
    let (record, typed) = SET.get().expect("made in main");
    let (_, outcome) = black_box(record)
        .verify(&policy(), black_box(typed), 10)
        .into_parts();
    assert_eq!(outcome, Ok(()), "the code verifies");
    // Computed before: computing it here would leave the blocks behind.
    Zeroizing::new(*DK.get().expect("computed in main"))
}

/// The derived key of `CODE`, `SALT`, `ITERATIONS`.
fn dk() -> [u8; 32] {
    let mut dk = [0u8; 32];
    for block in &blocks(ITERATIONS) {
        for (d, b) in dk.iter_mut().zip(block) {
            *d ^= b;
        }
    }
    dk
}

/// `U_1 ..= U_c`, computed independently.
fn blocks(c: u32) -> Vec<[u8; 32]> {
    let prf = <Hmac<Sha256>>::new_from_slice(CODE).expect("any key length");
    let mut mac = prf.clone();
    mac.update(SALT);
    mac.update(&1u32.to_be_bytes());
    let mut u: [u8; 32] = mac.finalize_fixed().into();
    let mut all = vec![u];
    for _ in 1..c {
        let mut mac = prf.clone();
        mac.update(&u);
        u = mac.finalize_fixed().into();
        all.push(u);
    }
    all
}

const SCAN: usize = 64 * 1024;

/// Copies the `SCAN` bytes of stack below this frame.
#[inline(never)]
fn read_stack() -> Vec<u8> {
    let here = 0u8;
    let top = black_box(&here as *const u8) as usize;
    (0..SCAN)
        // SAFETY: not safe in Rust's terms (this memory belongs to no live
        // object); the stack is mapped there on Linux, and the read is
        // volatile so it happens as written. See the module docs.
        .map(|i| unsafe { core::ptr::read_volatile((top - SCAN + i) as *const u8) })
        .collect()
}

/// Overwrites the stack below, so one variant's residue is not seen in
/// the next.
#[inline(never)]
fn clear_stack() {
    let mut area = [0u8; SCAN];
    area.zeroize();
    black_box(&area);
}

type Kdf = fn(&[u8], &[u8], u32) -> Zeroizing<[u8; 32]>;

fn main() {
    let _ = SET.set(make_set());
    let u = blocks(ITERATIONS);
    let dk = dk();
    let _ = DK.set(dk);
    let c = u.len();
    let needles = [
        ("U_1", u[0]),
        ("U_c-1", u[c - 2]),
        ("U_c", u[c - 1]),
        ("DK", dk),
    ];
    let variants: [(&str, Kdf); 4] = [
        ("hand-written loop", hand_written),
        ("pbkdf2 crate alone", crate_alone),
        ("pbkdf2 crate + scrub (mfa)", as_in_mfa),
        ("RecoveryCodes::verify (mfa)", mfa_verify),
    ];
    let mut failed = false;
    for (name, kdf) in variants {
        clear_stack();
        let out = kdf(black_box(CODE), black_box(SALT), black_box(ITERATIONS));
        let stack = read_stack();
        assert_eq!(*out, dk, "{name} computes PBKDF2");
        let found: Vec<String> = needles
            .iter()
            .filter_map(|(what, value)| {
                let hits = stack.windows(8).filter(|w| *w == &value[..8]).count();
                (hits > 0).then(|| format!("{what} ×{hits}"))
            })
            .collect();
        println!(
            "{name:28} left on the stack: {}",
            if found.is_empty() {
                "nothing".into()
            } else {
                found.join(", ")
            }
        );
        // The derived key is what the record stores; a copy of it in the
        // returning frame tells nothing new. The `U_i` must be gone.
        failed |= name.ends_with("(mfa)") && found.iter().any(|f| f.starts_with('U'));
    }
    if failed {
        std::process::exit(1);
    }
}
