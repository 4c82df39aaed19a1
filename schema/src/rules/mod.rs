//! The lint rules, in the manner of ruff: one registry table, and one
//! module per rule that runs on a validated spec. Each rule has a stable
//! code, a page `schema/rules/CODE.md` (what `patchbay explain CODE`
//! prints), a fixture `fixtures/invalid/CODE-name.toml` that triggers it
//! alone, and a snapshot of that fixture's diagnostics.
//!
//! Adding a rule: one line in the `registry!` table below, its module with
//! a `check`, its page and its fixture; `schema/tests/fixtures.rs` fails
//! until the page, fixture and snapshot agree with the table. The parse and
//! schema stages (`document.rs`, `validate.rs`) report PB001 to PB003;
//! the instance rules PB501 to PB506 are checked by `instance.rs`, and
//! their fixtures are in `fixtures/invalid-instances/`.

use crate::analysis::Analysis;
use crate::diagnostic::{Finding, Reporter, Severity, Target};
use crate::model::Spec;
use crate::source::{SourceFile, Span};

/// A lint rule: a stable code, a name, when it is checked, a severity and
/// its documentation.
///
/// Every rule is in [`RULES`]; find one with [`rule`].
#[derive(Debug)]
#[non_exhaustive]
pub struct Rule {
    /// Stable code, e.g. `PB102`.
    pub code: &'static str,
    /// Kebab-case name, e.g. `undeclared-template-variable`.
    pub name: &'static str,
    /// Severity of its diagnostics.
    pub severity: Severity,
    /// When [`lint`](crate::lint) checks it.
    pub stage: Stage,
    /// One line on what it reports.
    pub summary: &'static str,
    /// Its documentation page (Markdown): what it does, why, example, fix.
    pub doc: &'static str,
}

/// When a rule is checked. A file that fails one stage is not checked by
/// the next: a spec with a syntax error gets no schema diagnostics, one
/// that does not match the schema no semantic ones.
#[derive(Debug, Clone, Copy)]
pub enum Stage {
    /// While the text is parsed as TOML or JSON.
    Parse,
    /// While the parsed document is validated against the connector schema.
    Schema,
    /// On a spec that matched the schema, also one built in code
    /// ([`lint_spec`](crate::lint_spec)).
    Semantic(Check),
    /// On an instance file, against the inputs of the connector it names
    /// ([`lint_instance`](crate::instance::lint_instance)).
    Instance,
}

/// The check of a semantic rule: what the lint pass calls for it.
#[derive(Clone, Copy)]
pub struct Check(fn(&Context<'_>, &mut Reporter<'_>));

impl std::fmt::Debug for Check {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The function's address says nothing and differs between runs.
        f.debug_tuple("Check").finish_non_exhaustive()
    }
}

/// The registry. Each line: code, name, severity, stage (a semantic rule
/// names the module whose `check` it runs), summary. It declares those
/// modules, a `static` per rule (named by its code, for the modules to
/// report with) and [`RULES`], and includes each rule's page.
macro_rules! registry {
    ($(
        $code:ident $name:literal, $severity:ident, $stage:ident $(($module:ident))?,
            $summary:literal;
    )*) => {
        $($(mod $module;)?)*
        $(
            #[doc = concat!("`", $name, "`: ", $summary)]
            pub(crate) static $code: Rule = Rule {
                code: stringify!($code),
                name: $name,
                severity: Severity::$severity,
                stage: registry!(@stage $stage $($module)?),
                summary: $summary,
                doc: include_str!(concat!("../../rules/", stringify!($code), ".md")),
            };
        )*
        /// Every rule, by code.
        ///
        /// ```
        /// use patchbay_schema::{RULES, Stage};
        ///
        /// let before_a_spec: Vec<&str> = RULES
        ///     .iter()
        ///     .filter(|rule| matches!(rule.stage, Stage::Parse | Stage::Schema))
        ///     .map(|rule| rule.code)
        ///     .collect();
        /// assert_eq!(before_a_spec, ["PB001", "PB002", "PB003"]);
        /// ```
        pub static RULES: &[&Rule] = &[$(&$code),*];
    };
    (@stage Semantic $module:ident) => { Stage::Semantic(Check($module::check)) };
    (@stage $stage:ident) => { Stage::$stage };
}

registry! {
    PB001 "invalid-syntax", Error, Parse,
        "The file is not well-formed TOML or JSON.";
    PB002 "schema-violation", Error, Schema,
        "A value has the wrong type, a required field is missing, or a value is outside its allowed set.";
    PB003 "unknown-field", Error, Schema,
        "A key the connector format does not define (often a typo).";
    PB004 "unsupported-format-version", Error, Semantic(unsupported_format_version),
        "The spec's `format` version is not one this patchbay understands.";

    PB101 "template-syntax-error", Error, Semantic(template_syntax_error),
        "A template string is not valid MiniJinja syntax.";
    PB102 "undeclared-template-variable", Error, Semantic(undeclared_template_variable),
        "A template refers to a name that is not in scope for its request.";
    PB103 "undefined-auth-method", Error, Semantic(undefined_auth_method),
        "An endpoint's `auth` list names a method not defined under `[auth]`.";
    PB104 "undeclared-use", Error, Semantic(undeclared_use),
        "An auth method's `use` lists a connector variable that is not declared.";
    PB105 "conflicting-declaration", Error, Semantic(conflicting_declaration),
        "One name is declared in two scopes that meet in one request.";
    PB106 "unused-variable", Warning, Semantic(unused_variable),
        "A declared variable is not used by any template.";
    PB107 "endpoint-without-auth", Error, Semantic(endpoint_without_auth),
        "An endpoint is enabled for no defined auth method.";
    PB108 "undefined-test-endpoint", Error, Semantic(undefined_test_endpoint),
        "`[connector] test` names an endpoint that does not exist.";
    PB109 "too-many-requests", Error, Semantic(too_many_requests),
        "Endpoints times the auth methods each is enabled for exceed the limit on endpoint requests.";

    PB201 "secret-with-default", Error, Semantic(secret_with_default),
        "A secret variable has a `default`, so the secret would be committed with the spec.";
    PB202 "hidden-required-without-default", Error, Semantic(hidden_required_without_default),
        "A required variable is hidden from the instance form and has no default, so it can never be supplied.";
    PB203 "default-type-mismatch", Error, Semantic(default_type_mismatch),
        "A variable's `default` does not match its `type` or `pattern`.";
    PB204 "invalid-enum", Error, Semantic(invalid_enum),
        "An `enum` variable has no options or a default outside them, or a non-enum has `options`.";
    PB205 "invalid-pattern", Error, Semantic(invalid_pattern),
        "A variable's `pattern` is not a valid regular expression.";
    PB206 "secret-type-downgrade", Error, Semantic(secret_type_downgrade),
        "An override changes the type of a built-in secret (`client_secret`, `password`, `api_key`, `token`), so it would no longer be masked.";
    PB207 "credential-not-secret", Warning, Semantic(credential_not_secret),
        "A variable whose name says it is a credential (password, secret, token, API key) is not `type = \"secret\"`.";
    PB208 "invalid-bounds", Error, Semantic(invalid_bounds),
        "`minimum`/`maximum` on a variable that is not a number, or a `minimum` above the `maximum`.";

    PB301 "insecure-http-url", Error, Semantic(insecure_http_url),
        "A URL uses plain `http://` to a host that is not loopback.";
    PB302 "misplaced-url-variable", Error, Semantic(misplaced_url_variable),
        "A `url`-typed variable is used anywhere but at the very start of a URL.";
    PB303 "secret-in-url-query", Warning, Semantic(secret_in_url_query),
        "A secret is templated into a URL query, where proxies and servers log it.";
    PB304 "duplicate-header", Error, Semantic(duplicate_header),
        "Two header names in one `headers` table differ only in case.";

    PB401 "contradictory-client-settings", Error, Semantic(contradictory_client_settings),
        "A public OAuth client declares a `client_secret` or sets `client_auth`.";
    PB402 "removal-without-default", Error, Semantic(removal_without_default),
        "`false` removes a default entry that the request does not have.";

    PB609 "checkpoint-unused", Error, Semantic(checkpoint_unused),
        "An endpoint keeps an incremental checkpoint that none of its templates sends.";
    PB610 "exclusive-timestamp-boundary", Warning, Semantic(exclusive_timestamp_boundary),
        "A timestamp checkpoint with `boundary = \"exclusive\"` misses records written later in the same instant.";
    PB611 "incremental-with-max-pages", Warning, Semantic(incremental_with_max_pages),
        "An incremental endpoint sets `max_pages`: a run cut short keeps no checkpoint.";
    PB612 "checkpoint-without-initial", Error, Semantic(checkpoint_without_initial),
        "`checkpoint` is used where it has no value on the first run: not the whole value of an entry, and no `initial`.";

    PB701 "connector-entry-always-replaced", Warning, Semantic(connector_entry_always_replaced),
        "Every endpoint replaces or removes a connector-wide `[request]` entry, so it is never sent.";
    PB702 "connector-entry-hides-credential", Error, Semantic(connector_entry_hides_credential),
        "A connector-wide `[request]` entry has the name an auth method puts its credential under.";
    PB703 "endpoint-rate-limit-not-lower", Warning, Semantic(endpoint_rate_limit_not_lower),
        "An endpoint's `rate_limit` allows at least the connector's rate, so it never holds a call back.";
    PB720 "field-beside-whole-body-token", Error, Semantic(field_beside_whole_body_token),
        "A token response whose token is the whole body (`access_token = \"\"`) also names a field to read, which a bare string cannot hold.";
    PB721 "basic-credential-without-secret", Warning, Semantic(basic_credential_without_secret),
        "The `username` and `password` templates of a `basic` method use no secret variable.";
    PB722 "unchecked-callback-capture", Error, Semantic(unchecked_callback_capture),
        "A value captured from the authorization callback is used in a token, refresh or revocation request without a valid allow-list `pattern`.";
    PB723 "revoke-url-written-twice", Error, Semantic(revoke_url_written_twice),
        "A method has both `revoke_url` and a revocation request written out in full (`revoke_request.url`).";
    PB730 "discovery-takes-first-unmatched", Warning, Semantic(discovery_takes_first_unmatched),
        "A discovery takes the first entry of the answer (`select = \"first\"`) with no `match`: a user with several accounts gets whichever the API lists first.";
    PB731 "discovered-value-unused", Warning, Semantic(discovered_value_unused),
        "A discovery captures a value that no endpoint request or applied credential of its method uses.";
    PB740 "oauth1-plaintext-over-http", Warning, Semantic(oauth1_plaintext_over_http),
        "An `oauth1` method signs with `PLAINTEXT`, which sends both secrets themselves, and an endpoint's URL is plain `http://`.";
    PB741 "oauth1-parameter-written", Error, Semantic(oauth1_parameter_written),
        "An endpoint of an `oauth1` method writes an `oauth_…` protocol parameter, which the signature adds itself.";
    PB760 "device-request-without-device-login", Error, Semantic(device_request_without_device_login),
        "A method overrides a device login's requests (`device_authorization_request`, `device_token_request`) but sets no `device_authorization_url`, so it has no device login.";
    PB761 "callback-capture-with-device-login", Error, Semantic(callback_capture_with_device_login),
        "A method that offers a device login captures values from the authorization callback, which a device login never receives.";

    PB750 "assertion-lifetime-too-long", Warning, Semantic(assertion_lifetime_too_long),
        "A signed assertion's `lifetime` is over an hour, longer than servers accept and a long replay window.";
    PB751 "assertion-without-audience", Error, Semantic(assertion_without_audience),
        "A signed assertion's `aud` claim is removed or empty: RFC 7523 requires the audience.";
    PB752 "assertion-algorithm-mismatch", Error, Semantic(assertion_algorithm_mismatch),
        "An assertion's `algorithm` does not fit its key: HS256 with a private key, or RS256/ES256 with `client_secret_jwt`.";
    PB753 "runtime-claim-written", Error, Semantic(runtime_claim_written),
        "An assertion's claims write `iat`, `exp` or `jti`, which patchbay sets on every assertion.";
    PB754 "client-assertion-unused", Warning, Semantic(client_assertion_unused),
        "`client_assertion` is written but the client signs no assertion (`client_auth` is not `private_key_jwt` or `client_secret_jwt`).";

    PB501 "unknown-instance-key", Error, Instance,
        "An instance file has a key that instance files or its auth method do not define (often a typo).";
    PB502 "missing-instance-value", Error, Instance,
        "An instance file lacks `connector` or `auth`, or a value its auth method requires.";
    PB503 "invalid-instance-value", Error, Instance,
        "An instance's value has the wrong type, is not one of the options, or does not match its pattern.";
    PB504 "undefined-instance-auth-method", Error, Instance,
        "An instance names an auth method that its connector does not define.";
    PB505 "instance-without-spec", Warning, Instance,
        "No spec linted with an instance is the connector it names (or that spec has errors), so its values are not checked.";
    PB506 "secret-in-instance", Warning, Instance,
        "A secret's value is written in the instance file instead of `{ env = … }` or `{ file = … }`.";

    PB601 "list-without-pagination", Warning, Semantic(list_without_pagination),
        "An endpoint receives a list of records (`response.records`) but declares no `pagination`.";
    PB602 "unplaced-page-position", Error, Semantic(unplaced_page_position),
        "A page number, offset or cursor is sent nowhere (no `param`, no template uses it), or both by `param` and a template.";
    PB603 "unknown-page-value", Error, Semantic(unknown_page_value),
        "A template uses a `page` value that the endpoint's pagination does not provide.";
    PB604 "value-absent-on-first-request", Error, Semantic(value_absent_on_first_request),
        "`page.cursor` is used in the first request where it cannot be left out, so that request could not be rendered.";
    PB605 "invalid-pagination", Error, Semantic(invalid_pagination),
        "Pagination fields that do not fit together (a cursor with both or neither of `path`/`last_record`, a `limit` a field needs is missing, a `max` checkpoint without `response.records`, …).";
    PB606 "run-ends-on-extra-request", Warning, Semantic(run_ends_on_extra_request),
        "A cursor taken from the last record with no `more`, `done` or `total`: every run ends only by fetching an extra, empty page.";
    PB607 "invalid-page-size", Error, Semantic(invalid_page_size),
        "A `limit` template that is not exactly `{{ name }}` of an integer variable with a `maximum`.";
    PB608 "invalid-error-declaration", Error, Semantic(invalid_error_declaration),
        "An `[errors]` or `response.errors` table that cannot work: codes without a `code` path, a code both retried and reauthenticated, a non-scalar `equals`, an empty `path`.";

    PB710 "unknown-template-filter", Error, Semantic(unknown_template_filter),
        "A template applies a filter that neither MiniJinja nor patchbay provides.";
    PB711 "secret-through-revealing-filter", Error, Semantic(secret_through_filter),
        "A secret goes through a filter whose output gives it away (`base64`, `md5`, `sha256`, `json_ascii`), where redaction cannot recognise it.";
    PB712 "unknown-runtime-field", Error, Semantic(unknown_runtime_field),
        "A template uses a field of `now` or `request` that the runtime does not provide.";
    PB713 "multipart-in-auth-request", Error, Semantic(multipart_in_auth_request),
        "An auth method's own request (token, refresh, revocation, login) has a `multipart` or `file` body, whose bytes only an endpoint call can give.";
}

// What the parse and schema stages use to report their rules, and the
// variable declarations the rules about variables read.
pub(crate) mod invalid_syntax;
pub(crate) mod unknown_field;
pub(crate) mod variables;

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

/// What the semantic rules see: the file, the typed spec
/// and the analysis of its requests.
#[derive(Debug)]
pub(crate) struct Context<'a> {
    pub(crate) file: &'a SourceFile,
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
        reporter: &Reporter<'_>,
        pointer: &str,
        range: std::ops::Range<usize>,
    ) -> Option<Span> {
        let node = reporter.locate(pointer)?.node;
        let text = node.as_str()?;
        let raw = self.file.text().get(node.span.start..node.span.end)?;
        // A basic or literal string: one quote character on each side.
        let inner = raw.get(1..raw.len().checked_sub(1)?)?;
        (inner == text && range.end <= text.len())
            .then(|| Span::new(range.start + 1, range.end + 1))
    }

    /// Reports a finding inside the template at `pointer` — at `range` of
    /// its text when the file offsets are known, at the whole value
    /// otherwise.
    pub(crate) fn report_in_template(
        &self,
        reporter: &mut Reporter<'_>,
        pointer: &str,
        range: Option<std::ops::Range<usize>>,
        finding: Finding,
    ) {
        match range.and_then(|r| self.span_in_string(reporter, pointer, r)) {
            Some(span) => reporter.report(Target::Within(pointer, span), finding),
            None => reporter.report(Target::Value(pointer), finding),
        }
    }
}

/// Runs every semantic rule (only PB109 when the spec has too many
/// requests to analyse).
pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    if too_many_requests::reported(context, reporter) {
        return;
    }
    for rule in RULES {
        if let Stage::Semantic(Check(check)) = rule.stage {
            check(context, reporter);
        }
    }
}
