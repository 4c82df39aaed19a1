//! The committed JSON Schema is the one the types generate, and it does
//! what editors and other tools rely on.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use patchbay_schema::{CONNECTOR_SCHEMA, connector_schema};
use serde_json::{Value, json};

// Through `target/`: the build reads the committed file (the validator is
// generated from it), so a redirect straight into it would empty it first.
const REGENERATE: &str = "cargo run -p patchbay-cli -- schema > target/connector.schema.json && mv target/connector.schema.json schema/";

fn committed() -> Value {
    serde_json::from_str(CONNECTOR_SCHEMA).expect("the committed schema is JSON")
}

#[test]
fn committed_schema_is_current() {
    let generated = serde_json::to_string_pretty(&connector_schema()).unwrap() + "\n";
    assert!(
        generated == CONNECTOR_SCHEMA,
        "schema/connector.schema.json is stale; regenerate it with:\n    {REGENERATE}"
    );
}

fn schema_errors(instance: &Value) -> Vec<String> {
    let validator = jsonschema::validator_for(&committed()).unwrap();
    validator
        .iter_errors(instance)
        .map(|e| format!("{} at {}", e.masked(), e.instance_path()))
        .collect()
}

fn spec_with_auth(auth: Value) -> Value {
    json!({
        "format": 1,
        "connector": { "id": "x", "name": "X", "version": "1.0.0" },
        "auth": { "main": auth },
    })
}

#[test]
fn auth_methods_are_discriminated_by_type() {
    let without_authorize_url = spec_with_auth(json!({
        "type": "oauth2_authorization_code",
        "token_url": "https://example.com/token",
    }));
    assert!(!schema_errors(&without_authorize_url).is_empty());

    let complete = spec_with_auth(json!({
        "type": "oauth2_authorization_code",
        "authorize_url": "https://example.com/authorize",
        "token_url": "https://example.com/token",
    }));
    assert_eq!(schema_errors(&complete), Vec::<String>::new());

    // A field of another type is not allowed either.
    let mixed =
        spec_with_auth(json!({ "type": "basic", "token_url": "https://example.com/token" }));
    assert!(!schema_errors(&mixed).is_empty());

    let without_token_url = spec_with_auth(json!({ "type": "oauth2_client_credentials" }));
    assert!(!schema_errors(&without_token_url).is_empty());
}

#[test]
fn unknown_fields_fail_the_schema() {
    let misspelt = spec_with_auth(json!({
        "type": "oauth2_client_credentials",
        "token_url": "https://example.com/token",
        "token_refesh_endpoint": "https://example.com/refresh",
    }));
    assert!(!schema_errors(&misspelt).is_empty());
}

#[test]
fn optional_fields_are_never_null() {
    let text = CONNECTOR_SCHEMA;
    assert!(
        !text.contains("\"null\""),
        "the schema offers null somewhere"
    );
}
