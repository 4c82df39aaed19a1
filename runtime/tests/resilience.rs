//! Faults: retries on 429/502/503/504 and connection errors, `Retry-After`,
//! what is not retried, timeouts and the rate limit.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::time::{Duration, Instant, SystemTime};

use common::{
    assert_no_secrets, connect, connect_to, connect_with, connection, connector_with, expect_err,
    fast, received,
};
use patchbay_runtime::{Call, Error, Options};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const KEY: &str = "key-that-must-not-leak";

const SPEC: &str = r#"
[auth.k]
type = "api_key"
name = "X-API-Key"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

fn key() -> serde_json::Value {
    json!({ "api_key": KEY })
}

/// Answers the first `times` requests with `first`, then 200.
async fn fail_then_succeed(server: &MockServer, first: ResponseTemplate, times: u64) {
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "id": 1 }])))
        .with_priority(2)
        .mount(server)
        .await;
}

async fn always(server: &MockServer, response: ResponseTemplate) {
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(response)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_503_is_retried() {
    let server = MockServer::start().await;
    fail_then_succeed(&server, ResponseTemplate::new(503), 1).await;
    let connection = connect(&server, SPEC, key());
    let response = connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(response.json().unwrap(), json!([{ "id": 1 }]));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    // The retry is the same request.
    assert_eq!(requests[0].url, requests[1].url);
    assert_eq!(
        requests[0].headers.get("x-api-key"),
        requests[1].headers.get("x-api-key")
    );
}

#[tokio::test]
async fn a_502_and_a_504_are_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(502))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(504))
        .up_to_n_times(1)
        .with_priority(2)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .with_priority(3)
        .mount(&server)
        .await;
    let connection = connect(&server, SPEC, key());
    let response = connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn a_429_waits_for_retry_after_seconds() {
    let server = MockServer::start().await;
    fail_then_succeed(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "1"),
        1,
    )
    .await;
    let connection = connect(&server, SPEC, key());
    let started = Instant::now();
    connection.call("orders", &Call::default()).await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(950),
        "retried after {elapsed:?}, before Retry-After: 1"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_429_waits_for_a_retry_after_date() {
    let server = MockServer::start().await;
    // HTTP dates have whole seconds: this one is 1 to 2 s away (backoff
    // alone would be under 50 ms).
    let date = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(2));
    fail_then_succeed(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", date.as_str()),
        1,
    )
    .await;
    let connection = connect(&server, SPEC, key());
    let started = Instant::now();
    connection.call("orders", &Call::default()).await.unwrap();
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(700),
        "retried after {elapsed:?}, before {date}"
    );
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_429_without_retry_after_backs_off_and_retries() {
    let server = MockServer::start().await;
    fail_then_succeed(&server, ResponseTemplate::new(429), 2).await;
    let connection = connect(&server, SPEC, key());
    let started = Instant::now();
    connection.call("orders", &Call::default()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn token_requests_are_retried_too() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "at" })))
        .with_priority(2)
        .mount(&server)
        .await;
    always(&server, ResponseTemplate::new(200).set_body_json(json!([]))).await;
    let spec = r#"
[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[endpoints.orders]
url = "{{ base }}/orders"
"#;
    let connection = connect(
        &server,
        spec,
        json!({ "client_id": "id", "client_secret": "sec", "scope": "" }),
    );
    connection.call("orders", &Call::default()).await.unwrap();
    let paths: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(paths, ["/token", "/token", "/orders"]);
}

#[tokio::test]
async fn a_retry_after_date_in_the_past_retries_at_once() {
    let server = MockServer::start().await;
    let date = httpdate::fmt_http_date(SystemTime::now() - Duration::from_secs(60));
    fail_then_succeed(
        &server,
        ResponseTemplate::new(503).insert_header("Retry-After", date.as_str()),
        1,
    )
    .await;
    let connection = connect(&server, SPEC, key());
    let started = Instant::now();
    connection.call("orders", &Call::default()).await.unwrap();
    assert!(
        started.elapsed() < Duration::from_millis(800),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_retry_after_beyond_the_limit_fails_at_once() {
    let server = MockServer::start().await;
    always(
        &server,
        ResponseTemplate::new(429).insert_header("Retry-After", "3600"),
    )
    .await;
    let connection = connect(&server, SPEC, key());
    let started = Instant::now();
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(started.elapsed() < Duration::from_secs(1));
    assert!(
        matches!(error, Error::Status { status: 429, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("Retry-After"), "{error}");
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn retries_stop_after_max_retries() {
    let server = MockServer::start().await;
    always(
        &server,
        ResponseTemplate::new(503).set_body_string("down for maintenance"),
    )
    .await;
    let options = Options {
        max_retries: 2,
        ..fast()
    };
    let connection = connect_with(&server, SPEC, key(), options);
    let error = expect_err(connection.call("orders", &Call::default()).await);
    // One attempt and two retries.
    assert_eq!(received(&server).await.len(), 3);
    assert!(error.to_string().contains("503"), "{error}");
    assert_no_secrets(&error, &[KEY]);
}

#[tokio::test]

async fn exhausted_retries_say_how_many_attempts() {
    let server = MockServer::start().await;
    always(
        &server,
        ResponseTemplate::new(503).set_body_string("down for maintenance"),
    )
    .await;
    let options = Options {
        max_retries: 2,
        ..fast()
    };
    let connection = connect_with(&server, SPEC, key(), options);
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_eq!(received(&server).await.len(), 3);
    let text = error.to_string();
    assert!(text.contains("3 attempts"), "{text}");
    assert!(text.contains("503"), "{text}");
}

#[tokio::test]
async fn client_errors_are_not_retried() {
    for status in [400, 404, 500] {
        let server = MockServer::start().await;
        always(
            &server,
            ResponseTemplate::new(status).set_body_json(json!({ "message": "no such thing" })),
        )
        .await;
        let connection = connect(&server, SPEC, key());
        let error = expect_err(connection.call("orders", &Call::default()).await);
        match &error {
            Error::Status {
                status: got, body, ..
            } => {
                assert_eq!(*got, status);
                assert!(
                    body.as_deref().is_some_and(|b| b.contains("no such thing")),
                    "{body:?}"
                );
            }
            other => panic!("{status}: expected Error::Status, got {other:?}"),
        }
        assert!(
            error.to_string().contains(&format!("HTTP {status}")),
            "{error}"
        );
        assert_eq!(
            received(&server).await.len(),
            1,
            "HTTP {status} was retried"
        );
    }
}

#[tokio::test]
async fn a_refused_connection_is_retried_then_fails_clearly() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let options = Options {
        max_retries: 2,
        ..fast()
    };
    let connection = connect_to(&format!("http://127.0.0.1:{port}"), SPEC, key(), options);
    let started = Instant::now();
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    match &error {
        Error::RetriesExhausted { attempts, last, .. } => {
            assert_eq!(*attempts, 3);
            assert!(last.to_lowercase().contains("connect"), "{last}");
        }
        other => panic!("expected Error::RetriesExhausted, got {other:?}"),
    }
    let text = error.to_string();
    assert!(
        text.contains("endpoint `orders`") && text.contains("after 3 attempts"),
        "{text}"
    );
    assert_no_secrets(&error, &[KEY]);
}

#[tokio::test]
async fn a_slow_response_times_out() {
    let server = MockServer::start().await;
    always(
        &server,
        ResponseTemplate::new(200)
            .set_body_json(json!([]))
            .set_delay(Duration::from_secs(3)),
    )
    .await;
    let options = Options {
        timeout: Duration::from_millis(300),
        ..fast()
    };
    let connection = connect_with(&server, SPEC, key(), options);
    let started = Instant::now();
    let error = expect_err(connection.call("orders", &Call::default()).await);
    let elapsed = started.elapsed();
    assert!(
        matches!(error, Error::Timeout { timeout, .. } if timeout == Duration::from_millis(300)),
        "{error:?}"
    );
    assert!(
        elapsed >= Duration::from_millis(250) && elapsed < Duration::from_secs(2),
        "{elapsed:?}"
    );
    assert!(error.to_string().contains("timed out"), "{error}");
    assert_no_secrets(&error, &[KEY]);
}

async fn seven_calls(connection: &patchbay_runtime::Connection) -> Duration {
    let started = Instant::now();
    for _ in 0..7 {
        connection.call("orders", &Call::default()).await.unwrap();
    }
    started.elapsed()
}

#[tokio::test]
async fn the_connector_rate_limit_queues_calls() {
    let server = MockServer::start().await;
    always(&server, ResponseTemplate::new(200).set_body_json(json!([]))).await;
    let connector = connector_with("rate_limit = { requests = 5, per = \"second\" }", SPEC);
    let connection = connection(&connector, &server.uri(), key(), fast());
    // Five per second, spaced evenly: the seventh goes out 1.2 s after the first.
    let elapsed = seven_calls(&connection).await;
    assert!(
        elapsed >= Duration::from_millis(1000),
        "7 calls at 5/s took {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
    assert_eq!(received(&server).await.len(), 7);
}

#[tokio::test]
async fn an_instance_may_lower_the_rate_limit() {
    let server = MockServer::start().await;
    always(&server, ResponseTemplate::new(200).set_body_json(json!([]))).await;
    let connector = connector_with("rate_limit = { requests = 100, per = \"second\" }", SPEC);
    let options = Options {
        rate_limit: Some((10, Duration::from_secs(1))),
        ..fast()
    };
    let connection = connection(&connector, &server.uri(), key(), options);
    // The lower limit (10/s) wins: 6 gaps of 100 ms.
    let elapsed = seven_calls(&connection).await;
    assert!(
        elapsed >= Duration::from_millis(550),
        "7 calls at 10/s took {elapsed:?}"
    );
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
}

#[tokio::test]
async fn without_a_rate_limit_calls_are_not_held_back() {
    let server = MockServer::start().await;
    always(&server, ResponseTemplate::new(200).set_body_json(json!([]))).await;
    let connection = connect(&server, SPEC, key());
    let elapsed = seven_calls(&connection).await;
    assert!(elapsed < Duration::from_millis(500), "{elapsed:?}");
}
