//! Pieces every request is made of, auth and endpoint alike: the HTTP
//! method, query/header/form entries and the body.

use std::borrow::Cow;

use indexmap::IndexMap;
use schemars::{JsonSchema, Schema, SchemaGenerator, json_schema};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// HTTP request method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "UPPERCASE")]
// Each variant is the value written in a spec; a doc comment per variant
// would turn the schema's plain `enum` into a `oneOf` of constants.
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
    /// `multipart/form-data` (RFC 7578), endpoints only: text parts are
    /// templates; a file part's bytes come from the caller (a library
    /// call's files, the CLI's `--file NAME=PATH`), never from a path in
    /// a spec or instance.
    Multipart {
        /// Part name → a template (a text part) or `{ type = "file" }`, in
        /// the order sent.
        #[serde(default)]
        parts: IndexMap<String, Part>,
    },
    /// The whole body is a file's bytes, passed by the caller under
    /// `name` (endpoints only), as APIs that upload a file as the body
    /// want (Dropbox).
    File {
        /// The name the caller passes the file by (`--file NAME=PATH`).
        name: String,
        /// `Content-Type` of the body (a template); default: the caller's,
        /// else `application/octet-stream`.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        content_type: Option<String>,
    },
}

/// A part of a `multipart/form-data` body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum Part {
    /// A text part: a template.
    Text(String),
    /// A file part: bytes the caller passes under the part's name.
    File(FilePart),
}

/// A file part: the caller passes its bytes (and, usually, a filename and
/// a content type) under the part's name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FilePart {
    /// Always `file`.
    #[serde(rename = "type")]
    pub kind: FilePartType,
    /// Template of the filename sent; default: the caller's (the CLI: the
    /// file's own name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub filename: Option<String>,
    /// Content type of the part; default: the caller's, else
    /// `application/octet-stream`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Whether a call must pass it (default `true`); an optional file part
    /// the caller does not pass is left out.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub required: Option<bool>,
}

/// The tag of a file part.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "snake_case")]
#[allow(missing_docs)]
pub enum FilePartType {
    File,
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

/// Fields that replace an endpoint's own for some of its requests: the
/// pagination's `next` (every page after the first). Each field given
/// replaces the endpoint's whole field; a field not given is inherited.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RequestOverride {
    /// HTTP method.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub method: Option<HttpMethod>,
    /// Template of the full URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// Query parameters: name → template (replace the endpoint's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub query: Option<IndexMap<String, Entry>>,
    /// Headers: name → template (replace the endpoint's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub headers: Option<IndexMap<String, Entry>>,
    /// Request body (replaces the endpoint's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub body: Option<Body>,
}
