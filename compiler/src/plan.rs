//! The resolved request plan: what exactly each request of a connector will
//! send, every default made explicit and every entry marked with where it
//! came from. A plan holds templates and names, never a secret value.

use indexmap::IndexMap;
use patchbay_schema::{
    ApiKeyLocation, BasicEncoding, Boundary, CheckpointType, ClientAuth, ClientType, Direction,
    DiscoverSelect, HttpMethod, JwtAlgorithm, OffsetStep, Pkce, RatePeriod, ResponseType,
    SignatureMethod, VariableType,
};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// The plan format this crate writes.
pub const PLAN_FORMAT: u32 = 1;

/// A compiled connector: per auth method, its inputs and every request it
/// makes, resolved. Plans serialize to JSON (see `schema/plan.schema.json`)
/// so that a service in any language can read them.
///
/// ```
/// use patchbay_compiler::{Plan, compile_source};
/// use patchbay_schema::SourceFile;
///
/// let file = SourceFile::new("pets.toml", r#"
/// format = 1
/// [connector]
/// id = "pets"
/// name = "Pets"
/// version = "1.0.0"
/// [auth.key]
/// type = "api_key"
/// name = "X-API-Key"
/// [endpoints.list]
/// url = "https://pets.example.com/pets"
/// "#);
/// let plan: Plan = compile_source(&file).unwrap().plan;
/// let method = &plan.methods["key"];
/// assert_eq!(method.inputs[0].key, "api_key");
/// assert_eq!(method.endpoints["list"].request.headers[0].name, "X-API-Key");
///
/// let json = serde_json::to_string(&plan).unwrap();
/// assert_eq!(serde_json::from_str::<Plan>(&json).unwrap(), plan);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[schemars(title = "patchbay request plan", description = "A compiled connector.")]
pub struct Plan {
    /// Plan format version.
    pub plan_format: u32,
    /// What the connector is.
    pub connector: ConnectorInfo,
    /// Default request rate, if the connector sets one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
    /// One plan per auth method, in spec order.
    pub methods: IndexMap<String, MethodPlan>,
}

/// The connector's identity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ConnectorInfo {
    /// Stable id.
    pub id: String,
    /// Display name.
    pub name: String,
    /// Spec version.
    pub version: String,
    /// What the API is.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Source documentation.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub docs_url: Option<String>,
    /// The endpoint that checks an instance's credentials.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub test: Option<String>,
}

/// At most `requests` per `per`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct RateLimit {
    /// How many requests.
    pub requests: u32,
    /// In which period.
    pub per: RatePeriod,
}

/// Everything one auth method does.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MethodPlan {
    /// Display name.
    pub label: String,
    /// The auth type, as written in the spec.
    #[serde(rename = "type")]
    pub auth_type: String,
    /// The values an instance using this method provides (shown on its form
    /// when `visible`), then the runtime values its requests use.
    pub inputs: Vec<Input>,
    /// How an OAuth client identifies itself.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub client: Option<ClientPlan>,
    /// Where an API key goes (`api_key` methods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub api_key: Option<ApiKeyPlan>,
    /// The requests the method itself makes.
    pub requests: MethodRequests,
    /// How the token response is read (token-acquiring methods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token_response: Option<TokenResponsePlan>,
    /// Values captured from the authorization callback: name → query
    /// parameter.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub authorize_captures: IndexMap<String, String>,
    /// How the discovery request's answer is read (its request is
    /// `requests.discover`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discovery: Option<DiscoveryPlan>,
    /// The allow-list each checked callback value must match (whole)
    /// before any request uses it: name → pattern.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub authorize_capture_patterns: IndexMap<String, String>,
    /// What the method adds to every endpoint request.
    pub apply: ApplyPlan,
    /// Every endpoint enabled for this method, as it is sent with it.
    pub endpoints: IndexMap<String, EndpointPlan>,
}

/// What a method adds to every endpoint request (the spec's own entry of
/// the same name wins).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct ApplyPlan {
    /// Headers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<PlanEntry>,
    /// Query parameters.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub query: Vec<PlanEntry>,
}

/// Where a value an instance or request needs comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum InputSource {
    /// A connector variable.
    Connector,
    /// A default variable of the auth type (possibly relabelled).
    AuthDefault,
    /// A variable the author added to the method.
    Auth,
    /// An endpoint variable, supplied per call.
    Endpoint,
    /// Set by the runtime (`access_token`, `state`, captured fields…).
    Runtime,
}

/// One value a request needs, with how it is asked for.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct Input {
    /// The name templates use.
    pub key: String,
    /// Display name.
    pub label: String,
    /// Value type.
    #[serde(rename = "type")]
    pub kind: VariableType,
    /// Whether it must be given.
    pub required: bool,
    /// Never shown, logged or written.
    pub secret: bool,
    /// Used when none is given (never for a secret).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default: Option<serde_json::Value>,
    /// Shown on the instance form.
    pub visible: bool,
    /// Shown among the advanced settings.
    pub advanced: bool,
    /// Help text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Input hint.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub placeholder: Option<String>,
    /// Whole-value regular expression.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pattern: Option<String>,
    /// Allowed values of an enum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Vec<String>>,
    /// Smallest value of a number (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minimum: Option<serde_json::Number>,
    /// Largest value of a number (inclusive).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub maximum: Option<serde_json::Number>,
    /// Where it comes from.
    pub provenance: InputSource,
}

impl Plan {
    /// The connector as `patchbay_schema::instance` checks instance files
    /// against it: its id and each auth method's inputs.
    pub fn instance_target(&self) -> patchbay_schema::instance::InstanceTarget<'_> {
        patchbay_schema::instance::InstanceTarget {
            id: &self.connector.id,
            methods: Some(
                self.methods
                    .iter()
                    .map(|(key, method)| (key.as_str(), method.instance_inputs()))
                    .collect(),
            ),
        }
    }
}

impl MethodPlan {
    /// The inputs an instance gives values for (not the runtime values),
    /// as the instance checks of `patchbay_schema::instance` read them.
    pub fn instance_inputs(&self) -> Vec<patchbay_schema::instance::ExpectedInput<'_>> {
        let scope_separator = self
            .client
            .as_ref()
            .map(|c| c.scope_separator.value.as_str());
        self.inputs
            .iter()
            .filter(|input| input.provenance != InputSource::Runtime)
            .map(|input| input.expected(scope_separator.filter(|_| input.key == "scope")))
            .collect()
    }
}

impl Input {
    /// The input as the value checks of `patchbay_schema::instance` read
    /// it; a list given for it is joined with `list_separator`, if any.
    pub fn expected<'a>(
        &'a self,
        list_separator: Option<&'a str>,
    ) -> patchbay_schema::instance::ExpectedInput<'a> {
        patchbay_schema::instance::ExpectedInput {
            key: &self.key,
            label: &self.label,
            kind: self.kind,
            required: self.required && self.default.is_none(),
            secret: self.secret,
            pattern: self.pattern.as_deref(),
            options: self.options.as_deref(),
            minimum: self.minimum.as_ref(),
            maximum: self.maximum.as_ref(),
            list_separator,
        }
    }
}

/// How an OAuth client identifies itself at the token endpoint. Each
/// setting says whether the spec wrote it or it is the default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClientPlan {
    /// Confidential or public.
    #[serde(rename = "type")]
    pub client_type: Sourced<ClientType>,
    /// Basic header or body fields; none for a public client.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication: Option<Sourced<ClientAuth>>,
    /// How the Basic header encodes id and secret (with Basic only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub basic_encoding: Option<Sourced<BasicEncoding>>,
    /// PKCE method (authorization code only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pkce: Option<Sourced<Pkce>>,
    /// Joins a list of scopes given as the `scope` input.
    pub scope_separator: Sourced<String>,
}

/// Where an API key goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ApiKeyPlan {
    /// Header or query.
    #[serde(rename = "in")]
    pub location: Sourced<ApiKeyLocation>,
    /// Header or parameter name.
    pub name: String,
    /// Text before the key.
    pub prefix: Sourced<String>,
}

/// The requests an auth method makes itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct MethodRequests {
    /// The browser redirect (authorization code).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authorize: Option<RequestPlan>,
    /// The token or login request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub token: Option<RequestPlan>,
    /// The device authorization request (RFC 8628 §3.1), which starts a
    /// login on another device.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_authorization: Option<RequestPlan>,
    /// The device token request (RFC 8628 §3.4), polled until the user
    /// approves the device login.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub device_token: Option<RequestPlan>,
    /// The refresh request.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh: Option<RequestPlan>,
    /// The discovery request, run after each new login or token with the
    /// token applied.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub discover: Option<RequestPlan>,
    /// The revocation request (RFC 7009).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revoke: Option<RequestPlan>,
}

/// Where an entry or setting came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "kebab-case")]
pub enum EntrySource {
    /// A default of the auth type or of patchbay.
    Default,
    /// Written in the spec.
    Spec,
    /// Added by the auth method to an endpoint request.
    Apply,
    /// Written once for the whole connector (its top-level `[errors]`, or
    /// an entry of its `[request]` table) and applied to this endpoint.
    Connector,
}

/// A value and where it came from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct Sourced<T> {
    /// The value.
    pub value: T,
    /// Where it came from.
    pub provenance: EntrySource,
}

/// One request, resolved.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct RequestPlan {
    /// HTTP method.
    pub method: Sourced<HttpMethod>,
    /// URL template.
    pub url: Sourced<String>,
    /// Query parameters, in the order sent.
    pub query: Vec<PlanEntry>,
    /// Headers, in the order sent.
    pub headers: Vec<PlanEntry>,
    /// Body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body: Option<BodyPlan>,
    /// Every name the request's templates and computed values use, sorted.
    pub variables: Vec<String>,
    /// Whether the request is sent again once it may have reached the
    /// server: given for an endpoint's `POST` and `PATCH` requests only;
    /// every other request is retried on any retryable failure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Sourced<RetryPolicy>>,
}

/// Which failures a request is sent again after.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum RetryPolicy {
    /// 429, 502, 503, 504 and failures to connect: the request carries an
    /// idempotency key (`request.idempotency_key`), or its endpoint only
    /// reads (`direction = "receive"`).
    AnyFailure,
    /// Only when the server cannot have acted on it: 429 and failures to
    /// connect. A 502, 503 or 504 (which a gateway may send after the
    /// server acted) and a timeout fail the call: a `POST` or `PATCH`
    /// that writes, without an idempotency key, could be applied twice.
    NotAfterSending,
}

/// A query parameter, header or form field.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct PlanEntry {
    /// Its name.
    pub name: String,
    /// Its value.
    pub value: EntryValue,
    /// Left out of the request when the value renders empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omit_if_empty: bool,
    /// Where it came from.
    pub provenance: EntrySource,
}

/// The value of an entry.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum EntryValue {
    /// Fixed text.
    Literal(String),
    /// A template over the request's variables.
    Template(String),
    /// Computed by the runtime from secrets, never written out.
    Computed(ComputedValue),
}

/// A value the runtime computes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum ComputedValue {
    /// `Basic base64(id:secret)` of the OAuth client (RFC 6749 §2.3.1).
    ClientBasicAuth {
        /// Form-encoded (RFC) or raw id and secret.
        encoding: BasicEncoding,
    },
    /// `Basic base64(username:password)` of a `basic` method.
    UserBasicAuth {
        /// Template of the user name (default `{{ username }}`).
        username: String,
        /// Template of the password (default `{{ password }}`).
        password: String,
    },
    /// `OAuth realm="…", oauth_consumer_key="…", …` of an `oauth1` method
    /// (RFC 5849 §3.5.1), from the inputs `consumer_key`,
    /// `consumer_secret`, `token` and `token_secret`: signed over each
    /// request as it is sent, with a new nonce and timestamp each time.
    #[serde(rename = "oauth1_signature")]
    OAuth1Signature {
        /// How the request is signed.
        signature_method: SignatureMethod,
        /// Template of the realm; absent: none is sent.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        realm: Option<String>,
    },
    /// A JWT signed for each request (RFC 7523): the grant of
    /// `oauth2_jwt_bearer`, or a client assertion. Its claims are the
    /// templates below, then `iat`, `exp` (`iat` + `lifetime`) and a fresh
    /// `jti`.
    JwtAssertion(AssertionPlan),
}

/// How a signed assertion is made. The key itself is the value of the
/// input `key`, never part of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct AssertionPlan {
    /// The signature algorithm.
    pub algorithm: Sourced<JwtAlgorithm>,
    /// The input holding the key: `private_key` (a PEM, or a Google
    /// service-account key file whose `private_key_id` is the default
    /// `kid`) or, for HS256, `client_secret`.
    pub key: String,
    /// Template of the `kid` header.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_id: Option<String>,
    /// Seconds from `iat` to `exp`.
    pub lifetime: Sourced<u64>,
    /// The claims besides `iat`, `exp` and `jti`, in the order written.
    pub claims: Vec<ClaimPlan>,
}

/// A claim of an assertion: a template rendered as a string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ClaimPlan {
    /// The claim's name.
    pub name: String,
    /// Template of its value.
    pub template: String,
    /// Left out when it renders empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omit_if_empty: bool,
    /// Where it came from.
    pub provenance: EntrySource,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum BodyPlan {
    /// `application/x-www-form-urlencoded` fields.
    Form {
        /// The fields, in the order sent.
        fields: Vec<PlanEntry>,
    },
    /// A JSON object whose top-level fields merge with defaults.
    JsonFields {
        /// The fields, in the order sent.
        fields: Vec<JsonField>,
    },
    /// A JSON document written whole (strings are templates).
    Json {
        /// The document.
        content: serde_json::Value,
        /// Where it came from.
        provenance: EntrySource,
    },
    /// Raw text.
    Raw {
        /// Template of the text.
        content: String,
        /// Its content type.
        content_type: Sourced<String>,
    },
    /// `multipart/form-data` (RFC 7578); the runtime adds the boundary to
    /// the `Content-Type` header.
    Multipart {
        /// The parts, in the order sent.
        parts: Vec<PartPlan>,
    },
    /// The bytes of the file the caller passes under `name`.
    File {
        /// The name the caller passes the file by.
        name: String,
        /// The spec's content type; absent: the caller's, else the
        /// `Content-Type` header's default, `application/octet-stream`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<EntryValue>,
    },
}

/// A part of a multipart body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "kind")]
pub enum PartPlan {
    /// A text part.
    Text {
        /// The part's name.
        name: String,
        /// Its value.
        value: EntryValue,
    },
    /// A file part, whose bytes the caller passes under its name.
    File {
        /// The part's name, and the name the caller passes the file by.
        name: String,
        /// The filename sent; absent: the caller's.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        filename: Option<EntryValue>,
        /// The part's content type; absent: the caller's, else
        /// `application/octet-stream`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<EntryValue>,
        /// Whether a call must pass it; an optional one not passed is left
        /// out.
        required: Sourced<bool>,
    },
}

/// A top-level field of a JSON body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct JsonField {
    /// Its name.
    pub name: String,
    /// Its value (strings are templates).
    pub value: serde_json::Value,
    /// Left out when it renders empty.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub omit_if_empty: bool,
    /// Where it came from.
    pub provenance: EntrySource,
}

/// How a token response is read. Paths are JSON pointers when they start
/// with `/`, dotted paths otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct TokenResponsePlan {
    /// Path of the access token (`""`: the whole body, a JSON string).
    pub access_token: Sourced<String>,
    /// Path of the lifetime in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_in: Option<Sourced<String>>,
    /// Path of the absolute expiry time.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<Sourced<String>>,
    /// Lifetime when the response states none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub default_expires_in: Option<u64>,
    /// Path of the refresh token (kept from the previous response when a
    /// refresh omits it).
    pub refresh_token: Sourced<String>,
    /// A field whose presence makes the response an error, even with HTTP
    /// 200 (OAuth methods).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Extra fields that become runtime values: name → path.
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub capture: IndexMap<String, String>,
}

/// How a discovery's answer becomes values kept with the connection.
/// Paths are JSON pointers when they start with `/`, dotted paths
/// otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiscoveryPlan {
    /// Path of the list of entries; absent: the answer itself (a list, or
    /// one object).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
    /// Keeps the entries whose field equals a rendered value.
    #[serde(rename = "match", skip_serializing_if = "Option::is_none")]
    pub matches: Option<DiscoveryMatch>,
    /// How one entry is chosen among those left.
    pub select: Sourced<DiscoverSelect>,
    /// Path of the field naming an entry in listings; absent: the captured
    /// fields.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// Value name → path in the chosen entry.
    pub capture: IndexMap<String, String>,
}

/// Keeps the entries whose `field` equals the rendered `equals`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct DiscoveryMatch {
    /// Path of the field in an entry.
    pub field: String,
    /// Template of the value, compared as text.
    pub equals: String,
}

/// An endpoint as sent with one auth method.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct EndpointPlan {
    /// Display name.
    pub label: String,
    /// What it does.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// What it reads or writes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entity: Option<String>,
    /// Receives or sends.
    pub direction: Sourced<Direction>,
    /// Values supplied per call.
    pub variables: Vec<Input>,
    /// The request, authentication applied.
    pub request: RequestPlan,
    /// How the response is read.
    pub response: ResponsePlan,
    /// How further pages are fetched.
    pub pagination: PaginationPlan,
    /// Incremental reads: the checkpoint kept between runs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub incremental: Option<IncrementalPlan>,
    /// This endpoint's own rate limit, kept on top of the connector's (a
    /// call waits for both); an instance's lower limit does not change it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<RateLimit>,
}

/// Incremental reads of an endpoint, defaults explicit. Templates of the
/// endpoint see the checkpoint as `checkpoint`: the one a caller passes
/// back, else `initial`, else none (an entry whose whole value is
/// `{{ checkpoint }}` is then left out).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
pub struct IncrementalPlan {
    /// Where a run's checkpoint comes from.
    pub source: CheckpointSource,
    /// The checkpoint of a first run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub initial: Option<EntryValue>,
    /// The first request of a run that starts from a stored checkpoint,
    /// when it differs from the endpoint's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resume: Option<Box<RequestPlan>>,
}

/// Where a run's checkpoint comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum CheckpointSource {
    /// The largest value of a record field over the whole run.
    Max {
        /// Path of the field in each record.
        field: String,
        /// How its values compare.
        field_type: CheckpointType,
        /// Whether the API includes the value it is sent.
        boundary: Sourced<Boundary>,
    },
    /// A value of the response of the page that ended the run.
    LastValue {
        /// Path of the value in that response.
        path: String,
    },
}

impl CheckpointSource {
    /// What the checkpoint is, as stored next to it (`max /created
    /// (integer)`): a stored checkpoint whose source differs was made by
    /// another version of the spec and is not used.
    pub fn describe(&self) -> String {
        match self {
            CheckpointSource::Max {
                field, field_type, ..
            } => {
                let kind = match field_type {
                    CheckpointType::Integer => "integer",
                    CheckpointType::Number => "number",
                    CheckpointType::Timestamp => "timestamp",
                    CheckpointType::String => "string",
                };
                format!("max {field} ({kind})")
            }
            CheckpointSource::LastValue { path } => format!("last_value {path}"),
        }
    }
}

/// How a response is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ResponsePlan {
    /// Content type.
    #[serde(rename = "type")]
    pub kind: Sourced<ResponseType>,
    /// Path of the record array, if the response holds records.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub records: Option<String>,
    /// Largest body read, in bytes; the runtime applies the lower of this
    /// and its own ceiling.
    pub max_bytes: Sourced<u64>,
    /// How a 2xx answer says it failed: the endpoint's `response.errors`
    /// (`spec`) or the connector's `[errors]` (`connector`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Sourced<ErrorsPlan>>,
}

/// How a 2xx answer with a JSON body says it failed. Paths are JSON
/// pointers when they start with `/`, dotted paths otherwise.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct ErrorsPlan {
    /// Path of the value that shows failure.
    pub path: String,
    /// Failed when the value equals this scalar; absent: when the value
    /// exists and is not `null`, `false`, `""`, `[]` or `{}`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub equals: Option<serde_json::Value>,
    /// Path of the error code.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Path of the message (default: `code`, else `path`).
    pub message: Sourced<String>,
    /// Codes retried like an HTTP 429.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub retry: Vec<String>,
    /// Codes handled like an HTTP 401: a new token once, one retry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reauth: Vec<String>,
}

/// The largest endpoint response body read when the spec sets no
/// `max_bytes`: 32 MiB. A page of a listing API is well under a few MiB
/// (hundreds of records), so this leaves ten times the headroom of large
/// pages, while a body that never ends fails after at most this much
/// memory (a few times more once parsed as JSON) instead of growing
/// until the process is killed.
pub const DEFAULT_MAX_RESPONSE_BYTES: u64 = 32 * 1024 * 1024;

/// How further pages are fetched, defaults explicit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum PaginationPlan {
    /// One page.
    None,
    /// `?page=N`.
    PageNumber {
        /// Query name of the page number (none: a template of the request
        /// places it through `page`).
        #[serde(skip_serializing_if = "Option::is_none")]
        param: Option<String>,
        /// First page number.
        start: Sourced<i64>,
        /// Query name and value of the page size.
        #[serde(skip_serializing_if = "Option::is_none")]
        page_size: Option<PageSize>,
        /// The request of every page after the first, resolved like the
        /// endpoint's (none: the endpoint's request).
        #[serde(skip_serializing_if = "Option::is_none")]
        next: Option<Box<RequestPlan>>,
        /// Stop after this many pages (none: until a stop condition).
        #[serde(skip_serializing_if = "Option::is_none")]
        max_pages: Option<u32>,
        /// When the run ends.
        stop: StopPlan,
    },
    /// `?offset=N`.
    Offset {
        /// Query name of the offset (none: a template of the request
        /// places it through `page`).
        #[serde(skip_serializing_if = "Option::is_none")]
        param: Option<String>,
        /// Query name and value of the page size.
        #[serde(skip_serializing_if = "Option::is_none")]
        page_size: Option<PageSize>,
        /// The request of every page after the first, resolved like the
        /// endpoint's (none: the endpoint's request).
        #[serde(skip_serializing_if = "Option::is_none")]
        next: Option<Box<RequestPlan>>,
        /// Stop after this many pages.
        #[serde(skip_serializing_if = "Option::is_none")]
        max_pages: Option<u32>,
        /// First offset.
        start: Sourced<u64>,
        /// How the offset advances.
        step: Sourced<OffsetStep>,
        /// When the run ends.
        stop: StopPlan,
    },
    /// A next-page token from the response.
    Cursor {
        /// Query name of the token (none: a template of the request
        /// places it through `page`).
        #[serde(skip_serializing_if = "Option::is_none")]
        param: Option<String>,
        /// Where the next token is read.
        source: CursorSource,
        /// Query name and value of the page size.
        #[serde(skip_serializing_if = "Option::is_none")]
        page_size: Option<PageSize>,
        /// The request of every page after the first, resolved like the
        /// endpoint's (none: the endpoint's request).
        #[serde(skip_serializing_if = "Option::is_none")]
        next: Option<Box<RequestPlan>>,
        /// Stop after this many pages.
        #[serde(skip_serializing_if = "Option::is_none")]
        max_pages: Option<u32>,
        /// When the run ends.
        stop: StopPlan,
    },
    /// The next page's URL from the response.
    NextUrl {
        /// Path of the URL in the response.
        path: String,
        /// Stop after this many pages.
        #[serde(skip_serializing_if = "Option::is_none")]
        max_pages: Option<u32>,
        /// When the run ends.
        stop: StopPlan,
    },
    /// The `Link` header (RFC 8288).
    LinkHeader {
        /// Relation of the next page.
        rel: Sourced<String>,
        /// Stop after this many pages.
        #[serde(skip_serializing_if = "Option::is_none")]
        max_pages: Option<u32>,
        /// When the run ends.
        stop: StopPlan,
    },
}

/// A page size and where it goes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct PageSize {
    /// Query name (none: the API's own page size is used, and only its
    /// value ends the run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub param: Option<String>,
    /// Records per page.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub limit: Option<PageLimitPlan>,
}

/// Records per page: fixed, or an integer variable's value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum PageLimitPlan {
    /// Written as a number.
    Literal(u32),
    /// The value of an integer variable (an input), bounded by its
    /// `maximum`; the runtime checks it again before the first request.
    Variable {
        /// The variable's name.
        name: String,
        /// Its `maximum`.
        #[serde(skip_serializing_if = "Option::is_none")]
        maximum: Option<serde_json::Number>,
    },
}

/// Where a cursor's next token is read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
pub enum CursorSource {
    /// A path in the response body.
    Path(String),
    /// A path inside the page's last record.
    LastRecord(String),
}

/// What ends a run besides the kind's own end (no next token or link).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub struct StopPlan {
    /// Path of a boolean: the run goes on only while it is `true`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub more: Option<String>,
    /// Path of a boolean: `true` ends the run.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub done: Option<String>,
    /// Path of the total record count: the run ends once it is reached.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub total: Option<String>,
    /// A page with no records ends the run.
    pub empty_page: Sourced<bool>,
    /// A page with fewer records than the page size ends the run.
    pub short_page: Sourced<bool>,
}
