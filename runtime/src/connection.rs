//! The public API: a [`Runtime`] (one HTTP client), a [`Connector`] (a
//! compiled plan, rendered from), and a [`Connection`] (one instance of
//! it) that calls endpoints, pages through them, and logs in and out.
//! Tokens are kept by [`crate::auth`], pages fetched by
//! [`crate::pagination`].

use std::sync::{Arc, Mutex, PoisonError};

use indexmap::IndexMap;
use patchbay_compiler::Plan;
use patchbay_compiler::plan::{
    BodyPlan, EndpointPlan, ErrorsPlan, MethodPlan, PartPlan, RequestPlan, ResponsePlan,
};
use patchbay_schema::catalog::AuthPart;
use serde_json::Value;

use crate::api_errors::{ApiFailure, FailureClass, classify};
use crate::auth::{
    Auth, DeviceLogin, Logins, Logout, PendingLogin, TokenCache, TokenSource,
    complete_device_login, start_device_login,
};
use crate::checkpoint::{self, Checkpoint};
use crate::error::{Error, Result};
use crate::http::{Carries, Http, Options, Response, RetryHook, period};
use crate::instance::{Instance, Patterns, check_value};
use crate::multipart::Upload;
use crate::observe::{Metrics, Observer};
use crate::pagination::{Pages, first_page, prepare_first, resolve_limit};
use crate::rate_limit::{Limits, LocalRateLimiter, RateLimit, RateLimiter, RateScope};
use crate::render::{Context, Renderer};
use crate::request::{HttpRequest, build_with_files};
use crate::secret::Redactor;
use crate::store::TokenStore;
use crate::token::Token;
use crate::values;

/// Sends requests: one HTTP client (connection pool) for every connection
/// made through it. Cheap to clone; share one per process.
///
/// ```no_run
/// use patchbay_runtime::{Options, Runtime};
///
/// // Instance values come from a service's users: keep their requests
/// // off private networks.
/// let runtime = Runtime::new(Options { egress_guard: true, ..Options::default() })?;
/// # Ok::<(), patchbay_runtime::Error>(())
/// ```
#[derive(Debug, Clone)]
pub struct Runtime {
    options: Options,
    client: reqwest::Client,
    metrics: Option<Arc<dyn Metrics>>,
}

impl Runtime {
    /// A runtime with these options.
    pub fn new(options: Options) -> Result<Self> {
        Ok(Runtime {
            client: crate::http::client(&options)?,
            options,
            metrics: None,
        })
    }

    /// Reports every call, token request and rate-limit wait of the
    /// connections made through it (from now on) to `metrics`.
    pub fn with_metrics(mut self, metrics: Arc<dyn Metrics>) -> Self {
        self.metrics = Some(metrics);
        self
    }

    /// Its options.
    pub fn options(&self) -> &Options {
        &self.options
    }
}

/// A compiled connector, ready to render: compile once, connect many
/// instances. Cheap to clone.
///
/// ```no_run
/// use patchbay_runtime::Connector;
/// use patchbay_schema::SourceFile;
///
/// let spec = SourceFile::new("shopware6.toml", std::fs::read_to_string("shopware6.toml")?);
/// let connector = Connector::new(patchbay_compiler::compile_source(&spec)?.plan);
/// println!("{} methods", connector.plan().methods.len());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
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
    /// Files for a multipart body's file parts (by part name) or a file
    /// body (by its `name`).
    pub files: IndexMap<String, Upload>,
}

/// One instance of a connector: its values, its method, its token. Cheap to
/// clone; clones share the token.
///
/// ```no_run
/// # async fn example(runtime: patchbay_runtime::Runtime, connector: patchbay_runtime::Connector) -> Result<(), Box<dyn std::error::Error>> {
/// use patchbay_runtime::{Call, Connection, Instance, InstanceFile};
/// use serde_json::json;
///
/// let file = InstanceFile::read("shop.instance.toml".as_ref())?;
/// let instance = Instance::bind(connector.plan(), &file, ".".as_ref(), &|k| std::env::var(k).ok())?;
/// let connection = Connection::new(&runtime, &connector, instance)?;
///
/// let call = Call { variables: [("order_id".to_owned(), json!("4711"))].into(), ..Call::default() };
/// let response = connection.call("get_order", &call).await?;
/// println!("{}", response.json()?);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Connection {
    connector: Connector,
    instance: Instance,
    /// The instance's values, converted for templates once.
    base: Context,
    /// The client, options and rate limits, shared by the clones (so are
    /// the limits' counts).
    http: Arc<Http>,
    tokens: TokenCache,
    logins: Logins,
    /// Whether [`Connection::with_rate_limiter`] chose the limiter, which
    /// a store's own limiter then does not replace.
    limiter_chosen: bool,
}

/// How much of an error response's body an error quotes.
const ERROR_EXCERPT_CHARS: usize = 300;

/// The instance key of a connection's limits until
/// [`Connection::with_rate_limiter`] names it: its own limiter counts
/// only its requests, so the key need not be unique.
const UNNAMED: &str = "connection";

/// Requests per second of a limit, for comparing two.
fn rate((requests, per): (u32, std::time::Duration)) -> f64 {
    f64::from(requests) / per.as_secs_f64()
}

/// Placeholder for the access token in dry runs.
const TOKEN_PLACEHOLDER: &str = "<access_token>";

impl Connection {
    /// Connects an instance (bound to `connector`'s plan) through a
    /// runtime.
    pub fn new(runtime: &Runtime, connector: &Connector, instance: Instance) -> Result<Self> {
        // The lower of the connector's limit and the options'.
        let spec_limit = connector
            .plan
            .rate_limit
            .as_ref()
            .map(|r| (r.requests, period(r.per)));
        let limit = match (spec_limit, runtime.options.rate_limit) {
            (Some(a), Some(b)) => Some(if rate(a) <= rate(b) { a } else { b }),
            (a, b) => a.or(b),
        };
        let mut base = Context::default();
        for (key, value) in instance.values() {
            base.set(key.clone(), value.clone());
        }
        for key in instance.url_keys() {
            base.mark_url(key.clone());
        }
        for key in instance.absent_keys() {
            base.mark_absent(key.clone());
        }
        // An instance lowers the connector's limit only: an endpoint's is
        // the provider's limit for that endpoint, kept as written.
        let endpoint_limits = connector
            .plan
            .methods
            .get(instance.method())
            .map(|method| {
                method
                    .endpoints
                    .iter()
                    .filter_map(|(name, endpoint)| {
                        let limit = endpoint.rate_limit.as_ref()?;
                        let scope = RateScope::Endpoint(name.clone());
                        let limit =
                            RateLimit::new(UNNAMED, scope, limit.requests, period(limit.per));
                        Some((name.clone(), limit))
                    })
                    .collect()
            })
            .unwrap_or_default();
        let limits = Limits {
            limiter: Arc::new(LocalRateLimiter::new()),
            connector: limit.map(|(requests, per)| {
                RateLimit::new(UNNAMED, RateScope::Connector, requests, per)
            }),
            endpoints: Arc::new(endpoint_limits),
        };
        Ok(Connection {
            connector: connector.clone(),
            http: Arc::new(Http::new(
                runtime.client.clone(),
                runtime.options.clone(),
                limits,
                Observer {
                    connector: connector.plan.connector.id.as_str().into(),
                    method: instance.method().into(),
                    metrics: runtime.metrics.clone(),
                },
            )),
            base: base.into_base(),
            tokens: TokenCache::new(instance.redactor()),
            instance,
            logins: Logins::default(),
            limiter_chosen: false,
        })
    }

    /// Keeps this connection's tokens in `store` under `key` (its identity,
    /// e.g. `connector/method/instance`), so that they survive the process
    /// and refreshes are serialised across processes. A store that
    /// [shares client tokens](TokenStore::shares_client_tokens) keeps a
    /// requested token too, one for every process; a store with a
    /// [rate limiter](TokenStore::rate_limiter) of its own (a Redis
    /// store's) counts the connection's requests with it, under `key`,
    /// unless [`Connection::with_rate_limiter`] chose another.
    pub fn with_store(mut self, store: Arc<dyn TokenStore>, key: impl Into<String>) -> Self {
        let key = key.into();
        if let Some(limiter) = store.rate_limiter().filter(|_| !self.limiter_chosen) {
            let limits = self.http.limits().counted_by(limiter, &key);
            self.http = Arc::new(self.http.with_limits(limits));
        }
        self.tokens.set_store(store, key);
        self
    }

    /// Counts this connection's requests against its rate limits with
    /// `limiter`, under the key `instance` (its identity, the same in
    /// every process that calls it, e.g. `connector/instance`): the
    /// connector's limit as `INSTANCE:connector`, each endpoint's own as
    /// `INSTANCE:endpoint:NAME`. Connections given the same limiter and
    /// key share their limits: with a shared limiter such as
    /// `patchbay_redis::RedisRateLimiter`, across processes.
    ///
    /// Without it a connection counts its requests (its clones' included)
    /// with its own [`LocalRateLimiter`]. Set it before cloning the
    /// connection: clones made earlier keep the limiter they had.
    pub fn with_rate_limiter(mut self, limiter: Arc<dyn RateLimiter>, instance: &str) -> Self {
        let limits = self.http.limits().counted_by(limiter, instance);
        self.http = Arc::new(self.http.with_limits(limits));
        self.limiter_chosen = true;
        self
    }

    /// The options of the runtime it was made by.
    pub(crate) fn options(&self) -> &Options {
        self.http.options()
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

    fn auth(&self) -> Result<Auth<'_>> {
        Ok(Auth::new(
            self.instance.method(),
            self.method()?,
            &self.connector.renderer,
            &self.base,
            &self.http,
        ))
    }

    /// Whether the method logs in (authorization code) and keeps tokens.
    pub fn has_login(&self) -> bool {
        self.token_source() == Some(TokenSource::Login)
    }

    /// Whether this connection's method obtains tokens by a request.
    pub fn uses_tokens(&self) -> bool {
        self.method().is_ok_and(|m| m.token_response.is_some())
    }

    /// Whether this connection's method discovers values after each new
    /// login or token (`discover`).
    pub fn discovers(&self) -> bool {
        self.method().is_ok_and(|m| m.discovery.is_some())
    }

    fn token_source(&self) -> Option<TokenSource> {
        self.auth().ok().and_then(|auth| auth.token_source())
    }

    /// A redactor that knows this connection's secrets, tokens included:
    /// pass every text shown to a user through it.
    pub fn redactor(&self) -> Arc<Redactor> {
        self.tokens.redactor()
    }

    /// Starts an authorization-code login: the URL to send the user to, and
    /// the [`PendingLogin`] to keep until the callback. Each attempt has a
    /// fresh 128-bit `state` and, unless the method opts out, a fresh PKCE
    /// verifier.
    pub fn start_login(&self, redirect_uri: &str) -> Result<(url::Url, PendingLogin)> {
        self.logins.start(&self.auth()?, redirect_uri)
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
        self.logins
            .complete(&self.auth()?, &self.tokens, pending, callback_query)
            .await
    }

    /// Whether the method can also log in on another device (RFC 8628):
    /// its spec sets a `device_authorization_url`.
    pub fn has_device_login(&self) -> bool {
        self.method()
            .is_ok_and(|m| m.requests.device_authorization.is_some())
    }

    /// Starts a device login (RFC 8628) for a program without a browser:
    /// sends the device authorization request and returns what the user
    /// must see, the verification URI and the user code. Then call
    /// [`Connection::complete_device_login`].
    pub async fn start_device_login(&self) -> Result<DeviceLogin> {
        start_device_login(&self.auth()?, &self.tokens).await
    }

    /// Polls the token endpoint until the user approves the device login,
    /// at the server's interval (5 s by default, 5 s more after each
    /// `slow_down`, at most [`DEVICE_POLL_INTERVAL_LIMIT`]); the tokens are
    /// then stored and refreshed like those of [`Connection::complete_login`].
    /// A denial (`access_denied`) or an expired device code (`expired_token`,
    /// or its `expires_in` passed) is an [`Error::DeviceLogin`].
    ///
    /// [`DEVICE_POLL_INTERVAL_LIMIT`]: crate::DEVICE_POLL_INTERVAL_LIMIT
    pub async fn complete_device_login(&self, login: &DeviceLogin) -> Result<Token> {
        complete_device_login(&self.auth()?, &self.tokens, login).await
    }

    /// The tokens stored for this connection, if any (for `auth status`).
    /// A connection with no token in memory yet takes them as its own,
    /// so that its dry runs show the values captured at login.
    pub async fn stored_token(&self) -> Result<Option<Token>> {
        self.tokens.stored().await
    }

    /// Revokes the refresh token (or the access token) at `revoke_url`
    /// when the method has one (RFC 7009), then forgets the tokens.
    pub async fn logout(&self) -> Result<Logout> {
        self.tokens.revoke(&self.auth()?).await
    }

    /// The current token, acquired if there is none or it is about to
    /// expire. Concurrent callers share one token request.
    pub async fn token(&self) -> Result<Token> {
        self.tokens.current(&self.auth()?, None).await
    }

    fn endpoint(&self, name: &str) -> Result<&EndpointPlan> {
        let auth = self.auth()?;
        auth.plan.endpoints.get(name).ok_or_else(|| {
            let known: Vec<&str> = auth.plan.endpoints.keys().map(String::as_str).collect();
            Error::NotFound(format!(
                "{} has no endpoint `{name}`; it has: {}",
                auth.describe(),
                known.join(", ")
            ))
        })
    }

    fn endpoint_context(
        &self,
        endpoint: &EndpointPlan,
        call: &Call,
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
        let mut context = self.base.clone();
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
                // As for an instance's optional value: empty in a template,
                // and an entry that is exactly this value is left out.
                None => {
                    context.set(input.key.clone(), Value::String(String::new()));
                    context.mark_absent(input.key.clone());
                }
            }
        }
        if let Some(payload) = &call.payload {
            context.set("payload", payload.clone());
        }
        if placeholder {
            context.set("access_token", Value::String(TOKEN_PLACEHOLDER.to_owned()));
        }
        Ok(context)
    }

    fn render_endpoint(
        &self,
        name: &str,
        request: &RequestPlan,
        context: &Context,
        files: &IndexMap<String, Upload>,
    ) -> Result<HttpRequest> {
        build_with_files(
            &format!("endpoint `{name}`"),
            request,
            &self.connector.renderer,
            context,
            files,
        )
    }

    /// Refuses files no part of the endpoint takes, and more bytes than
    /// [`Options::max_upload_bytes`] in all.
    fn check_files(&self, name: &str, endpoint: &EndpointPlan, call: &Call) -> Result<()> {
        let takes = |key: &str| match &endpoint.request.body {
            Some(BodyPlan::Multipart { parts }) => parts
                .iter()
                .any(|p| matches!(p, PartPlan::File { name, .. } if name == key)),
            Some(BodyPlan::File { name, .. }) => name == key,
            _ => false,
        };
        for key in call.files.keys() {
            if !takes(key) {
                return Err(Error::EndpointVariable {
                    key: key.clone(),
                    message: format!("endpoint `{name}` has no file part of this name"),
                });
            }
        }
        let total: u64 = call.files.values().map(|f| f.bytes.len() as u64).sum();
        let limit = self.options().max_upload_bytes;
        if total > limit {
            return Err(Error::Render {
                what: format!("endpoint `{name}`: files"),
                message: format!(
                    "{total} bytes exceed the {limit} bytes a request uploads at most (`Options::max_upload_bytes`)"
                ),
            });
        }
        Ok(())
    }

    /// The requests a call would send, without sending anything: the token
    /// request (for token methods) and the endpoint request, with the
    /// access token as a placeholder. Values captured at login come from
    /// the token in memory (after a call, or [`Connection::stored_token`]).
    /// Render them with [`HttpRequest::to_curl`] and
    /// [`Connection::redactor`].
    ///
    /// ```no_run
    /// # fn example(connection: patchbay_runtime::Connection) -> patchbay_runtime::Result<()> {
    /// use patchbay_runtime::Call;
    ///
    /// let redactor = connection.redactor();
    /// for request in connection.dry_run("list_orders", &Call::default())? {
    ///     println!("# {}\n{}", request.label, request.to_curl(&redactor));
    /// }
    /// # Ok(()) }
    /// ```
    pub fn dry_run(&self, endpoint: &str, call: &Call) -> Result<Vec<HttpRequest>> {
        self.dry_run_from(endpoint, call, None)
    }

    /// [`Connection::dry_run`] of an incremental read from `since`: the
    /// endpoint request as the first page of
    /// [`Connection::pages_from`] would send it (its `resume` request when
    /// `since` is given and the endpoint has one).
    pub fn dry_run_from(
        &self,
        endpoint: &str,
        call: &Call,
        since: Option<&Checkpoint>,
    ) -> Result<Vec<HttpRequest>> {
        let mut requests = Vec::new();
        // An authorization-code token comes from a login, not a request.
        if self.uses_tokens() && !self.has_login() {
            let auth = self.auth()?;
            requests.push(auth.request(AuthPart::Token, &[])?);
            // Each new token of such a method is followed by its discovery
            // (shown with the placeholder token).
            if let Some((plan, _)) = auth.discovery() {
                let placeholder = Token {
                    access_token: crate::secret::Secret::new(TOKEN_PLACEHOLDER),
                    token_type: None,
                    expires_at: None,
                    lifetime: None,
                    refresh_token: None,
                    scope: None,
                    captures: IndexMap::new(),
                    discovered: IndexMap::new(),
                    candidates: Vec::new(),
                };
                // A discovery that uses a token-response capture cannot be
                // shown before the token exists; the call still makes it.
                if let Ok((request, _)) = auth.discovery_request(plan, &placeholder) {
                    requests.push(request);
                }
            }
        }
        // After a login, values captured from the callback (QuickBooks'
        // realmId) are known; the token itself stays a placeholder.
        let stored = self.tokens.known();
        let plan = self.endpoint(endpoint)?;
        let mut context = self.endpoint_context(plan, call, true)?;
        if let Some(token) = &stored {
            add_captures(&mut context, token);
        }
        // Values not discovered yet (no login, or a method whose token is
        // requested on each run) show as placeholders that fit wherever a
        // discovered value may stand: one host label, a path segment.
        if let Some(discovery) = &self.method()?.discovery {
            for name in discovery.capture.keys() {
                if context.get(name).is_none() {
                    let placeholder = format!("discovered-{}", name.replace('_', "-"));
                    context.set(name.clone(), Value::String(placeholder));
                }
            }
        }
        self.set_checkpoint(endpoint, plan, since, &mut context)?;
        values::add_placeholders(&mut context);
        // Exactly what the first page sends.
        let limit = resolve_limit(endpoint, &plan.pagination, || Ok(context.clone()))?;
        let first = first_page(plan, limit, since.is_some());
        first.add_to(&mut context);
        self.check_files(endpoint, plan, call)?;
        let mut request = self.render_endpoint(endpoint, first.request, &context, &call.files)?;
        prepare_first(&plan.pagination, limit, &mut request);
        requests.push(request);
        Ok(requests)
    }

    /// Calls an endpoint once (the first page). A 401 drops the token and
    /// retries once with a new one. A non-2xx answer is an error; the body
    /// of a success is returned unchanged.
    pub async fn call(&self, endpoint: &str, call: &Call) -> Result<Response> {
        let plan = self.endpoint(endpoint)?;
        let limit = resolve_limit(endpoint, &plan.pagination, || {
            self.endpoint_context(plan, call, false)
        })?;
        // The caller may keep the response: no parsed copy beside the body.
        self.call_with(
            endpoint,
            call,
            first_page(plan, limit, false),
            None,
            |request| request,
        )
        .await
        .map(Response::without_parsed)
    }
    /// Sets `checkpoint` for an incremental endpoint: `since`'s value,
    /// else the plan's `initial`, else nothing (entries whose whole value
    /// it is are then left out).
    fn set_checkpoint(
        &self,
        name: &str,
        plan: &EndpointPlan,
        since: Option<&Checkpoint>,
        context: &mut Context,
    ) -> Result<()> {
        checkpoint::check_fits(name, plan.incremental.as_ref(), since)?;
        let Some(incremental) = &plan.incremental else {
            return Ok(());
        };
        let value =
            checkpoint::current(name, incremental, since, &self.connector.renderer, context)?;
        if let Some(value) = value {
            context.set("checkpoint", value);
        }
        Ok(())
    }

    /// Calls an endpoint with the request and `page` value of one page, its
    /// request changed by `adjust` (the position of a page) each time it is
    /// sent; an incremental endpoint's templates see `since` (or its
    /// `initial`) as `checkpoint`. Traced and measured as one call.
    pub(crate) async fn call_with(
        &self,
        endpoint: &str,
        call: &Call,
        page: PageRender<'_>,
        since: Option<&Checkpoint>,
        adjust: impl Fn(HttpRequest) -> HttpRequest,
    ) -> Result<Response> {
        let sending = self.send_call(endpoint, call, page, since, adjust);
        self.http
            .observer()
            .call(endpoint, |response: &Response| response.status, sending)
            .await
    }

    /// [`Connection::call_with`], untraced.
    async fn send_call(
        &self,
        endpoint: &str,
        call: &Call,
        page: PageRender<'_>,
        since: Option<&Checkpoint>,
        adjust: impl Fn(HttpRequest) -> HttpRequest,
    ) -> Result<Response> {
        // The call's variables are checked before any token is fetched.
        let plan = self.endpoint(endpoint)?;
        let mut context = self.endpoint_context(plan, call, false)?;
        self.check_files(endpoint, plan, call)?;
        self.set_checkpoint(endpoint, plan, since, &mut context)?;
        page.add_to(&mut context);
        // Once per request: its retries, and its renewal after a 401, keep
        // the same key and time.
        let uses_key = page.request.variables.iter().any(|v| v == "request");
        values::add_fresh(&mut context, uses_key).map_err(|message| Error::Render {
            what: format!("endpoint `{endpoint}`"),
            message,
        })?;
        let with_token = |token: Option<&Token>| -> Result<HttpRequest> {
            let mut context = context.clone();
            if let Some(token) = token {
                add_token(&mut context, token);
            }
            Ok(adjust(self.render_endpoint(
                endpoint,
                page.request,
                &context,
                &call.files,
            )?))
        };
        let token = if self.uses_tokens() {
            Some(self.token().await?)
        } else {
            None
        };
        let request = with_token(token.as_ref())?;
        let reading = &plan.response;
        let own_limit = self.http.limits().endpoints.get(endpoint);
        let response = self.send_checked(&request, reading, own_limit).await;
        match (response, token) {
            (Err(refusal), Some(refused)) if refuses_token(&refusal) => {
                tracing::debug!(endpoint, "token refused: renewing it once");
                let fresh = self
                    .tokens
                    .current(&self.auth()?, Some(&refused.access_token))
                    .await?;
                self.send_checked(&with_token(Some(&fresh))?, reading, own_limit)
                    .await
            }
            (response, _) => response,
        }
    }

    /// Sends an endpoint request, its response read up to the plan's
    /// `max_bytes` or the runtime's ceiling, whichever is lower. A 2xx
    /// answer whose body declares a failure (the plan's `errors`) is
    /// retried when its code is one of `retry`, else an [`Error::Api`].
    async fn send_checked(
        &self,
        request: &HttpRequest,
        reading: &ResponsePlan,
        own_limit: Option<&RateLimit>,
    ) -> Result<Response> {
        let redactor = self.redactor();
        let limit = self.http.endpoint_limit(reading.max_bytes.value);
        let declared = reading.errors.as_ref().map(|errors| &errors.value);
        // The failure of the last 2xx answer read, kept so that its body
        // is parsed once.
        let last_failure: Mutex<Option<ApiFailure>> = Mutex::new(None);
        let retry_declared = |response: &Response| -> Option<String> {
            let failure = declared.and_then(|plan| declared_failure(plan, response));
            let retry = failure
                .as_ref()
                .filter(|failure| failure.class == FailureClass::Retry)
                .and_then(|failure| failure.code.clone());
            *last_failure.lock().unwrap_or_else(PoisonError::into_inner) = failure;
            retry
        };
        let response = self
            .http
            .send_limited(
                request,
                Carries::EndpointData,
                limit,
                declared.map(|_| &retry_declared as &RetryHook<'_>),
                own_limit,
                &redactor,
            )
            .await?;
        if response.is_success() {
            let failure = last_failure
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .take();
            return match failure {
                None => Ok(response),
                Some(failure) => Err(Error::Api {
                    request: request.label.clone(),
                    code: failure.code.map(|code| redactor.redact(&code)),
                    message: redactor.excerpt(
                        &crate::oauth1::mask_signatures(failure.message.trim()),
                        ERROR_EXCERPT_CHARS,
                    ),
                    token_invalid: failure.class == FailureClass::Reauth,
                }),
            };
        }
        let body = String::from_utf8_lossy(&response.body);
        let excerpt = redactor.excerpt(
            &crate::oauth1::mask_signatures(body.trim()),
            ERROR_EXCERPT_CHARS,
        );
        Err(Error::Status {
            request: request.label.clone(),
            status: response.status,
            body: (!excerpt.is_empty()).then_some(excerpt),
        })
    }

    /// Pages of an endpoint's records, as its pagination says. For an
    /// incremental endpoint this is a first read: see
    /// [`Connection::pages_from`].
    pub fn pages<'c>(&'c self, endpoint: &str, call: Call) -> Result<Pages<'c>> {
        self.pages_from(endpoint, call, None)
    }

    /// Pages of an incremental endpoint's records from `since`, the
    /// checkpoint of an earlier run (`None`: the first run, from the
    /// endpoint's `initial` if it has one). Once the run has read every
    /// page, [`Pages::checkpoint`] is the checkpoint to pass next time.
    ///
    /// Records are delivered before the checkpoint exists: a caller that
    /// stores the checkpoint only after handling every page reads each
    /// record at least once, and again after a failed run.
    ///
    /// A checkpoint made by another version of the spec, or passed to an
    /// endpoint without `incremental`, is an [`Error::Checkpoint`].
    ///
    /// ```no_run
    /// # async fn example(
    /// #     connection: patchbay_runtime::Connection,
    /// #     load: impl Fn() -> Option<patchbay_runtime::Checkpoint>,
    /// #     save: impl Fn(&patchbay_runtime::Checkpoint),
    /// #     handle: impl Fn(&serde_json::Value),
    /// # ) -> patchbay_runtime::Result<()> {
    /// use patchbay_runtime::Call;
    ///
    /// // `load` and `save` keep the checkpoint wherever the service keeps state.
    /// let mut pages = connection.pages_from("export_tickets", Call::default(), load())?;
    /// while let Some(page) = pages.next().await {
    ///     for ticket in &page?.records {
    ///         handle(ticket); // idempotent: a failed run's records come again
    ///     }
    /// }
    /// // Every page was read: the next run starts here.
    /// if let Some(checkpoint) = pages.checkpoint() {
    ///     save(checkpoint);
    /// }
    /// # Ok(()) }
    /// ```
    pub fn pages_from<'c>(
        &'c self,
        endpoint: &str,
        call: Call,
        since: Option<Checkpoint>,
    ) -> Result<Pages<'c>> {
        let plan = self.endpoint(endpoint)?;
        checkpoint::check_fits(endpoint, plan.incremental.as_ref(), since.as_ref())?;
        // The page size is fixed for the run, checked before any request.
        let limit = resolve_limit(endpoint, &plan.pagination, || {
            self.endpoint_context(plan, &call, false)
        })?;
        Ok(Pages::new(self, endpoint, call, plan, limit, since))
    }
}

/// What one page of an endpoint renders: the request it sends (the
/// endpoint's, or its pagination's `next`) and the `page` value its
/// templates see.
#[derive(Debug)]
pub(crate) struct PageRender<'p> {
    /// The request sent.
    pub(crate) request: &'p RequestPlan,
    /// `page` (`None`: the endpoint does not paginate).
    pub(crate) page: Option<Value>,
}

impl PageRender<'_> {
    /// Adds the page's values to a request's context.
    fn add_to(&self, context: &mut Context) {
        if let Some(page) = &self.page {
            context.set("page", page.clone());
        }
    }
}

/// Whether an error says the token was refused: an HTTP 401, or an error
/// code the connector lists under `reauth`.
fn refuses_token(error: &Error) -> bool {
    matches!(
        error,
        Error::Status { status: 401, .. }
            | Error::Api {
                token_invalid: true,
                ..
            }
    )
}

/// The failure a 2xx answer declares; a body that is not JSON declares none.
fn declared_failure(plan: &ErrorsPlan, response: &Response) -> Option<ApiFailure> {
    classify(plan, response.parsed_json()?)
}

/// The token and its captured and discovered values as runtime values.
fn add_token(context: &mut Context, token: &Token) {
    context.set(
        "access_token",
        Value::String(token.access_token.expose().to_owned()),
    );
    add_captures(context, token);
}

/// A token's captured and discovered values as runtime values. A captured
/// value may start a URL (Salesforce's `instance_url`, from the token
/// endpoint); a discovered one never does: it comes from an API's answer,
/// which must not choose the host the token is sent to (it may still be
/// one host label, Mailchimp's `dc`, which the renderer checks).
fn add_captures(context: &mut Context, token: &Token) {
    for (name, value) in &token.captures {
        context.set(name.clone(), value.clone());
        context.mark_url(name.clone());
    }
    for (name, value) in &token.discovered {
        context.set(name.clone(), value.clone());
    }
}
