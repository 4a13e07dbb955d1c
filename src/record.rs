//! Layer 2: factor records, the state that must survive between requests
//! and across service instances, and the rules that keep an attacker out.
//!
//! Every record is plain data that the host persists; every operation is a
//! pure function of (record, input, now) that returns the outcome and the
//! new record, so the host writes it in one atomic compare-and-set step.

mod throttle;

pub use throttle::{Refused, Throttle, ThrottlePolicy};
