//! The runtime's cost: render + build of one request (µs), and requests
//! per second through a `Connection` against a local server, as a ratio to
//! a plain reqwest loop sending the same requests.
//!
//! Run: `cargo bench -p patchbay-benches --bench runtime`. Figures in
//! docs/performance.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark reports on stdout

use std::time::{Duration, Instant};

use indexmap::IndexMap;
use patchbay_benches::serve;
use patchbay_compiler::compile_source;
use patchbay_runtime::internals::{Context, Renderer, build};
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

[auth.key]
type = "api_key"
name = "X-API-Key"

[endpoints.get_order]
url = "{{ base }}/orders/{{ order_id }}"
query = { expand = "lines", locale = "{{ locale }}" }
headers = { Accept = "application/json" }

[endpoints.get_order.variables.order_id]
required = true

[endpoints.get_order.variables.locale]
default = "de-DE"
"#;

fn median(mut samples: Vec<Duration>) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn main() {
    // `cargo test --benches` runs bench binaries with `--bench`-less args;
    // only measure when asked to bench.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let plan = compile_source(&SourceFile::new("bench.toml", SPEC))
        .unwrap()
        .plan;
    let connector = Connector::new(plan.clone());

    // Render + build of one request.
    let renderer = Renderer::for_plan(&plan);
    let request_plan = &plan.methods["key"].endpoints["get_order"].request;
    let mut context = Context::default();
    context.set("base", json!("https://shop.example.com"));
    context.mark_url("base");
    context.set("api_key", json!("k-123456"));
    context.set("order_id", json!("4711/../x"));
    context.set("locale", json!("de-DE"));
    let rounds = 20_000;
    let mut samples = Vec::new();
    for _ in 0..5 {
        let start = Instant::now();
        for _ in 0..rounds {
            std::hint::black_box(build("bench", request_plan, &renderer, &context).unwrap());
        }
        samples.push(start.elapsed() / rounds);
    }
    println!(
        "render + build of one request: {:.2} µs (median of 5 × {rounds})",
        median(samples).as_secs_f64() * 1e6
    );

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let base = serve().await;
        let values: IndexMap<String, serde_json::Value> =
            [("base".to_owned(), json!(base)), ("api_key".to_owned(), json!("k-123456"))].into();
        let instance = Instance::from_values(&plan, "key", &plan.methods["key"], values).unwrap();
        let connection = Connection::new(&Runtime::new(Options::default()).unwrap(), &connector, instance).unwrap();
        let call = Call {
            variables: [("order_id".to_owned(), json!("4711"))].into(),
            payload: None,
            files: Default::default(),
        };
        let client = reqwest::Client::new();
        let url = format!("{base}/orders/4711?expand=lines&locale=de-DE");

        let requests = 5_000u32;
        let (mut ours, mut plain) = (Vec::new(), Vec::new());
        for round in 0..7 {
            let start = Instant::now();
            for _ in 0..requests {
                std::hint::black_box(connection.call("get_order", &call).await.unwrap());
            }
            let runtime_time = start.elapsed();
            let start = Instant::now();
            for _ in 0..requests {
                let response = client
                    .get(&url)
                    .header("Accept", "application/json")
                    .header("X-API-Key", "k-123456")
                    .send()
                    .await
                    .unwrap();
                std::hint::black_box(response.bytes().await.unwrap());
            }
            let plain_time = start.elapsed();
            // The first round warms connections and caches.
            if round > 0 {
                ours.push(runtime_time);
                plain.push(plain_time);
            }
        }
        let (ours, plain) = (median(ours), median(plain));
        let rate = |d: Duration| f64::from(requests) / d.as_secs_f64();
        println!("plain reqwest loop:   {:>8.0} requests/s", rate(plain));
        println!("patchbay Connection:  {:>8.0} requests/s", rate(ours));
        let per_request = |d: Duration| d.as_secs_f64() / f64::from(requests) * 1e6;
        println!(
            "overhead: {:+.1}%, {:.2} µs per request (runtime vs plain reqwest; median of 6 rounds × {requests})",
            (ours.as_secs_f64() / plain.as_secs_f64() - 1.0) * 100.0,
            per_request(ours) - per_request(plain)
        );
    });
}
