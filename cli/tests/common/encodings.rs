//! Every form a secret takes in what the runtime writes, for the sentinel
//! tests to look for.

/// A secret as given, form-encoded, percent-encoded and JSON-escaped.
pub(crate) fn encodings(secret: &str) -> Vec<String> {
    let json = serde_json::to_string(secret).unwrap();
    vec![
        secret.to_owned(),
        url::form_urlencoded::byte_serialize(secret.as_bytes()).collect(),
        percent_encoded(secret),
        json[1..json.len() - 1].to_owned(),
    ]
}

/// The credentials of the Basic headers a client id and secret make: raw,
/// and form-encoded first (RFC 6749 §2.3.1).
pub(crate) fn basic_credentials(client_id: &str, secret: &str) -> Vec<String> {
    let form =
        |text: &str| url::form_urlencoded::byte_serialize(text.as_bytes()).collect::<String>();
    vec![
        base64(format!("{client_id}:{secret}").as_bytes()),
        base64(format!("{}:{}", form(client_id), form(secret)).as_bytes()),
    ]
}

/// Every byte but ASCII letters and digits as `%XX`.
fn percent_encoded(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// Standard base64 with padding (RFC 4648 §4).
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i)) as usize & 63]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn base64_matches_rfc_4648() {
    assert_eq!(base64(b"foobar"), "Zm9vYmFy");
    assert_eq!(base64(b"fooba"), "Zm9vYmE=");
    assert_eq!(base64(b"foob"), "Zm9vYg==");
}
