//! A service's metrics: `patchbay_runtime::Metrics` wired to counters and
//! a latency histogram, printed in Prometheus' text format (a service
//! serves this at `/metrics`, or hands the same records to an
//! OpenTelemetry meter).
//!
//! ```console
//! $ TASKPAD_CLIENT_SECRET=cs_test_Zq81mLx0 cargo run -p patchbay-examples --bin metrics -- http://127.0.0.1:8765
//! ```
//!
//! The argument is the Taskpad base URL (the local `taskpad-server` by
//! default).

// An example program: what it prints is its interface.
#![allow(clippy::print_stdout)]

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use patchbay_runtime::{
    Call, CallRecord, Connection, Connector, Instance, Metrics, Options, RateLimit, Runtime,
    TokenRecord,
};
use patchbay_schema::SourceFile;
use serde_json::json;

/// The tutorial's spec.
const TASKPAD_SPEC: &str = include_str!("../../../docs/examples/taskpad/taskpad.toml");

// ANCHOR: metrics
/// Upper bounds of the latency histogram's buckets, in seconds.
const BUCKETS: [f64; 6] = [0.005, 0.025, 0.1, 0.5, 2.5, 10.0];

/// One latency histogram: a count per bucket, the sum and the count.
#[derive(Debug, Default)]
struct Histogram {
    buckets: [u64; BUCKETS.len()],
    sum: f64,
    count: u64,
}

impl Histogram {
    fn observe(&mut self, latency: Duration) {
        let seconds = latency.as_secs_f64();
        for (bucket, bound) in self.buckets.iter_mut().zip(BUCKETS) {
            if seconds <= bound {
                *bucket += 1;
            }
        }
        self.sum += seconds;
        self.count += 1;
    }
}

/// patchbay's metrics by label set. The labels are names, statuses and
/// error kinds: a bounded set, never a value.
#[derive(Debug, Default)]
struct PrometheusMetrics {
    calls: Mutex<BTreeMap<String, Histogram>>,
    tokens: Mutex<BTreeMap<String, Histogram>>,
    waits: Mutex<BTreeMap<String, f64>>,
}

/// A status label: the HTTP status, or `none` when no answer came.
fn status(status: Option<u16>) -> String {
    status.map_or_else(|| "none".to_owned(), |s| s.to_string())
}

impl Metrics for PrometheusMetrics {
    fn call(&self, record: &CallRecord<'_>) {
        let labels = format!(
            r#"connector="{}",method="{}",endpoint="{}",status="{}",error="{}""#,
            record.connector,
            record.method,
            record.endpoint,
            status(record.status),
            record.error.unwrap_or("")
        );
        let mut calls = self.calls.lock().unwrap_or_else(PoisonError::into_inner);
        calls.entry(labels).or_default().observe(record.latency);
    }

    fn token(&self, record: &TokenRecord<'_>) {
        let labels = format!(
            r#"connector="{}",method="{}",grant="{}",status="{}",error="{}""#,
            record.connector,
            record.method,
            record.grant.as_str(),
            status(record.status),
            record.error.unwrap_or("")
        );
        let mut tokens = self.tokens.lock().unwrap_or_else(PoisonError::into_inner);
        tokens.entry(labels).or_default().observe(record.latency);
    }

    fn rate_limited(&self, limit: &RateLimit, waited: Duration) {
        let mut waits = self.waits.lock().unwrap_or_else(PoisonError::into_inner);
        *waits.entry(limit.key().to_owned()).or_default() += waited.as_secs_f64();
    }
}

impl PrometheusMetrics {
    /// The text a Prometheus server scrapes.
    fn exposition(&self) -> String {
        let mut text = String::new();
        for (name, series) in [
            ("patchbay_call_duration_seconds", &self.calls),
            ("patchbay_token_request_duration_seconds", &self.tokens),
        ] {
            let _ = writeln!(text, "# TYPE {name} histogram");
            let series = series.lock().unwrap_or_else(PoisonError::into_inner);
            for (labels, histogram) in series.iter() {
                for (bound, count) in BUCKETS.iter().zip(histogram.buckets) {
                    let _ = writeln!(text, r#"{name}_bucket{{{labels},le="{bound}"}} {count}"#);
                }
                let count = histogram.count;
                let _ = writeln!(text, r#"{name}_bucket{{{labels},le="+Inf"}} {count}"#);
                let _ = writeln!(text, "{name}_sum{{{labels}}} {}", histogram.sum);
                let _ = writeln!(text, "{name}_count{{{labels}}} {count}");
            }
        }
        let name = "patchbay_rate_limit_wait_seconds_total";
        let _ = writeln!(text, "# TYPE {name} counter");
        let waits = self.waits.lock().unwrap_or_else(PoisonError::into_inner);
        for (limit, seconds) in waits.iter() {
            let _ = writeln!(text, r#"{name}{{limit="{limit}"}} {seconds}"#);
        }
        text
    }
}
// ANCHOR_END: metrics

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let base_url = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "http://127.0.0.1:8765".to_owned());
    let client_secret = std::env::var("TASKPAD_CLIENT_SECRET")
        .map_err(|_| "set TASKPAD_CLIENT_SECRET to the Taskpad client's secret")?;
    let spec = SourceFile::new("taskpad.toml", TASKPAD_SPEC);
    let connector = Connector::new(patchbay_compiler::compile_source(&spec)?.plan);

    // ANCHOR: wire
    // Once per process, with the runtime: every connection made through it
    // reports to the same metrics.
    let metrics = Arc::new(PrometheusMetrics::default());
    let runtime = Runtime::new(Options::default())?.with_metrics(metrics.clone());
    // ANCHOR_END: wire

    let plan = connector.plan();
    let values = [
        ("url".to_owned(), json!(base_url)),
        ("client_id".to_owned(), json!("tp_client_7Hq2")),
        ("client_secret".to_owned(), json!(client_secret)),
    ];
    let method = &plan.methods["client_credentials"];
    let instance = Instance::from_values(plan, "client_credentials", method, values.into())?;
    let connection = Connection::new(&runtime, &connector, instance)?;
    for task_id in ["tsk_1", "tsk_2", "tsk_404"] {
        let call = Call {
            variables: [("task_id".to_owned(), json!(task_id))].into(),
            ..Call::default()
        };
        if let Err(error) = connection.call("get_task", &call).await {
            println!("get_task {task_id}: {error}");
        }
    }
    print!("{}", metrics.exposition());
    Ok(())
}
