//! The device authorization grant (RFC 8628): a login for a program on a
//! machine without a browser. The device authorization request gets a
//! device code (a secret, kept here) and a user code (meant to be shown);
//! the user opens the verification URI on another device and approves,
//! while the device token request polls `token_url` with the device code.
//! The tokens then go where an authorization-code login's go: the same
//! store, refreshed the same way.
//!
//! The server's answers are bounded: the time between polls and the time
//! the login may take are capped ([`DEVICE_POLL_INTERVAL_LIMIT`],
//! [`LOGIN_TIMEOUT`]), and the texts meant for the user are checked before
//! anyone sees them.

use std::fmt;
use std::time::{Duration, Instant};

use patchbay_schema::catalog::AuthPart;
use serde_json::Value;

use super::login::LOGIN_TIMEOUT;
use super::{Auth, TokenCache};
use crate::error::{Error, Result};
use crate::http::Carries;
use crate::secret::{Redactor, Secret};
use crate::token::{Token, oauth_error, read_token_response};

/// The longest wait between two polls, whatever the server asks (its
/// `interval`, or `slow_down` answers): a server cannot stall a login
/// until it expires unpolled.
pub const DEVICE_POLL_INTERVAL_LIMIT: Duration = Duration::from_secs(60);

/// The wait between polls when the server states none (RFC 8628 §3.2).
const DEFAULT_INTERVAL: Duration = Duration::from_secs(5);

/// The shortest wait between polls: an `interval` of 0 would hammer the
/// token endpoint.
const MIN_INTERVAL: Duration = Duration::from_secs(1);

/// What a `slow_down` answer adds to the wait (RFC 8628 §3.5).
const SLOW_DOWN_STEP: Duration = Duration::from_secs(5);

/// The longest user code shown; RFC 8628 §6.1 recommends about eight
/// characters.
const MAX_USER_CODE_CHARS: usize = 64;

/// The longest verification URI shown.
const MAX_URI_CHARS: usize = 2048;

/// A device login started and waiting for the user: show them
/// [`verification_uri`](Self::verification_uri) (or the complete one,
/// which carries the code) and [`user_code`](Self::user_code), then pass
/// it to [`Connection::complete_device_login`], which polls until the user
/// approves, denies, or the code expires. The device code it holds is a
/// secret: `Debug` never shows it.
///
/// [`Connection::complete_device_login`]: crate::Connection::complete_device_login
///
/// ```no_run
/// # async fn example(connection: patchbay_runtime::Connection) -> Result<(), Box<dyn std::error::Error>> {
/// let device = connection.start_device_login().await?;
/// for note in &device.notes {
///     eprintln!("{note}");
/// }
/// println!("Open {} and enter the code {}", device.verification_uri, device.user_code);
/// let token = connection.complete_device_login(&device).await?;
/// println!("logged in: {:?}", token.info());
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct DeviceLogin {
    /// The code the user enters at the verification URI. Not a secret: it
    /// is meant to be shown, and is useless without the device code.
    pub user_code: String,
    /// Where the user enters the code (`verification_uri`, or Google's
    /// `verification_url`).
    pub verification_uri: url::Url,
    /// A URI that carries the user code too, when the server gives one
    /// (for a link or a QR code).
    pub verification_uri_complete: Option<url::Url>,
    /// The wait between polls: the server's `interval` (default 5 s),
    /// within 1 s and [`DEVICE_POLL_INTERVAL_LIMIT`].
    pub interval: Duration,
    /// How long the login may take: the server's `expires_in`, at most
    /// [`LOGIN_TIMEOUT`].
    pub expires_in: Duration,
    /// What was changed in the server's answer, for the user: an interval
    /// or lifetime beyond patchbay's limits, naming the limit.
    pub notes: Vec<String>,
    /// The device code (RFC 8628 §3.2), sent with each poll.
    device_code: Secret,
    /// When the server answered: the lifetime counts from here.
    started: Instant,
}

impl fmt::Debug for DeviceLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DeviceLogin")
            .field("user_code", &self.user_code)
            .field("verification_uri", &self.verification_uri.as_str())
            .field("interval", &self.interval)
            .field("expires_in", &self.expires_in)
            .finish_non_exhaustive()
    }
}

/// Starts a device login: sends the device authorization request and
/// reads its answer.
pub(crate) async fn start(auth: &Auth<'_>, tokens: &TokenCache) -> Result<DeviceLogin> {
    let request = auth.request(AuthPart::DeviceAuthorization, &[])?;
    let response = auth
        .http
        .send(&request, Carries::Credential, tokens.secrets())
        .await?;
    let label = &request.label;
    let body: Option<Value> = response.json().ok();
    if let Some(error) = body
        .as_ref()
        .and_then(|b| oauth_error(label, b, "error", Some(response.status)))
    {
        return Err(error.redacted(tokens.secrets()));
    }
    if !response.is_success() {
        return Err(Error::Status {
            request: label.clone(),
            status: response.status,
            body: Some(format!("{} bytes of response body", response.body.len())),
        });
    }
    let started = Instant::now();
    let body = body.ok_or_else(|| answer_error(label, "it is not JSON"))?;
    let device_code = match body.get("device_code") {
        Some(Value::String(code)) if !code.is_empty() => Secret::new(code.as_str()),
        _ => return Err(answer_error(label, "it has no `device_code` string")),
    };
    let user_code = match body.get("user_code") {
        Some(Value::String(code)) if shows_safely(code) => code.clone(),
        Some(Value::String(_)) => {
            return Err(answer_error(
                label,
                &format!(
                    "its `user_code` is not 1 to {MAX_USER_CODE_CHARS} printable ASCII characters, so it is not shown"
                ),
            ));
        }
        _ => return Err(answer_error(label, "it has no `user_code` string")),
    };
    let verification_uri = ["verification_uri", "verification_url"]
        .iter()
        .find_map(|field| body.get(*field).map(|value| (*field, value)))
        .ok_or_else(|| answer_error(label, "it has no `verification_uri`"))
        .and_then(|(field, value)| user_url(label, field, value))?;
    let verification_uri_complete = body
        .get("verification_uri_complete")
        .filter(|value| !value.is_null())
        .map(|value| user_url(label, "verification_uri_complete", value))
        .transpose()?;
    let mut notes = Vec::new();
    let interval = match seconds(label, &body, "interval")? {
        None => DEFAULT_INTERVAL,
        Some(asked) if asked > DEVICE_POLL_INTERVAL_LIMIT => {
            notes.push(format!(
                "The server asked for {} s between polls; patchbay polls every {} s at most (DEVICE_POLL_INTERVAL_LIMIT).",
                asked.as_secs(),
                DEVICE_POLL_INTERVAL_LIMIT.as_secs()
            ));
            DEVICE_POLL_INTERVAL_LIMIT
        }
        Some(asked) => asked.max(MIN_INTERVAL),
    };
    let expires_in = match seconds(label, &body, "expires_in")? {
        Some(given) if given <= LOGIN_TIMEOUT => given,
        given => {
            notes.push(format!(
                "{}; patchbay waits at most {} minutes for the approval (LOGIN_TIMEOUT).",
                given.map_or_else(
                    || "The server gave no lifetime for the device code".to_owned(),
                    |s| format!("The server gave the device code {} s", s.as_secs())
                ),
                LOGIN_TIMEOUT.as_secs() / 60
            ));
            LOGIN_TIMEOUT
        }
    };
    Ok(DeviceLogin {
        user_code,
        verification_uri,
        verification_uri_complete,
        interval,
        expires_in,
        notes,
        device_code,
        started,
    })
}

/// Polls the token endpoint with the device code until the user approves
/// (the tokens are stored, as a login's), denies, or the code expires.
/// Each poll takes the store's lock, as a code exchange does: the poll
/// that succeeds spends the device code.
pub(crate) async fn complete(
    auth: &Auth<'_>,
    tokens: &TokenCache,
    login: &DeviceLogin,
) -> Result<Token> {
    let deadline = login.started + login.expires_in;
    let mut interval = login.interval;
    let mut redactor: Redactor = tokens.secrets().clone();
    redactor.add(&login.device_code);
    let plan = auth.token_response()?;
    loop {
        if Instant::now() + interval >= deadline {
            return Err(ended(
                auth,
                format!(
                    "the user did not approve it within {} s, the lifetime of its device code; start a new device login",
                    login.expires_in.as_secs()
                ),
            ));
        }
        tokio::time::sleep(interval).await;
        let request = auth.request(
            AuthPart::DeviceToken,
            &[("device_code", login.device_code.expose())],
        )?;
        let poll = async {
            let response = auth
                .http
                .send(&request, Carries::Credential, &redactor)
                .await?;
            read_token_response(&request.label, &response, plan, None)
                .map_err(|e| e.redacted(&redactor))
        };
        match tokens.install_from(auth, poll).await {
            Err(Error::OAuth { error, .. }) if error == "authorization_pending" => {}
            Err(Error::OAuth { error, .. }) if error == "slow_down" => {
                interval = (interval + SLOW_DOWN_STEP).min(DEVICE_POLL_INTERVAL_LIMIT);
            }
            // Microsoft's identity platform says `authorization_declined`.
            Err(Error::OAuth { error, .. })
                if error == "access_denied" || error == "authorization_declined" =>
            {
                return Err(ended(
                    auth,
                    format!(
                        "the user denied it at the verification page (the server answered `{error}`); start a new device login to try again"
                    ),
                ));
            }
            Err(Error::OAuth { error, .. }) if error == "expired_token" => {
                return Err(ended(
                    auth,
                    "its device code expired before the user approved it (the server answered `expired_token`); start a new device login",
                ));
            }
            outcome => return outcome,
        }
    }
}

fn ended(auth: &Auth<'_>, reason: impl Into<String>) -> Error {
    Error::DeviceLogin {
        method: auth.key.to_owned(),
        reason: reason.into(),
    }
}

fn answer_error(request: &str, problem: &str) -> Error {
    Error::Response {
        request: request.to_owned(),
        message: format!("the device authorization answer cannot be used: {problem}"),
    }
}

/// Whether a user code can be printed as is: printable ASCII (no control
/// sequence reaches the user's terminal), short.
fn shows_safely(code: &str) -> bool {
    !code.trim().is_empty()
        && code.len() <= MAX_USER_CODE_CHARS
        && code.chars().all(|c| c.is_ascii_graphic() || c == ' ')
}

/// A URL the user is sent to: http(s), of a bounded length. Its
/// serialisation percent-encodes anything a terminal would interpret.
fn user_url(request: &str, field: &str, value: &Value) -> Result<url::Url> {
    let text = value
        .as_str()
        .ok_or_else(|| answer_error(request, &format!("its `{field}` is not a string")))?;
    let url = url::Url::parse(text)
        .ok()
        .filter(|url| matches!(url.scheme(), "https" | "http") && text.len() <= MAX_URI_CHARS)
        .ok_or_else(|| {
            answer_error(
                request,
                &format!(
                    "its `{field}` is not an http(s) URL of at most {MAX_URI_CHARS} characters"
                ),
            )
        })?;
    Ok(url)
}

/// A number of seconds (a number or a numeric string), if the field is
/// there; a negative one counts as zero, a fraction is rounded down.
fn seconds(request: &str, body: &Value, field: &str) -> Result<Option<Duration>> {
    let number = match body.get(field) {
        None | Some(Value::Null) => return Ok(None),
        Some(Value::Number(n)) => n.as_f64(),
        Some(Value::String(s)) => s.trim().parse::<f64>().ok(),
        Some(_) => None,
    };
    match number {
        // `as` rounds toward zero and saturates.
        Some(n) if n.is_finite() => Ok(Some(Duration::from_secs(n.max(0.0) as u64))),
        _ => Err(answer_error(
            request,
            &format!("its `{field}` is not a number of seconds"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_codes_with_control_characters_are_not_shown() {
        assert!(shows_safely("WDJB-MJHT"));
        assert!(shows_safely("123 456"));
        assert!(!shows_safely(""));
        assert!(!shows_safely("   "));
        assert!(!shows_safely("AB\u{1b}[2JCD"));
        assert!(!shows_safely("AB\nCD"));
        assert!(!shows_safely("ÄBCD"));
        assert!(!shows_safely(&"A".repeat(MAX_USER_CODE_CHARS + 1)));
    }

    #[test]
    fn seconds_are_read_from_numbers_and_numeric_strings() {
        let body = serde_json::json!({ "a": 5, "b": "7", "c": -3, "d": 1.9, "e": [], "f": 1e300 });
        let read = |field| seconds("r", &body, field).unwrap();
        assert_eq!(read("a"), Some(Duration::from_secs(5)));
        assert_eq!(read("b"), Some(Duration::from_secs(7)));
        assert_eq!(read("c"), Some(Duration::ZERO));
        assert_eq!(read("d"), Some(Duration::from_secs(1)));
        assert_eq!(read("f"), Some(Duration::from_secs(u64::MAX)));
        assert_eq!(read("missing"), None);
        assert!(seconds("r", &body, "e").is_err());
    }

    #[test]
    fn only_http_urls_are_shown() {
        let url = |text: &str| user_url("r", "verification_uri", &Value::String(text.into()));
        assert!(url("https://example.com/device").is_ok());
        assert!(url("javascript:alert(1)").is_err());
        assert!(url("file:///etc/passwd").is_err());
        assert!(
            url(&format!(
                "https://example.com/{}",
                "a".repeat(MAX_URI_CHARS)
            ))
            .is_err()
        );
        let escaped = url("https://example.com/\u{1b}[2J").unwrap();
        assert!(!escaped.as_str().contains('\u{1b}'));
    }
}
