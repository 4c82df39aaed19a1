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

/// Replaces every known secret in a text: the last line of defence for
/// anything patchbay writes (errors, logs, dry runs) that might quote a
/// value — a URL, a server's error message echoing a credential.
#[derive(Clone, Default)]
pub struct Redactor {
    secrets: Vec<Secret>,
}

impl fmt::Debug for Redactor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Redactor({} secrets)", self.secrets.len())
    }
}

/// Secrets shorter than this are not searched for: they would redact
/// ordinary words and numbers, and are too weak to matter.
const MIN_REDACTED_LEN: usize = 4;

impl Redactor {
    /// Adds a secret (and the encoded forms it may appear in).
    pub fn add(&mut self, secret: &Secret) {
        let value = secret.expose();
        if value.len() < MIN_REDACTED_LEN {
            return;
        }
        let forms = [
            value.to_owned(),
            url::form_urlencoded::byte_serialize(value.as_bytes()).collect::<String>(),
            percent_encoding::utf8_percent_encode(value, percent_encoding::NON_ALPHANUMERIC)
                .to_string(),
        ];
        for form in forms {
            if !self.secrets.iter().any(|s| s.expose() == form) {
                self.secrets.push(Secret::new(form));
            }
        }
        // Longest first, so that a secret containing another is replaced
        // whole.
        self.secrets
            .sort_by_key(|s| std::cmp::Reverse(s.expose().len()));
    }

    /// The text with every secret replaced by `********`.
    pub fn redact(&self, text: &str) -> String {
        let mut text = text.to_owned();
        for secret in &self.secrets {
            if text.contains(secret.expose()) {
                text = text.replace(secret.expose(), REDACTED);
            }
        }
        text
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
}
