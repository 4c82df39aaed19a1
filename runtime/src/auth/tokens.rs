//! The token lifecycle of a connection: acquire, cache, refresh (a
//! rotated refresh token included), persist and revoke.
//!
//! At most one token request is in flight per connection: the cache's
//! lock is held while one is made, and concurrent callers wait for its
//! token. An authorization-code token is refreshed under its store's
//! cross-process lease, after re-reading what is stored, so that
//! concurrent processes make one refresh; so is a client-credentials
//! token kept in a store that processes share. While the token in memory
//! is good, no store is asked.

use std::sync::{Arc, RwLock};
use std::time::Duration;

use patchbay_schema::catalog::AuthPart;
use tokio::sync::Mutex;

use super::{Auth, TokenSource};
use crate::error::{Error, Result};
use crate::http::Carries;
use crate::observe::{Observer, TokenGrant};
use crate::secret::{Redactor, Secret};
use crate::store::{StoreLease, StoredToken, TokenStore};
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

    /// The stored tokens, if there is a store and it holds any. A
    /// connection with no token in memory yet takes them as its own, so
    /// that a dry run shows the values captured at login.
    pub(crate) async fn stored(&self) -> Result<Option<Token>> {
        let Some((store, key)) = &self.store else {
            return Ok(None);
        };
        let token = store.load(key).await?.map(Token::from);
        if let (Some(token), Ok(mut slot)) = (&token, self.slot.try_lock())
            && slot.is_none()
        {
            self.remember(token);
            *slot = Some(token.clone());
        }
        Ok(token)
    }

    /// The token in memory, if any and no token request holds it now.
    pub(crate) fn known(&self) -> Option<Token> {
        self.slot.try_lock().ok().and_then(|slot| slot.clone())
    }

    /// Makes the token a login's `exchange` obtains the current one, stored
    /// first. The store's lease is taken before the exchange is made (a
    /// future does nothing until awaited): an authorization code is spent
    /// by its exchange, so a store that cannot hand out a lease must fail
    /// before it, not after, or the login is lost.
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
        // The slot before the store lease, in the order `current` takes them.
        let mut slot = self.slot.lock().await;
        let lease = self.lease().await?;
        let outcome = self.install_under(auth, exchange, lease.as_deref()).await;
        release(lease).await;
        let (token, discovery) = outcome?;
        self.remember(&token);
        *slot = Some(token.clone());
        match discovery {
            Some(error) => Err(error),
            None => Ok(token),
        }
    }

    /// [`TokenCache::install_from`] once the lease is held: the token and
    /// its discovery's error, if it failed.
    async fn install_under(
        &self,
        auth: &Auth<'_>,
        exchange: impl Future<Output = Result<Token>>,
        lease: Option<&dyn StoreLease>,
    ) -> Result<(Token, Option<Error>)> {
        let mut token = auth
            .http
            .observer()
            .token(TokenGrant::Login, exchange)
            .await?;
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
        if let Some(lease) = lease {
            lease.save(&StoredToken::from(&token)).await?;
        }
        Ok((token, discovery))
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

    /// Takes the store's cross-process lease for this connection, if it
    /// has a store.
    async fn lease(&self) -> Result<Option<Box<dyn StoreLease>>> {
        match &self.store {
            Some((store, key)) => store.lock(key).await.map(Some),
            None => Ok(None),
        }
    }

    /// The store, when it keeps this method's tokens across processes: an
    /// authorization-code login always, a requested token when the store
    /// is shared.
    fn store_for(&self, source: TokenSource) -> Option<&(Arc<dyn TokenStore>, String)> {
        self.store
            .as_ref()
            .filter(|(store, _)| source == TokenSource::Login || store.shares_client_tokens())
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
            // A shared store's request is observed where it is made: a
            // worker that reads another's token requested none.
            Some(TokenSource::Request) if self.store_for(TokenSource::Request).is_some() => {
                self.request_shared(auth, slot.as_ref(), stale).await?
            }
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
            .map_err(|e| e.redacted(&request.redactor(&self.secrets)))?;
        self.complete(auth, &mut token, previous).await?;
        tracing::debug!(method = auth.key, info = ?token.info(), "token acquired");
        Ok(token)
    }

    /// Requests a token once for every process sharing the store: one
    /// another process saved is taken while it is good; else, under the
    /// lease, the store is read again and only a token still missing or
    /// stale is requested, then saved for the others.
    async fn request_shared(
        &self,
        auth: &Auth<'_>,
        previous: Option<&Token>,
        stale: Option<&Secret>,
    ) -> Result<Token> {
        let observer = auth.http.observer();
        let Some((store, key)) = self.store_for(TokenSource::Request) else {
            return observer
                .token(TokenGrant::Request, self.request(auth, previous))
                .await;
        };
        let max_margin = auth.http.options().max_token_margin;
        let good = |token: &Token| usable(token, stale, max_margin) && !auth.needs_discovery(token);
        if let Some(token) = store.load(key).await?.map(Token::from).filter(good) {
            return Ok(token);
        }
        let lease = store.lock(key).await?;
        let outcome = async {
            if let Some(token) = store.load(key).await?.map(Token::from).filter(good) {
                return Ok(token);
            }
            let token = observer
                .token(TokenGrant::Request, self.request(auth, previous))
                .await?;
            // The token is good whether or not the others get it: a lease
            // lost while it was requested costs them a request of their own.
            if let Err(error) = lease.save(&StoredToken::from(&token)).await {
                tracing::warn!(method = auth.key, %error, "the new token was not shared");
            }
            Ok(token)
        }
        .await;
        release(Some(lease)).await;
        outcome
    }

    /// Renews an authorization-code token: under the store's lease,
    /// re-read the stored tokens (another process may have refreshed), and
    /// refresh only if they are still stale. After a 401 (`stale` is the
    /// refused token), a stored token other than the refused one is
    /// another process's newer token: it is taken as long as it has not
    /// expired, since refreshing again would revoke it under that process
    /// (some providers revoke the access token a refresh replaces). A
    /// rotated refresh token is saved before the new access token is used;
    /// `invalid_grant` means a new login.
    async fn refresh(
        &self,
        auth: &Auth<'_>,
        current: Option<Token>,
        stale: Option<&Secret>,
    ) -> Result<Token> {
        // Another process's refresh, read without waiting for the lease.
        if let Some((store, key)) = &self.store {
            let max_margin = auth.http.options().max_token_margin;
            let fresh =
                store.load(key).await?.map(Token::from).filter(|token| {
                    usable(token, stale, max_margin) && !auth.needs_discovery(token)
                });
            if let Some(token) = fresh {
                return Ok(token);
            }
        }
        let lease = self.lease().await?;
        let outcome = self
            .refresh_under(auth, current, stale, lease.as_deref())
            .await;
        release(lease).await;
        outcome
    }

    /// [`TokenCache::refresh`] once the lease (if there is a store) is held.
    async fn refresh_under(
        &self,
        auth: &Auth<'_>,
        current: Option<Token>,
        stale: Option<&Secret>,
        lease: Option<&dyn StoreLease>,
    ) -> Result<Token> {
        let max_margin = auth.http.options().max_token_margin;
        let stored = match &self.store {
            Some((store, key)) => store.load(key).await?.map(Token::from),
            None => None,
        };
        let candidate = stored.or(current);
        if let Some(token) = candidate.as_ref().filter(|t| usable(t, stale, max_margin)) {
            let mut token = token.clone();
            if auth.needs_discovery(&token) {
                // The login's discovery failed: run it again now.
                self.complete(auth, &mut token, None).await?;
                if let Some(lease) = lease {
                    lease.save(&StoredToken::from(&token)).await?;
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
        let mut redactor = request.redactor(&self.secrets).into_owned();
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
                if let Some(lease) = lease {
                    lease.delete().await?;
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
                if let (Some(lease), Some(rotated)) = (lease, issued_refresh_token(&response, plan))
                {
                    let kept = Token {
                        refresh_token: Some(rotated),
                        ..candidate
                    };
                    lease.save(&StoredToken::from(&kept)).await?;
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
        if let Some(lease) = lease {
            lease.save(&StoredToken::from(&token)).await?;
        }
        discovery?;
        tracing::debug!(method = %auth.key, info = ?token.info(), "token refreshed");
        Ok(token)
    }

    /// Revokes the refresh token (or the access token) at the method's
    /// `revoke_url`, if it has one (RFC 7009), then forgets the tokens.
    pub(crate) async fn revoke(&self, auth: &Auth<'_>) -> Result<Logout> {
        let mut slot = self.slot.lock().await;
        let lease = self.lease().await?;
        let outcome = self
            .revoke_under(auth, slot.clone(), lease.as_deref())
            .await;
        release(lease).await;
        if outcome.is_ok() {
            *slot = None;
        }
        outcome
    }

    /// [`TokenCache::revoke`] once the lease (if there is a store) is held.
    async fn revoke_under(
        &self,
        auth: &Auth<'_>,
        current: Option<Token>,
        lease: Option<&dyn StoreLease>,
    ) -> Result<Logout> {
        let stored = match &self.store {
            Some((store, key)) => store.load(key).await?.map(Token::from),
            None => None,
        };
        let token = stored.or(current);
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
        if let Some(lease) = lease {
            lease.delete().await?;
        }
        Ok(outcome)
    }
}

/// Whether a token may be used instead of requesting one: after a 401
/// (`stale` is the refused token), any other token that has not expired;
/// else one that is not due for renewal.
fn usable(token: &Token, stale: Option<&Secret>, max_margin: Duration) -> bool {
    match stale {
        Some(refused) => refused != &token.access_token && !token.is_expired(),
        None => !token.needs_renewal(max_margin),
    }
}

/// Releases a lease now. A release that fails is no error: the lease
/// ends when it expires, or when its holder's lock file is closed.
async fn release(lease: Option<Box<dyn StoreLease>>) {
    if let Some(lease) = lease
        && let Err(error) = lease.release().await
    {
        tracing::debug!(%error, "the token store's lease was not released; it will expire");
    }
}
