//! A rate limit shared by every worker of an instance: the generic cell
//! rate algorithm (GCRA) in one Lua script, on Redis's clock.
//!
//! Each limit key holds one number, its theoretical arrival time (TAT):
//! when the next request may go out, in microseconds of Redis's `TIME`.
//! A caller's script reads it, reserves that slot (a TAT in the past means
//! now), moves the TAT on by the limit's interval and answers how long to
//! wait. The caller sleeps that long and sends. Requests are spaced evenly
//! by `per / requests`, as the per-process limiter spaces them, so no
//! window of `per` ever holds more than `requests`, and no credit piles
//! up while an instance is idle.
//!
//! Only Redis's clock is read, so workers whose clocks disagree still
//! share one schedule; a worker's answer arrives after the reservation was
//! made, so network delays make requests later, never earlier. A caller
//! that gives up while waiting leaves its slot unused.

use std::time::Duration;

use patchbay_runtime::{Acquiring, Error, RateLimit, RateLimiter, Result};
use redis::aio::{ConnectionManager, ConnectionManagerConfig};

/// The prefix of every key the limiter writes, unless
/// [`RedisRateLimiter::with_prefix`] sets another.
pub const DEFAULT_PREFIX: &str = "patchbay:rate:";

/// How long the limiter waits for Redis (to connect, and for an answer)
/// before the call fails, unless [`RedisRateLimiter::new_with_timeout`] sets
/// another: a Redis on the same network answers in a millisecond.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(1);

/// The GCRA step. KEYS[1]: the limit's key; ARGV[1]: the interval between
/// two requests, in microseconds. Answers the microseconds to wait before
/// sending, the slot reserved. Integers are written with `%d`: Lua's
/// default number format would round a time in microseconds.
const GCRA: &str = r"
local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
local interval = tonumber(ARGV[1])
local tat = tonumber(redis.call('GET', KEYS[1]))
if tat == nil or tat < now then
  tat = now
end
local wait = tat - now
local expires_ms = math.floor((wait + interval) / 1000) + 1
redis.call('SET', KEYS[1], string.format('%d', tat + interval), 'PX', string.format('%d', expires_ms))
return wait
";

/// A [`RateLimiter`] whose counts live in Redis, so that every process
/// that calls an instance (with the same key in
/// [`Connection::with_rate_limiter`](patchbay_runtime::Connection::with_rate_limiter))
/// keeps to its limits together. One Redis round trip per limit per
/// request.
///
/// When Redis cannot be reached (within the timeout) the call fails with
/// [`Error::RateLimiter`] and sends nothing: falling back to a
/// per-process limit would let N workers send N times what the provider
/// allows. The limiter reconnects by itself; the next call after Redis is
/// back goes through.
///
/// ```no_run
/// # async fn example(connection: patchbay_runtime::Connection) -> Result<(), Box<dyn std::error::Error>> {
/// use std::sync::Arc;
/// use patchbay_redis::RedisRateLimiter;
///
/// let limiter = Arc::new(RedisRateLimiter::new(redis::Client::open("redis://127.0.0.1/")?)?);
/// // Every worker uses the same key for this instance.
/// let connection = connection.with_rate_limiter(limiter, "shopware6/customer-42");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct RedisRateLimiter {
    connection: ConnectionManager,
    script: redis::Script,
    prefix: String,
    /// Where Redis is (host and port, never the password), for errors.
    address: String,
    /// The client's password, masked in errors should Redis quote it.
    password: Option<String>,
}

impl std::fmt::Debug for RedisRateLimiter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RedisRateLimiter")
            .field("address", &self.address)
            .field("prefix", &self.prefix)
            .finish_non_exhaustive()
    }
}

impl RedisRateLimiter {
    /// A limiter on `client`'s Redis (`redis://`, or `rediss://` when the
    /// `redis` crate is built with TLS), with [`DEFAULT_TIMEOUT`] and
    /// keys under [`DEFAULT_PREFIX`]. It connects on its first use.
    pub fn new(client: redis::Client) -> redis::RedisResult<Self> {
        Self::new_with_timeout(client, DEFAULT_TIMEOUT)
    }

    /// [`RedisRateLimiter::new`], waiting at most `timeout` for Redis to
    /// connect and to answer.
    pub fn new_with_timeout(client: redis::Client, timeout: Duration) -> redis::RedisResult<Self> {
        let info = client.get_connection_info();
        let address = info.addr().to_string();
        let password = info.redis_settings().password().map(str::to_owned);
        // One reconnection attempt per failed call: a call never waits
        // longer than the timeout for a Redis that is down.
        let config = ConnectionManagerConfig::new()
            .set_connection_timeout(Some(timeout))
            .set_response_timeout(Some(timeout))
            .set_number_of_retries(1);
        Ok(RedisRateLimiter {
            connection: ConnectionManager::new_lazy_with_config(client, config)?,
            script: redis::Script::new(GCRA),
            prefix: DEFAULT_PREFIX.to_owned(),
            address,
            password,
        })
    }

    /// Writes keys under `prefix` instead of [`DEFAULT_PREFIX`] (several
    /// services sharing one Redis).
    pub fn with_prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The Redis key of a limit.
    pub fn redis_key(&self, limit: &RateLimit) -> String {
        format!("{}{}", self.prefix, limit.key())
    }

    /// Reserves the next slot of `limit` and answers how long to wait for
    /// it, without waiting: [`RateLimiter::acquire`] is this and a sleep.
    pub async fn reserve(&self, limit: &RateLimit) -> Result<Duration> {
        let interval = u64::try_from(limit.interval().as_micros()).unwrap_or(u64::MAX);
        let mut connection = self.connection.clone();
        let wait: i64 = self
            .script
            .key(self.redis_key(limit))
            .arg(interval.max(1))
            .invoke_async(&mut connection)
            .await
            .map_err(|e| self.failure(limit, &e))?;
        Ok(Duration::from_micros(wait.max(0).unsigned_abs()))
    }

    /// The error of a call whose limit could not be counted.
    fn failure(&self, limit: &RateLimit, error: &redis::RedisError) -> Error {
        let mut cause = error.to_string();
        if let Some(password) = self.password.as_deref().filter(|p| !p.is_empty()) {
            cause = cause.replace(password, "***");
        }
        Error::RateLimiter {
            limit: limit.key().to_owned(),
            message: format!(
                "the shared limit's Redis at {} failed ({cause}); nothing was sent, since without Redis the workers' requests cannot be counted together; retry the call once Redis is reachable",
                self.address
            ),
        }
    }
}

impl RateLimiter for RedisRateLimiter {
    fn acquire<'a>(&'a self, limit: &'a RateLimit) -> Acquiring<'a> {
        Box::pin(async move {
            let wait = self.reserve(limit).await?;
            if !wait.is_zero() {
                tokio::time::sleep(wait).await;
            }
            Ok(())
        })
    }
}
