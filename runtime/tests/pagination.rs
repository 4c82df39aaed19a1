//! `Connection::pages` for each pagination type: the requests it sends and
//! where each run stops.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{connect, form, header, query, received};
use patchbay_runtime::{Call, Connection, Error};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AUTH: &str = "[auth.t]\ntype = \"bearer\"\n";

fn spec(endpoint: &str) -> String {
    format!(
        "{AUTH}\n[endpoints.items]\nmethod = \"GET\"\nurl = \"{{{{ base }}}}/items\"\n{endpoint}\n"
    )
}

fn token() -> Value {
    json!({ "token": "tok" })
}

/// Every page's records, and the number of pages.
async fn collect(connection: &Connection, call: Call) -> (Vec<Value>, usize) {
    let mut pages = connection.pages("items", call).unwrap();
    let mut records = Vec::new();
    let mut count = 0;
    while let Some(page) = pages.next().await {
        records.extend(page.unwrap().records);
        count += 1;
        assert!(count < 50, "pagination does not stop");
    }
    (records, count)
}

fn ids(records: &[Value]) -> Vec<i64> {
    records.iter().map(|r| r["id"].as_i64().unwrap()).collect()
}

fn page_of(ids: &[i64]) -> Value {
    json!({ "data": ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>() })
}

/// Query pairs of each received request.
async fn queries(server: &MockServer) -> Vec<Vec<(String, String)>> {
    received(server).await.iter().map(query).collect()
}

fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect()
}

async fn page_answer(server: &MockServer, param: &str, value: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param(param, value))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn page_number_until_a_short_page() {
    let server = MockServer::start().await;
    page_answer(&server, "page", "1", page_of(&[1, 2])).await;
    page_answer(&server, "page", "2", page_of(&[3, 4])).await;
    page_answer(&server, "page", "3", page_of(&[5])).await;
    let connection = connect(
        &server,
        &spec(
            r#"query = { status = "open" }
response = { records = "/data" }
pagination = { type = "page_number", param = "page", start = 1, limit_param = "per_page", limit = 2 }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3, 4, 5]);
    assert_eq!(pages, 3);
    let mut sent = queries(&server).await;
    for q in &mut sent {
        q.sort();
    }
    assert_eq!(
        sent,
        [
            pairs(&[("page", "1"), ("per_page", "2"), ("status", "open")]),
            pairs(&[("page", "2"), ("per_page", "2"), ("status", "open")]),
            pairs(&[("page", "3"), ("per_page", "2"), ("status", "open")]),
        ]
    );
    // Every page carries the credential.
    assert!(
        received(&server)
            .await
            .iter()
            .all(|r| header(r, "authorization") == Some("Bearer tok"))
    );
    server.verify().await;
}

#[tokio::test]
async fn page_number_from_zero() {
    let server = MockServer::start().await;
    page_answer(&server, "p", "0", page_of(&[1, 2])).await;
    page_answer(&server, "p", "1", page_of(&[])).await;
    let connection = connect(
        &server,
        &spec(
            "response = { records = \"/data\" }\npagination = { type = \"page_number\", param = \"p\", start = 0 }",
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2]);
    // The empty page is returned, and ends the run.
    assert_eq!(pages, 2);
    server.verify().await;
}

#[tokio::test]
async fn offset_until_an_empty_page() {
    let server = MockServer::start().await;
    page_answer(&server, "offset", "0", page_of(&[1, 2])).await;
    page_answer(&server, "offset", "2", page_of(&[3, 4])).await;
    page_answer(&server, "offset", "4", page_of(&[])).await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "offset", param = "offset", limit_param = "limit", limit = 2 }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3, 4]);
    assert_eq!(pages, 3);
    for request in received(&server).await {
        assert_eq!(
            request
                .url
                .query_pairs()
                .filter(|(k, _)| k == "limit")
                .count(),
            1
        );
        assert_eq!(
            request
                .url
                .query_pairs()
                .find(|(k, _)| k == "limit")
                .unwrap()
                .1,
            "2"
        );
    }
    server.verify().await;
}

#[tokio::test]
async fn offset_advances_by_the_records_received() {
    let server = MockServer::start().await;
    page_answer(&server, "start", "0", page_of(&[1, 2, 3])).await;
    page_answer(&server, "start", "3", page_of(&[4])).await;
    page_answer(&server, "start", "4", page_of(&[])).await;
    let connection = connect(
        &server,
        &spec(
            "response = { records = \"/data\" }\npagination = { type = \"offset\", param = \"start\" }",
        ),
        token(),
    );
    let (records, _) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3, 4]);
    server.verify().await;
}

#[tokio::test]
async fn cursor_until_the_token_is_missing() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param_is_missing("cursor"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": [{ "id": 1 }], "meta": { "next": "c/2+x=" } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    page_answer(
        &server,
        "cursor",
        "c/2+x=",
        json!({ "data": [{ "id": 2 }], "meta": { "next": "c3" } }),
    )
    .await;
    page_answer(
        &server,
        "cursor",
        "c3",
        json!({ "data": [{ "id": 3 }], "meta": {} }),
    )
    .await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/meta/next", limit_param = "size", limit = 1 }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3]);
    assert_eq!(pages, 3);
    let sent = queries(&server).await;
    assert_eq!(sent[0], pairs(&[("size", "1")]));
    assert_eq!(sent[1], pairs(&[("size", "1"), ("cursor", "c/2+x=")]));
    server.verify().await;
}

#[tokio::test]
async fn cursor_stops_at_an_empty_or_null_token() {
    for next in [json!(""), json!(null)] {
        let server = MockServer::start().await;
        Mock::given(method("GET"))
            .and(path("/items"))
            .respond_with(
                ResponseTemplate::new(200)
                    .set_body_json(json!({ "data": [{ "id": 1 }], "next": next })),
            )
            .expect(1)
            .mount(&server)
            .await;
        let connection = connect(
            &server,
            &spec(
                "response = { records = \"/data\" }\npagination = { type = \"cursor\", param = \"after\", path = \"next\" }",
            ),
            token(),
        );
        let (_, pages) = collect(&connection, Call::default()).await;
        assert_eq!(pages, 1, "next = {next}");
        server.verify().await;
    }
}

#[tokio::test]
async fn next_url_resolves_relative_urls() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "data": [{ "id": 1 }], "links": { "next": "/items/p2?after=1" } }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    // Relative to /items/p2: /items/p3.
    Mock::given(method("GET"))
        .and(path("/items/p2"))
        .and(query_param("after", "1"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": [{ "id": 2 }], "links": { "next": "p3" } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let absolute = format!("{}/items/p4", server.uri());
    Mock::given(method("GET"))
        .and(path("/items/p3"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": [{ "id": 3 }], "links": { "next": absolute } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/items/p4"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": [{ "id": 4 }], "links": { "next": null } })),
        )
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec(
            "response = { records = \"/data\" }\npagination = { type = \"next_url\", path = \"/links/next\" }",
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3, 4]);
    assert_eq!(pages, 4);
    let requests = received(&server).await;
    let paths: Vec<&str> = requests.iter().map(|r| r.url.path()).collect();
    assert_eq!(paths, ["/items", "/items/p2", "/items/p3", "/items/p4"]);
    // A next URL replaces the endpoint URL but keeps the credential.
    assert!(
        requests
            .iter()
            .all(|r| header(r, "authorization") == Some("Bearer tok"))
    );
    server.verify().await;
}

#[tokio::test]
async fn link_header_follows_rel_next() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{ "id": 1 }]))
                .insert_header(
                    "Link",
                    format!(
                        r#"<{base}/items?page=9>; rel="last", <{base}/items?page=2>; rel="next""#
                    )
                    .as_str(),
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param("page", "2"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{ "id": 2 }]))
                // Relative, and the relation among others.
                .insert_header(
                    "Link",
                    r#"</items?page=3>; rel="prev next", </items?page=1>; rel="first""#,
                ),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param("page", "3"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([{ "id": 3 }])))
        .expect(1)
        .mount(&server)
        .await;
    // No `rel`: `next` by default; records are the whole (array) body.
    let connection = connect(
        &server,
        &spec("pagination = { type = \"link_header\" }"),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3]);
    assert_eq!(pages, 3);
    server.verify().await;
}

#[tokio::test]
async fn link_header_with_another_rel() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param_is_missing("page"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([{ "id": 1 }]))
                .insert_header(
                    "Link",
                    format!(
                        r#"<{base}/items?page=2>; rel="next", <{base}/items?page=5>; rel="more""#
                    )
                    .as_str(),
                ),
        )
        .mount(&server)
        .await;
    page_answer(&server, "page", "5", json!([{ "id": 5 }])).await;
    let connection = connect(
        &server,
        &spec("pagination = { type = \"link_header\", rel = \"more\" }"),
        token(),
    );
    let (records, _) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 5]);
    server.verify().await;
}

#[tokio::test]
async fn max_pages_ends_the_run() {
    let server = MockServer::start().await;
    // Every page is full and differs from the previous one (an identical
    // page would end the run by itself).
    for page in 1..=4_i64 {
        Mock::given(method("GET"))
            .and(path("/items"))
            .and(query_param("page", page.to_string()))
            .respond_with(
                ResponseTemplate::new(200).set_body_json(page_of(&[2 * page - 1, 2 * page])),
            )
            .mount(&server)
            .await;
    }
    let connection = connect(
        &server,
        &spec(
            "response = { records = \"/data\" }\npagination = { type = \"page_number\", param = \"page\", max_pages = 3 }",
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(pages, 3);
    assert_eq!(records.len(), 6);
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn records_at_a_nested_pointer() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({ "result": { "rows": [{ "id": 7 }, { "id": 8 }] }, "total": 2 }),
            ),
        )
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec("response = { records = \"/result/rows\" }"),
        token(),
    );
    let mut pages = connection.pages("items", Call::default()).unwrap();
    let page = pages.next().await.unwrap().unwrap();
    assert_eq!(ids(&page.records), [7, 8]);
    // The response itself is passed through unchanged.
    assert_eq!(page.response.json().unwrap()["total"], json!(2));
    // No pagination: one page.
    assert!(pages.next().await.is_none());
    assert_eq!(received(&server).await.len(), 1);
}

#[tokio::test]
async fn a_failing_page_ends_the_run_with_its_error() {
    let server = MockServer::start().await;
    page_answer(&server, "page", "1", page_of(&[1, 2])).await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param("page", "2"))
        .respond_with(ResponseTemplate::new(404))
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec(
            "response = { records = \"/data\" }\npagination = { type = \"page_number\", param = \"page\" }",
        ),
        token(),
    );
    let mut pages = connection.pages("items", Call::default()).unwrap();
    assert_eq!(ids(&pages.next().await.unwrap().unwrap().records), [1, 2]);
    let error = pages.next().await.unwrap().unwrap_err();
    assert!(
        matches!(error, Error::Status { status: 404, .. }),
        "{error:?}"
    );
    assert!(pages.next().await.is_none());
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_page_that_is_not_json_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_string("<html>oops</html>"))
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec("pagination = { type = \"page_number\", param = \"page\" }"),
        token(),
    );
    let mut pages = connection.pages("items", Call::default()).unwrap();
    let error = pages.next().await.unwrap().unwrap_err();
    assert!(matches!(error, Error::Response { .. }), "{error:?}");
    assert!(error.to_string().contains("not JSON"), "{error}");
    assert!(pages.next().await.is_none());
}

#[tokio::test]
async fn a_next_url_in_plain_http_to_a_remote_host_is_refused() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({ "data": [1], "next": "http://example.invalid/items?page=2" }),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec(
            "response = { records = \"/data\" }\npagination = { type = \"next_url\", path = \"/next\" }",
        ),
        token(),
    );
    let mut pages = connection.pages("items", Call::default()).unwrap();
    assert_eq!(pages.next().await.unwrap().unwrap().records, [json!(1)]);
    let error = pages.next().await.unwrap().unwrap_err();
    // Refused before anything is sent: it is on another origin (and plain
    // http to a remote host besides).
    assert!(matches!(&error, Error::Response { .. }), "{error:?}");
    assert!(
        error
            .to_string()
            .contains("another origin (http://example.invalid)"),
        "{error}"
    );
    assert!(pages.next().await.is_none());
    server.verify().await;
}

// Stop conditions (issue 13): the token decides for cursor, next-URL and
// Link-header runs; `more`, `done` and `total` end any kind; numbered and
// offset runs keep "an empty or short page ends" only without them.

/// A cursor page: records `ids`, the next token at `/next` (none: absent).
fn cursor_page(ids: &[i64], next: Option<&str>) -> Value {
    let mut page = page_of(ids);
    if let Some(next) = next {
        page["next"] = json!(next);
    }
    page
}

/// Answers the first request (no `param`) with `body`.
async fn first_answer(server: &MockServer, param: &str, body: Value) {
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param_is_missing(param))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn a_cursor_run_goes_on_past_an_empty_page_that_has_a_token() {
    let server = MockServer::start().await;
    first_answer(&server, "cursor", cursor_page(&[1, 2], Some("c2"))).await;
    page_answer(&server, "cursor", "c2", cursor_page(&[], Some("c3"))).await;
    page_answer(&server, "cursor", "c3", cursor_page(&[3], None)).await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/next", limit_param = "limit", limit = 2 }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(
        ids(&records),
        [1, 2, 3],
        "the empty and the short page did not end it"
    );
    assert_eq!(pages, 3);
    server.verify().await;
}

#[tokio::test]
async fn a_full_last_page_without_a_token_ends_without_another_request() {
    let server = MockServer::start().await;
    first_answer(&server, "cursor", cursor_page(&[1, 2], Some("c2"))).await;
    page_answer(&server, "cursor", "c2", cursor_page(&[3, 4], None)).await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/next", limit_param = "limit", limit = 2 }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3, 4]);
    assert_eq!(pages, 2);
    server.verify().await;
}

#[tokio::test]
async fn next_url_and_link_header_runs_go_on_past_an_empty_page() {
    let server = MockServer::start().await;
    page_answer(
        &server,
        "p",
        "1",
        json!({ "data": [], "next": "/items?p=2" }),
    )
    .await;
    page_answer(&server, "p", "2", json!({ "data": [{ "id": 7 }] })).await;
    let connection = connect(
        &server,
        &format!(
            "{AUTH}\n[endpoints.items]\nmethod = \"GET\"\nurl = \"{{{{ base }}}}/items?p=1\"\nresponse = {{ records = \"/data\" }}\npagination = {{ type = \"next_url\", path = \"/next\" }}\n"
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [7]);
    assert_eq!(pages, 2);
    server.verify().await;
}

/// Stripe's shape: `{"object":"list","has_more":…,"data":[{"id":…}]}`.
fn stripe_page(ids: &[&str], has_more: bool) -> Value {
    json!({
        "object": "list",
        "url": "/v1/items",
        "has_more": has_more,
        "data": ids.iter().map(|id| json!({ "id": id, "object": "customer" })).collect::<Vec<_>>(),
    })
}

const LAST_RECORD: &str = r#"response = { records = "/data" }
pagination = { type = "cursor", param = "starting_after", last_record = "/id", more = "/has_more", limit_param = "limit", limit = 2 }"#;

#[tokio::test]
async fn last_record_takes_the_cursor_from_the_last_record_until_more_is_false() {
    let server = MockServer::start().await;
    first_answer(
        &server,
        "starting_after",
        stripe_page(&["cus_1", "cus_2"], true),
    )
    .await;
    page_answer(
        &server,
        "starting_after",
        "cus_2",
        stripe_page(&["cus_3", "cus_4"], false),
    )
    .await;
    let connection = connect(&server, &spec(LAST_RECORD), token());
    let mut pages = connection.pages("items", Call::default()).unwrap();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        for record in page.unwrap().records {
            seen.push(record["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(seen, ["cus_1", "cus_2", "cus_3", "cus_4"]);
    let sent = queries(&server).await;
    assert_eq!(sent[0], pairs(&[("limit", "2")]));
    assert_eq!(
        sent[1],
        pairs(&[("limit", "2"), ("starting_after", "cus_2")])
    );
    server.verify().await;
}

#[tokio::test]
async fn has_more_true_on_an_empty_page_is_an_error_for_want_of_a_last_record() {
    // Stripe never documents this answer; if it came, there is no last
    // object to continue after while `has_more` says records remain, so
    // the run fails rather than pass for a complete read.
    let server = MockServer::start().await;
    first_answer(
        &server,
        "starting_after",
        stripe_page(&["cus_1", "cus_2"], true),
    )
    .await;
    page_answer(&server, "starting_after", "cus_2", stripe_page(&[], true)).await;
    let connection = connect(&server, &spec(LAST_RECORD), token());
    let error = unfinished(&connection, 2).await;
    let message = error.to_string();
    assert!(
        message.contains("`/has_more` is true") && message.contains("no records"),
        "{message}"
    );
    server.verify().await;
}

/// Reads `pages` pages, then expects [`Error::PageUnfinished`] and the end.
async fn unfinished(connection: &Connection, pages: usize) -> Error {
    let mut run = connection.pages("items", Call::default()).unwrap();
    for _ in 0..pages {
        run.next().await.unwrap().unwrap();
    }
    let error = run.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::PageUnfinished { endpoint, .. } if endpoint == "items"),
        "{error:?}"
    );
    assert!(run.next().await.is_none());
    error
}

#[tokio::test]
async fn has_more_true_without_a_cursor_is_an_error() {
    let server = MockServer::start().await;
    first_answer(
        &server,
        "cursor",
        json!({ "data": [{ "id": 1 }], "next": null, "more": true }),
    )
    .await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/next", more = "/more" }"#,
        ),
        token(),
    );
    let message = unfinished(&connection, 1).await.to_string();
    assert!(
        message.contains("`/more` is true") && message.contains("no cursor at `/next`"),
        "{message}"
    );
}

#[tokio::test]
async fn a_cursor_that_is_not_a_string_or_number_with_more_true_is_an_error_quoting_it_short() {
    let server = MockServer::start().await;
    let long = "x".repeat(5000);
    first_answer(
        &server,
        "cursor",
        json!({ "data": [{ "id": 1 }], "next": { "token": long }, "more": true }),
    )
    .await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/next", more = "/more" }"#,
        ),
        token(),
    );
    let message = unfinished(&connection, 1).await.to_string();
    assert!(message.contains("not a string or number"), "{message}");
    assert!(message.len() < 1500, "the value is cut: {message}");
}

#[tokio::test]
async fn a_last_record_without_the_field_with_more_true_is_an_error() {
    let server = MockServer::start().await;
    first_answer(
        &server,
        "starting_after",
        json!({ "has_more": true, "data": [{ "id": "cus_1" }, { "object": "customer" }] }),
    )
    .await;
    let connection = connect(&server, &spec(LAST_RECORD), token());
    let message = unfinished(&connection, 1).await.to_string();
    assert!(message.contains("last record has no `/id`"), "{message}");
}

#[tokio::test]
async fn a_total_not_reached_without_a_next_link_is_an_error() {
    let server = MockServer::start().await;
    first_answer(
        &server,
        "cursor",
        json!({ "data": [{ "id": 1 }, { "id": 2 }], "total": 5 }),
    )
    .await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "next_url", path = "/next", total = "/total" }"#,
        ),
        token(),
    );
    let message = unfinished(&connection, 1).await.to_string();
    assert!(
        message.contains("`/total` is 5 and 2 records were read")
            && message.contains("no next-page link at `/next`"),
        "{message}"
    );
}

#[tokio::test]
async fn no_cursor_ends_cleanly_when_more_is_false_done_is_true_or_total_is_reached() {
    for (stop, body) in [
        (
            r#"more = "/more""#,
            json!({ "data": [{ "id": 1 }], "more": false }),
        ),
        (
            r#"done = "/done""#,
            json!({ "data": [{ "id": 1 }], "done": true }),
        ),
        // `done` false or absent promises no next page: it only marks an end.
        (
            r#"done = "/done""#,
            json!({ "data": [{ "id": 1 }], "done": false }),
        ),
        (r#"done = "/done""#, json!({ "data": [{ "id": 1 }] })),
        (
            r#"total = "/total""#,
            json!({ "data": [{ "id": 1 }], "total": 1 }),
        ),
        // A total the API does not give is not a promise either.
        (r#"total = "/total""#, json!({ "data": [{ "id": 1 }] })),
    ] {
        let server = MockServer::start().await;
        first_answer(&server, "cursor", body).await;
        let connection = connect(
            &server,
            &spec(&format!(
                "response = {{ records = \"/data\" }}\npagination = {{ type = \"cursor\", param = \"cursor\", path = \"/next\", {stop} }}"
            )),
            token(),
        );
        let (records, pages) = collect(&connection, Call::default()).await;
        assert_eq!((ids(&records), pages), (vec![1], 1), "{stop}");
    }
}

#[tokio::test]
async fn a_last_record_that_repeats_is_page_repeated() {
    let server = MockServer::start().await;
    first_answer(
        &server,
        "starting_after",
        stripe_page(&["cus_1", "cus_2"], true),
    )
    .await;
    page_answer(
        &server,
        "starting_after",
        "cus_2",
        stripe_page(&["cus_2"], true),
    )
    .await;
    let connection = connect(&server, &spec(LAST_RECORD), token());
    let mut pages = connection.pages("items", Call::default()).unwrap();
    assert!(pages.next().await.unwrap().is_ok());
    assert!(pages.next().await.unwrap().is_ok());
    match pages.next().await {
        Some(Err(Error::PageRepeated { what, value, .. })) => {
            assert_eq!(what, "cursor");
            assert_eq!(value, "cus_2");
        }
        other => panic!("expected PageRepeated, got {other:?}"),
    }
    assert!(pages.next().await.is_none());
    server.verify().await;
}

#[tokio::test]
async fn offset_with_step_limit_goes_on_past_short_and_empty_pages_until_the_total() {
    // Box: the next offset is the previous one plus the limit, a page may
    // hold fewer entries (even none) while more remain; stop at total_count.
    let server = MockServer::start().await;
    let box_page = |ids: &[i64]| json!({ "total_count": 5, "offset": 0, "limit": 2, "entries": ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>() });
    page_answer(&server, "offset", "0", box_page(&[1])).await;
    page_answer(&server, "offset", "2", box_page(&[])).await;
    page_answer(&server, "offset", "4", box_page(&[5])).await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/entries" }
pagination = { type = "offset", param = "offset", limit_param = "limit", limit = 2, step = "limit", total = "/total_count" }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 5]);
    assert_eq!(pages, 3, "offset 6 is past the total of 5: not asked");
    server.verify().await;
}

#[tokio::test]
async fn offset_from_start_one() {
    let server = MockServer::start().await;
    page_answer(&server, "pos", "1", page_of(&[1, 2])).await;
    page_answer(&server, "pos", "3", page_of(&[3])).await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "offset", param = "pos", start = 1, limit_param = "max", limit = 2 }"#,
        ),
        token(),
    );
    let (records, _) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3], "the short page ended it");
    server.verify().await;
}

#[tokio::test]
async fn page_number_ends_once_pages_times_limit_reach_the_total() {
    let server = MockServer::start().await;
    let page = |ids: &[i64]| {
        let mut body = page_of(ids);
        body["total"] = json!(4);
        body
    };
    page_answer(&server, "page", "1", page(&[1, 2])).await;
    page_answer(&server, "page", "2", page(&[3, 4])).await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "page_number", param = "page", limit_param = "per_page", limit = 2, total = "/total" }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3, 4]);
    assert_eq!(pages, 2, "a full last page: page 3 is not asked for");
    server.verify().await;
}

#[tokio::test]
async fn a_cursor_run_ends_once_the_records_reach_the_total() {
    let server = MockServer::start().await;
    let page = |ids: &[i64], next: &str| {
        let mut body = cursor_page(ids, Some(next));
        body["total"] = json!(3);
        body
    };
    first_answer(&server, "after", page(&[1, 2], "c2")).await;
    page_answer(&server, "after", "c2", page(&[3], "c3")).await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "cursor", param = "after", path = "/next", total = "/total" }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3]);
    assert_eq!(pages, 2, "the token c3 is not followed");
    server.verify().await;
}

#[tokio::test]
async fn done_ends_a_next_url_run_whose_last_page_still_links_on() {
    // Zendesk's incremental export: `after_url` is present on the last
    // page, `end_of_stream: true` says it is the last.
    let server = MockServer::start().await;
    let base = server.uri();
    page_answer(
        &server,
        "start_time",
        "0",
        json!({ "tickets": [{ "id": 1 }], "after_url": format!("{base}/items?cursor=a1"), "end_of_stream": false }),
    )
    .await;
    page_answer(
        &server,
        "cursor",
        "a1",
        json!({ "tickets": [{ "id": 2 }], "after_url": format!("{base}/items?cursor=a2"), "end_of_stream": true }),
    )
    .await;
    let connection = connect(
        &server,
        &format!(
            "{AUTH}\n[endpoints.items]\nmethod = \"GET\"\nurl = \"{{{{ base }}}}/items\"\nquery = {{ start_time = \"0\" }}\nresponse = {{ records = \"/tickets\" }}\npagination = {{ type = \"next_url\", path = \"/after_url\", done = \"/end_of_stream\" }}\n"
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2]);
    assert_eq!(pages, 2);
    server.verify().await;
}

#[tokio::test]
async fn more_turns_off_the_short_page_heuristic_of_numbered_pages() {
    // Jira: a page may hold fewer than `maxResults` while `isLast` is false.
    let server = MockServer::start().await;
    let page = |ids: &[i64], last: bool| {
        let mut body = page_of(ids);
        body["isLast"] = json!(last);
        body
    };
    page_answer(&server, "startAt", "0", page(&[1], false)).await;
    page_answer(&server, "startAt", "1", page(&[2, 3], true)).await;
    let connection = connect(
        &server,
        &spec(
            r#"response = { records = "/data" }
pagination = { type = "offset", param = "startAt", limit_param = "maxResults", limit = 2, done = "/isLast" }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(
        ids(&records),
        [1, 2, 3],
        "the short first page did not end it"
    );
    assert_eq!(pages, 2);
    server.verify().await;
}

const PAGE_SIZE_VARIABLE: &str = r#"response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/next", limit_param = "limit", limit = "{{ page_size }}" }

[endpoints.items.variables.page_size]
type = "integer"
default = 50
minimum = 1
maximum = 200
"#;

#[tokio::test]
async fn limit_from_a_variable_is_sent_as_the_page_size() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(cursor_page(&[1], None)))
        .expect(2)
        .mount(&server)
        .await;
    let connection = connect(&server, &spec(PAGE_SIZE_VARIABLE), token());
    collect(&connection, common::call(json!({ "page_size": 120 }))).await;
    assert_eq!(queries(&server).await[0], pairs(&[("limit", "120")]));
    let connection = connect(&server, &spec(PAGE_SIZE_VARIABLE), token());
    collect(&connection, Call::default()).await;
    assert_eq!(
        queries(&server).await[1],
        pairs(&[("limit", "50")]),
        "the default"
    );
}

#[tokio::test]
async fn limit_from_a_variable_above_its_maximum_is_a_clear_error_before_any_request() {
    let server = MockServer::start().await;
    let connection = connect(&server, &spec(PAGE_SIZE_VARIABLE), token());
    let error = connection
        .pages("items", common::call(json!({ "page_size": 500 })))
        .unwrap_err();
    assert!(
        matches!(&error, Error::EndpointVariable { key, .. } if key == "page_size"),
        "{error:?}"
    );
    assert_eq!(
        error.to_string(),
        "endpoint variable `page_size`: must be at most 200 (its `maximum`)"
    );
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn an_instance_value_above_a_connector_variables_maximum_is_refused_at_binding() {
    let text = format!(
        "{AUTH}\n[variables.page_size]\ntype = \"integer\"\ndefault = 100\nmaximum = 1000\n\n[endpoints.items]\nmethod = \"GET\"\nurl = \"{{{{ base }}}}/items\"\nresponse = {{ records = \"/data\" }}\npagination = {{ type = \"offset\", param = \"offset\", limit_param = \"limit\", limit = \"{{{{ page_size }}}}\" }}\n"
    );
    let connector = common::connector(&text);
    let error = common::instance(
        &connector,
        "http://127.0.0.1:1",
        json!({ "token": "tok", "page_size": 5000 }),
    )
    .unwrap_err();
    assert_eq!(
        error.to_string(),
        "instance value `page_size`: must be at most 1000 (its `maximum`)"
    );
}

#[tokio::test]
async fn a_dry_run_shows_the_page_size_from_the_variable() {
    let server = MockServer::start().await;
    let connection = connect(&server, &spec(PAGE_SIZE_VARIABLE), token());
    let requests = connection
        .dry_run("items", &common::call(json!({ "page_size": 120 })))
        .unwrap();
    let first = requests.last().unwrap();
    assert_eq!(first.url.query(), Some("limit=120"));
    let error = connection
        .dry_run("items", &common::call(json!({ "page_size": 201 })))
        .unwrap_err();
    assert!(error.to_string().contains("at most 200"), "{error}");
}

/// An endpoint `items` of this method, the rest of its table after it.
fn spec_with_method(http_method: &str, endpoint: &str) -> String {
    format!(
        "{AUTH}\n[endpoints.items]\nmethod = \"{http_method}\"\nurl = \"{{{{ base }}}}/items\"\n{endpoint}\n"
    )
}

/// Each received request's JSON body.
async fn json_bodies(server: &MockServer) -> Vec<Value> {
    received(server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect()
}

#[tokio::test]
async fn page_values_fill_a_query_statement_and_a_header() {
    let server = MockServer::start().await;
    for (offset, ids) in [("0", &[1, 2][..]), ("2", &[3, 4]), ("4", &[5])] {
        Mock::given(method("GET"))
            .and(path("/items"))
            .and(query_param(
                "query",
                format!("SELECT * FROM Item STARTPOSITION {offset} MAXRESULTS 2"),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(page_of(ids)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let connection = connect(
        &server,
        &spec(
            r#"query = { query = "SELECT * FROM Item STARTPOSITION {{ page.offset }} MAXRESULTS {{ page.size }}" }
headers = { X-Offset = "{{ page.offset }}" }
response = { records = "/data" }
pagination = { type = "offset", limit = 2 }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3, 4, 5]);
    assert_eq!(pages, 3);
    let sent = received(&server).await;
    // Without `param` the runtime adds no query parameter of its own.
    assert!(sent.iter().all(|r| query(r).len() == 1));
    let offsets: Vec<_> = sent.iter().map(|r| header(r, "x-offset")).collect();
    assert_eq!(offsets, [Some("0"), Some("2"), Some("4")]);
    server.verify().await;
}

#[tokio::test]
async fn a_page_number_in_a_json_body_stays_a_number() {
    let server = MockServer::start().await;
    for (number, ids) in [(1, &[1, 2][..]), (2, &[])] {
        Mock::given(method("POST"))
            .and(path("/items"))
            .and(wiremock::matchers::body_partial_json(
                json!({ "paging": { "page": number, "per_page": 2 } }),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(page_of(ids)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let connection = connect(
        &server,
        &spec_with_method(
            "POST",
            r#"direction = "receive"
body = { type = "json", content = { paging = { page = "{{ page.number }}", per_page = "{{ page.size }}" }, label = "page {{ page.number }}" } }
response = { records = "/data" }
pagination = { type = "page_number", limit = 2 }"#,
        ),
        token(),
    );
    let (records, _) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2]);
    assert_eq!(
        json_bodies(&server).await,
        [
            json!({ "paging": { "page": 1, "per_page": 2 }, "label": "page 1" }),
            json!({ "paging": { "page": 2, "per_page": 2 }, "label": "page 2" }),
        ]
    );
    server.verify().await;
}

#[tokio::test]
async fn a_cursor_in_a_json_body_is_left_out_of_the_first_page() {
    let server = MockServer::start().await;
    let answers = [
        json!({ "results": [{ "id": 1 }, { "id": 2 }], "paging": { "next": { "after": "2" } } }),
        json!({ "results": [{ "id": 3 }, { "id": 4 }], "paging": { "next": { "after": "4" } } }),
        json!({ "results": [{ "id": 5 }] }),
    ];
    for (i, answer) in answers.into_iter().enumerate() {
        Mock::given(method("POST"))
            .and(path("/items"))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .up_to_n_times(1)
            .with_priority(u8::try_from(i + 1).unwrap())
            .mount(&server)
            .await;
    }
    let connection = connect(
        &server,
        &spec_with_method(
            "POST",
            r#"direction = "receive"
body = { type = "json", content = { limit = "{{ page.size }}", after = "{{ page.cursor }}", filters = [{ value = "x" }] } }
response = { records = "/results" }
pagination = { type = "cursor", path = "/paging/next/after", limit = 2 }"#,
        ),
        token(),
    );
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3, 4, 5]);
    assert_eq!(pages, 3);
    assert_eq!(
        json_bodies(&server).await,
        [
            json!({ "limit": 2, "filters": [{ "value": "x" }] }),
            json!({ "limit": 2, "after": "2", "filters": [{ "value": "x" }] }),
            json!({ "limit": 2, "after": "4", "filters": [{ "value": "x" }] }),
        ]
    );
    // No query parameter was added for the cursor.
    assert!(
        received(&server)
            .await
            .iter()
            .all(|r| r.url.query().is_none())
    );
}

#[tokio::test]
async fn a_cursor_entry_in_the_query_a_header_or_a_form_is_left_out_of_the_first_page() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/items"))
        .and(query_param_is_missing("from"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": [{ "id": 1 }], "next": "n 2" })),
        )
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/items"))
        .and(query_param("from", "n 2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [{ "id": 2 }] })))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec_with_method(
            "POST",
            r#"direction = "receive"
query = { from = "{{ page.cursor }}", view = "all" }
headers = { X-Cursor = "{{ page.cursor }}" }
body = { type = "form", content = { cursor = "{{ page.cursor }}", kind = "item" } }
response = { records = "/data" }
pagination = { type = "cursor", path = "/next" }"#,
        ),
        token(),
    );
    let (records, _) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2]);
    let sent = received(&server).await;
    assert_eq!(query(&sent[0]), pairs(&[("view", "all")]));
    assert_eq!(header(&sent[0], "x-cursor"), None);
    assert_eq!(form(&sent[0]), pairs(&[("kind", "item")]));
    assert_eq!(query(&sent[1]), pairs(&[("from", "n 2"), ("view", "all")]));
    assert_eq!(header(&sent[1], "x-cursor"), Some("n 2"));
    assert_eq!(
        form(&sent[1]),
        pairs(&[("cursor", "n 2"), ("kind", "item")])
    );
    server.verify().await;
}

/// Dropbox's shape: `list_folder` first, `list_folder/continue` with the
/// cursor in the body after it.
const CONTINUED: &str = r#"direction = "receive"
body = { type = "json", content = { path = "/docs", limit = 2 } }
response = { records = "/entries" }

[endpoints.items.pagination]
type = "cursor"
path = "/cursor"
more = "/has_more"

[endpoints.items.pagination.next]
method = "PUT"
url = "{{ base }}/items/continue"
headers = { X-Step = "next" }
body = { type = "json", content = { cursor = "{{ page.cursor }}" } }"#;

#[tokio::test]
async fn a_next_request_replaces_the_method_url_headers_and_body() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/items"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "entries": [{ "id": 1 }, { "id": 2 }], "cursor": "AAE", "has_more": true }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    for (cursor, answer) in [
        (
            "AAE",
            json!({ "entries": [{ "id": 3 }], "cursor": "AAF", "has_more": true }),
        ),
        (
            "AAF",
            json!({ "entries": [], "cursor": "AAG", "has_more": false }),
        ),
    ] {
        Mock::given(method("PUT"))
            .and(path("/items/continue"))
            .and(wiremock::matchers::body_json(json!({ "cursor": cursor })))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .expect(1)
            .mount(&server)
            .await;
    }
    let connection = connect(&server, &spec_with_method("POST", CONTINUED), token());
    let (records, pages) = collect(&connection, Call::default()).await;
    assert_eq!(ids(&records), [1, 2, 3]);
    assert_eq!(pages, 3);
    let sent = received(&server).await;
    assert_eq!(
        serde_json::from_slice::<Value>(&sent[0].body).unwrap(),
        json!({ "path": "/docs", "limit": 2 })
    );
    assert_eq!(header(&sent[0], "x-step"), None);
    assert!(
        sent[1..]
            .iter()
            .all(|r| header(r, "x-step") == Some("next"))
    );
    // The credential is applied to the `next` request as to the first.
    assert!(
        sent.iter()
            .all(|r| header(r, "authorization") == Some("Bearer tok"))
    );
    assert!(
        sent.iter()
            .all(|r| header(r, "content-type") == Some("application/json"))
    );
    server.verify().await;
}

#[tokio::test]
async fn a_next_request_whose_cursor_repeats_is_an_error() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/items"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({ "entries": [{ "id": 1 }], "cursor": "same", "has_more": true }),
            ),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/items/continue"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(
                json!({ "entries": [{ "id": 2 }], "cursor": "same", "has_more": true }),
            ),
        )
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(&server, &spec_with_method("POST", CONTINUED), token());
    let mut pages = connection.pages("items", Call::default()).unwrap();
    pages.next().await.unwrap().unwrap();
    pages.next().await.unwrap().unwrap();
    let error = pages.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::PageRepeated { what, value, .. } if what == "cursor" && value == "same"),
        "{error:?}"
    );
    assert!(pages.next().await.is_none());
    server.verify().await;
}

#[tokio::test]
async fn a_dry_run_shows_what_the_first_page_sends() {
    let connection = connect_to_nowhere(&spec_with_method(
        "POST",
        r#"direction = "receive"
query = { from = "{{ page.cursor }}" }
body = { type = "json", content = { limit = "{{ page.size }}", after = "{{ page.cursor }}" } }
response = { records = "/results" }

pagination = { type = "cursor", path = "/next", limit = 50 }"#,
    ));
    let requests = connection.dry_run("items", &Call::default()).unwrap();
    let first = requests.last().unwrap();
    assert_eq!(first.url.path(), "/items");
    assert_eq!(first.url.query(), None);
    assert_eq!(
        first.body,
        Some(patchbay_runtime::RequestBody::Json(json!({ "limit": 50 })))
    );
}

/// A connection whose requests are only rendered, never sent.
fn connect_to_nowhere(rest: &str) -> Connection {
    common::connect_to("https://api.example.com", rest, token(), common::fast())
}
