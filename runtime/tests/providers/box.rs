//! Box search read to the end: the offset advances by the limit, a page
//! may hold fewer entries (even none) while more remain, and the run ends
//! once the next offset passes `total_count`
//! (https://developer.box.com/guides/search/pagination).

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{query, received};
use crate::fixture;

fn results(offset: u64, ids: &[&str]) -> Value {
    json!({
        "total_count": 450,
        "limit": 200,
        "offset": offset,
        "entries": ids.iter().map(|id| json!({ "id": id, "type": "file", "name": format!("{id}.pdf") })).collect::<Vec<_>>(),
    })
}

#[tokio::test]
async fn search_steps_by_the_limit_past_short_and_empty_pages_until_total_count() {
    let server = MockServer::start().await;
    for (offset, ids) in [(0, vec!["1", "2"]), (200, vec![]), (400, vec!["3"])] {
        Mock::given(method("GET"))
            .and(path("/2.0/search"))
            .and(header("authorization", "Bearer box-token"))
            .and(query_param("offset", offset.to_string()))
            .respond_with(ResponseTemplate::new(200).set_body_json(results(offset, &ids)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let connector = fixture::connector("box", "https://api.box.com", &server.uri());
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "box-client", "client_secret": "box-secret" }),
        "box-token",
        json!({}),
    );
    let (records, _) =
        fixture::read_all(&connection, "search", fixture::call_with("query", "sales")).await;
    assert_eq!(fixture::ids(&records), ["1", "2", "3"]);
    let sent: Vec<_> = received(&server).await.iter().map(query).collect();
    assert_eq!(
        sent.len(),
        3,
        "offset 600 is past the total of 450: not asked"
    );
    assert!(
        sent.iter()
            .all(|q| q.contains(&("limit".into(), "200".into()))
                && q.contains(&("query".into(), "sales".into())))
    );
    server.verify().await;
}

/// An upload as Box documents it
/// (https://developer.box.com/reference/post-files-content/): a
/// multipart body whose `attributes` part (JSON) comes before the `file`
/// part, which carries the caller's bytes as they are.
#[tokio::test]
async fn upload_sends_attributes_then_the_file_bytes_as_multipart() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/api/2.0/files/content"))
        .and(header("authorization", "Bearer box-token"))
        .respond_with(ResponseTemplate::new(201).set_body_json(json!({
            "total_count": 1,
            "entries": [{ "id": "12345", "type": "file", "name": "Q3 \"final\".pdf" }],
        })))
        .expect(1)
        .mount(&server)
        .await;
    let connector = fixture::connector("box", "https://upload.box.com", &server.uri());
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "id", "client_secret": "secret" }),
        "box-token",
        json!({}),
    );
    let bytes: Vec<u8> = vec![0x25, 0x50, 0x44, 0x46, 0x00, 0xff, 0x0d, 0x0a];
    let call = patchbay_runtime::Call {
        variables: crate::common::values(json!({ "name": "Q3 \"final\".pdf", "folder_id": "678" })),
        payload: None,
        files: [(
            "file".to_owned(),
            patchbay_runtime::Upload {
                filename: Some("local.pdf".to_owned()),
                content_type: Some("application/pdf".to_owned()),
                bytes: bytes.clone().into(),
            },
        )]
        .into(),
    };
    let (records, _) = fixture::read_all(&connection, "upload_file", call).await;
    assert_eq!(records[0]["id"], "12345");
    let sent = &received(&server).await[0];
    let content_type = sent.headers.get("content-type").unwrap().to_str().unwrap();
    let boundary = content_type
        .strip_prefix("multipart/form-data; boundary=")
        .unwrap();
    let mut expected = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"attributes\"\r\n\r\n{{\"name\":\"Q3 \\\"final\\\".pdf\",\"parent\":{{\"id\":\"678\"}}}}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"Q3 %22final%22.pdf\"\r\nContent-Type: application/pdf\r\n\r\n"
    )
    .into_bytes();
    expected.extend_from_slice(&bytes);
    expected.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    assert_eq!(sent.body, expected);
    server.verify().await;
}

#[tokio::test]
async fn an_upload_without_its_file_or_with_an_unknown_one_sends_nothing() {
    let server = MockServer::start().await;
    let connector = fixture::connector("box", "https://upload.box.com", &server.uri());
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "id", "client_secret": "secret" }),
        "box-token",
        json!({}),
    );
    let without = patchbay_runtime::Call {
        variables: crate::common::values(json!({ "name": "a.txt" })),
        ..Default::default()
    };
    let error = connection.call("upload_file", &without).await.unwrap_err();
    assert!(error.to_string().contains("file part `file`"), "{error}");
    let unknown = patchbay_runtime::Call {
        variables: crate::common::values(json!({ "name": "a.txt" })),
        payload: None,
        files: [("attachment".to_owned(), patchbay_runtime::Upload::default())].into(),
    };
    let error = connection.call("upload_file", &unknown).await.unwrap_err();
    assert!(error.to_string().contains("no file part"), "{error}");
    assert!(received(&server).await.is_empty());
}
