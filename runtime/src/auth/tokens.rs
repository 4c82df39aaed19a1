//! The token lifecycle of a connection: acquire, cache, refresh (a
//! rotated refresh token included), persist and revoke.
//!
//! At most one token request is in flight per connection: the cache's
//! lock is held while one is made, and concurrent callers wait for its
//! token. An authorization-code token is refreshed under its store's
//! cross-process lock, after re-reading what is stored, so that
//! concurrent processes make one refresh.

use std::sync::{Arc, RwLock};

use patchbay_schema::catalog::AuthPart;
use tokio::sync::Mutex;

use super::{Auth, TokenSource};
use crate::error::{Error, Result};
use crate::http::Carries;
use crate::observe::{Observer, TokenGrant};
use crate::secret::{Redactor, Secret};
use crate::store::{StoreLock, StoredToken, TokenStore};
use crate::token::{Token, issued_refresh_token, read_token_response};

/// What [`Connection::logout`](crate::Connection::logout) did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logout {
    /// The token was revoked at `revoke_url`, then forgotten.
    Revoked,
    /// The tokens were forgotten; the method has no `revoke_url`.
    NoRevokeUrl,
    /// There were no tokens to revoke or forget.
    NothingStored,
}

/// A connection's tokens. Clones share them.
#[derive(Debug, Clone)]
pub(crate) struct TokenCache {
    /// The current token. Held while a token is requested.
    slot: Arc<Mutex<Option<Token>>>,
    /// The instance's secrets, which every redactor starts from.
    secrets: Redactor,
    /// The instance's secrets and the current tokens.
    redactor: Arc<RwLock<Arc<Redactor>>>,
    /// Where authorization-code tokens persist, and this connection's key.
    store: Option<(Arc<dyn TokenStore>, String)>,
}

impl TokenCache {
    /// An empty cache for an instance with these secrets.
    pub(crate) fn new(secrets: &Redactor) -> Self {
        TokenCache {
            slot: Arc::default(),
            secrets: secrets.clone(),
            redactor: Arc::new(RwLock::new(Arc::new(secrets.clone()))),
            store: None,
        }
    }

    /// Keeps the tokens in `store` under `key` too.
    pub(crate) fn set_store(&mut self, store: Arc<dyn TokenStore>, key: String) {
        self.store = Some((store, key));
    }

    /// The instance's secrets.
    pub(crate) fn secrets(&self) -> &Redactor {
        &self.secrets
    }

    /// A redactor that knows the instance's secrets and the current tokens.
    pub(crate) fn redactor(&self) -> Arc<Redactor> {
        match self.redactor.read() {
            Ok(redactor) => Arc::clone(&redactor),
            // A panic elsewhere while replacing it: the instance's secrets
            // are still known.
            Err(_) => Arc::new(self.secrets.clone()),
        }
    }

    /// Teaches the redactor a new token's secrets.
    fn remember(&self, token: &Token) {
        let mut redactor = self.secrets.clone();
        redactor.add(&token.access_token);
        if let Some(refresh) = &token.refresh_token {
            redactor.add(refresh);
        }
        if let Ok(mut shared) = self.redactor.write() {
            *shared = Arc::new(redactor);
        }
    }

    /// The stored tokens, if there is a store and it holds any.
    pub(crate) fn stored(&self) -> Result<Option<Token>> {
        match &self.store {
            Some((store, key)) => Ok(store.load(key)?.map(Token::from)),
            None => Ok(None),
        }
    }

    /// Makes the token a login's `exchange` obtains the current one, stored
    /// first. The store's lock is taken before the exchange is made (a
    /// future does nothing until awaited): an authorization code is spent
    /// by its exchange, so a store that cannot be locked must fail before
    /// it, not after, or the login is lost.
    ///
    /// The method's discovery (if any) runs with the new token before it is
    /// stored: a new login may be another account, so earlier discovered
    /// values are never kept. When it fails the tokens are stored without
    /// discovered values (the code is spent; the login is not lost) and the
    /// error is returned; the next call runs the discovery again.
    pub(crate) async fn install_from(
        &self,
        auth: &Auth<'_>,
        exchange: impl Future<Output = Result<Token>>,
    ) -> Result<Token> {
        // The slot before the store lock, in the order `current` takes them.
        let mut slot = self.slot.lock().await;
        let held = self.lock_store().await?;
        let observer = auth.http.observer();
        let mut token = observer.token(TokenGrant::Login, exchange).await?;
        let discovery = match auth.discovery() {
            Some(_) => match auth.discover(&token, &self.secrets).await {
                Ok(found) => {
                    found.store_in(&mut token);
                    None
                }
                Err(error) => Some(error),
            },
            None => None,
        };
        if let Some((store, key)) = self.store.clone() {
            let stored = StoredToken::from(&token);
            tokio::task::spawn_blocking(move || store.save(&key, &stored))
                .await
                .map_err(|e| Error::Store(e.to_string()))??;
        }
        drop(held);
        self.remember(&token);
        *slot = Some(token.clone());
        match discovery {
            Some(error) => Err(error),
            None => Ok(token),
        }
    }

    /// Runs the method's discovery for a token that lacks its values (a
    /// new token of a method that requests them, or a login whose
    /// discovery failed), keeping those of `previous` when it has them: a
    /// refreshed or re-requested token belongs to the same account.
    async fn complete(
        &self,
        auth: &Auth<'_>,
        token: &mut Token,
        previous: Option<&Token>,
    ) -> Result<()> {
        if let Some(previous) = previous.filter(|p| !auth.needs_discovery(p))
            && auth.needs_discovery(token)
        {
            token.discovered = previous.discovered.clone();
            token.candidates = previous.candidates.clone();
        }
        if auth.needs_discovery(token) {
            auth.discover(token, &self.secrets).await?.store_in(token);
        }
        Ok(())
    }

    /// Takes the store's cross-process lock for this connection, if it has
    /// a store.
    async fn lock_store(&self) -> Result<Option<Box<dyn StoreLock>>> {
        let Some((store, key)) = self.store.clone() else {
            return Ok(None);
        };
        tokio::task::spawn_blocking(move || store.lock(&key))
            .await
            .map_err(|e| Error::Store(e.to_string()))?
            .map(Some)
    }

    /// The current token, unless it is about to expire or is `stale` (the
    /// one a 401 just refused); else a new one, as the method obtains it.
    pub(crate) async fn current(&self, auth: &Auth<'_>, stale: Option<&Secret>) -> Result<Token> {
        let mut slot = self.slot.lock().await;
        if let Some(token) = slot.as_ref() {
            let refused = stale.is_some_and(|s| s == &token.access_token);
            // A token whose discovery failed (at login) goes the renewal
            // way, which runs the discovery again without a new token.
            if !refused
                && !token.needs_renewal(auth.http.options().max_token_margin)
                && !auth.needs_discovery(token)
            {
                return Ok(token.clone());
            }
        }
        let observer = auth.http.observer();
        let token = match auth.token_source() {
            Some(TokenSource::Request) => {
                let requesting = self.request(auth, slot.as_ref());
                observer.token(TokenGrant::Request, requesting).await?
            }
            Some(TokenSource::Login) => {
                let refreshing = self.refresh(auth, slot.clone(), stale);
                observer.token(TokenGrant::Refresh, refreshing).await?
            }
            None => {
                return Err(Error::NotFound(format!(
                    "{} does not request tokens",
                    auth.describe()
                )));
            }
        };
        self.remember(&token);
        *slot = Some(token.clone());
        Ok(token)
    }

    /// Requests a token with the instance's values.
    async fn request(&self, auth: &Auth<'_>, previous: Option<&Token>) -> Result<Token> {
        let plan = auth.token_response()?;
        let request = auth.request(AuthPart::Token, &[])?;
        let response = auth
            .http
            .send(&request, Carries::Credential, &self.secrets)
            .await?;
        Observer::token_status(response.status);
        let previous_refresh = previous.and_then(|t| t.refresh_token.as_ref());
        let mut token = read_token_response(&request.label, &response, plan, previous_refresh)
            .map_err(|e| e.redacted(&self.secrets))?;
        self.complete(auth, &mut token, previous).await?;
        tracing::debug!(method = auth.key, info = ?token.info(), "token acquired");
        Ok(token)
    }

    /// Renews an authorization-code token: under the store's lock, re-read
    /// the stored tokens (another process may have refreshed), and refresh
    /// only if they are still stale. After a 401 (`stale` is the refused
    /// token), a stored token other than the refused one is another
    /// process's newer token: it is taken as long as it has not expired,
    /// since refreshing again would revoke it under that process (some
    /// providers revoke the access token a refresh replaces). A rotated
    /// refresh token is saved before the new access token is used;
    /// `invalid_grant` means a new login.
    async fn refresh(
        &self,
        auth: &Auth<'_>,
        current: Option<Token>,
        stale: Option<&Secret>,
    ) -> Result<Token> {
        let max_margin = auth.http.options().max_token_margin;
        let usable = |token: &Token| match stale {
            Some(refused) => refused != &token.access_token && !token.is_expired(),
            None => !token.needs_renewal(max_margin),
        };
        let store = self.store.clone();
        let lock = match &store {
            Some((store, key)) => {
                let (store, key) = (Arc::clone(store), key.clone());
                let guard = tokio::task::spawn_blocking(move || -> Result<_> {
                    let lock = store.lock(&key)?;
                    let stored = store.load(&key)?;
                    Ok((lock, stored))
                })
                .await
                .map_err(|e| Error::Store(e.to_string()))??;
                Some(guard)
            }
            None => None,
        };
        let (_lock, stored) = match lock {
            Some((lock, stored)) => (Some(lock), stored.map(Token::from)),
            None => (None, None),
        };
        let candidate = stored.or(current);
        if let Some(token) = candidate.as_ref().filter(|t| usable(t)) {
            let mut token = token.clone();
            if auth.needs_discovery(&token) {
                // The login's discovery failed: run it again now.
                self.complete(auth, &mut token, None).await?;
                if let Some((store, key)) = &store {
                    store.save(key, &StoredToken::from(&token))?;
                }
            }
            return Ok(token);
        }
        let Some(candidate) = candidate else {
            return Err(Error::login_required(
                auth.key,
                "no tokens are stored for this instance",
            ));
        };
        let Some(refresh_token) = candidate.refresh_token.clone() else {
            return Err(Error::login_required(
                auth.key,
                "the token expired and no refresh token was issued",
            ));
        };
        let request = auth.request_with(
            AuthPart::Refresh,
            &[("refresh_token", refresh_token.expose())],
            &candidate.captures,
        )?;
        let mut redactor = self.secrets.clone();
        redactor.add(&refresh_token);
        redactor.add(&candidate.access_token);
        let response = auth
            .http
            .send(&request, Carries::Credential, &redactor)
            .await?;
        Observer::token_status(response.status);
        let plan = auth.token_response()?;
        let mut token = match read_token_response(
            &request.label,
            &response,
            plan,
            Some(&refresh_token),
        ) {
            Err(Error::OAuth { error, .. }) if error == "invalid_grant" => {
                if let Some((store, key)) = &store {
                    store.delete(key)?;
                }
                return Err(Error::login_required(
                    auth.key,
                    "the provider refused the refresh token (invalid_grant): it was revoked, expired or already used",
                ));
            }
            Err(error) => {
                let error = error.redacted(&redactor);
                // The server may have retired the old refresh token when it
                // issued this one: keep the new one even though the rest of
                // the response is unusable.
                if let (Some((store, key)), Some(rotated)) =
                    (&store, issued_refresh_token(&response, plan))
                {
                    let kept = Token {
                        refresh_token: Some(rotated),
                        ..candidate
                    };
                    store.save(key, &StoredToken::from(&kept))?;
                }
                return Err(error);
            }
            Ok(token) => token,
        };
        // Callback captures (QuickBooks' realmId) outlive refreshes.
        for (name, value) in candidate.captures.clone() {
            token.captures.entry(name).or_insert(value);
        }
        // Discovered values too; a discovery that failed runs again. The
        // rotated refresh token is saved whatever it answers.
        let discovery = self.complete(auth, &mut token, Some(&candidate)).await;
        if let Some((store, key)) = &store {
            store.save(key, &StoredToken::from(&token))?;
        }
        discovery?;
        tracing::debug!(method = %auth.key, info = ?token.info(), "token refreshed");
        Ok(token)
    }

    /// Revokes the refresh token (or the access token) at the method's
    /// `revoke_url`, if it has one (RFC 7009), then forgets the tokens.
    pub(crate) async fn revoke(&self, auth: &Auth<'_>) -> Result<Logout> {
        let stored = self.stored()?;
        let mut slot = self.slot.lock().await;
        let token = stored.or_else(|| slot.clone());
        let outcome = match (&auth.plan.requests.revoke, &token) {
            (_, None) => Logout::NothingStored,
            (None, Some(_)) => Logout::NoRevokeUrl,
            (Some(_), Some(_)) => Logout::Revoked,
        };
        if let (Logout::Revoked, Some(token)) = (outcome, token.as_ref()) {
            let (value, hint) = match &token.refresh_token {
                Some(refresh) => (refresh.expose(), "refresh_token"),
                None => (token.access_token.expose(), "access_token"),
            };
            // A revocation written out in full names the token it sends
            // (HubSpot's refresh token in the path, Dropbox's access token
            // as its own credential); RFC 7009 sends `token`.
            let mut runtime = vec![
                ("token", value),
                ("token_type_hint", hint),
                ("access_token", token.access_token.expose()),
            ];
            if let Some(refresh) = &token.refresh_token {
                runtime.push(("refresh_token", refresh.expose()));
            }
            let request = auth.request_with(AuthPart::Revoke, &runtime, &token.captures)?;
            self.remember(token);
            let response = auth
                .http
                .send(&request, Carries::Credential, &self.redactor())
                .await?;
            if !response.is_success() {
                return Err(Error::Status {
                    request: request.label,
                    status: response.status,
                    body: None,
                });
            }
        }
        if let Some((store, key)) = &self.store {
            store.delete(key)?;
        }
        *slot = None;
        Ok(outcome)
    }
}
