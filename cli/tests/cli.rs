//! The `patchbay` binary as a user runs it: exit codes, formats, and the
//! human output of every invalid fixture as a snapshot.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;
use std::process::{Command, Output};

fn patchbay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .output()
        .expect("patchbay runs")
}

fn stdout(output: &Output) -> String {
    String::from_utf8(output.stdout.clone()).unwrap()
}

#[test]
fn valid_connectors_pass() {
    let output = patchbay(&["lint", "fixtures/connectors"]);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert!(stdout(&output).starts_with("All checks passed ("));
    // Piped, so no progress line.
    assert!(output.stderr.is_empty());
}

#[test]
fn each_invalid_fixture_fails_with_its_code() {
    insta::glob!("../../fixtures/invalid", "*.{toml,json}", |path| {
        let relative = format!(
            "fixtures/invalid/{}",
            path.file_name().unwrap().to_string_lossy()
        );
        let code = &path.file_name().unwrap().to_string_lossy()[..5];
        let is_warning =
            patchbay_schema::rule(code).unwrap().severity == patchbay_schema::Severity::Warning;
        let output = patchbay(&["lint", &relative]);
        let shown = stdout(&output);
        assert!(shown.contains(&format!("[{code}]")), "{shown}");
        if is_warning {
            assert_eq!(
                output.status.code(),
                Some(0),
                "warnings alone pass: {shown}"
            );
            let denied = patchbay(&["lint", "--deny-warnings", &relative]);
            assert_eq!(denied.status.code(), Some(1));
        } else {
            assert_eq!(output.status.code(), Some(1), "{shown}");
        }
        insta::assert_snapshot!(shown);
    });
}

#[test]
fn usage_and_io_errors_exit_2() {
    let missing = patchbay(&["lint", "fixtures/no-such-spec.toml"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&missing.stderr).contains("fixtures/no-such-spec.toml"));
    assert_eq!(patchbay(&["lint"]).status.code(), Some(2));
    assert_eq!(
        patchbay(&["lint", "--format", "xml", "fixtures"])
            .status
            .code(),
        Some(2)
    );
    let unknown_rule = patchbay(&["explain", "PB999"]);
    assert_eq!(unknown_rule.status.code(), Some(2));
}

#[test]
fn json_output_lists_every_diagnostic() {
    let output = patchbay(&["lint", "--format", "json", "fixtures/invalid"]);
    assert_eq!(output.status.code(), Some(1));
    let diagnostics: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let diagnostics = diagnostics.as_array().unwrap();
    let files = std::fs::read_dir("../fixtures/invalid").unwrap().count();
    assert_eq!(
        diagnostics.len(),
        files,
        "one diagnostic per invalid fixture"
    );
    let first = &diagnostics[0];
    for key in [
        "file", "code", "rule", "severity", "message", "pointer", "start", "end",
    ] {
        assert!(first.get(key).is_some(), "missing {key}");
    }
}

#[test]
fn sarif_output_is_a_sarif_log() {
    let output = patchbay(&[
        "lint",
        "--format",
        "sarif",
        "fixtures/invalid/PB102-undeclared-template-variable.toml",
    ]);
    let log: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(log["version"], "2.1.0");
    let result = &log["runs"][0]["results"][0];
    assert_eq!(result["ruleId"], "PB102");
    assert_eq!(
        result["locations"][0]["physicalLocation"]["region"]["startLine"],
        39
    );
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), patchbay_schema::RULES.len());
}

#[test]
fn github_output_is_workflow_commands() {
    let output = patchbay(&[
        "lint",
        "--format",
        "github",
        "fixtures/invalid/PB106-unused-variable.toml",
    ]);
    let shown = stdout(&output);
    assert!(
        shown.starts_with(
            "::warning file=fixtures/invalid/PB106-unused-variable.toml,line=20,col=12,"
        ),
        "{shown}"
    );
    assert!(shown.contains("title=PB106 unused-variable::"));
}

#[test]
fn explain_prints_the_rule_page() {
    let output = patchbay(&["explain", "pb303"]);
    assert_eq!(output.status.code(), Some(0));
    assert!(stdout(&output).starts_with("# PB303 secret-in-url-query"));
    let by_name = patchbay(&["explain", "secret-in-url-query"]);
    assert_eq!(stdout(&by_name), stdout(&output));
}

#[test]
fn explain_without_a_code_lists_every_rule_and_an_unknown_code_points_there() {
    let output = patchbay(&["explain"]);
    assert_eq!(output.status.code(), Some(0));
    let listed = stdout(&output);
    assert_eq!(listed.lines().count(), patchbay_schema::RULES.len());
    assert!(listed.contains("PB102  error    undeclared-template-variable"));
    assert!(listed.contains("PB303  warning  secret-in-url-query"));
    let unknown = patchbay(&["explain", "PB999"]);
    let message = String::from_utf8_lossy(&unknown.stderr);
    // An installed user has no checkout: the hint is a command, not a path.
    assert!(
        message.contains("run `patchbay explain` without a code"),
        "{message}"
    );
    assert!(!message.contains(".md"), "{message}");
}

#[test]
fn schema_prints_the_committed_schema() {
    let output = patchbay(&["schema"]);
    assert_eq!(stdout(&output), patchbay_schema::CONNECTOR_SCHEMA);
}

#[test]
fn compile_prints_the_plan_and_filters_by_method() {
    let output = patchbay(&[
        "compile",
        "fixtures/connectors/microsoft-graph.toml",
        "--auth",
        "authorization_code",
    ]);
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let plan: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let methods: Vec<&String> = plan["methods"].as_object().unwrap().keys().collect();
    assert_eq!(methods, ["authorization_code"]);
    assert!(output.stderr.is_empty());

    let unknown = patchbay(&[
        "compile",
        "fixtures/connectors/microsoft-graph.toml",
        "--auth",
        "nope",
    ]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&unknown.stderr).contains("client_credentials, authorization_code")
    );
}

#[test]
fn compile_writes_yaml_to_a_file() {
    let out = std::env::temp_dir().join(format!("patchbay-plan-{}.yaml", std::process::id()));
    let output = patchbay(&[
        "compile",
        "fixtures/connectors/twilio.toml",
        "--format",
        "yaml",
        "-o",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(0));
    assert!(output.stdout.is_empty());
    let yaml = std::fs::read_to_string(&out).unwrap();
    std::fs::remove_file(&out).unwrap();
    assert!(yaml.starts_with("plan_format: 1\n"), "{yaml}");
}

#[test]
fn compile_refuses_a_spec_with_errors() {
    let output = patchbay(&[
        "compile",
        "fixtures/invalid/PB102-undeclared-template-variable.toml",
    ]);
    assert_eq!(output.status.code(), Some(1));
    assert!(output.stdout.is_empty(), "no plan on stdout");
    assert!(String::from_utf8_lossy(&output.stderr).contains("error[PB102]"));
}

#[test]
fn schema_plan_prints_the_committed_plan_schema() {
    let output = patchbay(&["schema", "--plan"]);
    assert_eq!(stdout(&output), patchbay_compiler::PLAN_SCHEMA);
}

#[test]
fn colour_only_when_asked_for() {
    let spec = "fixtures/invalid/PB102-undeclared-template-variable.toml";
    let piped = patchbay(&["lint", spec]);
    assert!(!stdout(&piped).contains('\x1b'), "piped output is plain");
    let always = patchbay(&["lint", "--color", "always", spec]);
    assert!(stdout(&always).contains("\x1b["), "{}", stdout(&always));
    assert!(stdout(&always).contains("shop_name"));
    let never = patchbay(&["--color", "never", "lint", spec]);
    assert_eq!(stdout(&never), stdout(&piped));
    // `compile` reports on stderr, under the same flag.
    let compiled = patchbay(&["compile", "--color", "always", spec]);
    assert!(String::from_utf8_lossy(&compiled.stderr).contains("\x1b["));
}

#[test]
fn a_million_character_line_is_cut_around_the_span() {
    let dir = temp_dir("long-line");
    let spec =
        std::fs::read_to_string("../fixtures/invalid/PB102-undeclared-template-variable.toml")
            .unwrap();
    let padding = "x".repeat(1_000_000);
    let long = spec.replacen(
        "url = \"https://{{ shop_name }}",
        &format!("url = \"https://{padding}{{{{ shop_name }}}}"),
        1,
    );
    assert_ne!(
        long, spec,
        "the fixture still has the line this test lengthens"
    );
    let path = dir.join("long.toml");
    std::fs::write(&path, long).unwrap();
    let output = patchbay(&["lint", path.to_str().unwrap()]);
    let shown = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{shown}");
    assert!(shown.len() < 2_000, "{} bytes:\n{shown}", shown.len());
    assert!(
        shown.contains(&format!("long.toml:39:{}", 16 + 1_000_000)),
        "{shown}"
    );
    let lines: Vec<&str> = shown.lines().collect();
    let source = lines
        .iter()
        .position(|l| l.contains("{{ shop_name }}"))
        .unwrap();
    assert!(lines[source].contains("..."), "the cut is marked: {shown}");
    let caret = lines[source + 1].find('^').unwrap();
    assert_eq!(&lines[source][caret..caret + 15], "{{ shop_name }}");
    assert_eq!(lines[source + 1].matches('^').count(), 15);
    assert!(shown.contains("= help: did you mean `shop`?"));
    std::fs::remove_dir_all(dir).unwrap();
}

/// A fresh folder under the system's temporary folder for one test.
fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("patchbay-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}
