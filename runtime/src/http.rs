//! Sending requests: transport checks, the egress guard, rate limiting,
//! timeouts, retries, redirects, and reading bodies up to their limit.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime};

use patchbay_compiler::plan::RetryPolicy;
use patchbay_schema::RatePeriod;
use reqwest::header::{HeaderMap, HeaderName, HeaderValue};

use crate::error::{Error, Result};
use crate::observe::Observer;
use crate::rate_limit::{Limits, RateLimit};
use crate::request::HttpRequest;
use crate::secret::Redactor;

/// How the runtime sends requests.
#[derive(Debug, Clone)]
pub struct Options {
    /// Whole-request timeout.
    pub timeout: Duration,
    /// Connection timeout.
    pub connect_timeout: Duration,
    /// Most bytes of files one request uploads (a multipart body's file
    /// parts, all together); more fail the call before anything is sent.
    pub max_upload_bytes: u64,
    /// Retries after the first attempt, on 429, 502, 503, 504 and
    /// failures to connect; on 429 and failures to connect only for a
    /// request whose plan says
    /// [`NotAfterSending`](patchbay_compiler::plan::RetryPolicy::NotAfterSending)
    /// (a `POST` or `PATCH` that writes without an idempotency key).
    pub max_retries: u32,
    /// First backoff; doubles with each retry, with full jitter.
    pub backoff_base: Duration,
    /// Longest backoff.
    pub backoff_max: Duration,
    /// Longest `Retry-After` honoured; a longer one fails the request.
    pub max_retry_after: Duration,
    /// Refuse addresses that are private, loopback or link-local, after
    /// DNS resolution and on redirects. For services whose instance values
    /// come from their users; off for the CLI.
    pub egress_guard: bool,
    /// Tokens are renewed a tenth of their lifetime before they expire
    /// ([`RENEWAL_SHARE_OF_LIFETIME`](crate::RENEWAL_SHARE_OF_LIFETIME)),
    /// but at most this long before (and this long for a token of unknown
    /// lifetime).
    pub max_token_margin: Duration,
    /// A rate limit lower than the connector's (an instance may lower it).
    pub rate_limit: Option<(u32, Duration)>,
    /// Pages an all-pages run fetches at most when its pagination sets no
    /// `max_pages`; a run that reaches it while the server still offers a
    /// next page ends with [`Error::PageLimit`]. The spec's own
    /// `max_pages` is not capped by it.
    pub max_pages: u32,
    /// The most bytes of an endpoint response body read, whatever the
    /// spec's `max_bytes` says: a service's ceiling. The limit applied is
    /// the lower of the two.
    pub max_response_bytes: u64,
    /// The most bytes of a token, refresh, revoke or login response body
    /// read. Not settable in a spec: its size is the protocol's, not the
    /// API's.
    pub max_auth_response_bytes: u64,
}

/// The default of [`Options::max_response_bytes`]: 1 GiB. A body is held
/// in memory whole (and parsed as JSON), so a larger one needs a
/// streaming reader, not a higher limit; a spec may go up to it.
pub const DEFAULT_RESPONSE_BYTES_CEILING: u64 = 1024 * 1024 * 1024;

/// The default of [`Options::max_auth_response_bytes`]: 1 MiB. A token
/// response is a few hundred bytes, a few KiB with a large `id_token`;
/// this is hundreds of times that, and still nothing to hold in memory.
pub const DEFAULT_MAX_AUTH_RESPONSE_BYTES: u64 = 1024 * 1024;

/// The default of [`Options::max_pages`]: 10,000 pages is 250,000 to
/// 1,000,000 records at common page sizes, more than any listing a
/// connector reads in one run, yet a runaway server is stopped within
/// minutes rather than never.
pub const DEFAULT_MAX_PAGES: u32 = 10_000;

impl Default for Options {
    fn default() -> Self {
        Options {
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(10),
            max_upload_bytes: 100 * 1024 * 1024,
            max_retries: 3,
            backoff_base: Duration::from_millis(250),
            backoff_max: Duration::from_secs(30),
            max_retry_after: Duration::from_secs(120),
            egress_guard: false,
            max_token_margin: Duration::from_secs(60),
            rate_limit: None,
            max_pages: DEFAULT_MAX_PAGES,
            max_response_bytes: DEFAULT_RESPONSE_BYTES_CEILING,
            max_auth_response_bytes: DEFAULT_MAX_AUTH_RESPONSE_BYTES,
        }
    }
}

/// A response, body read.
#[derive(Debug, Clone)]
pub struct Response {
    /// HTTP status.
    pub status: u16,
    /// Headers.
    pub headers: HeaderMap,
    /// The URL that answered (after redirects).
    pub url: url::Url,
    /// The body, unchanged.
    pub body: bytes::Bytes,
    /// The body as JSON once the runtime read it (a 2xx page checked for
    /// the API's declared errors), so that reading its records does not
    /// parse a body of up to the response ceiling a second time.
    pub(crate) parsed: std::sync::OnceLock<serde_json::Value>,
}

impl Response {
    /// A response with this status, headers, final URL and body.
    pub fn new(status: u16, headers: HeaderMap, url: url::Url, body: bytes::Bytes) -> Self {
        Self {
            status,
            headers,
            url,
            body,
            parsed: std::sync::OnceLock::new(),
        }
    }

    /// The body as JSON.
    pub fn json(&self) -> std::result::Result<serde_json::Value, serde_json::Error> {
        match self.parsed.get() {
            Some(parsed) => Ok(parsed.clone()),
            None => serde_json::from_slice(&self.body),
        }
    }

    /// The body as JSON, parsed at most once and kept for
    /// [`Response::take_json`]; `None` if it is not JSON.
    pub(crate) fn parsed_json(&self) -> Option<&serde_json::Value> {
        if let Some(parsed) = self.parsed.get() {
            return Some(parsed);
        }
        let parsed = serde_json::from_slice(&self.body).ok()?;
        Some(self.parsed.get_or_init(|| parsed))
    }

    /// The body as JSON, the value parsed earlier if there is one (taken
    /// out, so that it is not kept alongside the body).
    pub(crate) fn take_json(
        &mut self,
    ) -> std::result::Result<serde_json::Value, serde_json::Error> {
        match self.parsed.take() {
            Some(parsed) => Ok(parsed),
            None => serde_json::from_slice(&self.body),
        }
    }

    /// The response without its parsed body, for a caller that may keep
    /// it: the value would double the memory the body holds.
    pub(crate) fn without_parsed(mut self) -> Self {
        self.parsed = std::sync::OnceLock::new();
        self
    }

    /// Whether the status is 2xx.
    pub fn is_success(&self) -> bool {
        (200..300).contains(&self.status)
    }
}

/// The length of a rate-limit period.
pub(crate) fn period(per: RatePeriod) -> Duration {
    Duration::from_secs(match per {
        RatePeriod::Second => 1,
        RatePeriod::Minute => 60,
        RatePeriod::Hour => 3600,
        RatePeriod::Day => 86_400,
    })
}

/// Whether an address may be reached when the egress guard is on.
fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            !(v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                // Carrier-grade NAT (RFC 6598).
                || (a == 100 && (64..128).contains(&b)))
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_public(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            !(v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                // Unique local fc00::/7 and link-local fe80::/10.
                || (first & 0xfe00) == 0xfc00
                || (first & 0xffc0) == 0xfe80)
        }
    }
}

/// Refused by the egress guard; carried through reqwest's error chain.
#[derive(Debug)]
struct Blocked {
    host: String,
    address: String,
}

impl std::fmt::Display for Blocked {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} resolves to blocked address {}",
            self.host, self.address
        )
    }
}

impl std::error::Error for Blocked {}

/// A resolver that drops private, loopback and link-local addresses, so
/// the check holds for the address actually connected to.
#[derive(Debug)]
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let addresses: Vec<SocketAddr> =
                tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let allowed: Vec<SocketAddr> = addresses
                .iter()
                .copied()
                .filter(|a| is_public(a.ip()))
                .collect();
            if allowed.is_empty() {
                let address = addresses
                    .first()
                    .map(|a| a.ip().to_string())
                    .unwrap_or_default();
                return Err(
                    Box::new(Blocked { host, address }) as Box<dyn std::error::Error + Send + Sync>
                );
            }
            Ok(Box::new(allowed.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Refuses plain http to anything but loopback, and (with the guard) an
/// IP-literal host that is not public.
fn check_url(url: &url::Url, egress_guard: bool) -> Result<()> {
    let Some(host) = url.host() else {
        return Err(Error::InsecureUrl {
            host: String::new(),
        });
    };
    if url.scheme() == "http" && !patchbay_schema::value::is_loopback(&host) {
        return Err(Error::InsecureUrl {
            host: host.to_string(),
        });
    }
    if egress_guard {
        let ip = match host {
            url::Host::Ipv4(ip) => Some(IpAddr::V4(ip)),
            url::Host::Ipv6(ip) => Some(IpAddr::V6(ip)),
            url::Host::Domain(_) => None,
        };
        if let Some(ip) = ip.filter(|ip| !is_public(*ip)) {
            return Err(Error::EgressBlocked {
                host: host.to_string(),
                address: ip.to_string(),
            });
        }
    }
    Ok(())
}

/// The HTTP client a runtime shares between its connections. Redirects are
/// followed by [`Http::send`], not by reqwest, so that credentials never
/// follow a redirect to another origin.
pub(crate) fn client(options: &Options) -> Result<reqwest::Client> {
    let mut builder = reqwest::Client::builder()
        .connect_timeout(options.connect_timeout)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("patchbay/", env!("CARGO_PKG_VERSION")));
    if options.egress_guard {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    builder.build().map_err(|e| Error::Transport {
        request: "HTTP client".into(),
        message: e.to_string(),
    })
}

/// Redirects followed at most.
const MAX_REDIRECTS: usize = 10;

/// Headers kept on a redirect to another origin: content negotiation only,
/// never a credential (whatever its name).
const CROSS_ORIGIN_HEADERS: &[&str] = &["accept", "accept-language", "content-type", "user-agent"];

/// What a request carries, which decides whether it may follow a redirect
/// to another origin. No credential ever does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Carries {
    /// An auth request (token, refresh, revoke, login): its body or
    /// headers are the credential, so a redirect to another origin is
    /// refused, whatever its status.
    Credential,
    /// An endpoint request: it follows a redirect to another origin
    /// without its headers (content negotiation aside), as browsers do, but
    /// never re-sends its body there: a 307 or 308 that would is refused.
    EndpointData,
}

/// The most bytes of a response body read, and which setting decided it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyLimit {
    /// The limit.
    bytes: u64,
    /// Where it comes from, which says how to raise it.
    setting: LimitSetting,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum LimitSetting {
    /// [`Options::max_auth_response_bytes`].
    Auth,
    /// The endpoint's `max_bytes` (the spec's or its default), under the
    /// runtime's ceiling.
    Endpoint { ceiling: u64 },
    /// [`Options::max_response_bytes`], lower than the endpoint's.
    Ceiling,
}

impl BodyLimit {
    /// Which setting to raise, for the error.
    fn how_to_raise(&self) -> String {
        match self.setting {
            LimitSetting::Auth => "this limit of token, refresh, revoke and login responses (a few KiB in any protocol) is the runtime's `Options::max_auth_response_bytes`; a response this large most likely comes from a misbehaving server".to_owned(),
            LimitSetting::Endpoint { ceiling } => format!(
                "raise `max_bytes` in the endpoint's `response` table of the spec, up to the runtime's ceiling of {ceiling} bytes (`Options::max_response_bytes`)"
            ),
            LimitSetting::Ceiling => "this is the runtime's ceiling `Options::max_response_bytes`, lower than the endpoint's `max_bytes`; a service raises it in its `Options`".to_owned(),
        }
    }
}

/// The request a redirect asks for, or `None` if the response is not one.
fn redirected(
    request: &HttpRequest,
    carries: Carries,
    response: &reqwest::Response,
) -> Option<Result<HttpRequest>> {
    let status = response.status().as_u16();
    if !matches!(status, 301 | 302 | 303 | 307 | 308) {
        return None;
    }
    let location = response
        .headers()
        .get(reqwest::header::LOCATION)?
        .to_str()
        .ok()?;
    let next = match request.url.join(location) {
        Ok(next) => next,
        Err(e) => {
            return Some(Err(Error::Response {
                request: request.label.clone(),
                message: format!("the redirect's Location is not a URL ({e})"),
            }));
        }
    };
    let mut followed = request.clone();
    // 303, and 301/302 after a POST, turn into a GET without a body (as
    // browsers and RFC 9110 §15.4 allow).
    if status == 303
        || (matches!(status, 301 | 302) && request.method == patchbay_schema::HttpMethod::Post)
    {
        followed.method = patchbay_schema::HttpMethod::Get;
        followed.body = None;
        followed
            .headers
            .retain(|(name, _)| !name.eq_ignore_ascii_case("content-type"));
    }
    if next.origin() != request.url.origin() {
        let refuse = match carries {
            Carries::Credential => Some("it carries a credential"),
            Carries::EndpointData if followed.body.is_some() => {
                Some("it would re-send its body, which may hold a credential")
            }
            Carries::EndpointData => None,
        };
        if let Some(reason) = refuse {
            return Some(Err(Error::CrossOriginRedirect {
                request: request.label.clone(),
                status,
                from: request.url.origin().ascii_serialization(),
                to: next.origin().ascii_serialization(),
                reason: reason.to_owned(),
            }));
        }
        followed.headers.retain(|(name, _)| {
            CROSS_ORIGIN_HEADERS
                .iter()
                .any(|safe| name.eq_ignore_ascii_case(safe))
        });
        // An OAuth 1.0a signature is a credential too: it is not made for
        // another origin.
        followed.signer = None;
    }
    followed.url = next;
    Some(Ok(followed))
}

/// The HTTP side of a connection: the shared client, its rate limits.
#[derive(Debug)]
pub(crate) struct Http {
    client: reqwest::Client,
    options: Options,
    limits: Limits,
    observer: Observer,
}

impl Http {
    pub(crate) fn new(
        client: reqwest::Client,
        options: Options,
        limits: Limits,
        observer: Observer,
    ) -> Self {
        Http {
            client,
            options,
            limits,
            observer,
        }
    }

    /// Where its work is reported.
    pub(crate) fn observer(&self) -> &Observer {
        &self.observer
    }

    /// The same client and options, its limits counted by another limiter.
    pub(crate) fn with_limits(&self, limits: Limits) -> Self {
        Http {
            client: self.client.clone(),
            options: self.options.clone(),
            limits,
            observer: self.observer.clone(),
        }
    }

    /// Its rate limits.
    pub(crate) fn limits(&self) -> &Limits {
        &self.limits
    }

    /// Waits for `limit` (if any), returning how long that took.
    async fn acquire(&self, limit: Option<&RateLimit>) -> Result<Duration> {
        let Some(limit) = limit else {
            return Ok(Duration::ZERO);
        };
        let start = Instant::now();
        self.limits.limiter.acquire(limit).await?;
        let waited = start.elapsed();
        // A limiter that did not sleep still takes a little time.
        if waited >= Duration::from_millis(1) {
            self.observer.rate_limited(limit, waited);
        }
        Ok(waited)
    }

    pub(crate) fn options(&self) -> &Options {
        &self.options
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let ceiling = self
            .options
            .backoff_base
            .saturating_mul(2u32.saturating_pow(attempt))
            .min(self.options.backoff_max);
        // Full jitter: anywhere up to the ceiling.
        ceiling.mul_f64(fastrand::f64())
    }

    /// How long to wait before retrying after `attempt`: the answer's
    /// `Retry-After`, else the jittered backoff; `Err` with the asked wait
    /// when `Retry-After` is longer than [`Options::max_retry_after`].
    fn retry_wait(
        &self,
        headers: &HeaderMap,
        attempt: u32,
    ) -> std::result::Result<Duration, Duration> {
        match retry_after(headers) {
            Some(wait) if wait > self.options.max_retry_after => Err(wait),
            Some(wait) => Ok(wait),
            None => Ok(self.backoff(attempt)),
        }
    }

    /// The body limit of an endpoint whose plan allows `max_bytes`: the
    /// lower of that and the runtime's ceiling.
    pub(crate) fn endpoint_limit(&self, max_bytes: u64) -> BodyLimit {
        let ceiling = self.options.max_response_bytes;
        if max_bytes <= ceiling {
            BodyLimit {
                bytes: max_bytes,
                setting: LimitSetting::Endpoint { ceiling },
            }
        } else {
            BodyLimit {
                bytes: ceiling,
                setting: LimitSetting::Ceiling,
            }
        }
    }

    /// Sends a request, retrying on 429, 502, 503, 504 and failures to
    /// connect (as the request's [`RetryPolicy`] allows), and following redirects as what it `carries` allows. Every
    /// error is redacted. An auth request's response is read up to
    /// [`Options::max_auth_response_bytes`], an endpoint request's up to
    /// the runtime's ceiling (see [`Http::send_limited`]).
    pub(crate) async fn send(
        &self,
        request: &HttpRequest,
        carries: Carries,
        redactor: &Redactor,
    ) -> Result<Response> {
        let limit = match carries {
            Carries::Credential => BodyLimit {
                bytes: self.options.max_auth_response_bytes,
                setting: LimitSetting::Auth,
            },
            Carries::EndpointData => self.endpoint_limit(self.options.max_response_bytes),
        };
        self.send_limited(request, carries, limit, None, None, redactor)
            .await
    }

    /// [`Http::send`], the response body read up to `limit`. A 2xx answer
    /// for which `retry_2xx` names a code (an error the API declares
    /// retryable inside a success) is retried like a 429.
    pub(crate) async fn send_limited(
        &self,
        request: &HttpRequest,
        carries: Carries,
        limit: BodyLimit,
        retry_2xx: Option<&RetryHook<'_>>,
        own_limit: Option<&RateLimit>,
        redactor: &Redactor,
    ) -> Result<Response> {
        let redactor = &*request.redactor(redactor);
        let mut current = std::borrow::Cow::Borrowed(request);
        for _ in 0..=MAX_REDIRECTS {
            match self
                .send_once(&current, carries, limit, retry_2xx, own_limit, redactor)
                .await?
            {
                Sent::Response(response) => return Ok(response),
                Sent::Redirect(next) => current = std::borrow::Cow::Owned(next),
            }
        }
        Err(Error::Response {
            request: request.label.clone(),
            message: format!("more than {MAX_REDIRECTS} redirects"),
        })
    }

    /// One request with its retries; a redirect is returned to follow.
    async fn send_once(
        &self,
        request: &HttpRequest,
        carries: Carries,
        limit: BodyLimit,
        retry_2xx: Option<&RetryHook<'_>>,
        own_limit: Option<&RateLimit>,
        redactor: &Redactor,
    ) -> Result<Sent> {
        check_url(&request.url, self.options.egress_guard)?;
        let mut last_failure = String::new();
        for attempt in 0..=self.options.max_retries {
            // The endpoint's own limit first: a call waiting for it holds
            // no slot of the connector's, which other endpoints can use.
            let waited = self.acquire(own_limit).await?
                + self.acquire(self.limits.connector.as_ref()).await?;
            if waited >= Duration::from_millis(1) {
                tracing::debug!(request = %request.label, waited_ms = waited.as_millis() as u64, "waited for the rate limit");
            }
            tracing::debug!(request = %request.label, method = request.method_name(), url = %request.shown_url(redactor), attempt, "sending");
            let outcome = self.client.execute(self.to_reqwest(request)?).await;
            let retry_in = match outcome {
                Ok(response) => {
                    if let Some(next) = redirected(request, carries, &response) {
                        return next.map(Sent::Redirect);
                    }
                    let status = response.status().as_u16();
                    // A gateway's 502, 503 or 504 may come after the server
                    // acted; a 429 says it did not.
                    let retryable = match status {
                        429 => true,
                        502..=504 => request.retry == RetryPolicy::AnyFailure,
                        _ => false,
                    };
                    if retryable && attempt == self.options.max_retries && attempt > 0 {
                        return Err(Error::RetriesExhausted {
                            request: request.label.clone(),
                            attempts: attempt + 1,
                            last: format!("HTTP {status}"),
                        });
                    }
                    if retryable && attempt < self.options.max_retries {
                        let wait = match self.retry_wait(response.headers(), attempt) {
                            Ok(wait) => wait,
                            Err(wait) => {
                                return Err(Error::Status {
                                    request: request.label.clone(),
                                    status,
                                    body: Some(format!(
                                        "Retry-After of {}s exceeds the limit",
                                        wait.as_secs()
                                    )),
                                });
                            }
                        };
                        last_failure = format!("HTTP {status}");
                        wait
                    } else {
                        let response = read(response, request, limit, redactor).await?;
                        let declared = retry_2xx
                            .filter(|_| response.is_success())
                            .and_then(|retry| retry(&response));
                        let Some(code) = declared else {
                            return Ok(Sent::Response(response));
                        };
                        let failure = format!("the API's error `{}`", redactor.redact(&code));
                        if attempt == self.options.max_retries {
                            // Without retries the caller reports the error itself.
                            if attempt == 0 {
                                return Ok(Sent::Response(response));
                            }
                            return Err(Error::RetriesExhausted {
                                request: request.label.clone(),
                                attempts: attempt + 1,
                                last: failure,
                            });
                        }
                        match self.retry_wait(&response.headers, attempt) {
                            Ok(wait) => {
                                last_failure = failure;
                                wait
                            }
                            Err(wait) => {
                                return Err(Error::Response {
                                    request: request.label.clone(),
                                    message: format!(
                                        "{failure} asks for a retry after {}s (Retry-After), longer than the {}s the runtime waits at most (`Options::max_retry_after`)",
                                        wait.as_secs(),
                                        self.options.max_retry_after.as_secs()
                                    ),
                                });
                            }
                        }
                    }
                }
                Err(error) if error.is_timeout() => {
                    return Err(Error::Timeout {
                        request: request.label.clone(),
                        timeout: self.options.timeout,
                    });
                }
                Err(error) => {
                    if let Some(blocked) = find_cause::<Blocked>(&error) {
                        return Err(Error::EgressBlocked {
                            host: blocked.host.clone(),
                            address: blocked.address.clone(),
                        });
                    }
                    let message = redactor.redact(&describe(&error));
                    if !error.is_connect() || attempt == self.options.max_retries {
                        if attempt > 0 {
                            return Err(Error::RetriesExhausted {
                                request: request.label.clone(),
                                attempts: attempt + 1,
                                last: message,
                            });
                        }
                        return Err(Error::Transport {
                            request: request.label.clone(),
                            message,
                        });
                    }
                    last_failure = message;
                    self.backoff(attempt)
                }
            };
            tracing::debug!(request = %request.label, attempt, wait_ms = retry_in.as_millis() as u64, failure = %last_failure, "retrying");
            tokio::time::sleep(retry_in).await;
        }
        Err(Error::RetriesExhausted {
            request: request.label.clone(),
            attempts: self.options.max_retries + 1,
            last: last_failure,
        })
    }

    fn to_reqwest(&self, request: &HttpRequest) -> Result<reqwest::Request> {
        let method =
            reqwest::Method::from_bytes(request.method_name().as_bytes()).map_err(|e| {
                Error::Transport {
                    request: request.label.clone(),
                    message: e.to_string(),
                }
            })?;
        let mut built = reqwest::Request::new(method, request.url.clone());
        *built.timeout_mut() = Some(self.options.timeout);
        let headers = built.headers_mut();
        for (name, value) in &request.headers {
            let invalid = |what: &str| Error::Render {
                what: format!("{}: header `{name}`", request.label),
                message: format!("not a valid header {what}"),
            };
            let name = HeaderName::from_bytes(name.as_bytes()).map_err(|_| invalid("name"))?;
            let value = HeaderValue::from_str(value).map_err(|_| invalid("value"))?;
            headers.append(name, value);
        }
        if let Some(authorization) = request.oauth1_authorization() {
            let value = HeaderValue::from_str(&authorization?).map_err(|_| Error::Render {
                what: format!("{}: header `Authorization`", request.label),
                message: "the OAuth 1.0a header is not a valid header value".to_owned(),
            })?;
            headers.insert(reqwest::header::AUTHORIZATION, value);
        }
        if let Some(body) = &request.body {
            *built.body_mut() = Some(body.to_bytes().into());
        }
        Ok(built)
    }
}

/// Names the code of a 2xx answer that the API declares retryable (Slack's
/// `ratelimited` with HTTP 200), or `None` to accept the answer.
pub(crate) type RetryHook<'h> = dyn Fn(&Response) -> Option<String> + Sync + 'h;

/// What one send gave: a response, or a redirect to follow.
enum Sent {
    Response(Response),
    Redirect(HttpRequest),
}

/// Memory reserved up front for a body of announced length: a server may
/// announce more than it sends.
const BODY_RESERVE: u64 = 1024 * 1024;

/// Reads a response's body as it arrives, never past `limit`: a body
/// announced larger is refused before any of it is read, and one that
/// grows past it (an endless chunked body) as soon as it does.
async fn read(
    mut response: reqwest::Response,
    request: &HttpRequest,
    limit: BodyLimit,
    redactor: &Redactor,
) -> Result<Response> {
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let url = response.url().clone();
    let too_large = || Error::ResponseTooLarge {
        request: request.label.clone(),
        url: request.shown_url(redactor),
        limit: limit.bytes,
        raise: limit.how_to_raise(),
    };
    let announced = response.content_length();
    if announced.is_some_and(|length| length > limit.bytes) {
        return Err(too_large());
    }
    let reserve = announced.unwrap_or(0).min(limit.bytes).min(BODY_RESERVE);
    let mut body = Vec::with_capacity(usize::try_from(reserve).unwrap_or(0));
    loop {
        let chunk = response.chunk().await.map_err(|e| Error::Transport {
            request: request.label.clone(),
            message: redactor.redact(&describe(&e)),
        })?;
        let Some(chunk) = chunk else { break };
        if (body.len() as u64).saturating_add(chunk.len() as u64) > limit.bytes {
            return Err(too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(Response::new(status, headers, url, body.into()))
}

/// `Retry-After` in seconds or as an HTTP date.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    if let Ok(seconds) = value.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    let when = httpdate::parse_http_date(value).ok()?;
    Some(when.duration_since(SystemTime::now()).unwrap_or_default())
}

fn find_cause<'e, T: std::error::Error + 'static>(
    error: &'e (dyn std::error::Error + 'static),
) -> Option<&'e T> {
    let mut current = Some(error);
    while let Some(error) = current {
        if let Some(found) = error.downcast_ref::<T>() {
            return Some(found);
        }
        current = error.source();
    }
    None
}

/// A transport error with its causes, on one line.
fn describe(error: &(dyn std::error::Error + 'static)) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn response(body: &str) -> Response {
        Response::new(
            200,
            HeaderMap::new(),
            url::Url::parse("https://api.example.com/items").unwrap(),
            bytes::Bytes::copy_from_slice(body.as_bytes()),
        )
    }

    #[test]
    fn a_body_parsed_for_the_error_check_is_not_parsed_again() {
        let mut response = response(r#"{"ok": true, "items": [1, 2]}"#);
        assert_eq!(response.parsed_json().unwrap()["ok"], true);
        // Were the body parsed again, this would fail.
        response.body = bytes::Bytes::from_static(b"not json");
        assert_eq!(response.json().unwrap()["items"][1], 2);
        assert_eq!(response.take_json().unwrap()["items"][0], 1);
        assert!(response.parsed.get().is_none(), "the value was taken out");
        assert!(response.take_json().is_err(), "later reads parse the body");
    }

    #[test]
    fn a_body_that_is_not_json_is_not_cached() {
        let response = response("<html>");
        assert!(response.parsed_json().is_none());
        assert!(response.json().is_err());
    }

    #[test]
    fn private_addresses_are_not_public() {
        for blocked in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert!(!is_public(blocked.parse().unwrap()), "{blocked}");
        }
        for allowed in ["93.184.216.34", "2606:4700::1111", "1.1.1.1"] {
            assert!(is_public(allowed.parse().unwrap()), "{allowed}");
        }
    }

    #[test]
    fn plain_http_only_to_loopback() {
        let url = |u: &str| url::Url::parse(u).unwrap();
        assert!(check_url(&url("http://127.0.0.1:8080/x"), false).is_ok());
        assert!(check_url(&url("http://localhost/x"), false).is_ok());
        assert!(matches!(
            check_url(&url("http://api.example.com/x"), false),
            Err(Error::InsecureUrl { .. })
        ));
        assert!(matches!(
            check_url(&url("https://10.0.0.1/x"), true),
            Err(Error::EgressBlocked { .. })
        ));
        assert!(check_url(&url("https://10.0.0.1/x"), false).is_ok());
    }

    #[test]
    fn retry_after_reads_seconds_and_dates() {
        let mut headers = HeaderMap::new();
        headers.insert(reqwest::header::RETRY_AFTER, HeaderValue::from_static("7"));
        assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(30));
        headers.insert(
            reqwest::header::RETRY_AFTER,
            HeaderValue::from_str(&later).unwrap(),
        );
        let wait = retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(25) && wait <= Duration::from_secs(30),
            "{wait:?}"
        );
    }
}
