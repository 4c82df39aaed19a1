//! The public API: a [`Runtime`] (one HTTP client), a [`Connector`] (a
//! compiled plan, rendered from), and a [`Connection`] (one instance of it,
//! with its token cache).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use indexmap::IndexMap;
use patchbay_compiler::Plan;
use patchbay_compiler::plan::{EndpointPlan, MethodPlan, PaginationPlan};
use patchbay_schema::Pkce;
use patchbay_schema::catalog::AuthPart;
use serde_json::Value;
use tokio::sync::Mutex;

use crate::error::{Error, Result};
use crate::http::{Http, Options, Response, period};
use crate::instance::{Instance, Patterns, check_value};
use crate::login::{PendingLogin, constant_time_eq, pkce_challenge};
use crate::render::{Context, Renderer};
use crate::request::{HttpRequest, build};
use crate::secret::{Redactor, Secret};
use crate::store::{StoredToken, TokenStore};
use crate::token::{Token, at_path, read_token_response};

/// Sends requests: one HTTP client (connection pool) for every connection
/// made through it. Cheap to clone; share one per process.
#[derive(Debug, Clone)]
pub struct Runtime {
    options: Options,
    client: reqwest::Client,
}

impl Runtime {
    /// A runtime with these options.
    pub fn new(options: Options) -> Result<Self> {
        Ok(Runtime {
            client: crate::http::client(&options)?,
            options,
        })
    }

    /// Its options.
    pub fn options(&self) -> &Options {
        &self.options
    }
}

/// A compiled connector, ready to render: compile once, connect many
/// instances.
#[derive(Debug, Clone)]
pub struct Connector {
    plan: Arc<Plan>,
    renderer: Arc<Renderer>,
    patterns: Arc<Patterns>,
}

impl Connector {
    /// Prepares a plan (every template and `pattern` compiled once).
    pub fn new(plan: Plan) -> Self {
        Connector {
            renderer: Arc::new(Renderer::for_plan(&plan)),
            patterns: Arc::new(Patterns::of_plan(&plan)),
            plan: Arc::new(plan),
        }
    }

    /// The plan.
    pub fn plan(&self) -> &Plan {
        &self.plan
    }
}

/// What a call passes: endpoint variables and, for sending endpoints, a
/// payload.
#[derive(Debug, Clone, Default)]
pub struct Call {
    /// Endpoint variables by key.
    pub variables: IndexMap<String, Value>,
    /// The payload templates see as `payload`.
    pub payload: Option<Value>,
}

/// One instance of a connector: its values, its method, its token.
#[derive(Debug, Clone)]
pub struct Connection {
    connector: Connector,
    instance: Instance,
    /// The instance's values, converted for templates once.
    base: Context,
    http: Arc<Http>,
    token: Arc<Mutex<Option<Token>>>,
    /// The instance's secrets and the current tokens.
    redactor: Arc<std::sync::RwLock<Arc<Redactor>>>,
    /// Where authorization-code tokens persist, and this connection's key.
    store: Option<(Arc<dyn TokenStore>, String)>,
    /// `state`s of completed logins: a replayed callback is refused.
    used_states: Arc<std::sync::Mutex<HashSet<String>>>,
}

/// Placeholder for the access token in dry runs.
const TOKEN_PLACEHOLDER: &str = "<access_token>";

impl Connection {
    /// Connects an instance (bound to `connector`'s plan) through a
    /// runtime.
    pub fn new(runtime: &Runtime, connector: &Connector, instance: Instance) -> Result<Self> {
        let limit = connector
            .plan
            .rate_limit
            .as_ref()
            .map(|r| (r.requests, period(r.per)));
        let mut base = Context::default();
        for (key, value) in instance.values() {
            base.set(key.clone(), value.clone());
        }
        for key in instance.url_keys() {
            base.mark_url(key.clone());
        }
        Ok(Connection {
            connector: connector.clone(),
            http: Arc::new(Http::new(
                runtime.client.clone(),
                runtime.options.clone(),
                limit,
            )),
            base: base.into_base(),
            redactor: Arc::new(std::sync::RwLock::new(Arc::new(
                instance.redactor().clone(),
            ))),
            instance,
            token: Arc::new(Mutex::new(None)),
            store: None,
            used_states: Arc::default(),
        })
    }

    /// Keeps this connection's tokens in `store` under `key` (its identity,
    /// e.g. `connector/method/instance`), so that they survive the process
    /// and refreshes are serialised across processes.
    pub fn with_store(mut self, store: Arc<dyn TokenStore>, key: impl Into<String>) -> Self {
        self.store = Some((store, key.into()));
        self
    }

    /// Whether the method logs in (authorization code) and keeps tokens.
    pub fn has_login(&self) -> bool {
        self.is_authorization_code()
    }

    fn is_authorization_code(&self) -> bool {
        self.method().is_ok_and(|m| m.requests.authorize.is_some())
    }

    /// Starts an authorization-code login: the URL to send the user to, and
    /// the pending login to keep until the callback. Each attempt has a
    /// fresh 128-bit `state` and, unless the method opts out, a fresh PKCE
    /// verifier.
    pub fn start_login(&self, redirect_uri: &str) -> Result<(url::Url, PendingLogin)> {
        let method = self.method()?;
        let pkce = method
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
        let request = self.auth_request(AuthPart::Authorize, &runtime)?;
        Ok((request.url, pending))
    }

    /// Completes a login from the callback's query string: the state must
    /// match (else nothing is exchanged), an OAuth `error` is reported as
    /// such, the `code` is exchanged with the same redirect URI (and the
    /// PKCE verifier), callback values are captured, and the tokens stored.
    pub async fn complete_login(
        &self,
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
                request: format!("authorization of {}", self.describe_method()),
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
        let method = self.method()?;
        let mut captures = IndexMap::new();
        for (name, parameter) in &method.authorize_captures {
            let value = query.get(parameter).ok_or_else(|| {
                Error::Callback(format!("it has no `{parameter}` to capture as `{name}`"))
            })?;
            captures.insert(name.clone(), Value::String(value.clone()));
        }
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
        let request = self.auth_request(AuthPart::Token, &runtime)?;
        let mut redactor = self.instance.redactor().clone();
        redactor.add(&Secret::new(code.as_str()));
        if let Some(verifier) = &pending.code_verifier {
            redactor.add(&Secret::new(verifier.as_str()));
        }
        let response = self.http.send(&request, &redactor).await?;
        let response_plan = self.token_response_plan()?;
        let mut token = read_token_response(&request.label, &response, response_plan, None)
            .map_err(|e| e.redacted(&redactor))?;
        for (name, value) in captures {
            token.captures.entry(name).or_insert(value);
        }
        let mut slot = self.token.lock().await;
        self.persist(&token).await?;
        self.remember_secrets(&token);
        *slot = Some(token.clone());
        Ok(token)
    }

    /// The tokens stored for this connection, if any (for `auth status`).
    pub fn stored_token(&self) -> Result<Option<Token>> {
        match &self.store {
            Some((store, key)) => Ok(store.load(key)?.map(Token::from)),
            None => Ok(None),
        }
    }

    /// Revokes the refresh token (or the access token) at `revoke_url`
    /// when the method has one (RFC 7009), then forgets the tokens.
    pub async fn logout(&self) -> Result<Logout> {
        let stored = self.stored_token()?;
        let mut slot = self.token.lock().await;
        let token = stored.or_else(|| slot.clone());
        let method = self.method()?;
        let outcome = match (&method.requests.revoke, &token) {
            (_, None) => Logout::NothingStored,
            (None, Some(_)) => Logout::NoRevokeUrl,
            (Some(_), Some(_)) => Logout::Revoked,
        };
        if let (Logout::Revoked, Some(token)) = (outcome, token.as_ref()) {
            let (value, hint) = match &token.refresh_token {
                Some(refresh) => (refresh.expose(), "refresh_token"),
                None => (token.access_token.expose(), "access_token"),
            };
            let request = self.auth_request(
                AuthPart::Revoke,
                &[("token", value), ("token_type_hint", hint)],
            )?;
            self.remember_secrets(token);
            let response = self.http.send(&request, &self.current_redactor()).await?;
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

    /// Saves a token to the store (under its cross-process lock).
    async fn persist(&self, token: &Token) -> Result<()> {
        let Some((store, key)) = self.store.clone() else {
            return Ok(());
        };
        let stored = StoredToken::from(token);
        tokio::task::spawn_blocking(move || {
            let _lock = store.lock(&key)?;
            store.save(&key, &stored)
        })
        .await
        .map_err(|e| Error::Store(e.to_string()))?
    }

    fn token_response_plan(&self) -> Result<&patchbay_compiler::plan::TokenResponsePlan> {
        self.method()?.token_response.as_ref().ok_or_else(|| {
            Error::NotFound(format!(
                "{} does not request tokens",
                self.describe_method()
            ))
        })
    }

    /// Renews an authorization-code token: under the store's lock, re-read
    /// the stored tokens (another process may have refreshed), and refresh
    /// only if they are still stale. A rotated refresh token is saved before
    /// the new access token is used; `invalid_grant` means a new login.
    async fn refresh(&self, current: Option<Token>, stale: Option<&Secret>) -> Result<Token> {
        let margin = self.http.options().token_margin;
        let usable = |token: &Token| {
            token.is_fresh(margin) && stale.is_none_or(|s| s != &token.access_token)
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
            return Ok(token.clone());
        }
        let method_name = self.instance.method().to_owned();
        let Some(candidate) = candidate else {
            return Err(Error::login_required(
                &method_name,
                "no tokens are stored for this instance",
            ));
        };
        let Some(refresh_token) = candidate.refresh_token.clone() else {
            return Err(Error::login_required(
                &method_name,
                "the token expired and no refresh token was issued",
            ));
        };
        let request = self.auth_request(
            AuthPart::Refresh,
            &[("refresh_token", refresh_token.expose())],
        )?;
        let mut redactor = self.instance.redactor().clone();
        redactor.add(&refresh_token);
        redactor.add(&candidate.access_token);
        let response = self.http.send(&request, &redactor).await?;
        let mut token = match read_token_response(
            &request.label,
            &response,
            self.token_response_plan()?,
            Some(&refresh_token),
        ) {
            Err(Error::OAuth { error, .. }) if error == "invalid_grant" => {
                if let Some((store, key)) = &store {
                    store.delete(key)?;
                }
                return Err(Error::login_required(
                    &method_name,
                    "the provider refused the refresh token (invalid_grant): it was revoked, expired or already used",
                ));
            }
            other => other.map_err(|e| e.redacted(&redactor))?,
        };
        // Callback captures (QuickBooks' realmId) outlive refreshes.
        for (name, value) in candidate.captures {
            token.captures.entry(name).or_insert(value);
        }
        if let Some((store, key)) = &store {
            store.save(key, &StoredToken::from(&token))?;
        }
        tracing::debug!(method = %method_name, info = ?token.info(), "token refreshed");
        Ok(token)
    }

    /// The plan of the connector.
    pub fn connector_plan(&self) -> &Plan {
        &self.connector.plan
    }

    fn method(&self) -> Result<&MethodPlan> {
        self.connector
            .plan
            .methods
            .get(self.instance.method())
            .ok_or_else(|| Error::NotFound(format!("no auth method `{}`", self.instance.method())))
    }

    fn describe_method(&self) -> String {
        format!("auth method `{}`", self.instance.method())
    }

    /// A redactor that knows this connection's secrets, tokens included.
    pub async fn redactor(&self) -> Arc<Redactor> {
        self.current_redactor()
    }

    fn current_redactor(&self) -> Arc<Redactor> {
        match self.redactor.read() {
            Ok(redactor) => Arc::clone(&redactor),
            // A panic elsewhere while replacing it: the instance's secrets
            // are still known.
            Err(_) => Arc::new(self.instance.redactor().clone()),
        }
    }

    /// Teaches the redactor a new token's secrets.
    fn remember_secrets(&self, token: &Token) {
        let mut redactor = self.instance.redactor().clone();
        redactor.add(&token.access_token);
        if let Some(refresh) = &token.refresh_token {
            redactor.add(refresh);
        }
        if let Ok(mut shared) = self.redactor.write() {
            *shared = Arc::new(redactor);
        }
    }

    fn base_context(&self) -> Context {
        self.base.clone()
    }

    fn token_request(&self) -> Result<HttpRequest> {
        self.auth_request(AuthPart::Token, &[])
    }

    /// Renders one of the method's own requests (authorize, token, refresh,
    /// revoke) with the instance's values and that request's runtime
    /// values.
    fn auth_request(&self, part: AuthPart, runtime: &[(&str, &str)]) -> Result<HttpRequest> {
        let requests = &self.method()?.requests;
        let (plan, missing) = match part {
            AuthPart::Authorize => (&requests.authorize, "has no authorization-code login"),
            AuthPart::Token => (&requests.token, "does not request tokens"),
            AuthPart::Refresh => (&requests.refresh, "has no refresh request"),
            AuthPart::Revoke => (&requests.revoke, "has no revoke_url"),
            AuthPart::Apply => (&None, "applies its credential to endpoint requests only"),
        };
        let plan = plan
            .as_ref()
            .ok_or_else(|| Error::NotFound(format!("{} {missing}", self.describe_method())))?;
        let mut context = self.base_context();
        for (name, value) in runtime {
            context.set(*name, Value::String((*value).to_owned()));
        }
        build(
            &format!("{} of {}", part.describe(), self.describe_method()),
            plan,
            &self.connector.renderer,
            &context,
        )
    }

    /// Whether this connection's method obtains tokens by a request.
    pub fn uses_tokens(&self) -> bool {
        self.method().is_ok_and(|m| m.token_response.is_some())
    }

    /// The current token, acquired if there is none or it is about to
    /// expire. Concurrent callers share one token request.
    pub async fn token(&self) -> Result<Token> {
        self.token_replacing(None).await
    }

    /// Fetches a new token unless the cached one is fresh and is not
    /// `stale` (the one a 401 just refused).
    async fn token_replacing(&self, stale: Option<&Secret>) -> Result<Token> {
        let mut slot = self.token.lock().await;
        if let Some(token) = slot.as_ref() {
            let refused = stale.is_some_and(|s| s == &token.access_token);
            if !refused && token.is_fresh(self.http.options().token_margin) {
                return Ok(token.clone());
            }
        }
        if self.is_authorization_code() {
            let token = self.refresh(slot.clone(), stale).await?;
            self.remember_secrets(&token);
            *slot = Some(token.clone());
            return Ok(token);
        }
        let method = self.method()?;
        let plan = method.token_response.as_ref().ok_or_else(|| {
            Error::NotFound(format!(
                "{} does not request tokens",
                self.describe_method()
            ))
        })?;
        let request = self.token_request()?;
        let redactor = self.instance.redactor();
        let response = self.http.send(&request, redactor).await?;
        let previous_refresh = slot.as_ref().and_then(|t| t.refresh_token.clone());
        let token = read_token_response(&request.label, &response, plan, previous_refresh.as_ref())
            .map_err(|e| e.redacted(redactor))?;
        tracing::debug!(method = self.instance.method(), info = ?token.info(), "token acquired");
        self.remember_secrets(&token);
        *slot = Some(token.clone());
        Ok(token)
    }

    fn endpoint(&self, name: &str) -> Result<&EndpointPlan> {
        let method = self.method()?;
        method.endpoints.get(name).ok_or_else(|| {
            let known: Vec<&str> = method.endpoints.keys().map(String::as_str).collect();
            Error::NotFound(format!(
                "{} has no endpoint `{name}`; it has: {}",
                self.describe_method(),
                known.join(", ")
            ))
        })
    }

    fn endpoint_context(
        &self,
        endpoint: &EndpointPlan,
        call: &Call,
        token: Option<&Token>,
        placeholder: bool,
    ) -> Result<Context> {
        for key in call.variables.keys() {
            if !endpoint.variables.iter().any(|v| &v.key == key) {
                let known: Vec<&str> = endpoint.variables.iter().map(|v| v.key.as_str()).collect();
                return Err(Error::EndpointVariable {
                    key: key.clone(),
                    message: format!(
                        "not a variable of this endpoint; it has: {}",
                        known.join(", ")
                    ),
                });
            }
        }
        let mut context = self.base_context();
        for input in &endpoint.variables {
            match call.variables.get(&input.key).or(input.default.as_ref()) {
                Some(value) => {
                    check_value(input, value, &self.connector.patterns).map_err(|e| match e {
                        Error::Instance { key, message } => {
                            Error::EndpointVariable { key, message }
                        }
                        other => other,
                    })?;
                    context.set(input.key.clone(), value.clone());
                }
                None if input.required => {
                    return Err(Error::EndpointVariable {
                        key: input.key.clone(),
                        message: "missing: required by this endpoint; pass it as a variable (`--var key=value`)".into(),
                    });
                }
                None => {}
            }
        }
        if let Some(payload) = &call.payload {
            context.set("payload", payload.clone());
        }
        if let Some(token) = token {
            add_token(&mut context, token);
        } else if placeholder {
            context.set("access_token", Value::String(TOKEN_PLACEHOLDER.to_owned()));
        }
        Ok(context)
    }

    fn render_endpoint(
        &self,
        name: &str,
        endpoint: &EndpointPlan,
        context: &Context,
    ) -> Result<HttpRequest> {
        build(
            &format!("endpoint `{name}`"),
            &endpoint.request,
            &self.connector.renderer,
            context,
        )
    }

    /// The requests a call would send, without sending anything: the token
    /// request (for token methods) and the endpoint request, with the
    /// access token as a placeholder. Render them with
    /// [`HttpRequest::to_curl`] and [`Connection::redactor`].
    pub fn dry_run(&self, endpoint: &str, call: &Call) -> Result<Vec<HttpRequest>> {
        let mut requests = Vec::new();
        // An authorization-code token comes from a login, not a request.
        if self.uses_tokens() && !self.is_authorization_code() {
            requests.push(self.token_request()?);
        }
        // After a login, values captured from the callback (QuickBooks'
        // realmId) are known; the token itself stays a placeholder.
        let stored = self.stored_token().ok().flatten();
        let plan = self.endpoint(endpoint)?;
        let mut context = self.endpoint_context(plan, call, None, true)?;
        for (name, value) in stored.iter().flat_map(|t| &t.captures) {
            context.set(name.clone(), value.clone());
            context.mark_url(name.clone());
        }
        let mut request = self.render_endpoint(endpoint, plan, &context)?;
        // Exactly what the first page sends.
        paginate(
            &mut request,
            &self.endpoint(endpoint)?.pagination,
            &PageState::First,
        );
        requests.push(request);
        Ok(requests)
    }

    /// Calls an endpoint once (the first page). A 401 drops the token and
    /// retries once with a new one. A non-2xx answer is an error; the body
    /// of a success is returned unchanged.
    pub async fn call(&self, endpoint: &str, call: &Call) -> Result<Response> {
        self.call_with(endpoint, call, |request| request).await
    }

    async fn call_with(
        &self,
        endpoint: &str,
        call: &Call,
        adjust: impl Fn(HttpRequest) -> HttpRequest,
    ) -> Result<Response> {
        // The call's variables are checked before any token is fetched.
        let plan = self.endpoint(endpoint)?;
        let context = self.endpoint_context(plan, call, None, false)?;
        let with_token = |token: Option<&Token>| -> Result<HttpRequest> {
            let mut context = context.clone();
            if let Some(token) = token {
                add_token(&mut context, token);
            }
            Ok(adjust(self.render_endpoint(endpoint, plan, &context)?))
        };
        let token = if self.uses_tokens() {
            Some(self.token().await?)
        } else {
            None
        };
        let request = with_token(token.as_ref())?;
        let response = self.send_checked(&request).await;
        match (response, token) {
            (Err(Error::Status { status: 401, .. }), Some(refused)) => {
                tracing::debug!(endpoint, "401: renewing the token once");
                let fresh = self.token_replacing(Some(&refused.access_token)).await?;
                self.send_checked(&with_token(Some(&fresh))?).await
            }
            (response, _) => response,
        }
    }

    async fn send_checked(&self, request: &HttpRequest) -> Result<Response> {
        let redactor = self.current_redactor();
        let response = self.http.send(request, &redactor).await?;
        if response.is_success() {
            return Ok(response);
        }
        let excerpt: String = String::from_utf8_lossy(&response.body)
            .chars()
            .take(300)
            .collect();
        Err(Error::Status {
            request: request.label.clone(),
            status: response.status,
            body: (!excerpt.trim().is_empty()).then(|| redactor.redact(excerpt.trim())),
        })
    }

    /// Pages of an endpoint's records, as its pagination says.
    pub fn pages<'c>(&'c self, endpoint: &str, call: Call) -> Result<Pages<'c>> {
        let plan = self.endpoint(endpoint)?;
        Ok(Pages {
            connection: self,
            endpoint: endpoint.to_owned(),
            call,
            pagination: plan.pagination.clone(),
            records: plan.response.records.clone(),
            state: PageState::First,
            fetched: 0,
            first_origin: None,
        })
    }
}

/// The token and its captured fields as runtime values. A captured value
/// may start a URL (Salesforce's `instance_url`), validated there like a
/// `url` variable.
fn add_token(context: &mut Context, token: &Token) {
    context.set(
        "access_token",
        Value::String(token.access_token.expose().to_owned()),
    );
    for (name, value) in &token.captures {
        context.set(name.clone(), value.clone());
        context.mark_url(name.clone());
    }
}

/// What `Connection::logout` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Logout {
    /// The token was revoked at `revoke_url`, then forgotten.
    Revoked,
    /// The tokens were forgotten; the method has no `revoke_url`.
    NoRevokeUrl,
    /// There were no tokens to revoke or forget.
    NothingStored,
}

/// One page of records.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records (the array at the records path, or the whole body).
    pub records: Vec<Value>,
    /// The response.
    pub response: Response,
}

#[derive(Debug, Clone)]
enum PageState {
    First,
    Number(i64),
    Offset(u64),
    Cursor(String),
    Url(url::Url),
    Done,
}

/// Pages of an endpoint, fetched one at a time with [`Pages::next`].
#[derive(Debug)]
pub struct Pages<'c> {
    connection: &'c Connection,
    endpoint: String,
    call: Call,
    pagination: PaginationPlan,
    records: Option<String>,
    state: PageState,
    fetched: u32,
    first_origin: Option<url::Origin>,
}

fn set_query(url: &mut url::Url, name: &str, value: &str) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut pairs = url.query_pairs_mut();
    pairs.clear();
    for (k, v) in &kept {
        pairs.append_pair(k, v);
    }
    pairs.append_pair(name, value);
}

/// Page size of a pagination.
fn page_size_of(pagination: &PaginationPlan) -> (Option<&str>, Option<u32>) {
    let size = match pagination {
        PaginationPlan::PageNumber { page_size, .. }
        | PaginationPlan::Offset { page_size, .. }
        | PaginationPlan::Cursor { page_size, .. } => page_size.as_ref(),
        _ => None,
    };
    (
        size.and_then(|s| s.param.as_deref()),
        size.and_then(|s| s.limit),
    )
}

/// Adds the pagination parameters of a page to its request.
fn paginate(request: &mut HttpRequest, pagination: &PaginationPlan, state: &PageState) {
    if let (Some(param), Some(limit)) = page_size_of(pagination) {
        set_query(&mut request.url, param, &limit.to_string());
    }
    match (pagination, state) {
        (PaginationPlan::PageNumber { param, start, .. }, PageState::First) => {
            set_query(&mut request.url, param, &start.value.to_string());
        }
        (PaginationPlan::PageNumber { param, .. }, PageState::Number(n)) => {
            set_query(&mut request.url, param, &n.to_string());
        }
        (PaginationPlan::Offset { param, .. }, PageState::First) => {
            set_query(&mut request.url, param, "0")
        }
        (PaginationPlan::Offset { param, .. }, PageState::Offset(n)) => {
            set_query(&mut request.url, param, &n.to_string());
        }
        (PaginationPlan::Cursor { param, .. }, PageState::Cursor(token)) => {
            set_query(&mut request.url, param, token);
        }
        (_, PageState::Url(next)) => request.url = next.clone(),
        _ => {}
    }
}

/// The `rel` target of an RFC 8288 `Link` header.
pub fn link_target(header: &str, rel: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let mut parts = link.split(';');
        let target = parts.next()?.trim().strip_prefix('<')?.strip_suffix('>')?;
        parts
            .filter_map(|p| p.trim().strip_prefix("rel="))
            .any(|value| {
                value
                    .trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
            })
            .then(|| target.to_owned())
    })
}

impl Pages<'_> {
    fn page_size(&self) -> (Option<&str>, Option<u32>) {
        page_size_of(&self.pagination)
    }

    fn max_pages(&self) -> Option<u32> {
        match &self.pagination {
            PaginationPlan::None => Some(1),
            PaginationPlan::PageNumber { max_pages, .. }
            | PaginationPlan::Offset { max_pages, .. }
            | PaginationPlan::Cursor { max_pages, .. }
            | PaginationPlan::NextUrl { max_pages, .. }
            | PaginationPlan::LinkHeader { max_pages, .. } => *max_pages,
        }
    }

    /// The next page, or `None` when a stop condition is met: a page with
    /// no records, a missing token or link, fewer records than the page
    /// size, or `max_pages`.
    pub async fn next(&mut self) -> Option<Result<Page>> {
        if matches!(self.state, PageState::Done)
            || self.max_pages().is_some_and(|max| self.fetched >= max)
        {
            return None;
        }
        let result = self.fetch().await;
        if result.is_err() {
            self.state = PageState::Done;
        }
        Some(result)
    }

    async fn fetch(&mut self) -> Result<Page> {
        let (_, limit) = self.page_size();
        let state = self.state.clone();
        let pagination = self.pagination.clone();
        let adjust = move |mut request: HttpRequest| {
            paginate(&mut request, &pagination, &state);
            request
        };
        if let PageState::Url(next) = &self.state {
            self.check_same_origin(next)?;
        }
        let response = self
            .connection
            .call_with(&self.endpoint, &self.call, adjust)
            .await?;
        if self.first_origin.is_none() {
            self.first_origin = Some(response.url.origin());
        }
        self.fetched += 1;
        let body: Value = if response.body.is_empty() {
            Value::Null
        } else {
            response.json().map_err(|e| Error::Response {
                request: format!("endpoint `{}`", self.endpoint),
                message: format!("the response is not JSON ({e})"),
            })?
        };
        let records = match &self.records {
            Some(path) => match at_path(&body, path) {
                Some(Value::Array(items)) => items.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(other) => vec![other.clone()],
            },
            None => match &body {
                Value::Array(items) => items.clone(),
                Value::Null => Vec::new(),
                other => vec![other.clone()],
            },
        };
        self.state = self.next_state(&body, &response, records.len(), limit);
        Ok(Page { records, response })
    }

    /// A next-page link is followed only on the origin the first page came
    /// from: the credential is attached to it.
    fn check_same_origin(&self, next: &url::Url) -> Result<()> {
        if self
            .first_origin
            .as_ref()
            .is_some_and(|origin| *origin != next.origin())
        {
            return Err(Error::Response {
                request: format!("endpoint `{}`", self.endpoint),
                message: format!(
                    "the next page is on another origin ({}); it is not followed, so the credential is not sent there",
                    next.origin().ascii_serialization()
                ),
            });
        }
        Ok(())
    }

    fn next_state(
        &self,
        body: &Value,
        response: &Response,
        count: usize,
        limit: Option<u32>,
    ) -> PageState {
        let short = limit.is_some_and(|l| count < l as usize);
        if count == 0 || short {
            return PageState::Done;
        }
        match (&self.pagination, &self.state) {
            (PaginationPlan::None, _) => PageState::Done,
            (PaginationPlan::PageNumber { start, .. }, PageState::First) => {
                PageState::Number(start.value + 1)
            }
            (PaginationPlan::PageNumber { .. }, PageState::Number(n)) => PageState::Number(n + 1),
            (PaginationPlan::Offset { .. }, PageState::First) => PageState::Offset(count as u64),
            (PaginationPlan::Offset { .. }, PageState::Offset(n)) => {
                PageState::Offset(n + count as u64)
            }
            (PaginationPlan::Cursor { path, .. }, _) => match at_path(body, path) {
                Some(Value::String(token)) if !token.is_empty() => PageState::Cursor(token.clone()),
                Some(Value::Number(n)) => PageState::Cursor(n.to_string()),
                _ => PageState::Done,
            },
            (PaginationPlan::NextUrl { path, .. }, _) => {
                match at_path(body, path).and_then(Value::as_str) {
                    Some(next) if !next.is_empty() => response
                        .url
                        .join(next)
                        .map_or(PageState::Done, PageState::Url),
                    _ => PageState::Done,
                }
            }
            (PaginationPlan::LinkHeader { rel, .. }, _) => response
                .headers
                .get_all(reqwest::header::LINK)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .find_map(|v| link_target(v, &rel.value))
                .and_then(|next| response.url.join(&next).ok())
                .map_or(PageState::Done, PageState::Url),
            _ => PageState::Done,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_are_parsed() {
        let header = r#"<https://api.example.com/x?page=2>; rel="next", <https://api.example.com/x?page=9>; rel="last""#;
        assert_eq!(
            link_target(header, "next").as_deref(),
            Some("https://api.example.com/x?page=2")
        );
        assert_eq!(link_target(header, "prev"), None);
    }

    #[test]
    fn set_query_replaces_a_parameter() {
        let mut url = url::Url::parse("https://x.example/a?page=1&q=a%26b").unwrap();
        set_query(&mut url, "page", "2");
        assert_eq!(url.as_str(), "https://x.example/a?q=a%26b&page=2");
    }
}
