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
    /// Incremental reads: the state kept between runs, which templates see
    /// as `checkpoint`, so that the next run reads only what changed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<Incremental>,
    /// This endpoint's own request rate, kept on top of the connector's:
    /// a call waits for both (Notion's search, a provider's bulk export).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<super::RateLimit>,
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

/// How further pages are fetched. A run ends when the type has no next
/// position (no token or link), when `more`, `done` or `total` says so, or
/// after `max_pages`; `page_number` and `offset` runs without any of those
/// three also end at an empty page (or one shorter than `limit`). A page
/// whose `more` or `total` says records follow but which has no next
/// position fails the run instead of ending it, so that no record is
/// silently missed.
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
        /// Page size: an integer, or `"{{ name }}"` naming an integer
        /// variable that declares a `maximum`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<PageLimit>,
        /// The request of every page after the first: its fields replace
        /// the endpoint's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<RequestOverride>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
        /// Path of a boolean in each response: the run goes on only while
        /// it is `true` (absent or anything else ends it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        more: Option<String>,
        /// Path of a boolean in each response: `true` ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done: Option<String>,
        /// Path of the total record count in each response: the run ends
        /// once it is reached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<String>,
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
        /// Page size: an integer, or `"{{ name }}"` naming an integer
        /// variable that declares a `maximum`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<PageLimit>,
        /// The request of every page after the first: its fields replace
        /// the endpoint's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<RequestOverride>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
        /// First offset (default 0; some APIs count from 1).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start: Option<u64>,
        /// How the offset advances: `records` (default, by the records
        /// received) or `limit` (by the page size).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        step: Option<OffsetStep>,
        /// Path of a boolean in each response: the run goes on only while
        /// it is `true` (absent or anything else ends it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        more: Option<String>,
        /// Path of a boolean in each response: `true` ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done: Option<String>,
        /// Path of the total record count in each response: the run ends
        /// once it is reached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<String>,
    },
    /// A next-page token read from the response.
    Cursor {
        /// Query name of the token (none: a template places it, as
        /// `{{ page.cursor }}`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        param: Option<String>,
        /// Path of the next token in the response (or `last_record`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        path: Option<String>,
        /// Query name of the page size.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit_param: Option<String>,
        /// Page size: an integer, or `"{{ name }}"` naming an integer
        /// variable that declares a `maximum`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        limit: Option<PageLimit>,
        /// The request of every page after the first: its fields replace
        /// the endpoint's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        next: Option<RequestOverride>,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
        /// Path inside the last record of each page whose value is the
        /// next token (instead of `path`).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        last_record: Option<String>,
        /// Path of a boolean in each response: the run goes on only while
        /// it is `true` (absent or anything else ends it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        more: Option<String>,
        /// Path of a boolean in each response: `true` ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done: Option<String>,
        /// Path of the total record count in each response: the run ends
        /// once it is reached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<String>,
    },
    /// The next page's URL read from the response (relative URLs resolved).
    NextUrl {
        /// Path of the next URL in the response.
        path: String,
        /// Stop after this many pages.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        #[schemars(range(min = 1))]
        max_pages: Option<u32>,
        /// Path of a boolean in each response: the run goes on only while
        /// it is `true` (absent or anything else ends it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        more: Option<String>,
        /// Path of a boolean in each response: `true` ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done: Option<String>,
        /// Path of the total record count in each response: the run ends
        /// once it is reached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<String>,
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
        /// Path of a boolean in each response: the run goes on only while
        /// it is `true` (absent or anything else ends it).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        more: Option<String>,
        /// Path of a boolean in each response: `true` ends the run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        done: Option<String>,
        /// Path of the total record count in each response: the run ends
        /// once it is reached.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        total: Option<String>,
    },
}

/// The stop conditions a pagination declares (`more`, `done`, `total`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StopFields<'a> {
    /// `more`: the run goes on only while this boolean is `true`.
    pub more: Option<&'a str>,
    /// `done`: the run ends when this boolean is `true`.
    pub done: Option<&'a str>,
    /// `total`: the run ends once this count is reached.
    pub total: Option<&'a str>,
}

impl StopFields<'_> {
    /// Whether any stop condition is declared.
    pub fn any(&self) -> bool {
        self.more.is_some() || self.done.is_some() || self.total.is_some()
    }
}

impl Pagination {
    /// The page size, for the types that have one.
    pub fn limit(&self) -> Option<&PageLimit> {
        match self {
            Pagination::PageNumber { limit, .. }
            | Pagination::Offset { limit, .. }
            | Pagination::Cursor { limit, .. } => limit.as_ref(),
            _ => None,
        }
    }

    /// The query name of the page size, for the types that have one.
    pub fn limit_param(&self) -> Option<&str> {
        match self {
            Pagination::PageNumber { limit_param, .. }
            | Pagination::Offset { limit_param, .. }
            | Pagination::Cursor { limit_param, .. } => limit_param.as_deref(),
            _ => None,
        }
    }

    /// The declared stop conditions (none for `none`).
    pub fn stop_fields(&self) -> StopFields<'_> {
        match self {
            Pagination::None {} => StopFields::default(),
            Pagination::PageNumber {
                more, done, total, ..
            }
            | Pagination::Offset {
                more, done, total, ..
            }
            | Pagination::Cursor {
                more, done, total, ..
            }
            | Pagination::NextUrl {
                more, done, total, ..
            }
            | Pagination::LinkHeader {
                more, done, total, ..
            } => StopFields {
                more: more.as_deref(),
                done: done.as_deref(),
                total: total.as_deref(),
            },
        }
    }
}

/// A page size: a fixed number, or a template naming one bounded integer
/// variable.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum PageLimit {
    /// Records per page.
    Fixed(#[schemars(range(min = 1))] u32),
    /// `"{{ name }}"`: an integer variable declaring a `maximum`.
    Variable(#[schemars(regex(pattern = r"^\{\{\s*[A-Za-z_][A-Za-z0-9_]*\s*\}\}$"))] String),
}

impl PageLimit {
    /// The variable a template limit names (`None` for a fixed one, or a
    /// template that is not exactly `{{ name }}`).
    pub fn variable(&self) -> Option<&str> {
        match self {
            PageLimit::Fixed(_) => None,
            PageLimit::Variable(template) => {
                let inner = template
                    .trim()
                    .strip_prefix("{{")?
                    .strip_suffix("}}")?
                    .trim();
                let mut chars = inner.chars();
                let first = chars.next()?;
                ((first.is_ascii_alphabetic() || first == '_')
                    && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
                .then_some(inner)
            }
        }
    }
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
        /// The first request of a run that starts from a stored
        /// checkpoint: its fields replace the endpoint's (an export that
        /// takes a start time once and a cursor after).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume: Option<RequestOverride>,
    },
    /// A value of the response of the page that ended the run (a sync
    /// token, an export cursor).
    LastValue {
        /// Path of the value in that response.
        path: String,
        /// Template of the checkpoint on the first run.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        initial: Option<String>,
        /// The first request of a run that starts from a stored
        /// checkpoint: its fields replace the endpoint's (an export that
        /// takes a start time once and a cursor after).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        resume: Option<RequestOverride>,
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

    /// The first request of a run that starts from a stored checkpoint,
    /// if it differs from the endpoint's.
    pub fn resume(&self) -> Option<&RequestOverride> {
        match self {
            Incremental::Max { resume, .. } | Incremental::LastValue { resume, .. } => {
                resume.as_ref()
            }
        }
    }
}

/// How an offset advances from one page to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum OffsetStep {
    /// By the records the page held.
    Records,
    /// By the page size (`limit`), whatever the page held.
    Limit,
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
