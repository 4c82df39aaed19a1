//! patchbay for services that run several workers: what they share
//! through Redis (7, or a server with the same commands).
//!
//! - [`RedisRateLimiter`]: the connector's and each endpoint's rate limit,
//!   counted once for all the workers of an instance
//!   ([`Connection::with_rate_limiter`](patchbay_runtime::Connection::with_rate_limiter)).

#![warn(missing_docs)]

mod rate_limit;

pub use rate_limit::{DEFAULT_PREFIX, DEFAULT_TIMEOUT, RedisRateLimiter};
