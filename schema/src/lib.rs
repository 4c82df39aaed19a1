//! Connector specs for patchbay: the typed model, its JSON Schema, parsing
//! with source spans, and lint rules.
//!
//! A connector spec describes one third-party API: its variables,
//! authentication methods and endpoints. [`lint`] reads one file (TOML or
//! JSON, by extension) and returns the typed [`Spec`] together with every
//! [`Diagnostic`] — syntax, schema and semantic — each placed at
//! file:line:col with a JSON pointer and a fix.
//!
//! ```
//! use patchbay_schema::{lint, SourceFile};
//!
//! let file = SourceFile::new("petstore.toml", r#"
//! format = 1
//! [connector]
//! id = "petstore"
//! name = "Petstore"
//! version = "1.0.0"
//!
//! [auth.key]
//! type = "api_key"
//! name = "X-API-Key"
//!
//! [endpoints.list_pets]
//! url = "https://petstore.example.com/pets?limit={{ limt }}"
//! "#);
//! let report = lint(&file);
//! assert!(report.has_errors());
//! let diagnostic = &report.diagnostics[0];
//! assert_eq!(diagnostic.code, "PB102");
//! assert_eq!((diagnostic.start.line, diagnostic.start.column), (13, 48));
//! ```
//!
//! This crate does no I/O and pulls in no async or network code, so it can
//! serve any service (and compile to WebAssembly).

#![warn(missing_docs)]

mod analysis;
pub mod catalog;
mod diagnostic;
pub mod document;
pub mod instance;
mod model;
pub mod pattern;
pub mod reference;
mod rules;
mod source;
pub mod template;
pub mod usage;
mod validate;
pub mod value;

pub use diagnostic::{Diagnostic, Severity, did_you_mean};
pub use model::*;
pub use rules::{Check, RULES, Rule, Stage, rule};
pub use source::{Position, SourceFile, SourceFormat, Span};
pub use validate::CONNECTOR_SCHEMA;

use diagnostic::Reporter;
use document::Node;

/// The crate README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;

/// The most endpoint requests a spec may describe: one per endpoint and
/// auth method it is enabled for. A plan holds each endpoint once per
/// method (an instance uses one method, and its plan must be whole), so
/// its size is their product; this bounds lint, compile and the plan
/// (about 20 MB of JSON at this limit) while leaving a connector of 1,000
/// endpoints ten methods. PB109 reports a spec over it.
pub const MAX_ENDPOINT_REQUESTS: usize = 10_000;

/// The outcome of linting one file.
#[derive(Debug)]
pub struct LintReport {
    /// The spec, if the file parsed and matched the schema (it may still
    /// have semantic errors: see [`LintReport::has_errors`]).
    pub spec: Option<Spec>,
    /// Every finding, in file order.
    pub diagnostics: Vec<Diagnostic>,
}

impl LintReport {
    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.count(Severity::Error) > 0
    }

    /// How many findings have this severity.
    pub fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .iter()
            .filter(|d| d.severity == severity)
            .count()
    }

    /// The spec, if it has no errors (warnings allowed): what the compiler
    /// may use.
    pub fn valid_spec(&self) -> Option<&Spec> {
        self.spec.as_ref().filter(|_| !self.has_errors())
    }
}

/// Parses, validates and lints one spec file.
///
/// Never panics on any input: malformed syntax, a schema mismatch or a
/// semantic mistake each becomes a [`Diagnostic`].
pub fn lint(file: &SourceFile) -> LintReport {
    match Node::parse(file) {
        Ok(document) => lint_document(file, &document),
        Err(error) => {
            let mut reporter = Reporter::new(file, None);
            rules::invalid_syntax::report(error, file.format(), &mut reporter);
            LintReport {
                spec: None,
                diagnostics: reporter.finish(),
            }
        }
    }
}

/// Validates and lints a spec file already parsed into `document` (by
/// [`Node::parse`] of the same `file`), for a caller that parsed it to
/// look at it first: [`lint`] without a second parse.
pub fn lint_document(file: &SourceFile, document: &Node) -> LintReport {
    let mut reporter = Reporter::new(file, Some(document));
    let spec = validate::validate(&document.to_json(), &mut reporter);
    if let Some(spec) = &spec {
        let context = rules::Context {
            file,
            spec,
            analysis: analysis::Analysis::new(spec),
            variables: rules::variables::all(spec),
        };
        rules::check(&context, &mut reporter);
    }
    LintReport {
        spec,
        diagnostics: reporter.finish(),
    }
}

/// Runs the semantic lint rules on a spec built in code (no file, so the
/// diagnostics carry pointers but no positions).
pub fn lint_spec(spec: &Spec) -> Vec<Diagnostic> {
    let file = SourceFile::new("<spec>", "");
    let mut reporter = Reporter::new(&file, None);
    let context = rules::Context {
        file: &file,
        spec,
        analysis: analysis::Analysis::new(spec),
        variables: rules::variables::all(spec),
    };
    rules::check(&context, &mut reporter);
    reporter.finish()
}

/// The JSON Schema of connector specs, generated from the [`Spec`] type.
/// `schema/connector.schema.json` is this, committed (a test keeps them
/// equal).
pub fn connector_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Spec).to_value();
    if let Some(root) = schema.as_object_mut() {
        root.insert(
            "$id".to_owned(),
            "https://patchbay.dev/schema/connector.schema.json".into(),
        );
    }
    forbid_null(&mut schema);
    schema
}

/// Optional fields are omitted, never `null` (TOML has no null): drop the
/// `null` that schemars allows for `Option`s, so editors do not offer it.
fn forbid_null(schema: &mut serde_json::Value) {
    use serde_json::Value;
    match schema {
        Value::Object(map) => {
            if let Some(Value::Array(types)) = map.get_mut("type") {
                types.retain(|t| t != "null");
                if let [only] = types.as_slice() {
                    let only = only.clone();
                    map.insert("type".to_owned(), only);
                }
            }
            if let Some(Value::Array(branches)) = map.get_mut("anyOf") {
                branches.retain(|b| {
                    b.get("type").is_none_or(|t| t != "null")
                        || b.as_object().is_some_and(|o| o.len() > 1)
                });
                if let [only] = branches.as_slice() {
                    let only = only.clone();
                    map.remove("anyOf");
                    if let Value::Object(fields) = only {
                        map.extend(fields);
                    }
                }
            }
            map.values_mut().for_each(forbid_null);
        }
        Value::Array(items) => items.iter_mut().for_each(forbid_null),
        _ => {}
    }
}
