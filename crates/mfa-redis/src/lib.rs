#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_cfg))]

mod error;
mod store;

pub use error::RedisStoreError;
pub use store::{DEFAULT_PREFIX, RedisStore};

/// The `redis` crate this store is built on, so that a host names the same
/// version when it makes its connection.
pub use redis;
