//! Authentication methods: the `type` union, the fields every method has,
//! and the methods that need no OAuth (`basic`, `api_key`, `bearer`,
//! `token_request`), with how a token response is read and applied.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::IDENTIFIER_PATTERN;
use super::oauth::{
    Assertion, AuthorizationCodeAuth, CallbackCapture, ClientCredentialsAuth, ClientType, Discover,
    JwtBearerAuth, OAuthCommon,
};
use super::oauth1::OAuth1Auth;
use super::request::{Body, Entry, HttpMethod};
use super::variable::Variable;

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
    /// OAuth 2 JWT bearer grant (RFC 7523 §2.1): a service account signs
    /// its own assertion.
    #[serde(rename = "oauth2_jwt_bearer")]
    OAuth2JwtBearer(JwtBearerAuth),
    /// A login request written out in full whose response carries a token.
    TokenRequest(TokenRequestAuth),
    /// OAuth 1.0a: every request signed with consumer and token secrets
    /// (RFC 5849).
    #[serde(rename = "oauth1")]
    OAuth1(OAuth1Auth),
}

/// The kind of an auth method, without its settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AuthType {
    /// `none`.
    None,
    /// `basic`.
    Basic,
    /// `api_key`.
    ApiKey,
    /// `bearer`.
    Bearer,
    /// `oauth2_client_credentials`.
    OAuth2ClientCredentials,
    /// `oauth2_authorization_code`.
    OAuth2AuthorizationCode,
    /// `oauth2_jwt_bearer`.
    OAuth2JwtBearer,
    /// `token_request`.
    TokenRequest,
    /// `oauth1`.
    OAuth1,
}

impl AuthType {
    /// Every auth type, in the order of the design's table.
    pub const ALL: [AuthType; 9] = [
        AuthType::None,
        AuthType::Basic,
        AuthType::ApiKey,
        AuthType::Bearer,
        AuthType::OAuth2ClientCredentials,
        AuthType::OAuth2AuthorizationCode,
        AuthType::OAuth2JwtBearer,
        AuthType::TokenRequest,
        AuthType::OAuth1,
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
            AuthType::OAuth2JwtBearer => "oauth2_jwt_bearer",
            AuthType::TokenRequest => "token_request",
            AuthType::OAuth1 => "oauth1",
        }
    }

    /// Whether the method obtains an `access_token` by a request.
    pub fn acquires_token(self) -> bool {
        matches!(
            self,
            AuthType::OAuth2ClientCredentials
                | AuthType::OAuth2AuthorizationCode
                | AuthType::OAuth2JwtBearer
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
            AuthMethod::OAuth2JwtBearer(_) => AuthType::OAuth2JwtBearer,
            AuthMethod::TokenRequest(_) => AuthType::TokenRequest,
            AuthMethod::OAuth1(_) => AuthType::OAuth1,
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
            AuthMethod::OAuth2JwtBearer(m) => m.common.label(),
            AuthMethod::TokenRequest(m) => m.common.label(),
            AuthMethod::OAuth1(m) => m.common.label(),
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
            AuthMethod::OAuth2JwtBearer(m) => Some(&m.common),
            AuthMethod::TokenRequest(m) => Some(&m.common),
            AuthMethod::OAuth1(m) => Some(&m.common),
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
            AuthMethod::OAuth2JwtBearer(m) => Some(&m.oauth),
            _ => None,
        }
    }

    /// The settings of each signed assertion the method sends, with where
    /// the spec writes them: the grant of `oauth2_jwt_bearer`
    /// (`assertion`) and the client assertion of a `client_auth` that
    /// signs one (`client_assertion`). An unwritten table is the default.
    pub fn assertions(&self) -> Vec<(AssertionRole, Option<&Assertion>)> {
        let mut found = Vec::new();
        if let AuthMethod::OAuth2JwtBearer(m) = self {
            found.push((AssertionRole::Grant, m.assertion.as_ref()));
        }
        // A public client has no secret and authenticates with nothing.
        let public = matches!(
            self,
            AuthMethod::OAuth2AuthorizationCode(m) if m.effective_client_type() == ClientType::Public
        );
        if let Some(oauth) = self.oauth()
            && oauth.client_auth.is_some_and(|a| a.is_assertion())
            && !public
        {
            found.push((AssertionRole::Client, oauth.client_assertion.as_ref()));
        }
        found
    }

    /// The request run after each new token, whose answer fills values
    /// kept with the connection (token-acquiring methods only).
    pub fn discover(&self) -> Option<&Discover> {
        match self {
            AuthMethod::TokenRequest(m) => m.discover.as_ref(),
            _ => self.oauth().and_then(|o| o.discover.as_ref()),
        }
    }

    /// Values captured from the authorization callback (authorization-code
    /// methods only).
    pub fn authorize_captures(&self) -> Option<&IndexMap<String, CallbackCapture>> {
        match self {
            AuthMethod::OAuth2AuthorizationCode(m) => {
                m.authorize_response.as_ref().map(|r| &r.capture)
            }
            _ => None,
        }
    }
}

/// What a signed assertion is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AssertionRole {
    /// The authorization grant of `oauth2_jwt_bearer` (RFC 7523 §2.1).
    Grant,
    /// Client authentication (RFC 7523 §2.2).
    Client,
}

impl AssertionRole {
    /// The key of its settings table in a method.
    pub fn table(self) -> &'static str {
        match self {
            AssertionRole::Grant => "assertion",
            AssertionRole::Client => "client_assertion",
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
    /// The fields every authenticating method has.
    #[serde(flatten)]
    pub common: AuthCommon,
    /// Template of the user name (default `{{ username }}`), e.g. Zendesk's
    /// `{{ email }}/token`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// Template of the password (default `{{ password }}`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password: Option<String>,
}

impl BasicAuth {
    /// The default user name template.
    pub const DEFAULT_USERNAME: &'static str = "{{ username }}";
    /// The default password template.
    pub const DEFAULT_PASSWORD: &'static str = "{{ password }}";

    /// The user name and password templates, with their defaults.
    pub fn templates(&self) -> (&str, &str) {
        (
            self.username.as_deref().unwrap_or(Self::DEFAULT_USERNAME),
            self.password.as_deref().unwrap_or(Self::DEFAULT_PASSWORD),
        )
    }
}

/// `type = "api_key"`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyAuth {
    /// The fields every authenticating method has.
    #[serde(flatten)]
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
    /// The fields every authenticating method has.
    #[serde(flatten)]
    pub common: AuthCommon,
    /// Replaces the default `Authorization: Bearer {{ token }}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<Apply>,
}

/// `type = "token_request"`: a session-token login.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TokenRequestAuth {
    /// The fields every authenticating method has.
    #[serde(flatten)]
    pub common: AuthCommon,
    /// The login request, written out in full.
    pub token_request: LoginRequest,
    /// How the token is read from the login response.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_response: Option<TokenResponse>,
    /// Replaces the default `Authorization: Bearer {{ access_token }}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub apply: Option<Apply>,
    /// A request run after each new token, whose answer fills values kept
    /// with the connection.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub discover: Option<Discover>,
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
    /// Path of the access token (default `access_token`); `""`, the empty
    /// JSON pointer, when the whole body is the token as a JSON string.
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
