//! How lint and compile grow with a spec's size: generated specs of 10 kB,
//! 100 kB and 1 MB, with one and two auth methods, valid and with one
//! error per endpoint. Prints the median time of each (a bench binary, not
//! criterion: one 1 MB lint is long enough to time on its own).
//!
//! Run: `cargo bench -p patchbay-benches --bench scale`;
//! `benches/scale-memory.sh` measures the CLI's time and peak memory on the
//! same specs. Figures in docs/performance.md.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::print_stdout)] // a benchmark reports on stdout

use std::time::{Duration, Instant};

use patchbay_benches::{Shape, generated_spec};
use patchbay_compiler::compile_source;
use patchbay_schema::{SourceFile, lint};

const SIZES: [(usize, &str); 3] = [(10_000, "10k"), (100_000, "100k"), (1_000_000, "1m")];

fn shapes() -> impl Iterator<Item = (String, Shape)> {
    SIZES.into_iter().flat_map(|(bytes, size)| {
        [1, 2].into_iter().flat_map(move |methods| {
            [false, true].into_iter().map(move |errors| {
                let name = format!(
                    "{size}-{methods}m-{}",
                    if errors { "errors" } else { "valid" }
                );
                let shape = Shape {
                    bytes,
                    methods,
                    one_error_per_endpoint: errors,
                };
                (name, shape)
            })
        })
    })
}

/// The median of `runs` timings of `f`, after one untimed run.
fn median(runs: usize, mut f: impl FnMut()) -> Duration {
    f();
    let mut times: Vec<Duration> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed()
        })
        .collect();
    times.sort();
    times[runs / 2]
}

fn main() {
    println!("| spec | bytes | endpoints | diagnostics | lint | lint + compile |");
    println!("|---|---|---|---|---|---|");
    for (name, shape) in shapes() {
        let file = SourceFile::new(format!("{name}.toml"), generated_spec(shape));
        let report = lint(&file);
        let endpoints = report.spec.as_ref().map_or(0, |s| s.endpoints.len());
        assert_eq!(report.has_errors(), shape.one_error_per_endpoint, "{name}");
        let runs = if shape.bytes >= 1_000_000 { 11 } else { 51 };
        let lint_time = median(runs, || {
            std::hint::black_box(lint(std::hint::black_box(&file)));
        });
        let compile_time = if shape.one_error_per_endpoint {
            "—".to_owned()
        } else {
            let time = median(runs, || {
                std::hint::black_box(compile_source(std::hint::black_box(&file)).unwrap());
            });
            format!("{:.2} ms", time.as_secs_f64() * 1e3)
        };
        println!(
            "| {name} | {} | {endpoints} | {} | {:.2} ms | {compile_time} |",
            file.text().len(),
            report.diagnostics.len(),
            lint_time.as_secs_f64() * 1e3,
        );
    }
}
