//! Token responses (expiry, OAuth errors, captures) and the token cache
//! (reuse, renewal, one request in flight, renewal on 401, one token for
//! every process when the store is shared).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, SystemTime};

use common::{
    CLIENT_CREDENTIALS_ORDERS, assert_no_secrets, connect, connect_with, expect_err, fast, header,
    received_at,
};
use patchbay_runtime::{Call, Error, Options};
use serde_json::{Value, json};
use wiremock::matchers::{header as header_is, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const SECRET: &str = "s3cr+t:%/x-very-secret";

fn credentials() -> Value {
    json!({ "client_id": "my client", "client_secret": SECRET, "scope": "" })
}

async fn token_responds(server: &MockServer, body: Value) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

async fn orders_ok(server: &MockServer) {
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
}

/// Seconds from now until `at` (0 when past).
fn seconds_left(at: SystemTime) -> u64 {
    at.duration_since(SystemTime::now())
        .unwrap_or_default()
        .as_secs()
}

/// Answers token requests with `tok-1`, `tok-2`, … and `expires_in`.
struct NumberedTokens {
    count: Arc<AtomicUsize>,
    expires_in: u64,
    delay: Duration,
}

impl Respond for NumberedTokens {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.count.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(json!({ "access_token": format!("tok-{n}"), "token_type": "Bearer", "expires_in": self.expires_in }))
            .set_delay(self.delay)
    }
}

async fn numbered_tokens(
    server: &MockServer,
    expires_in: u64,
    delay: Duration,
) -> Arc<AtomicUsize> {
    let count = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(NumberedTokens {
            count: count.clone(),
            expires_in,
            delay,
        })
        .mount(server)
        .await;
    count
}

fn bearers(requests: &[Request]) -> Vec<String> {
    requests
        .iter()
        .map(|r| header(r, "authorization").unwrap_or_default().to_owned())
        .collect()
}

// ---- token responses -------------------------------------------------------

#[tokio::test]
async fn expires_in_as_a_number() {
    let server = MockServer::start().await;
    token_responds(&server, json!({ "access_token": "at", "token_type": "Bearer", "expires_in": 3600, "scope": "read" })).await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let token = connection.token().await.unwrap();
    assert_eq!(token.access_token.expose(), "at");
    let left = seconds_left(token.expires_at.unwrap());
    assert!((3590..=3600).contains(&left), "{left}");
    let info = token.info();
    assert_eq!(info.token_type.as_deref(), Some("Bearer"));
    assert_eq!(info.scope.as_deref(), Some("read"));
    assert!(!info.refreshable);
    // Neither the token's Debug nor its metadata show the token.
    assert!(!format!("{token:?}").contains("\"at\""), "{token:?}");
}

#[tokio::test]
async fn expires_in_as_a_numeric_string() {
    let server = MockServer::start().await;
    token_responds(
        &server,
        json!({ "access_token": "at", "expires_in": "1800" }),
    )
    .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let token = connection.token().await.unwrap();
    let left = seconds_left(token.expires_at.unwrap());
    assert!((1790..=1800).contains(&left), "{left}");
}

#[tokio::test]
async fn default_expires_in_when_the_response_has_none() {
    let server = MockServer::start().await;
    token_responds(&server, json!({ "access_token": "at" })).await;
    let spec = format!(
        "{CLIENT_CREDENTIALS_ORDERS}\n[auth.cc.token_response]\ndefault_expires_in = 900\n"
    );
    let connection = connect(&server, &spec, credentials());
    let token = connection.token().await.unwrap();
    let left = seconds_left(token.expires_at.unwrap());
    assert!((890..=900).contains(&left), "{left}");
}

#[tokio::test]
async fn expires_at_as_an_absolute_time() {
    let server = MockServer::start().await;
    let at = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs()
        + 600;
    token_responds(
        &server,
        json!({ "access_token": "at", "session": { "valid_until": at } }),
    )
    .await;
    let spec = format!(
        "{CLIENT_CREDENTIALS_ORDERS}\n[auth.cc.token_response]\nexpires_at = \"session.valid_until\"\n"
    );
    let connection = connect(&server, &spec, credentials());
    let token = connection.token().await.unwrap();
    let left = seconds_left(token.expires_at.unwrap());
    assert!((590..=600).contains(&left), "{left}");
}

#[tokio::test]
async fn no_expiry_at_all_means_no_expiry() {
    let server = MockServer::start().await;
    token_responds(&server, json!({ "access_token": "at" })).await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let token = connection.token().await.unwrap();
    assert_eq!(token.expires_at, None);
}

/// A century, the longest lifetime a token is taken to have.
const CENTURY: u64 = 100 * 365 * 86_400;

#[tokio::test]
async fn a_huge_expires_in_saturates_at_a_century() {
    for huge in [json!(1_u64 << 63), json!(u64::MAX), json!(1e30)] {
        let server = MockServer::start().await;
        token_responds(&server, json!({ "access_token": "at", "expires_in": huge })).await;
        let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
        let token = connection.token().await.unwrap();
        let left = seconds_left(token.expires_at.unwrap());
        assert!((CENTURY - 10..=CENTURY).contains(&left), "{huge}: {left}");
    }
}

#[tokio::test]
async fn a_huge_expires_at_saturates_at_a_century() {
    let server = MockServer::start().await;
    token_responds(
        &server,
        json!({ "access_token": "at", "valid_until": u64::MAX }),
    )
    .await;
    let spec = format!(
        "{CLIENT_CREDENTIALS_ORDERS}\n[auth.cc.token_response]\nexpires_at = \"valid_until\"\n"
    );
    let connection = connect(&server, &spec, credentials());
    let token = connection.token().await.unwrap();
    let left = seconds_left(token.expires_at.unwrap());
    assert!((CENTURY - 10..=CENTURY).contains(&left), "{left}");
}

#[tokio::test]
async fn a_fractional_expires_in_is_rounded_down() {
    let server = MockServer::start().await;
    token_responds(
        &server,
        json!({ "access_token": "at", "expires_in": 1799.9 }),
    )
    .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let token = connection.token().await.unwrap();
    let left = seconds_left(token.expires_at.unwrap());
    assert!((1789..=1799).contains(&left), "{left}");
}

#[tokio::test]
async fn a_negative_expires_in_means_already_expired() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!({ "access_token": "at", "expires_in": -5 })),
        )
        .mount(&server)
        .await;
    orders_ok(&server).await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let token = connection.token().await.unwrap();
    assert!(token.expires_at.unwrap() <= SystemTime::now());
    // Used for the call that obtained it, renewed before the next one.
    connection.call("orders", &Call::default()).await.unwrap();
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(received_at(&server, "/token").await.len(), 3);
}

#[tokio::test]
async fn a_non_numeric_expires_in_is_an_error_naming_the_field() {
    let server = MockServer::start().await;
    token_responds(
        &server,
        json!({ "access_token": "at", "expires_in": "soon" }),
    )
    .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let error = expect_err(connection.token().await);
    assert!(matches!(error, Error::TokenResponse(_)), "{error:?}");
    let message = error.to_string();
    assert!(
        message.contains("`expires_in` is not a number of seconds: \"soon\""),
        "{message}"
    );
}

#[tokio::test]
async fn an_oauth_error_with_http_200_is_an_error() {
    let server = MockServer::start().await;
    token_responds(
        &server,
        json!({ "error": "invalid_scope", "error_description": "scope x is unknown" }),
    )
    .await;
    orders_ok(&server).await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    match &error {
        Error::OAuth {
            error: code,
            description,
            status,
            ..
        } => {
            assert_eq!(code, "invalid_scope");
            assert_eq!(description.as_deref(), Some("scope x is unknown"));
            assert_eq!(*status, Some(200));
        }
        other => panic!("expected Error::OAuth, got {other:?}"),
    }
    assert_no_secrets(&error, &[SECRET]);
    assert!(received_at(&server, "/orders").await.is_empty());
}

#[tokio::test]
async fn invalid_client_with_401_names_the_code_never_the_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(401).set_body_json(json!({
            "error": "invalid_client",
            "error_description": "Client authentication failed",
        })))
        .expect(1) // not retried
        .mount(&server)
        .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(
        matches!(&error, Error::OAuth { error, status: Some(401), .. } if error == "invalid_client"),
        "{error:?}"
    );
    let text = error.to_string();
    assert!(text.contains("invalid_client"), "{text}");
    assert!(text.contains("Client authentication failed"), "{text}");
    assert_no_secrets(&error, &[SECRET, "s3cr%2Bt"]);
    server.verify().await;
}

#[tokio::test]
async fn a_failed_token_request_does_not_quote_an_echoed_secret() {
    // Some servers echo the request; the error says only how long it was.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_string(format!("bad request: client_secret={SECRET}")),
        )
        .mount(&server)
        .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let error = expect_err(connection.token().await);
    assert!(
        matches!(error, Error::Status { status: 500, .. }),
        "{error:?}"
    );
    assert_no_secrets(&error, &[SECRET]);
}

#[tokio::test]

async fn captured_instance_url_starts_the_endpoint_url() {
    let server = MockServer::start().await;
    let instance_url = format!("{}/org42", server.uri());
    token_responds(
        &server,
        json!({ "access_token": "at", "instance_url": instance_url }),
    )
    .await;
    Mock::given(method("GET"))
        .and(path("/org42/services/data"))
        .and(header_is("authorization", "Bearer at"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "ok": true })))
        .expect(1)
        .mount(&server)
        .await;
    let spec = r#"
[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[auth.cc.token_response]
capture = { instance_url = "instance_url" }

[endpoints.data]
method = "GET"
url = "{{ instance_url }}/services/data"
"#;
    let connection = connect(&server, spec, credentials());
    let token = connection.token().await.unwrap();
    assert_eq!(
        token.captures.get("instance_url"),
        Some(&json!(instance_url))
    );
    assert_eq!(token.info().captured, ["instance_url"]);
    let response = connection.call("data", &Call::default()).await.unwrap();
    assert_eq!(response.json().unwrap(), json!({ "ok": true }));
    server.verify().await;
}

#[tokio::test]
async fn a_missing_capture_is_an_error_naming_it() {
    let server = MockServer::start().await;
    token_responds(&server, json!({ "access_token": "at" })).await;
    let spec = format!(
        "{CLIENT_CREDENTIALS_ORDERS}\n[auth.cc.token_response]\ncapture = {{ tenant = \"/meta/tenant\" }}\n"
    );
    let connection = connect(&server, &spec, credentials());
    let error = expect_err(connection.token().await);
    assert!(matches!(error, Error::TokenResponse(_)), "{error:?}");
    let text = error.to_string();
    assert!(
        text.contains("tenant") && text.contains("/meta/tenant"),
        "{text}"
    );
}

// ---- the token cache -------------------------------------------------------

#[tokio::test]
async fn two_calls_share_one_token() {
    let server = MockServer::start().await;
    let count = numbered_tokens(&server, 3600, Duration::ZERO).await;
    orders_ok(&server).await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    connection.call("orders", &Call::default()).await.unwrap();
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(
        bearers(&received_at(&server, "/orders").await),
        ["Bearer tok-1", "Bearer tok-1"]
    );
}

#[tokio::test]
async fn a_token_in_the_last_tenth_of_its_life_is_renewed() {
    let server = MockServer::start().await;
    // A 2-second token is renewed in its last 0.2 s.
    let count = numbered_tokens(&server, 2, Duration::ZERO).await;
    orders_ok(&server).await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    connection.call("orders", &Call::default()).await.unwrap();
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1, "kept for most of its life");
    tokio::time::sleep(Duration::from_millis(1850)).await;
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(
        bearers(&received_at(&server, "/orders").await),
        ["Bearer tok-1", "Bearer tok-1", "Bearer tok-2"]
    );
}

#[tokio::test]
async fn a_token_shorter_lived_than_the_maximum_margin_is_kept() {
    let server = MockServer::start().await;
    // 30 s is less than the 60 s maximum margin: its margin is 3 s, so
    // it is not renewed at once (which with several processes and
    // rotation makes each renewal revoke another's token).
    let count = numbered_tokens(&server, 30, Duration::ZERO).await;
    orders_ok(&server).await;
    let options = Options {
        max_token_margin: Duration::from_secs(60),
        ..fast()
    };
    let connection = connect_with(&server, CLIENT_CREDENTIALS_ORDERS, credentials(), options);
    connection.call("orders", &Call::default()).await.unwrap();
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn fifty_concurrent_calls_make_one_token_request() {
    let server = MockServer::start().await;
    let count = numbered_tokens(&server, 3600, Duration::from_millis(200)).await;
    orders_ok(&server).await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let tasks: Vec<_> = (0..50)
        .map(|_| {
            let connection = connection.clone();
            tokio::spawn(async move {
                connection
                    .call("orders", &Call::default())
                    .await
                    .map(|r| r.status)
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    assert_eq!(count.load(Ordering::SeqCst), 1);
    assert_eq!(received_at(&server, "/token").await.len(), 1);
    let endpoint = received_at(&server, "/orders").await;
    assert_eq!(endpoint.len(), 50);
    assert!(bearers(&endpoint).iter().all(|b| b == "Bearer tok-1"));
}

#[tokio::test]
async fn a_401_renews_the_token_once_and_retries_once() {
    let server = MockServer::start().await;
    let count = numbered_tokens(&server, 3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(header_is("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(header_is("authorization", "Bearer tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([1])))
        .mount(&server)
        .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let response = connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(
        bearers(&received_at(&server, "/orders").await),
        ["Bearer tok-1", "Bearer tok-2"]
    );
    // The renewed token is the cached one now.
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(count.load(Ordering::SeqCst), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_401s_share_one_renewal() {
    let server = MockServer::start().await;
    let count = numbered_tokens(&server, 3600, Duration::from_millis(100)).await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(header_is("authorization", "Bearer tok-1"))
        .respond_with(ResponseTemplate::new(401))
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .and(header_is("authorization", "Bearer tok-2"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let connection = connection.clone();
            tokio::spawn(async move {
                connection
                    .call("orders", &Call::default())
                    .await
                    .map(|r| r.status)
            })
        })
        .collect();
    for task in tasks {
        assert_eq!(task.await.unwrap().unwrap(), 200);
    }
    // Every caller was refused tok-1; one fetched tok-2, the rest reused it.
    assert_eq!(count.load(Ordering::SeqCst), 2);
    let sent = bearers(&received_at(&server, "/orders").await);
    assert_eq!(sent.iter().filter(|b| *b == "Bearer tok-1").count(), 20);
    assert_eq!(sent.iter().filter(|b| *b == "Bearer tok-2").count(), 20);
}

#[tokio::test]
async fn a_second_401_is_an_error() {
    let server = MockServer::start().await;
    let count = numbered_tokens(&server, 3600, Duration::ZERO).await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(401).set_body_string("token rejected"))
        .mount(&server)
        .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(
        matches!(error, Error::Status { status: 401, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("401"), "{error}");
    assert_eq!(count.load(Ordering::SeqCst), 2);
    assert_eq!(received_at(&server, "/orders").await.len(), 2);
    assert_no_secrets(&error, &[SECRET, "tok-1", "tok-2"]);
}

#[tokio::test]
async fn a_401_without_tokens_is_not_retried() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(401))
        .expect(1)
        .mount(&server)
        .await;
    let spec = "[auth.t]\ntype = \"bearer\"\n\n[endpoints.orders]\nurl = \"{{ base }}/orders\"\n";
    let connection = connect(&server, spec, json!({ "token": "static-token" }));
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(
        matches!(error, Error::Status { status: 401, .. }),
        "{error:?}"
    );
    assert_no_secrets(&error, &["static-token"]);
    server.verify().await;
}

#[tokio::test]
async fn an_endpoint_error_body_echoing_the_token_is_redacted() {
    let server = MockServer::start().await;
    token_responds(&server, json!({ "access_token": "echoed-token-123" })).await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(
            ResponseTemplate::new(403).set_body_string("forbidden for token echoed-token-123"),
        )
        .mount(&server)
        .await;
    let connection = connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(
        matches!(error, Error::Status { status: 403, .. }),
        "{error:?}"
    );
    assert!(error.to_string().contains("forbidden for token"), "{error}");
    assert_no_secrets(&error, &["echoed-token-123", SECRET]);
}

// ---- client-credentials tokens and the store ----------------------------------

/// A store in memory that says whether other processes share it.
#[derive(Debug)]
struct MemoryStore {
    shared: bool,
    row: Arc<std::sync::Mutex<Option<patchbay_runtime::StoredToken>>>,
    lock: Arc<tokio::sync::Mutex<()>>,
}

impl MemoryStore {
    fn new(shared: bool) -> Self {
        MemoryStore {
            shared,
            row: Arc::default(),
            lock: Arc::default(),
        }
    }
}

/// The lease of a [`MemoryStore`]: its row and the lock it holds.
struct Lease {
    row: Arc<std::sync::Mutex<Option<patchbay_runtime::StoredToken>>>,
    _held: tokio::sync::OwnedMutexGuard<()>,
}

impl patchbay_runtime::StoreLease for Lease {
    fn save<'a>(
        &'a self,
        token: &'a patchbay_runtime::StoredToken,
    ) -> patchbay_runtime::StoreFuture<'a, ()> {
        *self.row.lock().unwrap() = Some(token.clone());
        Box::pin(async { Ok(()) })
    }
    fn delete(&self) -> patchbay_runtime::StoreFuture<'_, ()> {
        *self.row.lock().unwrap() = None;
        Box::pin(async { Ok(()) })
    }
}

impl patchbay_runtime::TokenStore for MemoryStore {
    fn load<'a>(
        &'a self,
        _: &'a str,
    ) -> patchbay_runtime::StoreFuture<'a, Option<patchbay_runtime::StoredToken>> {
        let row = self.row.lock().unwrap().clone();
        Box::pin(async { Ok(row) })
    }
    fn lock<'a>(
        &'a self,
        _: &'a str,
    ) -> patchbay_runtime::StoreFuture<'a, Box<dyn patchbay_runtime::StoreLease>> {
        Box::pin(async {
            let held = Arc::clone(&self.lock).lock_owned().await;
            let lease = Lease {
                row: Arc::clone(&self.row),
                _held: held,
            };
            Ok(Box::new(lease) as Box<dyn patchbay_runtime::StoreLease>)
        })
    }
    fn shares_client_tokens(&self) -> bool {
        self.shared
    }
}

/// Two connections (two processes) over one store each call `orders`
/// once at the same time; the token requests made.
async fn two_connections_over(store: Arc<MemoryStore>) -> usize {
    let server = MockServer::start().await;
    let count = numbered_tokens(&server, 3600, Duration::from_millis(100)).await;
    orders_ok(&server).await;
    let connect_one = || {
        connect(&server, CLIENT_CREDENTIALS_ORDERS, credentials())
            .with_store(Arc::clone(&store) as _, "t/cc/one")
    };
    let (first, second, call) = (connect_one(), connect_one(), Call::default());
    let (a, b) = tokio::join!(first.call("orders", &call), second.call("orders", &call));
    a.unwrap();
    b.unwrap();
    count.load(Ordering::SeqCst)
}

#[tokio::test]
async fn a_shared_store_keeps_one_client_credentials_token_for_every_process() {
    let store = Arc::new(MemoryStore::new(true));
    assert_eq!(two_connections_over(Arc::clone(&store)).await, 1);
    let stored = store
        .row
        .lock()
        .unwrap()
        .clone()
        .expect("the token is shared");
    assert_eq!(stored.access_token, "tok-1");
}

#[tokio::test]
async fn a_store_of_one_machine_keeps_no_client_credentials_token() {
    let store = Arc::new(MemoryStore::new(false));
    assert_eq!(two_connections_over(Arc::clone(&store)).await, 2);
    assert!(
        store.row.lock().unwrap().is_none(),
        "nothing is written down"
    );
}
