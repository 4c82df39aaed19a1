//! Slack cursors read to the end: `response_metadata.next_cursor`, empty
//! at the end; a page may hold fewer items than `limit`, even none, while
//! more remain (https://api.slack.com/apis/pagination).

use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{connect, query, received};
use crate::fixture_lines;

fn channels(ids: &[&str], next_cursor: &str) -> Value {
    json!({
        "ok": true,
        "channels": ids.iter().map(|id| json!({ "id": id, "name": id.to_lowercase(), "is_channel": true })).collect::<Vec<_>>(),
        "response_metadata": { "next_cursor": next_cursor },
    })
}

async fn answer(server: &MockServer, cursor: Option<&str>, body: Value) {
    let mock = Mock::given(method("GET")).and(path("/api/conversations.list"));
    let mock = match cursor {
        None => mock.and(query_param_is_missing("cursor")),
        Some(cursor) => mock.and(query_param("cursor", cursor)),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

#[tokio::test]
async fn list_channels_goes_on_past_short_and_empty_pages_until_the_cursor_is_empty() {
    let server = MockServer::start().await;
    answer(&server, None, channels(&["C1", "C2"], "dGVhbTpDMDI=")).await;
    answer(&server, Some("dGVhbTpDMDI="), channels(&[], "dGVhbTpDMDM=")).await;
    answer(&server, Some("dGVhbTpDMDM="), channels(&["C3"], "")).await;
    let spec = fixture_lines::spec(
        "slack",
        "list_channels",
        "/api/conversations.list",
        "{ types = \"public_channel\" }",
        "",
    );
    let connection = connect(&server, &spec, json!({ "token": "xoxb-1" }));
    let mut pages = connection.pages("items", Default::default()).unwrap();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        for record in page.unwrap().records {
            ids.push(record["id"].as_str().unwrap().to_owned());
        }
    }
    assert_eq!(
        ids,
        ["C1", "C2", "C3"],
        "the empty page did not end the run"
    );
    let sent: Vec<_> = received(&server).await.iter().map(query).collect();
    assert!(
        sent.iter()
            .all(|q| q.contains(&("limit".into(), "200".into())))
    );
    server.verify().await;
}
