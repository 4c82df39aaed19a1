//! Secrets: values that never appear in text patchbay writes.

use std::fmt;
use std::sync::Arc;

/// What a redacted secret shows as.
pub(crate) const REDACTED: &str = "********";

/// A secret value. `Debug` and `Display` show it redacted; the value is
/// read only where it is sent.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(Arc<str>);

impl Secret {
    /// Wraps a value.
    pub fn new(value: impl Into<Arc<str>>) -> Self {
        Secret(value.into())
    }

    /// The value, for the one place that sends it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(REDACTED)
    }
}

/// Masks every known secret in a text: the last line of defence for
/// anything patchbay writes (errors, logs, dry runs) that might quote a
/// value — a URL, a server's error message echoing a credential.
///
/// Two ways, because a short secret cannot be searched for without masking
/// ordinary words: where patchbay itself puts a secret (a header, a query
/// parameter, a form or JSON field), the request builder masks the
/// whole value whatever the secret's length; in any other text,
/// [`Redactor::redact`] searches for secrets of four bytes and more in
/// every encoding the runtime produces.
#[derive(Clone, Default)]
pub struct Redactor {
    /// Each secret as given, whatever its length.
    values: Vec<Secret>,
    /// The texts searched for: each secret long enough, in each encoding,
    /// longest first so that a secret containing another is masked whole.
    forms: Vec<Secret>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.values.len())
    }
}

/// Secrets shorter than this are not searched for in free text: they would
/// mask ordinary words and numbers. They are still masked where patchbay
/// puts them.
const MIN_SEARCHED_LEN: usize = 4;

/// Instance secrets shorter than this are warned about: too weak to
/// matter, and too short to find in a server's echo.
pub(crate) const MIN_STRONG_LEN: usize = 8;

/// Every encoding the runtime puts a value in: as given, form-encoded
/// (query and form bodies), percent-encoded (URL path segments, with or
/// without the unreserved characters) and JSON-escaped (JSON bodies).
fn encodings(value: &str) -> Vec<String> {
    let json = serde_json::to_string(value).unwrap_or_default();
    let json_escaped = json
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(value);
    vec![
        value.to_owned(),
        url::form_urlencoded::byte_serialize(value.as_bytes()).collect(),
        percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
            .to_string(),
        percent_encoding::utf8_percent_encode(value, crate::render::COMPONENT).to_string(),
        json_escaped.to_owned(),
    ]
}

impl Redactor {
    /// Adds a secret, with every encoded form it may appear in.
    pub fn add(&mut self, secret: &Secret) {
        let value = secret.expose();
        if value.is_empty() {
            return;
        }
        if !self.values.contains(secret) {
            self.values.push(secret.clone());
        }
        if value.len() >= MIN_SEARCHED_LEN {
            self.add_forms(encodings(value));
        }
    }

    /// Adds the credential of a Basic header (`base64(user:password)`, in
    /// each way the runtime may encode the pair), which no search for the
    /// password alone would find.
    pub(crate) fn add_basic(&mut self, user: &str, password: &str) {
        if password.is_empty() {
            return;
        }
        self.add_forms(crate::request::basic_credentials(user, password));
    }

    fn add_forms(&mut self, forms: Vec<String>) {
        for form in forms {
            if !self.forms.iter().any(|s| s.expose() == form) {
                self.forms.push(Secret::new(form));
            }
        }
        self.forms
            .sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
    }

    /// The text with every secret replaced by `********`.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.forms {
            if text.contains(secret.expose()) {
                text = text.replace(secret.expose(), REDACTED);
            }
        }
        text
    }

    /// At most `max_chars` characters of a text, redacted before it is cut
    /// so that no secret is cut in two, and never cut inside a mask.
    pub(crate) fn excerpt(&self, text: &str, max_chars: usize) -> String {
        let redacted = self.redact(text);
        let Some((cut, _)) = redacted.char_indices().nth(max_chars) else {
            return redacted;
        };
        // A mask that the cut would split is kept whole.
        let end = redacted
            .match_indices(REDACTED)
            .map(|(at, _)| (at, at + REDACTED.len()))
            .find(|&(start, end)| start < cut && cut < end)
            .map_or(cut, |(_, end)| end);
        redacted[..end].to_owned()
    }

    /// Whether a value patchbay puts in a request (a header, a parameter, a
    /// field) holds a secret: it is one, of any length, or contains one
    /// long enough to search for.
    pub(crate) fn holds_secret(&self, value: &str) -> bool {
        self.values.iter().any(|s| s.expose() == value)
            || self.forms.iter().any(|s| value.contains(s.expose()))
    }

    /// A header or other free value with every secret masked: whole words
    /// that are a secret of any length, and searched forms.
    pub(crate) fn mask_words(&self, value: &str) -> String {
        let words: Vec<&str> = value
            .split(' ')
            .map(|word| {
                if self.values.iter().any(|s| s.expose() == word) {
                    REDACTED
                } else {
                    word
                }
            })
            .collect();
        self.redact(&words.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let secret = Secret::new("hunter2-SENTINEL");
        assert_eq!(format!("{secret:?} {secret}"), "******** ********");
    }

    #[test]
    fn redaction_covers_encoded_forms() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new("a+b/c d"));
        redactor.add(&Secret::new("ab"));
        assert_eq!(
            redactor.redact("x=a%2Bb%2Fc+d y=a+b/c d ab"),
            "x=******** y=******** ab"
        );
    }

    #[test]
    fn redaction_covers_json_escapes_and_path_encoding() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new(r#"q"u\o~té"#));
        let json = serde_json::json!({ "secret": r#"q"u\o~té"# }).to_string();
        assert_eq!(redactor.redact(&json), r#"{"secret":"********"}"#);
        assert_eq!(redactor.redact("/v1/q%22u%5Co~t%C3%A9/x"), "/v1/********/x");
    }

    #[test]
    fn redaction_covers_the_basic_credential() {
        let mut redactor = Redactor::default();
        redactor.add_basic("id:1", "a+b %");
        let header = crate::request::basic_credentials("id:1", "a+b %");
        for credential in header {
            assert_eq!(
                redactor.redact(&format!("Basic {credential}")),
                "Basic ********"
            );
        }
    }

    #[test]
    fn an_excerpt_never_cuts_a_secret() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new("SENTINEL-secret"));
        let text = format!("{}SENTINEL-secret tail", "x".repeat(295));
        let excerpt = redactor.excerpt(&text, 300);
        assert!(!excerpt.contains("SENT"), "{excerpt}");
        assert!(excerpt.ends_with(REDACTED), "{excerpt}");
        assert_eq!(redactor.excerpt("short", 300), "short");
    }

    #[test]
    fn short_secrets_are_masked_where_patchbay_puts_them() {
        let mut redactor = Redactor::default();
        redactor.add(&Secret::new("abc"));
        assert!(redactor.holds_secret("abc"));
        assert!(!redactor.holds_secret("abcd"));
        assert_eq!(redactor.mask_words("Token abc"), "Token ********");
        // Free text is not searched for so short a secret.
        assert_eq!(redactor.redact("abc abcd"), "abc abcd");
    }
}
