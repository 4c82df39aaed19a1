//! Airtable lists page with `pageSize` and the `offset` each page returns
//! while records remain (https://airtable.com/developers/web/api/list-records);
//! creates send up to 10 records with `typecast`
//! (https://airtable.com/developers/web/api/create-records).

use serde_json::{Value, json};
use wiremock::matchers::{body_json, header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::values;
use crate::fixture;

const ORIGIN: &str = "https://api.airtable.com";

fn records(ids: &[&str], offset: Option<&str>) -> Value {
    let mut page = json!({
        "records": ids.iter().map(|id| json!({ "id": id, "createdTime": "2024-01-02T03:04:05.000Z", "fields": { "Name": id } })).collect::<Vec<_>>(),
    });
    if let Some(offset) = offset {
        page["offset"] = json!(offset);
    }
    page
}

fn connection(server: &MockServer) -> patchbay_runtime::Connection {
    let connector = fixture::connector("airtable", ORIGIN, &server.uri());
    fixture::connection(
        &connector,
        "pat",
        json!({ "token": "patAbc.def", "base_id": "appT3stBase000001" }),
    )
}

#[tokio::test]
async fn list_records_follows_the_offset_until_a_page_has_none() {
    let server = MockServer::start().await;
    // A table name with a space and a slash stays one path segment.
    let table_path = "/v0/appT3stBase000001/Open%20tasks%2F2024";
    for (offset, ids, next) in [
        (None, vec!["rec1", "rec2"], Some("itrA/rec2")),
        (Some("itrA/rec2"), vec!["rec3"], None),
    ] {
        let mock = Mock::given(method("GET"))
            .and(path(table_path))
            .and(header("authorization", "Bearer patAbc.def"))
            .and(query_param("pageSize", "100"));
        let mock = match offset {
            None => mock.and(query_param_is_missing("offset")),
            Some(offset) => mock.and(query_param("offset", offset)),
        };
        mock.respond_with(ResponseTemplate::new(200).set_body_json(records(&ids, next)))
            .expect(1)
            .mount(&server)
            .await;
    }
    let (found, pages) = fixture::read_all(
        &connection(&server),
        "list_records",
        fixture::call_with("table", "Open tasks/2024"),
    )
    .await;
    assert_eq!(pages, 2);
    assert_eq!(fixture::ids(&found), ["rec1", "rec2", "rec3"]);
    server.verify().await;
}

#[tokio::test]
async fn create_records_sends_the_payload_records_with_typecast() {
    let server = MockServer::start().await;
    let sent = json!([{ "fields": { "Name": "Ship it", "Status": "Doing" } }]);
    Mock::given(method("POST"))
        .and(path("/v0/appT3stBase000001/Tasks"))
        .and(body_json(json!({ "records": sent, "typecast": true })))
        .respond_with(ResponseTemplate::new(200).set_body_json(records(&["rec9"], None)))
        .expect(1)
        .mount(&server)
        .await;
    let create = patchbay_runtime::Call {
        variables: values(json!({ "table": "Tasks" })),
        payload: Some(json!({ "records": sent })),
        files: Default::default(),
    };
    let response = connection(&server)
        .call("create_records", &create)
        .await
        .unwrap();
    assert_eq!(response.json().unwrap()["records"][0]["id"], "rec9");
    server.verify().await;
}
