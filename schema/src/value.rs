//! What a variable's value must be, and which URLs may go without TLS: the
//! checks lint applies to defaults and templates and the runtime applies to
//! an instance's values and rendered URLs, written once.

use std::cmp::Ordering;

use serde_json::Value;

use crate::model::{CheckpointType, VariableType};

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

/// An instant read from an RFC 3339 timestamp, ordered as instants: the
/// same moment written with another offset or more trailing zeros is
/// equal.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timestamp {
    /// Seconds since 1970-01-01T00:00:00Z (a leap second counts as the
    /// next second).
    seconds: i64,
    /// The fraction's digits without trailing zeros: compared as text, they
    /// order like the fractions they write.
    fraction: String,
}

/// Parses an RFC 3339 `date-time` strictly: `YYYY-MM-DDTHH:MM:SS`, an
/// optional fraction, and `Z` or a `±HH:MM` offset (`T` and `Z` in either
/// case, as RFC 3339 §5.6 allows). The error says what is wrong without
/// quoting the text.
///
/// ```
/// use patchbay_schema::value::parse_timestamp;
/// let at = |text| parse_timestamp(text).unwrap();
/// assert_eq!(at("2024-03-01T10:00:00+02:00"), at("2024-03-01T08:00:00.000Z"));
/// assert!(at("2024-03-01T08:00:00.5Z") > at("2024-03-01T08:00:00.25Z"));
/// assert!(parse_timestamp("2024-02-30T00:00:00Z").is_err());
/// assert!(parse_timestamp("1709280000").is_err());
/// ```
pub fn parse_timestamp(text: &str) -> Result<Timestamp, String> {
    const SHAPE: &str = "is not an RFC 3339 timestamp such as 2024-03-01T08:00:00Z (date, `T`, time, `Z` or an offset like +02:00)";
    let bytes = text.as_bytes();
    let digits = |range: std::ops::Range<usize>| -> Result<i64, String> {
        let part = bytes.get(range).ok_or(SHAPE)?;
        if part.is_empty() || !part.iter().all(u8::is_ascii_digit) {
            return Err(SHAPE.to_owned());
        }
        Ok(part.iter().fold(0, |n, b| n * 10 + i64::from(b - b'0')))
    };
    let separator = |at: usize, allowed: &[u8]| -> Result<(), String> {
        match bytes.get(at) {
            Some(b) if allowed.contains(b) => Ok(()),
            _ => Err(SHAPE.to_owned()),
        }
    };
    let year = digits(0..4)?;
    separator(4, b"-")?;
    let month = digits(5..7)?;
    separator(7, b"-")?;
    let day = digits(8..10)?;
    separator(10, b"Tt")?;
    let hour = digits(11..13)?;
    separator(13, b":")?;
    let minute = digits(14..16)?;
    separator(16, b":")?;
    let second = digits(17..19)?;
    let mut at = 19;
    let mut fraction = String::new();
    if bytes.get(at) == Some(&b'.') {
        let start = at + 1;
        at = start;
        while bytes.get(at).is_some_and(u8::is_ascii_digit) {
            at += 1;
        }
        if at == start {
            return Err(SHAPE.to_owned());
        }
        fraction = text[start..at].trim_end_matches('0').to_owned();
    }
    let offset_minutes = match bytes.get(at) {
        Some(b'Z' | b'z') if at + 1 == bytes.len() => 0,
        Some(sign @ (b'+' | b'-')) if at + 6 == bytes.len() => {
            let hours = digits(at + 1..at + 3)?;
            separator(at + 3, b":")?;
            let minutes = digits(at + 4..at + 6)?;
            if hours > 23 || minutes > 59 {
                return Err("has an offset outside -23:59..+23:59".to_owned());
            }
            let offset = hours * 60 + minutes;
            if *sign == b'-' { -offset } else { offset }
        }
        _ => return Err(SHAPE.to_owned()),
    };
    let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0);
    let month_days = match month {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return Err("has a month outside 01..12".to_owned()),
    };
    if day < 1 || day > month_days {
        return Err("has a day that month does not have".to_owned());
    }
    // RFC 3339 allows second 60 (a leap second).
    if hour > 23 || minute > 59 || second > 60 {
        return Err("has a time outside 00:00:00..23:59:60".to_owned());
    }
    let days = days_from_civil(year, month, day);
    Ok(Timestamp {
        seconds: days * 86_400 + hour * 3_600 + minute * 60 + second - offset_minutes * 60,
        fraction,
    })
}

/// The RFC 3339 text of a UTC instant in whole seconds since 1970-01-01,
/// as [`parse_timestamp`] reads it back.
///
/// ```
/// use patchbay_schema::value::{format_timestamp, parse_timestamp};
/// assert_eq!(format_timestamp(951_868_800), "2000-03-01T00:00:00Z");
/// assert_eq!(parse_timestamp(&format_timestamp(1)), parse_timestamp("1970-01-01T00:00:01Z"));
/// ```
pub fn format_timestamp(seconds: i64) -> String {
    let (days, second_of_day) = (seconds.div_euclid(86_400), seconds.rem_euclid(86_400));
    // Howard Hinnant's `civil_from_days`.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z - era * 146_097;
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_from_march = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_from_march + 2) / 5 + 1;
    let month = if month_from_march < 10 {
        month_from_march + 3
    } else {
        month_from_march - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        second_of_day / 3_600,
        second_of_day % 3_600 / 60,
        second_of_day % 60
    )
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_from_march = (month + 9) % 12;
    let day_of_year = (153 * month_from_march + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// A value of a `max` checkpoint's field, read for comparing with others of
/// the same type.
#[derive(Debug, Clone, PartialEq)]
pub enum CheckpointKey {
    /// A whole number.
    Integer(i128),
    /// Any number.
    Number(f64),
    /// An RFC 3339 instant.
    Timestamp(Timestamp),
    /// Text, compared byte by byte.
    String(String),
}

impl CheckpointKey {
    /// Reads a value as a checkpoint of type `kind`: integers are JSON
    /// whole numbers, numbers any JSON number, timestamps and strings JSON
    /// strings. The error says what was expected, without the value.
    ///
    /// ```
    /// use patchbay_schema::CheckpointType;
    /// use patchbay_schema::value::CheckpointKey;
    /// use serde_json::json;
    ///
    /// let key = |kind, value| CheckpointKey::read(kind, &value).unwrap();
    /// assert!(key(CheckpointType::Integer, json!(10)) > key(CheckpointType::Integer, json!(9)));
    /// assert!(CheckpointKey::read(CheckpointType::Integer, &json!("10")).is_err());
    /// ```
    pub fn read(kind: CheckpointType, value: &Value) -> Result<Self, String> {
        let expected = match kind {
            CheckpointType::Integer => "an integer",
            CheckpointType::Number => "a number",
            CheckpointType::Timestamp => "an RFC 3339 timestamp string",
            CheckpointType::String => "a string",
        };
        let wrong = || format!("is {}, not {expected}", describe_json(value));
        match kind {
            CheckpointType::Integer => value
                .as_i64()
                .map(i128::from)
                .or_else(|| value.as_u64().map(i128::from))
                .map(CheckpointKey::Integer)
                .ok_or_else(wrong),
            CheckpointType::Number => value.as_f64().map(CheckpointKey::Number).ok_or_else(wrong),
            CheckpointType::Timestamp => {
                let text = value.as_str().ok_or_else(wrong)?;
                parse_timestamp(text).map(CheckpointKey::Timestamp)
            }
            CheckpointType::String => value
                .as_str()
                .map(|text| CheckpointKey::String(text.to_owned()))
                .ok_or_else(wrong),
        }
    }
}

/// The value a rendered text stands for as a checkpoint of type `kind`:
/// a number for `integer` and `number` when the text is one (`initial =
/// "0"`), the text itself otherwise. Lint reads a literal `initial` and the
/// runtime a rendered one through this, so both agree.
///
/// ```
/// use patchbay_schema::CheckpointType;
/// use patchbay_schema::value::checkpoint_from_text;
/// use serde_json::json;
///
/// assert_eq!(checkpoint_from_text(CheckpointType::Integer, "0"), json!(0));
/// assert_eq!(checkpoint_from_text(CheckpointType::String, "0"), json!("0"));
/// ```
pub fn checkpoint_from_text(kind: CheckpointType, text: &str) -> Value {
    let number = matches!(kind, CheckpointType::Integer | CheckpointType::Number)
        .then(|| serde_json::from_str::<serde_json::Number>(text.trim()).ok())
        .flatten();
    number.map_or_else(|| Value::String(text.to_owned()), Value::Number)
}

impl PartialOrd for CheckpointKey {
    /// Keys of one type are ordered; keys of two types are not.
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        match (self, other) {
            (CheckpointKey::Integer(a), CheckpointKey::Integer(b)) => Some(a.cmp(b)),
            (CheckpointKey::Number(a), CheckpointKey::Number(b)) => a.partial_cmp(b),
            (CheckpointKey::Timestamp(a), CheckpointKey::Timestamp(b)) => Some(a.cmp(b)),
            (CheckpointKey::String(a), CheckpointKey::String(b)) => Some(a.cmp(b)),
            _ => None,
        }
    }
}

/// What kind of JSON value this is, for messages that must not quote it.
pub fn describe_json(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_compare_as_instants() {
        let at = |text| parse_timestamp(text).unwrap();
        assert_eq!(at("1970-01-01T00:00:00Z").seconds, 0);
        assert_eq!(at("2000-03-01T00:00:00Z").seconds, 951_868_800);
        assert_eq!(at("1969-12-31T23:59:59Z").seconds, -1);
        assert_eq!(at("2024-01-01t00:00:00z"), at("2023-12-31T19:00:00-05:00"));
        assert_eq!(at("2024-01-01T00:00:00.100Z"), at("2024-01-01T00:00:00.1Z"));
        assert!(at("2024-01-01T00:00:00.05Z") < at("2024-01-01T00:00:00.5Z"));
        assert!(at("2024-01-01T00:00:00Z") < at("2024-01-01T00:00:00.000001Z"));
        assert_eq!(
            at("2024-02-29T00:00:00Z").seconds + 86_400,
            at("2024-03-01T00:00:00Z").seconds
        );
    }

    #[test]
    fn formatted_timestamps_read_back() {
        for seconds in [0, 59, 86_399, 951_782_400, 1_709_251_199, 4_102_444_800] {
            assert_eq!(
                parse_timestamp(&format_timestamp(seconds)).unwrap().seconds,
                seconds
            );
        }
        assert_eq!(format_timestamp(1_709_164_800), "2024-02-29T00:00:00Z");
    }

    #[test]
    fn malformed_timestamps_are_refused() {
        for text in [
            "",
            "2024-01-01",
            "2024-01-01T00:00:00",
            "2024-01-01 00:00:00Z",
            "2024-1-01T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2023-02-29T00:00:00Z",
            "2024-01-01T24:00:00Z",
            "2024-01-01T00:00:00.Z",
            "2024-01-01T00:00:00+0200",
            "2024-01-01T00:00:00+24:00",
            "2024-01-01T00:00:00Z ",
            "2024-01-01T00:00:00Zjunk",
            "２０２４-01-01T00:00:00Z",
            "1709280000",
        ] {
            assert!(parse_timestamp(text).is_err(), "{text:?} was accepted");
        }
    }

    #[test]
    fn keys_of_each_type() {
        let key = |kind, value: Value| CheckpointKey::read(kind, &value);
        assert!(
            key(CheckpointType::Number, 1.5.into()).unwrap()
                > key(CheckpointType::Number, 1.into()).unwrap()
        );
        assert!(
            key(CheckpointType::String, "b".into()).unwrap()
                > key(CheckpointType::String, "abc".into()).unwrap()
        );
        assert_eq!(
            key(CheckpointType::Integer, 1.5.into()).unwrap_err(),
            "is a number, not an integer"
        );
        assert!(key(CheckpointType::Timestamp, 0.into()).is_err());
        assert!(key(CheckpointType::Timestamp, "yesterday".into()).is_err());
        assert_eq!(
            key(CheckpointType::Integer, 1.into())
                .unwrap()
                .partial_cmp(&key(CheckpointType::Number, 1.into()).unwrap()),
            None
        );
    }
}
