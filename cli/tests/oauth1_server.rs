//! `patchbay run` with `oauth1` methods against a loopback API that
//! verifies every signature with oauthlib (runtime/tests/oauth1): a GET
//! with a query, a POST with a form body, every page of a paged endpoint
//! (numbered pages, and next-page links with their own query), a retry, secrets and values full of characters that encoding changes,
//! all three signature methods; and the sentinel check over the consumer
//! secret, the token secret and the signatures.
//!
//! The server is installed by `scripts/test` (a virtual environment in
//! runtime/tests/oauth1 with its pinned requirements).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

#[path = "../../runtime/tests/support/python_server.rs"]
mod python_server;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

// Only the workspace root and the secret encodings are used here.
#[allow(dead_code)]
mod common;
#[allow(dead_code)]
#[path = "common/encodings.rs"]
mod encodings;

use common::workspace;
use encodings::encodings;
use python_server::PythonServer;
use serde_json::Value;

const SPEC: &str = "cli/tests/data/oauth1-test-server.toml";

/// The oauthlib server, stopped when dropped.
struct Server {
    _process: PythonServer,
    base: String,
}

impl Server {
    fn start() -> Server {
        let process = PythonServer::start("oauth1");
        let base = process.base.clone();
        Server {
            _process: process,
            base,
        }
    }

    /// Every request the server verified, in order.
    fn verified(&self) -> Vec<Value> {
        self.get("/test/requests")
    }

    /// The signatures of the requests it refused.
    fn refused(&self) -> Vec<Value> {
        self.get("/test/refused")
    }

    fn get(&self, path: &str) -> Vec<Value> {
        let output = Command::new("curl")
            .args(["-s", &format!("{}{path}", self.base)])
            .output();
        // Without curl, ask with the server's own Python.
        let body = match output {
            Ok(output) if output.status.success() => output.stdout,
            _ => Command::new(workspace().join("runtime/tests/oauth1/.venv/bin/python"))
                .args([
                    "-c",
                    "import sys, urllib.request; sys.stdout.write(urllib.request.urlopen(sys.argv[1]).read().decode())",
                    &format!("{}{path}", self.base),
                ])
                .output()
                .unwrap()
                .stdout,
        };
        serde_json::from_slice::<Vec<Value>>(&body).unwrap()
    }
}

/// Test credentials of the server (runtime/tests/oauth1/README.md).
struct Credentials {
    consumer_key: &'static str,
    consumer_secret: &'static str,
    token: &'static str,
    token_secret: &'static str,
}

const PLAIN: Credentials = Credentials {
    consumer_key: "patchbayconsumer",
    consumer_secret: "consumer-secret-1",
    token: "patchbaytoken",
    token_secret: "token-secret-1",
};

const SPECIAL: Credentials = Credentials {
    consumer_key: "specialconsumer",
    consumer_secret: "c0n+s/e c&r=e%t~é",
    token: "specialtoken",
    token_secret: "t0k+e/n s&e=c%r~ü",
};

/// An instance whose secrets come from the environment.
fn instance(dir: &Path, method: &str, base: &str, credentials: &Credentials) -> PathBuf {
    let path = dir.join(format!("{method}-{}.toml", credentials.consumer_key));
    std::fs::write(
        &path,
        format!(
            "connector = \"oauth1-test-server\"\nauth = \"{method}\"\n[values]\nbase = \"{base}\"\naccount = \"1234567_SB1\"\nconsumer_key = \"{}\"\nconsumer_secret = {{ env = \"CONSUMER_SECRET\" }}\ntoken = {{ env = \"TOKEN\" }}\ntoken_secret = {{ env = \"TOKEN_SECRET\" }}\n",
            credentials.consumer_key
        ),
    )
    .unwrap();
    path
}

fn patchbay(args: &[&str], credentials: &Credentials) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(workspace())
        .env("CONSUMER_SECRET", credentials.consumer_secret)
        .env("TOKEN", credentials.token)
        .env("TOKEN_SECRET", credentials.token_secret)
        .env("PATCHBAY_LOG", "trace")
        .output()
        .unwrap()
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patchbay-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn succeeded(output: &Output, what: &str) -> Value {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{what}: {stderr}");
    serde_json::from_slice(&output.stdout)
        .unwrap_or_else(|e| panic!("{what}: {e}: {}", String::from_utf8_lossy(&output.stdout)))
}

#[test]
fn every_signature_method_signs_queries_forms_pages_and_retries() {
    let server = Server::start();
    let dir = temp_dir("oauth1-interop");
    let mut expected_requests = 0;
    for method in ["hmac_sha256", "hmac_sha1", "plaintext"] {
        for credentials in [&PLAIN, &SPECIAL] {
            let what = format!("{method} with {}", credentials.consumer_key);
            let file = instance(&dir, method, &server.base, credentials);
            let file = file.to_str().unwrap();
            let run = |endpoint: &str, extra: &[&str]| {
                let mut args = vec!["run", SPEC, "--instance", file, "--endpoint", endpoint];
                args.extend_from_slice(extra);
                patchbay(&args, credentials)
            };

            let echo = succeeded(&run("echo", &["--var", "q=ünï cödé & a+b=c/d%20"]), &what);
            assert_eq!(
                echo["query"]["q"], "ünï cödé & a+b=c/d%20",
                "{what}: {echo}"
            );
            assert_eq!(echo["query"]["fixed"], "a b+c/d?é=&x", "{what}: {echo}");
            assert_eq!(echo["consumer"], credentials.consumer_key);

            let form = succeeded(&run("form", &["--var", "name=Zoë & \"Ann\"+1"]), &what);
            assert_eq!(form["fields"]["name"], "Zoë & \"Ann\"+1", "{what}: {form}");
            assert_eq!(form["fields"]["note"], "x & y = z+1 ü", "{what}: {form}");
            assert_eq!(form["query"]["via"], "query", "{what}: {form}");

            let pages = run("items", &["--all-pages"]);
            let stdout = String::from_utf8_lossy(&pages.stdout);
            assert_eq!(
                pages.status.code(),
                Some(0),
                "{what}: {}",
                String::from_utf8_lossy(&pages.stderr)
            );
            let ids: Vec<i64> = stdout
                .lines()
                .map(|line| {
                    serde_json::from_str::<Value>(line).unwrap()["id"]
                        .as_i64()
                        .unwrap()
                })
                .collect();
            assert_eq!(ids, [1, 2, 3, 4, 5], "{what}: {stdout}");

            // Each next-page link is signed as the server wrote it.
            let links = run("links", &["--all-pages"]);
            let stdout = String::from_utf8_lossy(&links.stdout);
            assert_eq!(
                links.status.code(),
                Some(0),
                "{what}: {}",
                String::from_utf8_lossy(&links.stderr)
            );
            assert_eq!(stdout.lines().count(), 3, "{what}: {stdout}");
            let verified = server.verified();
            let linked: Vec<&Value> = verified.iter().rev().take(3).collect();
            assert_eq!(linked[0]["query"]["tag"], "a b+c", "{what}: {linked:?}");
            assert_eq!(linked[0]["query"]["cursor"], "2", "{what}: {linked:?}");
            assert_eq!(
                linked[2]["query"],
                serde_json::json!({}),
                "{what}: {linked:?}"
            );

            // The first attempt is answered 503 (after its signature was
            // verified), the retry carries a new nonce, else the server
            // would refuse it as a replay.
            succeeded(&run("flaky", &[]), &what);
            let verified = server.verified();
            let flaky: Vec<&Value> = verified.iter().rev().take(2).collect();
            assert!(
                flaky.iter().all(|r| r["path"] == "/flaky"),
                "{what}: {flaky:?}"
            );
            assert_ne!(
                flaky[0]["oauth"]["oauth_nonce"],
                flaky[1]["oauth"]["oauth_nonce"]
            );

            expected_requests += 1 + 1 + 3 + 3 + 2;
            assert_eq!(verified.len(), expected_requests, "{what}: {verified:#?}");
            let items: Vec<&Value> = verified
                .iter()
                .rev()
                .skip(2 + 3)
                .take(3)
                .collect::<Vec<_>>()
                .into_iter()
                .rev()
                .collect();
            for (page, request) in items.iter().enumerate() {
                assert_eq!(request["path"], "/items");
                assert_eq!(
                    request["query"]["page"],
                    (page + 1).to_string(),
                    "{what}: {request}"
                );
                assert_eq!(request["query"]["per_page"], "2");
            }
            for request in verified.iter().rev().take(10) {
                assert_eq!(request["realm"], "1234567_SB1", "{what}: {request}");
                let expected = match method {
                    "hmac_sha256" => "HMAC-SHA256",
                    "hmac_sha1" => "HMAC-SHA1",
                    _ => "PLAINTEXT",
                };
                assert_eq!(request["oauth"]["oauth_signature_method"], expected);
            }
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_wrong_secret_is_refused_by_the_server() {
    let server = Server::start();
    let dir = temp_dir("oauth1-wrong");
    let wrong = Credentials {
        token_secret: "wrong-token-secret",
        ..PLAIN
    };
    let file = instance(&dir, "hmac_sha256", &server.base, &wrong);
    let output = patchbay(
        &[
            "run",
            SPEC,
            "--instance",
            file.to_str().unwrap(),
            "--endpoint",
            "echo",
            "--var",
            "q=x",
        ],
        &wrong,
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(server.verified().is_empty());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_signed_request_does_not_follow_a_redirect_to_another_origin_with_its_signature() {
    let server = Server::start();
    let other = Server::start();
    let dir = temp_dir("oauth1-redirect");
    let file = instance(&dir, "hmac_sha256", &server.base, &PLAIN);
    let target = format!("{}/echo?q=x", other.base);
    let output = patchbay(
        &[
            "run",
            SPEC,
            "--instance",
            file.to_str().unwrap(),
            "--endpoint",
            "redirect",
            "--var",
            &format!("to={target}"),
        ],
        &PLAIN,
    );
    // The other origin gets the request without any signature, and
    // refuses it.
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(stderr.contains("401"), "{stderr}");
    assert!(other.verified().is_empty());
    assert!(!stderr.contains("oauth_consumer_key"), "{stderr}");
    std::fs::remove_dir_all(dir).unwrap();
}

/// The consumer secret, the token and its secret, and every signature
/// sent, through lint, compile, a dry run, a run, all pages and failing
/// runs (the server echoes the refused `Authorization` header), with
/// trace logs on: none appears in any output, in any encoding.
#[test]
fn oauth1_secrets_and_signatures_appear_in_no_output() {
    let server = Server::start();
    let dir = temp_dir("oauth1-sentinel");
    let sentinel = Credentials {
        consumer_key: "patchbayconsumer",
        consumer_secret: "SENTINEL-cons\"umer+%20 é",
        token: "SENTINEL-token-7c1e",
        token_secret: "SENTINEL-tok&en:sec/ret",
    };
    let mut outputs = Vec::new();
    for (method, credentials) in [
        ("hmac_sha256", &SPECIAL),
        ("plaintext", &SPECIAL),
        ("hmac_sha256", &sentinel),
        ("plaintext", &sentinel),
    ] {
        let file = instance(&dir, method, &server.base, credentials);
        let file = file.to_str().unwrap().to_owned();
        for args in [
            vec!["lint", SPEC],
            vec!["compile", SPEC],
            vec![
                "run",
                SPEC,
                "--instance",
                &file,
                "--endpoint",
                "echo",
                "--var",
                "q=x",
                "--dry-run",
            ],
            vec![
                "run",
                SPEC,
                "--instance",
                &file,
                "--endpoint",
                "form",
                "--var",
                "name=x",
                "--dry-run",
            ],
            vec![
                "run",
                SPEC,
                "--instance",
                &file,
                "--endpoint",
                "echo",
                "--var",
                "q=x",
            ],
            vec![
                "run",
                SPEC,
                "--instance",
                &file,
                "--endpoint",
                "items",
                "--all-pages",
            ],
        ] {
            let output = patchbay(&args, credentials);
            outputs.push((
                args.join(" "),
                credentials,
                format!(
                    "{}{}",
                    String::from_utf8_lossy(&output.stdout),
                    String::from_utf8_lossy(&output.stderr)
                ),
            ));
        }
    }
    let verified = server.verified();
    let refused = server.refused();
    let signatures: Vec<String> = verified
        .iter()
        .map(|r| &r["oauth"]["oauth_signature"])
        .chain(&refused)
        .map(|s| s.as_str().unwrap().to_owned())
        .collect();
    assert!(!verified.is_empty() && !refused.is_empty());
    for (args, credentials, everything) in &outputs {
        if args.contains("--dry-run") {
            assert!(
                everything.contains("Authorization: OAuth ********"),
                "{args}: {everything}"
            );
        }
        let secrets = [
            credentials.consumer_secret,
            credentials.token,
            credentials.token_secret,
        ];
        let forms = secrets
            .iter()
            .flat_map(|secret| encodings(secret))
            .chain(signatures.iter().flat_map(|signature| encodings(signature)));
        for form in forms {
            assert!(
                !everything.contains(&form),
                "`patchbay {args}` wrote a secret or signature as `{form}`:\n{everything}"
            );
        }
        assert!(
            !everything.contains("SENTINEL"),
            "`patchbay {args}`:\n{everything}"
        );
    }
    std::fs::remove_dir_all(dir).unwrap();
}
