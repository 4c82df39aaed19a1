//! Hostile and large specs: the limits lint applies, and what a large
//! generated spec reports (its speed is measured by `benches/scale.rs`,
//! not timed here).

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::fmt::Write;

use patchbay_schema::pattern::{MAX_PATTERN_BYTES, compile_pattern};
use patchbay_schema::{SourceFile, lint};

fn spec_with_pattern(pattern: &str) -> SourceFile {
    SourceFile::new(
        "pattern.toml",
        format!(
            "format = 1\n[connector]\nid = \"p\"\nname = \"P\"\nversion = \"1.0.0\"\n\
             [variables.code]\npattern = '{pattern}'\n\
             [auth.key]\ntype = \"bearer\"\n\
             [endpoints.get]\nurl = \"https://api.example.com/{{{{ code }}}}\"\n"
        ),
    )
}

#[test]
fn a_pattern_every_run_would_refuse_is_a_lint_error() {
    // The runtime compiles patterns with a size limit; lint once only
    // parsed them, and passed `\w{5000}`.
    for pattern in [r"\w{5000}".to_owned(), "a".repeat(MAX_PATTERN_BYTES + 1)] {
        assert!(compile_pattern(&pattern).is_err());
        let report = lint(&spec_with_pattern(&pattern));
        let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["PB205"], "{pattern:.20}");
        let message = &report.diagnostics[0].message;
        assert!(message.contains("too large"), "{message}");
    }
    assert!(
        lint(&spec_with_pattern("[a-z]{100}"))
            .diagnostics
            .is_empty()
    );
}

/// 2,000 connector variables and 2,000 endpoints under two auth methods,
/// each endpoint using one undeclared name: lint took 13 s in release
/// when each request copied every variable into its scope.
#[test]
fn a_large_spec_reports_each_mistake_once() {
    let endpoints = 2_000;
    let mut text = String::from(
        "format = 1\n[connector]\nid = \"big\"\nname = \"Big\"\nversion = \"1.0.0\"\n\
         [auth.token]\ntype = \"bearer\"\n\
         [auth.cc]\ntype = \"oauth2_client_credentials\"\ntoken_url = \"https://api.example.com/token\"\n",
    );
    for i in 0..endpoints {
        write!(
            text,
            "[variables.field_{i}]\ndefault = \"x\"\n\
             [endpoints.get_{i}]\nurl = \"https://api.example.com/{i}?f={{{{ field_{i} }}}}&t={{{{ missing_{i} }}}}\"\n"
        )
        .unwrap();
    }
    let report = lint(&SourceFile::new("big.toml", text));
    assert_eq!(report.diagnostics.len(), endpoints);
    assert!(report.diagnostics.iter().all(|d| d.code == "PB102"));
    // Positions are right at the end of a large file.
    let last = report.diagnostics.last().unwrap();
    assert_eq!(last.start.line, 10 + 4 * endpoints);
}

/// MiniJinja's parser refuses nesting deeper than its recursion limit, so a
/// deeply nested template is a PB101 diagnostic, not a stack overflow.
#[test]
fn deeply_nested_templates_are_a_syntax_error() {
    let depth = 10_000;
    for template in [
        format!("{{{{ {}x{} }}}}", "(".repeat(depth), ")".repeat(depth)),
        format!(
            "{}x{}",
            "{% if a %}".repeat(depth),
            "{% endif %}".repeat(depth)
        ),
    ] {
        let file = SourceFile::new(
            "nested.toml",
            format!(
                "format = 1\n[connector]\nid = \"n\"\nname = \"N\"\nversion = \"1.0.0\"\n\
                 [auth.key]\ntype = \"bearer\"\n\
                 [endpoints.get]\nurl = \"https://api.example.com/\"\nheaders = {{ X = \"{template}\" }}\n"
            ),
        );
        let report = lint(&file);
        let codes: Vec<&str> = report.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, ["PB101"]);
        assert!(report.diagnostics[0].message.contains("recursion"));
    }
}
