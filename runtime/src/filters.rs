//! The template filters patchbay adds to MiniJinja's
//! ([`PATCHBAY_FILTERS`](patchbay_schema::catalog::PATCHBAY_FILTERS)):
//! digests, HMAC, base64 and ASCII-only JSON. Each is pure, and its output
//! is text that the renderer then encodes for where it lands, like any
//! other value.

use std::fmt::Write;

use base64::Engine;
use hmac::{Hmac, Mac};
use md5::Md5;
use minijinja::{Environment, Error, ErrorKind, Value};
use sha2::{Digest, Sha256};

/// Adds every patchbay filter to `env`.
pub(crate) fn register(env: &mut Environment<'static>) {
    env.add_filter("md5", md5_hex);
    env.add_filter("sha256", sha256_hex);
    env.add_filter("hmac_sha256", hmac_sha256);
    env.add_filter("base64", base64_standard);
    env.add_filter("base64url", base64_url);
    env.add_filter("json_ascii", json_ascii);
}

/// The text a value stands for: a string as it is, anything else as
/// MiniJinja prints it (`5`, `true`).
fn text(value: &Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "a filter was given an undefined value",
        ));
    }
    Ok(match value.as_str() {
        Some(text) => text.to_owned(),
        None => value.to_string(),
    })
}

fn hex(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 2);
    for byte in bytes {
        let _ = write!(out, "{byte:02x}");
    }
    out
}

fn md5_hex(value: &Value) -> Result<String, Error> {
    Ok(hex(&Md5::digest(text(value)?.as_bytes())))
}

fn sha256_hex(value: &Value) -> Result<String, Error> {
    Ok(hex(&Sha256::digest(text(value)?.as_bytes())))
}

/// HMAC-SHA-256 of the value with `key`, as lowercase hex or (`"base64"`)
/// standard base64.
fn hmac_sha256(value: &Value, key: &Value, encoding: Option<&str>) -> Result<String, Error> {
    let key = text(key)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(key.as_bytes())
        .map_err(|_| Error::new(ErrorKind::InvalidOperation, "unusable HMAC key"))?;
    mac.update(text(value)?.as_bytes());
    let tag = mac.finalize().into_bytes();
    match encoding.unwrap_or("hex") {
        "hex" => Ok(hex(&tag)),
        "base64" => Ok(base64::engine::general_purpose::STANDARD.encode(tag)),
        other => Err(Error::new(
            ErrorKind::InvalidOperation,
            format!("hmac_sha256 encodes as \"hex\" or \"base64\", not {other:?}"),
        )),
    }
}

fn base64_standard(value: &Value) -> Result<String, Error> {
    Ok(base64::engine::general_purpose::STANDARD.encode(text(value)?))
}

fn base64_url(value: &Value) -> Result<String, Error> {
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(text(value)?))
}

/// Compact JSON with every character outside printable ASCII escaped as
/// `\uXXXX` (UTF-16, so a character beyond the BMP is a surrogate pair):
/// the form HTTP headers can carry (Dropbox-API-Arg).
fn json_ascii(value: &Value) -> Result<String, Error> {
    if value.is_undefined() {
        return Err(Error::new(
            ErrorKind::UndefinedError,
            "json_ascii was given an undefined value",
        ));
    }
    let json = serde_json::to_string(value).map_err(|e| {
        Error::new(
            ErrorKind::InvalidOperation,
            format!("the value is not JSON ({e})"),
        )
    })?;
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        if c.is_ascii() && !c.is_ascii_control() {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                let _ = write!(out, "\\u{unit:04x}");
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use minijinja::context;

    fn render(template: &str, value: serde_json::Value) -> Result<String, minijinja::Error> {
        let mut env = minijinja::Environment::new();
        super::register(&mut env);
        env.render_str(template, context! { v => minijinja::Value::from(minijinja::value::Serde(&value)), key => "Jefe" })
    }

    #[test]
    fn digests_match_their_published_vectors() {
        // RFC 1321 and FIPS 180-2 test vectors.
        assert_eq!(
            render("{{ v | md5 }}", "abc".into()).unwrap(),
            "900150983cd24fb0d6963f7d28e17f72"
        );
        assert_eq!(
            render("{{ v | sha256 }}", "abc".into()).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // Mailchimp: the subscriber hash is the MD5 of the lowercased email.
        assert_eq!(
            render(
                "{{ v | lower | md5 }}",
                "Urist.McVankab@Freddiesjokes.com".into()
            )
            .unwrap(),
            render("{{ v | md5 }}", "urist.mcvankab@freddiesjokes.com".into()).unwrap()
        );
        assert_eq!(
            render("{{ v | md5 }}", 5.into()).unwrap(),
            render("{{ v | md5 }}", "5".into()).unwrap()
        );
    }

    #[test]
    fn hmac_matches_rfc_4231() {
        let data = serde_json::Value::from("what do ya want for nothing?");
        assert_eq!(
            render("{{ v | hmac_sha256(key) }}", data.clone()).unwrap(),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
        assert_eq!(
            render("{{ v | hmac_sha256(key, 'base64') }}", data.clone()).unwrap(),
            "W9zBRr9gdU5qBCQmCJV1x1oAPwidJzmDnexYuWTsOEM="
        );
        assert!(render("{{ v | hmac_sha256(key, 'b32') }}", data).is_err());
    }

    #[test]
    fn base64_has_both_alphabets() {
        assert_eq!(
            render("{{ v | base64 }}", "a?b>".into()).unwrap(),
            "YT9iPg=="
        );
        assert_eq!(
            render("{{ v | base64url }}", "a?b>".into()).unwrap(),
            "YT9iPg"
        );
    }

    #[test]
    fn json_ascii_escapes_everything_but_printable_ascii() {
        let value = serde_json::json!({ "path": "/Über ünd 😀\u{7f}", "n": 1 });
        assert_eq!(
            render("{{ v | json_ascii }}", value).unwrap(),
            r#"{"path":"/\u00dcber \u00fcnd \ud83d\ude00\u007f","n":1}"#
        );
        assert!(render("{{ nope | json_ascii }}", serde_json::Value::Null).is_err());
    }
}
