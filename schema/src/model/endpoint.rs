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
    /// Incremental reads: the state kept between runs, which templates see
    /// as `checkpoint`, so that the next run reads only what changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<Incremental>,
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

/// Incremental reads: what an endpoint keeps between runs (its checkpoint)
/// and so what the next run asks for. A run's checkpoint is kept only when
/// the run read every page to its end.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum Incremental {
    /// The largest value of a typed field over every record of the run.
    Max {
        /// Path of the field inside each record.
        field: String,
        /// How values of the field compare.
        field_type: CheckpointType,
        /// Whether the API's filter includes the value it is sent
        /// (default `inclusive`: a record at the boundary is read again).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        boundary: Option<Boundary>,
        /// Template of the checkpoint on the first run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        initial: Option<String>,
    },
    /// A value of the response of the page that ended the run (a sync
    /// token, an export cursor).
    LastValue {
        /// Path of the value in that response.
        path: String,
        /// Template of the checkpoint on the first run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        initial: Option<String>,
    },
}

impl Incremental {
    /// The template of the first run's checkpoint, if any.
    pub fn initial(&self) -> Option<&str> {
        match self {
            Incremental::Max { initial, .. } | Incremental::LastValue { initial, .. } => {
                initial.as_deref()
            }
        }
    }
}

/// How the values of a `max` checkpoint's field compare.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
// Each variant is the value written in a spec; a doc comment per variant
// would turn the schema's plain `enum` into a `oneOf` of constants.
#[allow(missing_docs)]
pub enum CheckpointType {
    Integer,
    Number,
    Timestamp,
    String,
}

/// Whether an API's filter includes the checkpoint it is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum Boundary {
    Inclusive,
    Exclusive,
}
