//! Intercom: the connector-wide `Intercom-Version` header (from an
//! instance value) on every page, contacts paged by
//! `pages.next.starting_after` with `per_page`, the last page without
//! `next`, and search paging inside the JSON body with `starting_after`
//! left out of the first page
//! (https://developers.intercom.com/docs/build-an-integration/learn-more/rest-apis/pagination).

use serde_json::{Value, json};
use wiremock::matchers::{body_partial_json, header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{call, received};
use crate::fixture::{self, read_all};

/// A contact list answer of `count` contacts from `first` on; `next` is
/// the cursor of the page after, absent on the last page.
fn answer(first: usize, count: usize, page: u32, next: Option<&str>) -> Value {
    let data: Vec<Value> = (first..first + count)
        .map(|n| {
            json!({
                "type": "contact",
                "id": format!("6657a{n:07}"),
                "role": "user",
                "email": format!("c{n}@example.com"),
                "updated_at": 1_717_000_000 + n
            })
        })
        .collect();
    let mut pages = json!({ "type": "pages", "page": page, "per_page": 150, "total_pages": 2 });
    if let Some(next) = next {
        pages["next"] = json!({ "page": page + 1, "starting_after": next });
    }
    json!({ "type": "list", "data": data, "total_count": 170, "pages": pages })
}

fn connection(server: &MockServer) -> patchbay_runtime::Connection {
    let connector = fixture::connector("intercom", "https://api.intercom.io", &server.uri());
    fixture::connection(
        &connector,
        "access_token",
        json!({ "token": "dG9rOmFiYw==", "api_version": "2.13" }),
    )
}

#[tokio::test]
async fn contacts_page_by_starting_after_with_the_version_header_on_each() {
    let server = MockServer::start().await;
    let contacts = || {
        Mock::given(method("GET"))
            .and(path("/contacts"))
            .and(header("authorization", "Bearer dG9rOmFiYw=="))
            .and(header("intercom-version", "2.13"))
            .and(header("accept", "application/json"))
            .and(query_param("per_page", "150"))
    };
    contacts()
        .and(query_param("starting_after", "WzE3MTcwMDAxNDld"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(150, 20, 2, None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    contacts()
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(
            0,
            150,
            1,
            Some("WzE3MTcwMDAxNDld"),
        )))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let connection = connection(&server);
    let (records, pages) = read_all(&connection, "list_contacts", call(json!({}))).await;
    assert_eq!((records.len(), pages), (170, 2));
    assert_eq!(records[169]["email"], "c169@example.com");
    let first = &received(&server).await[0];
    assert!(!first.url.query().unwrap_or("").contains("starting_after"));
    server.verify().await;
}

#[tokio::test]
async fn search_pages_inside_the_body() {
    let server = MockServer::start().await;
    let search = || {
        Mock::given(method("POST"))
            .and(path("/contacts/search"))
            .and(header("intercom-version", "2.13"))
    };
    search()
        .and(body_partial_json(
            json!({ "pagination": { "starting_after": "WzE3MTcwMDAxNDld" } }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(150, 20, 2, None)))
        .with_priority(1)
        .expect(1)
        .mount(&server)
        .await;
    search()
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(
            0,
            150,
            1,
            Some("WzE3MTcwMDAxNDld"),
        )))
        .with_priority(2)
        .expect(1)
        .mount(&server)
        .await;
    let connection = connection(&server);
    let (records, pages) = read_all(
        &connection,
        "search_contacts",
        call(json!({ "updated_since": 1_717_000_000 })),
    )
    .await;
    assert_eq!((records.len(), pages), (170, 2));
    let bodies: Vec<Value> = received(&server)
        .await
        .iter()
        .map(|r| serde_json::from_slice(&r.body).unwrap())
        .collect();
    assert_eq!(bodies[0]["pagination"], json!({ "per_page": 150 }));
    assert_eq!(
        bodies[0]["query"],
        json!({ "field": "updated_at", "operator": ">", "value": 1_717_000_000 })
    );
    assert_eq!(
        bodies[1]["pagination"],
        json!({ "per_page": 150, "starting_after": "WzE3MTcwMDAxNDld" })
    );
    server.verify().await;
}
