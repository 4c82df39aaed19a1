//! Zoho's multi-DC authorization
//! (https://www.zoho.com/accounts/protocol/oauth/multi-dc/client-authorization.html):
//! the callback names the user's accounts server in `accounts-server`,
//! checked against the fixture's allow-list before the code is exchanged
//! there; revocation is `POST {accounts-server}/oauth/v2/token/revoke?
//! token=…` (https://www.zoho.com/accounts/protocol/oauth/web-apps/revoke-token.html).

use patchbay_runtime::{Connector, Error, Logout};
use patchbay_schema::SourceFile;
use serde_json::json;
use wiremock::matchers::{method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::expect_err;
use crate::fixture;

const REDIRECT: &str = "http://127.0.0.1:8765/callback";

fn values() -> serde_json::Value {
    json!({ "client_id": "1000.CLIENT", "client_secret": "zoho-client-secret-1" })
}

/// The fixture with its allow-list widened to loopback servers, so that a
/// wiremock server can stand for an accounts server; nothing else changes.
fn loopback_connector() -> Connector {
    let path = format!(
        "{}/../fixtures/connectors/zoho-crm.toml",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read_to_string(&path).unwrap();
    let pattern = r#"pattern = "^https://accounts\\.(zoho\\.(com|eu|in|com\\.au|jp|com\\.cn|sa)|zohocloud\\.ca)$""#;
    assert!(text.contains(pattern), "the fixture's allow-list changed");
    let text = text.replace(pattern, r#"pattern = "^http://127\\.0\\.0\\.1:[0-9]+$""#);
    let compiled = patchbay_compiler::compile_source(&SourceFile::new(path, text)).unwrap();
    Connector::new(compiled.plan)
}

#[tokio::test]
async fn a_forged_accounts_server_is_refused_before_the_code_is_exchanged() {
    let server = MockServer::start().await;
    let connector = fixture::connector("zoho-crm", "https://accounts.zoho.com", &server.uri());
    let connection = fixture::connection(&connector, "oauth", values());
    for forged in [
        "https://accounts.zoho.evil.example",
        "https://accounts.zoho.eu.evil.example",
        "https://evil.example/?https://accounts.zoho.eu",
    ] {
        let (_, pending) = connection.start_login(REDIRECT).unwrap();
        let state: String =
            url::form_urlencoded::byte_serialize(pending.state.as_bytes()).collect();
        let forged_param: String =
            url::form_urlencoded::byte_serialize(forged.as_bytes()).collect();
        let callback =
            format!("code=1000.code&state={state}&location=eu&accounts-server={forged_param}");
        let error = expect_err(connection.complete_login(pending, &callback).await);
        assert!(matches!(error, Error::Callback(_)), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("`accounts-server`"), "{message}");
        assert!(!message.contains("evil"), "{message}");
    }
    assert!(server.received_requests().await.unwrap().is_empty());
}

#[tokio::test]
async fn logout_revokes_the_refresh_token_at_the_stored_accounts_server() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth/v2/token/revoke"))
        .and(query_param("token", "refresh"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "status": "success" })))
        .expect(1)
        .mount(&server)
        .await;
    let connection = fixture::logged_in(
        &loopback_connector(),
        "oauth",
        values(),
        "1000.access",
        json!({ "accounts_server": server.uri(), "api_domain": server.uri() }),
    );
    assert!(matches!(
        connection.logout().await.unwrap(),
        Logout::Revoked
    ));
    let requests = server.received_requests().await.unwrap();
    let body = String::from_utf8_lossy(&requests[0].body).into_owned();
    // Not RFC 7009: no client credentials, no form fields.
    assert!(body.is_empty(), "{body}");
}

#[tokio::test]
async fn a_stored_accounts_server_outside_the_allow_list_is_not_used() {
    let server = MockServer::start().await;
    let connector = fixture::connector("zoho-crm", "https://accounts.zoho.com", &server.uri());
    // A store someone wrote to by hand: refused like a forged callback.
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        values(),
        "1000.access",
        json!({ "accounts_server": server.uri(), "api_domain": server.uri() }),
    );
    let error = expect_err(connection.logout().await);
    assert!(matches!(error, Error::Callback(_)), "{error:?}");
    assert!(server.received_requests().await.unwrap().is_empty());
}
