//! The rule pages in `schema/rules/`: one per registered rule, and the
//! index `schema/rules/README.md` generated from the registry, so that a
//! rule's code, name, severity and summary are written once.

// Tests read the rule pages; the library code itself does no I/O (clippy.toml).
#![allow(clippy::disallowed_methods)]
#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::fmt::Write;
use std::path::{Path, PathBuf};

use patchbay_schema::RULES;

const REGENERATE: &str = "UPDATE_RULES_INDEX=1 cargo test -p patchbay-schema --test rules";

/// The index's sections: the rules whose code starts with the prefix.
const SECTIONS: &[(&str, &str)] = &[
    ("PB0", "Structure"),
    ("PB1", "References and scopes"),
    ("PB2", "Variables"),
    ("PB3", "HTTP and security"),
    ("PB4", "Auth methods"),
    ("PB5", "Instance files"),
    ("PB6", "Pagination, API errors and incremental reads"),
    (
        "PB7",
        "Requests, bodies, filters, auth requests and discovery",
    ),
];

fn rules_folder() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("rules")
}

fn index_markdown() -> String {
    let mut index = format!(
        "# Lint rules

`patchbay lint` checks connector specs against these rules, and instance
files (PB5xx) against the specs linted with them. Every diagnostic
carries its rule code, severity, file, line and column, and a JSON
pointer to the value. `patchbay explain CODE` prints a rule's page.

Errors make `patchbay lint` exit with status 1. Warnings are reported but
leave the exit status at 0, unless `--deny-warnings` is given.

The fixtures in [`fixtures/invalid/`](../../fixtures/invalid/) and
[`fixtures/invalid-instances/`](../../fixtures/invalid-instances/) each
break exactly one rule. The pages in this folder are compiled into the
`patchbay-schema` crate. This index is generated from its rule registry,
`schema/src/rules/mod.rs`; regenerate it with
`{REGENERATE}`.
"
    );
    for (prefix, title) in SECTIONS {
        write!(
            index,
            "\n## {title}\n\n| code | name | severity | summary |\n|---|---|---|---|\n"
        )
        .unwrap();
        for rule in RULES.iter().filter(|r| r.code.starts_with(prefix)) {
            writeln!(
                index,
                "| [{code}]({code}.md) | `{}` | {} | {} |",
                rule.name,
                rule.severity.as_str(),
                rule.summary,
                code = rule.code,
            )
            .unwrap();
        }
    }
    index
}

#[test]
fn the_index_is_current() {
    let path = rules_folder().join("README.md");
    let generated = index_markdown();
    if std::env::var_os("UPDATE_RULES_INDEX").is_some() {
        std::fs::write(&path, &generated).unwrap();
    }
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema/rules/README.md is stale; regenerate it with:\n    {REGENERATE}"
    );
}

#[test]
fn every_rule_is_in_a_section() {
    for rule in RULES {
        assert!(
            SECTIONS
                .iter()
                .any(|(prefix, _)| rule.code.starts_with(prefix)),
            "{} is in no section of the index",
            rule.code
        );
    }
}

#[test]
fn every_page_is_a_registered_rule() {
    for entry in std::fs::read_dir(rules_folder()).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().into_owned();
        if name == "README.md" {
            continue;
        }
        let code = name.strip_suffix(".md").unwrap_or(&name);
        assert!(
            RULES.iter().any(|r| r.code == code),
            "schema/rules/{name} is the page of no registered rule"
        );
    }
}
