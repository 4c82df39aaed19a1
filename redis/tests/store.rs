//! The Redis store against a real Redis, in one process: values encrypted
//! at rest, rotation of keys, tampered values, and the lease (exclusive,
//! extended while held, fenced once lost, released only by its holder).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{PASSWORD, RedisServer};
use patchbay_redis::{EncryptionKeys, RedisStore, RedisStoreOptions};
use patchbay_runtime::{StoredToken, TokenStore};

const KEY: &str = "shop/code/customer-7";

fn token(access: &str) -> StoredToken {
    StoredToken {
        access_token: access.to_owned(),
        refresh_token: Some(format!("{access}-refresh")),
        token_type: Some("Bearer".to_owned()),
        expires_at: Some(2_000_000_000),
        expires_at_millis: Some(250),
        lifetime: Some(3600),
        scope: None,
        captures: BTreeMap::new(),
        discovered: [("cloud_id".to_owned(), serde_json::json!("c-1"))]
            .into_iter()
            .collect(),
        candidates: Vec::new(),
    }
}

fn old_key() -> EncryptionKeys {
    EncryptionKeys::new("2026-01", &[1u8; 32]).unwrap()
}

fn new_key() -> EncryptionKeys {
    EncryptionKeys::new("2026-07", &[2u8; 32]).unwrap()
}

async fn connect(redis: &RedisServer, keys: EncryptionKeys, lease: Duration) -> RedisStore {
    let options = RedisStoreOptions::default()
        .with_lease(lease)
        .with_wait_limit(Duration::from_secs(5))
        .with_timeout(Duration::from_millis(500));
    RedisStore::connect_with(&redis.url(), keys, options)
        .await
        .unwrap()
}

async fn save(store: &RedisStore, token: &StoredToken) {
    let lease = store.lock(KEY).await.unwrap();
    lease.save(token).await.unwrap();
    lease.release().await.unwrap();
}

/// A plain client on the same Redis, to look at and change raw values.
async fn raw(redis: &RedisServer) -> redis::aio::MultiplexedConnection {
    redis::Client::open(redis.url())
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap()
}

async fn raw_get(redis: &RedisServer, key: &str) -> Option<String> {
    redis::cmd("GET")
        .arg(key)
        .query_async(&mut raw(redis).await)
        .await
        .unwrap()
}

async fn raw_set(redis: &RedisServer, key: &str, value: &str) {
    let () = redis::cmd("SET")
        .arg(key)
        .arg(value)
        .query_async(&mut raw(redis).await)
        .await
        .unwrap();
}

const TOKENS: &str = "patchbay:{shop/code/customer-7}:tokens";
const LEASE: &str = "patchbay:{shop/code/customer-7}:lease";

#[tokio::test]
async fn tokens_are_encrypted_at_rest_and_read_back_whole() {
    let redis = RedisServer::start("at-rest");
    let store = connect(&redis, old_key(), Duration::from_secs(5)).await;
    assert_eq!(store.load(KEY).await.unwrap(), None);
    save(&store, &token("SENTINEL-access")).await;
    let raw = raw_get(&redis, TOKENS).await.unwrap();
    assert!(raw.starts_with("pb1:2026-01:"), "{raw}");
    assert!(!raw.contains("SENTINEL") && !raw.contains("c-1"), "{raw}");
    assert_eq!(
        store.load(KEY).await.unwrap(),
        Some(token("SENTINEL-access"))
    );
    assert!(store.shares_client_tokens());
    // Deleting goes through the lease too.
    let lease = store.lock(KEY).await.unwrap();
    lease.delete().await.unwrap();
    lease.release().await.unwrap();
    assert_eq!(store.load(KEY).await.unwrap(), None);
}

#[tokio::test]
async fn keys_rotate_old_values_read_with_a_previous_key_and_new_ones_use_the_current() {
    let redis = RedisServer::start("rotate");
    let old = connect(&redis, old_key(), Duration::from_secs(5)).await;
    save(&old, &token("a-1")).await;

    let without_old = connect(&redis, new_key(), Duration::from_secs(5)).await;
    let message = without_old.load(KEY).await.unwrap_err().to_string();
    assert!(
        message.contains("encrypted with key `2026-01`"),
        "{message}"
    );
    assert!(message.contains("it has: 2026-07"), "{message}");
    assert!(message.contains("with_previous"), "{message}");
    // An unknown key is not a logout: the value is still there.
    assert!(raw_get(&redis, TOKENS).await.is_some());

    let rotated = new_key().with_previous("2026-01", &[1u8; 32]).unwrap();
    let rotated = connect(&redis, rotated, Duration::from_secs(5)).await;
    assert_eq!(rotated.load(KEY).await.unwrap(), Some(token("a-1")));
    save(&rotated, &token("a-2")).await;
    assert!(
        raw_get(&redis, TOKENS)
            .await
            .unwrap()
            .starts_with("pb1:2026-07:")
    );
    assert_eq!(without_old.load(KEY).await.unwrap(), Some(token("a-2")));
}

#[tokio::test]
async fn a_tampered_value_is_a_clear_error_and_is_kept() {
    let redis = RedisServer::start("tamper");
    let store = connect(&redis, old_key(), Duration::from_secs(5)).await;
    save(&store, &token("a-1")).await;
    let sealed = raw_get(&redis, TOKENS).await.unwrap();

    // One character of the ciphertext changed.
    let mut changed = sealed.clone().into_bytes();
    let last = changed.len() - 3;
    changed[last] = if changed[last] == b'A' { b'B' } else { b'A' };
    let changed = String::from_utf8(changed).unwrap();
    raw_set(&redis, TOKENS, &changed).await;
    let message = store.load(KEY).await.unwrap_err().to_string();
    assert!(
        message.contains("fail authentication with key `2026-01`"),
        "{message}"
    );
    assert!(message.contains("nothing was used or deleted"), "{message}");
    assert_eq!(
        raw_get(&redis, TOKENS).await.as_deref(),
        Some(changed.as_str())
    );

    // The value of another connection copied over this one.
    let other = "patchbay:{shop/code/customer-8}:tokens";
    raw_set(&redis, other, &sealed).await;
    let copied: Option<String> = raw_get(&redis, other).await;
    let copied_store = store.clone();
    let message = copied_store
        .load("shop/code/customer-8")
        .await
        .unwrap_err()
        .to_string();
    assert!(
        message.contains("fail authentication"),
        "{message} ({copied:?})"
    );

    // Not a value this store writes at all.
    for junk in [
        "{\"access_token\":\"plain\"}",
        "pb1:../../etc:AAAA",
        "",
        "pb1:2026-01:!!",
    ] {
        raw_set(&redis, TOKENS, junk).await;
        let message = store.load(KEY).await.unwrap_err().to_string();
        assert!(
            message.contains("not a value patchbay wrote")
                || message.contains("fail authentication"),
            "{junk:?}: {message}"
        );
        assert!(!message.contains("plain"), "{message}");
    }
}

#[tokio::test]
async fn a_lease_is_exclusive_and_extended_while_held() {
    let redis = RedisServer::start("lease");
    let store = connect(&redis, old_key(), Duration::from_millis(600)).await;
    let held = store.lock(KEY).await.unwrap();
    let other = store.clone();
    let waiter = tokio::spawn(async move {
        let started = tokio::time::Instant::now();
        let lease = other.lock(KEY).await.unwrap();
        lease.release().await.unwrap();
        started.elapsed()
    });
    // Three lease times: only extensions keep it.
    tokio::time::sleep(Duration::from_millis(1800)).await;
    assert!(!waiter.is_finished(), "the lease was not extended");
    held.save(&token("held")).await.unwrap();
    held.release().await.unwrap();
    let waited = tokio::time::timeout(Duration::from_secs(2), waiter)
        .await
        .unwrap()
        .unwrap();
    assert!(waited >= Duration::from_millis(1800), "{waited:?}");
    assert_eq!(raw_get(&redis, LEASE).await, None, "released");
}

#[tokio::test]
async fn a_holder_whose_lease_ended_cannot_write_over_the_next_holders_tokens() {
    let redis = RedisServer::start("fence");
    let store = connect(&redis, old_key(), Duration::from_millis(500)).await;
    save(&store, &token("first")).await;
    let stalled = store.lock(KEY).await.unwrap();
    // The holder stalls (a pause, a partition): its lease ends without an
    // extension, and another worker takes it.
    let () = redis::cmd("DEL")
        .arg(LEASE)
        .query_async(&mut raw(&redis).await)
        .await
        .unwrap();
    let next = store.lock(KEY).await.unwrap();
    next.save(&token("newer")).await.unwrap();

    let message = stalled.save(&token("stale")).await.unwrap_err().to_string();
    assert!(
        message.contains("ended before this worker could save"),
        "{message}"
    );
    let message = stalled.delete().await.unwrap_err().to_string();
    assert!(message.contains("could delete"), "{message}");
    // Its release leaves the other holder's lease alone.
    stalled.release().await.unwrap();
    assert!(
        raw_get(&redis, LEASE).await.is_some(),
        "the stale holder released another's lease"
    );
    next.release().await.unwrap();
    assert_eq!(store.load(KEY).await.unwrap(), Some(token("newer")));
}

#[tokio::test]
async fn a_lease_held_too_long_is_a_clear_error_for_the_waiter() {
    let redis = RedisServer::start("wait");
    let options = RedisStoreOptions::default()
        .with_lease(Duration::from_secs(5))
        .with_wait_limit(Duration::from_millis(300));
    let store = RedisStore::connect_with(&redis.url(), old_key(), options)
        .await
        .unwrap();
    let _held = store.lock(KEY).await.unwrap();
    let message = store.lock(KEY).await.err().unwrap().to_string();
    assert!(
        message.contains("another worker has held the token lease"),
        "{message}"
    );
}

#[tokio::test]
async fn connection_errors_never_show_the_password() {
    let redis = RedisServer::start("password");
    let url = redis.url();
    drop(redis);
    let error = RedisStore::connect_with(
        &url,
        old_key(),
        RedisStoreOptions::default().with_timeout(Duration::from_millis(300)),
    )
    .await
    .unwrap_err()
    .to_string();
    assert!(error.contains("cannot connect to Redis"), "{error}");
    assert!(!error.contains(PASSWORD), "{error}");
    let bad = RedisStore::connect(&format!("http://:{PASSWORD}@x"), old_key())
        .await
        .unwrap_err()
        .to_string();
    assert!(
        bad.contains("not valid") && !bad.contains(PASSWORD),
        "{bad}"
    );
}
