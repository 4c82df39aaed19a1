//! `patchbay auth login` against a real OAuth server (oidc-provider on
//! loopback), driven without a browser: the test follows the authorize
//! redirect, submits the provider's login and consent forms over HTTP, and
//! delivers the callback to the CLI's listener. Then `run` uses and
//! refreshes the stored tokens, `status` shows them, `logout` revokes them.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::io::Read;
use std::path::Path;
use std::process::{Command, Output};

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::{log_in_without_browser, start_login};
use common::{Server, workspace};

const SPEC: &str = "cli/tests/data/oauth-test-server.toml";

fn patchbay(home: &Path, secret: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(workspace())
        .env("PATCHBAY_HOME", home)
        .env("CLIENT_SECRET", secret)
        .output()
        .unwrap()
}

fn stored_refresh_token(home: &Path) -> String {
    let folder = home.join("tokens");
    let file = std::fs::read_dir(&folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.extension().is_some_and(|e| e == "json"))
        .expect("a stored token file");
    let stored: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    stored["refresh_token"].as_str().unwrap().to_owned()
}

fn login_then_run(method: &str, client: &str, secret_line: &str, secret: &str) {
    let server = Server::with_token_lifetime(2);
    let home = std::env::temp_dir().join(format!("patchbay-login-{method}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let instance = home.join("instance.toml");
    std::fs::write(
        &instance,
        format!("connector = \"oauth-test-server\"\nauth = \"{method}\"\n[values]\nbase = \"{}\"\nclient_id = \"{client}\"\n{secret_line}", server.base),
    )
    .unwrap();
    let instance = instance.to_str().unwrap();

    // Not logged in yet: a call says so.
    let before = patchbay(
        &home,
        secret,
        &["run", SPEC, "--instance", instance, "--endpoint", "me"],
    );
    assert_eq!(before.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&before.stderr).contains("needs a new login"),
        "{}",
        String::from_utf8_lossy(&before.stderr)
    );

    let (mut login, url) = start_login(SPEC, instance, &home, &[("CLIENT_SECRET", secret)]);
    let url = url.as_str();
    assert!(url.starts_with(&format!("{}/auth?", server.base)), "{url}");
    assert!(url.contains("code_challenge_method=S256"), "{url}");
    assert!(
        url.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"),
        "{url}"
    );
    log_in_without_browser(url);
    let status = login.wait().unwrap();
    let mut stderr = String::new();
    login
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");
    assert!(stderr.contains("Logged in"), "{stderr}");

    let first_refresh = stored_refresh_token(&home);
    // The access token lives 2 s: once it has expired, this call
    // refreshes, and the provider rotates the refresh token.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let run = patchbay(
        &home,
        secret,
        &["run", SPEC, "--instance", instance, "--endpoint", "me"],
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let me: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(me["client_id"], client);
    assert_eq!(me["sub"], "alice");
    let second_refresh = stored_refresh_token(&home);
    assert_ne!(
        first_refresh, second_refresh,
        "the rotated refresh token is stored"
    );
    // And the rotated one works for the next refresh.
    std::thread::sleep(std::time::Duration::from_millis(2100));
    let again = patchbay(
        &home,
        secret,
        &["run", SPEC, "--instance", instance, "--endpoint", "me"],
    );
    assert_eq!(
        again.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let status = patchbay(
        &home,
        secret,
        &["auth", "status", SPEC, "--instance", instance],
    );
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(
        shown.contains("logged in") && shown.contains("refresh token: yes"),
        "{shown}"
    );
    assert!(
        !shown.contains(&stored_refresh_token(&home)),
        "status never shows a token"
    );

    let logout = patchbay(
        &home,
        secret,
        &["auth", "logout", SPEC, "--instance", instance],
    );
    assert_eq!(
        logout.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&logout.stderr)
    );
    assert!(String::from_utf8_lossy(&logout.stdout).contains("revoked"));
    let after = patchbay(
        &home,
        secret,
        &["auth", "status", SPEC, "--instance", instance],
    );
    assert_eq!(after.status.code(), Some(1));
    std::fs::remove_dir_all(&home).unwrap();
}

#[test]
fn login_with_a_confidential_client_then_run_and_refresh() {
    login_then_run(
        "code_confidential",
        "code-confidential",
        "client_secret = { env = \"CLIENT_SECRET\" }\n",
        "code+secret:1",
    );
}

/// The code exchange, each refresh and the revocation authenticate the
/// client with a new `private_key_jwt` assertion, which oidc-provider
/// verifies (a reused `jti` would be refused).
#[test]
fn login_with_a_private_key_jwt_client_then_run_refresh_and_revoke() {
    let key = std::fs::read_to_string(workspace().join("runtime/tests/keys/rsa.pem")).unwrap();
    login_then_run(
        "code_private_key_jwt",
        "code-private-key-jwt",
        "private_key = { env = \"CLIENT_SECRET\" }\n",
        &key,
    );
}

#[test]
fn login_with_a_public_client_then_run_and_refresh() {
    login_then_run("code_public", "code-public", "", "");
}

/// A discovery against the real server: after the login, the test API's
/// `/api/me` is read with the new token, its `sub` is stored with the
/// tokens, `auth status` lists it, and endpoint requests send it.
#[test]
fn a_login_discovers_the_account_with_the_new_token() {
    const SPEC: &str = "cli/tests/data/oauth-test-server-discovery.toml";
    let server = Server::start();
    let home =
        std::env::temp_dir().join(format!("patchbay-login-discovery-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let instance = home.join("instance.toml");
    std::fs::write(
        &instance,
        format!(
            "connector = \"oauth-test-server-discovery\"\nauth = \"code_public\"\n[values]\nbase = \"{}\"\nclient_id = \"code-public\"\n",
            server.base
        ),
    )
    .unwrap();
    let instance = instance.to_str().unwrap();

    let (mut login, url) = start_login(SPEC, instance, &home, &[]);
    log_in_without_browser(&url);
    let status = login.wait().unwrap();
    let mut stderr = String::new();
    login
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{stderr}");

    let status = patchbay(&home, "", &["auth", "status", SPEC, "--instance", instance]);
    let shown = String::from_utf8_lossy(&status.stdout);
    assert!(shown.contains("discovered: account = alice"), "{shown}");

    // The stored value goes out with endpoint requests.
    let dry = patchbay(
        &home,
        "",
        &[
            "run",
            SPEC,
            "--instance",
            instance,
            "--endpoint",
            "items",
            "--dry-run",
        ],
    );
    let shown = String::from_utf8_lossy(&dry.stdout);
    assert!(shown.contains("owner=alice"), "{shown}");
    let run = patchbay(
        &home,
        "",
        &["run", SPEC, "--instance", instance, "--endpoint", "me"],
    );
    assert_eq!(
        run.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let me: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(me["sub"], "alice");
    std::fs::remove_dir_all(&home).unwrap();
}
