//! The cost of the shared rate limit: the latency one call gains when its
//! connector limit is counted in Redis (`patchbay_redis::RedisRateLimiter`)
//! instead of in the process (`LocalRateLimiter`), both with a limit high
//! enough that no call waits, against a loopback server that answers at
//! once; and one limiter round trip alone. The benchmark starts its own
//! `redis-server` (from the system's packages) on a free port.
//!
//! Run: `cargo bench -p patchbay-benches --bench rate_limit`. Figures in
//! docs/performance.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark reports on stdout

use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use patchbay_benches::serve;
use patchbay_compiler::compile_source;
use patchbay_redis::RedisRateLimiter;
use patchbay_runtime::{
    Call, Connection, Connector, Instance, Options, RateLimit, RateScope, Runtime,
};
use patchbay_schema::SourceFile;
use serde_json::json;

/// A limit no sequential caller reaches: the limiter decides, and never
/// makes a call wait.
const SPEC: &str = r#"
format = 1
[connector]
id = "bench"
name = "Bench"
version = "1.0.0"
rate_limit = { requests = 1000000, per = "second" }

[variables.base]
type = "url"
required = true

[auth.key]
type = "api_key"
name = "X-API-Key"

[endpoints.get_order]
url = "{{ base }}/orders/4711"
"#;

/// A `redis-server` on a free port, without persistence, killed when
/// dropped.
struct Redis(std::process::Child, u16);

impl Redis {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let dir = std::env::temp_dir().join(format!("patchbay-bench-redis-{port}"));
        std::fs::create_dir_all(&dir).unwrap();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&dir)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server (apt-get install redis-server)");
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "redis-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
        Redis(child, port)
    }
}

impl Drop for Redis {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    // `cargo test --benches` runs bench binaries without `--bench`: only
    // measure when asked to bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let redis = Redis::start();
    let plan = compile_source(&SourceFile::new("bench.toml", SPEC))
        .unwrap()
        .plan;
    let connector = Connector::new(plan.clone());
    let tokio = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let base = serve().await;
        let values = [
            ("base".to_owned(), json!(base)),
            ("api_key".to_owned(), json!("k-123456")),
        ];
        let instance =
            Instance::from_values(&plan, "key", &plan.methods["key"], values.into()).unwrap();
        let runtime = Runtime::new(Options::default()).unwrap();
        let local = Connection::new(&runtime, &connector, instance).unwrap();
        let client = redis::Client::open(format!("redis://127.0.0.1:{}/", redis.1)).unwrap();
        let limiter = Arc::new(RedisRateLimiter::new(client).unwrap());
        let shared = local
            .clone()
            .with_rate_limiter(limiter.clone(), "bench-instance");
        let call = Call::default();

        let calls = 2_000u32;
        let (mut in_process, mut in_redis, mut round_trip) = (Vec::new(), Vec::new(), Vec::new());
        let limit = RateLimit::new(
            "bench-reserve",
            RateScope::Connector,
            1_000_000,
            Duration::from_secs(1),
        );
        for round in 0..7 {
            let start = Instant::now();
            for _ in 0..calls {
                std::hint::black_box(local.call("get_order", &call).await.unwrap());
            }
            let local_time = start.elapsed();
            let start = Instant::now();
            for _ in 0..calls {
                std::hint::black_box(shared.call("get_order", &call).await.unwrap());
            }
            let shared_time = start.elapsed();
            let start = Instant::now();
            for _ in 0..calls {
                std::hint::black_box(limiter.reserve(&limit).await.unwrap());
            }
            let reserve_time = start.elapsed();
            // The first round warms connections, Redis's script cache and
            // the allocator.
            if round > 0 {
                in_process.push(local_time / calls);
                in_redis.push(shared_time / calls);
                round_trip.push(reserve_time / calls);
            }
        }
        let micros = |d: Duration| d.as_secs_f64() * 1e6;
        let (in_process, in_redis) = (median(in_process), median(in_redis));
        println!("call, limit counted in the process: {:>7.1} µs", micros(in_process));
        println!("call, limit counted in Redis:       {:>7.1} µs", micros(in_redis));
        println!(
            "added by the shared limit:          {:>7.1} µs per call (median of 6 rounds × {calls})",
            micros(in_redis) - micros(in_process)
        );
        println!(
            "one reservation (EVALSHA) alone:    {:>7.1} µs",
            micros(median(round_trip))
        );
    });
}
