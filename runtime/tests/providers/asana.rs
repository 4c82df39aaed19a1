//! Asana lists page with `limit` and the `offset` token of
//! `next_page`, which is null on the last page
//! (https://developers.asana.com/docs/pagination); writes wrap their
//! fields in `data` and have no idempotency key.

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{query, received, values};
use crate::fixture;

const ORIGIN: &str = "https://app.asana.com";

fn page(gids: &[&str], next: Option<&str>) -> Value {
    json!({
        "data": gids.iter().map(|gid| json!({ "gid": gid, "name": format!("Task {gid}"), "resource_type": "task" })).collect::<Vec<_>>(),
        "next_page": next.map(|offset| json!({
            "offset": offset,
            "path": format!("/projects/1337/tasks?limit=100&offset={offset}"),
            "uri": format!("https://app.asana.com/api/1.0/projects/1337/tasks?limit=100&offset={offset}"),
        })),
    })
}

#[tokio::test]
async fn list_tasks_follows_the_offset_token_until_next_page_is_null() {
    let server = MockServer::start().await;
    for (offset, gids, next) in [
        (
            None,
            vec!["1", "2"],
            Some("eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9"),
        ),
        (
            Some("eyJ0eXAiOJiKV1iQLCJhbGciOiJIUzI1NiJ9"),
            vec!["3"],
            None,
        ),
    ] {
        let mock = Mock::given(method("GET"))
            .and(path("/api/1.0/projects/1337/tasks"))
            .and(header("authorization", "Bearer asana-pat"))
            .and(query_param("limit", "100"));
        let mock = match offset {
            None => mock.and(query_param_is_missing("offset")),
            Some(offset) => mock.and(query_param("offset", offset)),
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(page(&gids, next)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let connector = fixture::connector("asana", ORIGIN, &server.uri());
    let connection = fixture::connection(&connector, "pat", json!({ "token": "asana-pat" }));
    let (records, pages) = fixture::read_all(
        &connection,
        "list_tasks",
        fixture::call_with("project", "1337"),
    )
    .await;
    assert_eq!(pages, 2);
    let gids: Vec<&str> = records.iter().map(|r| r["gid"].as_str().unwrap()).collect();
    assert_eq!(gids, ["1", "2", "3"]);
    let sent = query(&received(&server).await[0]);
    assert!(
        sent.iter()
            .any(|(k, v)| k == "opt_fields" && v.contains("assignee.name"))
    );
    server.verify().await;
}

#[tokio::test]
async fn create_task_wraps_its_fields_in_data_and_is_not_repeated_after_a_503() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/1.0/tasks"))
        .respond_with(ResponseTemplate::new(503))
        .up_to_n_times(1)
        .with_priority(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/1.0/tasks"))
        .respond_with(ResponseTemplate::new(201).set_body_json(
            json!({ "data": { "gid": "42", "resource_type": "task", "name": "Ship it" } }),
        ))
        .with_priority(2)
        .mount(&server)
        .await;
    let connector = fixture::connector("asana", ORIGIN, &server.uri());
    let connection = fixture::connection(&connector, "pat", json!({ "token": "asana-pat" }));
    let create = patchbay_runtime::Call {
        variables: values(json!({ "project": "1337" })),
        payload: Some(json!({ "name": "Ship it" })),
        files: Default::default(),
    };
    // The 503 may come after Asana made the task: no second POST.
    let error = connection.call("create_task", &create).await.unwrap_err();
    assert!(
        matches!(error, patchbay_runtime::Error::Status { status: 503, .. }),
        "{error:?}"
    );
    let response = connection.call("create_task", &create).await.unwrap();
    assert_eq!(response.json().unwrap()["data"]["gid"], "42");
    let sent = received(&server).await;
    assert_eq!(sent.len(), 2);
    let body: Value = serde_json::from_slice(&sent[1].body).unwrap();
    assert_eq!(
        body,
        json!({ "data": { "name": "Ship it", "notes": "", "projects": ["1337"] } })
    );
}

/// An attachment upload as Asana documents it: multipart with `parent`
/// (the task) and `file`, the filename the caller's.
#[tokio::test]
async fn attach_file_uploads_parent_and_file_as_multipart() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/1.0/attachments"))
        .and(header("authorization", "Bearer asana-pat"))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "data": { "gid": "9", "resource_type": "attachment", "name": "notes.txt" } }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let connector = fixture::connector("asana", ORIGIN, &server.uri());
    let connection = fixture::connection(&connector, "pat", json!({ "token": "asana-pat" }));
    let call = patchbay_runtime::Call {
        variables: values(json!({ "task": "1337" })),
        payload: None,
        files: [(
            "file".to_owned(),
            patchbay_runtime::Upload {
                filename: Some("notes.txt".to_owned()),
                content_type: None,
                bytes: "hello".into(),
            },
        )]
        .into(),
    };
    let response = connection.call("attach_file", &call).await.unwrap();
    assert_eq!(response.json().unwrap()["data"]["gid"], "9");
    let sent = &received(&server).await[0];
    let body = String::from_utf8(sent.body.clone()).unwrap();
    assert!(
        body.contains("Content-Disposition: form-data; name=\"parent\"\r\n\r\n1337\r\n"),
        "{body}"
    );
    assert!(
        body.contains("Content-Disposition: form-data; name=\"file\"; filename=\"notes.txt\"\r\nContent-Type: application/octet-stream\r\n\r\nhello\r\n"),
        "{body}"
    );
    server.verify().await;
}
