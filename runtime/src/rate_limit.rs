//! Rate limits: the limits a request counts against, the [`RateLimiter`]
//! a connection waits on before each request, and the per-process
//! [`LocalRateLimiter`] it uses unless a service plugs in a shared one
//! (`patchbay-redis`'s, which every worker of an instance shares).

use std::collections::HashMap;
use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::time::Instant;

use crate::error::Result;

/// Which of an instance's limits a request counts against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RateScope {
    /// The connector's `rate_limit` (or the lower one of
    /// [`Options::rate_limit`](crate::Options::rate_limit)): every request
    /// of the instance, token requests included.
    Connector,
    /// An endpoint's own `rate_limit`, by endpoint name: that endpoint's
    /// requests, on top of the connector's limit.
    Endpoint(String),
}

/// One limit of one instance: at most `requests` per `per`, spaced evenly
/// (one request every [`RateLimit::interval`]), so that no window of
/// `per` holds more than `requests`, whichever window the provider counts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    scope: RateScope,
    requests: u32,
    per: Duration,
    key: String,
}

impl RateLimit {
    /// `requests` per `per` for `scope` of the instance `instance` (a key
    /// that names the instance, such as the store key
    /// `connector/method/instance`). A limit of 0 requests counts as 1.
    pub fn new(instance: &str, scope: RateScope, requests: u32, per: Duration) -> Self {
        let key = match &scope {
            RateScope::Connector => format!("{instance}:connector"),
            RateScope::Endpoint(name) => format!("{instance}:endpoint:{name}"),
        };
        RateLimit {
            scope,
            requests: requests.max(1),
            per,
            key,
        }
    }

    /// The scope it applies to.
    pub fn scope(&self) -> &RateScope {
        &self.scope
    }

    /// Requests allowed per [`RateLimit::per`].
    pub fn requests(&self) -> u32 {
        self.requests
    }

    /// The period.
    pub fn per(&self) -> Duration {
        self.per
    }

    /// The time between two requests: `per / requests`.
    pub fn interval(&self) -> Duration {
        self.per / self.requests
    }

    /// The instance and scope as one key, `INSTANCE:connector` or
    /// `INSTANCE:endpoint:NAME`: limiters count requests per key, and
    /// every process that uses the same key shares the limit.
    pub fn key(&self) -> &str {
        &self.key
    }

    /// The same limit for another instance key.
    pub(crate) fn for_instance(&self, instance: &str) -> Self {
        RateLimit::new(instance, self.scope.clone(), self.requests, self.per)
    }
}

/// The future [`RateLimiter::acquire`] returns.
pub type Acquiring<'a> = Pin<Box<dyn Future<Output = Result<()>> + Send + 'a>>;

/// Decides when a request may go out. A connection calls
/// [`acquire`](RateLimiter::acquire) before each attempt of each request
/// with the endpoint's own limit (if it has one) and then the connector's,
/// and sends when both are done. The default, [`LocalRateLimiter`],
/// counts within one process; a limiter shared by several processes
/// (`patchbay_redis::RedisRateLimiter`) keeps an instance within its
/// limit however many workers call it.
///
/// Set one with
/// [`Connection::with_rate_limiter`](crate::Connection::with_rate_limiter).
pub trait RateLimiter: Send + Sync + fmt::Debug {
    /// Waits until one more request may be sent under `limit` and counts
    /// it. An error (a shared limiter that cannot be reached) fails the
    /// call before anything is sent: use
    /// [`Error::RateLimiter`](crate::Error::RateLimiter).
    fn acquire<'a>(&'a self, limit: &'a RateLimit) -> Acquiring<'a>;
}

/// The per-process limiter: for each key, requests are spaced by the
/// limit's interval, and callers queue rather than exceed it. The
/// interval is read on each call, so a limit that changes takes effect on
/// the next request.
///
/// Each [`Connection`](crate::Connection) has its own unless given one,
/// shared by its clones; one `LocalRateLimiter` given to several
/// connections counts their requests together by key.
#[derive(Debug, Default)]
pub struct LocalRateLimiter {
    /// When the next request of each key may go out.
    next: Mutex<HashMap<String, Arc<tokio::sync::Mutex<Instant>>>>,
}

impl LocalRateLimiter {
    /// A limiter that has counted nothing yet.
    pub fn new() -> Self {
        Self::default()
    }

    fn slot(&self, key: &str) -> Arc<tokio::sync::Mutex<Instant>> {
        let mut next = self.next.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(slot) = next.get(key) {
            return Arc::clone(slot);
        }
        let slot = Arc::new(tokio::sync::Mutex::new(Instant::now()));
        next.insert(key.to_owned(), Arc::clone(&slot));
        slot
    }
}

impl RateLimiter for LocalRateLimiter {
    fn acquire<'a>(&'a self, limit: &'a RateLimit) -> Acquiring<'a> {
        Box::pin(async move {
            let slot = self.slot(limit.key());
            // Held while waiting: the callers of a key go out in turn.
            let mut next = slot.lock().await;
            let now = Instant::now();
            if *next > now {
                tokio::time::sleep_until(*next).await;
            }
            *next = (*next).max(now) + limit.interval();
            Ok(())
        })
    }
}

/// The limits of one connection, and the limiter that applies them.
#[derive(Debug, Clone)]
pub(crate) struct Limits {
    /// The limiter.
    pub(crate) limiter: Arc<dyn RateLimiter>,
    /// The connector's limit (the lower of the spec's and the options').
    pub(crate) connector: Option<RateLimit>,
    /// Each endpoint's own limit, by endpoint name.
    pub(crate) endpoints: Arc<HashMap<String, RateLimit>>,
}

impl Limits {
    /// The same limits, counted by `limiter` under the instance key
    /// `instance`.
    pub(crate) fn counted_by(&self, limiter: Arc<dyn RateLimiter>, instance: &str) -> Self {
        Limits {
            limiter,
            connector: self.connector.as_ref().map(|l| l.for_instance(instance)),
            endpoints: Arc::new(
                self.endpoints
                    .iter()
                    .map(|(name, limit)| (name.clone(), limit.for_instance(instance)))
                    .collect(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_name_the_instance_and_the_scope() {
        let second = Duration::from_secs(1);
        let connector = RateLimit::new("shop/1", RateScope::Connector, 10, second);
        let endpoint = RateLimit::new("shop/1", RateScope::Endpoint("orders".into()), 0, second);
        assert_eq!(connector.key(), "shop/1:connector");
        assert_eq!(endpoint.key(), "shop/1:endpoint:orders");
        assert_eq!(connector.interval(), Duration::from_millis(100));
        assert_eq!(endpoint.requests(), 1, "0 requests would divide by zero");
        assert_eq!(connector.for_instance("shop/2").key(), "shop/2:connector");
    }

    #[tokio::test(start_paused = true)]
    async fn local_limiter_spaces_requests_per_key() {
        let limiter = LocalRateLimiter::new();
        let limit = RateLimit::new("a", RateScope::Connector, 10, Duration::from_secs(1));
        let other = RateLimit::new("b", RateScope::Connector, 10, Duration::from_secs(1));
        let start = tokio::time::Instant::now();
        for _ in 0..5 {
            limiter.acquire(&limit).await.unwrap();
        }
        // The first goes at once, each next one interval later.
        assert_eq!(start.elapsed(), Duration::from_millis(400));
        let before = tokio::time::Instant::now();
        limiter.acquire(&other).await.unwrap();
        assert_eq!(
            before.elapsed(),
            Duration::ZERO,
            "another key is not held up"
        );
    }
}
