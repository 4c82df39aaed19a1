//! Dropbox folder listings and search: the first page from one route,
//! every later page from its `continue` route with the cursor in the body
//! (`ListFolderResult { entries, cursor, has_more }`,
//! https://dropbox.github.io/dropbox-sdk-java/api-docs/v7.1.1/com/dropbox/core/v2/files/ListFolderResult.html;
//! search: `SearchV2Result { matches, has_more, cursor }`, the cursor absent
//! on the last page).

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{call, received};
use crate::fixture::{self, read_all};

fn entries(names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .map(|name| {
            json!({
                ".tag": "file",
                "name": name,
                "path_lower": format!("/docs/{name}"),
                "path_display": format!("/Docs/{name}"),
                "id": format!("id:{name}"),
                "size": 7212
            })
        })
        .collect()
}

fn connection(server: &MockServer) -> patchbay_runtime::Connection {
    let connector = fixture::connector("dropbox", "https://api.dropboxapi.com", &server.uri());
    fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "app-key", "client_secret": "app-secret" }),
        "sl.dropbox-token",
        json!({}),
    )
}

#[tokio::test]
async fn list_folder_continues_with_the_cursor_until_the_end() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/files/list_folder"))
        .and(header("authorization", "Bearer sl.dropbox-token"))
        .and(body_json(
            json!({ "path": "/Docs", "recursive": true, "limit": 2000 }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entries": entries(&["a.pdf", "b.pdf"]), "cursor": "AAE1", "has_more": true
        })))
        .expect(1)
        .mount(&server)
        .await;
    let more = |cursor: &str, answer: Value| {
        Mock::given(method("POST"))
            .and(path("/2/files/list_folder/continue"))
            .and(header("authorization", "Bearer sl.dropbox-token"))
            .and(body_json(json!({ "cursor": cursor })))
            .respond_with(ResponseTemplate::new(200).set_body_json(answer))
    };
    more(
        "AAE1",
        json!({ "entries": entries(&["c.pdf"]), "cursor": "AAE2", "has_more": true }),
    )
    .expect(1)
    .mount(&server)
    .await;
    more(
        "AAE2",
        json!({ "entries": entries(&["d.pdf", "e.pdf"]), "cursor": "AAE3", "has_more": false }),
    )
    .expect(1)
    .mount(&server)
    .await;
    // What Dropbox answers past the end: no entries, a cursor to poll with.
    more(
        "AAE3",
        json!({ "entries": [], "cursor": "AAE3", "has_more": false }),
    )
    .mount(&server)
    .await;
    let connection = connection(&server);
    let (records, _) = read_all(
        &connection,
        "list_folder",
        call(json!({ "path": "/Docs", "recursive": true })),
    )
    .await;
    let names: Vec<&str> = records
        .iter()
        .map(|r| r["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["a.pdf", "b.pdf", "c.pdf", "d.pdf", "e.pdf"]);
    // Only the first request went to list_folder.
    let routes: Vec<String> = received(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert_eq!(routes[0], "/2/files/list_folder");
    assert!(
        routes[1..]
            .iter()
            .all(|p| p == "/2/files/list_folder/continue")
    );
    server.verify().await;
}

/// The cursor of a listing's last page is its checkpoint; a later run
/// resumes from it on list_folder/continue and gets only the changes.
#[tokio::test]
async fn a_later_listing_reads_only_the_changes_since_the_last_cursor() {
    let first = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/files/list_folder"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entries": entries(&["a.pdf"]), "cursor": "AAE1", "has_more": false
        })))
        .expect(1)
        .mount(&first)
        .await;
    let connection = connection(&first);
    let folder = || call(json!({ "path": "/Docs" }));
    let mut pages = connection
        .pages_from("list_folder", folder(), None)
        .unwrap();
    while let Some(page) = pages.next().await {
        page.unwrap();
    }
    let checkpoint = pages.checkpoint().cloned().unwrap();
    assert_eq!(checkpoint.value, json!("AAE1"));
    first.verify().await;

    let later = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/files/list_folder/continue"))
        .and(header("authorization", "Bearer sl.dropbox-token"))
        .and(body_json(json!({ "cursor": "AAE1" })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "entries": [
                { ".tag": "deleted", "name": "a.pdf", "path_lower": "/docs/a.pdf", "path_display": "/Docs/a.pdf" },
                entries(&["f.pdf"])[0]
            ],
            "cursor": "AAE2",
            "has_more": false
        })))
        .expect(1)
        .mount(&later)
        .await;
    let connection = self::connection(&later);
    let mut pages = connection
        .pages_from("list_folder", folder(), Some(checkpoint))
        .unwrap();
    let mut changes = Vec::new();
    while let Some(page) = pages.next().await {
        for entry in page.unwrap().records {
            changes.push(format!(
                "{} {}",
                entry[".tag"].as_str().unwrap(),
                entry["name"].as_str().unwrap()
            ));
        }
    }
    assert_eq!(changes, ["deleted a.pdf", "file f.pdf"]);
    assert_eq!(pages.checkpoint().unwrap().value, json!("AAE2"));
    // Only list_folder/continue was asked: list_folder would list it all again.
    later.verify().await;
    assert_eq!(received(&later).await.len(), 1);
}

#[tokio::test]
async fn search_continues_until_the_cursor_is_gone() {
    let server = MockServer::start().await;
    let matches = |names: &[&str]| -> Vec<Value> {
        entries(names)
            .into_iter()
            .map(|metadata| json!({ "match_type": { ".tag": "filename" }, "metadata": { ".tag": "metadata", "metadata": metadata } }))
            .collect()
    };
    Mock::given(method("POST"))
        .and(path("/2/files/search_v2"))
        .and(body_json(json!({ "query": "invoice", "options": { "max_results": 1000 } })))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "matches": matches(&["invoice-1.pdf", "invoice-2.pdf"]), "has_more": true, "cursor": "ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu"
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/files/search/continue_v2"))
        .and(body_json(
            json!({ "cursor": "ZtkX9_EHj3x7PMkVuFIhwKYXEpwpLwyxp9vMKomUhllil9q7eWiAu" }),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "matches": matches(&["invoice-3.pdf"]), "has_more": false
        })))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connection(&server);
    let (records, pages) =
        read_all(&connection, "search", call(json!({ "query": "invoice" }))).await;
    assert_eq!(pages, 2);
    assert_eq!(records.len(), 3);
    assert_eq!(records[2]["metadata"]["metadata"]["name"], "invoice-3.pdf");
    server.verify().await;
}

/// Dropbox revokes with the access token as the request's own credential
/// (https://www.dropbox.com/developers/documentation/http/documentation#auth-token-revoke):
/// `POST /2/auth/token/revoke`, no body, `Authorization: Bearer <token>`.
#[tokio::test]
async fn logout_revokes_with_the_access_token_as_its_credential() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/auth/token/revoke"))
        .and(header("authorization", "Bearer dbx-access-1"))
        .respond_with(ResponseTemplate::new(200).set_body_string("null"))
        .expect(1)
        .mount(&server)
        .await;
    let connector = fixture::connector("dropbox", "https://api.dropboxapi.com", &server.uri());
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "dbx-key", "client_secret": "dbx-secret-1" }),
        "dbx-access-1",
        json!({}),
    );
    let outcome = connection.logout().await.unwrap();
    assert!(matches!(outcome, patchbay_runtime::Logout::Revoked));
    let requests = server.received_requests().await.unwrap();
    // Not RFC 7009: no form, no client credentials.
    assert!(requests[0].body.is_empty());
}
