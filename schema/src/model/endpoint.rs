//! Endpoints: the requests an instance makes, how their responses are read
//! and how further pages are fetched.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::IDENTIFIER_PATTERN;
use super::request::{Body, Entry, HttpMethod};
use super::variable::Variable;

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

impl Endpoint {
    /// The direction of an endpoint that declares none: `receive` for
    /// `GET`, `HEAD` and `OPTIONS` (the default method is `GET`), `send`
    /// for the others.
    pub fn default_direction(&self) -> Direction {
        match self.method.unwrap_or(HttpMethod::Get) {
            HttpMethod::Get | HttpMethod::Head | HttpMethod::Options => Direction::Receive,
            HttpMethod::Post | HttpMethod::Put | HttpMethod::Patch | HttpMethod::Delete => {
                Direction::Send
            }
        }
    }
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
    /// Largest response body read, in bytes (default 33554432, 32 MiB); a
    /// larger one fails the call, naming this setting. Raise it for an
    /// endpoint known to answer with big exports. The runtime caps it at
    /// its own ceiling (1 GiB unless a service sets another).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(range(min = 1))]
    pub max_bytes: Option<u64>,
    /// How the body of a 2xx answer says the request failed (Slack's
    /// `ok: false`, GraphQL's `errors`): replaces the connector's
    /// `[errors]` for this endpoint; `false` turns it off here.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub errors: Option<ResponseErrors>,
}

/// An endpoint's `response.errors`: its own declaration, or `false` to
/// check no error declaration for this endpoint.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseErrors {
    /// The endpoint's own declaration, replacing the connector's.
    Declared(ApiErrors),
    /// `false`: the connector's `[errors]` does not apply here.
    Off,
}

impl Serialize for ResponseErrors {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match self {
            ResponseErrors::Declared(errors) => errors.serialize(serializer),
            ResponseErrors::Off => serializer.serialize_bool(false),
        }
    }
}

impl<'de> Deserialize<'de> for ResponseErrors {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Declared(ApiErrors),
            Flag(bool),
        }
        match Raw::deserialize(deserializer) {
            Ok(Raw::Declared(errors)) => Ok(ResponseErrors::Declared(errors)),
            Ok(Raw::Flag(false)) => Ok(ResponseErrors::Off),
            Ok(Raw::Flag(true)) | Err(_) => Err(serde::de::Error::custom(
                "expected an errors table, or `false` to turn the connector's `[errors]` off",
            )),
        }
    }
}

impl JsonSchema for ResponseErrors {
    fn schema_name() -> std::borrow::Cow<'static, str> {
        "ResponseErrors".into()
    }

    fn json_schema(generator: &mut schemars::SchemaGenerator) -> schemars::Schema {
        let mut declared = generator.subschema_for::<ApiErrors>();
        declared.insert(
            "description".to_owned(),
            "This endpoint's own declaration, used instead of the connector's.".into(),
        );
        schemars::json_schema!({
            "description": "An errors table replacing the connector's `[errors]` for this endpoint, or `false` to turn it off here.",
            "anyOf": [declared, { "const": false, "description": "The connector's `[errors]` does not apply to this endpoint." }]
        })
    }
}

/// How a 2xx answer with a JSON body says that the request failed, and
/// which of its error codes are worth a retry or a new token. Answers
/// with another status are errors already.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiErrors {
    /// Path of the value that shows failure (`/ok`, `/errors`).
    pub path: String,
    /// The answer failed when the value at `path` equals this string,
    /// number or boolean. Without it: when the value exists and is not
    /// `null`, `false`, `""`, `[]` or `{}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
    /// Path of the API's machine-readable error code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Path of the API's message (default: `code`, else `path`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Codes retried like an HTTP 429: backoff, `Retry-After` when the
    /// answer has one, at most the runtime's `max_retries`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<String>,
    /// Codes that mean the token is no longer valid, handled like an HTTP
    /// 401: a new token once and one retry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reauth: Vec<String>,
}

/// The content type of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
// Each variant is the value written in a spec; a doc comment per variant
// would turn the schema's plain `enum` into a `oneOf` of constants.
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
