//! The `seal` target's key ring, shared with the seed maker
//! (`fuzz/examples/seeds.rs`) so that seeds can hold genuinely sealed
//! values: key 2 seals, key 1 still opens (a rotation in progress).
#![allow(dead_code)]

use mfa::{Keyring, SealingKey};

/// The id of the key that seals.
pub const CURRENT: u32 = 2;

/// The ring: key 2 (`[2; 32]`) current, key 1 (`[1; 32]`) old.
pub fn keyring() -> Keyring {
    let old = SealingKey::from_bytes(1, &[1; 32]).expect("key 1");
    let current = SealingKey::from_bytes(CURRENT, &[2; 32]).expect("key 2");
    Keyring::new(current).with_old_key(old).expect("a ring")
}

/// A ring of key 1 alone: what sealed the values key 1 opens.
pub fn old_ring() -> Keyring {
    Keyring::new(SealingKey::from_bytes(1, &[1; 32]).expect("key 1"))
}
