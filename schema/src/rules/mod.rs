//! Lint rules, one module each, in the manner of ruff: a stable code, a
//! severity, a documentation page in `docs/rules/CODE.md`, a fixture in
//! `fixtures/invalid/` that triggers it and a snapshot of its diagnostic.
//!
//! PB0xx rules are reported while the file is parsed and validated against
//! the schema; the others run on a spec that passed that stage.

use crate::analysis::Analysis;
use crate::diagnostic::{Reporter, Rule};
use crate::document::Node;
use crate::model::Spec;
use crate::source::{SourceFile, Span};

/// Declares a module's rule, its documentation page included.
macro_rules! declare_rule {
    ($code:literal, $name:literal, $severity:ident, $summary:literal) => {
        /// The rule's metadata and documentation.
        pub(crate) static RULE: $crate::diagnostic::Rule = $crate::diagnostic::Rule {
            code: $code,
            name: $name,
            severity: $crate::diagnostic::Severity::$severity,
            summary: $summary,
            doc: include_str!(concat!("../../../docs/rules/", $code, ".md")),
        };
    };
}

pub(crate) mod invalid_syntax;
pub(crate) mod schema_violation;
pub(crate) mod unknown_field;
mod unsupported_format_version;

mod conflicting_declaration;
mod endpoint_without_auth;
mod template_syntax_error;
mod undeclared_template_variable;
mod undeclared_use;
mod undefined_auth_method;
mod undefined_test_endpoint;
mod unused_variable;

mod credential_not_secret;
mod default_type_mismatch;
mod hidden_required_without_default;
mod invalid_enum;
mod invalid_pattern;
mod secret_type_downgrade;
mod secret_with_default;

mod duplicate_header;
mod insecure_http_url;
mod misplaced_url_variable;
mod secret_in_url_query;

mod contradictory_client_settings;
mod removal_without_default;

pub(crate) mod variables;

/// Every rule, by code.
pub static RULES: [&Rule; 25] = [
    &invalid_syntax::RULE,
    &schema_violation::RULE,
    &unknown_field::RULE,
    &unsupported_format_version::RULE,
    &template_syntax_error::RULE,
    &undeclared_template_variable::RULE,
    &undefined_auth_method::RULE,
    &undeclared_use::RULE,
    &conflicting_declaration::RULE,
    &unused_variable::RULE,
    &endpoint_without_auth::RULE,
    &undefined_test_endpoint::RULE,
    &secret_with_default::RULE,
    &hidden_required_without_default::RULE,
    &default_type_mismatch::RULE,
    &invalid_enum::RULE,
    &invalid_pattern::RULE,
    &secret_type_downgrade::RULE,
    &credential_not_secret::RULE,
    &insecure_http_url::RULE,
    &misplaced_url_variable::RULE,
    &secret_in_url_query::RULE,
    &duplicate_header::RULE,
    &contradictory_client_settings::RULE,
    &removal_without_default::RULE,
];

/// A rule by its code (`PB102`) or name (`undeclared-template-variable`),
/// ignoring case.
///
/// ```
/// let rule = patchbay_schema::rule("pb102").unwrap();
/// assert_eq!(rule.name, "undeclared-template-variable");
/// assert!(rule.doc.contains("## Why is this bad?"));
/// ```
pub fn rule(code_or_name: &str) -> Option<&'static Rule> {
    RULES.iter().copied().find(|r| {
        r.code.eq_ignore_ascii_case(code_or_name) || r.name.eq_ignore_ascii_case(code_or_name)
    })
}

/// What the semantic rules see: the file, its parsed tree, the typed spec
/// and the analysis of its requests.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub(crate) file: &'a SourceFile,
    /// The parsed file, when the spec came from one.
    pub(crate) document: Option<&'a Node>,
    pub(crate) spec: &'a Spec,
    pub(crate) analysis: Analysis<'a>,
    /// Every variable declaration, for the rules about variables.
    pub(crate) variables: Vec<variables::VariableSite<'a>>,
}

impl Context<'_> {
    /// The span, relative to the string value at `pointer`, of a byte range
    /// of that string's text — if the string is written without escapes,
    /// so that text offsets are file offsets.
    pub(crate) fn span_in_string(
        &self,
        pointer: &str,
        range: std::ops::Range<usize>,
    ) -> Option<Span> {
        let node = self.document?.locate(pointer)?.node;
        let text = node.as_str()?;
        let raw = self.file.text().get(node.span.start..node.span.end)?;
        // A basic or literal string: one quote character on each side.
        let inner = raw.get(1..raw.len().checked_sub(1)?)?;
        (inner == text && range.end <= text.len())
            .then(|| Span::new(range.start + 1, range.end + 1))
    }
}

impl Context<'_> {
    /// Reports a finding inside the template at `pointer` — at `range` of
    /// its text when the file offsets are known, at the whole value
    /// otherwise.
    pub(crate) fn report_in_template(
        &self,
        reporter: &mut Reporter<'_>,
        pointer: &str,
        range: Option<std::ops::Range<usize>>,
        finding: crate::diagnostic::Finding,
    ) {
        use crate::diagnostic::Target;
        match range.and_then(|r| self.span_in_string(pointer, r)) {
            Some(span) => reporter.report(Target::Within(pointer, span), finding),
            None => reporter.report(Target::Value(pointer), finding),
        }
    }
}

/// Runs every semantic rule.
pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    unsupported_format_version::check(context, reporter);
    template_syntax_error::check(context, reporter);
    undeclared_template_variable::check(context, reporter);
    undefined_auth_method::check(context, reporter);
    undeclared_use::check(context, reporter);
    conflicting_declaration::check(context, reporter);
    unused_variable::check(context, reporter);
    endpoint_without_auth::check(context, reporter);
    undefined_test_endpoint::check(context, reporter);
    secret_with_default::check(context, reporter);
    hidden_required_without_default::check(context, reporter);
    default_type_mismatch::check(context, reporter);
    invalid_enum::check(context, reporter);
    invalid_pattern::check(context, reporter);
    secret_type_downgrade::check(context, reporter);
    credential_not_secret::check(context, reporter);
    insecure_http_url::check(context, reporter);
    misplaced_url_variable::check(context, reporter);
    secret_in_url_query::check(context, reporter);
    duplicate_header::check(context, reporter);
    contradictory_client_settings::check(context, reporter);
    removal_without_default::check(context, reporter);
}
