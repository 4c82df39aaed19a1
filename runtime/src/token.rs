//! Tokens and token responses: what a token request returns, read as the
//! plan says, and what of a token may be shown.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;
use patchbay_compiler::plan::TokenResponsePlan;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::Response;
use crate::secret::Secret;

/// An access token and what came with it.
#[derive(Debug, Clone)]
pub struct Token {
    /// The token (redacted in `Debug`).
    pub access_token: Secret,
    /// `token_type`, if the response gave one.
    pub token_type: Option<String>,
    /// When it expires, if known.
    pub expires_at: Option<SystemTime>,
    /// How long it was issued for, if known: its renewal margin scales
    /// with it ([`Token::needs_renewal`]).
    pub lifetime: Option<Duration>,
    /// The refresh token, if any.
    pub refresh_token: Option<Secret>,
    /// Granted scope, if the response said.
    pub scope: Option<String>,
    /// Captured fields (runtime values for endpoint templates).
    pub captures: IndexMap<String, Value>,
    /// Values the method's discovery request found (runtime values for
    /// endpoint templates), kept across refreshes.
    pub discovered: IndexMap<String, Value>,
    /// The entries the discovery chose among, by label, when there were
    /// several: what `auth status` lists.
    pub candidates: Vec<String>,
}

/// What may be shown of a token: never the token itself.
#[derive(Debug, Clone, Serialize)]
pub struct TokenInfo {
    /// `token_type`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Seconds until expiry, if known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<u64>,
    /// Granted scope.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Whether a refresh token came with it.
    pub refreshable: bool,
    /// Captured field names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub captured: Vec<String>,
    /// Discovered value names.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub discovered: Vec<String>,
}

/// A token is renewed when less than this share of its lifetime is left
/// (a tenth: 6 minutes of an hour, half a second of 5 seconds), and never
/// earlier than the runtime's [`Options::max_token_margin`]. A fixed
/// margin longer than a short lifetime would renew every token at once,
/// and with rotation each renewal revokes the token another process has
/// just obtained.
///
/// [`Options::max_token_margin`]: crate::Options::max_token_margin
pub const RENEWAL_SHARE_OF_LIFETIME: f64 = 0.1;

impl Token {
    /// Whether it is still good for `margin` more.
    pub fn is_fresh(&self, margin: Duration) -> bool {
        self.expires_at.is_none_or(|at| {
            at.duration_since(SystemTime::now())
                .is_ok_and(|left| left > margin)
        })
    }

    /// How long before it expires it is renewed: a share of its lifetime
    /// ([`RENEWAL_SHARE_OF_LIFETIME`]) up to `max_margin`, or `max_margin`
    /// when its lifetime is unknown (tokens stored by older versions).
    pub fn renewal_margin(&self, max_margin: Duration) -> Duration {
        self.lifetime.map_or(max_margin, |lifetime| {
            lifetime.mul_f64(RENEWAL_SHARE_OF_LIFETIME).min(max_margin)
        })
    }

    /// Whether it is due for renewal: within its
    /// [renewal margin](Token::renewal_margin) of expiry, or past it.
    pub fn needs_renewal(&self, max_margin: Duration) -> bool {
        !self.is_fresh(self.renewal_margin(max_margin))
    }

    /// Whether it has expired.
    pub fn is_expired(&self) -> bool {
        !self.is_fresh(Duration::ZERO)
    }

    /// Its shareable metadata.
    pub fn info(&self) -> TokenInfo {
        TokenInfo {
            token_type: self.token_type.clone(),
            expires_in: self.expires_at.map(|at| {
                at.duration_since(SystemTime::now())
                    .unwrap_or_default()
                    .as_secs()
            }),
            scope: self.scope.clone(),
            refreshable: self.refresh_token.is_some(),
            captured: self.captures.keys().cloned().collect(),
            discovered: self.discovered.keys().cloned().collect(),
        }
    }
}

/// A value at a path: a JSON pointer when it starts with `/`, a dotted
/// path otherwise.
pub(crate) fn at_path<'v>(value: &'v Value, path: &str) -> Option<&'v Value> {
    if path.starts_with('/') {
        return value.pointer(path);
    }
    path.split('.')
        .try_fold(value, |current, segment| match current {
            Value::Object(members) => members.get(segment),
            Value::Array(items) => items.get(segment.parse::<usize>().ok()?),
            _ => None,
        })
}

/// A field of a token response: the whole document when `path` is empty
/// (RFC 6901's empty pointer; Magento answers a login with the token as a
/// bare JSON string), else [`at_path`].
fn token_field<'v>(body: &'v Value, path: &str) -> Option<&'v Value> {
    if path.is_empty() {
        Some(body)
    } else {
        at_path(body, path)
    }
}

/// What kind of JSON value this is, for messages that must not quote it.
fn json_kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(s) if s.is_empty() => "an empty string",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// The longest a token is taken to live. Longer lifetimes (a hostile or
/// broken server's `expires_in` of 2^63 or 1e30, a tampered store) are cut
/// to it: `SystemTime` cannot hold every `u64` of seconds, and a century is
/// "never" for any process.
pub(crate) const LONGEST_LIFETIME: Duration = Duration::from_secs(100 * 365 * 86_400);

/// A count of seconds as a token response gives it.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Seconds {
    /// Whole seconds (a fraction rounded down, a huge value saturated).
    Count(u64),
    /// Negative: the moment is already past.
    Past,
}

/// Reads seconds from a number or a numeric string (some providers, e.g.
/// NetSuite and Azure AD v1, send numbers as strings). `Ok(None)` is JSON
/// `null`; anything else that is not a number is an error naming `field`.
fn as_seconds(request: &str, field: &str, value: &Value) -> Result<Option<Seconds>> {
    let number = match value {
        Value::Null => return Ok(None),
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    };
    match number {
        Some(n) if n.is_finite() && n < 0.0 => Ok(Some(Seconds::Past)),
        // `as` rounds toward zero and saturates at `u64::MAX`.
        Some(n) if n.is_finite() => Ok(Some(Seconds::Count(n as u64))),
        _ => Err(Error::TokenResponse(format!(
            "{request}: `{field}` is not a number of seconds: {}",
            excerpt(value)
        ))),
    }
}

/// An `expires_at` value: seconds since the Unix epoch (as a number or a
/// numeric string) or an RFC 3339 timestamp.
fn absolute_expiry(
    request: &str,
    field: &str,
    value: &Value,
    now: SystemTime,
) -> Result<Option<SystemTime>> {
    if let Some(seconds) = value.as_str().and_then(rfc3339_seconds) {
        return Ok(Some(since_epoch(now, seconds)));
    }
    Ok(as_seconds(request, field, value)?.map(|s| match s {
        Seconds::Count(s) => since_epoch(now, s),
        Seconds::Past => UNIX_EPOCH,
    }))
}

/// A short rendering of a value that is not a secret (an expiry).
fn excerpt(value: &Value) -> String {
    let text = value.to_string();
    match text.char_indices().nth(40) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text,
    }
}

/// The moment `seconds` after `now`, at most [`LONGEST_LIFETIME`] away.
fn after(now: SystemTime, seconds: Seconds) -> SystemTime {
    match seconds {
        Seconds::Count(s) => now + Duration::from_secs(s).min(LONGEST_LIFETIME),
        Seconds::Past => now,
    }
}

/// The moment `seconds` after the Unix epoch, no later than
/// [`LONGEST_LIFETIME`] from `now`.
pub(crate) fn since_epoch(now: SystemTime, seconds: u64) -> SystemTime {
    let latest = now + LONGEST_LIFETIME;
    UNIX_EPOCH
        .checked_add(Duration::from_secs(seconds))
        .map_or(latest, |at| at.min(latest))
}

/// Seconds since the Unix epoch of an RFC 3339 timestamp
/// (`2026-11-24T10:00:00Z`, `2026-11-24T11:00:00.5+01:00`).
fn rfc3339_seconds(text: &str) -> Option<u64> {
    let text = text.trim();
    let (date, rest) = text.split_once(['T', 't', ' '])?;
    let mut date_parts = date.splitn(3, '-').map(|p| p.parse::<i64>().ok());
    let (year, month, day) = (
        date_parts.next()??,
        date_parts.next()??,
        date_parts.next()??,
    );
    let offset_at = rest.rfind(['Z', 'z', '+', '-'])?;
    let (time, offset) = rest.split_at(offset_at);
    let mut time_parts = time.splitn(3, ':');
    let hour: i64 = time_parts.next()?.parse().ok()?;
    let minute: i64 = time_parts.next()?.parse().ok()?;
    let second: i64 = time_parts.next()?.split('.').next()?.parse().ok()?;
    let offset_seconds = match offset {
        "Z" | "z" => 0,
        _ => {
            let sign = if offset.starts_with('-') { -1 } else { 1 };
            let (h, m) = offset[1..].split_once(':')?;
            sign * (h.parse::<i64>().ok()? * 3600 + m.parse::<i64>().ok()? * 60)
        }
    };
    if !(1..=12).contains(&month)
        || !(1..=31).contains(&day)
        || hour > 23
        || minute > 59
        || second > 60
    {
        return None;
    }
    // Days from the civil date (H. Hinnant's algorithm).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    u64::try_from(days * 86_400 + hour * 3600 + minute * 60 + second - offset_seconds).ok()
}

pub(crate) fn oauth_error(
    request: &str,
    body: &Value,
    field: &str,
    status: Option<u16>,
) -> Option<Error> {
    let error = body.get(field)?;
    let error = match error {
        Value::String(code) => code.clone(),
        other => other.to_string(),
    };
    Some(Error::OAuth {
        request: request.to_owned(),
        error,
        description: body
            .get("error_description")
            .and_then(Value::as_str)
            .map(str::to_owned),
        status,
    })
}

/// The refresh token a successful token response carries, if any: what
/// must be kept even when the rest of the response cannot be read, since
/// the server may already have retired the one it replaces.
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
pub fn issued_refresh_token(response: &Response, plan: &TokenResponsePlan) -> Option<Secret> {
    if !response.is_success() {
        return None;
    }
    let body: Value = response.json().ok()?;
    at_path(&body, &plan.refresh_token.value)
        .and_then(Value::as_str)
        .filter(|token| !token.is_empty())
        .map(Secret::new)
}

/// Reads a token response as the plan says. An OAuth `error` is an error
/// even with HTTP 200; secrets are never quoted.
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
pub fn read_token_response(
    request: &str,
    response: &Response,
    plan: &TokenResponsePlan,
    previous_refresh: Option<&Secret>,
) -> Result<Token> {
    let body: Option<Value> = response.json().ok();
    let error_field = plan.error.as_deref().unwrap_or("error");
    if !response.is_success() {
        if let Some(error) = body
            .as_ref()
            .and_then(|b| oauth_error(request, b, error_field, Some(response.status)))
        {
            return Err(error);
        }
        return Err(Error::Status {
            request: request.to_owned(),
            status: response.status,
            // The body of a failed token request may echo credentials:
            // say only how long it was.
            body: Some(format!("{} bytes of response body", response.body.len())),
        });
    }
    let body =
        body.ok_or_else(|| Error::TokenResponse(format!("{request}: the response is not JSON")))?;
    if plan.error.is_some()
        && let Some(error) = oauth_error(request, &body, error_field, Some(response.status))
    {
        return Err(error);
    }
    let path = &plan.access_token.value;
    let access_token = match token_field(&body, path) {
        Some(Value::String(token)) if !token.is_empty() => Secret::new(token.as_str()),
        // The kind of value only: a body that is not a string may still
        // hold a credential.
        Some(other) if path.is_empty() => {
            return Err(Error::TokenResponse(format!(
                "{request}: the token is the whole response body, which must be a non-empty JSON string; it is {}",
                json_kind(other)
            )));
        }
        Some(_) => {
            return Err(Error::TokenResponse(format!(
                "{request}: the value at `{path}` is not a non-empty string"
            )));
        }
        None => {
            let fields: Vec<&str> = body
                .as_object()
                .map(|o| o.keys().map(String::as_str).collect())
                .unwrap_or_default();
            return Err(Error::TokenResponse(format!(
                "{request}: no access token at `{path}`; the response has the fields: {}",
                fields.join(", ")
            )));
        }
    };
    let now = SystemTime::now();
    let lifetime = match plan.expires_in.as_ref() {
        Some(p) => match at_path(&body, &p.value) {
            Some(value) => as_seconds(request, &p.value, value)?.map(|s| after(now, s)),
            None => None,
        },
        None => None,
    };
    let absolute = match plan.expires_at.as_ref() {
        Some(p) => match at_path(&body, &p.value) {
            Some(value) => absolute_expiry(request, &p.value, value, now)?,
            None => None,
        },
        None => None,
    };
    let expires_at = lifetime.or(absolute).or_else(|| {
        plan.default_expires_in
            .map(|s| after(now, Seconds::Count(s)))
    });
    let lifetime = expires_at.map(|at| at.duration_since(now).unwrap_or_default());
    let refresh_token = at_path(&body, &plan.refresh_token.value)
        .and_then(Value::as_str)
        .map(Secret::new)
        // RFC 6749 §6: a refresh response may omit it; the old one stays.
        .or_else(|| previous_refresh.cloned());
    let mut captures = IndexMap::new();
    for (name, path) in &plan.capture {
        let value = at_path(&body, path).ok_or_else(|| {
            Error::TokenResponse(format!(
                "{request}: nothing at `{path}` to capture as `{name}`"
            ))
        })?;
        captures.insert(name.clone(), value.clone());
    }
    Ok(Token {
        access_token,
        token_type: body
            .get("token_type")
            .and_then(Value::as_str)
            .map(str::to_owned),
        expires_at,
        lifetime,
        refresh_token,
        scope: body.get("scope").and_then(Value::as_str).map(str::to_owned),
        captures,
        discovered: IndexMap::new(),
        candidates: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn paths_are_pointers_or_dotted() {
        let body = json!({ "data": { "session": { "token": "t" } }, "list": [1, 2] });
        assert_eq!(at_path(&body, "/data/session/token"), Some(&json!("t")));
        assert_eq!(at_path(&body, "data.session.token"), Some(&json!("t")));
        assert_eq!(at_path(&body, "list.1"), Some(&json!(2)));
        assert_eq!(at_path(&body, "data.missing"), None);
    }

    #[test]
    fn rfc3339_timestamps() {
        assert_eq!(rfc3339_seconds("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(rfc3339_seconds("2026-11-24T10:00:00Z"), Some(1_795_514_400));
        assert_eq!(
            rfc3339_seconds("2026-11-24T11:00:00.250+01:00"),
            Some(1_795_514_400)
        );
        assert_eq!(
            rfc3339_seconds("2000-02-29T12:00:00-02:30"),
            Some(951_834_600)
        );
        assert_eq!(rfc3339_seconds("tomorrow"), None);
    }

    #[test]
    fn seconds_from_numbers_and_strings() {
        let seconds = |v: Value| as_seconds("token request", "expires_in", &v);
        assert_eq!(seconds(json!("3600")).unwrap(), Some(Seconds::Count(3600)));
        assert_eq!(seconds(json!(3600)).unwrap(), Some(Seconds::Count(3600)));
        assert_eq!(seconds(json!(59.9)).unwrap(), Some(Seconds::Count(59)));
        assert_eq!(seconds(json!(-1)).unwrap(), Some(Seconds::Past));
        assert_eq!(seconds(json!("-30")).unwrap(), Some(Seconds::Past));
        assert_eq!(
            seconds(json!(1e30)).unwrap(),
            Some(Seconds::Count(u64::MAX))
        );
        assert_eq!(seconds(json!(null)).unwrap(), None);
        let error = seconds(json!("soon")).unwrap_err().to_string();
        assert!(
            error.contains("`expires_in` is not a number of seconds"),
            "{error}"
        );
        assert!(seconds(json!(true)).is_err());
    }

    fn token_living(lifetime: Option<Duration>, left: Duration) -> Token {
        Token {
            access_token: Secret::new("t"),
            token_type: None,
            expires_at: Some(SystemTime::now() + left),
            lifetime,
            refresh_token: None,
            scope: None,
            captures: IndexMap::new(),
            discovered: IndexMap::new(),
            candidates: Vec::new(),
        }
    }

    #[test]
    fn the_renewal_margin_is_a_tenth_of_the_lifetime_up_to_the_maximum() {
        let max = Duration::from_secs(60);
        let margin = |lifetime: u64| {
            token_living(Some(Duration::from_secs(lifetime)), Duration::ZERO).renewal_margin(max)
        };
        assert_eq!(margin(5), Duration::from_millis(500));
        assert_eq!(margin(300), Duration::from_secs(30));
        assert_eq!(margin(3600), max, "capped");
        assert_eq!(margin(0), Duration::ZERO);
        let unknown = token_living(None, Duration::ZERO);
        assert_eq!(unknown.renewal_margin(max), max);
        // 40 s left of a 5-minute token: kept; of an hour's: renewed.
        let left = Duration::from_secs(40);
        assert!(!token_living(Some(Duration::from_secs(300)), left).needs_renewal(max));
        assert!(token_living(Some(Duration::from_secs(3600)), left).needs_renewal(max));
        assert!(token_living(None, left).needs_renewal(max));
    }

    #[test]
    fn huge_lifetimes_saturate() {
        let now = SystemTime::now();
        let longest = now + LONGEST_LIFETIME;
        assert_eq!(after(now, Seconds::Count(u64::MAX)), longest);
        assert_eq!(after(now, Seconds::Count(1 << 63)), longest);
        assert_eq!(after(now, Seconds::Past), now);
        assert_eq!(since_epoch(now, u64::MAX), longest);
        assert_eq!(since_epoch(now, 0), UNIX_EPOCH);
    }
}
