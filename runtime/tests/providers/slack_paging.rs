//! Slack cursors read to the end: `response_metadata.next_cursor`, empty
//! at the end; a page may hold fewer items than `limit`, even none, while
//! more remain (https://api.slack.com/apis/pagination).

use serde_json::{Value, json};
use wiremock::matchers::{header, method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::{query, received};
use crate::fixture;

fn channels(ids: &[&str], next_cursor: &str) -> Value {
    json!({
        "ok": true,
        "channels": ids.iter().map(|id| json!({ "id": id, "name": id.to_lowercase(), "is_channel": true })).collect::<Vec<_>>(),
        "response_metadata": { "next_cursor": next_cursor },
    })
}

async fn answer(server: &MockServer, cursor: Option<&str>, body: Value) {
    let mock = Mock::given(method("GET"))
        .and(path("/api/conversations.list"))
        .and(header("authorization", "Bearer xoxb-1"));
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
    let connector = fixture::connector("slack", "https://slack.com", &server.uri());
    let connection = fixture::connection(&connector, "bot_token", json!({ "token": "xoxb-1" }));
    let (records, pages) =
        fixture::read_all(&connection, "list_channels", Default::default()).await;
    assert_eq!(pages, 3);
    assert_eq!(
        fixture::ids(&records),
        ["C1", "C2", "C3"],
        "the empty page did not end the run"
    );
    let sent: Vec<_> = received(&server).await.iter().map(query).collect();
    assert!(
        sent.iter()
            .all(|q| q.contains(&("limit".into(), "200".into()))
                && q.contains(&("types".into(), "public_channel".into())))
    );
    server.verify().await;
}
