//! Every page and form error of the workbench, and each of its security
//! promises, through its router in process (no listener): a foreign
//! `Host` refused, a cross-site POST refused, a missing or wrong CSRF token
//! refused, a CSP allowing no script on every response, a non-loopback
//! bind refused without an access token.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use patchbay_workbench::{Config, router};
use tower::ServiceExt;

/// The port the router believes it listens on.
const PORT: u16 = 8686;
const HOST: &str = "127.0.0.1:8686";
const ORIGIN: &str = "http://127.0.0.1:8686";
const SECRET: &str = "SENTINEL-k3y+%20:\"é";

struct Bench {
    router: Router,
    dir: PathBuf,
}

struct Answer {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Answer {
    fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .map(|v| v.to_str().unwrap())
            .unwrap_or_default()
    }
}

fn temp_dir(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("patchbay-workbench-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(dir.join("specs")).unwrap();
    std::fs::create_dir_all(dir.join("home")).unwrap();
    dir
}

/// A folder of specs (the forms spec and one with a lint error).
fn specs(dir: &Path) -> PathBuf {
    let specs = dir.join("specs");
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/forms.toml"),
        specs.join("forms.toml"),
    )
    .unwrap();
    std::fs::write(specs.join("broken.toml"), broken_spec()).unwrap();
    // Neither a spec nor an instance: not listed.
    std::fs::write(specs.join("payload.json"), "{\"title\": \"coffee\"}").unwrap();
    specs
}

/// The forms spec as connector `broken`, with a template syntax error
/// (PB101) on the line of `{{ base }/items`.
fn broken_spec() -> String {
    std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/forms.toml"))
        .unwrap()
        .replace("id = \"forms\"", "id = \"broken\"")
        .replace("{{ base }}/items", "{{ base }/items")
}

fn config(dir: &Path) -> Config {
    let specs = specs(dir);
    let finder = move || {
        let mut files: Vec<PathBuf> = std::fs::read_dir(&specs)
            .map_err(|e| e.to_string())?
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        Ok(files)
    };
    Config::new(Arc::new(finder), dir.join("home"))
}

fn bench(name: &str) -> Bench {
    let dir = temp_dir(name);
    let (router, _) = router(config(&dir), PORT).unwrap();
    Bench { router, dir }
}

async fn send(router: &Router, request: Request<Body>) -> Answer {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let bytes = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    Answer {
        status,
        headers,
        body: String::from_utf8(bytes.to_vec()).unwrap(),
    }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

impl Bench {
    async fn get(&self, path: &str) -> Answer {
        let request = Request::get(path)
            .header(header::HOST, HOST)
            .body(Body::empty())
            .unwrap();
        send(&self.router, request).await
    }

    /// A form as the browser posts it from the workbench's own page, with
    /// the page's CSRF token.
    async fn post(&self, path: &str, fields: &[(&str, &str)]) -> Answer {
        let csrf = self.csrf().await;
        let mut all = vec![("csrf", csrf.as_str())];
        all.extend_from_slice(fields);
        self.post_raw(path, ORIGIN, &form_body(&all)).await
    }

    async fn post_raw(&self, path: &str, origin: &str, body: &str) -> Answer {
        let request = Request::post(path)
            .header(header::HOST, HOST)
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body.to_owned()))
            .unwrap();
        send(&self.router, request).await
    }

    async fn csrf(&self) -> String {
        let page = self.get("/connectors/forms/new?method=key").await;
        let start = page.body.find("name=\"csrf\" value=\"").unwrap() + 19;
        page.body[start..start + 32].to_owned()
    }

    async fn add(&self, name: &str, account: &str) -> Answer {
        self.post(
            "/connectors/forms/new",
            &[
                ("method", "key"),
                ("name", name),
                ("v.base", "http://127.0.0.1:9/api"),
                ("v.account", account),
                ("v.api_key", SECRET),
                ("v.region", "us"),
            ],
        )
        .await
    }
}

impl Drop for Bench {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

#[tokio::test]
async fn the_connectors_page_lists_specs_with_their_lint_status_and_follows_edits() {
    let bench = bench("index");
    let page = bench.get("/").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(
        page.body.contains("href=\"/connectors/forms\""),
        "{}",
        page.body
    );
    // The broken spec: its diagnostic as lint writes it, with the rule's page.
    assert!(page.body.contains("broken.toml"), "{}", page.body);
    assert!(page.body.contains("PB101"), "{}", page.body);
    assert!(page.body.contains("href=\"/rules/PB101\""), "{}", page.body);
    let line = broken_spec()
        .lines()
        .position(|l| l.contains("{{ base }/items"))
        .unwrap()
        + 1;
    assert!(
        page.body.contains(&format!(":{line}:")),
        "the line number: {}",
        page.body
    );
    assert!(!page.body.contains("payload.json"), "{}", page.body);

    // Fixed on disk: shown as a connector on reload.
    let fixed = broken_spec().replace("{{ base }/items", "{{ base }}/items");
    std::fs::write(bench.dir.join("specs/broken.toml"), fixed).unwrap();
    let page = bench.get("/").await;
    assert!(
        page.body.contains("href=\"/connectors/broken\""),
        "{}",
        page.body
    );
    assert!(!page.body.contains("PB101"), "{}", page.body);
}

#[tokio::test]
async fn rule_pages_are_served_by_the_workbench() {
    let bench = bench("rules");
    let page = bench.get("/rules/PB101").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("PB101"));
    assert!(page.body.contains("template"), "{}", page.body);
    assert_eq!(
        bench.get("/rules/PB999").await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(bench.get("/nowhere").await.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_connector_page_shows_methods_endpoints_and_plans_with_provenance() {
    let bench = bench("connector");
    let page = bench.get("/connectors/forms").await;
    assert_eq!(page.status, StatusCode::OK);
    for text in [
        "api_key",
        "oauth2_authorization_code",
        "status",
        "create",
        "provenance",
    ] {
        assert!(page.body.contains(text), "{text}: {}", page.body);
    }
    assert_eq!(
        bench.get("/connectors/nothing").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_instance_form_is_made_from_the_plans_inputs() {
    let bench = bench("form");
    let page = bench.get("/connectors/forms/new").await;
    assert!(
        page.body.contains("?method=key"),
        "a method to pick: {}",
        page.body
    );
    let page = bench.get("/connectors/forms/new?method=key").await;
    let body = &page.body;
    // Label, description, placeholder, required.
    assert!(
        body.contains("API base URL <span class=\"required\""),
        "{body}"
    );
    assert!(body.contains("Where the API answers."), "{body}");
    assert!(
        body.contains("placeholder=\"https:&#x2f;&#x2f;api.example.com\""),
        "{body}"
    );
    // Options as a select, the default chosen.
    assert!(body.contains("<option value=\"eu\" selected>"), "{body}");
    // The secret: a password field with no value.
    assert!(
        body.contains("name=\"v.api_key\" type=\"password\""),
        "{body}"
    );
    // Advanced folded away, after the rest; its default filled in.
    let advanced = body.find("<details class=\"advanced\">").unwrap();
    assert!(
        body.find("name=\"v.page_size\"").unwrap() > advanced,
        "{body}"
    );
    assert!(
        body.find("name=\"v.account\"").unwrap() < advanced,
        "{body}"
    );
    assert!(body.contains("value=\"50\""), "{body}");
    // `visible = false`: not asked.
    assert!(!body.contains("api_version"), "{body}");
}

#[tokio::test]
async fn form_errors_are_shown_next_to_their_fields_and_secrets_never_sent_back() {
    let bench = bench("errors");
    let page = bench
        .post(
            "/connectors/forms/new",
            &[
                ("method", "key"),
                ("name", "Not A Name"),
                ("v.base", "ftp://example.com"),
                ("v.account", "account-7"),
                ("v.api_key", SECRET),
                ("v.page_size", "five"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    let body = &page.body;
    let error_after = |field: &str| {
        let at = body.find(&format!("name=\"{field}\"")).unwrap();
        body[at..].find("field-error").unwrap()
            < body[at..].find("<div class=\"field").unwrap_or(usize::MAX)
    };
    for field in ["name", "v.base", "v.account", "v.page_size"] {
        assert!(error_after(field), "{field}: {body}");
    }
    assert!(body.contains("acct_[a-z0-9]+"), "the pattern named: {body}");
    // What was typed comes back, except the secret.
    assert!(body.contains("value=\"account-7\""), "{body}");
    assert!(!body.contains("SENTINEL"), "{body}");
    assert!(body.contains("enter it again"), "{body}");

    // A missing required value.
    let page = bench
        .post(
            "/connectors/forms/new",
            &[
                ("method", "key"),
                ("name", "ok"),
                ("v.base", "https://a.example.com"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(page.body.contains("required: fill it in"), "{}", page.body);

    // A name taken.
    assert_eq!(
        bench.add("shop", "acct_1").await.status,
        StatusCode::SEE_OTHER
    );
    let page = bench.add("shop", "acct_2").await;
    assert_eq!(page.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        page.body.contains("an instance of this name exists"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn an_instance_is_saved_privately_shown_without_secrets_and_exported_with_env_references() {
    let bench = bench("instance");
    let added = bench.add("eu-shop", "acct_7").await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    assert_eq!(added.location(), "/instances/eu-shop");
    let file = bench.dir.join("home/workbench/instances/eu-shop.json");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = |p: &Path| std::fs::metadata(p).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode(&file), 0o600);
        assert_eq!(mode(file.parent().unwrap()), 0o700);
    }
    let page = bench.get("/instances/eu-shop").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Instance added."), "{}", page.body);
    assert!(page.body.contains("set (hidden)"), "{}", page.body);
    assert!(page.body.contains("acct_7"), "{}", page.body);
    assert!(!page.body.contains("SENTINEL"), "{}", page.body);
    // The message is shown once.
    assert!(
        !bench
            .get("/instances/eu-shop")
            .await
            .body
            .contains("Instance added.")
    );

    let export = bench.get("/instances/eu-shop/export").await;
    assert_eq!(export.status, StatusCode::OK);
    assert!(
        export.body.contains("connector = \"forms\""),
        "{}",
        export.body
    );
    assert!(
        export
            .body
            .contains("\"api_key\" = { env = \"EU_SHOP_API_KEY\" }"),
        "{}",
        export.body
    );
    assert!(
        export.body.contains("\"account\" = \"acct_7\""),
        "{}",
        export.body
    );
    assert!(!export.body.contains("SENTINEL"), "{}", export.body);

    // The test call fails (nothing listens): a clear message, secrets masked.
    let tested = bench.post("/instances/eu-shop/test", &[]).await;
    assert_eq!(tested.status, StatusCode::OK);
    assert!(
        tested.body.contains("class=\"message error\""),
        "{}",
        tested.body
    );
    assert!(
        tested.body.contains("X-API-Key: ********"),
        "{}",
        tested.body
    );
    assert!(!tested.body.contains("SENTINEL"), "{}", tested.body);

    // A send endpoint's payload that is not JSON: next to the field.
    let call = bench
        .post(
            "/instances/eu-shop/endpoints/create",
            &[("payload", "{\"a\": ")],
        )
        .await;
    assert_eq!(call.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(call.body.contains("not JSON: line 1"), "{}", call.body);
    assert!(
        bench
            .get("/instances/eu-shop/endpoints/create")
            .await
            .body
            .contains("<textarea")
    );
    assert_eq!(
        bench
            .get("/instances/eu-shop/endpoints/nothing")
            .await
            .status,
        StatusCode::NOT_FOUND
    );

    let deleted = bench.post("/instances/eu-shop/delete", &[]).await;
    assert_eq!(deleted.status, StatusCode::SEE_OTHER);
    assert!(!file.exists());
    assert_eq!(
        bench.get("/instances/eu-shop").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn connect_redirects_to_the_provider_and_an_unknown_callback_is_a_clear_message() {
    let bench = bench("connect");
    let added = bench
        .post(
            "/connectors/forms/new",
            &[
                ("method", "code"),
                ("name", "login"),
                ("v.base", "http://127.0.0.1:9"),
                ("v.account", "acct_1"),
                ("v.client_id", "workbench"),
                ("v.client_secret", SECRET),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let page = bench.get("/instances/login").await;
    assert!(page.body.contains("Not connected"), "{}", page.body);
    let connect = bench.post("/instances/login/connect", &[]).await;
    assert_eq!(connect.status, StatusCode::SEE_OTHER);
    let to = url::Url::parse(connect.location()).unwrap();
    assert_eq!(to.path(), "/authorize");
    let redirect = to
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1;
    assert_eq!(redirect, "http://127.0.0.1:8686/callback");
    assert!(!connect.location().contains("SENTINEL"));

    let callback = bench.get("/callback?code=abc&state=forged").await;
    assert_eq!(callback.status, StatusCode::BAD_REQUEST);
    assert!(
        callback.body.contains("matches no login started here"),
        "{}",
        callback.body
    );
}

#[tokio::test]
async fn a_foreign_host_is_refused() {
    let bench = bench("host");
    for host in [
        "evil.example:8686",
        "127.0.0.1.nip.io:8686",
        "127.0.0.1:9999",
        "127.0.0.1",
        "",
    ] {
        let request = Request::get("/")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap();
        let answer = send(&bench.router, request).await;
        assert_eq!(answer.status, StatusCode::MISDIRECTED_REQUEST, "{host}");
    }
    for host in ["localhost:8686", "[::1]:8686", "127.0.0.1:8686"] {
        let request = Request::get("/")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap();
        assert_eq!(
            send(&bench.router, request).await.status,
            StatusCode::OK,
            "{host}"
        );
    }
}

#[tokio::test]
async fn a_post_from_another_site_is_refused() {
    let bench = bench("origin");
    let csrf = bench.csrf().await;
    let body = form_body(&[("csrf", &csrf), ("method", "key"), ("name", "x")]);
    for origin in [
        "http://evil.example",
        "null",
        "https://127.0.0.1:8686",
        "http://127.0.0.1:9999",
    ] {
        let answer = bench.post_raw("/connectors/forms/new", origin, &body).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{origin}");
    }
    // Without Origin, a browser's cross-site fetch metadata.
    let request = Request::post("/connectors/forms/new")
        .header(header::HOST, HOST)
        .header("sec-fetch-site", "cross-site")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(body.clone()))
        .unwrap();
    assert_eq!(
        send(&bench.router, request).await.status,
        StatusCode::FORBIDDEN
    );
    // The same form from the workbench's own origin goes through.
    let answer = bench.post_raw("/connectors/forms/new", ORIGIN, &body).await;
    assert_eq!(answer.status, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn a_missing_or_wrong_csrf_token_is_refused() {
    let bench = bench("csrf");
    let fields = form_body(&[("method", "key"), ("name", "x")]);
    let answer = bench
        .post_raw("/connectors/forms/new", ORIGIN, &fields)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert!(answer.body.contains("CSRF"), "{}", answer.body);
    let wrong = form_body(&[
        ("csrf", "0123456789abcdef0123456789abcdef"),
        ("method", "key"),
    ]);
    let answer = bench
        .post_raw("/connectors/forms/new", ORIGIN, &wrong)
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    // Every form the pages draw carries the token.
    bench.add("shop", "acct_1").await;
    let page = bench.get("/instances/shop").await;
    let forms = page.body.matches("<form").count();
    assert!(forms >= 2, "{}", page.body);
    assert_eq!(page.body.matches("name=\"csrf\"").count(), forms);
}

#[tokio::test]
async fn every_response_carries_a_csp_that_allows_no_script() {
    let bench = bench("csp");
    bench.add("shop", "acct_1").await;
    let mut answers = Vec::new();
    for path in [
        "/",
        "/static/style.css",
        "/rules/PB101",
        "/connectors/forms",
        "/connectors/forms/new?method=key",
        "/instances/shop",
        "/instances/shop/export",
        "/instances/shop/endpoints/status",
        "/callback?state=x",
        "/nowhere",
    ] {
        answers.push((path.to_owned(), bench.get(path).await));
    }
    let foreign = Request::get("/")
        .header(header::HOST, "evil.example:8686")
        .body(Body::empty())
        .unwrap();
    answers.push(("foreign host".into(), send(&bench.router, foreign).await));
    answers.push((
        "no csrf".into(),
        bench.post_raw("/instances/shop/test", ORIGIN, "").await,
    ));
    answers.push((
        "a test call".into(),
        bench.post("/instances/shop/test", &[]).await,
    ));
    for (what, answer) in answers {
        let csp = answer
            .headers
            .get(header::CONTENT_SECURITY_POLICY)
            .unwrap_or_else(|| panic!("{what}: no CSP"))
            .to_str()
            .unwrap();
        assert!(csp.contains("script-src 'none'"), "{what}: {csp}");
        assert!(csp.contains("default-src 'none'"), "{what}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{what}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{what}: {csp}");
        assert!(!answer.body.contains("<script"), "{what}");
        assert!(
            !answer.body.contains(" style=\""),
            "{what}: an inline style"
        );
    }
}

#[tokio::test]
async fn a_non_loopback_bind_needs_an_access_token() {
    let dir = temp_dir("bind");
    let mut config = config(&dir);
    config.bind = "0.0.0.0".parse().unwrap();
    let refused = router(config.clone(), PORT).unwrap_err();
    assert!(refused.to_string().contains("--require-token"), "{refused}");

    config.require_token = true;
    let (router, token) = router(config, PORT).unwrap();
    let token = token.unwrap();
    let get = |path: String, cookie: Option<String>| {
        let mut request = Request::get(path).header(header::HOST, "192.0.2.7:8686");
        if let Some(cookie) = cookie {
            request = request.header(header::COOKIE, cookie);
        }
        request.body(Body::empty()).unwrap()
    };
    assert_eq!(
        send(&router, get("/".into(), None)).await.status,
        StatusCode::UNAUTHORIZED
    );
    let wrong = send(&router, get("/?access_token=nope".into(), None)).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    // The printed URL's token is traded for a cookie and a clean URL.
    let traded = send(&router, get(format!("/?access_token={token}"), None)).await;
    assert_eq!(traded.status, StatusCode::SEE_OTHER);
    assert_eq!(traded.location(), "/");
    let cookie = traded
        .headers
        .get(header::SET_COOKIE)
        .unwrap()
        .to_str()
        .unwrap();
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    let pair = cookie.split(';').next().unwrap().to_owned();
    assert_eq!(
        send(&router, get("/".into(), Some(pair))).await.status,
        StatusCode::OK
    );
    let forged = "patchbay_workbench_access=0123456789abcdef0123456789abcdef".to_owned();
    assert_eq!(
        send(&router, get("/".into(), Some(forged))).await.status,
        StatusCode::UNAUTHORIZED
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[tokio::test]
async fn a_public_url_changes_the_redirect_uri_and_the_accepted_host() {
    let dir = temp_dir("public");
    let mut config = config(&dir);
    config.public_url = Some("https://workbench.example.com".parse().unwrap());
    let (router, _) = router(config, PORT).unwrap();
    let request = |host: &str| {
        Request::get("/connectors/forms/new?method=code")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap()
    };
    let page = send(&router, request("workbench.example.com")).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        send(&router, request("staging.example.com")).await.status,
        StatusCode::MISDIRECTED_REQUEST
    );
    let start = page.body.find("name=\"csrf\" value=\"").unwrap() + 19;
    let csrf = &page.body[start..start + 32];
    let post = |path: &str, origin: &str, body: String| {
        Request::post(path)
            .header(header::HOST, "workbench.example.com")
            .header(header::ORIGIN, origin)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap()
    };
    let fields = form_body(&[
        ("csrf", csrf),
        ("method", "code"),
        ("name", "staging"),
        ("v.base", "https://login.example.com"),
        ("v.account", "acct_1"),
        ("v.client_id", "workbench"),
        ("v.client_secret", SECRET),
    ]);
    let refused = send(
        &router,
        post(
            "/connectors/forms/new",
            "http://workbench.example.com",
            fields.clone(),
        ),
    )
    .await;
    assert_eq!(
        refused.status,
        StatusCode::FORBIDDEN,
        "the public URL's scheme"
    );
    let added = send(
        &router,
        post(
            "/connectors/forms/new",
            "https://workbench.example.com",
            fields,
        ),
    )
    .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);
    let connect = send(
        &router,
        post(
            "/instances/staging/connect",
            "https://workbench.example.com",
            form_body(&[("csrf", csrf)]),
        ),
    )
    .await;
    let to = url::Url::parse(connect.location()).unwrap();
    let redirect = to
        .query_pairs()
        .find(|(k, _)| k == "redirect_uri")
        .unwrap()
        .1;
    assert_eq!(redirect, "https://workbench.example.com/callback");
    let _ = std::fs::remove_dir_all(dir);
}

/// A loopback API for the calls: `POST /items` answers what it was sent
/// (and the key it got, which the page must mask), `GET …/status` 200.
async fn api() -> String {
    use axum::routing::{get, post};
    let app = Router::new()
        .route(
            "/api/items",
            post(|headers: HeaderMap, body: String| async move {
                let key = headers
                    .get("x-api-key")
                    .map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned())
                    .unwrap_or_default();
                axum::Json(serde_json::json!({ "received": body, "echoed_key": key }))
            }),
        )
        .route(
            "/api/{region}/{account}/status",
            get(|| async { axum::Json(serde_json::json!({ "ok": true })) }),
        );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}/api", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    base
}

#[tokio::test]
async fn a_call_sends_the_payload_and_shows_the_answer_with_secrets_masked() {
    let bench = bench("call");
    let base = api().await;
    let added = bench
        .post(
            "/connectors/forms/new",
            &[
                ("method", "key"),
                ("name", "live"),
                ("v.base", &base),
                ("v.account", "acct_7"),
                ("v.api_key", SECRET),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER, "{}", added.body);

    let tested = bench.post("/instances/live/test", &[]).await;
    assert!(tested.body.contains("HTTP 200"), "{}", tested.body);
    assert!(
        tested.body.contains("&quot;ok&quot;: true"),
        "{}",
        tested.body
    );
    assert!(
        tested.body.contains("&#x2f;eu&#x2f;acct_7&#x2f;status"),
        "the default region: {}",
        tested.body
    );

    let called = bench
        .post(
            "/instances/live/endpoints/create",
            &[("payload", "{\"title\": \"coffee\"}")],
        )
        .await;
    assert_eq!(called.status, StatusCode::OK);
    let body = &called.body;
    assert!(body.contains("HTTP 200"), "{body}");
    assert!(
        body.contains("coffee"),
        "the payload sent and echoed: {body}"
    );
    assert!(body.contains("curl -X POST"), "{body}");
    // The API echoed the key: masked in the body as in the curl command.
    assert!(
        body.contains("&quot;echoed_key&quot;: &quot;********&quot;"),
        "{body}"
    );
    assert!(!body.contains("SENTINEL"), "{body}");
    assert!(body.contains(" ms"), "the time taken: {body}");
}
