//! Magento 2's admin login
//! (https://developer.adobe.com/commerce/webapi/get-started/authentication/gs-authentication-token/):
//! `POST /rest/V1/integration/admin/token` answers the session token as
//! the whole body, a bare JSON string, read with `access_token = ""`.

use patchbay_runtime::{Call, Connection, Error};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{assert_no_secrets, expect_err};
use crate::fixture;

const LOGIN: &str = "/rest/V1/integration/admin/token";
const PASSWORD: &str = "adm1n-Pa55word";

fn connect(server: &MockServer) -> Connection {
    let connector = fixture::connector("magento2", "https://shop.example.com", &server.uri());
    fixture::connection(
        &connector,
        "admin",
        json!({ "store_url": server.uri(), "username": "admin", "password": PASSWORD }),
    )
}

#[tokio::test]
async fn the_admin_token_is_the_whole_body_and_is_sent_as_a_bearer_token() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(LOGIN))
        .and(body_json(
            json!({ "username": "admin", "password": PASSWORD }),
        ))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!("5r8cvmpr11j6gmau8990rcj2qk7unh8i")),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/rest/default/V1/store/storeConfigs"))
        .and(header(
            "authorization",
            "Bearer 5r8cvmpr11j6gmau8990rcj2qk7unh8i",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "code": "default" }])))
        .expect(2)
        .mount(&server)
        .await;
    let connection = connect(&server);
    for _ in 0..2 {
        let response = connection
            .call("get_store_configs", &Call::default())
            .await
            .unwrap();
        assert_eq!(response.status, 200);
    }
    let token = connection.token().await.unwrap();
    let left = token
        .expires_at
        .unwrap()
        .duration_since(std::time::SystemTime::now())
        .unwrap()
        .as_secs();
    assert!((14_000..=14_400).contains(&left), "{left}");
    assert!(!token.info().refreshable);
}

#[tokio::test]
async fn a_body_that_is_not_a_string_is_a_clear_error_without_its_content() {
    let server = MockServer::start().await;
    // What Magento answers for a wrong password (with HTTP 401), here with
    // 200 and a secret-looking field so that a leak would show.
    Mock::given(method("POST"))
        .and(path(LOGIN))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "message": "The account sign-in was incorrect", "token": "leaked-token-value" }),
        ))
        .mount(&server)
        .await;
    let connection = connect(&server);
    let error = expect_err(connection.call("get_store_configs", &Call::default()).await);
    assert!(matches!(error, Error::TokenResponse(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("the token is the whole response body, which must be a non-empty JSON string; it is an object"),
        "{message}"
    );
    assert_no_secrets(&error, &["leaked-token-value", PASSWORD, "sign-in"]);
}
