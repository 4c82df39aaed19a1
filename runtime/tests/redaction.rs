//! Redaction of every form a secret takes: where patchbay puts it (dry
//! runs), and where a server echoes it (error excerpts).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{assert_no_secrets, connect, expect_err};
use patchbay_runtime::Call;
use serde_json::json;
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// An API key sent in the query and in a JSON body.
const SPEC: &str = r#"
[auth.k]
type = "api_key"
name = "key"
in = "query"

[endpoints.orders]
method = "POST"
url = "{{ base }}/orders"
body = { type = "json", content = { key = "{{ api_key }}" } }
"#;

fn dry_run(secret: &str) -> String {
    let server_uri = "http://127.0.0.1:9";
    let connection = common::connect_to(
        server_uri,
        SPEC,
        json!({ "api_key": secret }),
        common::fast(),
    );
    let redactor = connection.redactor();
    connection
        .dry_run("orders", &Call::default())
        .unwrap()
        .iter()
        .map(|request| request.to_curl(&redactor))
        .collect()
}

#[test]
fn a_short_secret_is_masked_where_patchbay_puts_it() {
    let shown = dry_run("k3y");
    assert!(!shown.contains("k3y"), "{shown}");
    assert!(shown.contains("key=********"), "{shown}");
}

#[test]
fn a_json_escaped_secret_is_masked() {
    let secret = r#"quote"back\slash-SENTINEL"#;
    let shown = dry_run(secret);
    let escaped = r#"quote\"back\\slash-SENTINEL"#;
    assert!(!shown.contains(escaped), "{shown}");
    assert!(!shown.contains("SENTINEL"), "{shown}");
}

#[tokio::test]
async fn an_error_excerpt_never_ends_inside_a_secret() {
    let secret = "echoed-SENTINEL-secret";
    let server = MockServer::start().await;
    // The secret straddles the 300th character of the body.
    let body = format!("{}{secret} and more", "x".repeat(290));
    Mock::given(any())
        .respond_with(ResponseTemplate::new(400).set_body_string(body))
        .mount(&server)
        .await;
    let connection = connect(&server, SPEC, json!({ "api_key": secret }));
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(!error.to_string().contains("echoed-SEN"), "{error}");
    assert_no_secrets(&error, &[secret]);
}

#[tokio::test]
async fn an_echoed_basic_credential_is_masked() {
    let spec = r#"
[auth.b]
type = "basic"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;
    let server = MockServer::start().await;
    let credential = {
        use base64::Engine;
        base64::engine::general_purpose::STANDARD.encode("ann:basic-SENTINEL")
    };
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(401)
                .set_body_string(format!("bad credential Basic {credential}")),
        )
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        spec,
        json!({ "username": "ann", "password": "basic-SENTINEL" }),
    );
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(!error.to_string().contains(&credential), "{error}");
}

#[test]
fn secrets_shorter_than_eight_bytes_are_reported_as_weak() {
    let connector = common::connector(SPEC);
    let bind = |secret: &str| {
        common::instance(
            &connector,
            "http://127.0.0.1:9",
            json!({ "api_key": secret }),
        )
        .unwrap()
    };
    assert_eq!(
        bind("k3y-sev").weak_secrets().collect::<Vec<_>>(),
        ["api_key"]
    );
    assert_eq!(bind("k3y-eight").weak_secrets().count(), 0);
}
