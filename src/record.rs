//! Layer 2: factor records, the state that must survive between requests
//! and across service instances, and the rules that keep an attacker out.
//!
//! Every record is plain data that the host persists; every operation is a
//! pure function of (record, input, now) that returns the outcome and the
//! new record, so the host writes it in one atomic compare-and-set step.

mod attempt;
mod hotp;
#[cfg(feature = "std")]
mod memory;
mod oob;
mod recovery;
mod store;
mod throttle;
mod totp;

pub use attempt::{Attempt, VerifyFailure};
pub use hotp::HotpRecord;
#[cfg(feature = "std")]
pub use memory::MemoryStore;
pub(crate) use oob::is_invisible;
pub use oob::{BudgetId, BudgetLimits, PrefixBudget, SendBudget, SmsBudgets};
pub use oob::{
    Channel, Destination, DestinationError, EmailAddress, OobCode, OobDelivery, OobError, OobKey,
    OobPolicy, OobPolicyBuilder, OobRecord, PendingCode, PhoneNumber,
};
pub use recovery::{
    RecoveryCode, RecoveryCodes, RecoveryError, RecoveryPolicy, RecoveryPolicyBuilder,
};
pub use store::{Cas, Store, StoreError, Versioned};
pub use throttle::{Refused, Throttle, ThrottlePolicy, ThrottlePolicyBuilder};
pub use totp::TotpRecord;
