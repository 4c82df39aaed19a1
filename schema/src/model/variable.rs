//! Variables: the values an instance (or, for endpoint variables, a call)
//! supplies, and their types.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

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
    /// Smallest value of an `integer` or `number` variable (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub minimum: Option<serde_json::Number>,
    /// Largest value of an `integer` or `number` variable (inclusive).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub maximum: Option<serde_json::Number>,
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
