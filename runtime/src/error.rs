//! What can go wrong when rendering and executing a plan. Every message
//! names what failed and never carries a secret.

use std::fmt;
use std::time::Duration;

/// A runtime error.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The instance does not fit the connector.
    #[error("instance value `{key}`: {message}")]
    Instance {
        /// The offending key.
        key: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// An endpoint variable of a call is missing or does not fit.
    #[error("endpoint variable `{key}`: {message}")]
    EndpointVariable {
        /// The variable.
        key: String,
        /// What is wrong.
        message: String,
    },
    /// The instance file could not be read.
    #[error("instance file: {0}")]
    InstanceFile(String),
    /// The connector, method or endpoint asked for does not exist.
    #[error("{0}")]
    NotFound(String),
    /// A template could not be rendered with the values given.
    #[error("{what}: {message}")]
    Render {
        /// Which value of which request.
        what: String,
        /// Why.
        message: String,
    },
    /// A URL would go in clear text to a host that is not loopback.
    #[error("refusing plain http to {host}: only loopback may be reached without TLS; use https")]
    InsecureUrl {
        /// The host.
        host: String,
    },
    /// The egress guard refused an address.
    #[error(
        "refusing to connect to {host} ({address}): private, loopback and link-local addresses are blocked by the egress guard"
    )]
    EgressBlocked {
        /// The host asked for.
        host: String,
        /// The address it resolved to.
        address: String,
    },
    /// A redirect to another origin was refused: a credential never
    /// leaves its origin.
    #[error(
        "{request}: refusing to follow the HTTP {status} redirect from {from} to {to}: {reason}, which never leaves its origin"
    )]
    CrossOriginRedirect {
        /// Which request.
        request: String,
        /// The redirect's status.
        status: u16,
        /// The origin asked.
        from: String,
        /// The origin the redirect points to.
        to: String,
        /// What the request carries.
        reason: String,
    },
    /// The server answered with an OAuth error.
    #[error("{request} failed: OAuth error `{error}`{}{}", .description.as_ref().map(|d| format!(": {d}")).unwrap_or_default(), .status.map(|s| format!(" (HTTP {s})")).unwrap_or_default())]
    OAuth {
        /// Which request.
        request: String,
        /// The OAuth `error` code.
        error: String,
        /// `error_description`, if any.
        description: Option<String>,
        /// The HTTP status.
        status: Option<u16>,
    },
    /// The token response lacks what the plan reads.
    #[error("token response: {0}")]
    TokenResponse(String),
    /// The server answered with an error status.
    #[error("{request} failed: HTTP {status}{}", .body.as_ref().map(|b| format!(": {b}")).unwrap_or_default())]
    Status {
        /// Which request.
        request: String,
        /// The status.
        status: u16,
        /// The start of the response body.
        body: Option<String>,
    },
    /// A 2xx answer whose body says the request failed, as the
    /// connector's `errors` declaration reads it (Slack's `ok: false`,
    /// GraphQL's `errors`).
    #[error("{request} failed: the API answered {}{}", api_summary(.code.as_deref(), .message), if *.token_invalid { "; it no longer accepts the credential (a method that gets tokens renewed it once): check or replace the credential, or log in again" } else { "" })]
    Api {
        /// Which request.
        request: String,
        /// The API's error code, when the declaration says where it is.
        code: Option<String>,
        /// The API's message (redacted, cut like a status error's body).
        message: String,
        /// The code is one the declaration lists under `reauth`: the token
        /// is not valid (any more).
        token_invalid: bool,
    },
    /// The request could not be sent or its response read.
    #[error("{request} failed: {message}")]
    Transport {
        /// Which request.
        request: String,
        /// Why (redacted).
        message: String,
    },
    /// Retries were used up.
    #[error("{request} failed after {attempts} attempts; last: {last}")]
    RetriesExhausted {
        /// Which request.
        request: String,
        /// How many attempts were made.
        attempts: u32,
        /// The last failure.
        last: String,
    },
    /// The request took longer than the timeout.
    #[error("{request} timed out after {timeout:?}")]
    Timeout {
        /// Which request.
        request: String,
        /// The timeout.
        timeout: Duration,
    },
    /// The token store failed.
    #[error("token store: {0}")]
    Store(String),
    /// The rate limiter could not decide whether a request may go out (a
    /// shared limiter whose server cannot be reached); nothing was sent.
    #[error("rate limit `{limit}`: {message}")]
    RateLimiter {
        /// The limit's key ([`RateLimit::key`](crate::RateLimit::key)).
        limit: String,
        /// What failed, and what to do.
        message: String,
    },
    /// The connection needs its user to log in (again).
    #[error("auth method `{method}` needs a new login: {reason}; run `patchbay auth login`")]
    LoginRequired {
        /// The auth method.
        method: String,
        /// Why.
        reason: String,
    },
    /// A device login (RFC 8628) ended without tokens: the user denied
    /// it, or its device code expired.
    #[error("device login of auth method `{method}` ended: {reason}")]
    DeviceLogin {
        /// The auth method.
        method: String,
        /// Why, and what to do.
        reason: String,
    },
    /// An authorization callback was refused before any code exchange.
    #[error("authorization callback refused: {0}")]
    Callback(String),
    /// A response body was larger than the limit for its request; it was
    /// not read past the limit.
    #[error("{request}: the response from {url} is larger than {} ({limit} bytes); {raise}", human_bytes(*.limit))]
    ResponseTooLarge {
        /// Which request.
        request: String,
        /// The URL that answered (redacted).
        url: String,
        /// The limit, in bytes.
        limit: u64,
        /// Which setting sets the limit, and how to raise it.
        raise: String,
    },
    /// An all-pages run was handed a cursor or next-page link it had
    /// already followed: the server would send the same pages forever.
    #[error(
        "endpoint `{endpoint}`: the server returned the {what} `{value}` a second time in this run; pagination stopped, as it would loop forever"
    )]
    PageRepeated {
        /// The endpoint.
        endpoint: String,
        /// `cursor` or `next-page link`.
        what: String,
        /// The repeated value (redacted).
        value: String,
    },
    /// An all-pages run whose pagination sets no `max_pages` reached the
    /// runtime's page cap (`Options::max_pages`) and the server still
    /// offered a next page.
    #[error(
        "endpoint `{endpoint}`: stopped after {limit} pages, the page cap for runs whose pagination sets no `max_pages`, and the server still offers a next page; raise the cap with `--max-pages N` (CLI) or `Options::max_pages`, or set `max_pages` in the endpoint's pagination to end runs there without an error"
    )]
    PageLimit {
        /// The endpoint.
        endpoint: String,
        /// The cap reached.
        limit: u32,
    },
    /// An all-pages run whose page gave no next cursor or link while a
    /// stop signal the pagination declares said more records follow
    /// (`more` reads `true`, or `total` is not reached). Ending there would
    /// pass for a complete read and an incremental run would keep a
    /// checkpoint past the records never read.
    #[error(
        "endpoint `{endpoint}`: the API says more records follow ({signal}) but gave {missing}; the run stops with this error rather than end as if every record was read (an incremental run keeps no checkpoint). Check the endpoint's pagination against the API's answer: where the next cursor or link is, and which field says more follow"
    )]
    PageUnfinished {
        /// The endpoint.
        endpoint: String,
        /// What the API said: that `/has_more` is true, say.
        signal: String,
        /// What was missing (no cursor at `/next`, say), any value quoted
        /// cut short and redacted.
        missing: String,
    },
    /// An incremental checkpoint could not be read or kept: a record
    /// without the field, a value of the wrong type, a checkpoint passed
    /// back that the endpoint's plan did not make. The message names the
    /// page and record, never the value.
    #[error("endpoint `{endpoint}`: checkpoint: {message}")]
    Checkpoint {
        /// The endpoint.
        endpoint: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A response could not be read as the plan says.
    #[error("{request}: {message}")]
    Response {
        /// Which request.
        request: String,
        /// Why.
        message: String,
    },
}

/// More error kinds, for the authorization-code flow.
impl Error {
    /// A short, stable name of the error's kind (`status`, `timeout`,
    /// `rate_limiter`, …), for a metric's label or a log field: it never
    /// holds a value.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Instance { .. } => "instance",
            Error::EndpointVariable { .. } => "endpoint_variable",
            Error::InstanceFile(_) => "instance_file",
            Error::NotFound(_) => "not_found",
            Error::Render { .. } => "render",
            Error::InsecureUrl { .. } => "insecure_url",
            Error::EgressBlocked { .. } => "egress_blocked",
            Error::CrossOriginRedirect { .. } => "cross_origin_redirect",
            Error::OAuth { .. } => "oauth",
            Error::TokenResponse(_) => "token_response",
            Error::Status { .. } => "status",
            Error::Api { .. } => "api",
            Error::Transport { .. } => "transport",
            Error::RetriesExhausted { .. } => "retries_exhausted",
            Error::Response { .. } => "response",
            Error::Timeout { .. } => "timeout",
            Error::Store(_) => "store",
            Error::RateLimiter { .. } => "rate_limiter",
            Error::LoginRequired { .. } => "login_required",
            Error::DeviceLogin { .. } => "device_login",
            Error::Callback(_) => "callback",
            Error::ResponseTooLarge { .. } => "response_too_large",
            Error::PageRepeated { .. } => "page_repeated",
            Error::PageUnfinished { .. } => "page_unfinished",
            Error::PageLimit { .. } => "page_limit",
            Error::Checkpoint { .. } => "checkpoint",
        }
    }

    pub(crate) fn login_required(method: &str, reason: impl fmt::Display) -> Self {
        Error::LoginRequired {
            method: method.to_owned(),
            reason: reason.to_string(),
        }
    }
}

impl Error {
    /// The error with every known secret masked in its texts: a provider's
    /// `error_description` or a response excerpt may quote a credential.
    pub(crate) fn redacted(self, redactor: &crate::secret::Redactor) -> Self {
        let r = |text: String| redactor.redact(&text);
        match self {
            Error::Instance { key, message } => Error::Instance {
                key,
                message: r(message),
            },
            Error::EndpointVariable { key, message } => Error::EndpointVariable {
                key,
                message: r(message),
            },
            Error::InstanceFile(m) => Error::InstanceFile(r(m)),
            Error::NotFound(m) => Error::NotFound(r(m)),
            Error::Render { what, message } => Error::Render {
                what,
                message: r(message),
            },
            Error::OAuth {
                request,
                error,
                description,
                status,
            } => Error::OAuth {
                request,
                error: r(error),
                description: description.map(r),
                status,
            },
            Error::TokenResponse(m) => Error::TokenResponse(r(m)),
            Error::Status {
                request,
                status,
                body,
            } => Error::Status {
                request,
                status,
                body: body.map(r),
            },
            Error::Api {
                request,
                code,
                message,
                token_invalid,
            } => Error::Api {
                request,
                code: code.map(r),
                message: r(message),
                token_invalid,
            },
            Error::Transport { request, message } => Error::Transport {
                request,
                message: r(message),
            },
            Error::RetriesExhausted {
                request,
                attempts,
                last,
            } => Error::RetriesExhausted {
                request,
                attempts,
                last: r(last),
            },
            Error::Response { request, message } => Error::Response {
                request,
                message: r(message),
            },
            Error::Store(m) => Error::Store(r(m)),
            Error::RateLimiter { limit, message } => Error::RateLimiter {
                limit,
                message: r(message),
            },
            Error::LoginRequired { method, reason } => Error::LoginRequired {
                method,
                reason: r(reason),
            },
            Error::DeviceLogin { method, reason } => Error::DeviceLogin {
                method,
                reason: r(reason),
            },
            Error::Callback(m) => Error::Callback(r(m)),
            Error::ResponseTooLarge {
                request,
                url,
                limit,
                raise,
            } => Error::ResponseTooLarge {
                request,
                url: r(url),
                limit,
                raise,
            },
            Error::PageRepeated {
                endpoint,
                what,
                value,
            } => Error::PageRepeated {
                endpoint,
                what,
                value: r(value),
            },
            Error::PageUnfinished {
                endpoint,
                signal,
                missing,
            } => Error::PageUnfinished {
                endpoint,
                signal: r(signal),
                missing: r(missing),
            },
            other @ (Error::InsecureUrl { .. }
            | Error::CrossOriginRedirect { .. }
            | Error::EgressBlocked { .. }
            | Error::Timeout { .. }
            | Error::PageLimit { .. }
            | Error::Checkpoint { .. }) => other,
        }
    }

    pub(crate) fn instance(key: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Instance {
            key: key.into(),
            message: message.into(),
        }
    }
}

/// The code and message of an [`Error::Api`], the message left out when it
/// only repeats the code (Slack's `error` is both).
fn api_summary(code: Option<&str>, message: &str) -> String {
    match code {
        Some(code) if code == message || message.is_empty() => format!("`{code}`"),
        Some(code) => format!("`{code}`: {message}"),
        None => message.to_owned(),
    }
}

/// A byte count for people: `32 MiB`, `1.5 KiB`, `100 bytes`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} bytes");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    let text = format!("{value:.1}");
    let text = text.strip_suffix(".0").unwrap_or(&text);
    format!("{text} {}", UNITS[unit])
}

/// A runtime result.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_counts_read_as_people_write_them() {
        assert_eq!(human_bytes(100), "100 bytes");
        assert_eq!(human_bytes(1536), "1.5 KiB");
        assert_eq!(human_bytes(32 * 1024 * 1024), "32 MiB");
        assert_eq!(human_bytes(1024 * 1024 * 1024), "1 GiB");
        assert_eq!(human_bytes(u64::MAX), "16777216 TiB");
    }
}
