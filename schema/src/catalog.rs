//! What each auth type brings by default: its variables, the requests it
//! makes and where each is sent, the runtime values each request sees, and
//! the default entries of each request (the design's auth table, as data).
//!
//! Lint rules read this to know what is in scope and what `false` can
//! remove; the compiler reads it to make every default explicit in a plan.

use indexmap::IndexMap;

use crate::model::{
    ApiKeyLocation, AssertionRole, AuthMethod, AuthType, AuthorizationCodeAuth, Body, ClientAuth,
    ClientCredentialsAuth, ClientType, Entry, JwtAlgorithm, JwtBearerAuth, Pkce, RequestParts,
    SignatureMethod, VariableType,
};

/// A variable an auth type declares by default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DefaultVariable {
    /// Its key (fixed: an override may change its label, default and
    /// visibility, never its key).
    pub name: &'static str,
    /// Display name.
    pub label: &'static str,
    /// Value type.
    pub kind: VariableType,
    /// Whether an instance must supply it.
    pub required: bool,
}

const fn variable(
    name: &'static str,
    label: &'static str,
    kind: VariableType,
    required: bool,
) -> DefaultVariable {
    DefaultVariable {
        name,
        label,
        kind,
        required,
    }
}

const CLIENT_ID: DefaultVariable = variable("client_id", "Client ID", VariableType::String, true);
const CLIENT_SECRET: DefaultVariable =
    variable("client_secret", "Client secret", VariableType::Secret, true);
const SCOPE: DefaultVariable = variable("scope", "Scope", VariableType::String, false);
const PRIVATE_KEY: DefaultVariable =
    variable("private_key", "Private key", VariableType::Secret, true);
const ISSUER: DefaultVariable = variable("issuer", "Issuer", VariableType::String, true);
const SUBJECT: DefaultVariable = variable("subject", "Subject", VariableType::String, false);

/// The client's own variables: its id and the secret it authenticates with
/// (a private key when it signs its assertions with one).
fn client_variables(client_auth: Option<ClientAuth>) -> Vec<DefaultVariable> {
    match client_auth {
        Some(ClientAuth::PrivateKeyJwt) => vec![CLIENT_ID, PRIVATE_KEY],
        _ => vec![CLIENT_ID, CLIENT_SECRET],
    }
}

/// The credentials of an `oauth1` method. The consumer key identifies
/// the client, as an OAuth 2 `client_id` does; the token is a credential
/// of the user's, so it is a secret like its secret.
pub const OAUTH1_VARIABLES: [DefaultVariable; 4] = [
    variable("consumer_key", "Consumer key", VariableType::String, true),
    variable(
        "consumer_secret",
        "Consumer secret",
        VariableType::Secret,
        true,
    ),
    variable("token", "Token", VariableType::Secret, true),
    variable("token_secret", "Token secret", VariableType::Secret, true),
];

/// The variables a method's type declares by default.
pub fn default_variables(method: &AuthMethod) -> Vec<DefaultVariable> {
    let client_auth = method.oauth().and_then(|o| o.client_auth);
    let with_scope = |mut variables: Vec<DefaultVariable>| {
        variables.push(SCOPE);
        variables
    };
    match method {
        AuthMethod::None(_) | AuthMethod::TokenRequest(_) => vec![],
        AuthMethod::Basic(_) => vec![
            variable("username", "Username", VariableType::String, true),
            variable("password", "Password", VariableType::Secret, true),
        ],
        AuthMethod::ApiKey(_) => vec![variable("api_key", "API key", VariableType::Secret, true)],
        AuthMethod::Bearer(_) => vec![variable("token", "Token", VariableType::Secret, true)],
        AuthMethod::OAuth1(_) => OAUTH1_VARIABLES.to_vec(),
        AuthMethod::OAuth2ClientCredentials(_) => with_scope(client_variables(client_auth)),
        AuthMethod::OAuth2AuthorizationCode(m) => match m.effective_client_type() {
            ClientType::Confidential => with_scope(client_variables(client_auth)),
            ClientType::Public => vec![CLIENT_ID, SCOPE],
        },
        // The grant needs no client; a `client_auth` adds one.
        AuthMethod::OAuth2JwtBearer(_) => {
            let mut variables = vec![ISSUER, SUBJECT, PRIVATE_KEY, SCOPE];
            if client_auth.is_some() {
                for client in client_variables(client_auth) {
                    if !variables.contains(&client) {
                        variables.push(client);
                    }
                }
            }
            variables
        }
    }
}

/// A request an auth method makes, or (`Apply`) the entries it adds to
/// endpoint requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AuthPart {
    /// The browser redirect to `authorize_url`.
    Authorize,
    /// The token (or login) request.
    Token,
    /// The device authorization request (RFC 8628 §3.1), which starts a
    /// login on another device.
    DeviceAuthorization,
    /// The device token request (RFC 8628 §3.4), polled until the user
    /// approves.
    DeviceToken,
    /// The refresh-token request.
    Refresh,
    /// The request run after a new token, whose answer fills discovered
    /// values (`discover`).
    Discover,
    /// The revocation request (RFC 7009).
    Revoke,
    /// What authentication adds to each endpoint request.
    Apply,
}

impl AuthPart {
    /// The spec table that overrides this part's defaults.
    pub fn table(self) -> &'static str {
        match self {
            AuthPart::Authorize => "authorize_request",
            AuthPart::Token => "token_request",
            AuthPart::DeviceAuthorization => "device_authorization_request",
            AuthPart::DeviceToken => "device_token_request",
            AuthPart::Refresh => "refresh_request",
            AuthPart::Discover => "discover",
            AuthPart::Revoke => "revoke_request",
            AuthPart::Apply => "apply",
        }
    }

    /// A short description for messages.
    pub fn describe(self) -> &'static str {
        match self {
            AuthPart::Authorize => "authorize request",
            AuthPart::Token => "token request",
            AuthPart::DeviceAuthorization => "device authorization request",
            AuthPart::DeviceToken => "device token request",
            AuthPart::Refresh => "refresh request",
            AuthPart::Discover => "discovery request",
            AuthPart::Revoke => "revocation request",
            AuthPart::Apply => "credential applied to endpoint requests",
        }
    }
}

/// The parts a method has, in the order they happen.
pub fn parts(method: &AuthMethod) -> Vec<AuthPart> {
    match method {
        AuthMethod::None(_) => vec![],
        AuthMethod::Basic(_)
        | AuthMethod::ApiKey(_)
        | AuthMethod::Bearer(_)
        | AuthMethod::OAuth1(_) => {
            vec![AuthPart::Apply]
        }
        AuthMethod::OAuth2ClientCredentials(ClientCredentialsAuth { oauth, .. })
        | AuthMethod::OAuth2AuthorizationCode(AuthorizationCodeAuth { oauth, .. })
        | AuthMethod::OAuth2JwtBearer(JwtBearerAuth { oauth, .. }) => {
            let mut parts = match method {
                AuthMethod::OAuth2AuthorizationCode(m) => {
                    let mut parts = vec![AuthPart::Authorize, AuthPart::Token];
                    if m.device_authorization_url.is_some() {
                        parts.extend([AuthPart::DeviceAuthorization, AuthPart::DeviceToken]);
                    }
                    parts.push(AuthPart::Refresh);
                    parts
                }
                _ => vec![AuthPart::Token],
            };
            if oauth.discover.is_some() {
                parts.push(AuthPart::Discover);
            }
            if oauth.revokes() {
                parts.push(AuthPart::Revoke);
            }
            parts.push(AuthPart::Apply);
            parts
        }
        AuthMethod::TokenRequest(m) => {
            let mut parts = vec![AuthPart::Token];
            if m.discover.is_some() {
                parts.push(AuthPart::Discover);
            }
            parts.push(AuthPart::Apply);
            parts
        }
    }
}

/// The runtime values a part of a method sees, besides variables. Captured
/// fields (`token_response.capture`, `authorize_response.capture`) are added
/// to `Apply` by the scope, since they are named by the spec.
pub fn runtime_values(auth_type: AuthType, part: AuthPart) -> &'static [&'static str] {
    match (auth_type, part) {
        (AuthType::OAuth2AuthorizationCode, AuthPart::Authorize) => {
            &["redirect_uri", "state", "code_challenge"]
        }
        (AuthType::OAuth2AuthorizationCode, AuthPart::Token) => {
            &["code", "redirect_uri", "code_verifier"]
        }
        (AuthType::OAuth2AuthorizationCode, AuthPart::DeviceToken) => &["device_code"],
        (AuthType::OAuth2AuthorizationCode, AuthPart::Refresh) => &["refresh_token"],
        (_, AuthPart::Revoke) => &["token", "token_type_hint", "access_token", "refresh_token"],
        (t, AuthPart::Apply | AuthPart::Discover) if t.acquires_token() => &["access_token"],
        _ => &[],
    }
}

/// Runtime values of endpoint requests for every method: the caller's
/// `payload`, the time the request is made (`now`, see [`NOW_FIELDS`]) and
/// the request's own values (`request`, see [`REQUEST_FIELDS`]).
pub const ENDPOINT_RUNTIME_VALUES: &[&str] = &["payload", "now", "request"];

/// The fields of `now`, the time a request is rendered, each in a format
/// APIs ask for: `rfc3339` (`2026-01-02T03:04:05Z`, UTC, whole seconds),
/// `rfc3339_ms` (with milliseconds), `unix` (seconds), `unix_ms`
/// (milliseconds) and `http_date` (RFC 9110's IMF-fixdate, as in
/// `Date`).
pub const NOW_FIELDS: &[&str] = &["rfc3339", "rfc3339_ms", "unix", "unix_ms", "http_date"];

/// The fields of `request`: `idempotency_key`, a random UUID (version 4)
/// new for each request sent and the same for that request's retries.
/// A POST or PATCH whose templates use it is retried like any other
/// request (see the runtime's retry policy).
pub const REQUEST_FIELDS: &[&str] = &["idempotency_key"];

/// The runtime values that are objects with a fixed set of fields, and
/// those fields: lint reports any other field (PB712).
pub const RUNTIME_OBJECTS: &[(&str, &[&str])] = &[("now", NOW_FIELDS), ("request", REQUEST_FIELDS)];

/// The template filters patchbay adds to MiniJinja's built-in ones. Each
/// is pure (its output depends on its arguments only):
///
/// - `md5`, `sha256`: the lowercase hex digest of the value's UTF-8 text;
/// - `hmac_sha256(key)`, `hmac_sha256(key, "base64")`: HMAC-SHA-256 of
///   the value with `key`, lowercase hex or standard base64;
/// - `base64`: standard base64 with padding (RFC 4648 §4); `base64url`:
///   the URL-safe alphabet without padding (§5, as in JWTs);
/// - `json_ascii`: the value as compact JSON with every character outside
///   printable ASCII escaped as `\uXXXX`, for JSON carried in a header
///   (Dropbox-API-Arg).
///
/// Their output is still encoded for where it lands, like any value.
pub const PATCHBAY_FILTERS: &[&str] = &[
    "md5",
    "sha256",
    "hmac_sha256",
    "base64",
    "base64url",
    "json_ascii",
];

/// Filters whose output gives their input away: an encoding anyone can
/// reverse, or a digest without a key that a guess can be checked against.
/// A secret passed through one would be written where redaction cannot
/// see it (PB711); `hmac_sha256`'s key may be a secret.
pub const REVEALING_FILTERS: &[&str] = &["md5", "sha256", "base64", "base64url", "json_ascii"];

/// Runtime values of the requests of an endpoint with `incremental`.
pub const INCREMENTAL_RUNTIME_VALUES: &[&str] = &["checkpoint"];
/// Runtime values of the requests of an endpoint that paginates: `page`
/// holds the position of the page being fetched.
pub const PAGINATED_ENDPOINT_RUNTIME_VALUES: &[&str] = &["payload", "page", "now", "request"];

/// Runtime values that some requests lack (`page.cursor` on the first
/// page, `checkpoint` on an incremental endpoint's first run without
/// `initial`). A query, header or form entry, or a JSON object member, whose
/// whole template is exactly `{{ value }}` is left out of a request that
/// lacks the value; anywhere else lint refuses them (PB604, PB612), so a render
/// never meets one missing.
pub const OPTIONAL_RUNTIME_VALUES: &[&str] = &["page.cursor", "checkpoint"];

/// Runtime values that are credentials: never logged, never in a URL query.
pub const SECRET_RUNTIME_VALUES: &[&str] = &[
    "access_token",
    "refresh_token",
    "code",
    "code_verifier",
    "token",
    "device_code",
];

/// Where an entry goes in a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EntryPlace {
    /// A query parameter.
    Query,
    /// A header (names compare case-insensitively).
    Header,
    /// A body field.
    Body,
}

impl EntryPlace {
    /// The spec key of this place in a request table.
    pub fn table(self) -> &'static str {
        match self {
            EntryPlace::Query => "query",
            EntryPlace::Header => "headers",
            EntryPlace::Body => "body",
        }
    }

    /// Whether two entry names are the same name in this place.
    pub fn same_name(self, a: &str, b: &str) -> bool {
        match self {
            EntryPlace::Header => a.eq_ignore_ascii_case(b),
            EntryPlace::Query | EntryPlace::Body => a == b,
        }
    }
}

/// The value of a default entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefaultValue {
    /// A fixed text.
    Literal(&'static str),
    /// A template over the part's scope.
    Template(String),
    /// `Basic base64(id:secret)` of the OAuth client (RFC 6749 §2.3.1),
    /// computed by the runtime.
    ClientBasicAuth,
    /// `Basic base64(username:password)` of a `basic` method, each side a
    /// template (default `{{ username }}` and `{{ password }}`).
    UserBasicAuth {
        /// Template of the user name.
        username: String,
        /// Template of the password.
        password: String,
    },
    /// `OAuth realm="…", oauth_consumer_key="…", …, oauth_signature="…"`
    /// of an `oauth1` method (RFC 5849 §3.5.1), signed by the runtime over
    /// each request as it is sent, from [`OAUTH1_VARIABLES`].
    OAuth1Signature {
        /// How the request is signed.
        signature_method: SignatureMethod,
        /// Template of the realm, if one is sent.
        realm: Option<String>,
    },
    /// A JWT the runtime signs for each request (RFC 7523).
    Assertion(AssertionDefaults),
}

/// How a signed assertion is made, the author's settings merged into the
/// defaults of its role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssertionDefaults {
    /// What it is for.
    pub role: AssertionRole,
    /// Its algorithm, and whether the spec wrote it.
    pub algorithm: (JwtAlgorithm, bool),
    /// The variable holding the key: `private_key` (a PEM or a Google
    /// service-account key file) or, for HS256, `client_secret`.
    pub key: &'static str,
    /// Seconds from `iat` to `exp`, and whether the spec wrote it.
    pub lifetime: (u64, bool),
    /// Template of the `kid` header, if the spec wrote one.
    pub key_id: Option<String>,
    /// The claims besides `iat`, `exp` and `jti`, in the order sent.
    pub claims: Vec<DefaultClaim>,
}

/// A claim of an assertion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultClaim {
    /// Its name.
    pub name: String,
    /// Template of its value (a string).
    pub template: String,
    /// Left out when it renders empty (`sub` of the grant, `scope`).
    pub omit_if_empty: bool,
    /// Whether the spec wrote it.
    pub written: bool,
}

/// Claims the runtime sets on every assertion: the time it is issued, the
/// time it expires and a fresh identifier (RFC 7519 §4.1.4–4.1.7).
pub const RUNTIME_CLAIMS: &[&str] = &["iat", "exp", "jti"];

/// The default lifetime of an assertion, in seconds: the shortest any
/// provider in the fixtures requires (Box, at most 60), ample for a token
/// request made right away.
pub const DEFAULT_ASSERTION_LIFETIME: u64 = 60;

/// The `client_assertion_type` of RFC 7523 §2.2.
pub const CLIENT_ASSERTION_TYPE: &str = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/// The `grant_type` of RFC 7523 §2.1.
pub const JWT_BEARER_GRANT_TYPE: &str = "urn:ietf:params:oauth:grant-type:jwt-bearer";

/// An assertion's settings and claims: the role's defaults, with the
/// spec's `assertion` or `client_assertion` table merged in (a claim of a
/// default's name replaces it; `false` removes it).
pub fn assertion(method: &AuthMethod, role: AssertionRole) -> Option<AssertionDefaults> {
    let oauth = method.oauth()?;
    let written = method
        .assertions()
        .into_iter()
        .find(|(r, _)| *r == role)?
        .1
        .cloned()
        .unwrap_or_default();
    let hmac =
        role == AssertionRole::Client && oauth.client_auth == Some(ClientAuth::ClientSecretJwt);
    let default_algorithm = if hmac {
        JwtAlgorithm::HS256
    } else {
        JwtAlgorithm::RS256
    };
    let claim = |name: &str, template: String, omit_if_empty: bool| DefaultClaim {
        name: name.to_owned(),
        template,
        omit_if_empty,
        written: false,
    };
    // RFC 7523 §3: the audience is the authorization server; the token
    // endpoint's URL identifies it, as OpenID Connect Core §9 asks.
    let audience = claim("aud", oauth.token_url.clone(), false);
    let mut claims = match role {
        AssertionRole::Grant => vec![
            claim("iss", "{{ issuer }}".into(), false),
            claim("sub", "{{ subject }}".into(), true),
            audience,
            claim("scope", "{{ scope }}".into(), true),
        ],
        AssertionRole::Client => vec![
            claim("iss", "{{ client_id }}".into(), false),
            claim("sub", "{{ client_id }}".into(), false),
            audience,
        ],
    };
    for (name, entry) in &written.claims {
        let position = claims.iter().position(|c| &c.name == name);
        match (entry.template(), position) {
            (Some(text), Some(position)) => {
                claims[position] = DefaultClaim {
                    template: text.to_owned(),
                    omit_if_empty: false,
                    written: true,
                    ..claims[position].clone()
                }
            }
            (Some(text), None) => claims.push(DefaultClaim {
                template: text.to_owned(),
                written: true,
                ..claim(name, String::new(), false)
            }),
            (None, Some(position)) => {
                claims.remove(position);
            }
            (None, None) => {}
        }
    }
    Some(AssertionDefaults {
        role,
        algorithm: (
            written.algorithm.unwrap_or(default_algorithm),
            written.algorithm.is_some(),
        ),
        key: if hmac { "client_secret" } else { "private_key" },
        lifetime: (
            written.lifetime.unwrap_or(DEFAULT_ASSERTION_LIFETIME),
            written.lifetime.is_some(),
        ),
        key_id: written.key_id,
        claims,
    })
}

impl DefaultValue {
    /// The variables the value is made from.
    pub fn variables(&self) -> Vec<String> {
        match self {
            DefaultValue::Literal(_) => vec![],
            DefaultValue::Template(t) => crate::template::simple_names(t),
            DefaultValue::ClientBasicAuth => vec!["client_id".into(), "client_secret".into()],
            DefaultValue::UserBasicAuth { username, password } => {
                let mut names = crate::template::simple_names(username);
                names.extend(crate::template::simple_names(password));
                names
            }
            DefaultValue::OAuth1Signature { realm, .. } => {
                let mut names: Vec<String> =
                    OAUTH1_VARIABLES.iter().map(|v| v.name.to_owned()).collect();
                names.extend(realm.iter().flat_map(|r| crate::template::simple_names(r)));
                names
            }
            DefaultValue::Assertion(assertion) => {
                let mut names = vec![assertion.key.to_owned()];
                for claim in &assertion.claims {
                    names.extend(crate::template::simple_names(&claim.template));
                }
                if let Some(key_id) = &assertion.key_id {
                    names.extend(crate::template::simple_names(key_id));
                }
                names
            }
        }
    }
}

/// An entry an auth type adds to a request by default.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefaultEntry {
    /// Query, header or body.
    pub place: EntryPlace,
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: DefaultValue,
    /// Left out of the request when the value renders empty (`scope`).
    pub omit_if_empty: bool,
}

fn entry(place: EntryPlace, name: &str, value: DefaultValue) -> DefaultEntry {
    DefaultEntry {
        place,
        name: name.to_owned(),
        value,
        omit_if_empty: false,
    }
}

fn template(place: EntryPlace, name: &str) -> DefaultEntry {
    entry(
        place,
        name,
        DefaultValue::Template(format!("{{{{ {name} }}}}")),
    )
}

fn optional_template(place: EntryPlace, name: &str) -> DefaultEntry {
    DefaultEntry {
        omit_if_empty: true,
        ..template(place, name)
    }
}

const FORM_CONTENT_TYPE: &str = "application/x-www-form-urlencoded";

/// The `grant_type` of a device token request (RFC 8628 §3.4).
pub const DEVICE_CODE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

/// How an OAuth client of this type authenticates when its spec sets no
/// `client_auth`.
pub fn default_client_auth(auth_type: AuthType) -> ClientAuth {
    match auth_type {
        AuthType::OAuth2AuthorizationCode => ClientAuth::Basic,
        _ => ClientAuth::Body,
    }
}

/// How an OAuth method authenticates its client at the token endpoint.
/// A JWT bearer grant authenticates no client unless its spec sets a
/// `client_auth`: the assertion identifies the service account.
fn client_authentication(method: &AuthMethod) -> Option<(ClientType, ClientAuth)> {
    let client_type = match method {
        AuthMethod::OAuth2AuthorizationCode(m) => m.effective_client_type(),
        _ => ClientType::Confidential,
    };
    let written = method.oauth()?.client_auth;
    let client_auth = match method {
        AuthMethod::OAuth2JwtBearer(_) => written?,
        _ => written.unwrap_or(default_client_auth(method.auth_type())),
    };
    Some((client_type, client_auth))
}

/// The client's entries in a token, refresh or revocation request.
fn client_entries(method: &AuthMethod) -> Vec<DefaultEntry> {
    match client_authentication(method) {
        Some((ClientType::Public, _)) => vec![template(EntryPlace::Body, "client_id")],
        Some((ClientType::Confidential, ClientAuth::Basic)) => {
            vec![entry(
                EntryPlace::Header,
                "Authorization",
                DefaultValue::ClientBasicAuth,
            )]
        }
        Some((ClientType::Confidential, ClientAuth::Body)) => vec![
            template(EntryPlace::Body, "client_id"),
            template(EntryPlace::Body, "client_secret"),
        ],
        Some((
            ClientType::Confidential,
            ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt,
        )) => {
            let mut entries = vec![entry(
                EntryPlace::Body,
                "client_assertion_type",
                DefaultValue::Literal(CLIENT_ASSERTION_TYPE),
            )];
            entries.extend(assertion(method, AssertionRole::Client).map(|assertion| {
                entry(
                    EntryPlace::Body,
                    "client_assertion",
                    DefaultValue::Assertion(assertion),
                )
            }));
            entries
        }
        None => vec![],
    }
}

fn uses_pkce(method: &AuthMethod) -> bool {
    matches!(method, AuthMethod::OAuth2AuthorizationCode(m) if m.pkce.unwrap_or(Pkce::S256) == Pkce::S256)
}

/// The entries a part of a method has by default, in the order they are
/// sent.
pub fn default_entries(method: &AuthMethod, part: AuthPart) -> Vec<DefaultEntry> {
    use EntryPlace::{Body, Header, Query};
    let form_header = || {
        entry(
            Header,
            "Content-Type",
            DefaultValue::Literal(FORM_CONTENT_TYPE),
        )
    };
    let mut entries = Vec::new();
    match (method, part) {
        (AuthMethod::OAuth2ClientCredentials(_), AuthPart::Token) => {
            entries.push(form_header());
            entries.push(entry(
                Body,
                "grant_type",
                DefaultValue::Literal("client_credentials"),
            ));
            entries.push(optional_template(Body, "scope"));
            entries.extend(client_entries(method));
        }
        (AuthMethod::OAuth2JwtBearer(_), AuthPart::Token) => {
            entries.push(form_header());
            entries.push(entry(
                Body,
                "grant_type",
                DefaultValue::Literal(JWT_BEARER_GRANT_TYPE),
            ));
            if let Some(assertion) = assertion(method, AssertionRole::Grant) {
                entries.push(entry(Body, "assertion", DefaultValue::Assertion(assertion)));
            }
            entries.extend(client_entries(method));
        }
        (AuthMethod::OAuth2AuthorizationCode(_), AuthPart::Authorize) => {
            entries.push(entry(Query, "response_type", DefaultValue::Literal("code")));
            entries.push(template(Query, "client_id"));
            entries.push(template(Query, "redirect_uri"));
            entries.push(optional_template(Query, "scope"));
            entries.push(template(Query, "state"));
            if uses_pkce(method) {
                entries.push(template(Query, "code_challenge"));
                entries.push(entry(
                    Query,
                    "code_challenge_method",
                    DefaultValue::Literal("S256"),
                ));
            }
        }
        (AuthMethod::OAuth2AuthorizationCode(_), AuthPart::Token) => {
            entries.push(form_header());
            entries.push(entry(
                Body,
                "grant_type",
                DefaultValue::Literal("authorization_code"),
            ));
            entries.push(template(Body, "code"));
            entries.push(template(Body, "redirect_uri"));
            if uses_pkce(method) {
                entries.push(template(Body, "code_verifier"));
            }
            entries.extend(client_entries(method));
        }
        // RFC 8628 §3.1: the client authenticates as at the token
        // endpoint; a public client names itself.
        (AuthMethod::OAuth2AuthorizationCode(_), AuthPart::DeviceAuthorization) => {
            entries.push(form_header());
            entries.extend(client_entries(method));
            entries.push(optional_template(Body, "scope"));
        }
        (AuthMethod::OAuth2AuthorizationCode(_), AuthPart::DeviceToken) => {
            entries.push(form_header());
            entries.push(entry(
                Body,
                "grant_type",
                DefaultValue::Literal(DEVICE_CODE_GRANT),
            ));
            entries.push(template(Body, "device_code"));
            entries.extend(client_entries(method));
        }
        (AuthMethod::OAuth2AuthorizationCode(_), AuthPart::Refresh) => {
            entries.push(form_header());
            entries.push(entry(
                Body,
                "grant_type",
                DefaultValue::Literal("refresh_token"),
            ));
            entries.push(template(Body, "refresh_token"));
            entries.extend(client_entries(method));
        }
        // A revocation written out in full has no defaults.
        (_, AuthPart::Revoke)
            if method
                .oauth()
                .and_then(|o| o.full_revoke_request())
                .is_some() => {}
        (
            AuthMethod::OAuth2ClientCredentials(_)
            | AuthMethod::OAuth2AuthorizationCode(_)
            | AuthMethod::OAuth2JwtBearer(_),
            AuthPart::Revoke,
        ) => {
            entries.push(form_header());
            entries.push(template(Body, "token"));
            entries.push(template(Body, "token_type_hint"));
            entries.extend(client_entries(method));
        }
        (_, AuthPart::Apply) if method.apply().is_none() => entries.extend(default_apply(method)),
        // The discovery request carries the credential as endpoint requests
        // do; its own `headers`/`query` override or remove those entries.
        // An applied entry made from a discovered value (Xero's tenant
        // header) is left out: the discovery is what finds it.
        (_, AuthPart::Discover) => {
            let applied = match method.apply() {
                Some(apply) => [(Header, &apply.headers), (Query, &apply.query)]
                    .into_iter()
                    .flat_map(|(place, written)| {
                        written.iter().map(move |(name, text)| {
                            entry(place, name, DefaultValue::Template(text.clone()))
                        })
                    })
                    .collect(),
                None => default_apply(method),
            };
            let discovered = method.discover().map(|d| &d.capture);
            entries.extend(applied.into_iter().filter(|entry| {
                !entry
                    .value
                    .variables()
                    .iter()
                    .any(|name| discovered.is_some_and(|d| d.contains_key(name)))
            }));
        }
        _ => {}
    }
    entries
}

/// The entries an author wrote for a part of a method: overrides of its
/// defaults (or, for a `token_request` login, the whole request).
#[derive(Debug, Clone, Copy, Default)]
pub struct Overrides<'a> {
    /// Query entries.
    pub query: Option<&'a IndexMap<String, Entry>>,
    /// Header entries.
    pub headers: Option<&'a IndexMap<String, Entry>>,
    /// Body.
    pub body: Option<&'a Body>,
}

impl<'a> Overrides<'a> {
    fn of(parts: Option<&'a RequestParts>) -> Self {
        parts.map_or_else(Overrides::default, |p| Overrides {
            query: Some(&p.query),
            headers: Some(&p.headers),
            body: p.body.as_ref(),
        })
    }

    /// The author's entries of one place, with `false` as [`Entry::Remove`].
    /// A JSON body's top-level fields count as entries too.
    pub fn entries(&self, place: EntryPlace) -> Vec<(&'a str, EntryValue<'a>)> {
        let map = |entries: Option<&'a IndexMap<String, Entry>>| {
            entries
                .into_iter()
                .flatten()
                .map(|(name, entry)| (name.as_str(), EntryValue::Entry(entry)))
                .collect()
        };
        match place {
            EntryPlace::Query => map(self.query),
            EntryPlace::Header => map(self.headers),
            EntryPlace::Body => match self.body {
                Some(Body::Form { content }) => map(Some(content)),
                Some(Body::Json {
                    content: serde_json::Value::Object(fields),
                }) => fields
                    .iter()
                    .map(|(name, value)| (name.as_str(), EntryValue::Json(value)))
                    .collect(),
                _ => vec![],
            },
        }
    }
}

/// An author's entry: a template or `false` in a query, header or form
/// table, or a top-level field of a JSON body.
#[derive(Debug, Clone, Copy)]
pub enum EntryValue<'a> {
    /// A query, header or form entry.
    Entry(&'a Entry),
    /// A top-level field of a JSON body.
    Json(&'a serde_json::Value),
}

impl EntryValue<'_> {
    /// Whether it is `false`, which removes a default.
    pub fn is_removal(&self) -> bool {
        matches!(
            self,
            EntryValue::Entry(Entry::Remove) | EntryValue::Json(serde_json::Value::Bool(false))
        )
    }
}

/// The entries the author wrote for a part of a method.
pub fn overrides(method: &AuthMethod, part: AuthPart) -> Overrides<'_> {
    match (method, part) {
        (AuthMethod::OAuth2AuthorizationCode(m), AuthPart::Authorize) => Overrides {
            query: m.authorize_request.as_ref().map(|r| &r.query),
            ..Overrides::default()
        },
        (AuthMethod::OAuth2AuthorizationCode(m), AuthPart::Refresh) => {
            Overrides::of(m.refresh_request.as_ref())
        }
        (AuthMethod::OAuth2AuthorizationCode(m), AuthPart::DeviceAuthorization) => {
            Overrides::of(m.device_authorization_request.as_ref())
        }
        (AuthMethod::OAuth2AuthorizationCode(m), AuthPart::DeviceToken) => {
            Overrides::of(m.device_token_request.as_ref())
        }
        (AuthMethod::TokenRequest(m), AuthPart::Token) => Overrides {
            query: Some(&m.token_request.query),
            headers: Some(&m.token_request.headers),
            body: m.token_request.body.as_ref(),
        },
        (method, AuthPart::Token) => {
            Overrides::of(method.oauth().and_then(|o| o.token_request.as_ref()))
        }
        (method, AuthPart::Revoke) => method
            .oauth()
            .and_then(|o| o.revoke_request.as_ref())
            .map_or_else(Overrides::default, |r| Overrides {
                query: Some(&r.query),
                headers: Some(&r.headers),
                body: r.body.as_ref(),
            }),
        (method, AuthPart::Discover) => {
            method
                .discover()
                .map_or_else(Overrides::default, |d| Overrides {
                    query: Some(&d.query),
                    headers: Some(&d.headers),
                    body: None,
                })
        }
        _ => Overrides::default(),
    }
}

/// The URL template of a request an auth method makes, and where the spec
/// writes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartUrl<'a> {
    /// The keys from the method's table to the URL, e.g. `["token_url"]`
    /// or `["token_request", "url"]`.
    pub path: &'static [&'static str],
    /// The URL template.
    pub template: &'a str,
}

/// The URL a part of a method is sent to: `None` for `Apply` (it goes with
/// endpoint requests) and for a part the method does not have.
pub fn url(method: &AuthMethod, part: AuthPart) -> Option<PartUrl<'_>> {
    fn at<'a>(path: &'static [&'static str], template: &'a str) -> Option<PartUrl<'a>> {
        Some(PartUrl { path, template })
    }
    match (method, part) {
        (AuthMethod::OAuth2AuthorizationCode(m), AuthPart::Authorize) => {
            at(&["authorize_url"], &m.authorize_url)
        }
        (AuthMethod::OAuth2AuthorizationCode(m), AuthPart::Refresh | AuthPart::DeviceToken) => {
            at(&["token_url"], &m.oauth.token_url)
        }
        (AuthMethod::OAuth2AuthorizationCode(m), AuthPart::DeviceAuthorization) => at(
            &["device_authorization_url"],
            m.device_authorization_url.as_deref()?,
        ),
        (AuthMethod::TokenRequest(m), AuthPart::Token) => {
            at(&["token_request", "url"], &m.token_request.url)
        }
        (method, AuthPart::Token) => at(&["token_url"], &method.oauth()?.token_url),
        (method, AuthPart::Revoke) => {
            let oauth = method.oauth()?;
            match oauth.full_revoke_request().and_then(|r| r.url.as_ref()) {
                Some(url) => at(&["revoke_request", "url"], url),
                None => at(&["revoke_url"], oauth.revoke_url.as_ref()?),
            }
        }
        (method, AuthPart::Discover) => at(&["discover", "url"], &method.discover()?.url),
        _ => None,
    }
}

/// What a method attaches to endpoint requests when its spec has no
/// `apply` table.
fn default_apply(method: &AuthMethod) -> Vec<DefaultEntry> {
    use EntryPlace::{Header, Query};
    match method {
        AuthMethod::None(_) => vec![],
        AuthMethod::Basic(m) => {
            let (username, password) = m.templates();
            vec![entry(
                Header,
                "Authorization",
                DefaultValue::UserBasicAuth {
                    username: username.to_owned(),
                    password: password.to_owned(),
                },
            )]
        }
        AuthMethod::ApiKey(m) => {
            let place = match m.location.unwrap_or(ApiKeyLocation::Header) {
                ApiKeyLocation::Header => Header,
                ApiKeyLocation::Query => Query,
            };
            let prefix = m.prefix.as_deref().unwrap_or("");
            vec![entry(
                place,
                &m.name,
                DefaultValue::Template(format!("{prefix}{{{{ api_key }}}}")),
            )]
        }
        AuthMethod::Bearer(_) => vec![entry(
            Header,
            "Authorization",
            DefaultValue::Template("Bearer {{ token }}".into()),
        )],
        AuthMethod::OAuth1(m) => vec![entry(
            Header,
            "Authorization",
            DefaultValue::OAuth1Signature {
                signature_method: m.signature_method,
                realm: m.realm.clone(),
            },
        )],
        AuthMethod::OAuth2ClientCredentials(_)
        | AuthMethod::OAuth2AuthorizationCode(_)
        | AuthMethod::OAuth2JwtBearer(_)
        | AuthMethod::TokenRequest(_) => {
            vec![entry(
                Header,
                "Authorization",
                DefaultValue::Template("Bearer {{ access_token }}".into()),
            )]
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OAuthCommon;

    fn names(entries: &[DefaultEntry]) -> Vec<&str> {
        entries.iter().map(|e| e.name.as_str()).collect()
    }

    fn client_credentials(client_auth: Option<ClientAuth>) -> AuthMethod {
        AuthMethod::OAuth2ClientCredentials(ClientCredentialsAuth {
            common: Default::default(),
            oauth: OAuthCommon {
                client_auth,
                ..OAuthCommon::new("https://example.com/token")
            },
        })
    }

    fn authorization_code(client_type: Option<ClientType>, pkce: Option<Pkce>) -> AuthMethod {
        AuthMethod::OAuth2AuthorizationCode(AuthorizationCodeAuth {
            common: Default::default(),
            oauth: OAuthCommon::new("https://example.com/token"),
            authorize_url: "https://example.com/authorize".into(),
            client_type,
            pkce,
            authorize_request: None,
            refresh_request: None,
            authorize_response: None,
            device_authorization_url: None,
            device_authorization_request: None,
            device_token_request: None,
        })
    }

    #[test]
    fn client_credentials_puts_the_client_in_the_body_by_default() {
        let entries = default_entries(&client_credentials(None), AuthPart::Token);
        assert_eq!(
            names(&entries),
            [
                "Content-Type",
                "grant_type",
                "scope",
                "client_id",
                "client_secret"
            ]
        );
        assert!(entries[2].omit_if_empty);
        let basic = default_entries(
            &client_credentials(Some(ClientAuth::Basic)),
            AuthPart::Token,
        );
        assert_eq!(
            names(&basic),
            ["Content-Type", "grant_type", "scope", "Authorization"]
        );
    }

    #[test]
    fn a_device_login_is_two_more_requests_with_the_client_of_the_method() {
        let device = |client_type| {
            let AuthMethod::OAuth2AuthorizationCode(m) = authorization_code(client_type, None)
            else {
                unreachable!()
            };
            AuthMethod::OAuth2AuthorizationCode(AuthorizationCodeAuth {
                device_authorization_url: Some("https://example.com/device".into()),
                ..m
            })
        };
        let public = device(Some(ClientType::Public));
        assert_eq!(
            parts(&public),
            [
                AuthPart::Authorize,
                AuthPart::Token,
                AuthPart::DeviceAuthorization,
                AuthPart::DeviceToken,
                AuthPart::Refresh,
                AuthPart::Apply
            ]
        );
        assert_eq!(
            names(&default_entries(&public, AuthPart::DeviceAuthorization)),
            ["Content-Type", "client_id", "scope"]
        );
        let poll = default_entries(&public, AuthPart::DeviceToken);
        assert_eq!(
            names(&poll),
            ["Content-Type", "grant_type", "device_code", "client_id"]
        );
        assert_eq!(poll[1].value, DefaultValue::Literal(DEVICE_CODE_GRANT));
        assert_eq!(
            url(&public, AuthPart::DeviceToken).map(|u| u.path),
            Some(&["token_url"][..])
        );
        let confidential = device(None);
        assert_eq!(
            names(&default_entries(
                &confidential,
                AuthPart::DeviceAuthorization
            )),
            ["Content-Type", "Authorization", "scope"]
        );
        assert!(!parts(&authorization_code(None, None)).contains(&AuthPart::DeviceToken));
        assert_eq!(
            runtime_values(AuthType::OAuth2AuthorizationCode, AuthPart::DeviceToken),
            ["device_code"]
        );
        assert!(SECRET_RUNTIME_VALUES.contains(&"device_code"));
    }

    #[test]
    fn authorization_code_differs_between_client_types() {
        let confidential = authorization_code(None, None);
        assert_eq!(
            names(&default_entries(&confidential, AuthPart::Token)),
            [
                "Content-Type",
                "grant_type",
                "code",
                "redirect_uri",
                "code_verifier",
                "Authorization"
            ]
        );
        let public = authorization_code(Some(ClientType::Public), Some(Pkce::None));
        assert_eq!(
            names(&default_entries(&public, AuthPart::Token)),
            [
                "Content-Type",
                "grant_type",
                "code",
                "redirect_uri",
                "client_id"
            ]
        );
        assert_eq!(
            names(&default_entries(&public, AuthPart::Authorize)),
            [
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state"
            ]
        );
        assert!(
            !default_variables(&public)
                .iter()
                .any(|v| v.name == "client_secret")
        );
    }
}
