//! A service with several workers sharing one Redis: each worker is a
//! process of its own (as replicas of a service are), with its own
//! connection to the Taskpad API, and all of them keep the instance's
//! client-credentials token in Redis, encrypted, so that they share one
//! token and request a new one once between them.
//!
//! ```console
//! $ redis-server --port 6390 &
//! $ TASKPAD_CLIENT_SECRET=cs_test_Zq81mLx0 cargo run -p patchbay-examples --bin redis-workers -- \
//!     http://127.0.0.1:8765 redis://127.0.0.1:6390/0 --workers 3 --calls 20
//! ```
//!
//! The encryption key comes from `PATCHBAY_TOKEN_KEY` (32 bytes, base64:
//! `openssl rand -base64 32`, kept in the service's secret manager); when
//! it is unset this program makes one for its run and hands it to its
//! workers.

// An example program: what it prints is its interface.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::{Command, ExitCode, Stdio};
use std::sync::Arc;
use std::time::SystemTime;

use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use patchbay_redis::{EncryptionKeys, RedisStore};
use patchbay_runtime::{Call, Connection, Connector, Instance, Options, Runtime, TokenStore};
use patchbay_schema::SourceFile;
use serde_json::json;

const TASKPAD_SPEC: &str = include_str!("../../../docs/examples/taskpad/taskpad.toml");
/// The one instance every worker serves.
const INSTANCE_KEY: &str = "taskpad/client_credentials/acme";
const KEY_VARIABLE: &str = "PATCHBAY_TOKEN_KEY";

type Failure = Box<dyn std::error::Error>;

struct Config {
    taskpad: String,
    redis: String,
    workers: usize,
    calls: usize,
    /// Set in a worker process: its number.
    worker: Option<usize>,
    allow_private_hosts: bool,
}

fn config() -> Result<Config, Failure> {
    let mut args = std::env::args().skip(1);
    let mut positional = Vec::new();
    let mut config = Config {
        taskpad: String::new(),
        redis: String::new(),
        workers: 3,
        calls: 20,
        worker: None,
        allow_private_hosts: false,
    };
    while let Some(arg) = args.next() {
        let mut number = |name: &str| -> Result<usize, Failure> {
            let value = args.next().ok_or(format!("{name} needs a number"))?;
            Ok(value
                .parse()
                .map_err(|_| format!("{name}: `{value}` is not a number"))?)
        };
        match arg.as_str() {
            "--workers" => config.workers = number("--workers")?.clamp(1, 16),
            "--calls" => config.calls = number("--calls")?.clamp(1, 1000),
            "--worker" => config.worker = Some(number("--worker")?),
            "--allow-private-hosts" => config.allow_private_hosts = true,
            _ => positional.push(arg),
        }
    }
    let [taskpad, redis] = <[String; 2]>::try_from(positional)
        .map_err(|_| "usage: redis-workers TASKPAD_URL REDIS_URL [--workers N] [--calls N]")?;
    (config.taskpad, config.redis) = (taskpad, redis);
    Ok(config)
}

fn main() -> ExitCode {
    let outcome = config().and_then(|config| match config.worker {
        Some(number) => tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(Failure::from)
            .and_then(|runtime| runtime.block_on(worker(&config, number))),
        None => supervise(&config),
    });
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("redis-workers: {error}");
            ExitCode::FAILURE
        }
    }
}

/// Starts the workers, waits for them, and shows what Redis keeps.
fn supervise(config: &Config) -> Result<(), Failure> {
    let key = match std::env::var(KEY_VARIABLE) {
        Ok(key) => key,
        Err(_) => {
            let mut bytes = [0u8; 32];
            getrandom::fill(&mut bytes).map_err(|e| format!("no random key: {e}"))?;
            STANDARD.encode(bytes)
        }
    };
    let program = std::env::current_exe()?;
    let mut children = Vec::new();
    for number in 1..=config.workers {
        let mut command = Command::new(&program);
        command
            .args([
                &config.taskpad,
                &config.redis,
                "--worker",
                &number.to_string(),
            ])
            .args(["--calls", &config.calls.to_string()])
            .env(KEY_VARIABLE, &key)
            .stdout(Stdio::inherit());
        if config.allow_private_hosts {
            command.arg("--allow-private-hosts");
        }
        children.push(command.spawn()?);
    }
    let mut failed = 0;
    for mut child in children {
        if !child.wait()?.success() {
            failed += 1;
        }
    }
    if failed > 0 {
        return Err(format!("{failed} of {} workers failed", config.workers).into());
    }
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let store = RedisStore::connect(&config.redis, keys(&key)?).await?;
        match store.load(INSTANCE_KEY).await? {
            Some(token) => {
                let left = token
                    .expires_at
                    .and_then(|at| at.checked_sub(unix_now()))
                    .unwrap_or(0);
                println!(
                    "{} workers done; Redis holds one encrypted token for {INSTANCE_KEY}, valid for {left} s more",
                    config.workers
                );
            }
            None => println!("{} workers done; Redis holds no token", config.workers),
        }
        Ok::<(), Failure>(())
    })
}

fn keys(base64_key: &str) -> Result<EncryptionKeys, Failure> {
    // The id names the key in every stored value, for rotation.
    Ok(EncryptionKeys::from_base64("example-1", base64_key)?)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// One worker: connects the instance over the shared store and makes
/// `calls` calls, five at a time.
async fn worker(config: &Config, number: usize) -> Result<(), Failure> {
    let key = std::env::var(KEY_VARIABLE).map_err(|_| format!("set {KEY_VARIABLE}"))?;
    let client_secret = std::env::var("TASKPAD_CLIENT_SECRET")
        .map_err(|_| "set TASKPAD_CLIENT_SECRET to the Taskpad client's secret")?;

    // ANCHOR: redis_store
    // Once per process: one Redis store for every connection.
    let store: Arc<dyn TokenStore> =
        Arc::new(RedisStore::connect(&config.redis, keys(&key)?).await?);
    // ANCHOR_END: redis_store

    let spec = SourceFile::new("taskpad.toml", TASKPAD_SPEC);
    let connector = Connector::new(patchbay_compiler::compile_source(&spec)?.plan);
    let runtime = Runtime::new(Options {
        egress_guard: !config.allow_private_hosts,
        ..Options::default()
    })?;
    let plan = connector.plan();
    let values = [
        ("url".to_owned(), json!(config.taskpad)),
        ("client_id".to_owned(), json!("tp_client_7Hq2")),
        ("client_secret".to_owned(), json!(client_secret)),
    ];
    let method = &plan.methods["client_credentials"];
    let instance = Instance::from_values(plan, "client_credentials", method, values.into())?;
    // ANCHOR: shared_connection
    // Per instance, in every worker: the same key, so the workers share
    // its token (and, for a login, its refreshes).
    let connection =
        Connection::new(&runtime, &connector, instance)?.with_store(store, INSTANCE_KEY);
    // ANCHOR_END: shared_connection

    let connection = Arc::new(connection);
    let mut done = 0;
    let mut failures = Vec::new();
    for batch in (0..config.calls).collect::<Vec<_>>().chunks(5) {
        let calls = batch.iter().map(|_| read_task(Arc::clone(&connection)));
        for outcome in run_concurrently(calls).await {
            match outcome {
                Ok(()) => done += 1,
                Err(error) => failures.push(error.to_string()),
            }
        }
    }
    println!("worker {number}: {done} of {} calls answered", config.calls);
    if let Some(first) = failures.first() {
        return Err(format!(
            "worker {number}: {} calls failed, first: {first}",
            failures.len()
        )
        .into());
    }
    Ok(())
}

async fn read_task(connection: Arc<Connection>) -> Result<(), patchbay_runtime::Error> {
    let call = Call {
        variables: [("task_id".to_owned(), json!("tsk_1"))].into(),
        payload: None,
        files: Default::default(),
    };
    connection.call("get_task", &call).await.map(drop)
}

/// Runs the calls of a batch concurrently on this worker's runtime.
async fn run_concurrently<F>(calls: impl Iterator<Item = F>) -> Vec<F::Output>
where
    F: Future + Send + 'static,
    F::Output: Send + 'static,
{
    let tasks: Vec<_> = calls.map(tokio::task::spawn).collect();
    let mut outcomes = Vec::new();
    for task in tasks {
        if let Ok(outcome) = task.await {
            outcomes.push(outcome);
        }
    }
    outcomes
}
