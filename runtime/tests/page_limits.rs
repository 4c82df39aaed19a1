//! Where an all-pages run ends against a server that never says "last
//! page": a repeated cursor or link is an error at once, a repeated page
//! of numbered or offset paging ends the run normally, and a run without
//! the spec's `max_pages` stops at the runtime's page cap with an error.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use common::{connect, connect_with, fast, received};
use patchbay_runtime::{Call, Connection, Error, Options};
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const AUTH: &str = "[auth.t]\ntype = \"bearer\"\n";

/// Pages fetched before a test gives up on a run that does not end.
const RUNAWAY: usize = 200;

fn spec(pagination: &str) -> String {
    format!(
        "{AUTH}\n[endpoints.items]\nmethod = \"GET\"\nurl = \"{{{{ base }}}}/items\"\nresponse = {{ records = \"/data\" }}\npagination = {pagination}\n"
    )
}

fn token() -> Value {
    json!({ "token": "tok" })
}

/// How a run ended: its records' ids, its page count, and its error.
struct Run {
    ids: Vec<i64>,
    pages: usize,
    error: Option<Error>,
}

async fn run(connection: &Connection) -> Run {
    let mut pages = connection.pages("items", Call::default()).unwrap();
    let mut run = Run {
        ids: Vec::new(),
        pages: 0,
        error: None,
    };
    while let Some(page) = pages.next().await {
        match page {
            Ok(page) => {
                run.ids
                    .extend(page.records.iter().map(|r| r["id"].as_i64().unwrap()));
                run.pages += 1;
                assert!(run.pages < RUNAWAY, "the run does not end");
            }
            Err(error) => {
                run.error = Some(error);
                assert!(pages.next().await.is_none(), "an error ends the run");
                break;
            }
        }
    }
    run
}

/// The value of a query parameter of a received request.
fn param(request: &Request, name: &str) -> Option<String> {
    request
        .url
        .query_pairs()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

/// Answers `GET /items` with `answer(request)`.
struct Answer<F>(F);

impl<F: Fn(&Request) -> ResponseTemplate + Send + Sync> Respond for Answer<F> {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        (self.0)(request)
    }
}

async fn serve(
    answer: impl Fn(&Request) -> ResponseTemplate + Send + Sync + 'static,
) -> MockServer {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(Answer(answer))
        .mount(&server)
        .await;
    server
}

fn page(id: i64, extra: Value) -> ResponseTemplate {
    let mut body = json!({ "data": [{ "id": id }] });
    if let (Value::Object(body), Value::Object(extra)) = (&mut body, extra) {
        body.extend(extra);
    }
    ResponseTemplate::new(200).set_body_json(body)
}

/// A cursor server: no cursor → page 1 with next `c2`, then each cursor
/// after `cycle` (c2 → c3 → c2 …).
fn cycling_cursor(request: &Request) -> ResponseTemplate {
    match param(request, "cursor").as_deref() {
        None => page(1, json!({ "next": "c2" })),
        Some("c2") => page(2, json!({ "next": "c3" })),
        Some(_) => page(3, json!({ "next": "c2" })),
    }
}

#[tokio::test]
async fn a_repeated_cursor_is_an_error_at_once() {
    let server = serve(cycling_cursor).await;
    let connection = connect(
        &server,
        &spec(r#"{ type = "cursor", param = "cursor", path = "/next" }"#),
        token(),
    );
    let run = run(&connection).await;
    assert_eq!(run.ids, [1, 2, 3]);
    let error = run.error.expect("the repeated cursor is an error");
    assert!(
        matches!(&error, Error::PageRepeated { endpoint, value, .. } if endpoint == "items" && value == "c2"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("endpoint `items`") && message.contains("`c2`"),
        "{message}"
    );
    // Nothing is fetched with the repeated cursor.
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn a_repeated_cursor_is_redacted() {
    // The server hands back the access token as a cursor.
    let server = serve(|request| match param(request, "cursor") {
        None => page(1, json!({ "next": "tok-secret-cursor" })),
        Some(_) => page(2, json!({ "next": "tok-secret-cursor" })),
    })
    .await;
    let connection = connect(
        &server,
        &spec(r#"{ type = "cursor", param = "cursor", path = "/next" }"#),
        json!({ "token": "tok-secret-cursor" }),
    );
    let error = run(&connection).await.error.expect("a repeated cursor");
    common::assert_no_secrets(&error, &["tok-secret-cursor"]);
}

#[tokio::test]
async fn a_long_repeated_cursor_is_quoted_in_part() {
    let long = "x".repeat(10_000);
    let cursor = long.clone();
    let server = serve(move |request| match param(request, "cursor") {
        None => page(1, json!({ "next": cursor })),
        Some(_) => page(2, json!({ "next": cursor })),
    })
    .await;
    let connection = connect(
        &server,
        &spec(r#"{ type = "cursor", param = "cursor", path = "/next" }"#),
        token(),
    );
    let error = run(&connection).await.error.expect("a repeated cursor");
    let message = error.to_string();
    assert!(message.len() < 1_000, "{}", &message[..300]);
    assert!(message.contains("xxx…"), "{message}");
}

#[tokio::test]
async fn a_next_url_that_repeats_an_earlier_one_is_an_error() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(Answer(move |request: &Request| {
            match param(request, "p").as_deref() {
                None => page(1, json!({ "next": format!("{base}/items?p=2") })),
                Some("2") => page(2, json!({ "next": "/items?p=3" })),
                // Back to page 2: not the previous link, an earlier one.
                Some(_) => page(3, json!({ "next": "/items?p=2" })),
            }
        }))
        .mount(&server)
        .await;
    let connection = connect(
        &server,
        &spec(r#"{ type = "next_url", path = "/next" }"#),
        token(),
    );
    let run = run(&connection).await;
    assert_eq!(run.ids, [1, 2, 3]);
    let error = run.error.expect("the repeated link is an error");
    assert!(
        matches!(&error, Error::PageRepeated { value, .. } if value.ends_with("/items?p=2")),
        "{error:?}"
    );
    assert_eq!(received(&server).await.len(), 3);
}

#[tokio::test]
async fn a_next_url_back_to_the_first_page_is_an_error() {
    let server = serve(|request| match param(request, "p").as_deref() {
        None => page(1, json!({ "next": "/items?p=2" })),
        Some(_) => page(2, json!({ "next": "/items" })),
    })
    .await;
    let connection = connect(
        &server,
        &spec(r#"{ type = "next_url", path = "/next" }"#),
        token(),
    );
    let run = run(&connection).await;
    assert_eq!(run.ids, [1, 2]);
    assert!(
        matches!(run.error, Some(Error::PageRepeated { .. })),
        "{:?}",
        run.error
    );
}

#[tokio::test]
async fn a_link_header_that_repeats_an_earlier_one_is_an_error() {
    let server = MockServer::start().await;
    let base = server.uri();
    Mock::given(method("GET"))
        .and(path("/items"))
        .respond_with(Answer(move |request: &Request| {
            let (id, next) = match param(request, "page").as_deref() {
                None => (1, 2),
                Some("2") => (2, 3),
                Some(_) => (3, 2),
            };
            page(id, json!({}))
                .insert_header("Link", format!(r#"<{base}/items?page={next}>; rel="next""#))
        }))
        .mount(&server)
        .await;
    let connection = connect(&server, &spec(r#"{ type = "link_header" }"#), token());
    let run = run(&connection).await;
    assert_eq!(run.ids, [1, 2, 3]);
    let error = run.error.expect("the repeated link is an error");
    assert!(
        matches!(&error, Error::PageRepeated { value, .. } if value.ends_with("/items?page=2")),
        "{error:?}"
    );
    assert_eq!(received(&server).await.len(), 3);
}

/// Magento: a page number past the end answers the last page again.
#[tokio::test]
async fn page_number_ends_normally_at_a_page_identical_to_the_previous() {
    let server = serve(|request| {
        let number: i64 = param(request, "page").unwrap().parse().unwrap();
        page(number.min(3), json!({ "total": 3 }))
    })
    .await;
    let connection = connect(
        &server,
        &spec(r#"{ type = "page_number", param = "page" }"#),
        token(),
    );
    let run = run(&connection).await;
    assert!(run.error.is_none(), "{:?}", run.error);
    // The repeated page is not returned again.
    assert_eq!(run.ids, [1, 2, 3]);
    assert_eq!(received(&server).await.len(), 4);
}

#[tokio::test]
async fn offset_ends_normally_at_a_page_identical_to_the_previous() {
    let server = serve(|request| {
        let offset: i64 = param(request, "offset").unwrap().parse().unwrap();
        page((offset + 1).min(2), json!({}))
    })
    .await;
    let connection = connect(
        &server,
        &spec(r#"{ type = "offset", param = "offset" }"#),
        token(),
    );
    let run = run(&connection).await;
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(run.ids, [1, 2]);
    assert_eq!(received(&server).await.len(), 3);
}

/// Different pages that are equal to an earlier page but not to the
/// previous one do not end a page-number run.
#[tokio::test]
async fn page_number_goes_on_past_a_page_equal_to_an_older_one() {
    let server = serve(|request| {
        let number: i64 = param(request, "page").unwrap().parse().unwrap();
        match number {
            1 | 3 => page(1, json!({})),
            2 => page(2, json!({})),
            _ => ResponseTemplate::new(200).set_body_json(json!({ "data": [] })),
        }
    })
    .await;
    let connection = connect(
        &server,
        &spec(r#"{ type = "page_number", param = "page" }"#),
        token(),
    );
    let run = run(&connection).await;
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(run.ids, [1, 2, 1]);
}

/// A cursor server that always has a next page.
fn endless_cursor(request: &Request) -> ResponseTemplate {
    let n: i64 = param(request, "cursor").map_or(1, |c| c.parse().unwrap());
    page(n, json!({ "next": (n + 1).to_string() }))
}

#[tokio::test]
async fn a_run_without_max_pages_stops_at_the_page_cap_with_an_error() {
    let server = serve(endless_cursor).await;
    let connection = connect_with(
        &server,
        &spec(r#"{ type = "cursor", param = "cursor", path = "/next" }"#),
        token(),
        Options {
            max_pages: 5,
            ..fast()
        },
    );
    let run = run(&connection).await;
    assert_eq!(run.ids, [1, 2, 3, 4, 5], "every page up to the cap is read");
    let error = run.error.expect("reaching the cap is an error");
    assert!(
        matches!(&error, Error::PageLimit { endpoint, limit: 5 } if endpoint == "items"),
        "{error:?}"
    );
    let message = error.to_string();
    assert!(
        message.contains("5 pages") && message.contains("--max-pages"),
        "{message}"
    );
    assert_eq!(received(&server).await.len(), 5);
}

#[tokio::test]
async fn the_specs_max_pages_ends_a_run_normally_whatever_the_cap() {
    let server = serve(endless_cursor).await;
    let connection = connect_with(
        &server,
        &spec(r#"{ type = "cursor", param = "cursor", path = "/next", max_pages = 4 }"#),
        token(),
        // The cap is for runs without `max_pages`: a lower one does not
        // cut this run short.
        Options {
            max_pages: 2,
            ..fast()
        },
    );
    let run = run(&connection).await;
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(run.ids, [1, 2, 3, 4]);
}

#[tokio::test]
async fn a_run_that_ends_exactly_at_the_cap_is_no_error() {
    let server = serve(|request| {
        let n: i64 = param(request, "cursor").map_or(1, |c| c.parse().unwrap());
        let next = if n < 3 {
            json!((n + 1).to_string())
        } else {
            Value::Null
        };
        page(n, json!({ "next": next }))
    })
    .await;
    let connection = connect_with(
        &server,
        &spec(r#"{ type = "cursor", param = "cursor", path = "/next" }"#),
        token(),
        Options {
            max_pages: 3,
            ..fast()
        },
    );
    let run = run(&connection).await;
    assert!(run.error.is_none(), "{:?}", run.error);
    assert_eq!(run.ids, [1, 2, 3]);
}
