//! Every connector fixture compiles to a reviewed plan snapshot; every
//! invalid fixture is refused with its lint diagnostics; plans are
//! deterministic and match the committed plan schema.

// Tests read the fixture files; the library code itself does no I/O (clippy.toml).
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::{Path, PathBuf};

use patchbay_compiler::{PLAN_SCHEMA, compile, compile_source, plan_schema};
use patchbay_schema::{SourceFile, lint};

fn source(path: &Path) -> SourceFile {
    let name = format!(
        "fixtures/{}/{}",
        path.parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy(),
        path.file_name().unwrap().to_string_lossy()
    );
    SourceFile::new(name, std::fs::read_to_string(path).unwrap())
}

fn connector_fixtures() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fixtures/connectors");
    let mut files: Vec<PathBuf> = std::fs::read_dir(folder)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    files
}

#[test]
fn every_connector_compiles_to_its_snapshot() {
    insta::glob!("../../fixtures/connectors", "*.{toml,json}", |path| {
        let compiled =
            compile_source(&source(path)).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(compiled.warnings.is_empty(), "{:?}", compiled.warnings);
        insta::assert_json_snapshot!(compiled.plan);
    });
}

#[test]
fn invalid_fixtures_do_not_compile() {
    insta::glob!("../../fixtures/invalid", "*.{toml,json}", |path| {
        let file = source(path);
        let expected = lint(&file).diagnostics;
        let is_warning_only = expected
            .iter()
            .all(|d| d.severity == patchbay_schema::Severity::Warning);
        match compile_source(&file) {
            // A spec with warnings only still compiles, and keeps them.
            Ok(compiled) => {
                assert!(
                    is_warning_only,
                    "{} compiled despite errors",
                    path.display()
                );
                assert_eq!(compiled.warnings, expected);
            }
            Err(diagnostics) => assert_eq!(diagnostics.0, expected),
        }
    });
}

#[test]
fn plans_are_byte_identical_across_runs_and_syntaxes() {
    for path in connector_fixtures() {
        let file = source(&path);
        let first = serde_json::to_string_pretty(&compile_source(&file).unwrap().plan).unwrap();
        let second = serde_json::to_string_pretty(&compile_source(&file).unwrap().plan).unwrap();
        assert_eq!(first, second, "{}", path.display());
        // The same spec written as JSON compiles to the same plan.
        let spec = lint(&file).spec.unwrap();
        let as_json = SourceFile::new("same.json", serde_json::to_string(&spec).unwrap());
        let from_json =
            serde_json::to_string_pretty(&compile_source(&as_json).unwrap().plan).unwrap();
        assert_eq!(first, from_json, "{}", path.display());
    }
}

#[test]
fn the_committed_plan_schema_is_current_and_every_plan_matches_it() {
    let generated = serde_json::to_string_pretty(&plan_schema()).unwrap() + "\n";
    assert!(
        generated == PLAN_SCHEMA,
        "compiler/plan.schema.json is stale; regenerate it with:\n    cargo run -p patchbay-cli -- schema --plan > compiler/plan.schema.json"
    );
    let schema: serde_json::Value = serde_json::from_str(PLAN_SCHEMA).unwrap();
    let validator = jsonschema::validator_for(&schema).unwrap();
    for path in connector_fixtures() {
        let plan = serde_json::to_value(compile_source(&source(&path)).unwrap().plan).unwrap();
        let errors: Vec<String> = validator
            .iter_errors(&plan)
            .map(|e| e.to_string())
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", path.display());
    }
}

#[test]
fn a_spec_built_in_code_is_linted_before_it_compiles() {
    let file = SourceFile::new(
        "x.toml",
        "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n[auth.open]\ntype = \"none\"\n[endpoints.e]\nurl = \"https://x.example/{{ missing }}\"\n",
    );
    let spec = lint(&file).spec.unwrap();
    let error = compile(&spec).unwrap_err();
    assert_eq!(error.0[0].code, "PB102");
    assert_eq!(error.0[0].pointer, "/endpoints/e/url");
    assert!(error.to_string().contains("PB102"), "{error}");
}
