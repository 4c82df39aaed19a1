//! `Connection::pages` for each pagination type: the requests it sends and
//! where each run stops.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{connect, header, query, received};
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
