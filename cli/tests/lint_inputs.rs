//! What `lint` reads besides well-formed spec files: a file that is not
//! UTF-8 among good ones, and a spec piped on stdin (as editors do).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// Runs patchbay in the workspace with `stdin` piped in.
fn patchbay(args: &[&str], stdin: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(workspace())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(stdin).unwrap();
    child.wait_with_output().unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// A folder with a valid spec, a Latin-1 one (not UTF-8) and an invalid
/// one, in that order.
fn folder_with_a_latin1_spec(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patchbay-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let fixtures = workspace().join("fixtures");
    std::fs::copy(
        fixtures.join("connectors/github.toml"),
        dir.join("a-github.toml"),
    )
    .unwrap();
    // "Zürich" in Latin-1: 0xFC is not UTF-8.
    std::fs::write(
        dir.join("b-latin1.toml"),
        b"[connector]\nid = \"z\"\nname = \"Z\xfcrich\"\n",
    )
    .unwrap();
    std::fs::copy(
        fixtures.join("invalid/PB102-undeclared-template-variable.toml"),
        dir.join("c-pb102.toml"),
    )
    .unwrap();
    dir
}

#[test]
fn a_file_that_is_not_utf8_is_a_diagnostic_and_the_others_are_linted() {
    let dir = folder_with_a_latin1_spec("latin1-json");
    let output = patchbay(&["lint", "--format", "json", dir.to_str().unwrap()], b"");
    assert_eq!(
        output.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let diagnostics: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostics = diagnostics.as_array().unwrap();
    let codes: Vec<&str> = diagnostics
        .iter()
        .map(|d| d["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["PB001", "PB102"], "{diagnostics:#?}");
    let latin1 = &diagnostics[0];
    assert!(latin1["file"].as_str().unwrap().ends_with("b-latin1.toml"));
    assert_eq!(latin1["message"], "this file is not UTF-8 text");
    assert_eq!(latin1["start"]["line"], 3);
    assert_eq!(latin1["start"]["column"], 10);

    let human = patchbay(&["lint", dir.to_str().unwrap()], b"");
    let shown = stdout(&human);
    assert!(shown.contains("b-latin1.toml:3:10"), "{shown}");
    assert!(
        shown.contains("Found 2 errors and 0 warnings in 3 files."),
        "{shown}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_that_is_not_utf8_is_a_sarif_result() {
    let dir = folder_with_a_latin1_spec("latin1-sarif");
    let output = patchbay(&["lint", "--format", "sarif", dir.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert_eq!(results.len(), 2);
    assert_eq!(results[0]["ruleId"], "PB001");
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .ends_with("b-latin1.toml")
    );
    assert_eq!(location["region"]["startLine"], 3);
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn compile_refuses_a_file_that_is_not_utf8_with_the_diagnostic() {
    let dir = folder_with_a_latin1_spec("latin1-compile");
    let spec = dir.join("b-latin1.toml");
    let output = patchbay(&["compile", spec.to_str().unwrap()], b"");
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty());
    let shown = String::from_utf8_lossy(&output.stderr);
    assert!(
        shown.contains("error[PB001]: this file is not UTF-8 text"),
        "{shown}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn lint_reads_a_spec_from_stdin() {
    let spec =
        std::fs::read(workspace().join("fixtures/invalid/PB102-undeclared-template-variable.toml"))
            .unwrap();
    let output = patchbay(&["lint", "-"], &spec);
    assert_eq!(output.status.code(), Some(1));
    let shown = stdout(&output);
    assert!(shown.contains("--> <stdin>:39:16"), "{shown}");

    let named = patchbay(&["lint", "-", "--stdin-filename", "shop/spec.toml"], &spec);
    assert!(stdout(&named).contains("--> shop/spec.toml:39:16"));

    let valid = std::fs::read(workspace().join("fixtures/connectors/github.toml")).unwrap();
    let with_a_file = patchbay(&["lint", "fixtures/connectors/box.toml", "-"], &valid);
    assert_eq!(with_a_file.status.code(), Some(0));
    assert_eq!(stdout(&with_a_file), "All checks passed (2 files).\n");
}

#[test]
fn the_stdin_filename_gives_the_format() {
    let json = br#"{ "connector": { "id": "x", "name": "X" "version": "1.0.0" } }"#;
    let as_json = patchbay(
        &[
            "lint",
            "--format",
            "json",
            "-",
            "--stdin-filename",
            "x.json",
        ],
        json,
    );
    let diagnostics: serde_json::Value = serde_json::from_slice(&as_json.stdout).unwrap();
    assert_eq!(diagnostics[0]["file"], "x.json");
    assert_eq!(diagnostics[0]["code"], "PB001");
    // Read as TOML, the same text fails on its first character instead.
    let as_toml = patchbay(&["lint", "--format", "json", "-"], json);
    let diagnostics: serde_json::Value = serde_json::from_slice(&as_toml.stdout).unwrap();
    assert_eq!(diagnostics[0]["start"]["column"], 1);
    assert_ne!(
        diagnostics[0]["message"],
        serde_json::from_slice::<serde_json::Value>(&as_json.stdout).unwrap()[0]["message"]
    );
}

#[test]
fn the_stdin_filename_needs_stdin() {
    let output = patchbay(
        &[
            "lint",
            "fixtures/connectors/box.toml",
            "--stdin-filename",
            "x.toml",
        ],
        b"",
    );
    assert_eq!(output.status.code(), Some(2));
    let twice = patchbay(&["lint", "-", "-"], b"");
    assert_eq!(twice.status.code(), Some(2));
}
