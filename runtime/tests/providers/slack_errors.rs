//! Slack answers failures with HTTP 200 and `{"ok": false, "error": code}`
//! (https://docs.slack.dev/reference/methods: each method's "Errors"
//! table); `slack.toml`'s `[errors]` makes them errors, retries
//! `ratelimited` and marks `invalid_auth` as a refused token.

use patchbay_runtime::{Call, Connection, Error};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixture;

const TOKEN: &str = "xoxb-1234-5678-abcdefghijkl";

fn slack(server: &MockServer) -> Connection {
    let connector = fixture::connector("slack", "https://slack.com", &server.uri());
    fixture::connection(&connector, "bot_token", json!({ "token": TOKEN }))
}

fn failed(code: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({ "ok": false, "error": code }))
}

#[tokio::test]
async fn a_failed_history_call_is_an_error_with_slacks_code() {
    let server = MockServer::start().await;
    Mock::given(path("/api/conversations.history"))
        .respond_with(failed("not_in_channel"))
        .mount(&server)
        .await;
    let connection = slack(&server);
    let mut pages = connection
        .pages(
            "channel_history",
            fixture::call_with("channel_id", "C0123456789"),
        )
        .unwrap();
    let error = pages.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::Api { code: Some(code), token_invalid: false, .. } if code == "not_in_channel"),
        "{error:?}"
    );
    assert!(pages.next().await.is_none(), "a failed run goes no further");
}

#[tokio::test]
async fn ratelimited_with_http_200_is_retried_after_retry_after() {
    let server = MockServer::start().await;
    Mock::given(path("/api/conversations.list"))
        .respond_with(failed("ratelimited").insert_header("Retry-After", "1"))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(path("/api/conversations.list"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "ok": true,
            "channels": [{ "id": "C012AB3CD", "name": "general" }],
            "response_metadata": { "next_cursor": "" }
        })))
        .with_priority(2)
        .mount(&server)
        .await;
    let connection = slack(&server);
    let started = std::time::Instant::now();
    let mut pages = connection.pages("list_channels", Call::default()).unwrap();
    let page = pages.next().await.unwrap().unwrap();
    assert_eq!(
        page.records,
        [json!({ "id": "C012AB3CD", "name": "general" })]
    );
    assert!(
        started.elapsed() >= std::time::Duration::from_secs(1),
        "Retry-After was not honoured"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 2);
}

#[tokio::test]
async fn invalid_auth_with_a_bot_token_is_a_refused_credential() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/auth.test"))
        .respond_with(failed("invalid_auth"))
        .mount(&server)
        .await;
    let error = slack(&server)
        .call("auth_test", &Call::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Api { code: Some(code), token_invalid: true, .. } if code == "invalid_auth"),
        "{error:?}"
    );
    // A bot token cannot be renewed: one request, no loop.
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn a_posted_message_that_fails_is_an_error_not_data() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/chat.postMessage"))
        .respond_with(failed("channel_not_found"))
        .mount(&server)
        .await;
    let call = Call {
        payload: Some(json!({ "channel": "C0123456789", "text": "hello" })),
        files: Default::default(),
        ..Call::default()
    };
    let error = slack(&server)
        .call("post_message", &call)
        .await
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "endpoint `post_message` failed: the API answered `channel_not_found`"
    );
}
