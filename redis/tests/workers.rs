//! Several workers sharing one real Redis: the test binary re-runs itself
//! as a worker process (`worker_child`, which does nothing unless its
//! environment is set), against a loopback OAuth server that counts every
//! token request, issues tokens that live one second, rotates refresh
//! tokens on every use and refuses a reused one.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a test that cannot unwrap has failed

mod common;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Json, Router};
use common::{PASSWORD, RedisServer};
use patchbay_redis::{EncryptionKeys, RedisStore, RedisStoreOptions};
use patchbay_runtime::{
    Call, Connection, Connector, Instance, Options, Runtime, StoredToken, TokenStore,
};
use patchbay_schema::SourceFile;
use serde_json::{Value, json};
use tokio::sync::Notify;

const SPEC: &str = r#"format = 1

[connector]
id = "t"
name = "T"
version = "1.0.0"

[variables.base]
type = "url"
required = true

[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[auth.code]
type = "oauth2_authorization_code"
use = ["base"]
authorize_url = "{{ base }}/authorize"
token_url = "{{ base }}/token"

[endpoints.orders]
method = "GET"
url = "{{ base }}/orders"
"#;

const KEY: &str = "t/instance-1";
/// How long every token lives.
const LIFETIME: Duration = Duration::from_secs(1);
/// How long after its expiry the server still takes a token, as
/// providers allow for clocks and latency.
const GRACE: Duration = Duration::from_millis(200);

/// The test key: tests make their own data.
fn keys() -> EncryptionKeys {
    EncryptionKeys::new("test-1", &[42u8; 32]).unwrap()
}

/// Runs the multi-process tests one at a time: they share two cores.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// What each call of the restart test ended with, and when.
type CallLog = Arc<Mutex<Vec<(Instant, Result<(), String>)>>>;

// ---- the OAuth server ---------------------------------------------------------

#[derive(Default)]
struct Ledger {
    /// Token requests answered with a token (grants and refreshes).
    issued: usize,
    /// Refreshes refused as `invalid_grant`.
    invalid_grants: usize,
    /// Access tokens and when they expire.
    access: HashMap<String, Instant>,
    /// The one refresh token that works now.
    refresh: Option<String>,
    /// Endpoint calls refused for their token.
    refused_calls: usize,
    /// Endpoint calls answered.
    calls: usize,
}

#[derive(Default)]
struct Provider {
    ledger: Mutex<Ledger>,
    /// Refresh requests still to be left unanswered (a worker killed
    /// mid-refresh: the request is never processed).
    hang_refreshes: AtomicUsize,
    /// Signalled when a refresh is left hanging, and after each refresh.
    hanging: Notify,
    refreshed: Notify,
}

impl Provider {
    fn issue(&self, ledger: &mut Ledger, rotate: bool) -> Value {
        ledger.issued += 1;
        let n = ledger.issued;
        let access = format!("at-{n}");
        ledger
            .access
            .insert(access.clone(), Instant::now() + LIFETIME);
        let mut body = json!({
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": LIFETIME.as_secs(),
        });
        if rotate {
            let refresh = format!("rt-{n}");
            ledger.refresh = Some(refresh.clone());
            body["refresh_token"] = json!(refresh);
        }
        body
    }
}

async fn token(
    State(provider): State<Arc<Provider>>,
    Form(form): Form<BTreeMap<String, String>>,
) -> Response {
    match form.get("grant_type").map(String::as_str) {
        Some("client_credentials") => {
            let mut ledger = provider.ledger.lock().unwrap();
            Json(provider.issue(&mut ledger, false)).into_response()
        }
        Some("refresh_token") => {
            let hang = provider
                .hang_refreshes
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1))
                .is_ok();
            if hang {
                provider.hanging.notify_one();
                std::future::pending::<()>().await;
            }
            let answer = {
                let mut ledger = provider.ledger.lock().unwrap();
                if ledger.refresh.is_some() && form.get("refresh_token") == ledger.refresh.as_ref()
                {
                    Json(provider.issue(&mut ledger, true)).into_response()
                } else {
                    ledger.invalid_grants += 1;
                    (
                        StatusCode::BAD_REQUEST,
                        Json(json!({ "error": "invalid_grant" })),
                    )
                        .into_response()
                }
            };
            provider.refreshed.notify_waiters();
            answer
        }
        _ => (
            StatusCode::BAD_REQUEST,
            Json(json!({ "error": "unsupported_grant_type" })),
        )
            .into_response(),
    }
}

async fn orders(State(provider): State<Arc<Provider>>, headers: HeaderMap) -> Response {
    let bearer = headers
        .get("authorization")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let mut ledger = provider.ledger.lock().unwrap();
    let good = ledger
        .access
        .get(bearer)
        .is_some_and(|expiry| Instant::now() <= *expiry + GRACE);
    if good {
        ledger.calls += 1;
        Json(json!([])).into_response()
    } else {
        ledger.refused_calls += 1;
        (
            StatusCode::UNAUTHORIZED,
            Json(json!({ "error": "invalid_token" })),
        )
            .into_response()
    }
}

/// Starts the provider on a loopback port: its base URL.
async fn serve(provider: Arc<Provider>) -> String {
    let app = Router::new()
        .route("/token", post(token))
        .route("/orders", get(orders))
        .with_state(provider);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

// ---- a worker -----------------------------------------------------------------

const WORKER: &str = "PATCHBAY_REDIS_WORKER";
const DONE: &str = "WORKER-DONE";

/// What a worker is told, through its environment.
struct Job {
    redis: String,
    base: String,
    method: String,
    callers: usize,
    seconds: f64,
    lease_ms: u64,
}

impl Job {
    fn env(&self) -> String {
        format!(
            "{}|{}|{}|{}|{}|{}",
            self.redis, self.base, self.method, self.callers, self.seconds, self.lease_ms
        )
    }

    fn parse(text: &str) -> Job {
        let parts: Vec<&str> = text.split('|').collect();
        Job {
            redis: parts[0].to_owned(),
            base: parts[1].to_owned(),
            method: parts[2].to_owned(),
            callers: parts[3].parse().unwrap(),
            seconds: parts[4].parse().unwrap(),
            lease_ms: parts[5].parse().unwrap(),
        }
    }
}

fn store_options(lease_ms: u64) -> RedisStoreOptions {
    RedisStoreOptions::default()
        .with_lease(Duration::from_millis(lease_ms))
        .with_timeout(Duration::from_millis(500))
}

/// A connection of `method` over the store, as a worker makes it. The
/// token is used for its whole lifetime (no early renewal): the server
/// allows [`GRACE`] for a call sent just before expiry.
fn connection(base: &str, method: &str, store: RedisStore) -> Connection {
    let compiled = patchbay_compiler::compile_source(&SourceFile::new("t.toml", SPEC)).unwrap();
    let connector = Connector::new(compiled.plan);
    let plan = connector.plan();
    let values = [
        ("base", base),
        ("client_id", "id"),
        ("client_secret", "SENTINEL-client-secret"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), Value::String(v.to_owned())))
    .collect();
    let instance = Instance::from_values(plan, method, &plan.methods[method], values).unwrap();
    let options = Options {
        max_token_margin: Duration::ZERO,
        timeout: Duration::from_secs(5),
        ..Options::default()
    };
    Connection::new(&Runtime::new(options).unwrap(), &connector, instance)
        .unwrap()
        .with_store(Arc::new(store), KEY)
}

/// The worker: `callers` tasks calling `orders` for `seconds`; prints its
/// counts and the distinct errors it met.
#[test]
fn worker_child() {
    let Ok(job) = std::env::var(WORKER) else {
        return;
    };
    let job = Job::parse(&job);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = RedisStore::connect_with(&job.redis, keys(), store_options(job.lease_ms))
            .await
            .unwrap();
        let connection = Arc::new(connection(&job.base, &job.method, store));
        let deadline = Instant::now() + Duration::from_secs_f64(job.seconds);
        let tasks: Vec<_> = (0..job.callers)
            .map(|_| {
                let connection = Arc::clone(&connection);
                tokio::spawn(async move {
                    let (mut ok, mut errors) = (0usize, Vec::new());
                    while Instant::now() < deadline {
                        match connection.call("orders", &Call::default()).await {
                            Ok(_) => ok += 1,
                            Err(error) => errors.push(error.to_string()),
                        }
                        tokio::time::sleep(Duration::from_millis(20)).await;
                    }
                    (ok, errors)
                })
            })
            .collect();
        let (mut ok, mut errors) = (0, Vec::new());
        for task in tasks {
            let (n, mut e) = task.await.unwrap();
            ok += n;
            errors.append(&mut e);
        }
        let failures = errors.len();
        errors.sort();
        errors.dedup();
        println!("calls={ok} failures={failures}");
        for error in errors.iter().take(5) {
            println!("error: {error}");
        }
    });
    println!("{DONE}");
}

fn spawn_worker(job: &Job) -> Child {
    Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "worker_child",
            "--nocapture",
            "--test-threads",
            "1",
        ])
        .env(WORKER, job.env())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// A worker's output once it exits (killed after `limit`): its successful
/// calls and failures.
fn finish(mut child: Child, limit: Duration) -> (usize, usize, String) {
    let deadline = Instant::now() + limit;
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            let _ = child.kill();
            let _ = child.wait();
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let mut output = String::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut output)
        .unwrap();
    assert!(
        output.contains(DONE),
        "the worker did not finish:\n{output}"
    );
    let number = |name: &str| -> usize {
        let at = output.find(name).unwrap() + name.len();
        output[at..]
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .unwrap()
            .parse()
            .unwrap()
    };
    (number("calls="), number("failures="), output)
}

/// Runs `workers` processes of `callers` callers for `seconds`; every call
/// must succeed. The run's elapsed time and the calls made.
async fn run_workers(
    redis: &RedisServer,
    base: &str,
    method: &str,
    workers: usize,
    seconds: f64,
) -> (Duration, usize) {
    let job = Job {
        redis: redis.url(),
        base: base.to_owned(),
        method: method.to_owned(),
        callers: 50,
        seconds,
        lease_ms: 2000,
    };
    let started = Instant::now();
    let children: Vec<Child> = (0..workers).map(|_| spawn_worker(&job)).collect();
    let limit = Duration::from_secs_f64(seconds) + Duration::from_secs(60);
    let results = tokio::task::spawn_blocking(move || {
        children
            .into_iter()
            .map(|child| finish(child, limit))
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    let elapsed = started.elapsed();
    let mut calls = 0;
    for (ok, failures, output) in &results {
        assert_eq!(*failures, 0, "a worker's calls failed:\n{output}");
        assert!(*ok > 0, "a worker made no call:\n{output}");
        calls += ok;
    }
    (elapsed, calls)
}

async fn store(redis: &RedisServer) -> RedisStore {
    RedisStore::connect_with(&redis.url(), keys(), store_options(2000))
        .await
        .unwrap()
}

/// Stores a login whose access token has expired, with `rt-0`.
async fn seed_login(store: &RedisStore, provider: &Provider) {
    provider.ledger.lock().unwrap().refresh = Some("rt-0".to_owned());
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let lease = store.lock(KEY).await.unwrap();
    lease
        .save(&StoredToken {
            access_token: "at-seed".to_owned(),
            refresh_token: Some("rt-0".to_owned()),
            token_type: Some("Bearer".to_owned()),
            expires_at: Some(now - 10),
            expires_at_millis: None,
            lifetime: Some(1),
            scope: None,
            captures: BTreeMap::new(),
            discovered: Default::default(),
            candidates: Vec::new(),
        })
        .await
        .unwrap();
    lease.release().await.unwrap();
}

// ---- the tests ----------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn four_workers_share_one_client_credentials_token_at_a_time() {
    let _serial = SERIAL.lock().await;
    let redis = RedisServer::start("cc");
    let provider = Arc::new(Provider::default());
    let base = serve(Arc::clone(&provider)).await;
    let (elapsed, calls) = run_workers(&redis, &base, "cc", 4, 20.0).await;
    let ledger = provider.ledger.lock().unwrap();
    let bound = (elapsed.as_secs_f64() / LIFETIME.as_secs_f64()).ceil() as usize + 1;
    println!(
        "4 workers x 50 callers, {:.1} s: {calls} calls, {} token requests (bound {bound}), {} calls refused then renewed",
        elapsed.as_secs_f64(),
        ledger.issued,
        ledger.refused_calls
    );
    assert!(
        ledger.issued <= bound,
        "{} token requests in {elapsed:?}",
        ledger.issued
    );
    assert!(
        ledger.issued >= 15,
        "tokens must expire and be renewed: {}",
        ledger.issued
    );
    // Each successful call was answered once by the server.
    assert_eq!(ledger.calls, calls);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rotating_refresh_tokens_under_contention_are_never_reused() {
    let _serial = SERIAL.lock().await;
    let redis = RedisServer::start("rotation");
    let provider = Arc::new(Provider::default());
    let base = serve(Arc::clone(&provider)).await;
    let store = store(&redis).await;
    seed_login(&store, &provider).await;
    let (elapsed, calls) = run_workers(&redis, &base, "code", 4, 8.0).await;
    let stored = store.load(KEY).await.unwrap().unwrap();
    let ledger = provider.ledger.lock().unwrap();
    println!(
        "rotation: {calls} calls in {:.1} s, {} refreshes, {} invalid_grant",
        elapsed.as_secs_f64(),
        ledger.issued,
        ledger.invalid_grants
    );
    assert_eq!(ledger.invalid_grants, 0);
    let bound = (elapsed.as_secs_f64() / LIFETIME.as_secs_f64()).ceil() as usize + 1;
    assert!(
        ledger.issued <= bound && ledger.issued >= 5,
        "{} refreshes",
        ledger.issued
    );
    // The stored refresh token is the one the server honours now.
    assert_eq!(stored.refresh_token, ledger.refresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_worker_killed_while_holding_the_lease_is_taken_over_after_it_expires() {
    let _serial = SERIAL.lock().await;
    let redis = RedisServer::start("kill");
    let provider = Arc::new(Provider::default());
    provider.hang_refreshes.store(1, Ordering::SeqCst);
    let base = serve(Arc::clone(&provider)).await;
    let store = store(&redis).await;
    seed_login(&store, &provider).await;
    let job = Job {
        redis: redis.url(),
        base: base.clone(),
        method: "code".to_owned(),
        callers: 1,
        seconds: 30.0,
        lease_ms: 2000,
    };
    let mut victim = spawn_worker(&job);
    // It holds the lease and waits for its refresh, which never comes.
    tokio::time::timeout(Duration::from_secs(30), provider.hanging.notified())
        .await
        .expect("the victim never refreshed");
    // Long enough for its lease to have been extended at least once.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    victim.kill().unwrap(); // SIGKILL
    victim.wait().unwrap();
    let killed = Instant::now();

    let connection = connection(&base, "code", self::store(&redis).await);
    connection.call("orders", &Call::default()).await.unwrap();
    let waited = killed.elapsed();
    println!("the lease of a killed worker was taken over after {waited:?}");
    assert!(
        waited >= Duration::from_millis(300),
        "the lease was not respected: {waited:?}"
    );
    assert!(
        waited < Duration::from_secs(4),
        "the lease outlived its holder: {waited:?}"
    );
    let counts = {
        let ledger = provider.ledger.lock().unwrap();
        (ledger.issued, ledger.invalid_grants)
    };
    assert_eq!(counts, (1, 0), "one refresh, by the worker that took over");
    let stored = store.load(KEY).await.unwrap().unwrap();
    assert_eq!(stored.refresh_token.as_deref(), Some("rt-1"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_fail_clearly_while_redis_is_down_and_recover_after_without_losing_tokens() {
    let _serial = SERIAL.lock().await;
    let mut redis = RedisServer::start("restart");
    let provider = Arc::new(Provider::default());
    let base = serve(Arc::clone(&provider)).await;
    let store = store(&redis).await;
    seed_login(&store, &provider).await;
    let connection = Arc::new(connection(&base, "code", self::store(&redis).await));
    let log: CallLog = Arc::default();
    let deadline = Instant::now() + Duration::from_secs(9);
    let callers: Vec<_> = (0..10)
        .map(|_| {
            let (connection, log) = (Arc::clone(&connection), Arc::clone(&log));
            tokio::spawn(async move {
                while Instant::now() < deadline {
                    let outcome = connection.call("orders", &Call::default()).await;
                    log.lock()
                        .unwrap()
                        .push((Instant::now(), outcome.map(drop).map_err(|e| e.to_string())));
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        })
        .collect();
    // Stop it just after a refresh was saved, for 3 s (three lifetimes).
    tokio::time::sleep(Duration::from_secs(2)).await;
    provider.refreshed.notified().await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    redis.stop();
    let stopped = Instant::now();
    tokio::time::sleep(Duration::from_secs(3)).await;
    redis.restart();
    let restarted = Instant::now();
    for caller in callers {
        caller.await.unwrap();
    }
    let log = std::mem::take(&mut *log.lock().unwrap());
    let down: Vec<&String> = log
        .iter()
        .filter(|(at, _)| *at > stopped && *at < restarted)
        .filter_map(|(_, outcome)| outcome.as_ref().err())
        .collect();
    assert!(!down.is_empty(), "no call needed Redis while it was down");
    for message in &down {
        assert!(message.contains("Redis"), "{message}");
        assert!(!message.contains(PASSWORD), "{message}");
    }
    println!(
        "while Redis was down: {} failed calls, e.g. {}",
        down.len(),
        down[0]
    );
    let late: Vec<_> = log
        .iter()
        .filter(|(at, _)| *at > restarted + Duration::from_secs(2))
        .collect();
    assert!(
        late.len() > 20,
        "too few calls after the restart: {}",
        late.len()
    );
    for (_, outcome) in &late {
        assert!(
            outcome.is_ok(),
            "a call still failed after recovery: {outcome:?}"
        );
    }
    let stored = store.load(KEY).await.unwrap().unwrap();
    let ledger = provider.ledger.lock().unwrap();
    assert_eq!(ledger.invalid_grants, 0);
    assert_eq!(
        stored.refresh_token, ledger.refresh,
        "the newest refresh token was kept"
    );
}
