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
