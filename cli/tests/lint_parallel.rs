//! `lint` of a folder on several threads reports exactly what a run on one
//! thread does: the same output, in file order, in every format, with the
//! same exit code.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn patchbay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(workspace())
        .output()
        .expect("patchbay runs")
}

/// A folder of many files: every fixture (valid and invalid specs,
/// instances, invalid instances) three times over, under names that
/// interleave the kinds, and a file that is not UTF-8.
fn many_files(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patchbay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixtures = workspace().join("fixtures");
    for folder in ["connectors", "invalid", "instances", "invalid-instances"] {
        for entry in std::fs::read_dir(fixtures.join(folder)).unwrap() {
            let path = entry.unwrap().path();
            let file = path.file_name().unwrap().to_str().unwrap();
            for copy in 0..3 {
                std::fs::copy(&path, dir.join(format!("{copy}-{folder}-{file}"))).unwrap();
            }
        }
    }
    std::fs::write(
        dir.join("1-latin1.toml"),
        b"format = 1\nname = \"Z\xfcrich\"\n",
    )
    .unwrap();
    dir
}

#[test]
fn every_format_is_the_same_on_one_thread_and_on_many() {
    let dir = many_files("lint-parallel");
    let folder = dir.to_str().unwrap();
    for format in ["human", "json", "sarif", "github"] {
        let sequential = patchbay(&["lint", "--format", format, "--jobs", "1", folder]);
        assert_eq!(sequential.status.code(), Some(1), "{format}");
        assert!(!sequential.stdout.is_empty(), "{format}");
        for jobs in [None, Some("2"), Some("8")] {
            let mut args = vec!["lint", "--format", format, folder];
            if let Some(jobs) = jobs {
                args.extend(["--jobs", jobs]);
            }
            let parallel = patchbay(&args);
            assert_eq!(parallel.status, sequential.status, "{format} {jobs:?}");
            assert!(
                parallel.stdout == sequential.stdout,
                "--format {format} --jobs {jobs:?} differs from --jobs 1:\n{}",
                String::from_utf8_lossy(&parallel.stdout)
            );
            assert_eq!(parallel.stderr, sequential.stderr, "{format} {jobs:?}");
        }
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn diagnostics_come_in_file_order() {
    let dir = many_files("lint-order");
    let output = patchbay(&[
        "lint",
        "--format",
        "json",
        "--jobs",
        "8",
        dir.to_str().unwrap(),
    ]);
    let diagnostics: Vec<serde_json::Value> = serde_json::from_slice(&output.stdout).unwrap();
    let files: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["file"].as_str().unwrap())
        .collect();
    let mut sorted = files.clone();
    sorted.sort_unstable();
    assert_eq!(files, sorted);
    // Every copy of every invalid spec fixture reports, and the Latin-1 file.
    let mut distinct = files.clone();
    distinct.dedup();
    let invalid_specs = std::fs::read_dir(workspace().join("fixtures/invalid"))
        .unwrap()
        .count();
    assert!(distinct.len() > 3 * invalid_specs, "{distinct:?}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn jobs_must_be_a_positive_number() {
    let output = patchbay(&["lint", "--jobs", "0", "fixtures/connectors"]);
    assert_eq!(output.status.code(), Some(2));
}
