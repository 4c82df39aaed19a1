//! The Redis token store. Per connection key `K` it keeps two Redis keys,
//! which share a hash tag so that a cluster puts them in one slot for the
//! scripts that touch both:
//!
//! - `<prefix>:{K}:tokens`: the tokens, encrypted ([`EncryptionKeys`]);
//! - `<prefix>:{K}:lease`: the lease, a random id of its holder with a
//!   time to live.
//!
//! A lease is taken with `SET … NX PX`; while it is held a task extends it
//! every third of its time; writes and the release go through scripts
//! that first check the lease is still this holder's.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use patchbay_runtime::{Error, RateLimiter, StoreFuture, StoreLease, StoredToken, TokenStore};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};
use redis::{RedisError, Script};
use tokio::task::JoinHandle;
use tokio::time::Instant;

use crate::ConfigError;
use crate::RedisRateLimiter;
use crate::keys::{EncryptionKeys, Unreadable};

/// How a [`RedisStore`] behaves; [`Default`] suits most services.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RedisStoreOptions {
    /// How long a lease lasts unless its holder extends it: the time other
    /// workers wait after a holder dies. Its holder extends it every third
    /// of it while a refresh runs. Default 10 s.
    pub lease: Duration,
    /// How long a worker waits for another worker's lease before its call
    /// fails. Default 30 s.
    pub wait_limit: Duration,
    /// The start of every Redis key, so that services (or tests) can share
    /// one Redis. Default `patchbay`.
    pub prefix: String,
    /// How long connecting, and each command, may take before it fails, so
    /// that calls fail quickly while Redis is out of reach. Default 2 s.
    pub timeout: Duration,
}

impl Default for RedisStoreOptions {
    fn default() -> Self {
        RedisStoreOptions {
            lease: Duration::from_secs(10),
            wait_limit: Duration::from_secs(30),
            prefix: "patchbay".to_owned(),
            timeout: Duration::from_secs(2),
        }
    }
}

impl RedisStoreOptions {
    /// These options with `lease` as the lease time.
    pub fn with_lease(mut self, lease: Duration) -> Self {
        self.lease = lease;
        self
    }

    /// These options with `wait_limit` as the longest wait for a lease.
    pub fn with_wait_limit(mut self, wait_limit: Duration) -> Self {
        self.wait_limit = wait_limit;
        self
    }

    /// These options with `prefix` starting every Redis key.
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// These options with `timeout` for connecting and for each command.
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// A token store in Redis, shared by every worker of a service: see the
/// [crate documentation](crate). Clones share one connection, which
/// reconnects by itself after Redis comes back.
#[derive(Clone)]
pub struct RedisStore {
    connection: ConnectionManager,
    keys: Arc<EncryptionKeys>,
    options: Arc<RedisStoreOptions>,
    /// The rate limit its connections share, in the same Redis.
    limiter: Arc<RedisRateLimiter>,
}

impl fmt::Debug for RedisStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RedisStore")
            .field("keys", &self.keys)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

/// Extends a lease that is still its holder's.
const EXTEND: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0";

/// Releases a lease that is still its holder's.
const RELEASE: &str = r"
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0";

/// Writes (ARGV[2]) or deletes (no ARGV[2]) the tokens, only while the
/// lease is still its holder's: the fence.
const FENCED_WRITE: &str = r"
if redis.call('GET', KEYS[1]) ~= ARGV[1] then
  return 0
end
if ARGV[2] then
  redis.call('SET', KEYS[2], ARGV[2])
else
  redis.call('DEL', KEYS[2])
end
return 1";

/// The first and longest pause between two tries of a taken lease.
const FIRST_PAUSE: Duration = Duration::from_millis(5);
const LONGEST_PAUSE: Duration = Duration::from_millis(100);

impl RedisStore {
    /// Connects to the Redis at `url` (`redis://[user][:password@]host[:port][/db]`,
    /// `rediss://` for TLS with the system's roots), with default options.
    pub async fn connect(url: &str, keys: EncryptionKeys) -> Result<Self, ConfigError> {
        Self::connect_with(url, keys, RedisStoreOptions::default()).await
    }

    /// [`RedisStore::connect`] with these options.
    pub async fn connect_with(
        url: &str,
        keys: EncryptionKeys,
        options: RedisStoreOptions,
    ) -> Result<Self, ConfigError> {
        // The client's message may quote the URL, password and all.
        let client =
            redis::Client::open(url).map_err(|e| ConfigError::Url(format!("{:?}", e.kind())))?;
        let limiter = RedisRateLimiter::new_with_timeout(client.clone(), options.timeout)
            .map_err(|e| ConfigError::Connect(e.to_string()))?
            .with_prefix(format!("{}:rate:", options.prefix));
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(options.timeout))
            .set_response_timeout(Some(options.timeout))
            .set_number_of_retries(2)
            .set_max_delay(Duration::from_millis(500));
        let connection = ConnectionManager::new_with_config(client, config)
            .await
            .map_err(|e| ConfigError::Connect(e.to_string()))?;
        Ok(RedisStore {
            connection,
            keys: Arc::new(keys),
            options: Arc::new(options),
            limiter: Arc::new(limiter),
        })
    }

    fn redis_key(&self, key: &str, what: &str) -> String {
        format!("{}:{{{key}}}:{what}", self.options.prefix)
    }

    /// Reads a stored value into tokens, or says clearly why not; the
    /// value is never deleted here, so a wrong key is not a logout.
    fn decode(&self, key: &str, value: &[u8]) -> patchbay_runtime::Result<StoredToken> {
        let plain = self.keys.open(key, value).map_err(|why| match why {
            Unreadable::NotOurs => Error::Store(format!(
                "the tokens of `{key}` in Redis are not a value patchbay wrote (`pb1:<key id>:…`): they were changed outside patchbay; restore them, or delete {} and log in again",
                self.redis_key(key, "tokens")
            )),
            Unreadable::UnknownKey(id) => Error::Store(format!(
                "the tokens of `{key}` in Redis are encrypted with key `{id}`, which this worker does not have (it has: {}); give it that key as a previous key (EncryptionKeys::with_previous)",
                self.keys.known_ids()
            )),
            Unreadable::Tampered(id) => Error::Store(format!(
                "the tokens of `{key}` in Redis fail authentication with key `{id}`: they were changed outside patchbay, or encrypted with another key under the same id; nothing was used or deleted"
            )),
        })?;
        // Only the place of a JSON error: its message can quote a value.
        serde_json::from_slice(&plain).map_err(|e| {
            Error::Store(format!(
                "the tokens of `{key}` in Redis decrypt but do not read as tokens ({:?} error at line {} column {})",
                e.classify(),
                e.line(),
                e.column()
            ))
        })
    }
}

/// A Redis failure, naming the operation and the connection.
fn redis_error(what: &str, key: &str, error: &RedisError) -> Error {
    let hint = if error.is_io_error() || error.is_timeout() || error.is_connection_dropped() {
        "; Redis is out of reach: calls that need a new token fail until it is back, and the connection recovers by itself"
    } else {
        ""
    };
    Error::Store(format!(
        "Redis could not {what} the tokens of `{key}`: {error}{hint}"
    ))
}

impl TokenStore for RedisStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async move {
            let tokens_key = self.redis_key(key, "tokens");
            let value: Option<Vec<u8>> = retried(&self.connection, |mut connection| {
                let command = redis::cmd("GET").arg(&tokens_key).clone();
                async move { command.query_async(&mut connection).await }
            })
            .await
            .map_err(|e| redis_error("read", key, &e))?;
            value.map(|value| self.decode(key, &value)).transpose()
        })
    }

    fn lock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Box<dyn StoreLease>> {
        Box::pin(async move {
            let lease = Lease::acquire(self, key).await?;
            Ok(Box::new(lease) as Box<dyn StoreLease>)
        })
    }

    fn shares_client_tokens(&self) -> bool {
        true
    }

    /// Workers sharing the tokens share the rate limit too: N workers of
    /// an instance counting separately would send N times its limit.
    fn rate_limiter(&self) -> Option<Arc<dyn RateLimiter>> {
        Some(self.limiter.clone())
    }
}

/// A held lease of one connection key.
struct Lease {
    store: RedisStore,
    key: String,
    lease_key: String,
    tokens_key: String,
    /// This holder's random id, the lease key's value while it holds it.
    holder: String,
    /// Set when an extension found the lease gone.
    lost: Arc<AtomicBool>,
    keeper: JoinHandle<()>,
    released: bool,
}

impl Lease {
    async fn acquire(store: &RedisStore, key: &str) -> patchbay_runtime::Result<Self> {
        let mut id = [0u8; 16];
        getrandom::fill(&mut id)
            .map_err(|e| Error::Store(format!("no random lease id for `{key}`: {e}")))?;
        let holder: String = id.iter().map(|b| format!("{b:02x}")).collect();
        let lease_key = store.redis_key(key, "lease");
        let millis = duration_millis(store.options.lease);
        let deadline = Instant::now() + store.options.wait_limit;
        let mut pause = FIRST_PAUSE;
        // `GET` returns the holder found (none: it was set), so that a
        // retry after a lost answer knows the lease is already its own.
        let take = redis::cmd("SET")
            .arg(&lease_key)
            .arg(&holder)
            .arg("NX")
            .arg("PX")
            .arg(millis)
            .arg("GET")
            .clone();
        loop {
            let found: Option<String> = retried(&store.connection, |mut connection| {
                let take = take.clone();
                async move { take.query_async(&mut connection).await }
            })
            .await
            .map_err(|e| redis_error("take the lease of", key, &e))?;
            if found.is_none_or(|found| found == holder) {
                break;
            }
            if Instant::now() >= deadline {
                return Err(Error::Store(format!(
                    "another worker has held the token lease of `{key}` for over {} s; if it hangs, its lease ends {} s after its last extension; raise RedisStoreOptions::wait_limit if its refreshes take this long",
                    store.options.wait_limit.as_secs_f32(),
                    store.options.lease.as_secs_f32()
                )));
            }
            // Jitter keeps waiting workers from asking in lockstep.
            tokio::time::sleep(pause + pause.mul_f64(fastrand::f64())).await;
            pause = (pause * 2).min(LONGEST_PAUSE);
        }
        let lost = Arc::new(AtomicBool::new(false));
        let keeper = tokio::spawn(keep(
            store.connection.clone(),
            lease_key.clone(),
            holder.clone(),
            store.options.lease,
            Arc::clone(&lost),
            key.to_owned(),
        ));
        Ok(Lease {
            store: store.clone(),
            key: key.to_owned(),
            tokens_key: store.redis_key(key, "tokens"),
            lease_key,
            holder,
            lost,
            keeper,
            released: false,
        })
    }

    /// Runs the fenced write: `value` written, or the tokens deleted.
    async fn fenced(&self, value: Option<String>, what: &str) -> patchbay_runtime::Result<()> {
        let script = Script::new(FENCED_WRITE);
        // Writing the same value twice is harmless: a lost answer is retried.
        let written: i64 = retried(&self.store.connection, |mut connection| {
            let mut invocation = script.key(&self.lease_key);
            invocation.key(&self.tokens_key).arg(&self.holder);
            if let Some(value) = &value {
                invocation.arg(value);
            }
            async move { invocation.invoke_async(&mut connection).await }
        })
        .await
        .map_err(|e| redis_error(what, &self.key, &e))?;
        if written == 1 {
            return Ok(());
        }
        self.lost.store(true, Ordering::Relaxed);
        Err(Error::Store(format!(
            "the token lease of `{}` ended before this worker could {what} its tokens (it stalled for over {} s, and another worker may hold the lease now), so nothing was written over newer tokens; raise RedisStoreOptions::lease if this recurs",
            self.key,
            self.store.options.lease.as_secs_f32()
        )))
    }
}

impl StoreLease for Lease {
    fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            let json = serde_json::to_vec(token).map_err(|e| {
                Error::Store(format!("cannot write the tokens of `{}`: {e}", self.key))
            })?;
            let sealed = self.store.keys.seal(&self.key, &json).map_err(|why| {
                Error::Store(format!(
                    "cannot encrypt the tokens of `{}`: {why}",
                    self.key
                ))
            })?;
            self.fenced(Some(sealed), "save").await
        })
    }

    fn delete(&self) -> StoreFuture<'_, ()> {
        Box::pin(self.fenced(None, "delete"))
    }

    fn release(mut self: Box<Self>) -> StoreFuture<'static, ()> {
        self.keeper.abort();
        self.released = true;
        let (connection, lease_key, holder, key) = (
            self.store.connection.clone(),
            self.lease_key.clone(),
            self.holder.clone(),
            self.key.clone(),
        );
        Box::pin(async move { release(connection, &lease_key, &holder, &key).await })
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.keeper.abort();
        if self.released {
            return;
        }
        // Dropped mid-way (a cancelled call): free it now rather than
        // making the others wait for it to expire.
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (connection, lease_key, holder, key) = (
                self.store.connection.clone(),
                self.lease_key.clone(),
                self.holder.clone(),
                self.key.clone(),
            );
            runtime.spawn(async move {
                if let Err(error) = release(connection, &lease_key, &holder, &key).await {
                    tracing::debug!(%error, "a dropped lease was not released; it will expire");
                }
            });
        }
    }
}

async fn release(
    connection: ConnectionManager,
    lease_key: &str,
    holder: &str,
    key: &str,
) -> patchbay_runtime::Result<()> {
    let script = Script::new(RELEASE);
    let _: i64 = retried(&connection, |mut connection| {
        let mut invocation = script.key(lease_key);
        invocation.arg(holder);
        async move { invocation.invoke_async(&mut connection).await }
    })
    .await
    .map_err(|e| redis_error("release the lease of", key, &e))?;
    Ok(())
}

/// Runs an operation, and once more if the connection was found broken:
/// the connection manager reconnects after that first failure, so a Redis
/// that came back answers the second try, and a worker's first call after
/// an outage does not fail. Every operation here may run twice.
async fn retried<T, F, Run>(connection: &ConnectionManager, operation: F) -> redis::RedisResult<T>
where
    F: Fn(ConnectionManager) -> Run,
    Run: Future<Output = redis::RedisResult<T>>,
{
    match operation(connection.clone()).await {
        Err(error) if error.is_io_error() || error.is_connection_dropped() => {
            tracing::debug!(%error, "Redis connection broken; trying once more");
            operation(connection.clone()).await
        }
        outcome => outcome,
    }
}

/// Extends the lease every third of its time until aborted or lost. A
/// failed extension is tried again at the next turn: Redis may be back
/// before the lease ends.
async fn keep(
    mut connection: ConnectionManager,
    lease_key: String,
    holder: String,
    lease: Duration,
    lost: Arc<AtomicBool>,
    key: String,
) {
    let script = Script::new(EXTEND);
    let millis = duration_millis(lease);
    loop {
        tokio::time::sleep(lease / 3).await;
        let extended: Result<i64, RedisError> = script
            .key(&lease_key)
            .arg(&holder)
            .arg(millis)
            .invoke_async(&mut connection)
            .await;
        match extended {
            Ok(1) => {}
            Ok(_) => {
                lost.store(true, Ordering::Relaxed);
                tracing::warn!(key, "the token lease ended while its holder still worked");
                return;
            }
            Err(error) => tracing::debug!(key, %error, "the token lease was not extended"),
        }
    }
}

fn duration_millis(duration: Duration) -> u64 {
    u64::try_from(duration.as_millis())
        .unwrap_or(u64::MAX)
        .max(1)
}
