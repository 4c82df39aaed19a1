//! The sentinel-secret check over every page `patchbay serve` serves:
//! instances added with sentinel client secrets (and the real ones), their
//! forms drawn again after an error, their pages, tests, calls, exports,
//! logins through the real OAuth server (oidc-provider on loopback) that
//! succeed and that fail at the token request, and the pages with no
//! instance; with trace logs on. No secret may appear in any response
//! (status, headers, body) nor in the log, in any encoding the runtime
//! produces or HTML escaping makes.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::collections::BTreeMap;

#[path = "common/browser.rs"]
#[allow(dead_code)] // the CLI login helpers
mod browser;
mod common;
#[path = "common/encodings.rs"]
mod encodings;
#[path = "common/serve.rs"]
mod serve;

use browser::http;
use common::Server;
use encodings::{basic_credentials, encodings};
use serve::{Workbench, private_dir, spec_folder};

const POST_SECRET: &str = "post-secret-1";
const CODE_SECRET: &str = "code+secret:1";

/// Every response, written out for the search.
struct Transcript {
    text: String,
    csrf: Option<String>,
}

impl Transcript {
    fn record(
        &mut self,
        what: &str,
        (status, headers, body): &(u16, Vec<(String, String)>, String),
    ) {
        self.text.push_str(&format!("== {what}: {status}\n"));
        for (name, value) in headers {
            self.text.push_str(&format!("{name}: {value}\n"));
        }
        self.text.push_str(body);
        self.text.push('\n');
        if self.csrf.is_none()
            && let Some(at) = body.find("name=\"csrf\" value=\"")
        {
            self.csrf = Some(body[at + 19..at + 51].to_owned());
        }
    }
}

fn location(headers: &[(String, String)]) -> Option<String> {
    headers
        .iter()
        .find(|(k, _)| k == "location")
        .map(|(_, v)| v.clone())
}

fn form(fields: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(fields)
        .finish()
}

/// Presses Connect, logs in and allows at the provider, and delivers the
/// callback to the workbench, recording the workbench's answers.
fn connect(workbench: &Workbench, name: &str, csrf: &str, log: &mut Transcript) {
    let none = BTreeMap::new();
    let origin = workbench.origin();
    let started = http(
        "POST",
        &format!("{origin}/instances/{name}/connect"),
        &none,
        Some(&form(&[("csrf", csrf)])),
    );
    log.record("connect", &started);
    let mut next = location(&started.1).unwrap();
    let mut cookies = BTreeMap::new();
    let mut submitted_login = false;
    for _ in 0..12 {
        if next.starts_with(origin) {
            let back = http("GET", &next, &BTreeMap::new(), None);
            log.record("callback", &back);
            let page = http(
                "GET",
                &format!("{origin}{}", location(&back.1).unwrap()),
                &none,
                None,
            );
            log.record("instance after login", &page);
            return;
        }
        let answer = if next.contains("/interaction/") {
            let body = if submitted_login {
                "prompt=consent"
            } else {
                "prompt=login&login=alice"
            };
            submitted_login = true;
            http("POST", &next, &cookies, Some(body))
        } else {
            http("GET", &next, &cookies, None)
        };
        for (name, value) in &answer.1 {
            if name == "set-cookie" {
                let (k, v) = value.split(';').next().unwrap().split_once('=').unwrap();
                cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        next = url::Url::parse(&next)
            .unwrap()
            .join(&location(&answer.1).unwrap())
            .unwrap()
            .to_string();
    }
    panic!("the login did not come back to the workbench");
}

/// Adds an instance of `method` with `secret`, first with an error (the
/// form drawn again), then for real; then every page and action of it.
fn exercise(
    workbench: &Workbench,
    server: &Server,
    name: &str,
    method: &str,
    client_id: &str,
    secret: &str,
    log: &mut Transcript,
) {
    let none = BTreeMap::new();
    let origin = workbench.origin();
    let new = format!("{origin}/connectors/oauth-test-server/new");
    log.record(
        "new instance form",
        &http("GET", &format!("{new}?method={method}"), &none, None),
    );
    let csrf = log.csrf.clone().unwrap();
    let fields = |instance: &str| {
        form(&[
            ("csrf", &csrf),
            ("method", method),
            ("name", instance),
            ("v.base", &server.base),
            ("v.client_id", client_id),
            ("v.client_secret", secret),
        ])
    };
    let invalid = http("POST", &new, &none, Some(&fields("Not Valid")));
    assert_eq!(invalid.0, 422, "{}", invalid.2);
    log.record("form with errors", &invalid);
    let added = http("POST", &new, &none, Some(&fields(name)));
    assert_eq!(added.0, 303, "{}", added.2);
    log.record("added", &added);
    let instance = format!("{origin}/instances/{name}");
    log.record("instance", &http("GET", &instance, &none, None));
    if method.starts_with("code") {
        connect(workbench, name, &csrf, log);
    }
    let post = |path: &str, extra: &[(&str, &str)]| {
        let mut fields = vec![("csrf", csrf.as_str())];
        fields.extend_from_slice(extra);
        http(
            "POST",
            &format!("{instance}{path}"),
            &none,
            Some(&form(&fields)),
        )
    };
    log.record("test", &post("/test", &[]));
    log.record(
        "endpoint form",
        &http("GET", &format!("{instance}/endpoints/me"), &none, None),
    );
    log.record("call me", &post("/endpoints/me", &[]));
    log.record(
        "call items",
        &post("/endpoints/items", &[("all_pages", "1")]),
    );
    log.record(
        "export",
        &http("GET", &format!("{instance}/export"), &none, None),
    );
    if method.starts_with("code") {
        log.record("log out", &post("/logout", &[]));
    } else {
        log.record("connect (no login)", &post("/connect", &[]));
    }
    log.record("instance again", &http("GET", &instance, &none, None));
}

#[test]
fn a_sentinel_secret_appears_on_no_page_of_the_workbench() {
    let server = Server::start();
    let dir = std::env::temp_dir().join(format!("patchbay-wb-sentinel-{}", std::process::id()));
    private_dir(&dir);
    let home = dir.join("home");
    private_dir(&home);
    let specs = spec_folder(&dir);
    let log_file = dir.join("serve.log");
    let workbench = Workbench::start(&specs, &home, &log_file, &[("PATCHBAY_LOG", "trace")]);
    // Sentinels that fail, each with characters some encoding changes, and
    // the real secrets, whose calls succeed.
    let sentinels = [
        "SENTINEL-\"dry\\ 7c1e",
        "SENTINEL+run%20:7c1é",
        "SENTINEL token:\"7c1e\" <b>&",
    ];
    let mut log = Transcript {
        text: String::new(),
        csrf: None,
    };
    let none = BTreeMap::new();
    let origin = workbench.origin().to_owned();
    for path in [
        "/",
        "/static/style.css",
        "/rules/PB101",
        "/connectors/oauth-test-server",
    ] {
        log.record(path, &http("GET", &format!("{origin}{path}"), &none, None));
    }
    let mut checked: Vec<(&str, &str)> = Vec::new();
    for (i, secret) in sentinels.iter().enumerate() {
        exercise(
            &workbench,
            &server,
            &format!("cc-{i}"),
            "cc_post",
            "cc-post",
            secret,
            &mut log,
        );
        exercise(
            &workbench,
            &server,
            &format!("code-{i}"),
            "code_confidential",
            "code-confidential",
            secret,
            &mut log,
        );
        checked.push((secret, "cc-post"));
        checked.push((secret, "code-confidential"));
    }
    exercise(
        &workbench,
        &server,
        "cc-real",
        "cc_post",
        "cc-post",
        POST_SECRET,
        &mut log,
    );
    exercise(
        &workbench,
        &server,
        "code-real",
        "code_confidential",
        "code-confidential",
        CODE_SECRET,
        &mut log,
    );
    checked.push((POST_SECRET, "cc-post"));
    checked.push((CODE_SECRET, "code-confidential"));
    // The real logins worked, the sentinel ones failed at the token request.
    assert!(
        log.text
            .contains("Connected: the provider&#x27;s tokens are stored."),
        "{}",
        log.text
    );
    assert!(log.text.contains("invalid_client"), "{}", log.text);
    assert!(
        log.text.contains("&quot;sub&quot;: &quot;alice&quot;"),
        "{}",
        log.text
    );
    for path in ["/", "/callback?state=forged&code=x", "/nowhere"] {
        log.record(path, &http("GET", &format!("{origin}{path}"), &none, None));
    }
    drop(workbench);
    let everything = format!(
        "{}{}",
        log.text,
        std::fs::read_to_string(&log_file).unwrap()
    );
    for (secret, client_id) in checked {
        let forms = encodings(secret)
            .into_iter()
            .chain(basic_credentials(client_id, secret))
            .chain([html_escaped(secret)]);
        for form in forms {
            if let Some(at) = everything.find(&form) {
                panic!(
                    "the workbench wrote the secret as `{form}`:\n{}",
                    everything
                        .get(at.saturating_sub(600)..(at + 200).min(everything.len()))
                        .unwrap_or_default()
                );
            }
        }
    }
    let _ = std::fs::remove_dir_all(dir);
}

/// A text as the workbench's templates escape it.
fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#x27;")
        .replace('/', "&#x2f;")
}

#[test]
fn serve_refuses_a_non_loopback_address_without_an_access_token() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(["serve", "--bind", "0.0.0.0", "--port", "0"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("refusing to listen on 0.0.0.0"), "{stderr}");
    assert!(stderr.contains("--require-token"), "{stderr}");
    assert!(output.stdout.is_empty(), "no URL printed");
}
