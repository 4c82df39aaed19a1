//! The OAuth 2 methods (client credentials, authorization code, JWT
//! bearer) and the settings they share, flattened into each method's
//! table, with the signed JWT assertions (RFC 7523) two of them send.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::IDENTIFIER_PATTERN;
use super::auth::{Apply, AuthCommon, TokenResponse};
use super::request::{Body, Entry, HttpMethod};

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
    /// How the client assertion of `client_auth = "private_key_jwt"` or
    /// `"client_secret_jwt"` is made: its algorithm, lifetime, key id and
    /// claims (RFC 7523 §2.2, OpenID Connect Core §9).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client_assertion: Option<Assertion>,
    /// Joins scopes (default a space).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope_separator: Option<String>,
    /// Overrides of the token request's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_request: Option<RequestParts>,
    /// Overrides of the revocation request's defaults, or, with a `url`,
    /// a revocation request written out in full.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revoke_request: Option<RevokeRequest>,
    /// How the token response is read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_response: Option<TokenResponse>,
    /// Replaces the default `Authorization: Bearer {{ access_token }}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<Apply>,
    /// A request run after each new login or token, whose answer fills
    /// values kept with the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discover: Option<Discover>,
}

impl OAuthCommon {
    /// The revocation request written out in full, if it is.
    pub fn full_revoke_request(&self) -> Option<&RevokeRequest> {
        self.revoke_request.as_ref().filter(|r| r.is_full())
    }

    /// Whether the method revokes tokens: a `revoke_url`, or a revocation
    /// request written out in full.
    pub fn revokes(&self) -> bool {
        self.revoke_url.is_some() || self.full_revoke_request().is_some()
    }

    /// Settings with this token URL and every other field unset.
    pub fn new(token_url: impl Into<String>) -> Self {
        OAuthCommon {
            token_url: token_url.into(),
            revoke_url: None,
            client_auth: None,
            basic_encoding: None,
            client_assertion: None,
            scope_separator: None,
            token_request: None,
            revoke_request: None,
            token_response: None,
            apply: None,
            discover: None,
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
    /// Device authorization endpoint (RFC 8628 §3.1), template: with it
    /// the user can also log in on another device (`auth login --device`),
    /// for a CLI on a machine without a browser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_url: Option<String>,
    /// Overrides of the device authorization request's defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_authorization_request: Option<RequestParts>,
    /// Overrides of the defaults of the device token request, the poll at
    /// `token_url` that waits for the user's approval.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_token_request: Option<RequestParts>,
}

/// `type = "oauth2_jwt_bearer"`: a service account's token, obtained with
/// a JWT it signs itself (RFC 7523 §2.1), with no user and no login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct JwtBearerAuth {
    /// The fields every authenticating method has.
    #[serde(flatten)]
    pub common: AuthCommon,
    /// The fields every OAuth method has (`client_auth` is unset by
    /// default: the assertion itself identifies the client).
    #[serde(flatten)]
    pub oauth: OAuthCommon,
    /// How the grant's assertion is made: algorithm, lifetime, key id and
    /// claims.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub assertion: Option<Assertion>,
}

impl AuthorizationCodeAuth {
    /// The client type, with its default.
    pub fn effective_client_type(&self) -> ClientType {
        self.client_type.unwrap_or(ClientType::Confidential)
    }
}

/// How an OAuth client authenticates at the token endpoint.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `client_id` and `client_secret` in the form body.
    Body,
    /// An `Authorization: Basic` header (RFC 6749 §2.3.1).
    Basic,
    /// A JWT signed with the client's private key (`private_key`, RS256
    /// or ES256) in `client_assertion` (RFC 7523 §2.2).
    PrivateKeyJwt,
    /// A JWT signed with HMAC-SHA-256 keyed by `client_secret` in
    /// `client_assertion` (OpenID Connect Core §9).
    ClientSecretJwt,
}

impl ClientAuth {
    /// Whether the client authenticates with a signed assertion.
    pub fn is_assertion(self) -> bool {
        matches!(
            self,
            ClientAuth::PrivateKeyJwt | ClientAuth::ClientSecretJwt
        )
    }
}

/// A signed JWT a method sends: the grant of `oauth2_jwt_bearer`, or a
/// client assertion. `iat`, `exp` and a fresh `jti` are set by the runtime
/// for every request; the other claims are templates over the method's
/// variables.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Assertion {
    /// Signature algorithm (default `RS256`; `HS256` for
    /// `client_secret_jwt`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub algorithm: Option<JwtAlgorithm>,
    /// Seconds from `iat` to `exp` (default 60: Box accepts at most 60,
    /// Salesforce 180, Google 3600).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub lifetime: Option<u64>,
    /// Template of the `kid` header (default: the `private_key_id` of a
    /// Google service-account key file, else none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Claims: name → template, or `false` to remove a default (`sub`,
    /// `scope`). Defaults: `iss`, `sub` and `aud` (the token endpoint), and
    /// for the grant `scope`.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub claims: IndexMap<String, Entry>,
}

/// A JWS algorithm (RFC 7518 §3.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum JwtAlgorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256, an RSA key of 2048 bits or more.
    RS256,
    /// ECDSA on P-256 with SHA-256.
    ES256,
    /// HMAC with SHA-256 keyed by the client secret.
    HS256,
}

impl JwtAlgorithm {
    /// The name in a JWT header.
    pub fn as_str(self) -> &'static str {
        match self {
            JwtAlgorithm::RS256 => "RS256",
            JwtAlgorithm::ES256 => "ES256",
            JwtAlgorithm::HS256 => "HS256",
        }
    }
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

/// The revocation request: overrides of the RFC 7009 defaults, or, when it
/// has a `url`, a request written out in full with no defaults (HubSpot's
/// `DELETE …/refresh-tokens/{{ refresh_token }}`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RevokeRequest {
    /// URL (template) of a revocation written out in full, instead of
    /// `revoke_url` and the RFC 7009 defaults.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// HTTP method (default `POST`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// Query parameters: name → template, or `false` to remove a default.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Entry>,
    /// Headers: name → template, or `false` to remove a default.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Entry>,
    /// Body (the RFC 7009 request defaults to `type = "form"`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}

impl RevokeRequest {
    /// Whether it is written out in full (it has a `url`).
    pub fn is_full(&self) -> bool {
        self.url.is_some()
    }
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

/// Values captured from the authorization callback's query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AuthorizeResponse {
    /// Runtime value name → callback query parameter, or `{ param,
    /// pattern }` for a value the auth requests may use.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub capture: IndexMap<String, CallbackCapture>,
}

/// A value captured from the authorization callback.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum CallbackCapture {
    /// The callback query parameter; the value reaches endpoint requests
    /// only.
    Param(String),
    /// A parameter whose value must match an allow-list pattern before
    /// any request uses it; only such a value may reach the token, refresh
    /// and revocation requests (Zoho's `accounts-server`).
    Checked(CheckedCapture),
}

/// A callback value checked against an allow-list before it is used.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckedCapture {
    /// The callback query parameter.
    pub param: String,
    /// Regular expression (Rust syntax) the whole value must match, e.g.
    /// `^https://accounts\.zoho\.(com|eu)$`.
    pub pattern: String,
}

impl CallbackCapture {
    /// The callback query parameter.
    pub fn param(&self) -> &str {
        match self {
            CallbackCapture::Param(param) => param,
            CallbackCapture::Checked(checked) => &checked.param,
        }
    }

    /// The allow-list pattern, if one is declared.
    pub fn pattern(&self) -> Option<&str> {
        match self {
            CallbackCapture::Param(_) => None,
            CallbackCapture::Checked(checked) => Some(&checked.pattern),
        }
    }
}

/// A request run once after the method obtains a token (a login, a token
/// request), with the new token applied, whose answer fills values kept
/// with the connection: Jira's cloud id, Xero's tenant id, Mailchimp's data
/// centre. Endpoint requests see the captured names like variables.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Discover {
    /// URL of the request (template).
    pub url: String,
    /// HTTP method (default `GET`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// Query parameters: name → template.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, Entry>,
    /// Headers: name → template, or `false` to remove an applied entry of
    /// the credential.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, Entry>,
    /// Path of the list of entries to choose from; absent: the answer
    /// itself (a list, or one object).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
    /// Keeps only the entries whose field equals a value.
    #[serde(rename = "match", default, skip_serializing_if = "Option::is_none")]
    pub matches: Option<DiscoverMatch>,
    /// How one entry is chosen among those left (default `only`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub select: Option<DiscoverSelect>,
    /// Path of the field that names an entry in listings (`auth status`,
    /// errors); default: the captured fields.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Value name → path in the chosen entry.
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }, "minProperties" = 1))]
    pub capture: IndexMap<String, String>,
}

/// Keeps the entries whose `field` equals `equals`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverMatch {
    /// Path of the field in an entry.
    pub field: String,
    /// The value it must equal (template, compared as text).
    pub equals: String,
}

/// How a discovery chooses one entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum DiscoverSelect {
    /// Exactly one entry must be left; otherwise the discovery fails and
    /// lists them.
    Only,
    /// The first entry left, in the provider's order.
    First,
}
