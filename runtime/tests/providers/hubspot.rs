//! HubSpot CRM search: `limit` and `after` in the JSON body, the next
//! cursor at /paging/next/after, none on the last page
//! (https://developers.hubspot.com/docs/api/crm/search).

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{call, received};
use crate::fixture::{self, read_all};

/// A search answer of `count` contacts from `first` on, with HubSpot's
/// next cursor when `after` is given.
fn answer(first: usize, count: usize, after: Option<&str>) -> Value {
    let results: Vec<Value> = (first..first + count)
        .map(|id| {
            json!({
                "id": id.to_string(),
                "properties": { "email": format!("c{id}@example.com"), "lastmodifieddate": "2026-01-02T03:04:05.678Z" },
                "createdAt": "2025-10-30T03:30:17.883Z",
                "updatedAt": "2026-01-02T03:04:05.678Z",
                "archived": false
            })
        })
        .collect();
    let mut body = json!({ "total": 237, "results": results });
    if let Some(after) = after {
        body["paging"] = json!({ "next": { "after": after, "link": format!("?after={after}") } });
    }
    body
}

#[tokio::test]
async fn search_contacts_reads_every_page_with_the_cursor_in_the_body() {
    let server = MockServer::start().await;
    let search = || {
        Mock::given(method("POST"))
            .and(path("/crm/v3/objects/contacts/search"))
            .and(header("authorization", "Bearer pat-na1-test"))
    };
    // Later pages by their cursor; the first page is the one without.
    search()
        .and(body_partial_json(json!({ "after": "MTAw" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(100, 100, Some("MjAw"))))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    search()
        .and(body_partial_json(json!({ "after": "MjAw" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(200, 37, None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    search()
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(0, 100, Some("MTAw"))))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let connector = fixture::connector("hubspot", "https://api.hubapi.com", &server.uri());
    let connection = fixture::connection(
        &connector,
        "private_app",
        json!({ "token": "pat-na1-test" }),
    );
    let (records, pages) = read_all(
        &connection,
        "search_contacts",
        call(json!({ "query": "example.com" })),
    )
    .await;
    assert_eq!(pages, 3);
    assert_eq!(records.len(), 237);
    assert_eq!(records[236]["id"], "236");
    let bodies: Vec<Value> = received(&server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    // The first page has no cursor yet: `after` is left out, and the page
    // size stays a number.
    assert_eq!(bodies[0].get("after"), None);
    assert_eq!(bodies[0]["limit"], json!(100));
    assert_eq!(bodies[0]["query"], "example.com");
    assert_eq!(bodies[1]["after"], "MTAw");
    assert_eq!(bodies[2]["after"], "MjAw");
    server.verify().await;
}

/// HubSpot's revocation is not RFC 7009
/// (https://developers.hubspot.com/docs/api/oauth/tokens): `DELETE
/// /oauth/v1/refresh-tokens/{token}`, answered 204, with the refresh token
/// in the path and no body.
#[tokio::test]
async fn logout_deletes_the_refresh_token_by_its_path() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .and(path("/oauth/v1/refresh-tokens/refresh"))
        .respond_with(ResponseTemplate::new(204))
        .expect(1)
        .mount(&server)
        .await;
    let connector = fixture::connector("hubspot", "https://api.hubapi.com", &server.uri());
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "hub-client", "client_secret": "hub-secret-1" }),
        "hub-access-1",
        json!({}),
    );
    let outcome = connection.logout().await.unwrap();
    assert!(matches!(outcome, patchbay_runtime::Logout::Revoked));
    let requests = received(&server).await;
    assert_eq!(requests.len(), 1);
    assert!(requests[0].body.is_empty());
    assert!(requests[0].headers.get("authorization").is_none());
}

#[tokio::test]
async fn a_refused_revocation_is_an_error_without_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("DELETE"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    let connector = fixture::connector("hubspot", "https://api.hubapi.com", &server.uri());
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "hub-client", "client_secret": "hub-secret-1" }),
        "hub-access-1",
        json!({}),
    );
    let error = connection.logout().await.unwrap_err();
    let shown = connection.redactor().redact(&format!("{error} {error:?}"));
    assert!(!shown.contains("refresh-tokens/refresh"), "{shown}");
    assert!(
        !format!("{error} {error:?}").contains("refresh-tokens/refresh"),
        "{error:?}"
    );
}
