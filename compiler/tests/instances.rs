//! The instance rules (PB501–PB506) on their fixtures: each instance in
//! `fixtures/invalid-instances/` breaks the rule its name says, and only
//! it, against the plan of the spec beside it (`shop.toml`); the
//! diagnostics are snapshots. The instances of `fixtures/instances/` pass
//! against the connectors they name.

// Tests read the fixture files; the library code itself does no I/O (clippy.toml).
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::fmt::Write;
use std::path::{Path, PathBuf};

use patchbay_compiler::{Plan, compile_source};
use patchbay_schema::instance::lint_instance;
use patchbay_schema::{Diagnostic, SourceFile};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

fn plan(path: &Path) -> Plan {
    let file = SourceFile::new(
        path.display().to_string(),
        std::fs::read_to_string(path).unwrap(),
    );
    compile_source(&file).unwrap_or_else(|e| panic!("{e}")).plan
}

fn read(folder: &str, path: &Path) -> SourceFile {
    let name = format!(
        "fixtures/{folder}/{}",
        path.file_name().unwrap().to_string_lossy()
    );
    SourceFile::new(name, std::fs::read_to_string(path).unwrap())
}

/// Place, code, message, fix, pointer and (unless sensitive) the line.
fn render(file: &SourceFile, diagnostics: &[Diagnostic]) -> String {
    let mut out = String::new();
    for d in diagnostics {
        writeln!(
            out,
            "{}:{}:{}: {} {}[{}]: {}",
            file.name(),
            d.start.line,
            d.start.column,
            d.severity.as_str(),
            d.code,
            d.rule,
            d.message
        )
        .unwrap();
        if let Some(fix) = &d.fix {
            writeln!(out, "  fix: {fix}").unwrap();
        }
        writeln!(out, "  pointer: {}", d.pointer).unwrap();
        if !d.sensitive {
            writeln!(out, "  source: {}", file.line_text(d.start.line).trim()).unwrap();
        }
    }
    out
}

#[test]
fn invalid_instances_trigger_their_rule_only() {
    let shop = plan(&fixtures().join("invalid-instances/shop.toml"));
    insta::glob!("../../fixtures/invalid-instances", "PB*.toml", |path| {
        let file = read("invalid-instances", path);
        let diagnostics = lint_instance(&file, &[shop.instance_target()]);
        let expected = &path.file_name().unwrap().to_string_lossy()[..5];
        assert!(
            !diagnostics.is_empty() && diagnostics.iter().all(|d| d.code == expected),
            "{} should report {expected} and nothing else:\n{}",
            file.name(),
            render(&file, &diagnostics)
        );
        insta::assert_snapshot!(render(&file, &diagnostics));
    });
}

#[test]
fn fixture_instances_pass_against_their_connectors() {
    let instances = std::fs::read_dir(fixtures().join("instances")).unwrap();
    for entry in instances {
        let path = entry.unwrap().path();
        let file = read("instances", &path);
        // The connector it names (a connector may have several instances,
        // one per auth method).
        let name = file
            .text()
            .lines()
            .find_map(|line| line.strip_prefix("connector = \""))
            .and_then(|rest| rest.strip_suffix('"'))
            .unwrap_or_else(|| panic!("{} names no connector", path.display()));
        let connector = plan(&fixtures().join("connectors").join(format!("{name}.toml")));
        let diagnostics = lint_instance(&file, &[connector.instance_target()]);
        assert!(diagnostics.is_empty(), "{}", render(&file, &diagnostics));
    }
}
