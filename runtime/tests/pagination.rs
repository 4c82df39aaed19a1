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
            ResponseTemplate::new(200)
                .set_body_json(json!({ "entries": [{ "id": 1 }], "cursor": "same" })),
        )
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path("/items/continue"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "entries": [{ "id": 2 }], "cursor": "same" })),
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
