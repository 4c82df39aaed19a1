//! Errors an API declares inside 2xx answers (`[errors]` and
//! `response.errors`): the failure becomes `Error::Api` with the API's code
//! and message, `retry` codes are retried like a 429, `reauth` codes get a
//! new token once like a 401, and nothing else is classified.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{
    assert_no_secrets, connect, connect_with, expect_err, fast, header, received, received_at,
};
use patchbay_runtime::{Call, Error, Options};
use serde_json::{Value, json};
use wiremock::matchers::{header as header_is, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const TOKEN: &str = "xoxb-token-that-must-not-leak";

/// Slack's shape: `ok: false` and a code in `error`, with HTTP 200.
const ERRORS: &str = r#"
[errors]
path = "/ok"
equals = false
code = "/error"
retry = ["ratelimited"]
reauth = ["invalid_auth"]
"#;

const BEARER: &str = r#"
[auth.bot]
type = "bearer"
"#;

const CLIENT_CREDENTIALS: &str = r#"
[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"
"#;

const HISTORY: &str = r#"
[endpoints.history]
url = "{{ base }}/conversations.history"
response = { records = "/messages" }
pagination = { type = "none" }
"#;

fn bearer(server: &MockServer, endpoints: &str) -> patchbay_runtime::Connection {
    connect(
        server,
        &format!("{ERRORS}{BEARER}{endpoints}"),
        json!({ "token": TOKEN }),
    )
}

fn slack_ok() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "ok": true, "messages": [{ "ts": "1" }] }))
}

fn slack_error(code: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "ok": false, "error": code }))
}

/// Answers `first` `times` times, then `then`.
async fn answer(server: &MockServer, first: ResponseTemplate, times: u64, then: ResponseTemplate) {
    Mock::given(path("/conversations.history"))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(path("/conversations.history"))
        .respond_with(then)
        .with_priority(2)
        .mount(server)
        .await;
}

async fn history(connection: &patchbay_runtime::Connection) -> Result<Value, Error> {
    let response = connection.call("history", &Call::default()).await?;
    Ok(response.json().unwrap())
}

#[tokio::test]
async fn ok_false_is_an_api_error_with_the_apis_code() {
    let server = MockServer::start().await;
    answer(&server, slack_error("channel_not_found"), 1, slack_ok()).await;
    let error = expect_err(history(&bearer(&server, HISTORY)).await);
    let Error::Api {
        request,
        code,
        message,
        token_invalid,
    } = &error
    else {
        panic!("expected Error::Api, got {error:?}");
    };
    assert_eq!(request, "endpoint `history`");
    assert_eq!(code.as_deref(), Some("channel_not_found"));
    assert_eq!(message, "channel_not_found");
    assert!(!token_invalid);
    assert_eq!(
        error.to_string(),
        "endpoint `history` failed: the API answered `channel_not_found`"
    );
    // A code outside `retry` is not retried.
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn an_answer_that_does_not_say_it_failed_is_data() {
    let server = MockServer::start().await;
    // No `ok` at all is not `ok: false`.
    answer(
        &server,
        ResponseTemplate::new(200).set_body_json(json!({ "messages": [] })),
        1,
        slack_ok(),
    )
    .await;
    let connection = bearer(&server, HISTORY);
    assert_eq!(
        history(&connection).await.unwrap(),
        json!({ "messages": [] })
    );
    assert_eq!(history(&connection).await.unwrap()["ok"], json!(true));
}

#[tokio::test]
async fn a_retry_code_with_http_200_is_retried_then_succeeds() {
    let server = MockServer::start().await;
    answer(
        &server,
        slack_error("ratelimited").insert_header("Retry-After", "0"),
        2,
        slack_ok(),
    )
    .await;
    let body = history(&bearer(&server, HISTORY)).await.unwrap();
    assert_eq!(body["ok"], json!(true));
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn a_retry_code_that_never_clears_exhausts_the_retries() {
    let server = MockServer::start().await;
    answer(&server, slack_error("ratelimited"), u64::MAX, slack_ok()).await;
    let error = expect_err(history(&bearer(&server, HISTORY)).await);
    let Error::RetriesExhausted { attempts, last, .. } = &error else {
        panic!("expected RetriesExhausted, got {error:?}");
    };
    assert_eq!(*attempts, fast().max_retries + 1);
    assert!(last.contains("`ratelimited`"), "{last}");
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn without_retries_a_retry_code_is_reported_as_the_api_error() {
    let server = MockServer::start().await;
    answer(&server, slack_error("ratelimited"), u64::MAX, slack_ok()).await;
    let options = Options {
        max_retries: 0,
        ..fast()
    };
    let connection = connect_with(
        &server,
        &format!("{ERRORS}{BEARER}{HISTORY}"),
        json!({ "token": TOKEN }),
        options,
    );
    let error = expect_err(history(&connection).await);
    assert!(
        matches!(&error, Error::Api { code: Some(code), .. } if code == "ratelimited"),
        "{error:?}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_fails_and_names_the_setting() {
    let server = MockServer::start().await;
    answer(
        &server,
        slack_error("ratelimited").insert_header("Retry-After", "3600"),
        u64::MAX,
        slack_ok(),
    )
    .await;
    let error = expect_err(history(&bearer(&server, HISTORY)).await);
    assert!(
        error.to_string().contains("Options::max_retry_after"),
        "{error}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

async fn tokens(server: &MockServer, first: &str, second: &str) {
    for (token, priority) in [(first, 1), (second, 2)] {
        Mock::given(method("POST"))
            .and(path("/token"))
            .respond_with(ResponseTemplate::new(200).set_body_json(
                json!({ "access_token": token, "token_type": "Bearer", "expires_in": 3600 }),
            ))
            .up_to_n_times(1)
            .with_priority(priority)
            .mount(server)
            .await;
    }
}

fn client_credentials(server: &MockServer) -> patchbay_runtime::Connection {
    connect(
        server,
        &format!("{ERRORS}{CLIENT_CREDENTIALS}{HISTORY}"),
        json!({ "client_id": "id", "client_secret": "secret" }),
    )
}

#[tokio::test]
async fn a_reauth_code_gets_one_new_token_and_one_retry() {
    let server = MockServer::start().await;
    tokens(&server, "at-1", "at-2").await;
    Mock::given(path("/conversations.history"))
        .and(header_is("authorization", "Bearer at-1"))
        .respond_with(slack_error("invalid_auth"))
        .mount(&server)
        .await;
    Mock::given(path("/conversations.history"))
        .and(header_is("authorization", "Bearer at-2"))
        .respond_with(slack_ok())
        .mount(&server)
        .await;
    let body = history(&client_credentials(&server)).await.unwrap();
    assert_eq!(body["ok"], json!(true));
    assert_eq!(received_at(&server, "/token").await.len(), 2);
    let calls = received_at(&server, "/conversations.history").await;
    let sent: Vec<_> = calls.iter().map(|r| header(r, "authorization")).collect();
    assert_eq!(sent, [Some("Bearer at-1"), Some("Bearer at-2")]);
}

#[tokio::test]
async fn a_reauth_code_after_the_new_token_is_returned_not_looped() {
    let server = MockServer::start().await;
    tokens(&server, "at-1", "at-2").await;
    answer(&server, slack_error("invalid_auth"), u64::MAX, slack_ok()).await;
    let error = expect_err(history(&client_credentials(&server)).await);
    assert!(
        matches!(
            &error,
            Error::Api {
                token_invalid: true,
                ..
            }
        ),
        "{error:?}"
    );
    assert_eq!(received_at(&server, "/token").await.len(), 2);
    assert_eq!(
        received_at(&server, "/conversations.history").await.len(),
        2
    );
}

#[tokio::test]
async fn a_reauth_code_with_a_method_without_tokens_is_marked_token_invalid() {
    let server = MockServer::start().await;
    answer(&server, slack_error("invalid_auth"), u64::MAX, slack_ok()).await;
    let error = expect_err(history(&bearer(&server, HISTORY)).await);
    assert!(
        matches!(
            &error,
            Error::Api {
                token_invalid: true,
                code: Some(code),
                ..
            } if code == "invalid_auth"
        ),
        "{error:?}"
    );
    assert!(error.to_string().contains("credential"), "{error}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn response_errors_false_turns_the_connectors_declaration_off() {
    let server = MockServer::start().await;
    answer(&server, slack_error("channel_not_found"), 1, slack_ok()).await;
    let endpoint = r#"
[endpoints.history]
url = "{{ base }}/conversations.history"
response = { records = "/messages", errors = false }
pagination = { type = "none" }
"#;
    let body = history(&bearer(&server, endpoint)).await.unwrap();
    assert_eq!(body, json!({ "ok": false, "error": "channel_not_found" }));
}

#[tokio::test]
async fn an_endpoints_declaration_replaces_the_connectors() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(200).set_body_json(
            json!({ "ok": false, "errors": [{ "message": "Field 'x' doesn't exist" }] }),
        ),
        u64::MAX,
        slack_ok(),
    )
    .await;
    let endpoint = r#"
[endpoints.history]
url = "{{ base }}/conversations.history"
response = { records = "/messages", errors = { path = "/errors", message = "/errors/0/message" } }
pagination = { type = "none" }
"#;
    let error = expect_err(history(&bearer(&server, endpoint)).await);
    // The connector's `ok` is not read; the endpoint's `errors` is.
    assert!(
        matches!(&error, Error::Api { code: None, message, .. } if message == "Field 'x' doesn't exist"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_2xx_body_that_is_not_json_is_not_classified() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(200).set_body_string("ok: false"),
        1,
        slack_ok(),
    )
    .await;
    let response = bearer(&server, HISTORY)
        .call("history", &Call::default())
        .await
        .unwrap();
    assert_eq!(&response.body[..], b"ok: false");
}

#[tokio::test]
async fn an_error_status_stays_a_status_error() {
    let server = MockServer::start().await;
    answer(
        &server,
        ResponseTemplate::new(404).set_body_json(json!({ "ok": false, "error": "unknown_method" })),
        1,
        slack_ok(),
    )
    .await;
    let error = expect_err(history(&bearer(&server, HISTORY)).await);
    assert!(
        matches!(error, Error::Status { status: 404, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn the_apis_message_is_redacted_and_cut() {
    let server = MockServer::start().await;
    let echoed = format!("invalid token {TOKEN} {}", "x".repeat(5_000));
    answer(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!({ "ok": false, "error": TOKEN, "detail": echoed })),
        1,
        slack_ok(),
    )
    .await;
    let endpoint = r#"
[endpoints.history]
url = "{{ base }}/conversations.history"
response = { records = "/messages", errors = { path = "/ok", equals = false, code = "/error", message = "/detail" } }
pagination = { type = "none" }
"#;
    let error = expect_err(history(&bearer(&server, endpoint)).await);
    assert_no_secrets(&error, &[TOKEN]);
    let Error::Api { message, .. } = &error else {
        panic!("expected Error::Api, got {error:?}");
    };
    assert!(message.starts_with("invalid token "), "{message}");
    assert!(message.chars().count() < 400, "not cut: {message}");
}

#[tokio::test]
async fn pages_stop_at_a_declared_failure() {
    let server = MockServer::start().await;
    answer(&server, slack_error("not_in_channel"), 1, slack_ok()).await;
    let connection = bearer(&server, HISTORY);
    let mut pages = connection.pages("history", Call::default()).unwrap();
    let error = expect_err(pages.next().await.unwrap());
    assert!(matches!(error, Error::Api { .. }), "{error:?}");
}
