#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod algorithm;
mod base32;
#[cfg(feature = "std")]
mod clock;
mod code;
mod error;
mod hotp;
mod mac;
mod record;
mod secret;
mod totp;
mod window;

pub use algorithm::Algorithm;
#[cfg(feature = "std")]
pub use clock::unix_now;
pub use code::{Code, Digits};
pub use error::{CodeError, Error, ParamError, SecretError, TimeError, VerifyError};
pub use hotp::{Hotp, HotpConfig, HotpMatch};
pub use record::{Refused, Throttle, ThrottlePolicy};
pub use secret::Secret;
pub use totp::{Totp, TotpConfig, TotpMatch};
pub use window::Window;
