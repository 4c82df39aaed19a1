//! Zendesk's cursor-based incremental ticket export
//! (https://developer.zendesk.com/documentation/ticketing/managing-tickets/using-the-incremental-export-api):
//! the first export starts at `start_time`, each answer carries `tickets`,
//! `after_url`, `after_cursor` and `end_of_stream`, and the next export
//! starts from the last `after_cursor` alone (`incremental.resume`).

use patchbay_runtime::{Call, Checkpoint, Connection};
use serde_json::{Value, json};
use wiremock::matchers::{
    header, header_exists, method, path, query_param, query_param_is_missing,
};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::common::basic;
use crate::fixture;

const EXPORT: &str = "/api/v2/incremental/tickets/cursor.json";
const API_TOKEN: &str = "6wiIBWbGkBMo1mRDMuVwkw1EPsNkeUj95PIz2akv";

/// The fixture with its host pointed at `server`, connected with the API
/// token method.
fn connect(server: &MockServer) -> Connection {
    let connector = fixture::connector(
        "zendesk",
        "https://{{ subdomain }}.zendesk.com",
        &server.uri(),
    );
    // The subdomain is in the replaced host: the method no longer uses it.
    fixture::connection(
        &connector,
        "api_token",
        json!({ "email": "jdoe@example.com", "api_token": API_TOKEN }),
    )
}

fn ticket(id: i64) -> Value {
    json!({ "id": id, "subject": format!("ticket {id}"), "updated_at": "2026-12-01T10:00:00Z" })
}

/// An export answer as Zendesk documents it.
fn answer(server: &MockServer, tickets: &[i64], after_cursor: &str, end_of_stream: bool) -> Value {
    json!({
        "tickets": tickets.iter().map(|id| ticket(*id)).collect::<Vec<_>>(),
        "after_url": format!("{}{EXPORT}?cursor={after_cursor}", server.uri()),
        "after_cursor": after_cursor,
        "before_url": null,
        "before_cursor": null,
        "end_of_stream": end_of_stream,
    })
}

async fn mount(server: &MockServer, cursor: Option<&str>, body: Value) {
    let mock = Mock::given(method("GET"))
        .and(path(EXPORT))
        .and(header_exists("authorization"));
    let mock = match cursor {
        Some(cursor) => mock.and(query_param("cursor", cursor)),
        None => mock.and(query_param_is_missing("cursor")),
    };
    mock.respond_with(ResponseTemplate::new(200).set_body_json(body))
        .expect(1)
        .mount(server)
        .await;
}

async fn export(
    connection: &Connection,
    since: Option<Checkpoint>,
) -> (Vec<i64>, Option<Checkpoint>) {
    // A resumed export needs no start_time: the stored cursor replaces it.
    let call = if since.is_some() {
        Call::default()
    } else {
        Call {
            variables: [("start_time".to_owned(), json!(1_764_547_200))].into(),
            payload: None,
            files: Default::default(),
        }
    };
    let mut pages = connection
        .pages_from("export_tickets", call, since)
        .unwrap();
    let mut ids = Vec::new();
    while let Some(page) = pages.next().await {
        ids.extend(
            page.unwrap()
                .records
                .iter()
                .map(|t| t["id"].as_i64().unwrap()),
        );
    }
    (ids, pages.checkpoint().cloned())
}

#[tokio::test]
async fn an_export_reads_every_page_and_the_next_starts_from_its_cursor() {
    let first = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(EXPORT))
        .and(query_param("start_time", "1764547200"))
        .and(query_param_is_missing("cursor"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer(
            &first,
            &[1, 2],
            "C1",
            false,
        )))
        .expect(1)
        .mount(&first)
        .await;
    mount(&first, Some("C1"), answer(&first, &[3], "C2", true)).await;
    let connection = connect(&first);
    let (ids, checkpoint) = export(&connection, None).await;
    assert_eq!(ids, [1, 2, 3]);
    let checkpoint = checkpoint.unwrap();
    assert_eq!(checkpoint.value, json!("C2"));
    assert_eq!(checkpoint.source, "last_value /after_cursor");
    // Pages after the first follow after_url, which carries only the cursor.
    let requests = first.received_requests().await.unwrap();
    let later: Vec<Option<&str>> = requests[1..].iter().map(|r| r.url.query()).collect();
    // The page that says `end_of_stream` ends the run (`done`): its
    // after_url, still given, is not fetched.
    assert_eq!(later, [Some("cursor=C1")]);

    // The next export: only what changed since.
    let next = MockServer::start().await;
    mount(&next, Some("C2"), answer(&next, &[2, 4], "C3", true)).await;
    let connection = connect(&next);
    let (ids, again) = export(&connection, Some(checkpoint)).await;
    assert_eq!(ids, [2, 4]);
    assert_eq!(again.unwrap().value, json!("C3"));
    // `resume`: a later export sends the cursor alone, no start_time.
    let requests = next.received_requests().await.unwrap();
    assert_eq!(requests[0].url.query(), Some("cursor=C2"));
}

#[tokio::test]
async fn an_export_that_fails_midway_keeps_the_previous_cursor() {
    let server = MockServer::start().await;
    mount(&server, Some("C5"), answer(&server, &[7], "C6", false)).await;
    Mock::given(method("GET"))
        .and(query_param("cursor", "C6"))
        .respond_with(ResponseTemplate::new(403).set_body_json(json!({ "error": "Forbidden" })))
        .mount(&server)
        .await;
    let connection = connect(&server);
    let since = Checkpoint {
        value: json!("C5"),
        source: "last_value /after_cursor".into(),
    };
    let call = Call {
        variables: [("start_time".to_owned(), json!(1_764_547_200))].into(),
        payload: None,
        files: Default::default(),
    };
    let mut pages = connection
        .pages_from("export_tickets", call, Some(since))
        .unwrap();
    assert!(pages.next().await.unwrap().is_ok());
    assert!(pages.next().await.unwrap().is_err());
    assert!(pages.next().await.is_none());
    assert_eq!(pages.checkpoint(), None);
}

#[tokio::test]
async fn a_dry_run_shows_the_first_or_the_resumed_export() {
    let server = MockServer::start().await;
    let connection = connect(&server);
    let call = Call {
        variables: [("start_time".to_owned(), json!(1_764_547_200))].into(),
        payload: None,
        files: Default::default(),
    };
    let query = |since: Option<&Checkpoint>| {
        let requests = connection
            .dry_run_from("export_tickets", &call, since)
            .unwrap();
        requests.last().unwrap().url.query().map(str::to_owned)
    };
    assert_eq!(query(None).as_deref(), Some("start_time=1764547200"));
    let since = Checkpoint {
        value: json!("C2"),
        source: "last_value /after_cursor".into(),
    };
    assert_eq!(query(Some(&since)).as_deref(), Some("cursor=C2"));
    // Without start_time the first export reads every ticket.
    let everything = connection
        .dry_run_from("export_tickets", &Call::default(), None)
        .unwrap();
    assert_eq!(everything.last().unwrap().url.query(), Some("start_time=0"));
}

/// Zendesk's API token credential
/// (https://developer.zendesk.com/api-reference/introduction/security-and-auth/#api-token):
/// Basic with `{email_address}/token` as the user and the token as the
/// password, built by the method's `username` template from the email.
#[tokio::test]
async fn the_api_token_user_is_the_email_followed_by_token() {
    let server = MockServer::start().await;
    let expected = basic(&format!("jdoe@example.com/token:{API_TOKEN}"));
    Mock::given(method("GET"))
        .and(path("/api/v2/users/me.json"))
        .and(header("authorization", expected.as_str()))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "user": { "id": 1 } })))
        .expect(1)
        .mount(&server)
        .await;
    let connection = connect(&server);
    let response = connection.call("get_me", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    // The credential is masked by position in a dry run, and known to the
    // redactor in every other text.
    let dry_run = connection.dry_run("get_me", &Call::default()).unwrap();
    let curl = dry_run[0].to_curl(&connection.redactor());
    assert!(curl.contains("Authorization: Basic ********"), "{curl}");
    let credential = expected.trim_start_matches("Basic ");
    assert!(
        !curl.contains(credential) && !curl.contains(API_TOKEN),
        "{curl}"
    );
    let redacted = connection
        .redactor()
        .redact(&format!("echo {credential} and {API_TOKEN}"));
    assert_eq!(redacted, "echo ******** and ********");
}
