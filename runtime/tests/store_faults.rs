//! Fault tests of the token store, across real processes: the test binary
//! re-runs itself as the child (`writer_child`, `refresher_child`), doing
//! nothing unless its environment variables are set.
//!
//! - A process killed (SIGKILL) during a write leaves the old or the new
//!   tokens, never a torn file.
//! - Two processes refreshing the same connection at once make one refresh
//!   request: the second waits on the store's lock and finds the first
//!   one's tokens.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use common::{connection, connector, fast, form, header, received_at};
use patchbay_runtime::{Call, FileStore, StoredToken, TokenStore};
use serde_json::json;
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

const KEY: &str = "t/code/instance";

/// A folder of its own under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        TempDir(std::env::temp_dir().join(format!(
            "patchbay-faults-{name}-{}-{nanos}",
            std::process::id()
        )))
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

/// This test binary, running only `test`, with `env` set.
fn spawn_self(test: &str, env: &[(&str, &str)], output: bool) -> Child {
    let mut command = Command::new(std::env::current_exe().unwrap());
    command.args(["--exact", test, "--nocapture", "--test-threads", "1"]);
    for (name, value) in env {
        command.env(name, value);
    }
    let io = || {
        if output {
            Stdio::piped()
        } else {
            Stdio::null()
        }
    };
    command.stdin(Stdio::null()).stdout(io()).stderr(io());
    command.spawn().unwrap()
}

// ---- a write killed midway -------------------------------------------------

const WRITER_DIR: &str = "PATCHBAY_WRITER_DIR";
/// 200 kB access tokens, so that a write takes a while.
const BIG: usize = 200_000;

fn big_token(fill: char, refresh: &str) -> StoredToken {
    StoredToken {
        access_token: std::iter::repeat_n(fill, BIG).collect(),
        refresh_token: Some(refresh.to_owned()),
        token_type: Some("Bearer".to_owned()),
        expires_at: Some(2_000_000_000),
        expires_at_millis: None,
        lifetime: Some(3600),
        scope: Some("read write".to_owned()),
        captures: BTreeMap::from([("realm_id".to_owned(), json!("42"))]),
        discovered: Default::default(),
        candidates: Vec::new(),
    }
}

fn seed_token() -> StoredToken {
    StoredToken {
        access_token: "seed".to_owned(),
        refresh_token: Some("seed-refresh".to_owned()),
        token_type: None,
        expires_at: None,
        expires_at_millis: None,
        lifetime: None,
        scope: None,
        captures: BTreeMap::new(),
        discovered: Default::default(),
        candidates: Vec::new(),
    }
}

/// The child: saves `a…` and `b…` tokens in turn until it is killed (or,
/// should the parent be gone, for at most 20 s).
#[test]
fn writer_child() {
    let Some(folder) = std::env::var_os(WRITER_DIR) else {
        return;
    };
    let store = FileStore::new(PathBuf::from(folder)).unwrap();
    let tokens = [big_token('a', "refresh-a"), big_token('b', "refresh-b")];
    let deadline = Instant::now() + Duration::from_secs(20);
    let mut n = 0usize;
    while Instant::now() < deadline {
        store.save_blocking(KEY, &tokens[n % 2]).unwrap();
        n += 1;
    }
}

#[test]
fn a_write_killed_midway_leaves_old_or_new_tokens() {
    const KILLS: usize = 30;
    let dir = TempDir::new("writer");
    let store = FileStore::new(dir.path()).unwrap();
    let (a, b, seed) = (
        big_token('a', "refresh-a"),
        big_token('b', "refresh-b"),
        seed_token(),
    );
    let folder = dir.path().to_str().unwrap().to_owned();
    let started = Instant::now();
    let mut seen = [0usize; 2];
    for round in 0..KILLS {
        // The seed marks "the child has not written yet".
        store.save_blocking(KEY, &seed).unwrap();
        let mut child = spawn_self("writer_child", &[(WRITER_DIR, &folder)], false);
        let wait_until = Instant::now() + Duration::from_secs(10);
        loop {
            let loaded = store.load_blocking(KEY).unwrap().unwrap();
            if loaded != seed {
                break;
            }
            assert!(
                Instant::now() < wait_until,
                "round {round}: the child wrote nothing in 10 s"
            );
            if let Some(status) = child.try_wait().unwrap() {
                panic!("round {round}: the child exited ({status}) before writing");
            }
            std::thread::sleep(Duration::from_millis(1));
        }
        // Kill it at a random point of its writing.
        std::thread::sleep(Duration::from_millis(fastrand::u64(5..=60)));
        child.kill().unwrap();
        let status = child.wait().unwrap();
        assert!(!status.success(), "round {round}: the child was not killed");

        match store.load_blocking(KEY) {
            Ok(Some(token)) if token == a => seen[0] += 1,
            Ok(Some(token)) if token == b => seen[1] += 1,
            Ok(Some(token)) => panic!(
                "round {round}: a token that was never written ({} bytes of access token, starting {:?})",
                token.access_token.len(),
                token.access_token.chars().take(8).collect::<String>()
            ),
            Ok(None) => panic!("round {round}: the tokens are gone"),
            Err(error) => panic!("round {round}: a torn or unreadable file: {error}"),
        }
    }
    let mut stray: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| name.starts_with('.'))
        .collect();
    stray.sort();
    eprintln!(
        "store_faults: {KILLS} kills in {:?}; left `a` {} times, `b` {} times; {} stray temporary files",
        started.elapsed(),
        seen[0],
        seen[1],
        stray.len()
    );
    // Each killed process can have at most one write in flight.
    assert!(stray.len() <= KILLS, "{stray:?}");
    for name in &stray {
        assert!(name.ends_with(".tmp"), "an unexpected hidden file: {name}");
        // Left-overs hold part of a token: private like the store's files.
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(name))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600, "{name}");
        }
    }
    // The final file is still complete and loads.
    assert!(store.load_blocking(KEY).unwrap().is_some());
}

// ---- two processes refresh at once -----------------------------------------

const REFRESHER_DIR: &str = "PATCHBAY_REFRESHER_DIR";
const REFRESHER_BASE: &str = "PATCHBAY_REFRESHER_BASE";
const REFRESHER_DONE: &str = "REFRESHER-CHILD-DONE";

const SPEC: &str = r#"
[auth.code]
type = "oauth2_authorization_code"
use = ["base"]
authorize_url = "{{ base }}/authorize"
token_url = "{{ base }}/token"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

fn credentials() -> serde_json::Value {
    json!({ "client_id": "id", "client_secret": "s3cret", "scope": "" })
}

/// The child: calls `orders` once through a connection over the shared
/// store; the stored token is expired, so the call must refresh (or find
/// that another process just did).
#[test]
fn refresher_child() {
    let (Some(folder), Ok(base)) = (
        std::env::var_os(REFRESHER_DIR),
        std::env::var(REFRESHER_BASE),
    ) else {
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store: Arc<dyn TokenStore> = Arc::new(FileStore::new(PathBuf::from(folder)).unwrap());
        let connection =
            connection(&connector(SPEC), &base, credentials(), fast()).with_store(store, KEY);
        let response = connection.call("orders", &Call::default()).await.unwrap();
        assert_eq!(response.status, 200);
    });
    println!("{REFRESHER_DONE}");
}

/// Answers a refresh after a delay (so the two children overlap), with a
/// new access token and a rotated refresh token; counts refreshes.
struct SlowRefresh {
    refreshes: Arc<AtomicUsize>,
}

impl Respond for SlowRefresh {
    fn respond(&self, _: &Request) -> ResponseTemplate {
        let n = self.refreshes.fetch_add(1, Ordering::SeqCst) + 1;
        ResponseTemplate::new(200)
            .set_body_json(json!({
                "access_token": format!("AT-NEW-{n}"),
                "refresh_token": format!("RT-ROTATED-{n}"),
                "token_type": "Bearer",
                "expires_in": 3600,
            }))
            .set_delay(Duration::from_millis(400))
    }
}

/// Waits for a child for at most `limit`, killing it after that; its
/// success and its output.
fn wait_for(mut child: Child, limit: Duration) -> (bool, String) {
    let deadline = Instant::now() + limit;
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut output = String::new();
    if let Some(mut stdout) = child.stdout.take() {
        let _ = stdout.read_to_string(&mut output);
    }
    if let Some(mut stderr) = child.stderr.take() {
        let _ = stderr.read_to_string(&mut output);
    }
    match status {
        Some(status) => (status.success() && output.contains(REFRESHER_DONE), output),
        None => (false, format!("killed after {limit:?}\n{output}")),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_refreshing_make_one_refresh_request() {
    let dir = TempDir::new("refresh");
    let server = MockServer::start().await;
    let refreshes = Arc::new(AtomicUsize::new(0));
    Mock::given(method("POST"))
        .and(path("/token"))
        .respond_with(SlowRefresh {
            refreshes: refreshes.clone(),
        })
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/orders"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!([])))
        .mount(&server)
        .await;

    let store = FileStore::new(dir.path()).unwrap();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    store
        .save_blocking(
            KEY,
            &StoredToken {
                access_token: "AT-OLD".to_owned(),
                refresh_token: Some("RT-OLD".to_owned()),
                token_type: Some("Bearer".to_owned()),
                expires_at: Some(now - 100),
                expires_at_millis: None,
                lifetime: Some(3600),
                scope: None,
                captures: BTreeMap::new(),
                discovered: Default::default(),
                candidates: Vec::new(),
            },
        )
        .unwrap();

    let folder = dir.path().to_str().unwrap().to_owned();
    let base = server.uri();
    let env = [
        (REFRESHER_DIR, folder.as_str()),
        (REFRESHER_BASE, base.as_str()),
    ];
    let started = Instant::now();
    let children = [
        spawn_self("refresher_child", &env, true),
        spawn_self("refresher_child", &env, true),
    ];
    let results = tokio::task::spawn_blocking(move || {
        children.map(|child| wait_for(child, Duration::from_secs(30)))
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    for (i, (ok, output)) in results.iter().enumerate() {
        assert!(ok, "child {i} failed:\n{output}");
    }

    let refresh_requests = received_at(&server, "/token").await;
    assert_eq!(
        refresh_requests.len(),
        1,
        "two processes must make one refresh request; got {}",
        refresh_requests.len()
    );
    assert_eq!(refreshes.load(Ordering::SeqCst), 1);
    let fields = form(&refresh_requests[0]);
    assert!(
        fields.contains(&("grant_type".to_owned(), "refresh_token".to_owned())),
        "{fields:?}"
    );
    assert!(
        fields.contains(&("refresh_token".to_owned(), "RT-OLD".to_owned())),
        "{fields:?}"
    );

    let orders = received_at(&server, "/orders").await;
    assert_eq!(orders.len(), 2);
    for request in &orders {
        assert_eq!(header(request, "authorization"), Some("Bearer AT-NEW-1"));
    }
    let stored = store.load_blocking(KEY).unwrap().unwrap();
    assert_eq!(stored.access_token, "AT-NEW-1");
    assert_eq!(stored.refresh_token.as_deref(), Some("RT-ROTATED-1"));
    eprintln!("store_faults: two refreshing processes done in {elapsed:?}");
}
