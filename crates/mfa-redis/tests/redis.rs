//! `RedisStore` against a real server (`MFA_REDIS_URL`, by default
//! `redis://127.0.0.1:6379/`): the key layout, the scripts' atomicity on
//! two connections, versions at the edges of `u64`, damaged hashes, key
//! rotation, and the runner end to end.
//!
//! Every test writes under a prefix of its own and deletes its keys at the
//! end, passed or failed.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::arithmetic_side_effects
)]

mod common;

use std::sync::Arc;

use common::{Prefix, connection};
use mfa::{
    AsyncStore, Cas, CodecError, Destination, Effect, Enrollment, FlowError, FlowPolicy, Flows,
    Keyring, OobKey, Protection, RecordCodec, Scenario, SealingKey, TotpFactor, TotpRecord,
};
use mfa_redis::redis;
use mfa_redis::{RedisStore, RedisStoreError};
use tokio::sync::Barrier;

type Account = Protection<TotpRecord>;

fn codec(key: &SealingKey) -> RecordCodec {
    RecordCodec::new(Keyring::new(key.clone()))
}

async fn store(prefix: &Prefix, key: &SealingKey) -> RedisStore {
    RedisStore::new(connection().await, codec(key)).with_prefix(&prefix.0)
}

/// The raw fields of `id`'s hash.
async fn raw(store: &RedisStore, id: &str) -> (Option<String>, Option<Vec<u8>>) {
    let mut c = store.connection().clone();
    redis::cmd("HMGET")
        .arg(store.key(id))
        .arg("v")
        .arg("r")
        .query_async(&mut c)
        .await
        .unwrap()
}

async fn hset(store: &RedisStore, id: &str, field: &str, value: &[u8]) {
    let mut c = store.connection().clone();
    let _: u64 = redis::cmd("HSET")
        .arg(store.key(id))
        .arg(field)
        .arg(value)
        .query_async(&mut c)
        .await
        .unwrap();
}

/// A new account record at `version` (only the flows bump it; tests set
/// it through the serialized form).
fn at_version(version: u64) -> Account {
    let mut json = serde_json::to_value(Account::new().unwrap()).unwrap();
    json["version"] = version.into();
    serde_json::from_value(json).unwrap()
}

#[tokio::test]
async fn one_hash_per_account_with_the_version_in_clear_and_the_record_sealed() {
    let key = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("layout");
    let store = store(&prefix, &key).await;
    let account = at_version(41);

    assert_eq!(store.load("ada").await.unwrap(), None::<Account>);
    assert_eq!(store.insert("ada", &account).await.unwrap(), Cas::Committed);
    assert_eq!(store.load("ada").await.unwrap(), Some(account.clone()));

    let mut c = store.connection().clone();
    let kind: String = redis::cmd("TYPE")
        .arg(store.key("ada"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(kind, "hash");
    let fields: Vec<String> = redis::cmd("HKEYS")
        .arg(store.key("ada"))
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(fields.len(), 2);
    let (version, sealed) = raw(&store, "ada").await;
    assert_eq!(version.as_deref(), Some("41"));
    let sealed = sealed.unwrap();
    // The sealed form: format 1, then key id 1, big-endian.
    assert_eq!(sealed[..5], [1, 0, 0, 0, 1]);
    assert!(store.codec().keys().is_current(&sealed));
    // Neither the record's JSON nor any piece of it is in clear.
    let json = serde_json::to_vec(&account).unwrap();
    assert!(!sealed.windows(12).any(|w| json.windows(12).any(|j| j == w)));
    assert!(!sealed.windows(9).any(|w| w == b"\"version\""));
}

#[tokio::test]
async fn insert_writes_only_where_there_is_nothing() {
    let key = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("insert");
    let store = store(&prefix, &key).await;
    let first = at_version(0);
    let second = at_version(0);

    assert_eq!(store.insert("ada", &first).await.unwrap(), Cas::Committed);
    assert_eq!(store.insert("ada", &second).await.unwrap(), Cas::Conflict);
    assert_eq!(store.load("ada").await.unwrap(), Some(first));
    // A key of another type is not overwritten either.
    let mut c = store.connection().clone();
    let _: () = redis::cmd("SET")
        .arg(store.key("bob"))
        .arg("not ours")
        .query_async(&mut c)
        .await
        .unwrap();
    assert_eq!(store.insert("bob", &second).await.unwrap(), Cas::Conflict);
}

#[tokio::test]
async fn compare_and_set_writes_only_at_the_expected_version() {
    let key = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("cas");
    let store = store(&prefix, &key).await;
    let (v0, v1, v2) = (at_version(0), at_version(1), at_version(2));

    // No record: nothing to compare with.
    assert_eq!(
        store.compare_and_set("ada", 0, &v1).await.unwrap(),
        Cas::Conflict
    );
    assert_eq!(store.load("ada").await.unwrap(), None::<Account>);

    let _ = store.insert("ada", &v0).await.unwrap();
    assert_eq!(
        store.compare_and_set("ada", 1, &v2).await.unwrap(),
        Cas::Conflict
    );
    assert_eq!(
        store.compare_and_set("ada", 0, &v1).await.unwrap(),
        Cas::Committed
    );
    assert_eq!(
        store.compare_and_set("ada", 0, &v1).await.unwrap(),
        Cas::Conflict
    );
    assert_eq!(store.load("ada").await.unwrap(), Some(v1));
    assert_eq!(raw(&store, "ada").await.0.as_deref(), Some("1"));
}

#[tokio::test]
async fn versions_are_compared_exactly_up_to_u64_max_and_wrap() {
    let key = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("wrap");
    let store = store(&prefix, &key).await;

    // 2^53 + 1 is 2^53 as a double: the script compares strings.
    let big = (1u64 << 53) + 1;
    let _ = store.insert("ada", &at_version(big)).await.unwrap();
    assert_eq!(
        store
            .compare_and_set("ada", big - 1, &at_version(big))
            .await
            .unwrap(),
        Cas::Conflict
    );
    assert_eq!(
        store
            .compare_and_set("ada", big, &at_version(big + 1))
            .await
            .unwrap(),
        Cas::Committed
    );

    let top = at_version(u64::MAX);
    let _ = store.insert("bob", &top).await.unwrap();
    assert_eq!(
        raw(&store, "bob").await.0.as_deref(),
        Some("18446744073709551615")
    );
    assert_eq!(store.load("bob").await.unwrap(), Some(top));
    assert_eq!(
        store
            .compare_and_set("bob", u64::MAX - 1, &at_version(0))
            .await
            .unwrap(),
        Cas::Conflict
    );
    let wrapped = at_version(0);
    assert_eq!(
        store
            .compare_and_set("bob", u64::MAX, &wrapped)
            .await
            .unwrap(),
        Cas::Committed
    );
    assert_eq!(raw(&store, "bob").await.0.as_deref(), Some("0"));
    assert_eq!(store.load("bob").await.unwrap(), Some(wrapped));
}

#[tokio::test]
async fn two_connections_racing_on_one_version_commit_exactly_once() {
    const ROUNDS: u64 = 200;
    let key = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("race");
    let a = store(&prefix, &key).await;
    // Another connection, as another service instance would have.
    let b = RedisStore::new(connection().await, codec(&key)).with_prefix(a.prefix());
    let _ = a.insert("ada", &at_version(0)).await.unwrap();

    let barrier = Arc::new(Barrier::new(2));
    for round in 0..ROUNDS {
        let (mine, theirs) = (at_version(round + 1), at_version(round + 1));
        let race = |store: RedisStore, record: Account| {
            let barrier = Arc::clone(&barrier);
            tokio::spawn(async move {
                barrier.wait().await;
                let cas = store.compare_and_set("ada", round, &record).await.unwrap();
                (cas, record)
            })
        };
        let ta = race(a.clone(), mine);
        let tb = race(b.clone(), theirs);
        let (ra, rb) = (ta.await.unwrap(), tb.await.unwrap());
        let winner = match (ra, rb) {
            ((Cas::Committed, w), (Cas::Conflict, _))
            | ((Cas::Conflict, _), (Cas::Committed, w)) => w,
            other => panic!("round {round}: {:?} and {:?}", other.0.0, other.1.0),
        };
        assert_eq!(b.load("ada").await.unwrap(), Some(winner), "round {round}");
    }
    assert_eq!(raw(&a, "ada").await.0, Some(ROUNDS.to_string()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_runner_enrolls_through_redis_and_16_racing_tasks_lose_no_update() {
    let key = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("run");
    let store = Arc::new(store(&prefix, &key).await);
    let flows = Arc::new(
        Flows::new(
            TotpFactor::new("Example Co").unwrap(),
            OobKey::generate().unwrap(),
            FlowPolicy::default(),
        )
        .unwrap(),
    );
    let email = Destination::email("ada@example.com").unwrap();
    let now = 1_700_000_000;

    // First visit: the runner inserts the account, then writes the step.
    let ran = mfa::run(&*store, "ada", |account| {
        Enrollment::start(
            &flows,
            account,
            &[Scenario::LogOn],
            std::slice::from_ref(&email),
            &email,
            now,
        )
    })
    .await;
    ran.result.unwrap();
    assert!(matches!(ran.effects.as_slice(), [Effect::Deliver(_)]));
    let account: Account = store.load("ada").await.unwrap().unwrap();
    assert_eq!(account.version(), 1);

    // 16 tasks start an enrollment on "bob" at once: every run that says
    // it went through wrote one version, and none of them is lost.
    let barrier = Arc::new(Barrier::new(16));
    let tasks: Vec<_> = (0..16)
        .map(|_| {
            let (store, flows, email, barrier) = (
                Arc::clone(&store),
                Arc::clone(&flows),
                email.clone(),
                Arc::clone(&barrier),
            );
            tokio::spawn(async move {
                barrier.wait().await;
                mfa::run(&*store, "bob", |account| {
                    Enrollment::start(
                        &flows,
                        account,
                        &[Scenario::LogOn],
                        std::slice::from_ref(&email),
                        &email,
                        now,
                    )
                })
                .await
                .result
            })
        })
        .collect();
    let mut written = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(()) => written += 1,
            // Busy after losing every race, or refused by the flow (a code
            // was just sent): nothing written.
            Err(e @ (FlowError::Storage(_) | FlowError::Internal(_))) => panic!("{e}"),
            Err(_) => {}
        }
    }
    let bob: Account = store.load("bob").await.unwrap().unwrap();
    assert!(written >= 1);
    assert_eq!(bob.version(), written, "each written run is one version");
}

#[tokio::test]
async fn a_damaged_hash_is_an_error_not_a_record() {
    let key = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("damaged");
    let store = store(&prefix, &key).await;
    let corrupt = |r: Result<Option<Account>, RedisStoreError>| {
        assert!(matches!(r, Err(RedisStoreError::Corrupt(_))), "{r:?}");
    };

    let _ = store.insert("ada", &at_version(7)).await.unwrap();
    for bad in [&b"07"[..], b"+7", b"seven", b"8"] {
        hset(&store, "ada", "v", bad).await;
        corrupt(store.load("ada").await);
    }
    hset(&store, "ada", "v", b"7").await;
    let fixed: Option<Account> = store.load("ada").await.unwrap();
    assert_eq!(fixed.map(|a| a.version()), Some(7));

    let mut c = store.connection().clone();
    let _: u64 = redis::cmd("HDEL")
        .arg(store.key("ada"))
        .arg("r")
        .query_async(&mut c)
        .await
        .unwrap();
    corrupt(store.load("ada").await);

    // A record moved from another account's key does not open.
    let _ = store.insert("bob", &at_version(0)).await.unwrap();
    let (_, bobs) = raw(&store, "bob").await;
    hset(&store, "ada", "r", &bobs.unwrap()).await;
    hset(&store, "ada", "v", b"0").await;
    let moved: Result<Option<Account>, _> = store.load("ada").await;
    assert!(
        matches!(moved, Err(RedisStoreError::Codec(CodecError::Seal(_)))),
        "{moved:?}"
    );

    // A key of another type: the server's error.
    let _: () = redis::cmd("SET")
        .arg(store.key("eve"))
        .arg("x")
        .query_async(&mut c)
        .await
        .unwrap();
    let wrong: Result<Option<Account>, _> = store.load("eve").await;
    assert!(matches!(wrong, Err(RedisStoreError::Redis(_))), "{wrong:?}");
}

#[tokio::test]
async fn records_under_an_old_key_open_and_are_resealed_on_their_next_write() {
    let old = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("rotate");
    let before = store(&prefix, &old).await;
    let _ = before.insert("ada", &at_version(0)).await.unwrap();

    let ring = Keyring::new(SealingKey::generate(2).unwrap())
        .with_old_key(old)
        .unwrap();
    let after =
        RedisStore::new(connection().await, RecordCodec::new(ring)).with_prefix(before.prefix());
    let loaded: Account = after.load("ada").await.unwrap().unwrap();
    assert!(
        !after
            .codec()
            .keys()
            .is_current(&raw(&after, "ada").await.1.unwrap())
    );
    assert_eq!(
        after
            .compare_and_set("ada", 0, &at_version(1))
            .await
            .unwrap(),
        Cas::Committed
    );
    let sealed = raw(&after, "ada").await.1.unwrap();
    assert!(after.codec().keys().is_current(&sealed));
    assert_eq!(sealed[..5], [1, 0, 0, 0, 2]);
    // The store with only the old key no longer opens it.
    let stale: Result<Option<Account>, _> = before.load("ada").await;
    assert!(matches!(
        stale,
        Err(RedisStoreError::Codec(CodecError::Seal(_)))
    ));
    drop(loaded);
}

#[tokio::test]
async fn remove_deletes_the_hash() {
    let key = SealingKey::generate(1).unwrap();
    let prefix = Prefix::new("remove");
    let store = store(&prefix, &key).await;
    let _ = store.insert("ada", &at_version(0)).await.unwrap();
    assert!(store.remove("ada").await.unwrap());
    assert!(!store.remove("ada").await.unwrap());
    assert_eq!(raw(&store, "ada").await, (None, None));
}

#[test]
fn debug_shows_no_key() {
    let key = SealingKey::generate(9).unwrap();
    let secret = key.expose_base64().to_string();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let prefix = Prefix::new("debug");
    let store = runtime.block_on(store(&prefix, &key));
    let shown = format!("{store:?}");
    assert!(
        shown.starts_with("RedisStore { prefix: \"mfa-redis-test:"),
        "{shown}"
    );
    assert!(shown.contains('9') && !shown.contains(&secret), "{shown}");
}
