//! Shopify GraphQL Admin API: `first` and `after` in the body's
//! `variables`, the next cursor at pageInfo.endCursor
//! (https://shopify.dev/docs/api/usage/pagination-graphql).

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::received;
use crate::fixture::{self, read_all};

fn orders(first: usize, count: usize, has_next: bool, end_cursor: Option<&str>) -> Value {
    let nodes: Vec<Value> = (first..first + count)
        .map(|n| json!({ "id": format!("gid://shopify/Order/{n}"), "name": format!("#{n}"), "createdAt": "2026-11-02T10:00:00Z", "updatedAt": "2026-11-02T10:00:00Z" }))
        .collect();
    json!({
        "data": { "orders": { "nodes": nodes, "pageInfo": { "hasNextPage": has_next, "endCursor": end_cursor } } },
        "extensions": { "cost": { "requestedQueryCost": 252, "actualQueryCost": 252 } }
    })
}

#[tokio::test]
async fn graphql_orders_read_every_page_with_the_cursor_in_the_variables() {
    let server = MockServer::start().await;
    let graphql = || {
        Mock::given(method("POST"))
            .and(path("/admin/api/2025-07/graphql.json"))
            .and(header("x-shopify-access-token", "shpat_test"))
    };
    graphql()
        .and(body_partial_json(
            json!({ "variables": { "after": "eyJsYXN0X2lkIjoyNTB9" } }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(orders(
            250,
            250,
            true,
            Some("eyJsYXN0X2lkIjo1MDB9"),
        )))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    graphql()
        .and(body_partial_json(
            json!({ "variables": { "after": "eyJsYXN0X2lkIjo1MDB9" } }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(orders(
            500,
            12,
            false,
            Some("eyJsYXN0X2lkIjo1MTJ9"),
        )))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    graphql()
        .respond_with(ResponseTemplate::new(200).set_body_json(orders(
            0,
            250,
            true,
            Some("eyJsYXN0X2lkIjoyNTB9"),
        )))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let connector =
        fixture::connector("shopify", "https://{{ shop }}.myshopify.com", &server.uri());
    let connection = fixture::connection(
        &connector,
        "access_token",
        json!({ "api_key": "shpat_test" }),
    );
    let (records, pages) = read_all(
        &connection,
        "list_orders_graphql",
        patchbay_runtime::Call::default(),
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(records.len(), 512);
    let bodies: Vec<Value> = received(&server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    // No `after` on the first page (GraphQL reads a missing nullable
    // variable as null); `first` is a number on every page.
    assert_eq!(bodies[0]["variables"], json!({ "first": 250 }));
    assert_eq!(
        bodies[1]["variables"],
        json!({ "first": 250, "after": "eyJsYXN0X2lkIjoyNTB9" })
    );
    assert!(
        bodies[0]["query"]
            .as_str()
            .unwrap()
            .contains("orders(first: $first, after: $after")
    );
    server.verify().await;
}
