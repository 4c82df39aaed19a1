//! The device authorization grant (RFC 8628) against wiremock, for exact
//! shapes and timing: the device authorization request and the polls
//! (public and confidential clients), the spacing of polls (`interval`,
//! `authorization_pending`, `slow_down`), the endings (`access_denied`,
//! Entra's `authorization_declined`, `expired_token`, `expires_in`), the
//! caps on a hostile server's numbers, the checks on what is shown to the
//! user, tokens stored and refreshed like a browser login's, redirects
//! refused, and the device code in no error.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{assert_no_secrets, basic, connect, expect_err, form, header, received, received_at};
use patchbay_runtime::{
    Call, Connection, DEVICE_POLL_INTERVAL_LIMIT, Error, FileStore, LOGIN_TIMEOUT, TokenStore,
};
use serde_json::{Value, json};
use wiremock::matchers::{any, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const DEVICE_CODE: &str = "DC-sentinel-9b2d";
const USER_CODE: &str = "WDJB-MJHT";
const ACCESS: &str = "AT-device-sentinel-1";
const REFRESH: &str = "RT-device-sentinel-1";
const SECRET: &str = "s3cr+t:%/device-secret";
const GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

fn spec(client: &str) -> String {
    format!(
        r#"
[auth.code]
type = "oauth2_authorization_code"
use = ["base"]
{client}
authorize_url = "{{{{ base }}}}/authorize"
token_url = "{{{{ base }}}}/token"
device_authorization_url = "{{{{ base }}}}/device"

[endpoints.orders]
method = "GET"
url = "{{{{ base }}}}/orders"
"#
    )
}

fn public() -> (String, Value) {
    (
        spec("client_type = \"public\""),
        json!({ "client_id": "my client", "scope": "read write" }),
    )
}

fn confidential() -> (String, Value) {
    (
        spec(""),
        json!({ "client_id": "my client", "client_secret": SECRET, "scope": "read" }),
    )
}

/// The device authorization answer with these fields over the defaults
/// (`null` removes one).
fn device_answer(server: &MockServer, changes: Value) -> Value {
    let mut answer = json!({
        "device_code": DEVICE_CODE,
        "user_code": USER_CODE,
        "verification_uri": format!("{}/activate", server.uri()),
        "verification_uri_complete": format!("{}/activate?user_code={USER_CODE}", server.uri()),
        "expires_in": 60,
        "interval": 1,
    });
    for (key, value) in changes.as_object().unwrap() {
        if value.is_null() {
            answer.as_object_mut().unwrap().remove(key);
        } else {
            answer[key] = value.clone();
        }
    }
    answer
}

async fn device_endpoint(server: &MockServer, answer: Value) {
    Mock::given(method("POST"))
        .and(path("/device"))
        .respond_with(ResponseTemplate::new(200).set_body_json(answer))
        .mount(server)
        .await;
}

/// Answers the polls in turn with `answers` (the last one repeats) and
/// each refresh with new tokens; records when each poll arrived.
struct TokenEndpoint {
    answers: Vec<ResponseTemplate>,
    polls: Arc<Mutex<Vec<Instant>>>,
    refreshes: Arc<AtomicUsize>,
}

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let fields = form(request);
        let grant = fields
            .iter()
            .find(|(k, _)| k == "grant_type")
            .map(|(_, v)| v.as_str());
        match grant {
            Some(GRANT) => {
                let mut polls = self.polls.lock().unwrap();
                polls.push(Instant::now());
                let index = (polls.len() - 1).min(self.answers.len() - 1);
                self.answers[index].clone()
            }
            Some("refresh_token") => {
                let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 2;
                ResponseTemplate::new(200).set_body_json(json!({
                    "access_token": format!("AT-device-sentinel-{n}"),
                    "refresh_token": format!("RT-device-sentinel-{n}"),
                    "expires_in": 3600,
                }))
            }
            _ => ResponseTemplate::new(400)
                .set_body_json(json!({ "error": "unsupported_grant_type" })),
        }
    }
}

fn oauth_error(code: &str) -> ResponseTemplate {
    ResponseTemplate::new(400)
        .set_body_json(json!({ "error": code, "error_description": format!("it is {code}") }))
}

fn tokens(expires_in: u64) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_json(json!({
        "access_token": ACCESS,
        "refresh_token": REFRESH,
        "token_type": "Bearer",
        "expires_in": expires_in,
    }))
}

struct Polls {
    at: Arc<Mutex<Vec<Instant>>>,
    refreshes: Arc<AtomicUsize>,
}

impl Polls {
    fn gaps(&self) -> Vec<Duration> {
        let at = self.at.lock().unwrap();
        at.windows(2).map(|w| w[1] - w[0]).collect()
    }

    fn count(&self) -> usize {
        self.at.lock().unwrap().len()
    }
}

async fn token_endpoint(server: &MockServer, answers: Vec<ResponseTemplate>) -> Polls {
    let polls = Polls {
        at: Arc::default(),
        refreshes: Arc::default(),
    };
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(TokenEndpoint {
            answers,
            polls: polls.at.clone(),
            refreshes: polls.refreshes.clone(),
        })
        .mount(server)
        .await;
    polls
}

/// A folder of its own under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        TempDir(std::env::temp_dir().join(format!(
            "patchbay-device-{name}-{}-{nanos}",
            std::process::id()
        )))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn with_store(connection: Connection, dir: &TempDir) -> (Connection, Arc<FileStore>) {
    let store = Arc::new(FileStore::new(&dir.0).unwrap());
    let shared: Arc<dyn TokenStore> = store.clone();
    (connection.with_store(shared, "t/code/device"), store)
}

fn get<'a>(fields: &'a [(String, String)], name: &str) -> Option<&'a str> {
    fields
        .iter()
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.as_str())
}

const SECRETS: [&str; 4] = [DEVICE_CODE, ACCESS, REFRESH, SECRET];

// ---- the flow ----------------------------------------------------------------

#[tokio::test]
async fn a_public_client_polls_until_approved_then_stores_and_refreshes_the_tokens() {
    let server = MockServer::start().await;
    device_endpoint(&server, device_answer(&server, json!({}))).await;
    // Two pending answers, then the tokens, already expired so that the
    // first call refreshes.
    let polls = token_endpoint(
        &server,
        vec![
            oauth_error("authorization_pending"),
            oauth_error("authorization_pending"),
            tokens(0),
        ],
    )
    .await;
    Mock::given(path("/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let dir = TempDir::new("flow");
    let (spec, values) = public();
    let (connection, store) = with_store(connect(&server, &spec, values), &dir);
    assert!(connection.has_device_login());

    let device = connection.start_device_login().await.unwrap();
    assert_eq!(device.user_code, USER_CODE);
    assert_eq!(
        device.verification_uri.as_str(),
        format!("{}/activate", server.uri())
    );
    assert!(
        device
            .verification_uri_complete
            .as_ref()
            .unwrap()
            .as_str()
            .ends_with("user_code=WDJB-MJHT")
    );
    assert_eq!(device.interval, Duration::from_secs(1));
    assert_eq!(device.expires_in, Duration::from_secs(60));
    assert!(device.notes.is_empty());
    assert!(!format!("{device:?}").contains(DEVICE_CODE));

    let asked = received_at(&server, "/device").await;
    assert_eq!(asked.len(), 1);
    assert_eq!(
        header(&asked[0], "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let fields = form(&asked[0]);
    assert_eq!(get(&fields, "client_id"), Some("my client"));
    assert_eq!(get(&fields, "scope"), Some("read write"));
    assert_eq!(header(&asked[0], "authorization"), None);

    let token = connection.complete_device_login(&device).await.unwrap();
    assert_eq!(token.access_token.expose(), ACCESS);
    assert_eq!(polls.count(), 3);
    // `authorization_pending` keeps the interval.
    for gap in polls.gaps() {
        assert!(gap >= Duration::from_secs(1), "polled after {gap:?}");
    }
    let sent = received_at(&server, "/token").await;
    let fields = form(&sent[0]);
    assert_eq!(get(&fields, "grant_type"), Some(GRANT));
    assert_eq!(get(&fields, "device_code"), Some(DEVICE_CODE));
    assert_eq!(get(&fields, "client_id"), Some("my client"));
    assert_eq!(header(&sent[0], "authorization"), None);

    // Stored like a browser login's tokens, and refreshed the same way.
    let stored = store.load("t/code/device").await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.as_deref(), Some(REFRESH));
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(polls.refreshes.load(Ordering::SeqCst), 1);
    let refreshed = store.load("t/code/device").await.unwrap().unwrap();
    assert_eq!(
        refreshed.refresh_token.as_deref(),
        Some("RT-device-sentinel-2")
    );
    let orders = received_at(&server, "/orders").await;
    assert_eq!(
        header(&orders[0], "authorization"),
        Some("Bearer AT-device-sentinel-2")
    );
}

#[tokio::test]
async fn a_confidential_client_authenticates_both_device_requests() {
    let server = MockServer::start().await;
    device_endpoint(&server, device_answer(&server, json!({}))).await;
    token_endpoint(&server, vec![tokens(3600)]).await;
    let (spec, values) = confidential();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    connection.complete_device_login(&device).await.unwrap();
    // RFC 6749 §2.3.1: id and secret form-encoded before base64.
    let expected = basic("my+client:s3cr%2Bt%3A%25%2Fdevice-secret");
    for request in received(&server).await {
        assert_eq!(
            header(&request, "authorization"),
            Some(expected.as_str()),
            "{}",
            request.url
        );
        let fields = form(&request);
        assert_eq!(get(&fields, "client_secret"), None);
        assert_eq!(get(&fields, "client_id"), None);
    }
}

#[tokio::test]
async fn slow_down_adds_five_seconds_to_every_later_wait() {
    let server = MockServer::start().await;
    device_endpoint(&server, device_answer(&server, json!({}))).await;
    let polls = token_endpoint(
        &server,
        vec![
            oauth_error("slow_down"),
            oauth_error("authorization_pending"),
            tokens(3600),
        ],
    )
    .await;
    let (spec, values) = public();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    let started = Instant::now();
    connection.complete_device_login(&device).await.unwrap();
    let gaps = polls.gaps();
    assert_eq!(gaps.len(), 2, "{gaps:?}");
    // 1 s, then 6 s twice: the increase lasts.
    for gap in gaps {
        assert!(
            gap >= Duration::from_secs(6) && gap < Duration::from_secs(9),
            "polled after {gap:?}"
        );
    }
    assert!(started.elapsed() >= Duration::from_secs(13));
}

#[tokio::test]
async fn a_denial_ends_the_login_with_a_clear_message() {
    for code in ["access_denied", "authorization_declined"] {
        let server = MockServer::start().await;
        device_endpoint(&server, device_answer(&server, json!({}))).await;
        let polls = token_endpoint(&server, vec![oauth_error(code)]).await;
        let (spec, values) = public();
        let connection = connect(&server, &spec, values);
        let device = connection.start_device_login().await.unwrap();
        let error = expect_err(connection.complete_device_login(&device).await);
        assert!(matches!(error, Error::DeviceLogin { .. }), "{error:?}");
        let text = error.to_string();
        assert!(
            text.contains("the user denied it") && text.contains(code),
            "{text}"
        );
        assert_eq!(polls.count(), 1, "no poll after a denial");
        assert_no_secrets(&error, &SECRETS);
    }
}

#[tokio::test]
async fn expired_token_ends_the_login_with_a_clear_message() {
    let server = MockServer::start().await;
    device_endpoint(&server, device_answer(&server, json!({}))).await;
    let polls = token_endpoint(&server, vec![oauth_error("expired_token")]).await;
    let (spec, values) = public();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    let error = expect_err(connection.complete_device_login(&device).await);
    assert!(
        error.to_string().contains("device code expired")
            && error.to_string().contains("expired_token"),
        "{error}"
    );
    assert_eq!(polls.count(), 1);
}

#[tokio::test]
async fn the_login_stops_when_the_device_code_expires() {
    let server = MockServer::start().await;
    device_endpoint(&server, device_answer(&server, json!({ "expires_in": 3 }))).await;
    let polls = token_endpoint(&server, vec![oauth_error("authorization_pending")]).await;
    let (spec, values) = public();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    let started = Instant::now();
    let error = expect_err(connection.complete_device_login(&device).await);
    let elapsed = started.elapsed();
    assert!(
        error
            .to_string()
            .contains("did not approve it within 3 s, the lifetime of its device code"),
        "{error}"
    );
    // Polls at 1 s and 2 s; a third would come after the code expired.
    assert_eq!(polls.count(), 2);
    assert!(elapsed < Duration::from_secs(4), "{elapsed:?}");
}

#[tokio::test]
async fn without_an_interval_the_server_is_polled_every_five_seconds() {
    let server = MockServer::start().await;
    device_endpoint(
        &server,
        device_answer(&server, json!({ "interval": null, "expires_in": "600" })),
    )
    .await;
    let (spec, values) = public();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    assert_eq!(device.interval, Duration::from_secs(5));
    assert_eq!(device.expires_in, Duration::from_secs(600));
}

// ---- hostile answers -----------------------------------------------------------

#[tokio::test]
async fn a_huge_interval_and_lifetime_are_capped_by_named_limits() {
    let server = MockServer::start().await;
    device_endpoint(
        &server,
        device_answer(&server, json!({ "interval": 1e12, "expires_in": 1e300 })),
    )
    .await;
    let (spec, values) = public();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    assert_eq!(device.interval, DEVICE_POLL_INTERVAL_LIMIT);
    assert_eq!(device.expires_in, LOGIN_TIMEOUT);
    let notes = device.notes.join("\n");
    assert!(
        notes.contains("DEVICE_POLL_INTERVAL_LIMIT") && notes.contains("every 60 s"),
        "{notes}"
    );
    assert!(
        notes.contains("LOGIN_TIMEOUT") && notes.contains("15 minutes"),
        "{notes}"
    );
}

#[tokio::test]
async fn an_interval_of_zero_polls_once_a_second() {
    let server = MockServer::start().await;
    device_endpoint(&server, device_answer(&server, json!({ "interval": 0 }))).await;
    let (spec, values) = public();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    assert_eq!(device.interval, Duration::from_secs(1));
}

#[tokio::test]
async fn what_the_user_would_see_is_checked_first() {
    let cases = [
        (
            json!({ "user_code": "AB\u{1b}]0;pwned\u{7}CD" }),
            "user_code",
        ),
        (json!({ "user_code": null }), "user_code"),
        (
            json!({ "verification_uri": "javascript:alert(1)" }),
            "verification_uri",
        ),
        (json!({ "verification_uri": null }), "verification_uri"),
        (
            json!({ "verification_uri_complete": "file:///etc/passwd" }),
            "verification_uri_complete",
        ),
        (json!({ "device_code": "" }), "device_code"),
        (json!({ "interval": "soon" }), "interval"),
    ];
    for (changes, field) in cases {
        let server = MockServer::start().await;
        device_endpoint(&server, device_answer(&server, changes.clone())).await;
        let (spec, values) = public();
        let connection = connect(&server, &spec, values);
        let error = expect_err(connection.start_device_login().await);
        let text = error.to_string();
        assert!(
            text.contains("device authorization answer cannot be used") && text.contains(field),
            "{changes}: {text}"
        );
        assert!(!text.contains('\u{1b}'), "{text}");
        assert_no_secrets(&error, &SECRETS);
    }
}

#[tokio::test]
async fn googles_verification_url_is_accepted() {
    let server = MockServer::start().await;
    let mut answer = device_answer(&server, json!({ "verification_uri": null }));
    answer["verification_url"] = json!("https://www.google.com/device");
    device_endpoint(&server, answer).await;
    let (spec, values) = public();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    assert_eq!(
        device.verification_uri.as_str(),
        "https://www.google.com/device"
    );
}

#[tokio::test]
async fn a_refused_device_authorization_is_the_servers_oauth_error() {
    let server = MockServer::start().await;
    Mock::given(path("/device"))
        .respond_with(
            ResponseTemplate::new(401).set_body_json(
                json!({ "error": "invalid_client", "error_description": format!("bad secret {SECRET}") }),
            ),
        )
        .mount(&server)
        .await;
    let (spec, values) = confidential();
    let connection = connect(&server, &spec, values);
    let error = expect_err(connection.start_device_login().await);
    assert!(
        matches!(&error, Error::OAuth { error, status: Some(401), .. } if error == "invalid_client"),
        "{error:?}"
    );
    assert_no_secrets(&error, &SECRETS);
}

#[tokio::test]
async fn a_failed_poll_shows_no_device_code() {
    let server = MockServer::start().await;
    device_endpoint(&server, device_answer(&server, json!({}))).await;
    token_endpoint(
        &server,
        vec![ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": format!("unknown device code {DEVICE_CODE}"),
        }))],
    )
    .await;
    let (spec, values) = confidential();
    let connection = connect(&server, &spec, values);
    let device = connection.start_device_login().await.unwrap();
    let error = expect_err(connection.complete_device_login(&device).await);
    assert!(
        matches!(&error, Error::OAuth { error, .. } if error == "invalid_grant"),
        "{error:?}"
    );
    assert_no_secrets(&error, &SECRETS);
}

#[tokio::test]
async fn a_method_without_a_device_login_says_so_and_sends_nothing() {
    let server = MockServer::start().await;
    let spec = spec("client_type = \"public\"")
        .replace("device_authorization_url = \"{{ base }}/device\"\n", "");
    let connection = connect(&server, &spec, json!({ "client_id": "c" }));
    assert!(!connection.has_device_login());
    let error = expect_err(connection.start_device_login().await);
    assert!(
        error.to_string().contains("has no device login")
            && error.to_string().contains("device_authorization_url"),
        "{error}"
    );
    assert!(received(&server).await.is_empty());
}

// ---- redirects -------------------------------------------------------------------

const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

async fn elsewhere() -> MockServer {
    let other = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "x" })))
        .mount(&other)
        .await;
    other
}

fn redirect_to(other: &MockServer, status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("Location", format!("{}/landing", other.uri()).as_str())
}

async fn assert_refused(error: &Error, server: &MockServer, other: &MockServer, status: u16) {
    let text = error.to_string();
    assert!(
        matches!(error, Error::CrossOriginRedirect { .. })
            && text.contains(&server.uri())
            && text.contains(&other.uri()),
        "HTTP {status}: {text}"
    );
    assert_no_secrets(error, &SECRETS);
    assert!(
        received(other).await.is_empty(),
        "HTTP {status}: a request went to the other origin"
    );
}

#[tokio::test]
async fn the_device_authorization_request_never_follows_a_redirect_to_another_origin() {
    for status in REDIRECT_STATUSES {
        let server = MockServer::start().await;
        let other = elsewhere().await;
        Mock::given(path("/device"))
            .respond_with(redirect_to(&other, status))
            .mount(&server)
            .await;
        let (spec, values) = confidential();
        let connection = connect(&server, &spec, values);
        let error = expect_err(connection.start_device_login().await);
        assert_refused(&error, &server, &other, status).await;
    }
}

#[tokio::test]
async fn a_device_code_poll_never_follows_a_redirect_to_another_origin() {
    for status in REDIRECT_STATUSES {
        let server = MockServer::start().await;
        let other = elsewhere().await;
        device_endpoint(&server, device_answer(&server, json!({}))).await;
        Mock::given(path("/token"))
            .respond_with(redirect_to(&other, status))
            .mount(&server)
            .await;
        let (spec, values) = confidential();
        let connection = connect(&server, &spec, values);
        let device = connection.start_device_login().await.unwrap();
        let error = expect_err(connection.complete_device_login(&device).await);
        assert_refused(&error, &server, &other, status).await;
    }
}
