//! How fast `lint`, and `lint` + `compile`, are per spec: over every
//! connector fixture and over a ~7 kB spec.
//!
//! Run: `cargo bench -p patchbay-benches`. Figures and their reading are in
//! docs/performance.md.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a benchmark that cannot read its input has failed

use std::path::{Path, PathBuf};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use patchbay_compiler::compile_source;
use patchbay_schema::{SourceFile, lint};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn spec(path: &Path) -> SourceFile {
    let file = SourceFile::new(
        path.display().to_string(),
        std::fs::read_to_string(path).unwrap(),
    );
    let report = lint(&file);
    assert!(
        report.diagnostics.is_empty(),
        "{} must lint clean: {:?}",
        path.display(),
        report.diagnostics
    );
    file
}

fn connector_fixtures() -> Vec<SourceFile> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(workspace().join("fixtures/connectors"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    paths.sort();
    paths.iter().map(|p| spec(p)).collect()
}

fn benches(c: &mut Criterion) {
    let fixtures = connector_fixtures();
    let mut group = c.benchmark_group("lint");
    group.throughput(Throughput::Elements(fixtures.len() as u64));
    group.bench_function("all connector fixtures", |b| {
        b.iter(|| {
            for file in &fixtures {
                std::hint::black_box(lint(std::hint::black_box(file)));
            }
        });
    });
    let large = spec(&workspace().join("benches/specs/shopware6-extended.toml"));
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("one {} B spec", large.text().len()), |b| {
        b.iter(|| std::hint::black_box(lint(std::hint::black_box(&large))));
    });
    group.finish();

    let mut group = c.benchmark_group("lint+compile");
    group.throughput(Throughput::Elements(fixtures.len() as u64));
    group.bench_function("all connector fixtures", |b| {
        b.iter(|| {
            for file in &fixtures {
                std::hint::black_box(compile_source(std::hint::black_box(file)).unwrap());
            }
        });
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function(format!("one {} B spec", large.text().len()), |b| {
        b.iter(|| std::hint::black_box(compile_source(std::hint::black_box(&large)).unwrap()));
    });
    group.finish();
}

criterion_group!(lint_benches, benches);
criterion_main!(lint_benches);
