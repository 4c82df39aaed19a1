//! Linear's GraphQL API: Relay connections paged with `first`/`after` in
//! the body's `variables`, pageInfo.endCursor and hasNextPage
//! (https://linear.app/developers/pagination), a personal API key sent
//! as the whole Authorization header, and failures as a top-level
//! `errors` array with `extensions.code`, HTTP 200 included.

use patchbay_runtime::{Call, Error};
use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::received;
use crate::fixture::{self, read_all};

const TEAM: &str = "9cfb482a-81e3-4154-b5b9-2c805e70a02d";

fn issues(first: usize, count: usize, has_next: bool, end_cursor: Option<&str>) -> Value {
    let nodes: Vec<Value> = (first..first + count)
        .map(|n| {
            json!({
                "id": format!("issue-{n}"),
                "identifier": format!("ENG-{n}"),
                "title": format!("Issue {n}"),
                "priority": 2,
                "updatedAt": "2026-11-30T09:12:44.107Z",
                "state": { "name": "Todo" },
                "assignee": null
            })
        })
        .collect();
    json!({ "data": { "issues": { "nodes": nodes, "pageInfo": { "hasNextPage": has_next, "endCursor": end_cursor } } } })
}

fn connection(server: &MockServer) -> patchbay_runtime::Connection {
    let connector = fixture::connector("linear", "https://api.linear.app", &server.uri());
    fixture::connection(
        &connector,
        "api_key",
        json!({ "api_key": "lin_api_0123456789abcdef" }),
    )
}

fn team() -> Call {
    fixture::call_with("team_id", TEAM)
}

#[tokio::test]
async fn issues_read_every_page_with_the_cursor_in_the_variables() {
    let server = MockServer::start().await;
    let graphql = || {
        Mock::given(method("POST"))
            .and(path("/graphql"))
            // A personal API key is the whole header value, no scheme.
            .and(header("authorization", "lin_api_0123456789abcdef"))
    };
    for (after, answer) in [
        ("c100", issues(100, 100, true, Some("c200"))),
        ("c200", issues(200, 7, false, Some("c207"))),
    ] {
        graphql()
            .and(body_partial_json(
                json!({ "variables": { "after": after } }),
            ))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
            .with_priority(1)
            .expect(1)
            .mount(&server)
            .await;
    }
    graphql()
        .respond_with(ResponseTemplate::new(200).set_body_json(issues(0, 100, true, Some("c100"))))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let (records, pages) = read_all(&connection(&server), "list_issues", team()).await;
    assert_eq!(pages, 3);
    assert_eq!(records.len(), 207);
    assert_eq!(records[206]["identifier"], "ENG-206");
    let bodies: Vec<Value> = received(&server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    // The first page has no cursor, so no `after`; `first` is the page
    // size as a number, the team id a string.
    assert_eq!(
        bodies[0]["variables"],
        json!({ "team": TEAM, "first": 100 })
    );
    assert_eq!(
        bodies[2]["variables"],
        json!({ "team": TEAM, "first": 100, "after": "c200" })
    );
    server.verify().await;
}

#[tokio::test]
async fn ratelimited_is_retried_and_other_errors_carry_linears_message() {
    let server = MockServer::start().await;
    let ratelimited = json!({
        "errors": [{ "message": "Rate limit exceeded", "extensions": { "code": "RATELIMITED", "userPresentableMessage": "Too many requests." } }]
    });
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_partial_json(json!({ "query": "query { viewer { id name email organization { id name urlKey } } }" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(ratelimited))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_partial_json(json!({ "query": "query { viewer { id name email organization { id name urlKey } } }" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "data": { "viewer": { "id": "u1", "name": "Ada", "email": "ada@example.com", "organization": { "id": "o1", "name": "Acme", "urlKey": "acme" } } } }),
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    let connection = connection(&server);
    let response = connection.call("viewer", &Call::default()).await.unwrap();
    assert_eq!(response.json().unwrap()["data"]["viewer"]["name"], "Ada");
    assert_eq!(received(&server).await.len(), 2);

    // A list whose query fails is an error, not an empty page.
    Mock::given(method("POST"))
        .and(path("/graphql"))
        .and(body_partial_json(json!({ "variables": { "team": TEAM } })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "data": null,
            "errors": [{ "message": "Entity not found: Team", "extensions": { "code": "INVALID_INPUT" } }]
        })))
        .mount(&server)
        .await;
    let mut pages = connection.pages("list_issues", team()).unwrap();
    let error = pages.next().await.unwrap().unwrap_err();
    assert!(
        matches!(&error, Error::Api { code: Some(code), message, token_invalid: false, .. }
            if code == "INVALID_INPUT" && message == "Entity not found: Team"),
        "{error:?}"
    );
}
