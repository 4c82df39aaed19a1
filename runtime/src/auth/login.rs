//! The authorization-code login: the URL a user is sent to (with a fresh
//! `state` and PKCE verifier, RFC 7636), the pending login a service keeps
//! until the callback, and the callback's checks and code exchange.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use indexmap::IndexMap;
use patchbay_schema::Pkce;
use patchbay_schema::catalog::AuthPart;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::{Auth, TokenCache};
use crate::error::{Error, Result};
use crate::http::Carries;
use crate::secret::Secret;
use crate::token::{Token, read_token_response};

/// How long a login attempt may take: from the redirect to the callback,
/// or from a device login's start to the user's approval.
pub const LOGIN_TIMEOUT: Duration = Duration::from_secs(15 * 60);

/// `n` random bytes, base64url without padding.
fn random_token(bytes: usize) -> Result<String> {
    let mut buffer = vec![0u8; bytes];
    getrandom::fill(&mut buffer)
        .map_err(|e| Error::Callback(format!("no randomness available: {e}")))?;
    Ok(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(buffer))
}

/// The S256 challenge of a PKCE verifier (RFC 7636 §4.2).
fn pkce_challenge(verifier: &str) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier.as_bytes()))
}

/// A login started and not yet completed: keep it (server side, e.g. in
/// the user's session, for at most [`LOGIN_TIMEOUT`]) until the callback
/// arrives, and pass it to [`Connection::complete_login`]. It holds the
/// PKCE verifier: never send it to the browser.
///
/// [`Connection::complete_login`]: crate::Connection::complete_login
///
/// ```no_run
/// # async fn example(connection: patchbay_runtime::Connection, callback_query: &str) -> Result<(), Box<dyn std::error::Error>> {
/// use patchbay_runtime::PendingLogin;
///
/// // When the user asks to connect: send them to `url`, keep `pending`.
/// let (url, pending) = connection.start_login("https://app.example.com/callback")?;
/// let kept: String = serde_json::to_string(&pending)?;
/// # let _ = url;
///
/// // When the provider redirects back with `?code=…&state=…`.
/// let pending: PendingLogin = serde_json::from_str(&kept)?;
/// let token = connection.complete_login(pending, callback_query).await?;
/// println!("logged in: {:?}", token.info());
/// # Ok(()) }
/// ```
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

/// The logins of one connection. Clones share which callbacks were used.
#[derive(Debug, Clone, Default)]
pub(crate) struct Logins {
    /// `state`s of completed logins: a replayed callback is refused.
    used_states: Arc<Mutex<HashSet<String>>>,
}

impl Logins {
    /// Starts a login: the URL to send the user to, and the pending login
    /// to keep until the callback. Each attempt has a fresh 128-bit
    /// `state` and, unless the method opts out, a fresh PKCE verifier.
    pub(crate) fn start(
        &self,
        auth: &Auth<'_>,
        redirect_uri: &str,
    ) -> Result<(url::Url, PendingLogin)> {
        let pkce = auth
            .plan
            .client
            .as_ref()
            .is_some_and(|c| c.pkce.as_ref().is_some_and(|p| p.value == Pkce::S256));
        let pending = PendingLogin::new(redirect_uri, pkce)?;
        let challenge = pending.code_verifier.as_deref().map(pkce_challenge);
        let mut runtime = vec![
            ("redirect_uri", redirect_uri),
            ("state", pending.state.as_str()),
        ];
        runtime.extend(challenge.as_deref().map(|c| ("code_challenge", c)));
        let request = auth.request(AuthPart::Authorize, &runtime)?;
        Ok((request.url, pending))
    }

    /// Completes a login from the callback's query string: the state must
    /// match (else nothing is exchanged), an OAuth `error` is reported as
    /// such, the `code` is exchanged with the same redirect URI (and the
    /// PKCE verifier) under the store's lock, callback values are captured,
    /// and the tokens installed in `tokens`.
    pub(crate) async fn complete(
        &self,
        auth: &Auth<'_>,
        tokens: &TokenCache,
        pending: PendingLogin,
        callback_query: &str,
    ) -> Result<Token> {
        let query: HashMap<String, String> =
            url::form_urlencoded::parse(callback_query.trim_start_matches('?').as_bytes())
                .into_owned()
                .collect();
        let state_matches = query
            .get("state")
            .is_some_and(|state| constant_time_eq(state, &pending.state));
        // An error sent back with our state is the provider's answer.
        if let Some(error) = query.get("error")
            && state_matches
        {
            return Err(Error::OAuth {
                request: format!("authorization of {}", auth.describe()),
                error: error.clone(),
                description: query.get("error_description").cloned(),
                status: None,
            });
        }
        if !state_matches {
            return Err(Error::Callback(
                "its `state` does not match the login that was started: it was tampered with, or belongs to another login attempt".into(),
            ));
        }
        if pending.is_expired() {
            return Err(Error::Callback(
                "the login attempt is older than 15 minutes; start it again".into(),
            ));
        }
        let first_use = self
            .used_states
            .lock()
            .map(|mut used| used.insert(pending.state.clone()))
            .unwrap_or(false);
        if !first_use {
            return Err(Error::Callback(
                "this callback was already used; a code is exchanged once".into(),
            ));
        }
        let code = query
            .get("code")
            .ok_or_else(|| Error::Callback("it has no `code`".into()))?;
        let mut captures = IndexMap::new();
        for (name, parameter) in &auth.plan.authorize_captures {
            let value = query.get(parameter).ok_or_else(|| {
                Error::Callback(format!("it has no `{parameter}` to capture as `{name}`"))
            })?;
            captures.insert(name.clone(), Value::String(value.clone()));
        }
        // Before the code is spent: a forged value must not pick where the
        // code and the client secret go.
        auth.check_captures(&captures)?;
        let mut runtime = vec![
            ("code", code.as_str()),
            ("redirect_uri", pending.redirect_uri.as_str()),
        ];
        runtime.extend(
            pending
                .code_verifier
                .as_deref()
                .map(|v| ("code_verifier", v)),
        );
        let request = auth.request_with(AuthPart::Token, &runtime, &captures)?;
        let mut redactor = tokens.secrets().clone();
        redactor.add(&Secret::new(code.as_str()));
        if let Some(verifier) = &pending.code_verifier {
            redactor.add(&Secret::new(verifier.as_str()));
        }
        let plan = auth.token_response()?;
        let exchange = async {
            let response = auth
                .http
                .send(&request, Carries::Credential, &redactor)
                .await?;
            crate::observe::Observer::token_status(response.status);
            let mut token = read_token_response(&request.label, &response, plan, None)
                .map_err(|e| e.redacted(&redactor))?;
            for (name, value) in captures {
                token.captures.entry(name).or_insert(value);
            }
            Ok(token)
        };
        tokens.install_from(auth, exchange).await
    }
}

/// Compares two strings in time independent of where they differ.
fn constant_time_eq(a: &str, b: &str) -> bool {
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
