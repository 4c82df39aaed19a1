//! Compiles a connector spec into its resolved request **plan**: for each
//! auth method, the inputs an instance provides and every request — the
//! method's own (authorize, token, refresh, revoke) and every endpoint it
//! is enabled for — with all defaults explicit and each entry marked with
//! where it came from (`default`, `spec`, `apply`). A plan holds templates
//! and names, never a secret value, and the same spec always gives the same
//! plan, byte for byte.
//!
//! ```
//! use patchbay_compiler::{compile_source, plan::EntrySource};
//! use patchbay_schema::SourceFile;
//!
//! let file = SourceFile::new("shop.toml", r#"
//! format = 1
//! [connector]
//! id = "shop"
//! name = "Shop"
//! version = "1.0.0"
//!
//! [auth.cc]
//! type = "oauth2_client_credentials"
//! token_url = "https://shop.example.com/oauth/token"
//! "#);
//! let compiled = compile_source(&file).unwrap();
//! let token = compiled.plan.methods["cc"].requests.token.as_ref().unwrap();
//! assert_eq!(token.headers[0].name, "Content-Type");
//! assert_eq!(token.headers[0].provenance, EntrySource::Default);
//! assert_eq!(token.variables, ["client_id", "client_secret", "scope"]);
//! ```
//!
//! Like `patchbay-schema`, this crate does no I/O.

#![warn(missing_docs)]

mod build;
pub mod plan;

use std::fmt;

use patchbay_schema::{Diagnostic, Severity, SourceFile, Spec, lint, lint_spec};

pub use plan::Plan;

/// The committed JSON Schema of plans (`compiler/plan.schema.json`).
pub const PLAN_SCHEMA: &str = include_str!("../plan.schema.json");

/// Why a spec did not compile: its lint errors (and any warnings).
#[derive(Debug, Clone)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let errors: Vec<&Diagnostic> = self
            .0
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .collect();
        write!(f, "the spec has {} error(s)", errors.len())?;
        for error in errors {
            write!(
                f,
                "; {} at {}: {}",
                error.code, error.pointer, error.message
            )?;
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostics {}

/// A compiled spec and the warnings its lint gave.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The plan.
    pub plan: Plan,
    /// Lint warnings (errors stop compilation).
    pub warnings: Vec<Diagnostic>,
}

/// Compiles a spec built in code. Its lint errors, if any, are returned
/// instead (without file positions: the spec has no file); warnings do not
/// stop it.
///
/// ```
/// use indexmap::IndexMap;
/// use patchbay_compiler::compile;
/// use patchbay_schema::{AuthMethod, BearerAuth, Connector, Spec};
///
/// let mut spec = Spec {
///     json_schema: None,
///     format: 1,
///     connector: Connector {
///         id: "status".into(),
///         name: "Status".into(),
///         version: "1.0.0".into(),
///         description: None,
///         docs_url: None,
///         rate_limit: None,
///         test: None,
///     },
///     variables: IndexMap::new(),
///     auth: IndexMap::from([("token".to_owned(), AuthMethod::Bearer(BearerAuth::default()))]),
///     request: None,
///     endpoints: IndexMap::new(),
///     errors: None,
/// };
/// let plan = compile(&spec).unwrap();
/// assert_eq!(plan.methods["token"].auth_type, "bearer");
///
/// // The same rules as for a file: a test endpoint that does not exist.
/// spec.connector.test = Some("missing".into());
/// let errors = compile(&spec).unwrap_err();
/// assert!(errors.0.iter().any(|d| d.code == "PB108"));
/// ```
pub fn compile(spec: &Spec) -> Result<Plan, Diagnostics> {
    let diagnostics = lint_spec(spec);
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(Diagnostics(diagnostics));
    }
    Ok(build::plan(spec))
}

/// Lints and compiles a spec file; diagnostics carry file positions.
///
/// ```
/// use patchbay_compiler::compile_source;
/// use patchbay_schema::SourceFile;
///
/// let file = SourceFile::new("pets.toml", r#"
/// format = 1
/// [connector]
/// id = "pets"
/// name = "Pets"
/// version = "1.0.0"
/// [auth.key]
/// type = "api_key"
/// name = "X-API-Key"
/// [endpoints.list]
/// url = "http://pets.example.com/pets"
/// "#);
/// let errors = compile_source(&file).unwrap_err();
/// let insecure = errors.0.iter().find(|d| d.code == "PB301").unwrap();
/// assert_eq!(insecure.start.line, 11);
/// ```
pub fn compile_source(file: &SourceFile) -> Result<Compiled, Diagnostics> {
    let report = lint(file);
    match report.valid_spec() {
        Some(spec) => Ok(Compiled {
            plan: build::plan(spec),
            warnings: report.diagnostics,
        }),
        None => Err(Diagnostics(report.diagnostics)),
    }
}

/// The JSON Schema of plans, generated from the [`Plan`] type;
/// `compiler/plan.schema.json` is this, committed.
pub fn plan_schema() -> serde_json::Value {
    let mut schema = schemars::schema_for!(Plan).to_value();
    if let Some(root) = schema.as_object_mut() {
        root.insert(
            "$id".to_owned(),
            "https://patchbay.dev/schema/plan.schema.json".into(),
        );
    }
    schema
}

/// The crate README's example, compiled and run as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctest;
