//! Stripe lists and searches read to the end: `starting_after` = id of
//! the last object, `has_more` (https://docs.stripe.com/api/pagination,
//! https://docs.stripe.com/api/pagination/search).

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{call, query, received};
use crate::fixture;

/// A list object as Stripe documents it.
fn list(ids: &[&str], has_more: bool) -> Value {
    json!({
        "object": "list",
        "url": "/v1/customers",
        "has_more": has_more,
        "data": ids.iter().map(|id| json!({ "id": id, "object": "customer", "created": 1405641735 })).collect::<Vec<_>>(),
    })
}

async fn answer(server: &MockServer, after: Option<&str>, body: Value) {
    let mock = Mock::given(method("GET"))
        .and(path("/v1/customers"))
        .and(header("authorization", "Bearer sk_test_x"));
    let mock = match after {
        None => mock.and(query_param_is_missing("starting_after")),
        Some(after) => mock.and(query_param("starting_after", after)),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

/// Every record's id of `endpoint`, reading every page.
async fn read_all(server: &MockServer, endpoint: &str, variables: Value) -> Vec<String> {
    let connector = fixture::connector("stripe", "https://api.stripe.com", &server.uri());
    let connection = fixture::connection(&connector, "secret_key", json!({ "token": "sk_test_x" }));
    let (records, _) = fixture::read_all(&connection, endpoint, call(variables)).await;
    fixture::ids(&records)
}

#[tokio::test]
async fn list_customers_reads_every_page_after_the_last_id() {
    let server = MockServer::start().await;
    answer(&server, None, list(&["cus_5", "cus_4"], true)).await;
    answer(&server, Some("cus_4"), list(&["cus_3", "cus_2"], true)).await;
    // A full last page: has_more false ends the run without another request.
    answer(&server, Some("cus_2"), list(&["cus_1"], false)).await;
    let ids = read_all(&server, "list_customers", json!({})).await;
    assert_eq!(ids, ["cus_5", "cus_4", "cus_3", "cus_2", "cus_1"]);
    let sent: Vec<_> = received(&server).await.iter().map(query).collect();
    assert!(
        sent.iter()
            .all(|q| q.contains(&("limit".into(), "100".into())))
    );
    server.verify().await;
}

#[tokio::test]
async fn has_more_true_on_an_empty_page_is_an_error() {
    // Not documented by Stripe. With no last object there is nothing to
    // continue after, yet `has_more` says records remain: ending cleanly
    // would pass for a complete list, so the run fails instead.
    let server = MockServer::start().await;
    answer(&server, None, list(&["cus_2", "cus_1"], true)).await;
    answer(&server, Some("cus_1"), list(&[], true)).await;
    let connector = fixture::connector("stripe", "https://api.stripe.com", &server.uri());
    let connection = fixture::connection(&connector, "secret_key", json!({ "token": "sk_test_x" }));
    let mut pages = connection.pages("list_customers", call(json!({}))).unwrap();
    assert_eq!(pages.next().await.unwrap().unwrap().records.len(), 2);
    assert!(pages.next().await.unwrap().unwrap().records.is_empty());
    let error = pages.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, patchbay_runtime::Error::PageUnfinished { endpoint, .. } if endpoint == "list_customers"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("`/has_more` is true") && message.contains("no records"),
        "{message}"
    );
    assert!(pages.next().await.is_none());
    server.verify().await;
}

#[tokio::test]
async fn search_customers_follows_next_page_until_has_more_is_false() {
    let server = MockServer::start().await;
    let page = |ids: &[&str], has_more: bool, next: Option<&str>| {
        json!({
            "object": "search_result",
            "url": "/v1/customers/search",
            "has_more": has_more,
            "next_page": next,
            "data": ids.iter().map(|id| json!({ "id": id, "object": "customer" })).collect::<Vec<_>>(),
        })
    };
    Mock::given(method("GET"))
        .and(path("/v1/customers/search"))
        .and(query_param("query", "email:'jenny@example.com'"))
        .and(query_param_is_missing("page"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            &["cus_1"],
            true,
            Some("pg_2"),
        )))
        .expect(1)
        .mount(&server)
        .await;
    // The last page: has_more false decides even if a cursor came along.
    Mock::given(method("GET"))
        .and(path("/v1/customers/search"))
        .and(query_param("page", "pg_2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(page(
            &["cus_2"],
            false,
            Some("pg_3"),
        )))
        .expect(1)
        .mount(&server)
        .await;
    let ids = read_all(
        &server,
        "search_customers",
        json!({ "search_query": "email:'jenny@example.com'" }),
    )
    .await;
    assert_eq!(ids, ["cus_1", "cus_2"]);
    server.verify().await;
}

/// A create as Stripe documents idempotent requests
/// (https://docs.stripe.com/api/idempotent_requests): the retry after a
/// 503 carries the same Idempotency-Key, so Stripe can answer it with the
/// first result; another call has another key.
#[tokio::test]
async fn a_create_is_retried_with_its_idempotency_key() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1/customers"))
        .and(header("authorization", "Bearer sk_test_x"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "id": "cus_1", "object": "customer" })),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let connector = fixture::connector("stripe", "https://api.stripe.com", &server.uri());
    let connection = fixture::connection(&connector, "secret_key", json!({ "token": "sk_test_x" }));
    let create = patchbay_runtime::Call {
        variables: Default::default(),
        payload: Some(json!({ "email": "jenny@example.com", "name": "Jenny", "description": "" })),
        files: Default::default(),
    };
    let response = connection.call("create_customer", &create).await.unwrap();
    assert_eq!(response.json().unwrap()["id"], "cus_1");
    connection.call("create_customer", &create).await.unwrap();
    let sent = received(&server).await;
    assert_eq!(sent.len(), 3);
    let key = |i: usize| {
        sent[i]
            .headers
            .get("idempotency-key")
            .unwrap()
            .to_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(key(0), key(1));
    assert_ne!(key(1), key(2));
    assert_eq!(key(0).len(), 36);
}
