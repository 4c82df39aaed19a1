//! Values discovered after connecting (`discover`), against wiremock
//! playing the providers' documented answers: Jira's accessible resources
//! (a list chosen by `match`), Xero's connections (several tenants, one
//! named by the instance, else an error listing them), Mailchimp's
//! metadata (one object, the data centre); the discovery runs once per new
//! token with it applied, its values reach endpoint requests, are kept
//! with a login's tokens, and an API's answer cannot choose the host a
//! token goes to.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use common::{assert_no_secrets, connect, expect_err, header, received_at};
use patchbay_runtime::{Call, FileStore, StoredToken, TokenStore};
use serde_json::json;
use wiremock::matchers::{header as has_header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const SECRET: &str = "cc-SENTINEL-secret";
const ACCESS: &str = "AT-SENTINEL-discovery";

async fn token(server: &MockServer) {
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ACCESS,
            "token_type": "Bearer",
            "expires_in": 3600,
        })))
        .mount(server)
        .await;
}

async fn answer(server: &MockServer, at: &str, body: serde_json::Value) {
    Mock::given(method("GET"))
        .and(path(at))
        .respond_with(ResponseTemplate::new(200).set_body_json(body))
        .mount(server)
        .await;
}

fn client() -> serde_json::Value {
    json!({ "client_id": "app", "client_secret": SECRET })
}

const JIRA: &str = r#"
[variables.site]
required = true

[auth.cc]
type = "oauth2_client_credentials"
use = ["base", "site"]
token_url = "{{ base }}/token"

[auth.cc.discover]
url = "{{ base }}/oauth/token/accessible-resources"
match = { field = "url", equals = "https://{{ site }}.atlassian.net" }
label = "url"
capture = { cloud_id = "id" }

[endpoints.myself]
url = "{{ base }}/ex/jira/{{ cloud_id }}/rest/api/3/myself"
"#;

async fn jira_sites(server: &MockServer) {
    answer(
        server,
        "/oauth/token/accessible-resources",
        json!([
            { "id": "1324a887-45db-1bf4-1e99-ef0ff456d421", "url": "https://alpha.atlassian.net", "name": "alpha", "scopes": ["read:jira-work"] },
            { "id": "9f3d2c1b-0000-4000-8000-000000000002", "url": "https://beta.atlassian.net", "name": "beta", "scopes": ["read:jira-work"] }
        ]),
    )
    .await;
}

#[tokio::test]
async fn jira_cloud_id_is_chosen_by_the_site_and_discovered_once() {
    let server = MockServer::start().await;
    token(&server).await;
    jira_sites(&server).await;
    answer(
        &server,
        "/ex/jira/9f3d2c1b-0000-4000-8000-000000000002/rest/api/3/myself",
        json!({ "accountId": "x" }),
    )
    .await;
    let mut given = client();
    given["site"] = json!("beta");
    let connection = connect(&server, JIRA, given);
    for _ in 0..2 {
        let response = connection.call("myself", &Call::default()).await.unwrap();
        assert_eq!(response.status, 200);
    }
    let discoveries = received_at(&server, "/oauth/token/accessible-resources").await;
    assert_eq!(discoveries.len(), 1, "one discovery per new token");
    assert_eq!(
        header(&discoveries[0], "authorization"),
        Some(format!("Bearer {ACCESS}").as_str()),
        "the discovery carries the new token"
    );
    assert_eq!(received_at(&server, "/token").await.len(), 1);
}

#[tokio::test]
async fn jira_site_not_granted_fails_listing_the_granted_sites() {
    let server = MockServer::start().await;
    token(&server).await;
    jira_sites(&server).await;
    let mut given = client();
    given["site"] = json!("gamma");
    let connection = connect(&server, JIRA, given);
    let error = expect_err(connection.call("myself", &Call::default()).await);
    let shown = error.to_string();
    assert!(shown.contains("none of the 2 entries"), "{shown}");
    assert!(
        shown.contains("https://alpha.atlassian.net; https://beta.atlassian.net"),
        "{shown}"
    );
    assert_no_secrets(&error, &[SECRET, ACCESS]);
    assert!(received_at(&server, "/ex/jira").await.is_empty());
}

const XERO: &str = r#"
[variables.organisation]

[auth.cc]
type = "oauth2_client_credentials"
use = ["base", "organisation"]
token_url = "{{ base }}/token"
apply = { headers = { Authorization = "Bearer {{ access_token }}", xero-tenant-id = "{{ tenant_id }}" } }

[auth.cc.discover]
url = "{{ base }}/connections"
match = { field = "tenantName", equals = "{{ organisation }}" }
label = "tenantName"
capture = { tenant_id = "tenantId" }

[endpoints.organisation]
url = "{{ base }}/api.xro/2.0/Organisation"
"#;

async fn xero_connections(server: &MockServer) {
    answer(
        server,
        "/connections",
        json!([
            { "id": "e1eede29-f875-4a5d-8470-17f6a29a88b1", "tenantId": "70784a63-d24b-46a9-a4db-0e70a274b056", "tenantType": "ORGANISATION", "tenantName": "Maple Florists" },
            { "id": "32587c85-a9b3-4306-ac30-b416e8f2c841", "tenantId": "e0da6937-de07-4a14-adee-37abfac298ce", "tenantType": "ORGANISATION", "tenantName": "Demo Company (AU)" }
        ]),
    )
    .await;
}

#[tokio::test]
async fn xero_several_tenants_and_none_named_is_an_error_naming_them() {
    let server = MockServer::start().await;
    token(&server).await;
    xero_connections(&server).await;
    let connection = connect(&server, XERO, client());
    let error = expect_err(connection.call("organisation", &Call::default()).await);
    let shown = error.to_string();
    assert!(
        shown.contains("2 entries where exactly one was expected"),
        "{shown}"
    );
    assert!(
        shown.contains("Maple Florists; Demo Company (AU)"),
        "{shown}"
    );
    assert_no_secrets(&error, &[SECRET, ACCESS]);
}

#[tokio::test]
async fn xero_tenant_named_by_the_instance_goes_in_the_applied_header() {
    let server = MockServer::start().await;
    token(&server).await;
    xero_connections(&server).await;
    Mock::given(method("GET"))
        .and(path("/api.xro/2.0/Organisation"))
        .and(has_header(
            "xero-tenant-id",
            "e0da6937-de07-4a14-adee-37abfac298ce",
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({ "Organisations": [] })))
        .expect(1)
        .mount(&server)
        .await;
    let mut given = client();
    given["organisation"] = json!("Demo Company (AU)");
    let connection = connect(&server, XERO, given);
    connection
        .call("organisation", &Call::default())
        .await
        .unwrap();
    // The discovery request itself goes without the tenant header it is
    // about to find.
    let discovery = &received_at(&server, "/connections").await[0];
    assert_eq!(header(discovery, "xero-tenant-id"), None);
}

const MAILCHIMP: &str = r#"
[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[auth.cc.discover]
url = "{{ base }}/oauth2/metadata"
headers = { Authorization = "OAuth {{ access_token }}" }
label = "accountname"
capture = { dc = "dc" }

[endpoints.ping]
url = "{{ base }}/{{ dc }}/3.0/ping"
"#;

#[tokio::test]
async fn mailchimp_data_centre_from_the_metadata_object() {
    let server = MockServer::start().await;
    token(&server).await;
    Mock::given(method("GET"))
        .and(path("/oauth2/metadata"))
        .and(has_header(
            "authorization",
            format!("OAuth {ACCESS}").as_str(),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "dc": "us6",
            "role": "owner",
            "accountname": "Freddie's Jokes",
            "api_endpoint": "https://us6.api.mailchimp.com",
            "login": { "email": "freddie@example.com", "login_id": 42 }
        })))
        .expect(1)
        .mount(&server)
        .await;
    answer(
        &server,
        "/us6/3.0/ping",
        json!({ "health_status": "Everything's Chimpy!" }),
    )
    .await;
    let connection = connect(&server, MAILCHIMP, client());
    let response = connection.call("ping", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
}

#[tokio::test]
async fn a_discovered_value_never_chooses_the_host_a_token_goes_to() {
    const STARTS_URL: &str = r#"
[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[auth.cc.discover]
url = "{{ base }}/oauth2/metadata"
capture = { api_endpoint = "api_endpoint" }

[endpoints.ping]
url = "{{ api_endpoint }}/3.0/ping"
"#;
    let server = MockServer::start().await;
    token(&server).await;
    answer(
        &server,
        "/oauth2/metadata",
        json!({ "api_endpoint": "https://attacker.example" }),
    )
    .await;
    let connection = connect(&server, STARTS_URL, client());
    let error = expect_err(connection.call("ping", &Call::default()).await);
    assert!(
        error
            .to_string()
            .contains("cannot stand before the URL's scheme"),
        "{error}"
    );
    // A value in the host is one label, and in the path it is encoded.
    let server = MockServer::start().await;
    token(&server).await;
    answer(&server, "/oauth2/metadata", json!({ "dc": "../admin?x=" })).await;
    let connection = connect(&server, MAILCHIMP, client());
    let _ = connection.call("ping", &Call::default()).await;
    let sent: Vec<String> = common::received(&server)
        .await
        .iter()
        .map(|r| r.url.path().to_owned())
        .collect();
    assert!(
        sent.iter().any(|p| p == "/..%2Fadmin%3Fx%3D/3.0/ping"),
        "{sent:?}"
    );
}

// ---- a login keeps the discovered values with its tokens ------------------

struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        TempDir(std::env::temp_dir().join(format!(
            "patchbay-discovery-{name}-{}-{nanos}",
            std::process::id()
        )))
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

const LOGIN: &str = r#"
[variables.site]
required = true

[auth.code]
type = "oauth2_authorization_code"
use = ["base", "site"]
authorize_url = "{{ base }}/authorize"
token_url = "{{ base }}/token"

[auth.code.discover]
url = "{{ base }}/oauth/token/accessible-resources"
match = { field = "url", equals = "https://{{ site }}.atlassian.net" }
label = "url"
capture = { cloud_id = "id" }

[endpoints.myself]
url = "{{ base }}/ex/jira/{{ cloud_id }}/rest/api/3/myself"
"#;

#[tokio::test]
async fn a_login_stores_the_discovered_values_and_a_failed_discovery_runs_again() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "access_token": ACCESS,
            "refresh_token": "RT-SENTINEL-discovery",
            "expires_in": 3600,
        })))
        .mount(&server)
        .await;
    // The first answer lacks the site (not granted yet): the login keeps
    // its tokens and fails naming the granted sites.
    Mock::given(method("GET"))
        .and(path("/oauth/token/accessible-resources"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([
            { "id": "a1", "url": "https://alpha.atlassian.net", "name": "alpha" }
        ])))
        .up_to_n_times(1)
        .mount(&server)
        .await;
    jira_sites(&server).await;
    answer(
        &server,
        "/ex/jira/9f3d2c1b-0000-4000-8000-000000000002/rest/api/3/myself",
        json!({ "accountId": "x" }),
    )
    .await;
    let dir = TempDir::new("login");
    let store = Arc::new(FileStore::new(&dir.0).unwrap());
    let shared: Arc<dyn TokenStore> = store.clone();
    let mut given = client();
    given["site"] = json!("beta");
    let connection = connect(&server, LOGIN, given).with_store(shared, "t/code/i");
    let (_, pending) = connection
        .start_login("http://127.0.0.1:8765/callback")
        .unwrap();
    let state: String = url::form_urlencoded::byte_serialize(pending.state.as_bytes()).collect();
    let error = expect_err(
        connection
            .complete_login(pending, &format!("code=C0DE&state={state}"))
            .await,
    );
    assert!(
        error
            .to_string()
            .contains("found: https://alpha.atlassian.net"),
        "{error}"
    );
    assert_no_secrets(&error, &[SECRET, ACCESS, "RT-SENTINEL-discovery"]);
    let stored: StoredToken = store
        .load_blocking("t/code/i")
        .unwrap()
        .expect("the login is kept");
    assert!(stored.discovered.is_empty());

    // The next call runs the discovery again, now with the site granted,
    // and keeps the value and the candidates with the tokens.
    let response = connection.call("myself", &Call::default()).await.unwrap();
    assert_eq!(response.status, 200);
    let stored = store.load_blocking("t/code/i").unwrap().unwrap();
    assert_eq!(
        stored.discovered["cloud_id"],
        "9f3d2c1b-0000-4000-8000-000000000002"
    );
    assert_eq!(
        stored.candidates,
        ["https://alpha.atlassian.net", "https://beta.atlassian.net"]
    );
    assert_eq!(
        received_at(&server, "/oauth/token/accessible-resources")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn a_dry_run_shows_the_discovery_and_a_placeholder_for_its_value() {
    let server = MockServer::start().await;
    let connection = connect(&server, MAILCHIMP, client());
    let requests = connection.dry_run("ping", &Call::default()).unwrap();
    let labels: Vec<&str> = requests.iter().map(|r| r.label.as_str()).collect();
    assert_eq!(
        labels,
        [
            "token request of auth method `cc`",
            "discovery request of auth method `cc`",
            "endpoint `ping`"
        ]
    );
    let redactor = connection.redactor();
    let shown: Vec<String> = requests.iter().map(|r| r.to_curl(&redactor)).collect();
    assert!(shown[1].contains("/oauth2/metadata"), "{}", shown[1]);
    assert!(shown[2].contains("/discovered-dc/3.0/ping"), "{}", shown[2]);
    assert!(shown.iter().all(|s| !s.contains(SECRET)), "{shown:?}");
    assert!(received_at(&server, "/oauth2/metadata").await.is_empty());
}
