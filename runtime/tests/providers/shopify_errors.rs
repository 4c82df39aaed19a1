//! Shopify's GraphQL Admin API reports failures, throttling included, as a
//! top-level `errors` array with HTTP 200
//! (https://shopify.dev/docs/api/usage/limits#graphql-admin-api-rate-limits):
//! `shopify.toml`'s `graphql` endpoint retries `THROTTLED` and makes the
//! others errors carrying Shopify's message.

use patchbay_runtime::{Call, Connection, Error};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::fixture;

// The store's subdomain becomes the first path segment on the test server.
const GRAPHQL: &str = "/my-store/admin/api/2025-07/graphql.json";

fn shopify(server: &MockServer) -> Connection {
    let connector = fixture::connector(
        "shopify",
        "https://{{ shop }}.myshopify.com",
        &format!("{}/{{{{ shop }}}}", server.uri()),
    );
    fixture::connection(
        &connector,
        "access_token",
        json!({ "shop": "my-store", "api_key": "shpat_0123456789abcdef" }),
    )
}

fn query() -> Call {
    Call {
        payload: Some(json!({ "query": "{ shop { name } }" })),
        files: Default::default(),
        ..Call::default()
    }
}

#[tokio::test]
async fn throttled_with_http_200_is_retried_then_the_data_returned() {
    let server = MockServer::start().await;
    let throttled = json!({
        "errors": [{ "message": "Throttled", "extensions": { "code": "THROTTLED", "documentation": "https://shopify.dev/api/usage/rate-limits" } }],
        "extensions": { "cost": { "requestedQueryCost": 752, "actualQueryCost": null,
            "throttleStatus": { "maximumAvailable": 2000.0, "currentlyAvailable": 10, "restoreRate": 100.0 } } }
    });
    Mock::given(method("POST"))
        .and(path(GRAPHQL))
        .respond_with(ResponseTemplate::new(200).set_body_json(throttled))
        .up_to_n_times(2)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path(GRAPHQL))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": { "shop": { "name": "My Store" } } })),
        )
        .with_priority(2)
        .mount(&server)
        .await;
    let response = shopify(&server).call("graphql", &query()).await.unwrap();
    assert_eq!(response.json().unwrap()["data"]["shop"]["name"], "My Store");
    assert_eq!(server.received_requests().await.unwrap().len(), 3);
}

#[tokio::test]
async fn a_query_error_is_an_error_with_shopifys_message() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path(GRAPHQL))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "errors": [{
                "message": "Field 'nme' doesn't exist on type 'Shop'",
                "locations": [{ "line": 1, "column": 10 }],
                "path": ["query", "shop", "nme"],
                "extensions": { "code": "undefinedField", "typeName": "Shop", "fieldName": "nme" }
            }]
        })))
        .mount(&server)
        .await;
    let error = shopify(&server)
        .call("graphql", &query())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, Error::Api { code: Some(code), message, token_invalid: false, .. }
            if code == "undefinedField" && message == "Field 'nme' doesn't exist on type 'Shop'"),
        "{error:?}"
    );
    assert_eq!(server.received_requests().await.unwrap().len(), 1);
}

#[tokio::test]
async fn rest_endpoints_are_not_read_for_graphql_errors() {
    let server = MockServer::start().await;
    // A REST answer with an `errors` member at 2xx is data: the declaration
    // belongs to the GraphQL endpoint only.
    Mock::given(method("GET"))
        .and(path("/my-store/admin/api/2025-07/shop.json"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "shop": { "name": "My Store" }, "errors": ["x"] })),
        )
        .mount(&server)
        .await;
    let response = shopify(&server)
        .call("get_shop", &Call::default())
        .await
        .unwrap();
    assert_eq!(response.json().unwrap()["shop"]["name"], "My Store");
}
