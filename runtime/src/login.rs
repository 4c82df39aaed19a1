//! The authorization-code flow's own pieces: state, PKCE (RFC 7636) and
//! the pending login a service keeps between the redirect and the callback.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// How long a login attempt may take, from the redirect to the callback.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// `n` random bytes, base64url without padding.
fn random_token(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| Error::Callback(format!("no randomness available: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer))
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2).
///
/// ```
/// // RFC 7636 Appendix B.
/// let challenge = patchbay_runtime::login::pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
/// assert_eq!(challenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
/// ```
pub fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A login started and not yet completed: keep it (server side, e.g. in
/// the user's session) until the callback arrives, and pass it to
/// `Connection::complete_login`. It holds the PKCE verifier: never send it
/// to the browser.
#[derive(Clone, Serialize, Deserialize)]
pub struct PendingLogin {
    /// The `state` sent with the redirect (128 random bits).
    pub state: String,
    /// The PKCE verifier (256 random bits), unless the method opts out.
    pub code_verifier: Option<String>,
    /// The redirect URI sent, which the token request repeats.
    pub redirect_uri: String,
    /// When the attempt started, seconds since the Unix epoch.
    pub started_at: u64,
}

impl fmt::Debug for PendingLogin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PendingLogin")
            .field("redirect_uri", &self.redirect_uri)
            .field("started_at", &self.started_at)
            .finish_non_exhaustive()
    }
}

impl PendingLogin {
    /// A fresh attempt: new state and, with PKCE, a new verifier.
    pub(crate) fn new(redirect_uri: &str, pkce: bool) -> Result<Self> {
        Ok(PendingLogin {
            state: random_token(16)?,
            code_verifier: if pkce { Some(random_token(32)?) } else { None },
            redirect_uri: redirect_uri.to_owned(),
            started_at: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default()
                .as_secs(),
        })
    }

    /// Whether the attempt is older than [`LOGIN_TIMEOUT`].
    pub(crate) fn is_expired(&self) -> bool {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        now.saturating_sub(self.started_at) > LOGIN_TIMEOUT.as_secs()
    }
}

/// Compares two strings in time independent of where they differ.
pub(crate) fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc_7636_appendix_b() {
        assert_eq!(
            pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn attempts_are_fresh_and_long_enough() {
        let a = PendingLogin::new("http://127.0.0.1:1/callback", true).unwrap();
        let b = PendingLogin::new("http://127.0.0.1:1/callback", true).unwrap();
        assert_ne!(a.state, b.state);
        assert_ne!(a.code_verifier, b.code_verifier);
        // 128-bit state; RFC 7636 wants a 43–128 character verifier.
        assert_eq!(a.state.len(), 22);
        assert_eq!(a.code_verifier.as_ref().unwrap().len(), 43);
        assert!(!format!("{a:?}").contains(&a.state));
        assert!(
            PendingLogin::new("x", false)
                .unwrap()
                .code_verifier
                .is_none()
        );
    }

    #[test]
    fn comparison() {
        assert!(constant_time_eq("abc", "abc"));
        assert!(!constant_time_eq("abc", "abd"));
        assert!(!constant_time_eq("abc", "ab"));
    }
}
