//! Request features of issue 14: the retry policy of `POST` and `PATCH`
//! (with and without an idempotency key), the runtime values `now` and
//! `request`, and the template filters in requests sent.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::time::{SystemTime, UNIX_EPOCH};

use common::{connect, connect_to, expect_err, fast, header, received};
use patchbay_runtime::{Call, Error};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AUTH: &str = r#"
[auth.k]
type = "api_key"
name = "X-API-Key"
"#;

fn key() -> serde_json::Value {
    json!({ "api_key": "k" })
}

fn spec(endpoint: &str) -> String {
    format!("{AUTH}\n{endpoint}")
}

/// `POST /charges` writing a form, with `extra` lines in its table.
fn charges(verb: &str, extra: &str) -> String {
    spec(&format!(
        r#"
[endpoints.charge]
method = "{verb}"
url = "{{{{ base }}}}/charges"
body = {{ type = "form", content = {{ amount = "100" }} }}
{extra}
"#
    ))
}

const KEYED: &str = r#"headers = { Idempotency-Key = "{{ request.idempotency_key }}" }"#;

/// Answers `verb /charges` with `first` up to `times` times, then 200.
async fn fail_then_succeed(server: &MockServer, verb: &str, first: ResponseTemplate, times: u64) {
    Mock::given(method(verb))
        .and(path("/charges"))
        .respond_with(first)
        .up_to_n_times(times)
        .with_priority(1)
        .mount(server)
        .await;
    Mock::given(method(verb))
        .and(path("/charges"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "id": "ch_1" })))
        .with_priority(2)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_post_without_a_key_is_not_sent_again_after_a_503() {
    let server = MockServer::start().await;
    fail_then_succeed(&server, "POST", ResponseTemplate::new(503), 1).await;
    let connection = connect(&server, &charges("POST", ""), key());
    let error = expect_err(connection.call("charge", &Call::default()).await);
    assert!(
        matches!(error, Error::Status { status: 503, .. }),
        "{error:?}"
    );
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_patch_without_a_key_is_not_sent_again_after_a_502_or_504() {
    for status in [502, 504] {
        let server = MockServer::start().await;
        fail_then_succeed(&server, "PATCH", ResponseTemplate::new(status), 1).await;
        let connection = connect(&server, &charges("PATCH", ""), key());
        let error = expect_err(connection.call("charge", &Call::default()).await);
        assert!(
            matches!(error, Error::Status { status: s, .. } if s == status),
            "{error:?}"
        );
        assert_eq!(received(&server).await.len(), 1);
    }
}

#[tokio::test]
async fn a_post_without_a_key_is_sent_again_after_a_429() {
    let server = MockServer::start().await;
    fail_then_succeed(
        &server,
        "POST",
        ResponseTemplate::new(429).insert_header("Retry-After", "0"),
        1,
    )
    .await;
    let connection = connect(&server, &charges("POST", ""), key());
    let response = connection.call("charge", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_post_without_a_key_is_sent_again_when_it_could_not_connect() {
    let port = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        listener.local_addr().unwrap().port()
    };
    let connection = connect_to(
        &format!("http://127.0.0.1:{port}"),
        &charges("POST", ""),
        key(),
        fast(),
    );
    let error = expect_err(connection.call("charge", &Call::default()).await);
    assert!(
        matches!(error, Error::RetriesExhausted { attempts: 3, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_post_with_a_key_is_sent_again_with_the_same_key() {
    let server = MockServer::start().await;
    fail_then_succeed(&server, "POST", ResponseTemplate::new(503), 2).await;
    let connection = connect(&server, &charges("POST", KEYED), key());
    let response = connection.call("charge", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    let requests = received(&server).await;
    assert_eq!(requests.len(), 3);
    let keys: Vec<&str> = requests
        .iter()
        .map(|r| header(r, "idempotency-key").unwrap())
        .collect();
    assert!(keys.iter().all(|k| *k == keys[0]), "{keys:?}");
    // A UUID, version 4.
    assert_eq!(keys[0].len(), 36);
    assert_eq!(&keys[0][14..15], "4");
    // The next call is a new request with a new key.
    connection.call("charge", &Call::default()).await.unwrap();
    let requests = received(&server).await;
    assert_ne!(header(&requests[3], "idempotency-key").unwrap(), keys[0]);
}

#[tokio::test]
async fn a_post_that_only_reads_is_sent_again() {
    let server = MockServer::start().await;
    fail_then_succeed(&server, "POST", ResponseTemplate::new(503), 1).await;
    let connection = connect(&server, &charges("POST", r#"direction = "receive""#), key());
    connection.call("charge", &Call::default()).await.unwrap();
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_put_is_idempotent_and_sent_again() {
    let server = MockServer::start().await;
    fail_then_succeed(&server, "PUT", ResponseTemplate::new(503), 1).await;
    let connection = connect(&server, &charges("PUT", ""), key());
    connection.call("charge", &Call::default()).await.unwrap();
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn each_page_is_a_request_with_its_own_key() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(json!({ "items": [1], "next": "b" })),
        )
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "items": [2] })))
        .with_priority(2)
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec(
            r#"
[endpoints.items]
url = "{{ base }}/items"
headers = { X-Request-Id = "{{ request.idempotency_key }}" }
response = { records = "/items" }
pagination = { type = "cursor", param = "after", path = "/next" }
"#,
        ),
        key(),
    );
    let mut pages = connection.pages("items", Call::default()).unwrap();
    while let Some(page) = pages.next().await {
        page.unwrap();
    }
    let requests = received(&server).await;
    assert_eq!(requests.len(), 2);
    assert_ne!(
        header(&requests[0], "x-request-id"),
        header(&requests[1], "x-request-id")
    );
}

#[tokio::test]
async fn now_is_the_time_of_the_request_in_each_format() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec(
            r#"
[endpoints.ping]
url = "{{ base }}/ping"
query = { ts = "{{ now.unix }}", ms = "{{ now.unix_ms }}", at = "{{ now.rfc3339 }}" }
headers = { X-Date = "{{ now.http_date }}", X-At-Ms = "{{ now.rfc3339_ms }}" }
"#,
        ),
        key(),
    );
    let before = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    connection.call("ping", &Call::default()).await.unwrap();
    let after = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let request = &received(&server).await[0];
    let query = common::query(request);
    let get = |name: &str| query.iter().find(|(n, _)| n == name).unwrap().1.clone();
    let ts: u64 = get("ts").parse().unwrap();
    assert!((before..=after).contains(&ts), "{ts}");
    let ms: u64 = get("ms").parse().unwrap();
    assert_eq!(ms / 1000, ts);
    let at = get("at");
    assert!(
        at.len() == 20 && at.ends_with('Z') && at.as_bytes()[10] == b'T',
        "{at}"
    );
    let date = header(request, "x-date").unwrap();
    let parsed = httpdate::parse_http_date(date).unwrap();
    assert_eq!(parsed.duration_since(UNIX_EPOCH).unwrap().as_secs(), ts);
    let at_ms = header(request, "x-at-ms").unwrap();
    assert!(at_ms.starts_with(&at[..19]) && at_ms.len() == 24, "{at_ms}");
}

#[tokio::test]
async fn filters_shape_the_request_and_are_encoded_where_they_land() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec(
            r#"
[endpoints.upsert]
method = "PUT"
url = "{{ base }}/members/{{ payload.email | lower | md5 }}"
headers = { Api-Arg = "{{ payload | json_ascii }}", X-Sig = "{{ payload.email | hmac_sha256('k', 'base64') }}" }
body = { type = "json", content = { email_address = "{{ payload.email }}", hash = "{{ payload.email | sha256 }}" } }
"#,
        ),
        key(),
    );
    let call = Call {
        variables: Default::default(),
        payload: Some(json!({ "email": "Urist@Example.com", "name": "Zoë" })),
        files: Default::default(),
    };
    connection.call("upsert", &call).await.unwrap();
    let request = &received(&server).await[0];
    // md5("urist@example.com")
    assert_eq!(
        request.url.path(),
        "/members/5dc77433f1f3489d1f194c57724a1686"
    );
    assert_eq!(
        header(request, "api-arg").unwrap(),
        r#"{"email":"Urist@Example.com","name":"Zo\u00eb"}"#
    );
    assert_eq!(header(request, "x-sig").unwrap().len(), 44);
    let body: serde_json::Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(body["hash"].as_str().unwrap().len(), 64);
}

#[tokio::test]
async fn files_past_the_upload_limit_fail_before_anything_is_sent() {
    let server = MockServer::start().await;
    let options = patchbay_runtime::Options {
        max_upload_bytes: 4,
        ..fast()
    };
    let connection = common::connect_with(
        &server,
        &spec(
            r#"
[endpoints.upload]
method = "POST"
url = "{{ base }}/upload"
body = { type = "multipart", parts = { file = { type = "file" } } }
"#,
        ),
        key(),
        options,
    );
    let call = Call {
        variables: Default::default(),
        payload: None,
        files: [(
            "file".to_owned(),
            patchbay_runtime::Upload {
                bytes: "12345".into(),
                ..Default::default()
            },
        )]
        .into(),
    };
    let error = expect_err(connection.call("upload", &call).await);
    assert!(error.to_string().contains("max_upload_bytes"), "{error}");
    assert!(received(&server).await.is_empty());
    // The dry run shows the parts, never the bytes.
    let small = Call {
        files: [(
            "file".to_owned(),
            patchbay_runtime::Upload {
                filename: Some("a\r\nb.bin".to_owned()),
                content_type: None,
                bytes: "\u{0}ab".into(),
            },
        )]
        .into(),
        ..call
    };
    let requests = connection.dry_run("upload", &small).unwrap();
    let curl = requests[0].to_curl(&connection.redactor());
    assert!(
        curl.contains("-F 'file=@a%0D%0Ab.bin;type=application/octet-stream (3 bytes)'"),
        "{curl}"
    );
    assert!(!curl.to_lowercase().contains("content-type"), "{curl}");
}

#[tokio::test]
async fn a_file_body_sends_the_callers_bytes_and_needs_them() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec(
            r#"
[endpoints.put_object]
method = "PUT"
url = "{{ base }}/objects/{{ key }}"
body = { type = "file", name = "object" }

[endpoints.put_object.variables.key]
required = true
"#,
        ),
        key(),
    );
    let without = Call {
        variables: common::values(json!({ "key": "a" })),
        ..Default::default()
    };
    let error = expect_err(connection.call("put_object", &without).await);
    assert!(error.to_string().contains("file `object`"), "{error}");
    let with = Call {
        files: [(
            "object".to_owned(),
            patchbay_runtime::Upload {
                filename: Some("a.png".to_owned()),
                content_type: Some("image/png".to_owned()),
                bytes: bytes::Bytes::from_static(b"\x89PNG\r\n"),
            },
        )]
        .into(),
        ..without
    };
    let curl = connection.dry_run("put_object", &with).unwrap()[0].to_curl(&connection.redactor());
    assert!(curl.contains("--data-binary '@a.png (6 bytes)'"), "{curl}");
    connection.call("put_object", &with).await.unwrap();
    let sent = &received(&server).await[0];
    assert_eq!(&sent.body[..], b"\x89PNG\r\n");
    assert_eq!(header(sent, "content-type"), Some("image/png"));
}
