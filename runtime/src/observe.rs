//! What a service sees of the runtime's work: a `tracing` span per call
//! and per token request, and the [`Metrics`] hook it can wire to
//! Prometheus or OpenTelemetry. Both carry names, statuses and times,
//! never a value: no secret can reach them.

use std::fmt;
use std::future::Future;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use tracing::Instrument;
use tracing::field::Empty;

use crate::error::{Error, Result};
use crate::rate_limit::RateLimit;

/// One endpoint request (a call, or one page of a run), when it ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct CallRecord<'a> {
    /// The connector's id.
    pub connector: &'a str,
    /// The instance's auth method.
    pub method: &'a str,
    /// The endpoint.
    pub endpoint: &'a str,
    /// The HTTP status of the last answer, if one came (an error status
    /// included).
    pub status: Option<u16>,
    /// `None` when the call succeeded, else the kind of its error
    /// ([`Error::kind`]).
    pub error: Option<&'static str>,
    /// From the call to its end: the token, the rate limits' waits,
    /// retries and redirects included.
    pub latency: Duration,
}

/// How a token request obtained its token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TokenGrant {
    /// A new token, requested with the instance's values (client
    /// credentials, `token_request`).
    Request,
    /// A token renewed with its refresh token (or taken from the store,
    /// refreshed by another process).
    Refresh,
    /// A login's authorization code exchanged for tokens.
    Login,
}

impl TokenGrant {
    /// `request`, `refresh` or `login`, for a label.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenGrant::Request => "request",
            TokenGrant::Refresh => "refresh",
            TokenGrant::Login => "login",
        }
    }
}

/// One token request, when it ended.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct TokenRecord<'a> {
    /// The connector's id.
    pub connector: &'a str,
    /// The instance's auth method.
    pub method: &'a str,
    /// Request or refresh.
    pub grant: TokenGrant,
    /// The HTTP status of the token endpoint's answer, if one came (none
    /// when another process's refresh was taken from the store).
    pub status: Option<u16>,
    /// `None` on success, else the kind of the error ([`Error::kind`]).
    pub error: Option<&'static str>,
    /// How long it took, the method's discovery included.
    pub latency: Duration,
}

/// Counters and latency histograms for a service's monitoring: the
/// runtime calls it as each call, token request and rate-limit wait ends.
/// Each method is one counter increment and one histogram observation,
/// labelled by the record's names (connector, method, endpoint, status,
/// error kind: a bounded set, none of them a value). Implement the
/// methods you need; the others do nothing. Keep them quick: they run on
/// the caller's task.
///
/// Set it with [`Runtime::with_metrics`](crate::Runtime::with_metrics).
pub trait Metrics: Send + Sync + fmt::Debug {
    /// An endpoint request ended.
    fn call(&self, record: &CallRecord<'_>) {
        let _ = record;
    }

    /// A token request ended.
    fn token(&self, record: &TokenRecord<'_>) {
        let _ = record;
    }

    /// A request waited `waited` (more than zero) for `limit` before it
    /// was sent.
    fn rate_limited(&self, limit: &RateLimit, waited: Duration) {
        let _ = (limit, waited);
    }
}

/// What a connection reports on: its connector and method, and the
/// runtime's metrics hook.
#[derive(Debug, Clone)]
pub(crate) struct Observer {
    /// The connector's id.
    pub(crate) connector: Arc<str>,
    /// The instance's auth method.
    pub(crate) method: Arc<str>,
    /// The hook, if the service set one.
    pub(crate) metrics: Option<Arc<dyn Metrics>>,
}

impl Observer {
    /// Runs one endpoint request in its span (`patchbay.call`) and
    /// reports it.
    pub(crate) async fn call<T>(
        &self,
        endpoint: &str,
        status: impl Fn(&T) -> u16,
        request: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let span = tracing::info_span!(
            "patchbay.call",
            connector = %self.connector,
            method = %self.method,
            endpoint,
            status = Empty,
            error = Empty,
            latency_ms = Empty,
        );
        let start = Instant::now();
        let result = request.instrument(span.clone()).await;
        let (answered, error) = outcome(&result, status);
        let latency = start.elapsed();
        record(&span, answered, error, latency);
        if let Some(metrics) = &self.metrics {
            metrics.call(&CallRecord {
                connector: &self.connector,
                method: &self.method,
                endpoint,
                status: answered,
                error,
                latency,
            });
        }
        result
    }

    /// Runs one token request in its span (`patchbay.token`) and reports
    /// it. The request records the token endpoint's status itself
    /// ([`Observer::token_status`]): the token it returns does not say.
    pub(crate) async fn token<T>(
        &self,
        grant: TokenGrant,
        request: impl Future<Output = Result<T>>,
    ) -> Result<T> {
        let span = tracing::info_span!(
            "patchbay.token",
            connector = %self.connector,
            method = %self.method,
            grant = grant.as_str(),
            status = Empty,
            error = Empty,
            latency_ms = Empty,
        );
        let answered = Arc::new(Mutex::new(None));
        let start = Instant::now();
        let result = TOKEN_STATUS
            .scope(Arc::clone(&answered), request.instrument(span.clone()))
            .await;
        let latency = start.elapsed();
        let (failed_status, error) = outcome(&result, |_| 0);
        let answered = answered
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .or(failed_status);
        record(&span, answered, error, latency);
        if let Some(metrics) = &self.metrics {
            metrics.token(&TokenRecord {
                connector: &self.connector,
                method: &self.method,
                grant,
                status: answered,
                error,
                latency,
            });
        }
        result
    }

    /// Notes the status of a token endpoint's answer for the token request
    /// under way on this task (nothing outside one).
    pub(crate) fn token_status(status: u16) {
        let _ = TOKEN_STATUS.try_with(|answered| {
            *answered.lock().unwrap_or_else(PoisonError::into_inner) = Some(status);
        });
    }

    /// Reports a wait for a rate limit.
    pub(crate) fn rate_limited(&self, limit: &RateLimit, waited: Duration) {
        if let Some(metrics) = &self.metrics {
            metrics.rate_limited(limit, waited);
        }
    }
}

tokio::task_local! {
    /// The status of the token endpoint's last answer, for the token
    /// request running on this task.
    static TOKEN_STATUS: Arc<Mutex<Option<u16>>>;
}

/// The status answered (a success's, or an error's) and the error kind.
fn outcome<T>(
    result: &Result<T>,
    status: impl Fn(&T) -> u16,
) -> (Option<u16>, Option<&'static str>) {
    match result {
        Ok(value) => (Some(status(value)).filter(|s| *s != 0), None),
        Err(error) => (error.http_status(), Some(error.kind())),
    }
}

fn record(
    span: &tracing::Span,
    status: Option<u16>,
    error: Option<&'static str>,
    latency: Duration,
) {
    if let Some(status) = status {
        span.record("status", status);
    }
    if let Some(error) = error {
        span.record("error", error);
    }
    span.record("latency_ms", latency.as_secs_f64() * 1000.0);
}

impl Error {
    /// The HTTP status the error reports, if it reports one.
    pub(crate) fn http_status(&self) -> Option<u16> {
        match self {
            Error::Status { status, .. } => Some(*status),
            Error::OAuth { status, .. } => *status,
            _ => None,
        }
    }
}
