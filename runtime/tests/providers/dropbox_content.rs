//! Dropbox content endpoints: the arguments travel in the Dropbox-API-Arg
//! header as JSON with non-ASCII escaped
//! (https://www.dropbox.com/developers/documentation/http/documentation).

use serde_json::json;
use wiremock::matchers::{header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{received, values};
use crate::fixture;

#[tokio::test]
async fn uploads_and_downloads_send_their_arguments_as_ascii_json_in_a_header() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/2/files/upload"))
        .and(header("authorization", "Bearer dbx-token"))
        .and(header("content-type", "application/octet-stream"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "name": "Résumé 📝.txt",
            "id": "id:a4ayc_80_OEAAAAAAAAAXw",
            "path_display": "/Notes/Résumé 📝.txt",
        })))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/2/files/download"))
        .respond_with(
            ResponseTemplate::new(200)
                .insert_header("Dropbox-API-Result", r#"{"name":"R\u00e9sum\u00e9.txt"}"#)
                .set_body_string("ça va"),
        )
        .expect(1)
        .mount(&server)
        .await;
    let connector = fixture::connector("dropbox", "https://content.dropboxapi.com", &server.uri());
    let connection = fixture::logged_in(
        &connector,
        "oauth",
        json!({ "client_id": "app-key", "client_secret": "app-secret" }),
        "dbx-token",
        json!({}),
    );
    let upload = patchbay_runtime::Call {
        variables: values(json!({ "path": "/Notes/Résumé 📝.txt" })),
        payload: None,
        files: [(
            "content".to_owned(),
            patchbay_runtime::Upload {
                filename: Some("local.txt".to_owned()),
                content_type: Some("text/plain".to_owned()),
                bytes: bytes::Bytes::from_static(b"\xff\x00 binary"),
            },
        )]
        .into(),
    };
    let response = connection.call("upload_file", &upload).await.unwrap();
    assert_eq!(response.json().unwrap()["id"], "id:a4ayc_80_OEAAAAAAAAAXw");
    let download = patchbay_runtime::Call {
        variables: values(json!({ "path": "id:a4ayc_80_OEAAAAAAAAAXw" })),
        payload: None,
        files: Default::default(),
    };
    let response = connection.call("download_file", &download).await.unwrap();
    assert_eq!(&response.body[..], "ça va".as_bytes());
    let sent = received(&server).await;
    // wiremock's header matcher splits values at commas: compare whole.
    let arg = |i: usize| {
        sent[i]
            .headers
            .get("dropbox-api-arg")
            .unwrap()
            .to_str()
            .unwrap()
    };
    assert_eq!(
        arg(0),
        r#"{"path":"/Notes/R\u00e9sum\u00e9 \ud83d\udcdd.txt","mode":"add","autorename":true}"#
    );
    assert_eq!(arg(1), r#"{"path":"id:a4ayc_80_OEAAAAAAAAAXw"}"#);
    // The spec's content type wins over the caller's.
    assert_eq!(&sent[0].body[..], b"\xff\x00 binary");
    server.verify().await;
}
