//! What a shared Redis token store costs a connection: calls per second of
//! one client-credentials connection with no store (the token in memory)
//! and with a `RedisStore`, the latency each adds per call, and the Redis
//! commands per call (from Redis' own `INFO stats`), against a loopback
//! server that answers at once. Needs `redis-server` on the PATH.
//!
//! Run: `cargo bench -p patchbay-benches --bench redis`. Figures in
//! docs/performance.md.

#![allow(clippy::unwrap_used, clippy::print_stdout)] // a benchmark reports on stdout

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::routing::{get, post};
use axum::{Json, Router};
use patchbay_compiler::compile_source;
use patchbay_redis::{EncryptionKeys, RedisStore};
use patchbay_runtime::{Call, Connection, Connector, Instance, Options, Runtime};
use patchbay_schema::SourceFile;
use serde_json::json;

const SPEC: &str = r#"
format = 1
[connector]
id = "bench"
name = "Bench"
version = "1.0.0"

[variables.base]
type = "url"
required = true

[auth.cc]
type = "oauth2_client_credentials"
use = ["base"]
token_url = "{{ base }}/token"

[endpoints.get_order]
url = "{{ base }}/orders/4711"
"#;

const CALLS: u32 = 5_000;
const ROUNDS: usize = 6;

async fn serve() -> String {
    let app = Router::new()
        .route(
            "/token",
            post(|| async {
                Json(json!({ "access_token": "at-bench", "token_type": "Bearer", "expires_in": 3600 }))
            }),
        )
        .route("/orders/4711", get(|| async { Json(json!({ "id": 1, "name": "an order" })) }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    base
}

fn connection(connector: &Connector, base: &str) -> Connection {
    let plan = connector.plan();
    let values = [
        ("base".to_owned(), json!(base)),
        ("client_id".to_owned(), json!("id")),
        ("client_secret".to_owned(), json!("secret")),
    ];
    let instance = Instance::from_values(plan, "cc", &plan.methods["cc"], values.into()).unwrap();
    Connection::new(
        &Runtime::new(Options::default()).unwrap(),
        connector,
        instance,
    )
    .unwrap()
}

/// Median seconds per call of each connection over the rounds, the first
/// discarded; the connections take turns in each round, so that a busy
/// machine slows both alike.
async fn per_call(connections: [&Connection; 2]) -> [f64; 2] {
    let call = Call::default();
    let mut rounds = [Vec::new(), Vec::new()];
    for _ in 0..ROUNDS {
        for (connection, samples) in connections.iter().zip(rounds.iter_mut()) {
            let start = Instant::now();
            for _ in 0..CALLS {
                connection.call("get_order", &call).await.unwrap();
            }
            samples.push(start.elapsed().as_secs_f64() / f64::from(CALLS));
        }
    }
    rounds.map(|mut samples| {
        samples.remove(0);
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    })
}

async fn commands_processed(url: &str) -> u64 {
    let mut redis = redis::Client::open(url)
        .unwrap()
        .get_multiplexed_async_connection()
        .await
        .unwrap();
    let info: String = redis::cmd("INFO")
        .arg("stats")
        .query_async(&mut redis)
        .await
        .unwrap();
    info.lines()
        .find_map(|line| line.strip_prefix("total_commands_processed:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let folder = std::env::temp_dir().join(format!("patchbay-bench-redis-{}", std::process::id()));
    std::fs::create_dir_all(&folder).unwrap();
    let mut server = Command::new("redis-server")
        .args([
            "--bind",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--save",
            "",
            "--appendonly",
            "yes",
        ])
        .arg("--dir")
        .arg(&folder)
        .stdout(Stdio::null())
        .spawn()
        .expect("redis-server is not installed: run `apt-get install -y redis-server`");
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        std::thread::sleep(Duration::from_millis(20));
    }
    let url = format!("redis://127.0.0.1:{port}/0");
    let plan = compile_source(&SourceFile::new("bench.toml", SPEC))
        .unwrap()
        .plan;
    let connector = Connector::new(plan);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let base = serve().await;
        let memory = connection(&connector, &base);
        memory.call("get_order", &Call::default()).await.unwrap();

        let keys = EncryptionKeys::new("bench", &[7u8; 32]).unwrap();
        let store = Arc::new(RedisStore::connect(&url, keys).await.unwrap());
        let shared = connection(&connector, &base).with_store(store, "bench/cc/1");
        // The first call requests the token through the store; each
        // `INFO` is one command of its own, not counted.
        let before = commands_processed(&url).await;
        let start = Instant::now();
        shared.call("get_order", &Call::default()).await.unwrap();
        let first = start.elapsed();
        let first_commands = commands_processed(&url).await - before - 1;
        let before = commands_processed(&url).await;
        let [memory_call, shared_call] = per_call([&memory, &shared]).await;
        let total = u64::from(CALLS) * ROUNDS as u64;
        let commands = commands_processed(&url).await - before - 1;

        println!("in memory: {:.0} calls/s ({:.1} µs each)", 1.0 / memory_call, memory_call * 1e6);
        println!("Redis store: {:.0} calls/s ({:.1} µs each)", 1.0 / shared_call, shared_call * 1e6);
        println!("added per call: {:+.2} µs", (shared_call - memory_call) * 1e6);
        println!("Redis commands: {first_commands} for the first call (token requested and shared), {commands} in {total} calls after it");
        println!("first call with the Redis store: {:.2} ms", first.as_secs_f64() * 1e3);
    });
    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&folder);
}
