//! Redis for patchbay services that run several workers.
//!
//! [`RedisStore`] is a [`TokenStore`](patchbay_runtime::TokenStore) that
//! every worker of a service shares:
//!
//! - tokens are kept per connection key, encrypted at rest with
//!   XChaCha20-Poly1305 under a key the service provides ([`EncryptionKeys`]:
//!   each value names the id of its key, so keys rotate: any known id
//!   decrypts, the current one encrypts);
//! - the refresh lock is a lease (`SET … NX PX`), extended while its
//!   holder's refresh runs, released only by its holder, and fenced: a
//!   worker whose lease expired cannot write over the tokens a newer holder
//!   saved (the holder is checked and the tokens written in one script);
//! - a worker that finds the lease taken waits, then reads what the holder
//!   saved: one token request across all workers, for refreshes and for
//!   client-credentials tokens, which this store shares.
//!
//! [`RedisRateLimiter`] counts the connector's and each endpoint's rate
//! limit once for all the workers of an instance. A connection given a
//! `RedisStore` counts with the store's own, in the same Redis; one
//! without can be given one with
//! [`Connection::with_rate_limiter`](patchbay_runtime::Connection::with_rate_limiter).
//!
//! While a worker's token is good it asks Redis nothing: the runtime keeps
//! it in memory. Redis 7 is tested; only commands Valkey shares are used
//! (`GET`, `SET` with `NX PX GET`, `DEL`, `PEXPIRE`, `EVALSHA`/`EVAL`), but Valkey is
//! untested.
//!
//! ```no_run
//! # async fn example(connection: patchbay_runtime::Connection) -> Result<(), patchbay_redis::ConfigError> {
//! use std::sync::Arc;
//!
//! use patchbay_redis::{EncryptionKeys, RedisStore};
//!
//! // 32 bytes from the service's secret manager, base64, under an id.
//! let keys = EncryptionKeys::from_base64("2026-11", "q2Vx…base64…")?;
//! let store = RedisStore::connect("rediss://:password@redis.internal:6380/0", keys).await?;
//! let connection = connection.with_store(Arc::new(store), "shop/oauth/customer-42");
//! # let _ = connection;
//! # Ok(()) }
//! ```

#![warn(missing_docs)]

mod keys;
mod rate_limit;
mod store;

pub use keys::EncryptionKeys;
pub use rate_limit::{DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisRateLimiter};
pub use store::{RedisStore, RedisStoreOptions};

/// A store that cannot be set up: a bad URL or key, or Redis out of
/// reach. The message names what to fix and never holds a password or a
/// key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The Redis URL is not one the client accepts.
    #[error(
        "the Redis URL is not valid ({0}); use redis://[:password@]host[:port][/db] or rediss:// for TLS"
    )]
    Url(String),
    /// An encryption key is not usable.
    #[error("encryption key `{id}`: {problem}")]
    Key {
        /// The key's id.
        id: String,
        /// What is wrong with it.
        problem: String,
    },
    /// Redis could not be reached or refused the connection.
    #[error("cannot connect to Redis: {0}")]
    Connect(String),
}
