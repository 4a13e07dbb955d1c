//! What the tests share: the server, and a key prefix of the test's own
//! whose keys are deleted when the test ends, passed or failed.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mfa_redis::redis::{
    self,
    aio::{ConnectionManager, ConnectionManagerConfig},
};

/// The server: `MFA_REDIS_URL`, by default the local one.
pub fn url() -> String {
    std::env::var("MFA_REDIS_URL").unwrap_or_else(|_| "redis://127.0.0.1:6379/".to_owned())
}

/// A connection of its own, as another service instance would have.
///
/// With a response timeout of 30 s, not `redis`'s 500 ms: the suite's
/// 1,000 tasks on two cores in a debug build keep the connection's task
/// waiting longer than that for its turn.
pub async fn connection() -> ConnectionManager {
    let config = ConnectionManagerConfig::new().set_response_timeout(Some(Duration::from_secs(30)));
    redis::Client::open(url())
        .expect("a Redis URL")
        .get_connection_manager_with_config(config)
        .await
        .unwrap_or_else(|e| panic!("no Redis server at {}: {e}", url()))
}

/// A prefix no other test or run uses; its keys are deleted on drop, so
/// also when the test panics.
#[derive(Debug)]
pub struct Prefix(pub String);

impl Prefix {
    pub fn new(test: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos();
        Self(format!(
            "mfa-redis-test:{}:{nanos}:{test}:",
            std::process::id()
        ))
    }

    /// The keys under the prefix, now.
    pub fn keys(&self, c: &mut redis::Connection) -> redis::RedisResult<Vec<String>> {
        redis::cmd("KEYS").arg(format!("{}*", self.0)).query(c)
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        // Blocking: a drop cannot await, and may run while unwinding.
        let Ok(mut c) = redis::Client::open(url()).and_then(|client| client.get_connection())
        else {
            return;
        };
        if let Ok(keys) = self.keys(&mut c)
            && !keys.is_empty()
        {
            let _ = redis::cmd("DEL").arg(&keys).query::<u64>(&mut c);
        }
    }
}
