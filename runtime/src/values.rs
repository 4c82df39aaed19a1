//! The runtime values every endpoint request sees besides the caller's:
//! `now` (the time it is rendered, in the formats APIs ask for) and
//! `request` (its idempotency key). A call renders them once, so the
//! request keeps them across its retries (and its renewal after a 401);
//! each page of a run is a request of its own and gets new ones.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use crate::render::Context;

/// The idempotency key of a dry run: plainly not a random one, and the
/// same on every run so that printed requests compare.
pub(crate) const PLACEHOLDER_IDEMPOTENCY_KEY: &str = "00000000-0000-4000-8000-000000000000";

/// Sets `now` and `request` for one request sent now. A key is made
/// only when the request uses one: without randomness the call fails
/// rather than send a key another request could share.
pub(crate) fn add_fresh(context: &mut Context, uses_key: bool) -> Result<(), String> {
    let key = if uses_key {
        idempotency_key().ok_or("the system gave no randomness for `request.idempotency_key`")?
    } else {
        String::new()
    };
    add(context, SystemTime::now(), key);
    Ok(())
}

/// Sets `now` and `request` for a dry run: the Unix epoch and the
/// placeholder key, so that a dry run prints the same text each time.
pub(crate) fn add_placeholders(context: &mut Context) {
    add(context, UNIX_EPOCH, PLACEHOLDER_IDEMPOTENCY_KEY.to_owned());
}

fn add(context: &mut Context, at: SystemTime, key: String) {
    context.set("now", now(at));
    context.set("request", json!({ "idempotency_key": key }));
}

/// A random UUID, version 4 (RFC 9562 §5.4), or `None` when the system
/// has no randomness to give.
fn idempotency_key() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    Some(format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    ))
}

/// `now`'s fields for an instant (UTC).
fn now(at: SystemTime) -> Value {
    let since = at.duration_since(UNIX_EPOCH).unwrap_or(Duration::ZERO);
    let seconds = since.as_secs();
    let millis = since.as_millis() as u64;
    let (date, time) = civil(seconds);
    json!({
        "rfc3339": format!("{date}T{time}Z"),
        "rfc3339_ms": format!("{date}T{time}.{:03}Z", millis % 1000),
        "unix": seconds,
        "unix_ms": millis,
        "http_date": httpdate::fmt_http_date(UNIX_EPOCH + Duration::from_secs(seconds)),
    })
}

/// `YYYY-MM-DD` and `hh:mm:ss` of a Unix time (proleptic Gregorian, UTC;
/// Howard Hinnant's days-to-civil).
fn civil(seconds: u64) -> (String, String) {
    let days = (seconds / 86_400) as i64;
    let of_day = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        format!("{year:04}-{month:02}-{day:02}"),
        format!(
            "{:02}:{:02}:{:02}",
            of_day / 3600,
            of_day % 3600 / 60,
            of_day % 60
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn now_has_every_format() {
        let at = UNIX_EPOCH + Duration::from_millis(1_767_323_045_678);
        assert_eq!(
            now(at),
            json!({
                "rfc3339": "2026-01-02T03:04:05Z",
                "rfc3339_ms": "2026-01-02T03:04:05.678Z",
                "unix": 1_767_323_045u64,
                "unix_ms": 1_767_323_045_678u64,
                "http_date": "Fri, 02 Jan 2026 03:04:05 GMT",
            })
        );
        assert_eq!(civil(951_782_400).0, "2000-02-29");
        assert_eq!(civil(0), ("1970-01-01".to_owned(), "00:00:00".to_owned()));
    }

    #[test]
    fn idempotency_keys_are_fresh_uuids_v4() {
        let a = idempotency_key().unwrap();
        let b = idempotency_key().unwrap();
        assert_ne!(a, b);
        assert_eq!(a.len(), 36);
        assert_eq!(&a[14..15], "4");
        assert!(matches!(&a[19..20], "8" | "9" | "a" | "b"));
        assert!(
            a.chars()
                .enumerate()
                .all(|(i, c)| matches!(i, 8 | 13 | 18 | 23) == (c == '-'))
        );
    }
}
