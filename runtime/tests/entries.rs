//! Entries: the connector-wide `[request]` table on every endpoint request
//! (and its `next` pages, never on auth requests), an entry that is exactly
//! one optional variable without a value left out, and an endpoint's own
//! rate limit.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::time::{Duration, Instant};

use common::{
    call, connect, connection, connector, connector_with, fast, form, header, query, received,
    received_at,
};
use patchbay_runtime::{Call, Options};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SHARED: &str = r#"
[request]
headers = { "Notion-Version" = "2022-06-28", "User-Agent" = "patchbay-test" }
query = { api_version = "{{ version }}" }

[variables.version]
default = "7"

[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[endpoints.items]
url = "{{ base }}/items"
response = { records = "/results" }
pagination = { type = "cursor", path = "/next", param = "cursor" }

[endpoints.legacy]
url = "{{ base }}/legacy"
headers = { "notion-version" = "2021-05-13", "User-Agent" = false }
query = { api_version = false }
"#;

async fn token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "t", "token_type": "bearer" })),
        )
        .mount(server)
        .await;
}

#[tokio::test]
async fn connector_wide_entries_go_on_every_page_and_not_on_auth_requests() {
    let server = MockServer::start().await;
    token(&server).await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(|request: &wiremock::Request| {
            let page = if request.url.query().unwrap_or("").contains("cursor=c2") {
                json!({ "results": [{ "id": 2 }], "next": null })
            } else {
                json!({ "results": [{ "id": 1 }], "next": "c2" })
            };
            ResponseTemplate::new(200).set_body_json(page)
        })
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        SHARED,
        json!({ "client_id": "id", "client_secret": "secret" }),
    );
    let mut pages = connection.pages("items", Call::default()).unwrap();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        page.unwrap();
        count += 1;
    }
    assert_eq!(count, 2);
    let items = received_at(&server, "/items").await;
    assert_eq!(items.len(), 2);
    for request in &items {
        assert_eq!(header(request, "Notion-Version"), Some("2022-06-28"));
        assert_eq!(header(request, "User-Agent"), Some("patchbay-test"));
        assert!(query(request).contains(&("api_version".to_owned(), "7".to_owned())));
    }
    let token = &received_at(&server, "/token").await[0];
    assert_eq!(header(token, "Notion-Version"), None);
    assert!(!form(token).iter().any(|(name, _)| name == "api_version"));
    assert!(token.url.query().is_none());
}

#[tokio::test]
async fn an_endpoint_replaces_a_connector_wide_entry_by_name_and_false_removes_it() {
    let server = MockServer::start().await;
    token(&server).await;
    Mock::given(method("GET"))
        .and(path("/legacy"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        SHARED,
        json!({ "client_id": "id", "client_secret": "secret" }),
    );
    connection.call("legacy", &Call::default()).await.unwrap();
    let request = &received_at(&server, "/legacy").await[0];
    // One header, the endpoint's value, whatever the case of its name.
    assert_eq!(header(request, "Notion-Version"), Some("2021-05-13"));
    assert_eq!(request.headers.get_all("notion-version").iter().count(), 1);
    assert_ne!(header(request, "User-Agent"), Some("patchbay-test"));
    assert!(request.url.query().is_none());
}

const OPTIONAL: &str = r#"
[variables.on_behalf_of]
label = "Subuser"

[auth.k]
type = "api_key"
name = "X-API-Key"

[endpoints.send]
method = "POST"
url = "{{ base }}/send"
headers = { "on-behalf-of" = "{{ on_behalf_of }}", "X-Note" = "for {{ on_behalf_of }}" }
query = { region = "{{ region }}" }
body = { type = "json", content = { name = "{{ name }}", tags = { first = "{{ tag }}" }, fixed = "x" } }

[endpoints.send.variables.region]
[endpoints.send.variables.name]
[endpoints.send.variables.tag]

[endpoints.form]
method = "POST"
url = "{{ base }}/form"
body = { type = "form", content = { note = "{{ tag }}", kept = "k" } }

[endpoints.form.variables.tag]
"#;

async fn accept_posts(server: &MockServer) {
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({})))
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_entry_of_one_optional_variable_without_a_value_is_left_out() {
    let server = MockServer::start().await;
    accept_posts(&server).await;
    let connection = connect(&server, OPTIONAL, json!({ "api_key": "k" }));
    connection.call("send", &Call::default()).await.unwrap();
    connection.call("form", &Call::default()).await.unwrap();
    let send = &received_at(&server, "/send").await[0];
    assert_eq!(header(send, "on-behalf-of"), None);
    // Part of a longer template, the value renders empty as before (the
    // trailing space does not survive HTTP).
    assert_eq!(header(send, "X-Note"), Some("for"));
    assert!(send.url.query().is_none());
    let body: serde_json::Value = serde_json::from_slice(&send.body).unwrap();
    assert_eq!(body, json!({ "tags": {}, "fixed": "x" }));
    let form_request = &received_at(&server, "/form").await[0];
    assert_eq!(form(form_request), [("kept".to_owned(), "k".to_owned())]);
}

#[tokio::test]
async fn an_explicit_empty_value_is_still_sent() {
    let server = MockServer::start().await;
    accept_posts(&server).await;
    let connection = connect(
        &server,
        OPTIONAL,
        json!({ "api_key": "k", "on_behalf_of": "" }),
    );
    let given = call(json!({ "region": "", "name": "", "tag": "" }));
    connection.call("send", &given).await.unwrap();
    let send = &received_at(&server, "/send").await[0];
    assert_eq!(header(send, "on-behalf-of"), Some(""));
    assert_eq!(query(send), [("region".to_owned(), String::new())]);
    let body: serde_json::Value = serde_json::from_slice(&send.body).unwrap();
    assert_eq!(
        body,
        json!({ "name": "", "tags": { "first": "" }, "fixed": "x" })
    );
    let with_value = connect(
        &server,
        OPTIONAL,
        json!({ "api_key": "k", "on_behalf_of": "sub1" }),
    );
    with_value.call("send", &Call::default()).await.unwrap();
    let sent = received(&server).await;
    assert_eq!(header(sent.last().unwrap(), "on-behalf-of"), Some("sub1"));
}

#[test]
fn a_dry_run_lists_what_it_left_out() {
    let connection = common::connect_to(
        "https://api.example.com",
        OPTIONAL,
        json!({ "api_key": "k" }),
        fast(),
    );
    let requests = connection.dry_run("send", &Call::default()).unwrap();
    assert_eq!(
        requests[0].left_out,
        [
            "query region",
            "header on-behalf-of",
            "body field /name",
            "body field /tags/first"
        ]
    );
}

const LIMITED: &str = r#"
[auth.k]
type = "api_key"
name = "X-API-Key"

[endpoints.search]
url = "{{ base }}/search"
rate_limit = { requests = 10, per = "second" }

[endpoints.pages]
url = "{{ base }}/pages"
"#;

async fn timed(connection: &patchbay_runtime::Connection, endpoint: &str, calls: u32) -> Duration {
    let started = Instant::now();
    for _ in 0..calls {
        connection.call(endpoint, &Call::default()).await.unwrap();
    }
    started.elapsed()
}

async fn answer_gets(server: &MockServer) {
    Mock::given(method("GET"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
}

#[tokio::test]
async fn an_endpoint_rate_limit_holds_back_that_endpoint_only() {
    let server = MockServer::start().await;
    answer_gets(&server).await;
    let connection = connect(&server, LIMITED, json!({ "api_key": "k" }));
    // Ten per second: six gaps of 100 ms.
    let elapsed = timed(&connection, "search", 7).await;
    assert!(elapsed >= Duration::from_millis(550), "{elapsed:?}");
    assert!(elapsed < Duration::from_secs(3), "{elapsed:?}");
    let elapsed = timed(&connection, "pages", 7).await;
    assert!(elapsed < Duration::from_millis(400), "{elapsed:?}");
}

#[tokio::test]
async fn a_call_waits_for_both_limits_and_an_instance_does_not_lift_the_endpoints() {
    let server = MockServer::start().await;
    answer_gets(&server).await;
    // The connector's 5/s is the tighter of the two for `search`.
    let both = connector_with("rate_limit = { requests = 5, per = \"second\" }", LIMITED);
    let strict = connection(&both, &server.uri(), json!({ "api_key": "k" }), fast());
    let elapsed = timed(&strict, "search", 7).await;
    assert!(elapsed >= Duration::from_millis(1000), "{elapsed:?}");
    // An instance's limit lowers the connector's only; the endpoint's
    // 10/s still holds under a laxer instance setting.
    let options = Options {
        rate_limit: Some((1000, Duration::from_secs(1))),
        ..fast()
    };
    let lax = connection(
        &connector(LIMITED),
        &server.uri(),
        json!({ "api_key": "k" }),
        options,
    );
    let elapsed = timed(&lax, "search", 7).await;
    assert!(elapsed >= Duration::from_millis(550), "{elapsed:?}");
}
