//! Endpoints: the requests an instance makes, how their responses are read
//! and how further pages are fetched.

use indexmap::IndexMap;
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use super::IDENTIFIER_PATTERN;
use super::request::{Body, Entry, HttpMethod, RequestOverride};
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
        /// Query name of the page number (none: a template places it, as
        /// `{{ page.number }}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        param: Option<String>,
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
        /// The request of every page after the first: its fields replace
        /// the endpoint's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<RequestOverride>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
    },
    /// `?offset=N`.
    Offset {
        /// Query name of the offset (none: a template places it, as
        /// `{{ page.offset }}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        param: Option<String>,
        /// Query name of the page size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit_param: Option<String>,
        /// Page size; a shorter page ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        limit: Option<u32>,
        /// The request of every page after the first: its fields replace
        /// the endpoint's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<RequestOverride>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
    },
    /// A next-page token read from the response.
    Cursor {
        /// Query name of the token (none: a template places it, as
        /// `{{ page.cursor }}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        param: Option<String>,
        /// Path of the next token in the response.
        path: String,
        /// Query name of the page size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit_param: Option<String>,
        /// Page size; a shorter page ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        limit: Option<u32>,
        /// The request of every page after the first: its fields replace
        /// the endpoint's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<RequestOverride>,
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

impl Pagination {
    /// The request of every page after the first, if it differs from the
    /// endpoint's.
    pub fn next(&self) -> Option<&RequestOverride> {
        match self {
            Pagination::PageNumber { next, .. }
            | Pagination::Offset { next, .. }
            | Pagination::Cursor { next, .. } => next.as_ref(),
            Pagination::None {} | Pagination::NextUrl { .. } | Pagination::LinkHeader { .. } => {
                None
            }
        }
    }

    /// The `page` values this type provides to templates: `number`,
    /// `offset` or `cursor` (the position), and `size` with a `limit`.
    pub fn page_values(&self) -> &'static [&'static str] {
        match self {
            Pagination::PageNumber { limit: Some(_), .. } => &["number", "size"],
            Pagination::PageNumber { .. } => &["number"],
            Pagination::Offset { limit: Some(_), .. } => &["offset", "size"],
            Pagination::Offset { .. } => &["offset"],
            Pagination::Cursor { limit: Some(_), .. } => &["cursor", "size"],
            Pagination::Cursor { .. } => &["cursor"],
            Pagination::None {} | Pagination::NextUrl { .. } | Pagination::LinkHeader { .. } => &[],
        }
    }
}
