//! The shapes of the requests each auth type sends: how the credential is
//! attached to endpoint requests, and what token requests look like.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{basic, connect, expect_err, form, header, query, received, received_at};
use patchbay_runtime::{Call, Error};
use serde_json::json;
use wiremock::matchers::{body_json, header as header_is, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

const ORDERS: &str = r#"
[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

async fn orders_ok(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "id": 1 }])))
        .mount(server)
        .await;
}

#[tokio::test]
async fn none_sends_no_credential() {
    let server = MockServer::start().await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("[auth.open]\ntype = \"none\"\n{ORDERS}"),
        json!({}),
    );
    let response = connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.json().unwrap(), json!([{ "id": 1 }]));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].method.as_str(), "GET");
    assert_eq!(header(&requests[0], "authorization"), None);
    assert_eq!(requests[0].url.query(), None);
}

#[tokio::test]
async fn basic_sends_username_and_password() {
    let server = MockServer::start().await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("[auth.b]\ntype = \"basic\"\n{ORDERS}"),
        json!({ "username": "ann", "password": "p@ss:wörd" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(
        header(&requests[0], "authorization"),
        Some(basic("ann:p@ss:wörd").as_str())
    );
}

#[tokio::test]
async fn api_key_in_a_header_with_a_prefix() {
    let server = MockServer::start().await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!(
            "[auth.k]\ntype = \"api_key\"\nname = \"X-API-Key\"\nprefix = \"Token \"\n{ORDERS}"
        ),
        json!({ "api_key": "k-123" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert_eq!(header(&requests[0], "x-api-key"), Some("Token k-123"));
    assert_eq!(header(&requests[0], "authorization"), None);
    assert_eq!(requests[0].url.query(), None);
}

#[tokio::test]
async fn api_key_in_the_query() {
    let server = MockServer::start().await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("[auth.k]\ntype = \"api_key\"\nin = \"query\"\nname = \"api_token\"\n{ORDERS}"),
        json!({ "api_key": "k&1=2" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    // One parameter, its value encoded whole.
    assert_eq!(
        query(&requests[0]),
        [("api_token".to_owned(), "k&1=2".to_owned())]
    );
    assert_eq!(header(&requests[0], "authorization"), None);
}

#[tokio::test]
async fn bearer_sends_the_token() {
    let server = MockServer::start().await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("[auth.t]\ntype = \"bearer\"\n{ORDERS}"),
        json!({ "token": "tok-9" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let requests = received(&server).await;
    assert_eq!(header(&requests[0], "authorization"), Some("Bearer tok-9"));
}

const SESSION: &str = r#"
[auth.session]
type = "token_request"
use = ["base"]

[auth.session.variables.username]
required = true

[auth.session.variables.password]
type = "secret"
required = true

[auth.session.token_request]
url = "{{ base }}/login"
body = { type = "json", content = { username = "{{ username }}", password = "{{ password }}" } }

[auth.session.token_response]
access_token = "/data/session/token"

[auth.session.apply]
headers = { X-Session = "{{ access_token }}" }
"#;

#[tokio::test]
async fn token_request_logs_in_and_applies_the_session_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .and(header_is("content-type", "application/json"))
        .and(body_json(json!({ "username": "ann", "password": "pw\"1" })))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": { "session": { "token": "sess-1" } } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(header_is("x-session", "sess-1"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &format!("{SESSION}{ORDERS}"),
        json!({ "username": "ann", "password": "pw\"1" }),
    );
    let response = connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    let endpoint = &received_at(&server, "/orders").await[0];
    // The session token goes only where `apply` says.
    assert_eq!(header(endpoint, "authorization"), None);
    server.verify().await;
}

#[tokio::test]
async fn token_request_without_a_token_at_the_path_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/login"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": { "other": "x" } })))
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &format!("{SESSION}{ORDERS}"),
        json!({ "username": "ann", "password": "hunter22" }),
    );
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(matches!(error, Error::TokenResponse(_)), "{error:?}");
    assert!(error.to_string().contains("/data/session/token"), "{error}");
    common::assert_no_secrets(&error, &["hunter22"]);
    assert!(received_at(&server, "/orders").await.is_empty());
}

const CLIENT_CREDENTIALS: &str = r#"
[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"
"#;

async fn token_ok(server: &MockServer, token: &str) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "access_token": token, "token_type": "Bearer", "expires_in": 3600 }),
        ))
        .mount(server)
        .await;
}

#[tokio::test]
async fn client_credentials_in_the_body() {
    let server = MockServer::start().await;
    token_ok(&server, "at-1").await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("{CLIENT_CREDENTIALS}{ORDERS}"),
        json!({ "client_id": "my client", "client_secret": "s3cr+t:%/x", "scope": "read write" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let token = &received_at(&server, "/token").await[0];
    assert_eq!(token.method.as_str(), "POST");
    assert_eq!(
        header(token, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    assert_eq!(header(token, "authorization"), None);
    let mut fields = form(token);
    fields.sort();
    let expected = [
        ("client_id", "my client"),
        ("client_secret", "s3cr+t:%/x"),
        ("grant_type", "client_credentials"),
        ("scope", "read write"),
    ];
    assert_eq!(fields, expected.map(|(k, v)| (k.to_owned(), v.to_owned())));
    let endpoint = &received_at(&server, "/orders").await[0];
    assert_eq!(header(endpoint, "authorization"), Some("Bearer at-1"));
}

#[tokio::test]
async fn client_credentials_omit_an_empty_scope() {
    let server = MockServer::start().await;
    token_ok(&server, "at-1").await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("{CLIENT_CREDENTIALS}{ORDERS}"),
        json!({ "client_id": "id", "client_secret": "sec", "scope": "" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let token = &received_at(&server, "/token").await[0];
    let names: Vec<String> = form(token).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["grant_type", "client_id", "client_secret"]);
}

#[tokio::test]

async fn client_credentials_without_a_scope_value() {
    // `scope` is optional: an instance that gives none sends none.
    let server = MockServer::start().await;
    token_ok(&server, "at-1").await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("{CLIENT_CREDENTIALS}{ORDERS}"),
        json!({ "client_id": "id", "client_secret": "sec" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let token = &received_at(&server, "/token").await[0];
    let names: Vec<String> = form(token).into_iter().map(|(k, _)| k).collect();
    assert_eq!(names, ["grant_type", "client_id", "client_secret"]);
}

#[tokio::test]
async fn client_credentials_with_basic_client_authentication() {
    let server = MockServer::start().await;
    token_ok(&server, "at-2").await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("{CLIENT_CREDENTIALS}client_auth = \"basic\"\n{ORDERS}"),
        json!({ "client_id": "my client", "client_secret": "s3cr+t:%/x", "scope": "read" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let token = &received_at(&server, "/token").await[0];
    // RFC 6749 §2.3.1: id and secret form-encoded, then joined.
    assert_eq!(
        header(token, "authorization"),
        Some(basic("my+client:s3cr%2Bt%3A%25%2Fx").as_str())
    );
    assert_eq!(
        header(token, "authorization"),
        Some("Basic bXkrY2xpZW50OnMzY3IlMkJ0JTNBJTI1JTJGeA==")
    );
    let mut fields = form(token);
    fields.sort();
    assert_eq!(
        fields,
        [
            ("grant_type".to_owned(), "client_credentials".to_owned()),
            ("scope".to_owned(), "read".to_owned())
        ]
    );
    let endpoint = &received_at(&server, "/orders").await[0];
    assert_eq!(header(endpoint, "authorization"), Some("Bearer at-2"));
}

#[tokio::test]
async fn client_credentials_with_raw_basic_encoding() {
    let server = MockServer::start().await;
    token_ok(&server, "at-3").await;
    orders_ok(&server).await;
    let connection = connect(
        &server,
        &format!("{CLIENT_CREDENTIALS}client_auth = \"basic\"\nbasic_encoding = \"raw\"\n{ORDERS}"),
        json!({ "client_id": "my client", "client_secret": "s3cr+t:%/x", "scope": "" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let token = &received_at(&server, "/token").await[0];
    assert_eq!(
        header(token, "authorization"),
        Some(basic("my client:s3cr+t:%/x").as_str())
    );
    assert_eq!(
        form(token),
        [("grant_type".to_owned(), "client_credentials".to_owned())]
    );
    let endpoint = &received_at(&server, "/orders").await[0];
    assert_eq!(header(endpoint, "authorization"), Some("Bearer at-3"));
}

#[tokio::test]
async fn the_token_request_goes_before_the_endpoint_request() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "at-4" })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(header_is("authorization", "Bearer at-4"))
        .and(query_param("status", "open"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &format!(
            "{CLIENT_CREDENTIALS}\n[endpoints.orders]\nurl = \"{{{{ base }}}}/orders\"\nquery = {{ status = \"open\" }}\n"
        ),
        json!({ "client_id": "id", "client_secret": "sec", "scope": "" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let paths: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/token", "/orders"]);
    server.verify().await;
}
