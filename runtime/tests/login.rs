//! The authorization-code flow end to end against wiremock: the authorize
//! URL (state, PKCE), the code exchange (client authentication, public
//! clients), refused callbacks (tampered state, replay, provider errors,
//! no code), callback captures, refresh with a file store (rotation,
//! RFC 6749 §6, `invalid_grant`), logout (RFC 7009), and that no error
//! shows a secret.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

use common::{
    assert_no_secrets, basic, connect, expect_err, form, header, query, received, received_at,
};
use patchbay_runtime::{
    Call, Connection, Error, FileStore, PendingLogin, StoreFuture, StoreLease, StoredToken,
    TokenStore,
};
use serde_json::{Value, json};
use wiremock::matchers::{body_string_contains, method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// A client secret that needs form encoding (RFC 6749 §2.3.1).
const SECRET: &str = "s3cr+t:%/x-login-secret";
const REDIRECT: &str = "http://127.0.0.1:8765/callback";
const CODE: &str = "CODE-sentinel-4f1e";
const ACCESS: &str = "AT-sentinel-1";
const REFRESH: &str = "RT-sentinel-1";
const KEY: &str = "t/code/test";

const METHOD: &str = r#"
[auth.code]
type = "oauth2_authorization_code"
use = ["base"]
authorize_url = "{{ base }}/authorize"
token_url = "{{ base }}/token"
revoke_url = "{{ base }}/revoke"
"#;

const ENDPOINT: &str = r#"
[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

fn spec(method_extra: &str) -> String {
    format!("{METHOD}{method_extra}\n{ENDPOINT}")
}

fn confidential() -> Value {
    json!({ "client_id": "my client", "client_secret": SECRET, "scope": "read write" })
}

fn public() -> Value {
    json!({ "client_id": "my client", "scope": "read write" })
}

/// Every secret of these tests, for the leak checks.
fn secrets(pending: Option<&PendingLogin>) -> Vec<String> {
    let mut all: Vec<String> = [
        SECRET,
        CODE,
        ACCESS,
        REFRESH,
        "AT-sentinel-2",
        "RT-sentinel-2",
    ]
    .iter()
    .map(|s| (*s).to_owned())
    .collect();
    if let Some(verifier) = pending.and_then(|p| p.code_verifier.clone()) {
        all.push(verifier);
    }
    all
}

fn assert_clean(error: &Error, pending: Option<&PendingLogin>) {
    let secrets = secrets(pending);
    let refs: Vec<&str> = secrets.iter().map(String::as_str).collect();
    assert_no_secrets(error, &refs);
}

/// A folder of its own under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let path = std::env::temp_dir().join(format!(
            "patchbay-login-{name}-{}-{nanos}",
            std::process::id()
        ));
        TempDir(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn query_map(url: &url::Url) -> Vec<(String, String)> {
    url.query_pairs().into_owned().collect()
}

/// The S256 code challenge of a PKCE verifier (RFC 7636 §4.2), worked out
/// here rather than by the code under test.
fn s256(verifier: &str) -> String {
    use base64::Engine;
    use sha2::Digest;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(verifier))
}

fn get<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    let mut found = pairs.iter().filter(|(k, _)| k == name);
    let first = found.next().map(|(_, v)| v.as_str());
    assert!(
        found.next().is_none(),
        "`{name}` appears twice in {pairs:?}"
    );
    first
}

fn callback(pending: &PendingLogin, extra: &str) -> String {
    let state: String = url::form_urlencoded::byte_serialize(pending.state.as_bytes()).collect();
    format!("code={CODE}&state={state}{extra}")
}

/// Answers the token endpoint: an authorization-code exchange with
/// `ACCESS`/`REFRESH` and `expires_in`; a refresh with `refresh_body`.
struct TokenEndpoint {
    login_expires_in: u64,
    refresh_body: Value,
    refresh_status: u16,
    refreshes: Arc<AtomicUsize>,
}

impl Respond for TokenEndpoint {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let fields = form(request);
        match get(&fields, "grant_type") {
            Some("authorization_code") => ResponseTemplate::new(200).set_body_json(json!({
                "access_token": ACCESS,
                "refresh_token": REFRESH,
                "token_type": "Bearer",
                "expires_in": self.login_expires_in,
            })),
            Some("refresh_token") => {
                self.refreshes.fetch_add(1, Ordering::SeqCst);
                ResponseTemplate::new(self.refresh_status).set_body_json(self.refresh_body.clone())
            }
            _ => ResponseTemplate::new(400)
                .set_body_json(json!({ "error": "unsupported_grant_type" })),
        }
    }
}

async fn token_endpoint(
    server: &MockServer,
    login_expires_in: u64,
    refresh_status: u16,
    refresh_body: Value,
) -> Arc<AtomicUsize> {
    let refreshes = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(TokenEndpoint {
            login_expires_in,
            refresh_body,
            refresh_status,
            refreshes: refreshes.clone(),
        })
        .mount(server)
        .await;
    refreshes
}

async fn tokens_ok(server: &MockServer) {
    token_endpoint(server, 3600, 400, json!({ "error": "invalid_grant" })).await;
}

async fn ok_at(server: &MockServer, at: &str) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(server)
        .await;
}

fn with_store(connection: Connection, dir: &TempDir) -> (Connection, Arc<FileStore>) {
    let store = Arc::new(FileStore::new(dir.path()).unwrap());
    let shared: Arc<dyn TokenStore> = store.clone();
    (connection.with_store(shared, KEY), store)
}

async fn login(connection: &Connection) -> PendingLogin {
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    connection
        .complete_login(pending.clone(), &callback(&pending, ""))
        .await
        .unwrap();
    pending
}

// ---- start_login -----------------------------------------------------------

#[tokio::test]
async fn the_authorize_url_carries_state_and_pkce() {
    let server = MockServer::start().await;
    let connection = connect(&server, &spec(""), confidential());
    let (url, pending) = connection.start_login(REDIRECT).unwrap();
    assert_eq!(url.path(), "/authorize");
    assert_eq!(
        url.origin(),
        url::Url::parse(&server.uri()).unwrap().origin()
    );
    let pairs = query_map(&url);
    assert_eq!(get(&pairs, "response_type"), Some("code"));
    assert_eq!(get(&pairs, "client_id"), Some("my client"));
    assert_eq!(get(&pairs, "redirect_uri"), Some(REDIRECT));
    assert_eq!(get(&pairs, "scope"), Some("read write"));
    let state = get(&pairs, "state").unwrap();
    assert_eq!(state, pending.state);
    assert_eq!(state.len(), 22, "{state}");
    assert!(
        state
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'),
        "not base64url: {state}"
    );
    let verifier = pending
        .code_verifier
        .as_deref()
        .expect("PKCE is the default");
    assert_eq!(get(&pairs, "code_challenge"), Some(s256(verifier).as_str()));
    assert_eq!(get(&pairs, "code_challenge_method"), Some("S256"));
    assert_eq!(pending.redirect_uri, REDIRECT);
    // Neither the verifier nor any secret goes to the browser.
    assert!(!url.as_str().contains(verifier));
    assert!(get(&pairs, "client_secret").is_none());
    assert!(!url.as_str().contains("s3cr"));
    // The pending login's Debug shows neither state nor verifier.
    let shown = format!("{pending:?}");
    assert!(
        !shown.contains(&pending.state) && !shown.contains(verifier),
        "{shown}"
    );
    // Nothing was sent.
    assert!(received(&server).await.is_empty());
}

#[tokio::test]
async fn every_attempt_has_a_fresh_state_and_verifier() {
    let server = MockServer::start().await;
    let connection = connect(&server, &spec(""), confidential());
    let (url_a, a) = connection.start_login(REDIRECT).unwrap();
    let (url_b, b) = connection.start_login(REDIRECT).unwrap();
    assert_ne!(a.state, b.state);
    assert_ne!(a.code_verifier, b.code_verifier);
    assert_ne!(
        get(&query_map(&url_a), "code_challenge"),
        get(&query_map(&url_b), "code_challenge")
    );
}

#[tokio::test]
async fn pkce_none_sends_no_challenge_and_no_verifier() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection = connect(&server, &spec("pkce = \"none\""), confidential());
    let (url, pending) = connection.start_login(REDIRECT).unwrap();
    assert!(pending.code_verifier.is_none());
    let pairs = query_map(&url);
    assert!(get(&pairs, "code_challenge").is_none(), "{url}");
    assert!(get(&pairs, "code_challenge_method").is_none(), "{url}");
    assert!(get(&pairs, "state").is_some());
    // The exchange has no verifier either.
    connection
        .complete_login(pending.clone(), &callback(&pending, ""))
        .await
        .unwrap();
    let token = &received_at(&server, "/token").await[0];
    let fields = form(token);
    assert!(get(&fields, "code_verifier").is_none(), "{fields:?}");
    assert_eq!(get(&fields, "code"), Some(CODE));
}

// ---- complete_login --------------------------------------------------------

#[tokio::test]
async fn a_confidential_client_exchanges_the_code_with_basic_auth() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let token = connection
        .complete_login(pending.clone(), &callback(&pending, ""))
        .await
        .unwrap();
    assert_eq!(token.access_token.expose(), ACCESS);
    assert_eq!(token.refresh_token.as_ref().unwrap().expose(), REFRESH);

    let requests = received_at(&server, "/token").await;
    assert_eq!(requests.len(), 1);
    let request = &requests[0];
    assert_eq!(request.method.as_str(), "POST");
    assert_eq!(
        header(request, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let fields = form(request);
    assert_eq!(get(&fields, "grant_type"), Some("authorization_code"));
    assert_eq!(get(&fields, "code"), Some(CODE));
    assert_eq!(get(&fields, "redirect_uri"), Some(REDIRECT));
    assert_eq!(
        get(&fields, "code_verifier"),
        pending.code_verifier.as_deref()
    );
    assert!(get(&fields, "client_secret").is_none(), "{fields:?}");
    // RFC 6749 §2.3.1: id and secret form-encoded, then joined.
    assert_eq!(
        header(request, "authorization"),
        Some(basic("my+client:s3cr%2Bt%3A%25%2Fx-login-secret").as_str())
    );
    assert!(query(request).is_empty(), "no credential in the query");

    // The token is used by the next call, without another token request.
    ok_at(&server, "/orders").await;
    connection.call("orders", &Call::default()).await.unwrap();
    let orders = received_at(&server, "/orders").await;
    assert_eq!(
        header(&orders[0], "authorization"),
        Some(format!("Bearer {ACCESS}").as_str())
    );
    assert_eq!(received_at(&server, "/token").await.len(), 1);
}

#[tokio::test]
async fn a_public_client_sends_its_id_in_the_body_and_no_authorization() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection = connect(&server, &spec("client_type = \"public\""), public());
    let (url, pending) = connection.start_login(REDIRECT).unwrap();
    assert_eq!(get(&query_map(&url), "client_id"), Some("my client"));
    connection
        .complete_login(pending.clone(), &callback(&pending, ""))
        .await
        .unwrap();
    let request = &received_at(&server, "/token").await[0];
    assert_eq!(header(request, "authorization"), None);
    let fields = form(request);
    assert_eq!(get(&fields, "client_id"), Some("my client"));
    assert!(get(&fields, "client_secret").is_none(), "{fields:?}");
    assert_eq!(get(&fields, "grant_type"), Some("authorization_code"));
    assert_eq!(get(&fields, "code"), Some(CODE));
    assert_eq!(get(&fields, "redirect_uri"), Some(REDIRECT));
    assert_eq!(
        get(&fields, "code_verifier"),
        pending.code_verifier.as_deref()
    );
}

// ---- refused callbacks -----------------------------------------------------

#[tokio::test]
async fn a_tampered_state_is_refused_before_any_exchange() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    // Same length, last character changed.
    let mut tampered = pending.state.clone();
    let last = tampered.pop().unwrap();
    tampered.push(if last == 'A' { 'B' } else { 'A' });
    for query in [
        format!("code={CODE}&state={tampered}"),
        format!("code={CODE}&state={}x", pending.state),
        format!("code={CODE}"),
        format!("code={CODE}&state="),
    ] {
        let error = expect_err(connection.complete_login(pending.clone(), &query).await);
        assert!(matches!(error, Error::Callback(_)), "{query}: {error:?}");
        assert_clean(&error, Some(&pending));
        assert!(!error.to_string().contains(&pending.state), "{error}");
    }
    assert!(received_at(&server, "/token").await.is_empty());
    // The genuine callback still works afterwards.
    connection
        .complete_login(pending.clone(), &callback(&pending, ""))
        .await
        .unwrap();
    assert_eq!(received_at(&server, "/token").await.len(), 1);
}

#[tokio::test]
async fn a_replayed_callback_is_refused() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let query = callback(&pending, "");
    connection
        .complete_login(pending.clone(), &query)
        .await
        .unwrap();
    let error = expect_err(connection.complete_login(pending.clone(), &query).await);
    assert!(matches!(error, Error::Callback(_)), "{error:?}");
    assert_clean(&error, Some(&pending));
    assert_eq!(received_at(&server, "/token").await.len(), 1);
    // A clone of the connection shares what it has seen.
    let error = expect_err(
        connection
            .clone()
            .complete_login(pending.clone(), &query)
            .await,
    );
    assert!(matches!(error, Error::Callback(_)), "{error:?}");
    assert_eq!(received_at(&server, "/token").await.len(), 1);
}

#[tokio::test]
async fn a_provider_error_with_our_state_is_an_oauth_error() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let query = format!(
        "error=access_denied&error_description=The+user+said+no&state={}",
        pending.state
    );
    let error = expect_err(connection.complete_login(pending.clone(), &query).await);
    match &error {
        Error::OAuth {
            error: code,
            description,
            status,
            ..
        } => {
            assert_eq!(code, "access_denied");
            assert_eq!(description.as_deref(), Some("The user said no"));
            assert_eq!(*status, None);
        }
        other => panic!("expected Error::OAuth, got {other:?}"),
    }
    assert_clean(&error, Some(&pending));
    assert!(received_at(&server, "/token").await.is_empty());

    // The same error with another state is a refused callback, not the
    // provider's answer.
    let forged = "error=access_denied&state=forged";
    let error = expect_err(connection.complete_login(pending.clone(), forged).await);
    assert!(matches!(error, Error::Callback(_)), "{error:?}");
}

#[tokio::test]
async fn a_callback_without_a_code_is_refused() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let query = format!("state={}", pending.state);
    let error = expect_err(connection.complete_login(pending.clone(), &query).await);
    assert!(matches!(error, Error::Callback(_)), "{error:?}");
    assert!(error.to_string().contains("code"), "{error}");
    assert_clean(&error, Some(&pending));
    assert!(received_at(&server, "/token").await.is_empty());
}

#[tokio::test]
async fn a_leading_question_mark_is_accepted() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    connection
        .complete_login(pending.clone(), &format!("?{}", callback(&pending, "")))
        .await
        .unwrap();
    assert_eq!(received_at(&server, "/token").await.len(), 1);
}

// ---- callback captures -----------------------------------------------------

#[tokio::test]
async fn a_captured_callback_value_reaches_endpoint_urls() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let text = format!(
        "{METHOD}\n[auth.code.authorize_response]\ncapture = {{ realm_id = \"realmId\" }}\n\n\
         [endpoints.company]\nmethod = \"GET\"\nurl = \"{{{{ base }}}}/v3/company/{{{{ realm_id }}}}/info\"\n"
    );
    let connection = connect(&server, &text, confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let token = connection
        .complete_login(pending.clone(), &callback(&pending, "&realmId=9130355"))
        .await
        .unwrap();
    assert_eq!(token.captures.get("realm_id"), Some(&json!("9130355")));
    ok_at(&server, "/v3/company/9130355/info").await;
    connection.call("company", &Call::default()).await.unwrap();
    assert_eq!(
        received_at(&server, "/v3/company/9130355/info").await.len(),
        1
    );

    // Missing from the callback: refused, nothing exchanged.
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let error = expect_err(
        connection
            .complete_login(pending.clone(), &callback(&pending, ""))
            .await,
    );
    assert!(matches!(error, Error::Callback(_)), "{error:?}");
    assert!(error.to_string().contains("realmId"), "{error}");
    assert_eq!(received_at(&server, "/token").await.len(), 1);
}

#[tokio::test]
async fn a_captured_value_is_encoded_in_the_path() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let text = format!(
        "{METHOD}\n[auth.code.authorize_response]\ncapture = {{ realm_id = \"realmId\" }}\n\n\
         [endpoints.company]\nmethod = \"GET\"\nurl = \"{{{{ base }}}}/v3/company/{{{{ realm_id }}}}/info\"\n"
    );
    let connection = connect(&server, &text, confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    connection
        .complete_login(pending.clone(), &callback(&pending, "&realmId=..%2Fadmin"))
        .await
        .unwrap();
    ok_at(&server, "/v3/company/..%2Fadmin/info").await;
    // Encoded as a path value: `/` cannot climb out of the template's path.
    connection.call("company", &Call::default()).await.unwrap();
    let requests = received(&server).await;
    let company = requests
        .iter()
        .find(|r| r.method.as_str() == "GET")
        .unwrap();
    assert_eq!(company.url.path(), "/v3/company/..%2Fadmin/info");
}

/// A method whose token and revocation requests go to the accounts server
/// the callback names (Zoho's multi-DC `accounts-server`), allowed by a
/// pattern: here any loopback port, so that a wiremock server can be one.
const MULTI_DC: &str = r#"
[auth.code]
type = "oauth2_authorization_code"
use = ["base"]
authorize_url = "{{ base }}/authorize"
token_url = "{{ accounts_server }}/token"
revoke_url = "{{ accounts_server }}/revoke"

[auth.code.authorize_response.capture]
accounts_server = { param = "accounts-server", pattern = "^http://127\\.0\\.0\\.1:[0-9]+$" }
"#;

fn accounts_server(server: &MockServer) -> String {
    let uri: String = url::form_urlencoded::byte_serialize(server.uri().as_bytes()).collect();
    format!("&accounts-server={uri}")
}

#[tokio::test]
async fn the_callbacks_accounts_server_receives_the_token_refresh_and_revoke_requests() {
    let dir = TempDir::new("multi-dc");
    let base = MockServer::start().await;
    let dc = MockServer::start().await;
    // Expired at once: the first call refreshes, at the same server.
    let refreshes = token_endpoint(
        &dc,
        0,
        200,
        json!({ "access_token": "AT-sentinel-2", "expires_in": 3600 }),
    )
    .await;
    Mock::given(method("POST"))
        .and(path("/revoke"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&dc)
        .await;
    ok_at(&base, "/orders").await;
    let text = format!("{MULTI_DC}\n{ENDPOINT}");
    let (connection, store) = with_store(connect(&base, &text, confidential()), &dir);
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    connection
        .complete_login(pending.clone(), &callback(&pending, &accounts_server(&dc)))
        .await
        .unwrap();
    assert_eq!(received_at(&dc, "/token").await.len(), 1);
    // Stored with the tokens, for refreshes and revocation in later runs.
    let stored = store.load_blocking(KEY).unwrap().unwrap();
    assert_eq!(
        stored.captures.get("accounts_server"),
        Some(&json!(dc.uri()))
    );
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    connection.logout().await.unwrap();
    assert_eq!(received_at(&dc, "/revoke").await.len(), 1);
    assert!(received_at(&base, "/token").await.is_empty());
}

#[tokio::test]
async fn a_forged_accounts_server_is_refused_before_any_request() {
    let base = MockServer::start().await;
    let dc = MockServer::start().await;
    tokens_ok(&dc).await;
    let text = format!("{MULTI_DC}\n{ENDPOINT}");
    let connection = connect(&base, &text, confidential());
    for forged in [
        "&accounts-server=https%3A%2F%2Faccounts.evil.example",
        // Matching a prefix is not enough: the whole value must match.
        &format!("{}%2Fsteal", accounts_server(&dc)),
        // Not given at all.
        "",
    ] {
        let (_, pending) = connection.start_login(REDIRECT).unwrap();
        let error = expect_err(
            connection
                .complete_login(pending.clone(), &callback(&pending, forged))
                .await,
        );
        assert!(matches!(error, Error::Callback(_)), "{error:?}");
        let message = error.to_string();
        assert!(message.contains("accounts-server"), "{message}");
        assert!(
            !message.contains("evil") && !message.contains("steal"),
            "{message}"
        );
        assert_clean(&error, Some(&pending));
    }
    assert!(received(&dc).await.is_empty());
    assert!(received(&base).await.is_empty());
    assert!(connection.stored_token().await.unwrap().is_none());
}

// ---- refresh with a file store ---------------------------------------------

#[tokio::test]
async fn a_refresh_rotates_and_persists_the_refresh_token() {
    let dir = TempDir::new("rotate");
    let server = MockServer::start().await;
    let refreshes = token_endpoint(
        &server,
        0, // already expired: the first call refreshes
        200,
        json!({ "access_token": "AT-sentinel-2", "refresh_token": "RT-sentinel-2", "expires_in": 3600 }),
    )
    .await;
    ok_at(&server, "/orders").await;
    let (connection, store) = with_store(connect(&server, &spec(""), confidential()), &dir);
    login(&connection).await;
    assert_eq!(
        store
            .load_blocking(KEY)
            .unwrap()
            .unwrap()
            .refresh_token
            .as_deref(),
        Some(REFRESH)
    );
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);

    let tokens = received_at(&server, "/token").await;
    assert_eq!(tokens.len(), 2);
    let refresh = &tokens[1];
    let fields = form(refresh);
    assert_eq!(get(&fields, "grant_type"), Some("refresh_token"));
    assert_eq!(get(&fields, "refresh_token"), Some(REFRESH));
    assert!(get(&fields, "client_secret").is_none(), "{fields:?}");
    assert!(get(&fields, "code").is_none(), "{fields:?}");
    assert_eq!(
        header(refresh, "authorization"),
        Some(basic("my+client:s3cr%2Bt%3A%25%2Fx-login-secret").as_str())
    );
    let orders = received_at(&server, "/orders").await;
    assert_eq!(
        header(&orders[0], "authorization"),
        Some("Bearer AT-sentinel-2")
    );

    let stored = store.load_blocking(KEY).unwrap().unwrap();
    assert_eq!(stored.access_token, "AT-sentinel-2");
    assert_eq!(stored.refresh_token.as_deref(), Some("RT-sentinel-2"));
    let stored = connection.stored_token().await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.unwrap().expose(), "RT-sentinel-2");

    // The refreshed token is fresh: no second refresh.
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn a_refresh_without_a_refresh_token_keeps_the_old_one() {
    let dir = TempDir::new("keep");
    let server = MockServer::start().await;
    let refreshes = token_endpoint(
        &server,
        0,
        200,
        json!({ "access_token": "AT-sentinel-2", "expires_in": 3600 }),
    )
    .await;
    ok_at(&server, "/orders").await;
    let (connection, store) = with_store(connect(&server, &spec(""), confidential()), &dir);
    login(&connection).await;
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    let stored = store.load_blocking(KEY).unwrap().unwrap();
    assert_eq!(stored.access_token, "AT-sentinel-2");
    assert_eq!(stored.refresh_token.as_deref(), Some(REFRESH));
}

#[tokio::test]
async fn a_refresh_with_a_huge_expires_in_is_saved_not_a_panic() {
    let dir = TempDir::new("huge");
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        0,
        200,
        json!({ "access_token": "AT-sentinel-2", "refresh_token": "RT-sentinel-2", "expires_in": 1_u64 << 63 }),
    )
    .await;
    ok_at(&server, "/orders").await;
    let (connection, store) = with_store(connect(&server, &spec(""), confidential()), &dir);
    login(&connection).await;
    connection.call("orders", &Call::default()).await.unwrap();
    let stored = store.load_blocking(KEY).unwrap().unwrap();
    assert_eq!(stored.refresh_token.as_deref(), Some("RT-sentinel-2"));
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let century = 100 * 365 * 86_400;
    let expires_at = stored.expires_at.unwrap();
    assert!(
        expires_at > now && expires_at <= now + century,
        "{expires_at}"
    );
}

#[tokio::test]
async fn a_rotated_refresh_token_is_kept_when_the_rest_of_the_response_is_unusable() {
    let dir = TempDir::new("rotated-kept");
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        0,
        200,
        json!({ "refresh_token": "RT-sentinel-2", "expires_in": 3600 }),
    )
    .await;
    ok_at(&server, "/orders").await;
    let (connection, store) = with_store(connect(&server, &spec(""), confidential()), &dir);
    let pending = login(&connection).await;
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(matches!(error, Error::TokenResponse(_)), "{error:?}");
    assert_clean(&error, Some(&pending));
    let stored = store.load_blocking(KEY).unwrap().unwrap();
    assert_eq!(stored.refresh_token.as_deref(), Some("RT-sentinel-2"));
    assert_eq!(stored.access_token, ACCESS);
}

#[tokio::test]
async fn a_stored_expiry_of_u64_max_is_the_far_future() {
    let dir = TempDir::new("stored-max");
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    ok_at(&server, "/orders").await;
    let (connection, store) = with_store(connect(&server, &spec(""), confidential()), &dir);
    login(&connection).await;
    let mut stored = store.load_blocking(KEY).unwrap().unwrap();
    stored.expires_at = Some(u64::MAX);
    store.save_blocking(KEY, &stored).unwrap();
    let (reopened, _) = with_store(connect(&server, &spec(""), confidential()), &dir);
    let token = reopened.stored_token().await.unwrap().unwrap();
    assert!(token.expires_at.unwrap() > SystemTime::now());
    assert!(token.info().expires_in.is_some());
    reopened.call("orders", &Call::default()).await.unwrap();
    assert_eq!(received_at(&server, "/token").await.len(), 1);
}

#[tokio::test]
async fn a_new_connection_uses_the_stored_tokens() {
    let dir = TempDir::new("reuse");
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    ok_at(&server, "/orders").await;
    let (first, _) = with_store(connect(&server, &spec(""), confidential()), &dir);
    login(&first).await;
    // Another connection (another process, say) over the same store.
    let (second, _) = with_store(connect(&server, &spec(""), confidential()), &dir);
    second.call("orders", &Call::default()).await.unwrap();
    let orders = received_at(&server, "/orders").await;
    assert_eq!(
        header(&orders[0], "authorization"),
        Some(format!("Bearer {ACCESS}").as_str())
    );
    assert_eq!(received_at(&server, "/token").await.len(), 1);
}

/// The endpoint refuses `ACCESS` once, as a provider does after another
/// process refreshed (a refresh that revokes the access token it
/// replaces): by then that process's token, `OTHER_ACCESS`, is stored. It
/// expires in 30 s, within the renewal margin of a one-hour token.
struct RefusedAfterAnotherRefresh {
    store: Arc<FileStore>,
}

const OTHER_ACCESS: &str = "AT-sentinel-other";

impl Respond for RefusedAfterAnotherRefresh {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        if header(request, "authorization") == Some(&format!("Bearer {OTHER_ACCESS}")) {
            return ResponseTemplate::new(200).set_body_json(json!([]));
        }
        let mut newer = self.store.load_blocking(KEY).unwrap().unwrap();
        newer.access_token = OTHER_ACCESS.to_owned();
        newer.refresh_token = Some("RT-sentinel-other".to_owned());
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap();
        newer.expires_at = Some(now.as_secs() + 30);
        self.store.save_blocking(KEY, &newer).unwrap();
        ResponseTemplate::new(401).set_body_json(json!({ "error": "invalid_token" }))
    }
}

#[tokio::test]
async fn after_a_401_the_newer_stored_token_is_taken_not_refreshed_again() {
    let dir = TempDir::new("newer");
    let server = MockServer::start().await;
    let refreshes = token_endpoint(
        &server,
        3600,
        200,
        json!({ "access_token": "AT-sentinel-2", "refresh_token": "RT-sentinel-2", "expires_in": 3600 }),
    )
    .await;
    let (connection, store) = with_store(connect(&server, &spec(""), confidential()), &dir);
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(RefusedAfterAnotherRefresh {
            store: Arc::clone(&store),
        })
        .mount(&server)
        .await;
    login(&connection).await;
    connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(
        refreshes.load(Ordering::SeqCst),
        0,
        "a refresh now would revoke the other process's token"
    );
    let orders = received_at(&server, "/orders").await;
    let sent: Vec<_> = orders
        .iter()
        .map(|r| header(r, "authorization").unwrap())
        .collect();
    assert_eq!(
        sent,
        [format!("Bearer {ACCESS}"), format!("Bearer {OTHER_ACCESS}")]
    );
}

/// A store whose lock cannot be taken (a full disk, a lock server down).
#[derive(Debug)]
struct Unlockable;

impl TokenStore for Unlockable {
    fn load<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async { Ok(None) })
    }
    fn lock<'a>(&'a self, _: &'a str) -> StoreFuture<'a, Box<dyn StoreLease>> {
        Box::pin(async { Err(Error::Store("cannot lock t.lock: no space left".into())) })
    }
}

#[tokio::test]
async fn a_store_that_cannot_be_locked_fails_the_login_before_the_code_is_spent() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    let connection =
        connect(&server, &spec(""), confidential()).with_store(Arc::new(Unlockable), KEY);
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let error = expect_err(
        connection
            .complete_login(pending.clone(), &callback(&pending, ""))
            .await,
    );
    assert!(matches!(error, Error::Store(_)), "{error:?}");
    assert!(
        received_at(&server, "/token").await.is_empty(),
        "the code is exchanged only once the tokens can be stored"
    );
}

#[tokio::test]
async fn invalid_grant_on_refresh_requires_a_new_login_and_forgets_the_tokens() {
    let dir = TempDir::new("invalid");
    let server = MockServer::start().await;
    let refreshes = token_endpoint(
        &server,
        0,
        400,
        json!({ "error": "invalid_grant", "error_description": "refresh token revoked" }),
    )
    .await;
    ok_at(&server, "/orders").await;
    let (connection, store) = with_store(connect(&server, &spec(""), confidential()), &dir);
    let pending = login(&connection).await;
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(matches!(error, Error::LoginRequired { .. }), "{error:?}");
    assert_clean(&error, Some(&pending));
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    assert_eq!(store.load_blocking(KEY).unwrap(), None);
    assert!(connection.stored_token().await.unwrap().is_none());
    assert!(received_at(&server, "/orders").await.is_empty());
}

#[tokio::test]
async fn with_nothing_stored_a_call_needs_a_login_and_sends_nothing() {
    let dir = TempDir::new("empty");
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    ok_at(&server, "/orders").await;
    let (connection, _) = with_store(connect(&server, &spec(""), confidential()), &dir);
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(matches!(error, Error::LoginRequired { .. }), "{error:?}");
    assert_clean(&error, None);
    let error = expect_err(connection.token().await);
    assert!(matches!(error, Error::LoginRequired { .. }), "{error:?}");
    assert!(received(&server).await.is_empty());
    assert!(connection.stored_token().await.unwrap().is_none());

    // And without any store at all.
    let connection = connect(&server, &spec(""), confidential());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(matches!(error, Error::LoginRequired { .. }), "{error:?}");
    assert!(received(&server).await.is_empty());
}

// ---- logout ----------------------------------------------------------------

#[tokio::test]
async fn logout_revokes_the_refresh_token_and_forgets_the_tokens() {
    let dir = TempDir::new("logout");
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    ok_at(&server, "/orders").await;
    Mock::given(method("POST"))
        .and(path("/revoke"))
        .and(body_string_contains("token_type_hint"))
        .respond_with(ResponseTemplate::new(200))
        .mount(&server)
        .await;
    let (connection, store) = with_store(connect(&server, &spec(""), confidential()), &dir);
    login(&connection).await;
    assert!(store.load_blocking(KEY).unwrap().is_some());

    assert_eq!(
        connection.logout().await.unwrap(),
        patchbay_runtime::Logout::Revoked
    );
    let revocations = received_at(&server, "/revoke").await;
    assert_eq!(revocations.len(), 1);
    let revoke = &revocations[0];
    assert_eq!(revoke.method.as_str(), "POST");
    assert_eq!(
        header(revoke, "content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let fields = form(revoke);
    assert_eq!(get(&fields, "token"), Some(REFRESH));
    assert_eq!(get(&fields, "token_type_hint"), Some("refresh_token"));
    assert!(get(&fields, "client_secret").is_none(), "{fields:?}");
    assert_eq!(
        header(revoke, "authorization"),
        Some(basic("my+client:s3cr%2Bt%3A%25%2Fx-login-secret").as_str())
    );

    assert_eq!(store.load_blocking(KEY).unwrap(), None);
    assert!(connection.stored_token().await.unwrap().is_none());
    // The cached token is gone too: a call needs a new login.
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(matches!(error, Error::LoginRequired { .. }), "{error:?}");
    assert!(received_at(&server, "/orders").await.is_empty());
}

#[tokio::test]
async fn a_refused_revocation_is_an_error_without_secrets() {
    let dir = TempDir::new("revoke-refused");
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    Mock::given(method("POST"))
        .and(path("/revoke"))
        .respond_with(
            ResponseTemplate::new(503).set_body_string(format!("cannot revoke {REFRESH}")),
        )
        .mount(&server)
        .await;
    let (connection, _) = with_store(connect(&server, &spec(""), confidential()), &dir);
    let pending = login(&connection).await;
    let error = expect_err(connection.logout().await);
    assert_clean(&error, Some(&pending));
}

// ---- no secrets in errors --------------------------------------------------

#[tokio::test]
async fn a_failed_exchange_with_a_text_body_shows_no_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_string(format!("code {CODE} is unknown for secret {SECRET}")),
        )
        .mount(&server)
        .await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let error = expect_err(
        connection
            .complete_login(pending.clone(), &callback(&pending, ""))
            .await,
    );
    assert!(
        matches!(error, Error::Status { status: 400, .. }),
        "{error:?}"
    );
    assert_clean(&error, Some(&pending));
}

#[tokio::test]
async fn a_failed_exchange_shows_no_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(400).set_body_json(json!({
            "error": "invalid_grant",
            "error_description": format!("code {CODE} is unknown for secret {SECRET}"),
        })))
        .mount(&server)
        .await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let error = expect_err(
        connection
            .complete_login(pending.clone(), &callback(&pending, ""))
            .await,
    );
    assert!(matches!(error, Error::OAuth { .. }), "{error:?}");
    assert_clean(&error, Some(&pending));
}

#[tokio::test]
async fn a_failed_refresh_shows_no_token() {
    let dir = TempDir::new("refresh-echo");
    let server = MockServer::start().await;
    token_endpoint(
        &server,
        0,
        400,
        json!({ "error": "invalid_request", "error_description": format!("malformed refresh token {REFRESH}") }),
    )
    .await;
    ok_at(&server, "/orders").await;
    let (connection, _) = with_store(connect(&server, &spec(""), confidential()), &dir);
    let pending = login(&connection).await;
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert!(matches!(error, Error::OAuth { .. }), "{error:?}");
    assert_clean(&error, Some(&pending));
}

#[tokio::test]
async fn a_token_response_without_a_token_shows_no_secret() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "refresh_token": REFRESH,
            "note": format!("for code {CODE}"),
        })))
        .mount(&server)
        .await;
    let connection = connect(&server, &spec(""), confidential());
    let (_, pending) = connection.start_login(REDIRECT).unwrap();
    let error = expect_err(
        connection
            .complete_login(pending.clone(), &callback(&pending, ""))
            .await,
    );
    assert_clean(&error, Some(&pending));
}

#[tokio::test]
async fn a_failed_endpoint_after_login_shows_no_token() {
    let server = MockServer::start().await;
    tokens_ok(&server).await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(
            ResponseTemplate::new(500)
                .set_body_string(format!("bad token {ACCESS}, refresh {REFRESH}")),
        )
        .mount(&server)
        .await;
    let connection = connect(&server, &spec(""), confidential());
    let pending = login(&connection).await;
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_clean(&error, Some(&pending));
}

// ---- redirects ---------------------------------------------------------------

const REDIRECT_STATUSES: [u16; 5] = [301, 302, 303, 307, 308];

/// A redirect with `status` to `other`'s `/landing`.
fn redirect_to(other: &MockServer, status: u16) -> ResponseTemplate {
    ResponseTemplate::new(status)
        .insert_header("Location", format!("{}/landing", other.uri()).as_str())
}

/// A server that answers anything, where no credential may arrive.
async fn elsewhere() -> MockServer {
    let other = MockServer::start().await;
    Mock::given(wiremock::matchers::any())
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "access_token": "x" })))
        .mount(&other)
        .await;
    other
}

/// The test key every `private_key_jwt` client here signs with.
fn test_key() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/keys/rsa.pem"))
        .unwrap()
}

/// The confidential client with each kind of client authentication whose
/// requests carry a credential: its secret (Basic) and a signed
/// `private_key_jwt` assertion.
fn redirect_clients() -> [(String, Value); 2] {
    [
        (spec(""), confidential()),
        (
            spec("client_auth = \"private_key_jwt\"\n"),
            json!({ "client_id": "my client", "private_key": test_key(), "scope": "read" }),
        ),
    ]
}

/// The refusal names both origins and no secret (no key, no assertion),
/// and nothing reached the other origin.
async fn assert_refused(error: &Error, server: &MockServer, other: &MockServer, status: u16) {
    let text = error.to_string();
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("eyJhbGci"), "an assertion in: {shown}");
    for line in test_key().lines().filter(|l| !l.starts_with("-----")) {
        assert!(!shown.contains(line), "the key in: {shown}");
    }
    assert!(
        text.contains(&server.uri()) && text.contains(&other.uri()),
        "HTTP {status}: the error must name both origins: {text}"
    );
    assert_clean(error, None);
    assert!(
        received(other).await.is_empty(),
        "HTTP {status}: a request went to the other origin"
    );
}

#[tokio::test]
async fn the_code_exchange_never_follows_a_redirect_to_another_origin() {
    for status in REDIRECT_STATUSES {
        let server = MockServer::start().await;
        let other = elsewhere().await;
        Mock::given(path("/token"))
            .respond_with(redirect_to(&other, status))
            .mount(&server)
            .await;
        for (spec, values) in redirect_clients() {
            let connection = connect(&server, &spec, values);
            let (_, pending) = connection.start_login(REDIRECT).unwrap();
            let error = expect_err(
                connection
                    .complete_login(pending.clone(), &callback(&pending, ""))
                    .await,
            );
            assert_refused(&error, &server, &other, status).await;
        }
    }
}

/// Logs in with a token about to expire, and redirects the refresh.
struct RedirectedRefresh {
    redirect: ResponseTemplate,
}

impl Respond for RedirectedRefresh {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        match get(&form(request), "grant_type") {
            Some("authorization_code") => ResponseTemplate::new(200).set_body_json(json!({
                "access_token": ACCESS,
                "refresh_token": REFRESH,
                // Already expired: the first call refreshes.
                "expires_in": 0,
            })),
            _ => self.redirect.clone(),
        }
    }
}

#[tokio::test]
async fn a_refresh_never_follows_a_redirect_to_another_origin() {
    for status in REDIRECT_STATUSES {
        let dir = TempDir::new("refresh-redirect");
        let server = MockServer::start().await;
        let other = elsewhere().await;
        Mock::given(path("/token"))
            .respond_with(RedirectedRefresh {
                redirect: redirect_to(&other, status),
            })
            .mount(&server)
            .await;
        ok_at(&server, "/orders").await;
        for (spec, values) in redirect_clients() {
            let (connection, _) = with_store(connect(&server, &spec, values), &dir);
            login(&connection).await;
            let error = expect_err(connection.call("orders", &Call::default()).await);
            assert_refused(&error, &server, &other, status).await;
        }
    }
}

#[tokio::test]
async fn a_revocation_never_follows_a_redirect_to_another_origin() {
    for status in REDIRECT_STATUSES {
        let dir = TempDir::new("revoke-redirect");
        let server = MockServer::start().await;
        let other = elsewhere().await;
        tokens_ok(&server).await;
        Mock::given(path("/revoke"))
            .respond_with(redirect_to(&other, status))
            .mount(&server)
            .await;
        for (spec, values) in redirect_clients() {
            let (connection, _) = with_store(connect(&server, &spec, values), &dir);
            login(&connection).await;
            let error = expect_err(connection.logout().await);
            assert_refused(&error, &server, &other, status).await;
        }
    }
}
