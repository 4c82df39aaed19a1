//! Concurrent `patchbay run` processes sharing one instance's stored
//! tokens, against the loopback OAuth server (oidc-provider) with
//! short-lived tokens, rotating refresh tokens, and a refresh that revokes
//! the access token it replaces: no call fails, and the processes make
//! about one refresh per token lifetime between them.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::collections::BTreeMap;
use std::process::Command;
use std::time::{Duration, Instant};

#[path = "common/browser.rs"]
mod browser;
mod common;

use browser::{http, log_in_without_browser, start_login};
use common::{Server, workspace};

const SPEC: &str = "cli/tests/data/oauth-test-server.toml";
const PROCESSES: usize = 16;
const CALLS_PER_PROCESS: usize = 5;
const TOKEN_LIFETIME_SECONDS: u32 = 5;
/// Between one process's calls: five calls then span more than one token
/// lifetime, so tokens expire and are renewed while processes use them.
const PAUSE: Duration = Duration::from_millis(1500);

/// Successful refresh grants so far, as the server counted them.
fn refresh_grants(server: &Server) -> u64 {
    let (status, _, body) = http(
        "GET",
        &format!("{}/test/grants", server.base),
        &BTreeMap::new(),
        None,
    );
    assert_eq!(status, 200, "{body}");
    let counts: serde_json::Value = serde_json::from_str(&body).unwrap();
    counts["refresh_token"].as_u64().unwrap_or(0)
}

#[test]
fn concurrent_runs_share_short_lived_rotating_tokens() {
    let server = Server::revoking_replaced_tokens(TOKEN_LIFETIME_SECONDS);
    let home = std::env::temp_dir().join(format!("patchbay-concurrency-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&home);
    std::fs::create_dir_all(&home).unwrap();
    let instance = home.join("instance.toml");
    std::fs::write(
        &instance,
        format!(
            "connector = \"oauth-test-server\"\nauth = \"code_public\"\n[values]\nbase = \"{}\"\nclient_id = \"code-public\"\n",
            server.base
        ),
    )
    .unwrap();
    let instance = instance.to_str().unwrap().to_owned();

    let (mut login, url) = start_login(SPEC, &instance, &home, &[]);
    log_in_without_browser(&url);
    assert!(login.wait().unwrap().success(), "the login succeeds");

    let started = Instant::now();
    let workers: Vec<_> = (0..PROCESSES)
        .map(|worker| {
            let (home, instance) = (home.clone(), instance.clone());
            std::thread::spawn(move || {
                let mut failures = Vec::new();
                for call in 0..CALLS_PER_PROCESS {
                    if call > 0 {
                        std::thread::sleep(PAUSE);
                    }
                    let output = Command::new(env!("CARGO_BIN_EXE_patchbay"))
                        .args(["run", SPEC, "--instance", &instance, "--endpoint", "me"])
                        .current_dir(workspace())
                        .env("PATCHBAY_HOME", &home)
                        .output()
                        .unwrap();
                    if !output.status.success() {
                        failures.push(format!(
                            "process {worker}, call {call}: {}",
                            String::from_utf8_lossy(&output.stderr).trim()
                        ));
                    }
                }
                failures
            })
        })
        .collect();
    let failures: Vec<String> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    let elapsed = started.elapsed();
    let refreshes = refresh_grants(&server);
    let calls = PROCESSES * CALLS_PER_PROCESS;
    // The figures, for `cargo test --test concurrency -- --nocapture`.
    eprintln!(
        "{calls} calls, {} failed, {refreshes} refresh grants in {elapsed:?}",
        failures.len()
    );
    assert!(
        failures.is_empty(),
        "{} of {calls} calls failed in {elapsed:?} ({refreshes} refresh grants):\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The pauses alone outlast the login's token: renewals happened while
    // other processes were using the tokens they replaced.
    assert!(refreshes >= 1, "no token was renewed in {elapsed:?}");
    let lifetimes = (elapsed.as_secs_f64() / f64::from(TOKEN_LIFETIME_SECONDS)).ceil() as u64;
    assert!(
        refreshes <= lifetimes + 1,
        "{refreshes} refresh grants in {elapsed:?} of {TOKEN_LIFETIME_SECONDS}-second tokens: at most {} expected",
        lifetimes + 1
    );
    std::fs::remove_dir_all(&home).unwrap();
}
