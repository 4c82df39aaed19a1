//! Context-aware encoding, end to end: a value never changes the shape of
//! the request that arrives.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{assert_no_secrets, call, connect, expect_err, form, header, query, received};
use patchbay_runtime::{Call, Error};
use serde_json::json;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SPEC: &str = r#"
[auth.k]
type = "api_key"
name = "X-API-Key"

[endpoints.search]
method = "GET"
url = "{{ base }}/search"
query = { q = "{{ q }}", fixed = "1" }

[endpoints.search.variables.q]
required = true

[endpoints.item]
method = "GET"
url = "{{ base }}/items/{{ id }}/detail"

[endpoints.item.variables.id]
required = true

[endpoints.noted]
method = "GET"
url = "{{ base }}/noted"
headers = { X-Note = "{{ note }}" }

[endpoints.noted.variables.note]
required = true

[endpoints.create]
method = "POST"
url = "{{ base }}/create"
body = { type = "json", content = { n = "{{ count }}", s = "n={{ count }}", q = "{{ q }}", flag = "{{ on }}", nested = { list = ["{{ count }}", "x"] } } }

[endpoints.create.variables.count]
type = "integer"
required = true

[endpoints.create.variables.q]
required = true

[endpoints.create.variables.on]
type = "boolean"
default = false

[endpoints.submit]
method = "POST"
url = "{{ base }}/submit"
body = { type = "form", content = { q = "{{ q }}", kind = "a b" } }

[endpoints.submit.variables.q]
required = true

[endpoints.send]
method = "POST"
url = "{{ base }}/send"
body = { type = "json", content = "{{ payload }}" }
direction = "send"
"#;

const KEY: &str = "api-key-secret";

async fn server() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    server
}

fn connection(server: &MockServer) -> patchbay_runtime::Connection {
    connect(server, SPEC, json!({ "api_key": KEY }))
}

#[tokio::test]
async fn a_query_value_stays_one_parameter() {
    let server = server().await;
    connection(&server)
        .call("search", &call(json!({ "q": "a&b=c" })))
        .await
        .unwrap();
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    let mut pairs = query(&requests[0]);
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("fixed".to_owned(), "1".to_owned()),
            ("q".to_owned(), "a&b=c".to_owned())
        ]
    );
}

#[tokio::test]
async fn a_value_is_never_evaluated_as_a_template() {
    let server = server().await;
    connection(&server)
        .call("search", &call(json!({ "q": "{{ api_key }}" })))
        .await
        .unwrap();
    let requests = received(&server).await;
    let q = query(&requests[0])
        .into_iter()
        .find(|(k, _)| k == "q")
        .unwrap()
        .1;
    assert_eq!(q, "{{ api_key }}");
}

#[tokio::test]
async fn a_path_value_stays_one_segment() {
    let server = server().await;
    connection(&server)
        .call("item", &call(json!({ "id": "../admin" })))
        .await
        .unwrap();
    connection(&server)
        .call("item", &call(json!({ "id": "a b/c?d#e" })))
        .await
        .unwrap();
    let requests = received(&server).await;
    assert_eq!(requests[0].url.path(), "/items/..%2Fadmin/detail");
    assert_eq!(requests[1].url.path(), "/items/a%20b%2Fc%3Fd%23e/detail");
    assert_eq!(requests[1].url.query(), None);
    assert_eq!(requests[1].url.fragment(), None);
}

#[tokio::test]
async fn a_dot_segment_value_is_refused_before_sending() {
    let server = server().await;
    for id in [".", ".."] {
        let error = expect_err(
            connection(&server)
                .call("item", &call(json!({ "id": id })))
                .await,
        );
        assert!(matches!(error, Error::Render { .. }), "{error:?}");
        assert!(error.to_string().contains("`id`"), "{error}");
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_url_value_with_a_query_or_fragment_cannot_move_the_path() {
    let server = server().await;
    for tail in ["?x=y#", "?x=y", "#frag"] {
        let base = format!("{}/api{tail}", server.uri());
        let connection = common::connect_to(&base, SPEC, json!({ "api_key": KEY }), common::fast());
        let call = call(json!({ "q": "x" }));
        for error in [
            connection.dry_run("search", &call).map(drop).unwrap_err(),
            expect_err(connection.call("search", &call).await),
        ] {
            assert!(matches!(error, Error::Render { .. }), "{error:?}");
            let message = error.to_string();
            assert!(message.contains("`base`"), "{message}");
            assert!(message.contains("query or fragment"), "{message}");
        }
    }
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_header_value_with_a_control_character_is_refused_in_dry_run_and_run() {
    let server = server().await;
    for note in ["a\0b", "a\u{7f}b", "a\u{1b}[31m"] {
        let call = call(json!({ "note": note }));
        let connection = connection(&server);
        for error in [
            connection.dry_run("noted", &call).map(drop).unwrap_err(),
            expect_err(connection.call("noted", &call).await),
        ] {
            match &error {
                Error::Render { what, message } => {
                    assert!(what.contains("X-Note"), "{what}");
                    assert!(message.contains("`note`"), "{message}");
                    assert!(message.contains("control character"), "{message}");
                }
                other => panic!("expected Error::Render, got {other:?}"),
            }
            assert_no_secrets(&error, &[KEY]);
        }
    }
    assert!(received(&server).await.is_empty());
    // A tab is allowed in a header value.
    connection(&server)
        .call("noted", &call(json!({ "note": "a\tb" })))
        .await
        .unwrap();
}

#[tokio::test]
async fn a_header_value_with_a_line_break_is_refused_before_sending() {
    let server = server().await;
    for note in ["a\r\nX-Injected: 1", "a\nb", "a\rb"] {
        let error = expect_err(
            connection(&server)
                .call("noted", &call(json!({ "note": note })))
                .await,
        );
        match &error {
            Error::Render { what, message } => {
                assert!(what.contains("X-Note"), "{what}");
                assert!(message.contains("line break"), "{message}");
            }
            other => panic!("expected Error::Render, got {other:?}"),
        }
        assert_no_secrets(&error, &[KEY]);
    }
    assert!(received(&server).await.is_empty());
    // A clean value goes through as written.
    connection(&server)
        .call("noted", &call(json!({ "note": "fine: yes" })))
        .await
        .unwrap();
    assert_eq!(
        header(&received(&server).await[0], "x-note"),
        Some("fine: yes")
    );
}

#[tokio::test]
async fn a_json_body_keeps_value_types() {
    let server = server().await;
    connection(&server)
        .call("create", &call(json!({ "count": 5, "q": "say \"hi\"\n" })))
        .await
        .unwrap();
    let requests = received(&server).await;
    assert_eq!(requests[0].method.as_str(), "POST");
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/json")
    );
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(
        body,
        json!({ "n": 5, "s": "n=5", "q": "say \"hi\"\n", "flag": false, "nested": { "list": [5, "x"] } })
    );
}

#[tokio::test]
async fn an_endpoint_variable_of_the_wrong_type_is_refused_before_sending() {
    let server = server().await;
    let error = expect_err(
        connection(&server)
            .call("create", &call(json!({ "count": "5", "q": "x" })))
            .await,
    );
    assert!(
        matches!(&error, Error::EndpointVariable { key, .. } if key == "count"),
        "{error:?}"
    );
    assert!(error.to_string().contains("integer"), "{error}");
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_missing_or_unknown_endpoint_variable_is_refused_before_sending() {
    let server = server().await;
    let error = expect_err(connection(&server).call("item", &Call::default()).await);
    assert!(
        matches!(&error, Error::EndpointVariable { key, .. } if key == "id"),
        "{error:?}"
    );
    let error = expect_err(
        connection(&server)
            .call("item", &call(json!({ "id": "1", "idd": "2" })))
            .await,
    );
    assert!(
        matches!(&error, Error::EndpointVariable { key, .. } if key == "idd"),
        "{error:?}"
    );
    assert!(error.to_string().contains("id"), "{error}");
    let error = expect_err(connection(&server).call("nope", &Call::default()).await);
    assert!(
        matches!(&error, Error::NotFound(m) if m.contains("nope") && m.contains("search")),
        "{error:?}"
    );
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn a_form_value_stays_one_field() {
    let server = server().await;
    connection(&server)
        .call("submit", &call(json!({ "q": "a&b=c+d" })))
        .await
        .unwrap();
    let requests = received(&server).await;
    assert_eq!(
        header(&requests[0], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(
        form(&requests[0]),
        [
            ("q".to_owned(), "a&b=c+d".to_owned()),
            ("kind".to_owned(), "a b".to_owned())
        ]
    );
}

#[tokio::test]
async fn the_payload_is_sent_as_the_body() {
    let server = server().await;
    let payload = json!({ "name": "Ann {{ api_key }}", "tags": [1, 2], "nested": { "ok": true } });
    let call = Call {
        payload: Some(payload.clone()),
        files: Default::default(),
        ..Call::default()
    };
    connection(&server).call("send", &call).await.unwrap();
    let requests = received(&server).await;
    let body: serde_json::Value = serde_json::from_slice(&requests[0].body).unwrap();
    assert_eq!(body, payload);
    assert_eq!(header(&requests[0], "x-api-key"), Some(KEY));
}

#[tokio::test]
async fn the_connector_url_is_inserted_as_is() {
    // A base URL with a path keeps it; a trailing slash does not double.
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/api/v2/search"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .expect(2)
        .mount(&server)
        .await;
    for base in [
        format!("{}/api/v2", server.uri()),
        format!("{}/api/v2/", server.uri()),
    ] {
        let connection = common::connect_to(&base, SPEC, json!({ "api_key": KEY }), common::fast());
        connection
            .call("search", &call(json!({ "q": "x" })))
            .await
            .unwrap();
    }
    server.verify().await;
}
