//! The JWT bearer grant (RFC 7523 §2.1) against a server that verifies
//! every assertion with the issuer's public key: Authlib's
//! `JWTBearerGrant` (runtime/tests/jwt_bearer/server.py, installed by
//! `scripts/test` into its own virtualenv), which checks the signature,
//! `iss`, `aud` (its token endpoint), `exp`, `iat`, and refuses a `jti`
//! it has seen. RS256 and ES256, PKCS#8, PKCS#1 and SEC1 PEMs and a Google
//! service-account key file.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

#[path = "support/python_server.rs"]
mod python_server;

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};

use common::{connect_to, connector, expect_err, fast, instance};
use patchbay_runtime::{Call, Error, RequestBody};
use python_server::PythonServer;
use serde_json::{Value, json};

/// The Authlib server, stopped when dropped.
struct Server {
    _process: PythonServer,
    base: String,
}

fn tests_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests")
}

impl Server {
    fn start() -> Server {
        let process = PythonServer::start("jwt_bearer");
        let base = process.base.clone();
        Server {
            _process: process,
            base,
        }
    }

    /// The `jti` of every assertion the server accepted, in order.
    fn accepted(&self) -> Vec<String> {
        let (status, body) = http(&self.base, "GET", "/test/accepted", "");
        assert_eq!(status, 200);
        serde_json::from_str::<Value>(&body).unwrap()["jti"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    }
}

/// One HTTP/1.1 request by hand, so that a test can send a body exactly
/// as it was made (a replay); the status and the body of the answer.
fn http(base: &str, method: &str, path: &str, form: &str) -> (u16, String) {
    let address = base.strip_prefix("http://").unwrap();
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{form}",
        form.len()
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let status = answer[9..12].parse().unwrap();
    let body = answer
        .split_once("\r\n\r\n")
        .map_or("", |(_, body)| body)
        .to_owned();
    (status, body)
}

fn key(file: &str) -> String {
    std::fs::read_to_string(tests_folder().join("keys").join(file)).unwrap()
}

fn spec(assertion: &str) -> String {
    format!(
        r#"
[auth.sa]
type = "oauth2_jwt_bearer"
use = ["base"]
token_url = "{{{{ base }}}}/token"
{assertion}

[endpoints.me]
url = "{{{{ base }}}}/api/me"
"#
    )
}

const RSA_ISSUER: &str = "rsa-service@patchbay.test";
const EC_ISSUER: &str = "ec-service@patchbay.test";
const GOOGLE_ISSUER: &str = "sync@patchbay-test.iam.gserviceaccount.com";
const GOOGLE_KEY_ID: &str = "0123456789abcdef0123456789abcdef01234567";

#[tokio::test]
async fn every_kind_of_key_gets_a_token_the_server_verified_and_the_api_accepts() {
    let server = Server::start();
    let cases = [
        ("", "rsa.pem", RSA_ISSUER, None),
        ("", "rsa-pkcs1.pem", RSA_ISSUER, None),
        (
            "assertion = { algorithm = \"ES256\" }",
            "ec.pem",
            EC_ISSUER,
            None,
        ),
        (
            "assertion = { algorithm = \"ES256\" }",
            "ec-sec1.pem",
            EC_ISSUER,
            None,
        ),
        ("", "google-sa.json", GOOGLE_ISSUER, Some(GOOGLE_KEY_ID)),
    ];
    for (assertion, file, issuer, kid) in cases {
        let connection = connect_to(
            &server.base,
            &spec(assertion),
            json!({
                "issuer": issuer,
                "subject": "ada@patchbay.test",
                "private_key": key(file),
                "scope": ["read", "write"],
            }),
            fast(),
        );
        let response = connection.call("me", &Call::default()).await;
        let response = response.unwrap_or_else(|e| panic!("{file}: {e}"));
        let me: Value = serde_json::from_slice(&response.body).unwrap();
        let algorithm = if file.starts_with("ec") {
            "ES256"
        } else {
            "RS256"
        };
        assert_eq!(me["iss"], issuer, "{file}: {me}");
        assert_eq!(me["sub"], "ada@patchbay.test", "{file}: {me}");
        assert_eq!(me["scope"], "read write", "{file}: {me}");
        assert_eq!(me["alg"], algorithm, "{file}: {me}");
        assert_eq!(me["kid"].as_str(), kid, "{file}: {me}");
    }
    assert_eq!(server.accepted().len(), cases.len());
}

#[tokio::test]
async fn every_token_request_signs_a_new_assertion_and_a_replayed_one_is_refused() {
    let server = Server::start();
    let given = json!({ "issuer": RSA_ISSUER, "private_key": key("rsa.pem") });
    // Each connection has its own token cache: two token requests.
    for _ in 0..2 {
        let connection = connect_to(&server.base, &spec(""), given.clone(), fast());
        connection.call("me", &Call::default()).await.unwrap();
    }
    let accepted = server.accepted();
    assert_eq!(accepted.len(), 2);
    assert_ne!(accepted[0], accepted[1], "each assertion has its own jti");

    // The token request as it would be sent, sent twice: the server takes
    // the assertion once.
    let connection = connect_to(&server.base, &spec(""), given, fast());
    let requests = connection.dry_run("me", &Call::default()).unwrap();
    let again = connection.dry_run("me", &Call::default()).unwrap();
    let Some(RequestBody::Form(form)) = &requests[0].body else {
        panic!("the token request has a form body");
    };
    assert_ne!(
        requests[0].body, again[0].body,
        "a new assertion per request"
    );
    let (status, body) = http(&server.base, "POST", "/token", form);
    assert_eq!(status, 200, "{body}");
    let (status, body) = http(&server.base, "POST", "/token", form);
    assert_eq!(status, 400, "{body}");
    assert!(
        body.contains("invalid_grant") && body.contains("jti"),
        "{body}"
    );
}

#[tokio::test]
async fn an_assertion_signed_with_another_key_is_refused_without_showing_it() {
    let server = Server::start();
    let private_key = key("ec.pem");
    // The RSA issuer's assertions must verify with its RSA public key.
    let connection = connect_to(
        &server.base,
        &spec("assertion = { algorithm = \"ES256\" }"),
        json!({ "issuer": RSA_ISSUER, "private_key": private_key }),
        fast(),
    );
    let requests = connection.dry_run("me", &Call::default()).unwrap();
    let error = expect_err(connection.call("me", &Call::default()).await);
    assert!(
        matches!(&error, Error::OAuth { error, .. } if error == "invalid_grant"),
        "{error}"
    );
    let shown = format!("{error} {error:?}");
    assert!(!shown.contains("PRIVATE KEY"), "{shown}");
    assert!(!shown.contains("eyJ"), "no assertion in the error: {shown}");
    let curl = requests[0].to_curl(&connection.redactor());
    assert!(curl.contains("assertion=********"), "{curl}");
    assert!(!curl.contains("eyJ"), "{curl}");
}

#[test]
fn a_malformed_key_is_an_error_naming_the_instance_key() {
    let connector = connector(&spec(""));
    let sentinel = "SENTINEL-key-7f3a";
    for value in [
        sentinel.to_owned(),
        format!("-----BEGIN PRIVATE KEY-----\n{sentinel}\n-----END PRIVATE KEY-----\n"),
        format!(r#"{{"type": "service_account", "private_key": "{sentinel}"}}"#),
        format!(r#"{{"type": "service_account", "private_key_id": "{sentinel}""#),
        key("ec.pem"),
    ] {
        let given = json!({ "issuer": RSA_ISSUER, "private_key": value });
        let error = instance(&connector, "http://127.0.0.1:9", given)
            .map(|_| ())
            .unwrap_err();
        let Error::Instance { key, message } = &error else {
            panic!("not an instance error: {error}");
        };
        assert_eq!(key, "private_key");
        assert!(!message.contains(sentinel), "{message}");
        assert!(!message.contains("PRIVATE KEY-----\nMI"), "{message}");
    }
}

/// The server checks what patchbay puts in the claims: an audience other
/// than its token endpoint, or a lifetime over its hour, is refused.
#[tokio::test]
async fn the_server_refuses_a_wrong_audience_and_a_long_lifetime() {
    let server = Server::start();
    for assertion in [
        "assertion = { claims = { aud = \"https://elsewhere.example/token\" } }",
        "assertion = { lifetime = 7200 }",
    ] {
        let connection = connect_to(
            &server.base,
            &spec(assertion),
            json!({ "issuer": RSA_ISSUER, "private_key": key("rsa.pem") }),
            fast(),
        );
        let error = expect_err(connection.call("me", &Call::default()).await);
        assert!(
            matches!(&error, Error::OAuth { error, .. } if error == "invalid_grant"),
            "{assertion}: {error}"
        );
    }
    assert!(server.accepted().is_empty());
}
