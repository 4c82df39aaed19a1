//! OAuth 1.0a request signing (RFC 5849 §3): the signature base string
//! over a request exactly as it is sent, its HMAC or PLAINTEXT signature,
//! and the `Authorization: OAuth …` header that carries it.
//!
//! A request is signed when it is handed to the HTTP client, once per
//! attempt, so that a retry carries a new nonce and timestamp and a next
//! page's signature covers that page's own parameters.

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use hmac::{Hmac, Mac};
use patchbay_schema::SignatureMethod;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

use crate::secret::Secret;

/// RFC 5849 §3.6: everything but the unreserved characters of RFC 3986
/// (`ALPHA`, `DIGIT`, `-`, `.`, `_`, `~`) is percent-encoded, with
/// uppercase hex digits.
const RESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// A value percent-encoded as RFC 5849 §3.6 says.
pub(crate) fn encode(value: &str) -> String {
    utf8_percent_encode(value, RESERVED).to_string()
}

/// The credentials one connection signs its requests with. `Debug` shows
/// neither secret.
#[derive(Clone, PartialEq)]
pub(crate) struct Signer {
    pub(crate) method: SignatureMethod,
    pub(crate) consumer_key: String,
    pub(crate) consumer_secret: Secret,
    /// Empty for a request signed by the consumer alone ("two-legged").
    pub(crate) token: Secret,
    pub(crate) token_secret: Secret,
    /// Already rendered; `None`: the header has no realm.
    pub(crate) realm: Option<String>,
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("method", &self.method)
            .field("realm", &self.realm)
            .finish_non_exhaustive()
    }
}

/// What a signature covers besides the protocol parameters: the request
/// as it is sent.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Signed<'r> {
    /// `GET`, `POST`, … (uppercase).
    pub(crate) method: &'r str,
    /// The full URL, query included.
    pub(crate) url: &'r url::Url,
    /// A single-part `application/x-www-form-urlencoded` body (RFC 5849
    /// §3.4.1.3.1); any other body is not covered.
    pub(crate) form: Option<&'r [u8]>,
}

/// RFC 5849 §3.4.1.2: scheme and host lowercase, the default port left
/// out, the path as sent, no query or fragment. The `url` crate already
/// keeps scheme and host lowercase and drops a default port.
fn base_string_uri(url: &url::Url) -> String {
    let host = url.host_str().unwrap_or_default();
    let mut uri = format!("{}://{host}", url.scheme());
    if let Some(port) = url.port() {
        uri.push_str(&format!(":{port}"));
    }
    uri.push_str(url.path());
    uri
}

/// RFC 5849 §3.4.1: `METHOD&uri&parameters`, the parameters being the
/// query's, a form body's and the protocol's (`oauth_signature` and
/// `realm` excluded), each name and value encoded, sorted, joined.
pub(crate) fn base_string(request: Signed<'_>, protocol: &[(&str, &str)]) -> String {
    let decoded = |bytes: &[u8]| -> Vec<(String, String)> {
        url::form_urlencoded::parse(bytes)
            .map(|(name, value)| (encode(&name), encode(&value)))
            .collect()
    };
    let mut parameters = decoded(request.url.query().unwrap_or_default().as_bytes());
    if let Some(form) = request.form {
        parameters.extend(decoded(form));
    }
    parameters.extend(
        protocol
            .iter()
            .map(|(name, value)| (encode(name), encode(value))),
    );
    parameters.sort();
    let normalized = parameters
        .iter()
        .map(|(name, value)| format!("{name}={value}"))
        .collect::<Vec<_>>()
        .join("&");
    format!(
        "{}&{}&{}",
        request.method.to_ascii_uppercase(),
        encode(&base_string_uri(request.url)),
        encode(&normalized)
    )
}

/// RFC 5849 §3.4.2–3.4.4: the key is both secrets encoded and joined by
/// `&`; PLAINTEXT sends the key itself.
fn signature(
    method: SignatureMethod,
    base: &str,
    consumer_secret: &str,
    token_secret: &str,
) -> String {
    let key = format!("{}&{}", encode(consumer_secret), encode(token_secret));
    let base64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
    match method {
        SignatureMethod::HmacSha256 => {
            let mut mac = <Hmac<sha2::Sha256>>::new_from_slice(key.as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
            mac.update(base.as_bytes());
            base64(&mac.finalize().into_bytes())
        }
        SignatureMethod::HmacSha1 => {
            let mut mac = <Hmac<sha1::Sha1>>::new_from_slice(key.as_bytes())
                .unwrap_or_else(|_| unreachable!("HMAC takes a key of any length"));
            mac.update(base.as_bytes());
            base64(&mac.finalize().into_bytes())
        }
        SignatureMethod::Plaintext => key,
    }
}

/// A nonce: 32 hex digits from the system's randomness (NetSuite asks
/// for 6 to 64 alphanumeric characters), `None` without randomness.
fn nonce() -> Option<String> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).ok()?;
    Some(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

impl Signer {
    /// The `Authorization` header of a request, with this nonce and
    /// timestamp (RFC 5849 §3.5.1: every value encoded, `realm` first).
    pub(crate) fn authorization_with(
        &self,
        request: Signed<'_>,
        nonce: &str,
        timestamp: u64,
    ) -> String {
        let timestamp = timestamp.to_string();
        let mut protocol: Vec<(&str, &str)> = vec![
            ("oauth_consumer_key", &self.consumer_key),
            ("oauth_nonce", nonce),
            ("oauth_signature_method", self.method.as_str()),
            ("oauth_timestamp", &timestamp),
        ];
        if !self.token.expose().is_empty() {
            protocol.push(("oauth_token", self.token.expose()));
        }
        protocol.push(("oauth_version", "1.0"));
        let base = base_string(request, &protocol);
        let signature = signature(
            self.method,
            &base,
            self.consumer_secret.expose(),
            self.token_secret.expose(),
        );
        protocol.push(("oauth_signature", &signature));
        let realm = self
            .realm
            .iter()
            .map(|realm| format!("realm=\"{}\"", encode(realm)));
        let parameters = protocol
            .iter()
            .map(|(name, value)| format!("{name}=\"{}\"", encode(value)));
        format!(
            "OAuth {}",
            realm.chain(parameters).collect::<Vec<_>>().join(", ")
        )
    }

    /// The `Authorization` header of a request, with a new nonce and the
    /// current time: `None` when the system gives no randomness.
    pub(crate) fn authorization(&self, request: Signed<'_>) -> Option<String> {
        let timestamp = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        Some(self.authorization_with(request, &nonce()?, timestamp))
    }
}

/// The text with the value of every `oauth_signature` it quotes masked
/// (a server's error that echoes the refused `Authorization` header, or
/// the request's query): a signature is made anew for each request, so
/// no redactor knows it, and a PLAINTEXT one holds both secrets encoded
/// twice over, a form the redactor does not search for.
pub(crate) fn mask_signatures(text: &str) -> String {
    const NAME: &str = "oauth_signature";
    let mut masked = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find(NAME) {
        let after = at + NAME.len();
        masked.push_str(&rest[..after]);
        rest = &rest[after..];
        // `="…"`, `=…`, `": "…"`, with JSON's escaped quotes.
        let lead = rest
            .find(|c: char| !matches!(c, '=' | '"' | ':' | ' ' | '\\'))
            .unwrap_or(rest.len());
        if !rest[..lead].contains(['=', ':']) {
            continue;
        }
        masked.push_str(&rest[..lead]);
        rest = &rest[lead..];
        let end = rest
            .find(|c: char| matches!(c, '"' | '&' | ',' | '\\') || c.is_whitespace())
            .unwrap_or(rest.len());
        if end > 0 {
            masked.push_str(crate::secret::REDACTED);
        }
        rest = &rest[end..];
    }
    masked.push_str(rest);
    masked
}

#[cfg(test)]
mod tests {
    use super::*;

    fn url(text: &str) -> url::Url {
        url::Url::parse(text).unwrap()
    }

    fn signer(method: SignatureMethod, keys: [&str; 4], realm: Option<&str>) -> Signer {
        Signer {
            method,
            consumer_key: keys[0].to_owned(),
            consumer_secret: Secret::new(keys[1]),
            token: Secret::new(keys[2]),
            token_secret: Secret::new(keys[3]),
            realm: realm.map(str::to_owned),
        }
    }

    #[test]
    fn rfc_5849_section_3_6_encodes_all_but_unreserved() {
        assert_eq!(encode("Ladies + Gentlemen"), "Ladies%20%2B%20Gentlemen");
        assert_eq!(encode("a-._~Z9"), "a-._~Z9");
        assert_eq!(encode("☃"), "%E2%98%83");
        assert_eq!(encode("=%3D"), "%3D%253D");
    }

    #[test]
    fn rfc_5849_section_3_4_1_base_string() {
        // RFC 5849 §3.4.1.1's request: the query holds an encoded `=`
        // twice over, an empty value and a space; the form body a `+`.
        let url = url("http://EXAMPLE.COM:80/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b");
        let request = Signed {
            method: "post",
            url: &url,
            form: Some(b"c2&a3=2+q"),
        };
        let protocol = [
            ("oauth_consumer_key", "9djdj82h48djs9d2"),
            ("oauth_token", "kkk9d7dh3k39sjv7"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131201"),
            ("oauth_nonce", "7d8f3e4a"),
        ];
        assert_eq!(
            base_string(request, &protocol),
            "POST&http%3A%2F%2Fexample.com%2Frequest&a2%3Dr%2520b%26a3%3D2%2520q\
             %26a3%3Da%26b5%3D%253D%25253D%26c%2540%3D%26c2%3D%26oauth_consumer_\
             key%3D9djdj82h48djs9d2%26oauth_nonce%3D7d8f3e4a%26oauth_signature_m\
             ethod%3DHMAC-SHA1%26oauth_timestamp%3D137131201%26oauth_token%3Dkkk\
             9d7dh3k39sjv7"
        );
    }

    #[test]
    fn rfc_5849_section_1_2_photos_example() {
        // The signed resource request of RFC 5849 §1.2 (HMAC-SHA1, no
        // `oauth_version`), its printed signature
        // `MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D`.
        let url = url("http://photos.example.net/photos?file=vacation.jpg&size=original");
        let protocol = [
            ("oauth_consumer_key", "dpf43f3p2l4k3l03"),
            ("oauth_token", "nnch734d00sl2jdk"),
            ("oauth_signature_method", "HMAC-SHA1"),
            ("oauth_timestamp", "137131202"),
            ("oauth_nonce", "chapoH"),
        ];
        let base = base_string(
            Signed {
                method: "GET",
                url: &url,
                form: None,
            },
            &protocol,
        );
        let signed = signature(
            SignatureMethod::HmacSha1,
            &base,
            "kd94hf93k423kf44",
            "pfkkdhi9sl3r4s00",
        );
        assert_eq!(encode(&signed), "MdpQcU8iPSUjWoN%2FUDMsK2sui9I%3D");
    }

    #[test]
    fn the_header_lists_realm_first_and_encodes_every_value() {
        let signer = signer(
            SignatureMethod::HmacSha1,
            [
                "dpf43f3p2l4k3l03",
                "kd94hf93k423kf44",
                "nnch734d00sl2jdk",
                "pfkkdhi9sl3r4s00",
            ],
            Some("Photos \"x\""),
        );
        let url = url("http://photos.example.net/photos?file=vacation.jpg&size=original");
        let header = signer.authorization_with(
            Signed {
                method: "GET",
                url: &url,
                form: None,
            },
            "chapoH",
            137_131_202,
        );
        let expected_start = "OAuth realm=\"Photos%20%22x%22\", oauth_consumer_key=\"dpf43f3p2l4k3l03\", \
             oauth_nonce=\"chapoH\", oauth_signature_method=\"HMAC-SHA1\", \
             oauth_timestamp=\"137131202\", oauth_token=\"nnch734d00sl2jdk\", \
             oauth_version=\"1.0\", oauth_signature=\"";
        assert!(header.starts_with(expected_start), "{header}");
    }

    #[test]
    fn netsuite_step_one_base_string() {
        // NetSuite's documented base string for step one of its TBA
        // authorization flow (HMAC-SHA256, a `role` query parameter).
        let url = url("https://1234567.restlets.api.netsuite.com/rest/requesttoken?role=45678");
        let key = "60712990bc09623786e7047c226bcb3f86d49dca0b04efc21001dc76d97a81f5";
        let protocol = [
            (
                "oauth_callback",
                "https://my.example.com/TBA/?callbackRequest",
            ),
            ("oauth_consumer_key", key),
            ("oauth_nonce", "bUvpxBX93OWo0FLswq5M"),
            ("oauth_signature_method", "HMAC-SHA256"),
            ("oauth_timestamp", "1575998103"),
            ("oauth_version", "1.0"),
        ];
        let request = Signed {
            method: "POST",
            url: &url,
            form: None,
        };
        assert_eq!(
            base_string(request, &protocol),
            format!(
                "POST&https%3A%2F%2F1234567.restlets.api.netsuite.com%2Frest%2Frequesttoken&\
                 oauth_callback%3Dhttps%253A%252F%252Fmy.example.com%252FTBA%252F%253FcallbackRequest\
                 %26oauth_consumer_key%3D{key}%26oauth_nonce%3DbUvpxBX93OWo0FLswq5M\
                 %26oauth_signature_method%3DHMAC-SHA256%26oauth_timestamp%3D1575998103\
                 %26oauth_version%3D1.0%26role%3D45678"
            )
        );
    }

    #[test]
    fn netsuite_restlet_signature_as_oauthlib_computes_it() {
        // NetSuite's documented RESTlet inputs (account 123456, HMAC-SHA256).
        // NetSuite's page prints no OAuth signature for them, so the
        // expected header is what oauthlib 4.0.1's Client signs for the
        // same inputs (runtime/tests/oauth1/README.md shows how).
        let signer = signer(
            SignatureMethod::HmacSha256,
            [
                "ef40afdd8abaac111b13825dd5e5e2ddddb44f86d5a0dd6dcf38c20aae6b67e4",
                "d26ad321a4b2f23b0741c8d38392ce01c3e23e109df6c96eac6d099e9ab9e8b5",
                "2b0ce516420110bcbd36b69e99196d1b7f6de3c6234c5afb799b73d87569f5cc",
                "c29a677df7d5439a458c063654187e3d678d73aca8e3c9d8bea1478a3eb0d295",
            ],
            Some("123456"),
        );
        let url = url(
            "https://123456.restlets.api.netsuite.com/app/site/hosting/restlet.nl?script=6&deploy=1&customParam=someValue&testParam=someOtherValue",
        );
        let header = signer.authorization_with(
            Signed {
                method: "POST",
                url: &url,
                form: None,
            },
            "fjaLirsIcCGVZWzBX0pg",
            1_508_242_306,
        );
        let signature = header.rsplit("oauth_signature=\"").next().unwrap();
        assert_eq!(signature, OAUTHLIB_NETSUITE_SIGNATURE);
        assert!(header.starts_with("OAuth realm=\"123456\", oauth_consumer_key=\"ef40"));
    }

    const OAUTHLIB_NETSUITE_SIGNATURE: &str = "%2BKK4SKNgz4ZiILGLwOMtfYlgcXSy1eis8ldE9X90azQ%3D\"";

    #[test]
    fn plaintext_sends_the_encoded_secrets() {
        let signer = signer(SignatureMethod::Plaintext, ["k", "c s&", "", "t+"], None);
        let url = url("https://api.example.com/x");
        let header = signer.authorization_with(
            Signed {
                method: "GET",
                url: &url,
                form: None,
            },
            "n",
            1,
        );
        // No token: no `oauth_token`; the key is `c%20s%26&t%2B`, encoded
        // once more in the header.
        assert!(!header.contains("oauth_token"), "{header}");
        assert!(
            header.ends_with("oauth_signature=\"c%2520s%2526%26t%252B\""),
            "{header}"
        );
    }

    #[test]
    fn the_base_string_uri_drops_default_ports_only() {
        assert_eq!(
            base_string_uri(&url("HTTPS://Api.Example.COM:443/a/B?x=1#f")),
            "https://api.example.com/a/B"
        );
        assert_eq!(
            base_string_uri(&url("http://127.0.0.1:8080/p")),
            "http://127.0.0.1:8080/p"
        );
    }

    #[test]
    fn quoted_signatures_are_masked() {
        let echo = r#"{"error":"x","authorization":"OAuth oauth_nonce=\"n\", oauth_signature=\"c%2520s%26t\", oauth_version=\"1.0\""}"#;
        assert_eq!(
            mask_signatures(echo),
            r#"{"error":"x","authorization":"OAuth oauth_nonce=\"n\", oauth_signature=\"********\", oauth_version=\"1.0\""}"#
        );
        assert_eq!(
            mask_signatures("a?oauth_signature=abc%3D&b=1 oauth_signature_method=HMAC"),
            "a?oauth_signature=********&b=1 oauth_signature_method=HMAC"
        );
        assert_eq!(mask_signatures("no signature here"), "no signature here");
    }

    #[test]
    fn debug_shows_no_secret() {
        let signer = signer(
            SignatureMethod::HmacSha256,
            ["key", "SENTINEL-cs", "SENTINEL-t", "SENTINEL-ts"],
            None,
        );
        assert!(!format!("{signer:?}").contains("SENTINEL"));
    }
}
