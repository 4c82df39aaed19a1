//! The signed assertions of the fixtures, as their providers document them:
//! Salesforce's OAuth 2.0 JWT bearer flow
//! (https://help.salesforce.com/s/articleView?id=sf.remoteaccess_oauth_jwt_flow.htm:
//! iss the consumer key, sub the username, aud the login host, at most
//! three minutes) and Okta's service app with `private_key_jwt`
//! (https://developer.okta.com/docs/guides/implement-oauth-for-okta-serviceapp/main/:
//! iss = sub = the client id, aud the token endpoint, `kid` of the app's
//! key). Signatures are verified by the interop tests (jwt_bearer.rs, and
//! oidc-provider in the CLI's); here, what each assertion says.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use patchbay_runtime::Call;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{form, received_at};
use crate::fixture;

fn test_key(file: &str) -> String {
    std::fs::read_to_string(format!("{}/tests/keys/{file}", env!("CARGO_MANIFEST_DIR"))).unwrap()
}

/// The header and claims of a JWT.
fn decoded(jwt: &str) -> (Value, Value) {
    let parts: Vec<&str> = jwt.split('.').collect();
    assert_eq!(parts.len(), 3, "{jwt}");
    let part = |i: usize| -> Value {
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(parts[i]).unwrap()).unwrap()
    };
    (part(0), part(1))
}

fn field<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    fields
        .iter()
        .find(|(n, _)| n == name)
        .map(|(_, v)| v.as_str())
        .unwrap_or_else(|| panic!("no form field {name}"))
}

#[tokio::test]
async fn salesforce_jwt_bearer_asserts_the_user_to_the_login_host() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/services/oauth2/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "00D-session-token",
            "instance_url": server.uri(),
            "token_type": "Bearer",
        })))
        .mount(&server)
        .await;
    Mock::given(path("/services/data/v61.0/"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "sobjects": "/sobjects" })))
        .mount(&server)
        .await;
    let connector = fixture::connector("salesforce", "https://login.salesforce.com", &server.uri());
    let connection = fixture::connection(
        &connector,
        "jwt_bearer",
        json!({
            "issuer": "3MVG9-consumer-key",
            "subject": "integration@example.com",
            "private_key": test_key("rsa.pem"),
        }),
    );
    connection
        .call("list_resources", &Call::default())
        .await
        .unwrap();
    let token = received_at(&server, "/services/oauth2/token").await;
    let fields = form(&token[0]);
    assert_eq!(
        field(&fields, "grant_type"),
        "urn:ietf:params:oauth:grant-type:jwt-bearer"
    );
    let (header, claims) = decoded(field(&fields, "assertion"));
    assert_eq!(header["alg"], "RS256");
    assert_eq!(claims["iss"], "3MVG9-consumer-key");
    assert_eq!(claims["sub"], "integration@example.com");
    assert_eq!(
        claims["aud"],
        server.uri(),
        "the login host, not the token URL"
    );
    assert!(
        claims.get("scope").is_none(),
        "Salesforce takes no scope claim"
    );
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert_eq!(lifetime, 180, "within Salesforce's three minutes");
}

#[tokio::test]
async fn okta_service_app_authenticates_with_a_private_key_jwt() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/oauth2/v1/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": "okta-scoped-token",
            "token_type": "Bearer",
            "expires_in": 3600,
            "scope": "okta.users.read okta.groups.read",
        })))
        .mount(&server)
        .await;
    Mock::given(path("/api/v1/users"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "id": "00u1" }])))
        .mount(&server)
        .await;
    let connector = fixture::connector("okta", "https://{{ okta_domain }}", &server.uri());
    let connection = fixture::connection(
        &connector,
        "service_app",
        json!({
            "client_id": "0oar95zt9zIpYuz6A0h7",
            "private_key": test_key("rsa-pkcs1.pem"),
            "key_id": "jwks1",
        }),
    );
    connection
        .call("list_users", &Call::default())
        .await
        .unwrap();
    let token = received_at(&server, "/oauth2/v1/token").await;
    let fields = form(&token[0]);
    assert_eq!(field(&fields, "grant_type"), "client_credentials");
    assert_eq!(field(&fields, "scope"), "okta.users.read okta.groups.read");
    assert_eq!(
        field(&fields, "client_assertion_type"),
        "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    );
    assert!(!fields.iter().any(|(n, _)| n == "client_secret"));
    let (header, claims) = decoded(field(&fields, "client_assertion"));
    assert_eq!(header["kid"], "jwks1");
    assert_eq!(claims["iss"], "0oar95zt9zIpYuz6A0h7");
    assert_eq!(claims["sub"], "0oar95zt9zIpYuz6A0h7");
    assert_eq!(claims["aud"], format!("{}/oauth2/v1/token", server.uri()));
    assert!(claims["jti"].as_str().is_some_and(|j| !j.is_empty()));
    let lifetime = claims["exp"].as_u64().unwrap() - claims["iat"].as_u64().unwrap();
    assert!(lifetime <= 3600, "Okta accepts at most an hour");
}
