//! The typed connector spec.
//!
//! These types are the single source of truth for the file format: the JSON
//! Schema in `schema/connector.schema.json` is generated from them, and the
//! reference documentation describes them. Every struct rejects unknown
//! fields, so a misspelt key is an error rather than silently ignored.
//!
//! Fields that a default could fill are kept as `Option`s here: the spec is
//! what the author wrote, and the compiler (not serde) decides what the
//! defaults are, so that a plan can say where each value came from.

use std::borrow::Cow;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Pattern of a name that templates can refer to (`{{ name }}`).
pub const IDENTIFIER_PATTERN: &str = "^[A-Za-z_][A-Za-z0-9_]*$";
/// Pattern of a connector id.
pub const CONNECTOR_ID_PATTERN: &str = "^[a-z][a-z0-9_-]*$";
/// Pattern of a semantic version (semver 2.0.0).
pub const SEMVER_PATTERN: &str = r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$";

/// A connector spec: one third-party API, its variables, authentication
/// methods and endpoints.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
#[schemars(title = "patchbay connector spec")]
pub struct Spec {
    /// JSON Schema reference, for editors (JSON specs only; TOML uses a
    /// `#:schema` comment).
    #[serde(rename = "$schema", default, skip_serializing_if = "Option::is_none")]
    pub json_schema: Option<String>,
    /// Spec format version. `1` is the only version today.
    #[schemars(range(min = 1))]
    pub format: u32,
    /// What the connector is.
    pub connector: Connector,
    /// Connector variables: values an instance supplies, seen by every
    /// endpoint request and by the auth methods that `use` them.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub variables: IndexMap<String, Variable>,
    /// Authentication methods, keyed by their key. An instance picks one.
    #[schemars(extend("minProperties" = 1, "propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub auth: IndexMap<String, AuthMethod>,
    /// Endpoints, keyed by their key.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub endpoints: IndexMap<String, Endpoint>,
}

/// The `[connector]` table.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Connector {
    /// Stable identifier, e.g. `shopware6`.
    #[schemars(pattern(CONNECTOR_ID_PATTERN))]
    pub id: String,
    /// Display name.
    pub name: String,
    /// Version of this spec (semver).
    #[schemars(pattern(SEMVER_PATTERN))]
    pub version: String,
    /// What the API is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// The provider documentation this spec was written from.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    /// Default request rate; an instance may lower it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// The endpoint that checks an instance's credentials ("test connection").
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
}

/// At most `requests` requests per `per`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RateLimit {
    /// How many requests.
    #[schemars(range(min = 1))]
    pub requests: u32,
    /// In which period.
    pub per: RatePeriod,
}

/// The period of a rate limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum RatePeriod {
    Second,
    Minute,
    Hour,
    Day,
}

/// A variable: a value an instance (or, for endpoint variables, a call)
/// supplies. The same shape declares connector, auth and endpoint variables,
/// and overrides a default auth variable (then only the fields written
/// change).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    /// Display name on the instance form (defaults to the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Value type (default `string`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<VariableType>,
    /// The instance cannot be created without it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
    /// Value used when the user gives none; must match `type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Shown on the instance form (`false`: a constant fixed to its default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
    /// Shown only among the form's advanced settings.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub advanced: Option<bool>,
    /// Help text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Input hint.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Regular expression a string value must match (whole value).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// The allowed values of an `enum` variable.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
}

impl Variable {
    /// A variable of the given type with every other field unset.
    pub fn of_type(kind: VariableType) -> Self {
        Variable {
            kind: Some(kind),
            ..Variable::default()
        }
    }
}

/// The type of a variable's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum VariableType {
    /// Any text.
    String,
    /// Text that is never shown, logged or written into a plan.
    Secret,
    /// An absolute http(s) URL; may only stand at the start of a URL template.
    Url,
    /// A whole number.
    Integer,
    /// Any number.
    Number,
    /// `true` or `false`.
    Boolean,
    /// One of `options`.
    Enum,
}

impl VariableType {
    /// The name as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            VariableType::String => "string",
            VariableType::Secret => "secret",
            VariableType::Url => "url",
            VariableType::Integer => "integer",
            VariableType::Number => "number",
            VariableType::Boolean => "boolean",
            VariableType::Enum => "enum",
        }
    }
}

/// An authentication method, discriminated by `type`.
// A spec holds a handful of methods: boxing the large variants would cost
// every user a `Box` in patterns for no measurable gain.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum AuthMethod {
    /// No authentication (open APIs).
    None(NoAuth),
    /// HTTP Basic with `username` and `password`.
    Basic(BasicAuth),
    /// A key in a header or a query parameter.
    ApiKey(ApiKeyAuth),
    /// A static bearer token.
    Bearer(BearerAuth),
    /// OAuth 2 client credentials grant (RFC 6749 §4.4).
    #[serde(rename = "oauth2_client_credentials")]
    OAuth2ClientCredentials(ClientCredentialsAuth),
    /// OAuth 2 authorization code grant (RFC 6749 §4.1), with PKCE (RFC 7636).
    #[serde(rename = "oauth2_authorization_code")]
    OAuth2AuthorizationCode(AuthorizationCodeAuth),
    /// A login request written out in full whose response carries a token.
    TokenRequest(TokenRequestAuth),
}

/// The kind of an auth method, without its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[allow(missing_docs)]
pub enum AuthType {
    None,
    Basic,
    ApiKey,
    Bearer,
    OAuth2ClientCredentials,
    OAuth2AuthorizationCode,
    TokenRequest,
}

impl AuthType {
    /// Every auth type, in the order of the design's table.
    pub const ALL: [AuthType; 7] = [
        AuthType::None,
        AuthType::Basic,
        AuthType::ApiKey,
        AuthType::Bearer,
        AuthType::OAuth2ClientCredentials,
        AuthType::OAuth2AuthorizationCode,
        AuthType::TokenRequest,
    ];

    /// The `type` as written in a spec.
    pub fn as_str(self) -> &'static str {
        match self {
            AuthType::None => "none",
            AuthType::Basic => "basic",
            AuthType::ApiKey => "api_key",
            AuthType::Bearer => "bearer",
            AuthType::OAuth2ClientCredentials => "oauth2_client_credentials",
            AuthType::OAuth2AuthorizationCode => "oauth2_authorization_code",
            AuthType::TokenRequest => "token_request",
        }
    }

    /// Whether the method obtains an `access_token` by a request.
    pub fn acquires_token(self) -> bool {
        matches!(
            self,
            AuthType::OAuth2ClientCredentials
                | AuthType::OAuth2AuthorizationCode
                | AuthType::TokenRequest
        )
    }
}

impl AuthMethod {
    /// The method's type.
    pub fn auth_type(&self) -> AuthType {
        match self {
            AuthMethod::None(_) => AuthType::None,
            AuthMethod::Basic(_) => AuthType::Basic,
            AuthMethod::ApiKey(_) => AuthType::ApiKey,
            AuthMethod::Bearer(_) => AuthType::Bearer,
            AuthMethod::OAuth2ClientCredentials(_) => AuthType::OAuth2ClientCredentials,
            AuthMethod::OAuth2AuthorizationCode(_) => AuthType::OAuth2AuthorizationCode,
            AuthMethod::TokenRequest(_) => AuthType::TokenRequest,
        }
    }

    /// Display name, if the author gave one.
    pub fn label(&self) -> Option<&str> {
        match self {
            AuthMethod::None(m) => m.label.as_deref(),
            AuthMethod::Basic(m) => m.common.label(),
            AuthMethod::ApiKey(m) => m.common.label(),
            AuthMethod::Bearer(m) => m.common.label(),
            AuthMethod::OAuth2ClientCredentials(m) => m.common.label(),
            AuthMethod::OAuth2AuthorizationCode(m) => m.common.label(),
            AuthMethod::TokenRequest(m) => m.common.label(),
        }
    }

    /// The fields every method but `none` has.
    pub fn common(&self) -> Option<&AuthCommon> {
        match self {
            AuthMethod::None(_) => None,
            AuthMethod::Basic(m) => Some(&m.common),
            AuthMethod::ApiKey(m) => Some(&m.common),
            AuthMethod::Bearer(m) => Some(&m.common),
            AuthMethod::OAuth2ClientCredentials(m) => Some(&m.common),
            AuthMethod::OAuth2AuthorizationCode(m) => Some(&m.common),
            AuthMethod::TokenRequest(m) => Some(&m.common),
        }
    }

    /// Connector variables this method uses in its own requests.
    pub fn uses(&self) -> &[String] {
        self.common().map_or(&[], |c| c.uses.as_slice())
    }

    /// Overrides of default auth variables and new auth variables.
    pub fn variables(&self) -> Option<&IndexMap<String, Variable>> {
        self.common().map(|c| &c.variables)
    }

    /// How the credential is attached to endpoint requests, if the author
    /// replaced the type's default.
    pub fn apply(&self) -> Option<&Apply> {
        match self {
            AuthMethod::Bearer(m) => m.apply.as_ref(),
            AuthMethod::TokenRequest(m) => m.apply.as_ref(),
            _ => self.oauth().and_then(|o| o.apply.as_ref()),
        }
    }

    /// How the token response is read (token-acquiring methods only).
    pub fn token_response(&self) -> Option<&TokenResponse> {
        match self {
            AuthMethod::TokenRequest(m) => m.token_response.as_ref(),
            _ => self.oauth().and_then(|o| o.token_response.as_ref()),
        }
    }

    /// What an OAuth method shares with the other OAuth methods; `None`
    /// for the others. Code about "any OAuth token request" starts here.
    pub fn oauth(&self) -> Option<&OAuthCommon> {
        match self {
            AuthMethod::OAuth2ClientCredentials(m) => Some(&m.oauth),
            AuthMethod::OAuth2AuthorizationCode(m) => Some(&m.oauth),
            _ => None,
        }
    }

    /// Values captured from the authorization callback (authorization-code
    /// methods only).
    pub fn authorize_captures(&self) -> Option<&IndexMap<String, String>> {
        match self {
            AuthMethod::OAuth2AuthorizationCode(m) => {
                m.authorize_response.as_ref().map(|r| &r.capture)
            }
            _ => None,
        }
    }
}

/// `type = "none"`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct NoAuth {
    /// Display name (defaults to the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Fields every authenticating method has, flattened into each method's
/// table.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct AuthCommon {
    /// Display name (defaults to the key).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Connector variables this method's own requests use.
    #[serde(rename = "use", default, skip_serializing_if = "Vec::is_empty")]
    pub uses: Vec<String>,
    /// Overrides of the type's default variables, or new auth variables.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub variables: IndexMap<String, Variable>,
}

impl AuthCommon {
    fn label(&self) -> Option<&str> {
        self.label.as_deref()
    }
}

/// `type = "basic"`: `Authorization: Basic base64(username:password)`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    #[serde(flatten)]
    #[allow(missing_docs)]
    pub common: AuthCommon,
}

/// `type = "api_key"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyAuth {
    #[serde(flatten)]
    #[allow(missing_docs)]
    pub common: AuthCommon,
    /// Where the key goes (default `header`).
    #[serde(rename = "in", default, skip_serializing_if = "Option::is_none")]
    pub location: Option<ApiKeyLocation>,
    /// Header or query parameter name, e.g. `X-API-Key`.
    pub name: String,
    /// Text before the key, e.g. `"Token "`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prefix: Option<String>,
}

/// Where an API key goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ApiKeyLocation {
    /// A request header.
    Header,
    /// A query parameter.
    Query,
}

/// `type = "bearer"`: `Authorization: Bearer {{ token }}`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BearerAuth {
    #[serde(flatten)]
    #[allow(missing_docs)]
    pub common: AuthCommon,
    /// Replaces the default `Authorization: Bearer {{ token }}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<Apply>,
}

/// What every OAuth 2 method shares: its token and revocation endpoints,
/// how the client authenticates there, the overrides of those requests, how
/// the token response is read and how the token is applied. Flattened into
/// each OAuth method's table, so the file format does not change.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct OAuthCommon {
    /// Token endpoint (template).
    pub token_url: String,
    /// Revocation endpoint (RFC 7009), template.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_url: Option<String>,
    /// How the client authenticates (default `body` for client credentials,
    /// `basic` for a confidential authorization-code client).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_auth: Option<ClientAuth>,
    /// How the Basic client header encodes id and secret (default `form`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub basic_encoding: Option<BasicEncoding>,
    /// Joins scopes (default a space).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_separator: Option<String>,
    /// Overrides of the token request's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_request: Option<RequestParts>,
    /// Overrides of the revocation request's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_request: Option<RequestParts>,
    /// How the token response is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_response: Option<TokenResponse>,
    /// Replaces the default `Authorization: Bearer {{ access_token }}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<Apply>,
}

impl OAuthCommon {
    /// Settings with this token URL and every other field unset.
    pub fn new(token_url: impl Into<String>) -> Self {
        OAuthCommon {
            token_url: token_url.into(),
            revoke_url: None,
            client_auth: None,
            basic_encoding: None,
            scope_separator: None,
            token_request: None,
            revoke_request: None,
            token_response: None,
            apply: None,
        }
    }
}

/// `type = "oauth2_client_credentials"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ClientCredentialsAuth {
    /// The fields every authenticating method has.
    #[serde(flatten)]
    pub common: AuthCommon,
    /// The fields every OAuth method has.
    #[serde(flatten)]
    pub oauth: OAuthCommon,
}

/// `type = "oauth2_authorization_code"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizationCodeAuth {
    /// The fields every authenticating method has.
    #[serde(flatten)]
    pub common: AuthCommon,
    /// Where the user is sent to log in and consent (template).
    pub authorize_url: String,
    /// The fields every OAuth method has.
    #[serde(flatten)]
    pub oauth: OAuthCommon,
    /// `confidential` (default) or `public`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_type: Option<ClientType>,
    /// PKCE method (default `S256`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pkce: Option<Pkce>,
    /// Overrides of the authorize request's query defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_request: Option<AuthorizeRequest>,
    /// Overrides of the refresh request's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_request: Option<RequestParts>,
    /// Values captured from the authorization callback's query.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub authorize_response: Option<AuthorizeResponse>,
}

impl AuthorizationCodeAuth {
    /// The client type, with its default.
    pub fn effective_client_type(&self) -> ClientType {
        self.client_type.unwrap_or(ClientType::Confidential)
    }
}

/// `type = "token_request"`: a session-token login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequestAuth {
    #[serde(flatten)]
    #[allow(missing_docs)]
    pub common: AuthCommon,
    /// The login request, written out in full.
    pub token_request: LoginRequest,
    /// How the token is read from the login response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_response: Option<TokenResponse>,
    /// Replaces the default `Authorization: Bearer {{ access_token }}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<Apply>,
}

/// How an OAuth client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    Body,
    /// An `Authorization: Basic` header (RFC 6749 §2.3.1).
    Basic,
}

/// How id and secret are encoded in the Basic client header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum BasicEncoding {
    /// Form-encoded before base64, as RFC 6749 §2.3.1 says.
    Form,
    /// As is, for servers that do not decode.
    Raw,
}

/// Whether an OAuth client can keep a secret.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientType {
    /// Has a `client_secret` and authenticates.
    Confidential,
    /// Has no secret; sends `client_id` in the body.
    Public,
}

/// PKCE code challenge method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum Pkce {
    /// SHA-256 challenge (RFC 7636).
    S256,
    /// No PKCE.
    #[serde(rename = "none")]
    None,
}

/// Overrides of the entries of a request an auth method makes. Entries merge
/// with the type's defaults by name; `false` removes a default.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestParts {
    /// Query parameters: name → template, or `false` to remove a default.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Entry>,
    /// Headers: name → template, or `false` to remove a default.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Entry>,
    /// Body (OAuth requests default to `type = "form"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

/// Overrides of the authorize request: the user's browser is redirected
/// there, so it has only a query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeRequest {
    /// Query parameters: name → template, or `false` to remove a default.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Entry>,
}

/// The login request of a `token_request` method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    /// Login URL (template).
    pub url: String,
    /// HTTP method (default `POST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// Query parameters: name → template.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Entry>,
    /// Headers: name → template.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Entry>,
    /// Body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

/// How a token response is read. Paths are JSON pointers when they start
/// with `/`, dotted paths otherwise.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenResponse {
    /// Path of the access token (default `access_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub access_token: Option<String>,
    /// Path of the lifetime in seconds (default `expires_in`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<String>,
    /// Path of an absolute expiry time, instead of `expires_in`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<String>,
    /// Lifetime in seconds when the response states none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub default_expires_in: Option<u64>,
    /// Path of the refresh token (default `refresh_token`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// Extra fields that become runtime values: name → path.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub capture: IndexMap<String, String>,
}

/// Values captured from the authorization callback's query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeResponse {
    /// Runtime value name → callback query parameter.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub capture: IndexMap<String, String>,
}

/// How a credential is attached to endpoint requests. Replaces the type's
/// default entirely.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Apply {
    /// Headers: name → template.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
    /// Query parameters: name → template.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, String>,
}

/// An endpoint: one kind of request an instance can make.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Endpoint {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// What it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// HTTP method (default `GET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// Template of the full URL.
    pub url: String,
    /// Auth methods this endpoint is enabled for (omitted: all).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auth: Option<Vec<String>>,
    /// Endpoint variables, supplied per call.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub variables: IndexMap<String, Variable>,
    /// Query parameters: name → template.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Entry>,
    /// Headers: name → template.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Entry>,
    /// Request body.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
    /// What it reads or writes, e.g. `orders`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Whether it receives or sends data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub direction: Option<Direction>,
    /// How the response is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub response: Option<Response>,
    /// How further pages are fetched.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pagination: Option<Pagination>,
}

/// HTTP request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
#[allow(missing_docs)]
pub enum HttpMethod {
    Get,
    Post,
    Put,
    Patch,
    Delete,
    Head,
    Options,
}

/// Whether an endpoint reads or writes data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Reads data from the API.
    Receive,
    /// Sends the caller's payload to the API.
    Send,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Body {
    /// A JSON document; strings are templates, and a string that is exactly
    /// `{{ var }}` keeps the variable's type.
    Json {
        /// Any JSON value.
        content: serde_json::Value,
    },
    /// `application/x-www-form-urlencoded` fields.
    Form {
        /// Field name → template, or `false` to remove a default.
        #[serde(default)]
        content: IndexMap<String, Entry>,
    },
    /// Raw text with its content type.
    Raw {
        /// Template of the body text.
        content: String,
        /// `Content-Type` of the body (default `text/plain`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
    },
}

/// How a response is read.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Response {
    /// Content type (default `json`).
    #[serde(rename = "type", default, skip_serializing_if = "Option::is_none")]
    pub kind: Option<ResponseType>,
    /// Path of the record array.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
}

/// The content type of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum ResponseType {
    Json,
    Xml,
    Csv,
    Text,
}

/// How further pages are fetched. Every type ends the run at a page with no
/// records, and after `max_pages`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Pagination {
    /// A single page.
    None {},
    /// `?page=N`.
    PageNumber {
        /// Query name of the page number.
        param: String,
        /// First page number (default 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<i64>,
        /// Query name of the page size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit_param: Option<String>,
        /// Page size; a shorter page ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        limit: Option<u32>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
    },
    /// `?offset=N`.
    Offset {
        /// Query name of the offset.
        param: String,
        /// Query name of the page size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit_param: Option<String>,
        /// Page size; a shorter page ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        limit: Option<u32>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
    },
    /// A next-page token read from the response.
    Cursor {
        /// Query name of the token.
        param: String,
        /// Path of the next token in the response.
        path: String,
        /// Query name of the page size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit_param: Option<String>,
        /// Page size; a shorter page ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        limit: Option<u32>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
    },
    /// The next page's URL read from the response (relative URLs resolved).
    NextUrl {
        /// Path of the next URL in the response.
        path: String,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
    },
    /// The `Link` header (RFC 8288).
    LinkHeader {
        /// Relation of the next page (default `next`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rel: Option<String>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
    },
}

/// A query, header or form entry: a template, or `false` to remove the
/// default entry of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Entry {
    /// A template string.
    Template(String),
    /// `false`: remove the default of this name.
    Remove,
}

impl Entry {
    /// The template, unless the entry removes a default.
    pub fn template(&self) -> Option<&str> {
        match self {
            Entry::Template(t) => Some(t),
            Entry::Remove => None,
        }
    }
}

impl Serialize for Entry {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            Entry::Template(t) => serializer.serialize_str(t),
            Entry::Remove => serializer.serialize_bool(false),
        }
    }
}

impl<'de> Deserialize<'de> for Entry {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Template(String),
            Flag(bool),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Template(t)) => Ok(Entry::Template(t)),
            Ok(Raw::Flag(false)) => Ok(Entry::Remove),
            Ok(Raw::Flag(true)) | Err(_) => Err(serde::de::Error::custom(
                "expected a template string, or `false` to remove a default",
            )),
        }
    }
}

impl JsonSchema for Entry {
    fn schema_name() -> Cow<'static, str> {
        "Entry".into()
    }

    fn json_schema(_: &mut SchemaGenerator) -> Schema {
        json_schema!({
            "description": "A template string, or `false` to remove the default entry of this name.",
            "anyOf": [{ "type": "string" }, { "const": false }]
        })
    }
}
