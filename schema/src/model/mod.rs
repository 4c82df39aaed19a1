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

mod auth;
mod endpoint;
mod oauth;
mod oauth1;
mod request;
mod variable;

pub use auth::*;
pub use endpoint::*;
pub use oauth::*;
pub use oauth1::*;
pub use request::*;
pub use variable::*;

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// Query parameters and headers every endpoint request gets (its
    /// `pagination.next` and `incremental.resume` requests too), not the
    /// auth requests. An endpoint's entry of the same name replaces one
    /// (headers compared case-insensitively), and `false` there removes it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub request: Option<ConnectorRequest>,
    /// Endpoints, keyed by their key.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    #[schemars(extend("propertyNames" = { "pattern": IDENTIFIER_PATTERN }))]
    pub endpoints: IndexMap<String, Endpoint>,
    /// How a 2xx answer of any endpoint says that it failed (not applied to
    /// auth requests); an endpoint's `response.errors` replaces it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<ApiErrors>,
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

/// The top-level `[request]` table: entries every endpoint request gets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ConnectorRequest {
    /// Query parameters: name → template over the connector variables.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub query: IndexMap<String, String>,
    /// Headers: name → template over the connector variables
    /// (`Notion-Version`, `User-Agent`).
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub headers: IndexMap<String, String>,
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
// Each variant is the value written in a spec; a doc comment per variant
// would turn the schema's plain `enum` into a `oneOf` of constants.
#[allow(missing_docs)]
pub enum RatePeriod {
    Second,
    Minute,
    Hour,
    Day,
}
