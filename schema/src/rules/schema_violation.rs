//! PB002: a value or shape does not match the connector schema. Reported
//! by [`crate::validate`], which turns each JSON Schema error into one
//! diagnostic.

declare_rule!(
    "PB002",
    "schema-violation",
    Error,
    "A value has the wrong type, a required field is missing, or a value is outside its allowed set."
);
