//! Lints a connector spec and shows every finding the way a connector
//! builder would show it to the spec's author: where, what, how to fix it,
//! the source line, and the rule's summary.
//!
//! ```console
//! $ cargo run -p patchbay-examples --bin lint-spec -- docs/examples/taskpad/taskpad.toml
//! ```
//!
//! Exits with 1 when the spec has errors.

// An example program: what it prints is its interface.
#![allow(clippy::print_stdout, clippy::print_stderr)]

use std::process::ExitCode;

// ANCHOR: imports
use patchbay_schema::{Severity, SourceFile, lint, rule};
// ANCHOR_END: imports

fn main() -> ExitCode {
    let Some(path) = std::env::args().nth(1) else {
        eprintln!("usage: lint-spec SPEC_FILE");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(&path) {
        Ok(text) => text,
        Err(error) => {
            eprintln!("cannot read {path}: {error}");
            return ExitCode::from(2);
        }
    };
    // ANCHOR: show_diagnostics
    let file = SourceFile::new(path.as_str(), text); // the name decides TOML or JSON
    let report = lint(&file);
    for d in &report.diagnostics {
        let level = if d.severity == Severity::Error {
            "error"
        } else {
            "warning"
        };
        println!(
            "{path}:{}:{}: {level}[{}] {}",
            d.start.line, d.start.column, d.code, d.message
        );
        if let Some(fix) = &d.fix {
            println!("  fix: {fix}");
        }
        if !d.sensitive {
            // The source line, for context; a secret's is never shown.
            println!("  | {}", file.line_text(d.start.line));
        }
        if let Some(rule) = rule(d.code) {
            // `rule.doc` is the whole page that `patchbay explain` prints.
            println!("  rule {}: {}", rule.name, rule.summary);
        }
    }
    // ANCHOR_END: show_diagnostics
    if report.has_errors() {
        return ExitCode::FAILURE;
    }
    println!("{path}: no errors, {} warning(s)", report.diagnostics.len());
    ExitCode::SUCCESS
}
