//! What a variable's value must be, and which URLs may go without TLS: the
//! checks lint applies to defaults and templates and the runtime applies to
//! an instance's values and rendered URLs, written once.

use serde_json::Value;

use crate::model::VariableType;

/// Why a value does not fit its variable's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeMismatch {
    /// The JSON value has the wrong shape (a number for a string, …).
    Shape,
    /// A `url` value is a string but not an absolute http(s) URL; the text
    /// says why (see [`parse_http_url`]).
    Url(String),
}

/// Whether a value fits a variable type: strings for `string`, `secret`,
/// `enum` and `url` (an absolute http(s) URL), whole numbers for
/// `integer`, any number for `number`, `true`/`false` for `boolean`.
/// An `enum`'s options and a `pattern` are checked separately.
///
/// ```
/// use patchbay_schema::VariableType;
/// use patchbay_schema::value::{TypeMismatch, check_type};
/// use serde_json::json;
///
/// assert_eq!(check_type(VariableType::Integer, &json!(3)), Ok(()));
/// assert_eq!(check_type(VariableType::Integer, &json!(3.5)), Err(TypeMismatch::Shape));
/// assert!(matches!(check_type(VariableType::Url, &json!("shop.example.com")), Err(TypeMismatch::Url(_))));
/// ```
pub fn check_type(kind: VariableType, value: &Value) -> Result<(), TypeMismatch> {
    let fits = match kind {
        VariableType::String | VariableType::Secret | VariableType::Enum | VariableType::Url => {
            value.is_string()
        }
        VariableType::Integer => value.is_i64() || value.is_u64(),
        VariableType::Number => value.is_number(),
        VariableType::Boolean => value.is_boolean(),
    };
    if !fits {
        return Err(TypeMismatch::Shape);
    }
    match (kind, value.as_str()) {
        (VariableType::Url, Some(text)) => {
            parse_http_url(text).map(drop).map_err(TypeMismatch::Url)
        }
        _ => Ok(()),
    }
}

/// Whether a number lies within a variable's `minimum` and `maximum`
/// (both inclusive); the error says which bound it breaks. A value that
/// is not a number passes: [`check_type`] reports it.
///
/// ```
/// use patchbay_schema::value::check_bounds;
/// use serde_json::{Number, json};
///
/// let max = Number::from(200);
/// assert!(check_bounds(&json!(200), None, Some(&max)).is_ok());
/// assert_eq!(
///     check_bounds(&json!(500), None, Some(&max)).unwrap_err(),
///     "must be at most 200 (its `maximum`)"
/// );
/// ```
pub fn check_bounds(
    value: &Value,
    minimum: Option<&serde_json::Number>,
    maximum: Option<&serde_json::Number>,
) -> Result<(), String> {
    let Value::Number(number) = value else {
        return Ok(());
    };
    if let Some(minimum) = minimum
        && compare(number, minimum) == std::cmp::Ordering::Less
    {
        return Err(format!("must be at least {minimum} (its `minimum`)"));
    }
    if let Some(maximum) = maximum
        && compare(number, maximum) == std::cmp::Ordering::Greater
    {
        return Err(format!("must be at most {maximum} (its `maximum`)"));
    }
    Ok(())
}

/// Orders two JSON numbers: exactly when both are integers, else as
/// floating point.
pub fn compare(a: &serde_json::Number, b: &serde_json::Number) -> std::cmp::Ordering {
    let whole = |n: &serde_json::Number| {
        n.as_i64()
            .map(i128::from)
            .or_else(|| n.as_u64().map(i128::from))
    };
    match (whole(a), whole(b)) {
        (Some(a), Some(b)) => a.cmp(&b),
        _ => {
            let float = |n: &serde_json::Number| n.as_f64().unwrap_or(f64::NAN);
            float(a)
                .partial_cmp(&float(b))
                .unwrap_or(std::cmp::Ordering::Equal)
        }
    }
}

/// Parses an absolute http(s) URL with a host, the only kind a `url`
/// value may be. The error says what is wrong, without quoting the text.
///
/// ```
/// use patchbay_schema::value::parse_http_url;
/// assert!(parse_http_url("https://shop.example.com/api").is_ok());
/// assert!(parse_http_url("shop.example.com").is_err());
/// assert!(parse_http_url("ftp://example.com").is_err());
/// ```
pub fn parse_http_url(text: &str) -> Result<url::Url, String> {
    let url = url::Url::parse(text).map_err(|e| format!("not an absolute URL ({e})"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err("must be an http(s) URL with a host, e.g. https://api.example.com".to_owned());
    }
    Ok(url)
}

/// Whether a host is loopback (`localhost`, `127.0.0.0/8`, `::1`): the only
/// hosts plain `http://` may reach.
///
/// ```
/// use patchbay_schema::value::is_loopback;
/// let host = |text| url::Host::parse(text).unwrap();
/// assert!(is_loopback(&host("LOCALHOST")));
/// assert!(is_loopback(&host("127.0.0.1")));
/// assert!(is_loopback(&host("[::1]")));
/// assert!(!is_loopback(&host("127.0.0.1.evil.example")));
/// ```
pub fn is_loopback<S: AsRef<str>>(host: &url::Host<S>) -> bool {
    match host {
        url::Host::Domain(name) => name.as_ref().eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    }
}
