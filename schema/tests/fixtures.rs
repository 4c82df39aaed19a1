//! Every fixture: valid connectors lint clean; each invalid fixture triggers
//! its own rule (named by its file name) and nothing else, and the
//! diagnostics are snapshots. Every rule of the registry has its page,
//! fixture and snapshot.

// Tests read the fixture files; the library code itself does no I/O (clippy.toml).
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::fmt::Write;
use std::path::{Path, PathBuf};

use patchbay_schema::{LintReport, RULES, SourceFile, Stage, lint};

fn fixtures(folder: &str) -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../fixtures")
        .join(folder);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap_or_else(|e| panic!("{}: {e}", folder.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_file())
        .collect();
    files.sort();
    files
}

fn lint_path(path: &Path) -> (SourceFile, LintReport) {
    let name = format!(
        "fixtures/{}/{}",
        path.parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy(),
        path.file_name().unwrap().to_string_lossy()
    );
    let file = SourceFile::new(name, std::fs::read_to_string(path).unwrap());
    let report = lint(&file);
    (file, report)
}

/// A compact, reviewable rendering: place, code, message, fix, pointer, and
/// the source line.
fn render(file: &SourceFile, report: &LintReport) -> String {
    let mut out = String::new();
    for d in &report.diagnostics {
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
fn valid_connectors_lint_clean() {
    let files = fixtures("connectors");
    assert!(
        files.len() >= 5,
        "expected at least five connector fixtures"
    );
    for path in files {
        let (file, report) = lint_path(&path);
        assert!(report.diagnostics.is_empty(), "{}", render(&file, &report));
        assert!(report.spec.is_some());
    }
}

#[test]
fn invalid_fixtures_trigger_their_rule_only() {
    insta::glob!("../../fixtures/invalid", "*.{toml,json}", |path| {
        let (file, report) = lint_path(path);
        let expected = path.file_name().unwrap().to_string_lossy()[..5].to_owned();
        assert!(
            !report.diagnostics.is_empty() && report.diagnostics.iter().all(|d| d.code == expected),
            "{} should report {expected} and nothing else:\n{}",
            file.name(),
            render(&file, &report)
        );
        insta::assert_snapshot!(render(&file, &report));
    });
}

/// The registry and the files of each rule agree: a page with the rule's
/// title, severity and sections, a fixture named after it, reported at the
/// rule's stage, and a snapshot of each fixture's diagnostics (for the
/// instance rules, `fixtures/invalid-instances/` and the compiler's
/// snapshots).
#[test]
fn every_rule_has_a_page_a_fixture_and_a_snapshot() {
    let invalid = fixtures("invalid");
    let instance_fixtures = fixtures("invalid-instances");
    let snapshots = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/snapshots");
    let compiler_snapshots =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../compiler/tests/snapshots");
    for rule in RULES {
        assert!(
            rule.doc.starts_with(&format!(
                "# {} {}\n\n**Severity:** {}\n",
                rule.code,
                rule.name,
                rule.severity.as_str()
            )),
            "{}: the page starts with its title and severity",
            rule.code
        );
        for heading in [
            "## What it does",
            "## Why is this bad?",
            "## Example",
            "## How to fix",
        ] {
            assert!(
                rule.doc.contains(heading),
                "{} doc lacks {heading}",
                rule.code
            );
        }
        let prefix = format!("{}-{}", rule.code, rule.name);
        if matches!(rule.stage, Stage::Instance) {
            // Instances are checked against a compiled plan, so their
            // fixtures are linted and snapshotted by the compiler's tests.
            let own = instance_fixtures.iter().filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&prefix)
            });
            let mut found = false;
            for path in own {
                found = true;
                let snapshot = compiler_snapshots.join(format!(
                    "instances__invalid_instances_trigger_their_rule_only@{}.snap",
                    path.file_name().unwrap().to_string_lossy()
                ));
                assert!(snapshot.is_file(), "no snapshot {}", snapshot.display());
            }
            assert!(found, "no fixtures/invalid-instances/{prefix}.toml");
            continue;
        }
        let own: Vec<&PathBuf> = invalid
            .iter()
            .filter(|p| {
                p.file_name()
                    .unwrap()
                    .to_string_lossy()
                    .starts_with(&prefix)
            })
            .collect();
        assert!(!own.is_empty(), "no fixtures/invalid/{prefix}.toml");
        for path in own {
            let (file, report) = lint_path(path);
            // A rule of an earlier stage stops the lint before a spec exists.
            let checked_on_a_spec = matches!(rule.stage, Stage::Semantic(_));
            assert_eq!(
                report.spec.is_some(),
                checked_on_a_spec,
                "{} is reported at stage {:?}",
                file.name(),
                rule.stage
            );
            let snapshot = snapshots.join(format!(
                "fixtures__invalid_fixtures_trigger_their_rule_only@{}.snap",
                path.file_name().unwrap().to_string_lossy()
            ));
            assert!(snapshot.is_file(), "no snapshot {}", snapshot.display());
        }
    }
    let codes: std::collections::HashSet<_> = RULES.iter().map(|r| r.code).collect();
    assert_eq!(codes.len(), RULES.len(), "rule codes are unique");
}
