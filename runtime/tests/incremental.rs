//! Incremental reads: `Connection::pages_from`, the checkpoint a complete
//! run returns, and what each run sends.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{call, connect, connect_with, fast, query, received};
use patchbay_runtime::{Call, Checkpoint, Connection, Error, Options, Page};
use serde_json::{Value, json};
use wiremock::matchers::{method, path, query_param, query_param_is_missing};
use wiremock::{Mock, MockServer, ResponseTemplate};

const AUTH: &str = "[auth.t]\ntype = \"bearer\"\n";

/// A cursor-paged `GET /items` endpoint with `rest` added.
fn spec(rest: &str) -> String {
    format!(
        r#"{AUTH}
[endpoints.items]
url = "{{{{ base }}}}/items"
response = {{ records = "/data" }}
pagination = {{ type = "cursor", param = "cursor", path = "/next" }}
{rest}
"#
    )
}

const UPDATED_SINCE: &str = r#"query = { updated_since = "{{ checkpoint }}" }
incremental = { type = "max", field = "/updated_at", field_type = "timestamp" }"#;

fn token() -> Value {
    json!({ "token": "tok" })
}

fn record(id: i64, updated_at: &str) -> Value {
    json!({ "id": id, "updated_at": updated_at })
}

/// Answers the page asked for with `cursor` (none: the first page).
async fn page(server: &MockServer, cursor: Option<&str>, body: Value) {
    let mock = Mock::given(method("GET")).and(path("/items"));
    let mock = match cursor {
        Some(cursor) => mock.and(query_param("cursor", cursor)),
        None => mock.and(query_param_is_missing("cursor")),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

/// Reads every page from `since`: the pages (or the error that ended the
/// run) and the run's checkpoint.
async fn run(
    connection: &Connection,
    call: Call,
    since: Option<Checkpoint>,
) -> (Vec<Result<Page, Error>>, Option<Checkpoint>) {
    let mut pages = connection.pages_from("items", call, since).unwrap();
    let mut seen = Vec::new();
    while let Some(page) = pages.next().await {
        seen.push(page);
        assert!(seen.len() < 20, "the run does not stop");
    }
    (seen, pages.checkpoint().cloned())
}

fn ids(pages: &[Result<Page, Error>]) -> Vec<i64> {
    pages
        .iter()
        .flat_map(|p| p.as_ref().unwrap().records.iter())
        .map(|r| r["id"].as_i64().unwrap())
        .collect()
}

fn timestamp_checkpoint(value: &str) -> Checkpoint {
    Checkpoint {
        value: json!(value),
        source: "max /updated_at (timestamp)".into(),
    }
}

#[tokio::test]
async fn the_checkpoint_is_the_largest_value_of_records_in_any_order() {
    let server = MockServer::start().await;
    // Newest first on one page, oldest first on another, the largest in
    // the middle of the run and written with another offset.
    page(&server, None, json!({ "data": [record(1, "2024-01-03T00:00:00Z"), record(2, "2024-01-01T00:00:00Z")], "next": "b" })).await;
    page(&server, Some("b"), json!({ "data": [record(3, "2024-01-02T00:00:00Z"), record(4, "2024-01-05T01:00:00+01:00")], "next": "c" })).await;
    page(
        &server,
        Some("c"),
        json!({ "data": [record(5, "2024-01-04T23:59:59.999Z")] }),
    )
    .await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let (pages, checkpoint) = run(&connection, Call::default(), None).await;
    assert_eq!(ids(&pages), [1, 2, 3, 4, 5]);
    // The value as the API wrote it: it is sent back as received.
    assert_eq!(
        checkpoint,
        Some(timestamp_checkpoint("2024-01-05T01:00:00+01:00"))
    );
    // A first run without `initial` leaves the parameter out.
    for request in received(&server).await {
        assert!(!query(&request).iter().any(|(k, _)| k == "updated_since"));
    }
}

#[tokio::test]
async fn an_inclusive_boundary_reads_the_boundary_record_again() {
    let server = MockServer::start().await;
    let since = "2024-01-05T00:00:00Z";
    // The API includes the value it is sent: record 4 comes back.
    Mock::given(method("GET"))
        .and(path("/items"))
        .and(query_param("updated_since", since))
        .respond_with(ResponseTemplate::new(200).set_body_json(
            json!({ "data": [record(4, since), record(6, "2024-01-06T00:00:00Z")] }),
        ))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let (pages, checkpoint) = run(
        &connection,
        Call::default(),
        Some(timestamp_checkpoint(since)),
    )
    .await;
    assert_eq!(ids(&pages), [4, 6]);
    assert_eq!(
        checkpoint,
        Some(timestamp_checkpoint("2024-01-06T00:00:00Z"))
    );
}

#[tokio::test]
async fn a_failure_on_page_3_of_5_keeps_no_checkpoint() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({ "data": [record(1, "2024-01-01T00:00:00Z")], "next": "2" }),
    )
    .await;
    page(
        &server,
        Some("2"),
        json!({ "data": [record(2, "2024-01-02T00:00:00Z")], "next": "3" }),
    )
    .await;
    Mock::given(method("GET"))
        .and(query_param("cursor", "3"))
        .respond_with(ResponseTemplate::new(500))
        .mount(&server)
        .await;
    page(
        &server,
        Some("4"),
        json!({ "data": [record(4, "2024-01-04T00:00:00Z")], "next": "5" }),
    )
    .await;
    page(
        &server,
        Some("5"),
        json!({ "data": [record(5, "2024-01-05T00:00:00Z")] }),
    )
    .await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let since = timestamp_checkpoint("2023-12-31T00:00:00Z");
    let (pages, checkpoint) = run(&connection, Call::default(), Some(since)).await;
    assert_eq!(pages.len(), 3);
    assert!(pages[..2].iter().all(Result::is_ok));
    assert!(pages[2].is_err(), "{:?}", pages[2]);
    assert_eq!(checkpoint, None, "the caller keeps the checkpoint it had");
}

#[tokio::test]
async fn a_run_cut_short_by_max_pages_keeps_no_checkpoint() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({ "data": [record(1, "2024-01-01T00:00:00Z")], "next": "2" }),
    )
    .await;
    page(
        &server,
        Some("2"),
        json!({ "data": [record(2, "2024-01-02T00:00:00Z")] }),
    )
    .await;
    let rest = format!(
        "{}\n[endpoints.items.pagination]\ntype = \"cursor\"\nparam = \"cursor\"\npath = \"/next\"\nmax_pages = 1\n",
        UPDATED_SINCE
    );
    let text = format!(
        "{AUTH}\n[endpoints.items]\nurl = \"{{{{ base }}}}/items\"\nresponse = {{ records = \"/data\" }}\n{rest}"
    );
    let connection = connect(&server, &text, token());
    let (pages, checkpoint) = run(&connection, Call::default(), None).await;
    assert_eq!(ids(&pages), [1]);
    assert_eq!(checkpoint, None);
}

#[tokio::test]
async fn a_run_stopped_by_the_page_cap_keeps_no_checkpoint() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({ "data": [record(1, "2024-01-01T00:00:00Z")], "next": "2" }),
    )
    .await;
    page(
        &server,
        Some("2"),
        json!({ "data": [record(2, "2024-01-02T00:00:00Z")], "next": "3" }),
    )
    .await;
    let connection = connect_with(
        &server,
        &spec(UPDATED_SINCE),
        token(),
        Options {
            max_pages: 2,
            ..fast()
        },
    );
    let (pages, checkpoint) = run(&connection, Call::default(), None).await;
    assert!(
        matches!(pages.last(), Some(Err(Error::PageLimit { limit: 2, .. }))),
        "{:?}",
        pages.last()
    );
    assert_eq!(checkpoint, None, "page 3 was never read");
}

#[tokio::test]
async fn more_true_without_a_cursor_keeps_no_checkpoint() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({ "data": [record(1, "2024-01-01T00:00:00Z")], "more": true }),
    )
    .await;
    let text = format!(
        "{AUTH}\n[endpoints.items]\nurl = \"{{{{ base }}}}/items\"\nresponse = {{ records = \"/data\" }}\npagination = {{ type = \"cursor\", param = \"cursor\", path = \"/next\", more = \"/more\" }}\n{UPDATED_SINCE}\n"
    );
    let connection = connect(&server, &text, token());
    let (pages, checkpoint) = run(&connection, Call::default(), None).await;
    assert!(
        matches!(pages.last(), Some(Err(Error::PageUnfinished { .. }))),
        "{:?}",
        pages.last()
    );
    assert_eq!(checkpoint, None, "the records after page 1 were never read");
}

#[tokio::test]
async fn a_numbered_page_identical_to_the_previous_ends_cleanly_and_keeps_a_checkpoint() {
    // Magento answers past the end with its last page again.
    let server = MockServer::start().await;
    let numbered = |number: &str, body: Value| {
        Mock::given(method("GET"))
            .and(path("/items"))
            .and(query_param("page", number))
            .respond_with(ResponseTemplate::new(200).set_body_json(body))
    };
    numbered(
        "1",
        json!({ "data": [record(1, "2024-01-01T00:00:00Z"), record(2, "2024-01-03T00:00:00Z")] }),
    )
    .mount(&server)
    .await;
    let last =
        json!({ "data": [record(3, "2024-01-02T00:00:00Z"), record(4, "2024-01-02T00:00:00Z")] });
    numbered("2", last.clone()).mount(&server).await;
    numbered("3", last).mount(&server).await;
    let text = format!(
        "{AUTH}\n[endpoints.items]\nurl = \"{{{{ base }}}}/items\"\nresponse = {{ records = \"/data\" }}\npagination = {{ type = \"page_number\", param = \"page\", limit_param = \"limit\", limit = 2 }}\n{UPDATED_SINCE}\n"
    );
    let connection = connect(&server, &text, token());
    let (pages, checkpoint) = run(&connection, Call::default(), None).await;
    assert_eq!(ids(&pages), [1, 2, 3, 4], "the repeat is not returned");
    assert_eq!(received(&server).await.len(), 3);
    assert_eq!(
        checkpoint,
        Some(timestamp_checkpoint("2024-01-03T00:00:00Z"))
    );
}

#[tokio::test]
async fn a_repeated_cursor_keeps_no_checkpoint() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({ "data": [record(1, "2024-01-01T00:00:00Z")], "next": "a" }),
    )
    .await;
    page(
        &server,
        Some("a"),
        json!({ "data": [record(2, "2024-01-02T00:00:00Z")], "next": "a" }),
    )
    .await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let (pages, checkpoint) = run(&connection, Call::default(), None).await;
    assert!(matches!(
        pages.last(),
        Some(Err(Error::PageRepeated { .. }))
    ));
    assert_eq!(checkpoint, None);
}

#[tokio::test]
async fn a_record_without_the_field_is_an_error_naming_page_and_record() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({ "data": [record(1, "2024-01-01T00:00:00Z")], "next": "2" }),
    )
    .await;
    page(
        &server,
        Some("2"),
        json!({ "data": [record(2, "2024-01-02T00:00:00Z"), { "id": 3 }] }),
    )
    .await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let (pages, checkpoint) = run(&connection, Call::default(), None).await;
    let Some(Err(error)) = pages.last() else {
        panic!("no error: {pages:?}")
    };
    let message = error.to_string();
    assert!(matches!(error, Error::Checkpoint { .. }), "{message}");
    assert!(message.contains("endpoint `items`"), "{message}");
    assert!(message.contains("page 2, record 1"), "{message}");
    assert!(message.contains("`/updated_at`"), "{message}");
    assert_eq!(checkpoint, None);
}

#[tokio::test]
async fn a_value_of_the_wrong_type_is_an_error_that_does_not_quote_it() {
    let server = MockServer::start().await;
    page(
        &server,
        None,
        json!({ "data": [record(1, "last tuesday")] }),
    )
    .await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let (pages, _) = run(&connection, Call::default(), None).await;
    let message = pages[0].as_ref().unwrap_err().to_string();
    assert!(message.contains("page 1, record 0"), "{message}");
    assert!(message.contains("RFC 3339"), "{message}");
    assert!(!message.contains("tuesday"), "{message}");
}

#[tokio::test]
async fn a_run_that_reads_nothing_newer_keeps_the_checkpoint_it_started_from() {
    let server = MockServer::start().await;
    // An API that ignores the filter and returns older records: the
    // checkpoint never goes back.
    page(
        &server,
        None,
        json!({ "data": [record(1, "2020-01-01T00:00:00Z")] }),
    )
    .await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let since = timestamp_checkpoint("2024-01-01T00:00:00Z");
    let (_, checkpoint) = run(&connection, Call::default(), Some(since.clone())).await;
    assert_eq!(checkpoint, Some(since.clone()));

    let empty = MockServer::start().await;
    page(&empty, None, json!({ "data": [] })).await;
    let connection = connect(&empty, &spec(UPDATED_SINCE), token());
    let (_, checkpoint) = run(&connection, Call::default(), Some(since.clone())).await;
    assert_eq!(checkpoint, Some(since));
}

#[tokio::test]
async fn last_value_is_taken_from_the_page_that_ended_the_run() {
    let server = MockServer::start().await;
    let body = |ids: &[i64], next: Option<&str>, position: &str| json!({ "data": ids.iter().map(|id| json!({ "id": id })).collect::<Vec<_>>(), "next": next, "position": position });
    page(&server, None, body(&[1], Some("2"), "p1")).await;
    page(&server, Some("2"), body(&[2], None, "p2")).await;
    let rest = r#"query = { from = "{{ checkpoint }}" }
incremental = { type = "last_value", path = "/position" }"#;
    let connection = connect(&server, &spec(rest), token());
    let (pages, checkpoint) = run(&connection, Call::default(), None).await;
    assert_eq!(ids(&pages), [1, 2]);
    let checkpoint = checkpoint.unwrap();
    assert_eq!(checkpoint.value, json!("p2"));
    assert_eq!(checkpoint.source, "last_value /position");

    // The next run sends it; a last page without a value keeps it.
    let next = MockServer::start().await;
    Mock::given(method("GET"))
        .and(query_param("from", "p2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [{ "id": 3 }] })))
        .expect(1)
        .mount(&next)
        .await;
    let connection = connect(&next, &spec(rest), token());
    let (pages, again) = run(&connection, Call::default(), Some(checkpoint.clone())).await;
    assert_eq!(ids(&pages), [3]);
    assert_eq!(again, Some(checkpoint));
}

#[tokio::test]
async fn initial_is_the_first_runs_checkpoint_and_keeps_its_type() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/search"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "data": [{ "id": 1, "seq": 41 }, { "id": 2, "seq": 42 }] })),
        )
        .mount(&server)
        .await;
    let text = format!(
        r#"{AUTH}
[endpoints.items]
method = "POST"
url = "{{{{ base }}}}/search"
direction = "receive"
body = {{ type = "json", content = {{ after = "{{{{ checkpoint }}}}", filter = {{ since = "{{{{ checkpoint }}}}" }} }} }}
response = {{ records = "/data" }}
incremental = {{ type = "max", field = "/seq", field_type = "integer", initial = "{{{{ start }}}}" }}

[endpoints.items.variables.start]
type = "integer"
default = 40
"#
    );
    let connection = connect(&server, &text, token());
    let (_, checkpoint) = run(&connection, Call::default(), None).await;
    let sent: Value = serde_json::from_slice(&received(&server).await[0].body).unwrap();
    assert_eq!(sent, json!({ "after": 40, "filter": { "since": 40 } }));
    assert_eq!(checkpoint.unwrap().value, json!(42));

    // A literal `initial` of an integer checkpoint is a number too.
    let literal = text.replace("{{ start }}", "7");
    let connection = connect(&server, &literal, token());
    connection.call("items", &Call::default()).await.unwrap();
    let sent: Value = serde_json::from_slice(&received(&server).await[1].body).unwrap();
    assert_eq!(sent["after"], json!(7));

    // An `initial` from a variable that is not a value of the field type
    // is an error before anything is sent.
    let connection = connect(
        &server,
        &text.replace(
            "type = \"integer\"\ndefault = 40",
            "type = \"string\"\ndefault = \"x\"",
        ),
        token(),
    );
    let (pages, _) = run(&connection, call(json!({})), None).await;
    let message = pages[0].as_ref().unwrap_err().to_string();
    assert!(message.contains("`initial`"), "{message}");
    assert_eq!(received(&server).await.len(), 2);
}

#[tokio::test]
async fn a_json_member_that_is_only_the_checkpoint_is_left_out_on_a_first_run() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "data": [] })))
        .mount(&server)
        .await;
    let text = format!(
        r#"{AUTH}
[endpoints.items]
method = "POST"
url = "{{{{ base }}}}/search"
direction = "receive"
headers = {{ X-Since = "{{{{ checkpoint }}}}" }}
body = {{ type = "json", content = {{ limit = 10, filter = {{ since = "{{{{ checkpoint }}}}", kind = "a" }} }} }}
response = {{ records = "/data" }}
incremental = {{ type = "last_value", path = "/token" }}
"#
    );
    let connection = connect(&server, &text, token());
    let (_, checkpoint) = run(&connection, Call::default(), None).await;
    let request = &received(&server).await[0];
    let sent: Value = serde_json::from_slice(&request.body).unwrap();
    assert_eq!(sent, json!({ "limit": 10, "filter": { "kind": "a" } }));
    assert!(request.headers.get("x-since").is_none());
    // Nothing read and nothing to start from: nothing to keep.
    assert_eq!(checkpoint, None);
}

#[tokio::test]
async fn a_checkpoint_from_another_spec_or_endpoint_is_refused() {
    let server = MockServer::start().await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let other = Checkpoint {
        value: json!(5),
        source: "max /id (integer)".into(),
    };
    let Err(error) = connection.pages_from("items", Call::default(), Some(other)) else {
        panic!("accepted");
    };
    let message = error.to_string();
    assert!(message.contains("`max /id (integer)`"), "{message}");
    assert!(
        message.contains("`max /updated_at (timestamp)`"),
        "{message}"
    );

    let mistyped = timestamp_checkpoint("not a time");
    let (pages, _) = run(&connection, Call::default(), Some(mistyped)).await;
    assert!(matches!(pages[0], Err(Error::Checkpoint { .. })));
    assert!(received(&server).await.is_empty(), "nothing is sent");

    let plain = connect(&server, &spec(""), token());
    let checkpoint = timestamp_checkpoint("2024-01-01T00:00:00Z");
    assert!(
        plain
            .pages_from("items", Call::default(), Some(checkpoint))
            .is_err()
    );
}

#[tokio::test]
async fn a_dry_run_from_a_checkpoint_shows_it() {
    let server = MockServer::start().await;
    let connection = connect(&server, &spec(UPDATED_SINCE), token());
    let since = timestamp_checkpoint("2024-01-05T00:00:00Z");
    let requests = connection
        .dry_run_from("items", &Call::default(), Some(&since))
        .unwrap();
    let url = requests.last().unwrap().url.as_str().to_owned();
    assert!(
        url.ends_with("/items?updated_since=2024-01-05T00%3A00%3A00Z"),
        "{url}"
    );
    let first = connection.dry_run("items", &Call::default()).unwrap();
    assert!(first.last().unwrap().url.query().is_none());
}
