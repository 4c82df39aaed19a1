//! Transport guards: plain http only to loopback, the egress guard, and
//! credentials that stay with their origin.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{
    CLIENT_CREDENTIALS_ORDERS, assert_no_secrets, connect, connect_to, connect_with, expect_err,
    fast, header, received,
};
use patchbay_runtime::{Call, Error, Options};
use serde_json::json;
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "guarded-key-123";

const SPEC: &str = r#"
[auth.k]
type = "api_key"
name = "X-API-Key"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

fn guarded() -> Options {
    Options {
        egress_guard: true,
        ..fast()
    }
}

async fn answering() -> MockServer {
    let server = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "at" })))
        .mount(&server)
        .await;
    server
}

#[tokio::test]
async fn the_egress_guard_blocks_loopback_addresses() {
    let server = answering().await;
    let connection = connect_with(&server, SPEC, json!({ "api_key": KEY }), guarded());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    match &error {
        Error::EgressBlocked { host, address } => {
            assert_eq!(host, "127.0.0.1");
            assert_eq!(address, "127.0.0.1");
        }
        other => panic!("expected Error::EgressBlocked, got {other:?}"),
    }
    assert!(error.to_string().contains("egress guard"), "{error}");
    assert_no_secrets(&error, &[KEY]);
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn the_egress_guard_checks_resolved_names() {
    // `localhost` is a name: the guard checks what it resolves to.
    let server = answering().await;
    let base = format!("http://localhost:{}", server.address().port());
    let connection = connect_to(&base, SPEC, json!({ "api_key": KEY }), guarded());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(
        matches!(&error, Error::EgressBlocked { host, .. } if host == "localhost"),
        "{error:?}"
    );
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn the_egress_guard_blocks_token_requests() {
    let server = answering().await;
    let secret = "cc-secret-456";
    let connection = connect_with(
        &server,
        CLIENT_CREDENTIALS_ORDERS,
        json!({ "client_id": "id", "client_secret": secret, "scope": "" }),
        guarded(),
    );
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(matches!(error, Error::EgressBlocked { .. }), "{error:?}");
    assert_no_secrets(&error, &[secret]);
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn without_the_guard_loopback_is_reachable() {
    let server = answering().await;
    let connection = connect(&server, SPEC, json!({ "api_key": KEY }));
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn plain_http_to_a_remote_host_is_refused() {
    // Never contacted: refused before any lookup.
    let connection = connect_to(
        "http://example.invalid/x",
        SPEC,
        json!({ "api_key": KEY }),
        fast(),
    );
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(
        matches!(&error, Error::InsecureUrl { host } if host == "example.invalid"),
        "{error:?}"
    );
    assert!(error.to_string().contains("https"), "{error}");
    assert_no_secrets(&error, &[KEY]);
}

#[tokio::test]
async fn plain_http_token_requests_to_a_remote_host_are_refused() {
    let secret = "cc-secret-789";
    let connection = connect_to(
        "http://example.invalid",
        CLIENT_CREDENTIALS_ORDERS,
        json!({ "client_id": "id", "client_secret": secret, "scope": "" }),
        fast(),
    );
    let error = expect_err(connection.token().await);
    assert!(
        matches!(&error, Error::InsecureUrl { host } if host == "example.invalid"),
        "{error:?}"
    );
    assert_no_secrets(&error, &[secret]);
}

#[tokio::test]
async fn a_redirect_to_plain_http_on_a_remote_host_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(
            ResponseTemplate::new(302).insert_header("Location", "http://example.invalid/steal"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(&server, SPEC, json!({ "api_key": KEY }));
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(error.to_string().contains("plain http"), "{error}");
    assert_no_secrets(&error, &[KEY]);
    server.verify().await;
}

#[tokio::test]
async fn redirects_within_loopback_are_followed() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(301).insert_header("Location", "/v2/orders"))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([1])))
        .mount(&server)
        .await;
    let connection = connect(&server, SPEC, json!({ "api_key": KEY }));
    let response = connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(response.json().unwrap(), json!([1]));
    assert_eq!(response.url.path(), "/v2/orders");
}

#[tokio::test]

async fn a_next_url_to_another_origin_does_not_get_the_credential() {
    let api = MockServer::start().await;
    let other = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": [1], "next": format!("{}/collect", other.uri()) })),
        )
        .mount(&api)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [2] })))
        .mount(&other)
        .await;
    let spec = format!(
        "{SPEC}response = {{ records = \"/data\" }}\npagination = {{ type = \"next_url\", path = \"/next\" }}\n"
    );
    let connection = connect(&api, &spec, json!({ "api_key": KEY }));
    let mut pages = connection.pages("orders", Call::default()).unwrap();
    while let Some(page) = pages.next().await {
        // Refusing the foreign page is fine; sending the key there is not.
        if page.is_err() {
            break;
        }
    }
    for request in received(&other).await {
        assert_eq!(
            header(&request, "x-api-key"),
            None,
            "the API key went to another origin"
        );
    }
}

/// A server that redirects `/orders` to `other`'s `/landing`.
async fn redirecting_to(other: &MockServer) -> MockServer {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(
            ResponseTemplate::new(302)
                .insert_header("Location", format!("{}/landing", other.uri()).as_str()),
        )
        .mount(&api)
        .await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(other)
        .await;
    api
}

#[tokio::test]
async fn a_cross_origin_redirect_drops_the_authorization_header() {
    let other = MockServer::start().await;
    let api = redirecting_to(&other).await;
    let spec = "[auth.t]\ntype = \"bearer\"\n\n[endpoints.orders]\nurl = \"{{ base }}/orders\"\n";
    let connection = connect(&api, spec, json!({ "token": "bearer-secret" }));
    connection.call("orders", &Call::default()).await.unwrap();
    let landed = received(&other).await;
    assert_eq!(landed.len(), 1);
    assert_eq!(header(&landed[0], "authorization"), None);
    assert_eq!(
        header(&received(&api).await[0], "authorization"),
        Some("Bearer bearer-secret")
    );
}

#[tokio::test]

async fn a_cross_origin_redirect_drops_a_custom_credential_header() {
    let other = MockServer::start().await;
    let api = redirecting_to(&other).await;
    let connection = connect(&api, SPEC, json!({ "api_key": KEY }));
    // Refusing the redirect is fine; forwarding the key is not.
    let _ = connection.call("orders", &Call::default()).await;
    assert_eq!(header(&received(&api).await[0], "x-api-key"), Some(KEY));
    for request in received(&other).await {
        assert_eq!(
            header(&request, "x-api-key"),
            None,
            "the API key went to another origin"
        );
    }
}

const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// A server that answers every request with `status` to `other`'s
/// `/landing`, and `other`, which answers anything (a token too).
async fn redirecting_all(status: u16) -> (MockServer, MockServer) {
    let api = MockServer::start().await;
    let other = answering().await;
    Mock::given(any())
        .respond_with(
            ResponseTemplate::new(status)
                .insert_header("Location", format!("{}/landing", other.uri()).as_str()),
        )
        .mount(&api)
        .await;
    (api, other)
}

/// The refusal names both origins, and nothing reached the other one.
async fn assert_refused(error: &Error, api: &MockServer, other: &MockServer, secrets: &[&str]) {
    let text = error.to_string();
    assert!(
        text.contains(&api.uri()) && text.contains(&other.uri()),
        "the error must name both origins: {text}"
    );
    assert_no_secrets(error, secrets);
    assert!(
        received(other).await.is_empty(),
        "a request went to the other origin"
    );
}

#[tokio::test]
async fn a_token_request_never_follows_a_redirect_to_another_origin() {
    for status in REDIRECT_STATUSES {
        let (api, other) = redirecting_all(status).await;
        let connection = connect(
            &api,
            CLIENT_CREDENTIALS_ORDERS,
            json!({ "client_id": "cid", "client_secret": "cc-secret-redirect" }),
        );
        let error = expect_err(connection.call("orders", &Call::default()).await);
        assert_refused(&error, &api, &other, &["cc-secret-redirect"]).await;
    }
}

/// Token requests whose credential is a signed assertion: a client
/// authenticated by `private_key_jwt` or `client_secret_jwt`, and the JWT
/// bearer grant. Neither the key nor the assertion may leave the origin.
#[tokio::test]
async fn an_assertion_authenticated_token_request_never_follows_a_redirect_to_another_origin() {
    let key = std::fs::read_to_string(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/ec.pem"),
    )
    .unwrap();
    let with = |setting: &str| {
        CLIENT_CREDENTIALS_ORDERS.replace(
            "token_url = \"{{ base }}/token\"",
            &format!("token_url = \"{{{{ base }}}}/token\"\n{setting}"),
        )
    };
    let cases = [
        (
            with("client_auth = \"private_key_jwt\"\nclient_assertion = { algorithm = \"ES256\" }"),
            json!({ "client_id": "cid", "private_key": key }),
        ),
        (
            with("client_auth = \"client_secret_jwt\""),
            json!({ "client_id": "cid", "client_secret": "hs256-secret-redirect" }),
        ),
        (
            CLIENT_CREDENTIALS_ORDERS
                .replace("oauth2_client_credentials", "oauth2_jwt_bearer")
                .replace(
                    "token_url = \"{{ base }}/token\"",
                    "token_url = \"{{ base }}/token\"\nassertion = { algorithm = \"ES256\" }",
                ),
            json!({ "issuer": "svc@example.com", "private_key": key }),
        ),
    ];
    for status in REDIRECT_STATUSES {
        for (spec, values) in &cases {
            let (api, other) = redirecting_all(status).await;
            let connection = connect(&api, spec, values.clone());
            let error = expect_err(connection.call("orders", &Call::default()).await);
            let mut secrets: Vec<&str> = key.lines().filter(|l| !l.starts_with("-----")).collect();
            secrets.extend(["hs256-secret-redirect", "eyJhbGci"]);
            assert_refused(&error, &api, &other, &secrets).await;
        }
    }
}

const SESSION_LOGIN: &str = r#"
[auth.session]
type = "token_request"
use = ["base"]

[auth.session.variables.password]
type = "secret"
required = true

[auth.session.token_request]
url = "{{ base }}/login"
body = { type = "json", content = { password = "{{ password }}" } }

[auth.session.token_response]
access_token = "/access_token"

[auth.session.apply]
headers = { X-Session = "{{ access_token }}" }

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

#[tokio::test]
async fn a_session_login_never_follows_a_redirect_to_another_origin() {
    for status in REDIRECT_STATUSES {
        let (api, other) = redirecting_all(status).await;
        let connection = connect(
            &api,
            SESSION_LOGIN,
            json!({ "password": "login-secret-redirect" }),
        );
        let error = expect_err(connection.call("orders", &Call::default()).await);
        assert_refused(&error, &api, &other, &["login-secret-redirect"]).await;
    }
}

#[tokio::test]
async fn an_endpoint_request_follows_to_another_origin_without_its_credential() {
    let spec = "[auth.t]\ntype = \"bearer\"\n\n[endpoints.orders]\nurl = \"{{ base }}/orders\"\n";
    for status in REDIRECT_STATUSES {
        let (api, other) = redirecting_all(status).await;
        let connection = connect(&api, spec, json!({ "token": "bearer-secret" }));
        connection.call("orders", &Call::default()).await.unwrap();
        let landed = received(&other).await;
        assert_eq!(landed.len(), 1, "HTTP {status}");
        assert_eq!(header(&landed[0], "authorization"), None, "HTTP {status}");
    }
}

#[tokio::test]
async fn an_endpoint_body_is_never_sent_to_another_origin() {
    let spec = SPEC.replace(
        "method = \"GET\"",
        "method = \"POST\"\nbody = { type = \"json\", content = { key = \"{{ api_key }}\" } }",
    );
    for status in REDIRECT_STATUSES {
        let (api, other) = redirecting_all(status).await;
        let connection = connect(&api, &spec, json!({ "api_key": KEY }));
        let outcome = connection.call("orders", &Call::default()).await;
        if matches!(status, 307 | 308) {
            // These keep the method and body: refused.
            assert_refused(&expect_err(outcome), &api, &other, &[KEY]).await;
        } else {
            // These become a GET without a body, as browsers do.
            outcome.unwrap();
            let landed = received(&other).await;
            assert_eq!(landed.len(), 1, "HTTP {status}");
            assert_eq!(landed[0].method.as_str(), "GET", "HTTP {status}");
            assert!(landed[0].body.is_empty(), "HTTP {status}");
            assert_eq!(header(&landed[0], "x-api-key"), None, "HTTP {status}");
        }
    }
}

const OAUTH1_ORDERS: &str = r#"
[auth.signed]
type = "oauth1"
signature_method = "HMAC-SHA256"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

fn oauth1_values() -> serde_json::Value {
    json!({
        "consumer_key": "redirect-consumer",
        "consumer_secret": "oauth1-consumer-secret-redirect",
        "token": "oauth1-token-redirect",
        "token_secret": "oauth1-token-secret-redirect",
    })
}

#[tokio::test]
async fn a_signed_request_follows_to_another_origin_without_its_signature() {
    for status in REDIRECT_STATUSES {
        let (api, other) = redirecting_all(status).await;
        let connection = connect(&api, OAUTH1_ORDERS, oauth1_values());
        connection.call("orders", &Call::default()).await.unwrap();
        let signed = header(&received(&api).await[0], "authorization")
            .unwrap_or_default()
            .to_owned();
        assert!(
            signed.starts_with("OAuth oauth_consumer_key=\"redirect-consumer\""),
            "HTTP {status}: {signed}"
        );
        let landed = received(&other).await;
        assert_eq!(landed.len(), 1, "HTTP {status}");
        assert_eq!(header(&landed[0], "authorization"), None, "HTTP {status}");
    }
}

#[tokio::test]
async fn a_signed_form_body_is_never_sent_to_another_origin() {
    let spec = OAUTH1_ORDERS.replace(
        "method = \"GET\"",
        "method = \"POST\"\nbody = { type = \"form\", content = { note = \"x\" } }",
    );
    for status in [307, 308] {
        let (api, other) = redirecting_all(status).await;
        let connection = connect(&api, &spec, oauth1_values());
        let error = expect_err(connection.call("orders", &Call::default()).await);
        assert_refused(
            &error,
            &api,
            &other,
            &[
                "oauth1-consumer-secret-redirect",
                "oauth1-token-secret-redirect",
            ],
        )
        .await;
    }
}

#[tokio::test]
async fn a_same_origin_redirect_is_signed_again_for_its_own_url() {
    let api = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(307).insert_header("Location", "/v2/orders?page=2"))
        .mount(&api)
        .await;
    Mock::given(method("GET"))
        .and(path("/v2/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&api)
        .await;
    let connection = connect(&api, OAUTH1_ORDERS, oauth1_values());
    connection.call("orders", &Call::default()).await.unwrap();
    let requests = received(&api).await;
    assert_eq!(requests.len(), 2);
    let signature = |request: &wiremock::Request| {
        let header = header(request, "authorization")
            .unwrap_or_default()
            .to_owned();
        let nonce = header
            .split("oauth_nonce=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .unwrap_or_default()
            .to_owned();
        (header, nonce)
    };
    let (first, first_nonce) = signature(&requests[0]);
    let (second, second_nonce) = signature(&requests[1]);
    assert!(
        first.starts_with("OAuth ") && second.starts_with("OAuth "),
        "{first} / {second}"
    );
    assert_ne!(
        first_nonce, second_nonce,
        "a redirect is a new request with a new nonce"
    );
}
