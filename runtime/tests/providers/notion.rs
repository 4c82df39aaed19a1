//! Notion: the connector-wide `Notion-Version` header on every request,
//! cursor pagination in the JSON body of POST queries (`start_cursor`,
//! `page_size`; the answer's `next_cursor` and `has_more`) and in the query
//! of GET lists, and an optional search text left out when not given
//! (https://developers.notion.com/reference/intro#pagination,
//! https://developers.notion.com/reference/post-database-query).

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{call, received};
use crate::fixture::{self, read_all};

const DATABASE: &str = "897e5a76ae524b489fdfe71f5945d1af";

/// A list answer of `count` pages from `first` on, as Notion shapes it.
fn answer(first: usize, count: usize, next: Option<&str>) -> Value {
    let results: Vec<Value> = (first..first + count)
        .map(|n| {
            json!({
                "object": "page",
                "id": format!("59833787-2cf9-4fdf-8782-e53db20768a{}", n % 10),
                "n": n,
                "parent": { "type": "database_id", "database_id": DATABASE },
                "properties": { "Name": { "id": "title", "type": "title", "title": [] } }
            })
        })
        .collect();
    json!({
        "object": "list",
        "results": results,
        "next_cursor": next,
        "has_more": next.is_some(),
        "type": "page_or_database",
        "page_or_database": {}
    })
}

fn connection(server: &MockServer) -> patchbay_runtime::Connection {
    let connector = fixture::connector("notion", "https://api.notion.com", &server.uri());
    fixture::connection(&connector, "internal", json!({ "token": "ntn_test" }))
}

#[tokio::test]
async fn a_database_query_reads_every_page_with_the_cursor_in_the_body() {
    let server = MockServer::start().await;
    let query = || {
        Mock::given(method("POST"))
            .and(path(format!("/v1/databases/{DATABASE}/query")))
            .and(header("authorization", "Bearer ntn_test"))
            .and(header("notion-version", "2022-06-28"))
    };
    query()
        .and(body_partial_json(json!({ "start_cursor": "c-100" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(100, 100, Some("c-200"))))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    query()
        .and(body_partial_json(json!({ "start_cursor": "c-200" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(200, 12, None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    query()
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(0, 100, Some("c-100"))))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let connection = connection(&server);
    let (records, pages) = read_all(
        &connection,
        "query_database",
        call(json!({ "database_id": DATABASE })),
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(records.len(), 212);
    assert_eq!(records[211]["n"], 211);
    let bodies: Vec<Value> = received(&server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    // No cursor yet on the first page: `start_cursor` is left out, and
    // the page size stays a number.
    assert_eq!(bodies[0], json!({ "page_size": 100 }));
    assert_eq!(
        bodies[2],
        json!({ "start_cursor": "c-200", "page_size": 100 })
    );
    server.verify().await;
}

#[tokio::test]
async fn search_leaves_out_a_query_not_given_and_sends_one_given() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/search"))
        .and(header("notion-version", "2022-06-28"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(0, 3, None)))
        .expect(2)
        .mount(&server)
        .await;
    let connection = connection(&server);
    let (records, _) = read_all(&connection, "search", call(json!({}))).await;
    assert_eq!(records.len(), 3);
    read_all(&connection, "search", call(json!({ "query": "Roadmap" }))).await;
    let bodies: Vec<Value> = received(&server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    // Not `"query": ""`, which Notion would read as a title filter.
    assert_eq!(bodies[0], json!({ "page_size": 100 }));
    assert_eq!(bodies[1], json!({ "query": "Roadmap", "page_size": 100 }));
    server.verify().await;
}

#[tokio::test]
async fn users_page_with_the_cursor_in_the_query_and_every_request_has_the_version() {
    let server = MockServer::start().await;
    let users = || {
        Mock::given(method("GET"))
            .and(path("/v1/users"))
            .and(header("notion-version", "2022-06-28"))
            .and(query_param("page_size", "100"))
    };
    users()
        .and(query_param("start_cursor", "u-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(100, 1, None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    users()
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(0, 100, Some("u-2"))))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let connection = connection(&server);
    let (records, pages) = read_all(&connection, "list_users", call(json!({}))).await;
    assert_eq!((records.len(), pages), (101, 2));
    let first = &received(&server).await[0];
    assert!(!first.url.query().unwrap_or("").contains("start_cursor"));
    server.verify().await;
}

#[tokio::test]
async fn a_query_sends_the_payloads_filter_and_sorts_on_every_page() {
    let server = MockServer::start().await;
    let query = format!("/v1/databases/{DATABASE}/query");
    Mock::given(method("POST"))
        .and(path(query.as_str()))
        .and(body_partial_json(json!({ "start_cursor": "c-1" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(1, 1, None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(query.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(0, 1, Some("c-1"))))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let filter = json!({ "property": "Status", "status": { "equals": "Done" } });
    let call = patchbay_runtime::Call {
        payload: Some(json!({ "filter": filter })),
        ..call(json!({ "database_id": DATABASE }))
    };
    let (records, pages) = read_all(&connection(&server), "query_database", call).await;
    assert_eq!((records.len(), pages), (2, 2));
    let bodies: Vec<Value> = received(&server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    // The filter object is sent as it is, on both pages; `sorts`, which the
    // payload lacks, is left out.
    assert_eq!(bodies[0], json!({ "filter": filter, "page_size": 100 }));
    assert_eq!(
        bodies[1],
        json!({ "filter": filter, "start_cursor": "c-1", "page_size": 100 })
    );
    server.verify().await;
}
