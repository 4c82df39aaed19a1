//! `patchbay auth login --device` (RFC 8628) against a real OAuth server
//! (oidc-provider on loopback, `features.deviceFlow`): the test plays the
//! user on another device over HTTP (verification page, user code, login,
//! consent) while the CLI polls. Then `auth token` and `run` use the stored
//! tokens, a refresh renews them, and `logout` revokes them. A denial and
//! an expired device code end the login with their own message.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

#[allow(dead_code)] // the browser login's helpers; this file uses its `http`
#[path = "common/browser.rs"]
mod browser;
mod common;
#[path = "common/device.rs"]
mod device;

use common::{Server, workspace};
use device::{Answer, answer_on_another_device, start_device_login};

const SPEC: &str = "cli/tests/data/oauth-test-server.toml";
const CONFIDENTIAL_SECRET: &str = "device+secret:1";

fn patchbay(home: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(workspace())
        .env("PATCHBAY_HOME", home)
        .env("CLIENT_SECRET", CONFIDENTIAL_SECRET)
        .output()
        .unwrap()
}

fn home(name: &str) -> PathBuf {
    let home = std::env::temp_dir().join(format!("patchbay-device-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    home
}

fn instance(home: &Path, method: &str, client: &str, base: &str) -> String {
    let path = home.join("instance.toml");
    let secret = if method == "device_confidential" {
        "client_secret = { env = \"CLIENT_SECRET\" }\n"
    } else {
        ""
    };
    std::fs::write(
        &path,
        format!("connector = \"oauth-test-server\"\nauth = \"{method}\"\n[values]\nbase = \"{base}\"\nclient_id = \"{client}\"\n{secret}"),
    )
    .unwrap();
    path.to_str().unwrap().to_owned()
}

/// `GET {base}{target}` with a bearer token: status and body.
fn get_with_token(base: &str, target: &str, token: &str) -> (u16, String) {
    let url = url::Url::parse(base).unwrap();
    let mut stream = TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).unwrap();
    write!(
        stream,
        "GET {target} HTTP/1.1\r\nhost: {}\r\nauthorization: Bearer {token}\r\nconnection: close\r\n\r\n",
        url.authority()
    )
    .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    let status = response.split(' ').nth(1).unwrap().parse().unwrap();
    let body = response.split_once("\r\n\r\n").unwrap().1.to_owned();
    (status, body)
}

fn grants(base: &str) -> serde_json::Value {
    let (status, _, body) = browser::http(
        "GET",
        &format!("{base}/test/grants"),
        &Default::default(),
        None,
    );
    assert_eq!(status, 200);
    serde_json::from_str(&body).unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const DEVICE_GRANT: &str = "urn:ietf:params:oauth:grant-type:device_code";

#[test]
fn a_device_login_then_token_run_refresh_and_logout() {
    let server = Server::with_env(&[("DEVICE_POLL_INTERVAL", "1"), ("ACCESS_TOKEN_TTL", "2")]);
    let home = home("public");
    let instance = instance(&home, "device_public", "device-public", &server.base);

    let login = start_device_login(SPEC, &instance, &home, &[]);
    assert!(
        login
            .shown
            .starts_with(&format!("Open {}/device and enter the code: ", server.base)),
        "{}",
        login.shown
    );
    // oidc-provider's default user codes: base-20 letters, `****-****`.
    assert_eq!(login.user_code.len(), 9, "{}", login.shown);
    assert!(
        login
            .verification_uri_complete
            .ends_with(&format!("user_code={}", login.user_code)),
        "{}",
        login.shown
    );
    answer_on_another_device(&login.verification_uri_complete, Answer::Approve);
    let ended = login.finish();
    // Only what the user needs goes to stdout.
    assert_eq!(ended.stdout.lines().count(), 2, "{}", ended.stdout);
    let (success, stderr_text) = (ended.success, ended.stderr);
    assert!(success, "{stderr_text}");
    assert!(
        stderr_text.contains("Waiting for the approval") && stderr_text.contains("Logged in"),
        "{stderr_text}"
    );

    // `auth token` shows the stored token, which the test API accepts.
    let token = patchbay(
        &home,
        &[
            "auth",
            "token",
            SPEC,
            "--instance",
            &instance,
            "--show-secret",
        ],
    );
    assert_eq!(token.status.code(), Some(0), "{}", stderr(&token));
    let shown = stdout(&token);
    assert!(shown.contains("refresh_token: yes"), "{shown}");
    let access = shown
        .lines()
        .find_map(|l| l.strip_prefix("access_token: "))
        .unwrap();
    let (status, me) = get_with_token(&server.base, "/api/me", access);
    assert_eq!(status, 200, "{me}");
    let me: serde_json::Value = serde_json::from_str(&me).unwrap();
    assert_eq!(me["client_id"], "device-public");
    assert_eq!(me["sub"], "alice");

    // The access token lives 2 s: this run refreshes it, as after a
    // browser login.
    std::thread::sleep(Duration::from_millis(2100));
    let run = patchbay(
        &home,
        &["run", SPEC, "--instance", &instance, "--endpoint", "me"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let me: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(me["sub"], "alice");
    let counts = grants(&server.base);
    assert_eq!(counts[DEVICE_GRANT], 1, "{counts}");
    assert_eq!(counts["refresh_token"], 1, "{counts}");

    let status = patchbay(&home, &["auth", "status", SPEC, "--instance", &instance]);
    assert!(stdout(&status).contains("logged in"), "{}", stdout(&status));
    let logout = patchbay(&home, &["auth", "logout", SPEC, "--instance", &instance]);
    assert_eq!(logout.status.code(), Some(0), "{}", stderr(&logout));
    assert!(stdout(&logout).contains("revoked"), "{}", stdout(&logout));
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_confidential_client_logs_in_on_another_device() {
    let server = Server::with_env(&[("DEVICE_POLL_INTERVAL", "1")]);
    let home = home("confidential");
    let instance = instance(
        &home,
        "device_confidential",
        "device-confidential",
        &server.base,
    );
    let login = start_device_login(
        SPEC,
        &instance,
        &home,
        &[("CLIENT_SECRET", CONFIDENTIAL_SECRET)],
    );
    answer_on_another_device(&login.verification_uri_complete, Answer::Approve);
    let ended = login.finish();
    let (success, stderr_text) = (ended.success, ended.stderr);
    assert!(success, "{stderr_text}");
    let run = patchbay(
        &home,
        &["run", SPEC, "--instance", &instance, "--endpoint", "me"],
    );
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    let me: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(me["client_id"], "device-confidential");
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_denied_device_login_says_so() {
    let server = Server::with_env(&[("DEVICE_POLL_INTERVAL", "1")]);
    let home = home("denied");
    let instance = instance(&home, "device_public", "device-public", &server.base);
    let login = start_device_login(SPEC, &instance, &home, &[]);
    answer_on_another_device(&login.verification_uri_complete, Answer::Deny);
    let ended = login.finish();
    let (success, stderr_text) = (ended.success, ended.stderr);
    assert!(!success);
    assert!(
        stderr_text
            .contains("device login of auth method `device_public` ended: the user denied it")
            && stderr_text.contains("access_denied"),
        "{stderr_text}"
    );
    let status = patchbay(&home, &["auth", "status", SPEC, "--instance", &instance]);
    assert_eq!(status.status.code(), Some(1), "nothing was stored");
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_device_code_nobody_approves_expires_with_a_clear_message() {
    let server = Server::with_env(&[("DEVICE_POLL_INTERVAL", "1"), ("DEVICE_CODE_TTL", "2")]);
    let home = home("expired");
    let instance = instance(&home, "device_public", "device-public", &server.base);
    let login = start_device_login(SPEC, &instance, &home, &[]);
    let ended = login.finish();
    let (success, stderr_text) = (ended.success, ended.stderr);
    assert!(!success);
    assert!(
        stderr_text.contains("the user did not approve it within 2 s"),
        "{stderr_text}"
    );
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn a_method_without_a_device_login_says_how_to_get_one() {
    let server = Server::start();
    let home = home("none");
    let instance = instance(&home, "code_public", "code-public", &server.base);
    let login = patchbay(
        &home,
        &["auth", "login", SPEC, "--instance", &instance, "--device"],
    );
    assert_eq!(login.status.code(), Some(1));
    assert!(
        stderr(&login).contains("has no device login")
            && stderr(&login).contains("device_authorization_url"),
        "{}",
        stderr(&login)
    );
    std::fs::remove_dir_all(&home).unwrap();
}
