#![doc = include_str!("../README.md")]
#![no_std]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

extern crate alloc;
#[cfg(feature = "std")]
extern crate std;

mod algorithm;
mod all_errors;
#[cfg(feature = "serde")]
mod b64;
mod base32;
#[cfg(feature = "std")]
mod clock;
mod code;
mod error;
mod flow;
mod hotp;
mod mac;
#[cfg(feature = "qr")]
#[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
mod qr;
mod record;
mod run;
#[cfg(feature = "seal")]
#[cfg_attr(docsrs, doc(cfg(feature = "seal")))]
mod seal;
mod secret;
mod totp;
mod uri;
mod window;

pub use algorithm::Algorithm;
pub use all_errors::Error;
#[cfg(feature = "std")]
pub use clock::unix_now;
pub use code::{Code, Digits};
pub use error::{CodeError, ParamError, SecretError, TimeError, VerifyError};
pub use error::{MigrationError, UriError};
pub use flow::{
    AccountId, AdminId, Audit, FactorId, FactorName, MAX_FACTORS, NameError, NamedFactor, Reason,
};
pub use flow::{
    Awaiting, Begun, Credential, DeviceId, DeviceToken, DeviceTokenError, Effect, Either,
    EitherFactor, Enrollment, ErrorKind, Event, Factor, FlowError, FlowPolicy, FlowPolicyBuilder,
    Flows, Parts, Persist, Prompt, Protection, Scenario, SmsFactor, SmsRecord, TotpFactor,
    Transition, TrustedDevice, Verification, Verified,
};
pub use hotp::{Hotp, HotpConfig, HotpConfigBuilder, HotpMatch};
#[cfg(feature = "std")]
pub use record::MemoryStore;
pub use record::{
    Attempt, Cas, HotpRecord, Store, StoreError, TotpRecord, VerifyFailure, Versioned,
};
pub use record::{BudgetId, BudgetLimits, PrefixBudget, SendBudget, SmsBudgets};
pub use record::{
    Channel, Destination, DestinationError, EmailAddress, OobCode, OobDelivery, OobError, OobKey,
    OobPolicy, OobPolicyBuilder, OobRecord, PendingCode, PhoneNumber, RecoveryCode, RecoveryCodes,
    RecoveryError, RecoveryPolicy, RecoveryPolicyBuilder,
};
pub use record::{Refused, Throttle, ThrottlePolicy, ThrottlePolicyBuilder};
#[cfg(feature = "std")]
pub use run::block_on;
pub use run::{AsyncStore, MAX_TRIES, Ran, load, load_blocking, run, run_blocking};
#[cfg(feature = "codec")]
#[cfg_attr(docsrs, doc(cfg(feature = "codec")))]
pub use run::{CodecError, RecordCodec, StoredRecord};
pub use run::{spend_budget, spend_budgets, spend_budgets_blocking};
#[cfg(feature = "seal")]
#[cfg_attr(docsrs, doc(cfg(feature = "seal")))]
pub use seal::{Keyring, SealError, SealingKey};
pub use secret::Secret;
pub use totp::{Totp, TotpConfig, TotpConfigBuilder, TotpMatch};
pub use uri::{KeyUri, MigrationBatch, OtpType, RefusedKey};
pub use window::Window;
#[cfg(feature = "qr")]
#[cfg_attr(docsrs, doc(cfg(feature = "qr")))]
pub use {error::QrError, qr::ErrorCorrection, qr::QrCode};
