//! `lint` on folders that hold instances beside their specs: instances are
//! checked against the spec of their connector, files that are neither are
//! skipped when a folder is searched, `.gitignore` and `--exclude` leave
//! files out, and a secret written in an instance is a warning that
//! `--deny-warnings` turns into a failure.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn patchbay_in(folder: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(folder)
        .output()
        .unwrap()
}

fn patchbay(args: &[&str]) -> Output {
    patchbay_in(&workspace(), args)
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A fresh folder holding the tutorial's spec and one instance with the
/// given `[values]`, named `instance.toml`.
fn taskpad_folder(name: &str, values: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patchbay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::copy(
        workspace().join("docs/examples/taskpad/taskpad.toml"),
        dir.join("taskpad.toml"),
    )
    .unwrap();
    std::fs::write(
        dir.join("instance.toml"),
        format!("connector = \"taskpad\"\nauth = \"client_credentials\"\n\n[values]\n{values}"),
    )
    .unwrap();
    dir
}

#[test]
fn fixtures_report_only_the_invalid_files() {
    let output = patchbay(&["lint", "--format", "json", "fixtures"]);
    assert_eq!(output.status.code(), Some(1));
    let report: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let files: Vec<&str> = report
        .as_array()
        .unwrap()
        .iter()
        .map(|diagnostic| diagnostic["file"].as_str().unwrap())
        .collect();
    for file in &files {
        assert!(
            file.starts_with("fixtures/invalid/")
                || file.starts_with("fixtures/invalid-instances/PB"),
            "{file} should lint clean"
        );
    }
    assert!(
        files
            .iter()
            .any(|f| f.ends_with("PB506-secret-in-instance.toml"))
    );
}

#[test]
fn the_tutorial_folder_reports_only_its_misspelled_spec() {
    let output = patchbay(&["lint", "docs/examples/taskpad"]);
    let shown = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("misspelled/taskpad.toml:60:45"), "{shown}");
    assert!(shown.contains("Found 1 error and 0 warnings"), "{shown}");
    // The payload `task.json` is neither a spec nor an instance: skipped.
    assert!(!shown.contains("task.json"), "{shown}");
}

#[test]
fn exclude_leaves_out_what_its_glob_matches() {
    let output = patchbay(&["lint", "--exclude", "misspelled/", "docs/examples/taskpad"]);
    let shown = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.starts_with("All checks passed (5 files)"), "{shown}");
}

#[test]
fn gitignored_files_are_left_out() {
    let dir = taskpad_folder("gitignore", "client_id = 7\n");
    let failing = patchbay_in(&dir, &["lint", "."]);
    assert_eq!(failing.status.code(), Some(1), "{}", stdout(&failing));
    std::fs::write(dir.join(".gitignore"), "instance.toml\n").unwrap();
    let ignored = patchbay_in(&dir, &["lint", "."]);
    assert_eq!(ignored.status.code(), Some(0), "{}", stdout(&ignored));
    // A file named on the command line is checked all the same.
    let named = patchbay_in(&dir, &["lint", "taskpad.toml", "instance.toml"]);
    assert_eq!(named.status.code(), Some(1));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn instance_errors_are_placed_with_a_snippet() {
    let dir = taskpad_folder(
        "placed",
        "url = \"acme.taskpad.example\"\nclientid = \"tp_client_7Hq2\"\nclient_secret = { env = \"TASKPAD_CLIENT_SECRET\" }\n",
    );
    let output = patchbay_in(&dir, &["lint", "."]);
    let shown = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(
        shown.contains("error[PB503]: `url`: not an absolute URL"),
        "{shown}"
    );
    assert!(shown.contains("--> ./instance.toml:5:7"), "{shown}");
    assert!(shown.contains("--> ./instance.toml:6:1"), "{shown}");
    assert!(shown.contains("help: did you mean `client_id`?"), "{shown}");
    assert!(
        shown.contains("error[PB502]: missing: `client_id`"),
        "{shown}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_secret_written_in_an_instance_is_a_warning_never_shown() {
    let dir = taskpad_folder(
        "secret",
        "url = \"https://acme.taskpad.example\"\nclient_id = \"tp_client_7Hq2\"\nclient_secret = \"cs_live_plain\"\n",
    );
    let output = patchbay_in(&dir, &["lint", "."]);
    let shown = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(
        shown.contains("warning[PB506]: `client_secret` is a secret"),
        "{shown}"
    );
    assert!(shown.contains("{ env = \"NAME\" }"), "{shown}");
    assert!(!shown.contains("cs_live_plain"), "{shown}");
    let denied = patchbay_in(&dir, &["lint", "--deny-warnings", "."]);
    assert_eq!(denied.status.code(), Some(1));
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_instance_alone_is_a_warning_that_its_spec_is_missing() {
    let output = patchbay(&["lint", "docs/examples/taskpad/acme-key.toml"]);
    let shown = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{shown}");
    assert!(shown.contains("warning[PB505]"), "{shown}");
}

#[test]
fn run_reports_an_instance_error_at_its_line() {
    let dir = taskpad_folder(
        "run",
        "url = \"https://acme.taskpad.example\"\nclientid = \"tp_client_7Hq2\"\nclient_secret = { env = \"TASKPAD_CLIENT_SECRET\" }\n",
    );
    let output = patchbay_in(
        &dir,
        &[
            "run",
            "taskpad.toml",
            "--instance",
            "instance.toml",
            "--endpoint",
            "list_projects",
            "--dry-run",
        ],
    );
    let shown = String::from_utf8(output.stderr).unwrap();
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.contains("error[PB501]: `clientid`"), "{shown}");
    assert!(shown.contains("--> instance.toml:6:1"), "{shown}");
    std::fs::remove_dir_all(dir).unwrap();
}
