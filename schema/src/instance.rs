//! Instance files: one user's values for one auth method of a connector.
//! How to tell one from a spec, and the checks that `patchbay lint` runs on
//! it and the runtime runs on the values it binds (rules PB501–PB506).
//!
//! ```toml
//! connector = "shopware6"
//! auth = "client_credentials"
//! [values]
//! url = "https://shop.example.com"
//! client_secret = { env = "SHOPWARE_CLIENT_SECRET" }   # or { file = "..." }
//! ```
//!
//! Lint reads literal values only: `{ env }` and `{ file }` are never
//! resolved, because lint runs on untrusted changes (pull requests).

use serde_json::Value;

use crate::diagnostic::{Diagnostic, Finding, Reporter, Target, did_you_mean, offer};
use crate::document::{Member, Node, NodeValue, pointer_push};
use crate::model::VariableType;
use crate::rules::{PB501, PB502, PB503, PB504, PB505, PB506};
use crate::source::SourceFile;

/// The top-level keys of an instance file.
const TOP_LEVEL_KEYS: [&str; 3] = ["connector", "auth", "values"];

/// What a parsed TOML or JSON file is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileKind {
    /// A connector spec: it has `format` or a `[connector]` table.
    Spec,
    /// An instance: its `connector` is a string, the connector's id.
    Instance,
    /// Neither (a payload, a schema, a package manifest…).
    Other,
}

/// Tells a spec from an instance by their shape: a spec's `connector` is a
/// table, an instance's the connector's id.
///
/// ```
/// use patchbay_schema::{SourceFile, document::Node};
/// use patchbay_schema::instance::{FileKind, file_kind};
///
/// let kind = |text: &str| file_kind(&Node::parse(&SourceFile::new("a.toml", text)).unwrap());
/// assert_eq!(kind("connector = \"shop\"\nauth = \"key\""), FileKind::Instance);
/// assert_eq!(kind("format = 1\n[connector]\nid = \"shop\""), FileKind::Spec);
/// assert_eq!(kind("title = \"Order more coffee\""), FileKind::Other);
/// ```
pub fn file_kind(document: &Node) -> FileKind {
    let member = |key: &str| document.members().iter().find(|m| m.key == key);
    match member("connector") {
        Some(connector) if connector.value.as_str().is_some() => FileKind::Instance,
        Some(_) => FileKind::Spec,
        None if member("format").is_some() => FileKind::Spec,
        None => FileKind::Other,
    }
}

/// One value an auth method takes from an instance, as the checks need it
/// (the compiler's plan lists them for each method).
#[derive(Debug, Clone, Copy)]
pub struct ExpectedInput<'a> {
    /// The name templates use and the instance's key.
    pub key: &'a str,
    /// Display name.
    pub label: &'a str,
    /// Value type.
    pub kind: VariableType,
    /// Whether the instance must give it: required, and no default.
    pub required: bool,
    /// Never shown, logged or written.
    pub secret: bool,
    /// Whole-value regular expression.
    pub pattern: Option<&'a str>,
    /// Allowed values of an enum.
    pub options: Option<&'a [String]>,
    /// Smallest value of a number (inclusive).
    pub minimum: Option<&'a serde_json::Number>,
    /// Largest value of a number (inclusive).
    pub maximum: Option<&'a serde_json::Number>,
    /// A list given for it is joined with this separator (an OAuth scope).
    pub list_separator: Option<&'a str>,
}

/// A connector an instance may name: its id and, if its spec compiled,
/// each auth method's key with its inputs.
#[derive(Debug, Clone)]
pub struct InstanceTarget<'a> {
    /// The connector's id.
    pub id: &'a str,
    /// The auth methods, or `None` when the spec has errors.
    pub methods: Option<Vec<(&'a str, Vec<ExpectedInput<'a>>)>>,
}

/// Why a value does not fit its input. The text names no secret value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueError(pub String);

impl std::fmt::Display for ValueError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ValueError {}

/// Checks a value against its input's type, options and pattern.
/// `matches(pattern, text)` matches a whole text (the runtime passes its
/// compiled patterns; see [`crate::pattern::compile_pattern`]).
///
/// ```
/// use patchbay_schema::VariableType;
/// use patchbay_schema::instance::{ExpectedInput, check_value};
/// use patchbay_schema::pattern::compile_pattern;
/// use serde_json::json;
///
/// let input = ExpectedInput {
///     key: "project_id", label: "Project", kind: VariableType::String, required: true,
///     secret: false, pattern: Some("prj_[a-z]+"), options: None, minimum: None, maximum: None, list_separator: None,
/// };
/// let matches = |p: &str, t: &str| compile_pattern(p).map(|r| r.is_match(t));
/// assert!(check_value(&input, &json!("prj_abc"), &matches).is_ok());
/// assert!(check_value(&input, &json!("abc"), &matches).is_err());
/// assert!(check_value(&input, &json!(3), &matches).is_err());
/// ```
pub fn check_value(
    input: &ExpectedInput<'_>,
    value: &Value,
    matches: &dyn Fn(&str, &str) -> Result<bool, String>,
) -> Result<(), ValueError> {
    let joined = joined_list(input, value);
    let value = joined.as_ref().unwrap_or(value);
    let expected = match input.kind {
        VariableType::String | VariableType::Secret | VariableType::Enum | VariableType::Url => {
            "a string"
        }
        VariableType::Integer => "an integer",
        VariableType::Number => "a number",
        VariableType::Boolean => "`true` or `false`",
    };
    match crate::value::check_type(input.kind, value) {
        Ok(()) => {}
        Err(crate::value::TypeMismatch::Shape) => {
            return Err(ValueError(format!(
                "must be {expected} (type `{}`)",
                input.kind.as_str()
            )));
        }
        Err(crate::value::TypeMismatch::Url(message)) => return Err(ValueError(message)),
    }
    crate::value::check_bounds(value, input.minimum, input.maximum).map_err(ValueError)?;
    let Some(text) = value.as_str() else {
        return Ok(());
    };
    if let Some(options) = input.options
        && input.kind == VariableType::Enum
        && !options.iter().any(|o| o == text)
    {
        return Err(ValueError(format!(
            "must be one of: {}",
            options.join(", ")
        )));
    }
    if let Some(pattern) = input.pattern {
        let matched =
            matches(pattern, text).map_err(|e| ValueError(format!("invalid pattern: {e}")))?;
        if !matched {
            let shown = if input.secret {
                String::new()
            } else {
                format!("`{text}` ")
            };
            return Err(ValueError(format!(
                "{shown}does not match the pattern `{pattern}`"
            )));
        }
    }
    Ok(())
}

/// A list of strings given for an input that joins lists (a scope), as
/// the one string it stands for.
pub fn joined_list(input: &ExpectedInput<'_>, value: &Value) -> Option<Value> {
    let separator = input.list_separator?;
    let items = value.as_array()?;
    let texts: Option<Vec<&str>> = items.iter().map(Value::as_str).collect();
    texts.map(|texts| Value::String(texts.join(separator)))
}

/// Why a key is not an input of a method, with the closest input's name
/// or the list of inputs.
pub fn unknown_key_message(key: &str, method: &str, inputs: &[ExpectedInput<'_>]) -> String {
    let keys = inputs.iter().map(|i| i.key);
    match did_you_mean(key, keys.clone()) {
        Some(close) => format!("not an input of auth method `{method}`; did you mean `{close}`?"),
        None => format!(
            "not an input of auth method `{method}`; its inputs are: {}",
            keys.collect::<Vec<_>>().join(", ")
        ),
    }
}

/// What a missing required value is reported as.
pub fn missing_message(input: &ExpectedInput<'_>, method: &str) -> String {
    format!(
        "missing: `{}` ({}) is required by auth method `{method}`; add it under [values]",
        input.key, input.label
    )
}

/// Lints an instance file against the connectors of the specs linted with
/// it. Literal values only are checked; `{ env }` and `{ file }` are never
/// read.
///
/// ```
/// use patchbay_schema::{SourceFile, VariableType};
/// use patchbay_schema::instance::{ExpectedInput, InstanceTarget, lint_instance};
///
/// let api_key = ExpectedInput {
///     key: "api_key", label: "API key", kind: VariableType::Secret, required: true,
///     secret: true, pattern: None, options: None, minimum: None, maximum: None, list_separator: None,
/// };
/// let shop = InstanceTarget { id: "shop", methods: Some(vec![("key", vec![api_key])]) };
/// let file = SourceFile::new("mine.toml", "connector = \"shop\"\nauth = \"key\"\n[values]\napi_key = \"k-123\"\n");
/// let diagnostics = lint_instance(&file, &[shop]);
/// assert_eq!(diagnostics[0].code, "PB506");
/// assert_eq!((diagnostics[0].start.line, diagnostics[0].start.column), (4, 11));
/// ```
pub fn lint_instance(file: &SourceFile, targets: &[InstanceTarget<'_>]) -> Vec<Diagnostic> {
    let document = match Node::parse(file) {
        Ok(document) => document,
        Err(error) => {
            let mut reporter = Reporter::new(file, None);
            crate::rules::invalid_syntax::report(error, file.format(), &mut reporter);
            return reporter.finish();
        }
    };
    let mut reporter = Reporter::new(file, Some(&document));
    Checker {
        document: &document,
        reporter: &mut reporter,
    }
    .check(targets);
    reporter.finish()
}

struct Checker<'d, 'r, 'f> {
    document: &'d Node,
    reporter: &'r mut Reporter<'f>,
}

impl Checker<'_, '_, '_> {
    fn check(&mut self, targets: &[InstanceTarget<'_>]) {
        for member in self.document.members() {
            if !TOP_LEVEL_KEYS.contains(&member.key.as_str()) {
                let pointer = pointer_push("", &member.key);
                let mut finding = Finding::new(
                    &PB501,
                    format!(
                        "`{}` is not a key of instance files; they have `connector`, `auth` and [values]",
                        member.key
                    ),
                );
                if let Some(close) = did_you_mean(&member.key, TOP_LEVEL_KEYS) {
                    finding = finding.fix(offer(close));
                }
                self.reporter.report(Target::Key(&pointer), finding);
            }
        }
        let connector = self.string("connector");
        let auth = self.string("auth");
        let values = self.values();
        for (key, node) in &values {
            self.check_form(key, node);
        }
        let (Some(connector), Some(auth)) = (connector, auth) else {
            return;
        };
        let Some(target) = targets.iter().find(|t| t.id == connector) else {
            self.reporter.report(
                Target::Value("/connector"),
                Finding::new(
                    &PB505,
                    format!(
                        "no spec of connector `{connector}` is among the files linted, so this instance's values are not checked"
                    ),
                )
                .fix("lint the instance together with its spec: `patchbay lint SPEC INSTANCE`, or their folder"),
            );
            return;
        };
        let Some(methods) = &target.methods else {
            self.reporter.report(
                Target::Value("/connector"),
                Finding::new(
                    &PB505,
                    format!(
                        "the spec of connector `{connector}` has errors, so this instance's values are not checked"
                    ),
                )
                .fix("fix the spec's errors first"),
            );
            return;
        };
        let Some((method, inputs)) = methods.iter().find(|(key, _)| *key == auth) else {
            let keys = methods.iter().map(|(key, _)| *key);
            let mut finding = Finding::new(
                &PB504,
                format!(
                    "connector `{connector}` has no auth method `{auth}`; it has: {}",
                    keys.clone().collect::<Vec<_>>().join(", ")
                ),
            );
            if let Some(close) = did_you_mean(&auth, keys) {
                finding = finding.fix(offer(close));
            }
            self.reporter.report(Target::Value("/auth"), finding);
            return;
        };
        self.check_values(method, inputs, &values);
    }

    /// The string at a top-level key; a missing key or one of another type
    /// is reported.
    fn string(&mut self, key: &str) -> Option<String> {
        let pointer = pointer_push("", key);
        let Some(located) = self.document.locate(&pointer) else {
            let what = match key {
                "connector" => "the id of the connector this instance is for",
                _ => "the key of the auth method it uses",
            };
            self.reporter.report(
                Target::Key(&pointer),
                Finding::new(&PB502, format!("missing `{key}`: {what}"))
                    .fix(format!("add `{key} = \"…\"` at the top of the file")),
            );
            return None;
        };
        let text = located.node.as_str().map(str::to_owned);
        if text.is_none() {
            self.reporter.report(
                Target::Value(&pointer),
                Finding::new(&PB503, format!("`{key}` must be a string")),
            );
        }
        text
    }

    /// The members of [values]; one of another type is reported.
    fn values(&mut self) -> Vec<(String, Node)> {
        let Some(located) = self.document.locate("/values") else {
            return Vec::new();
        };
        match &located.node.value {
            NodeValue::Object(members) => members
                .iter()
                .map(|Member { key, value, .. }| (key.clone(), value.clone()))
                .collect(),
            _ => {
                self.reporter.report(
                    Target::Value("/values"),
                    Finding::new(
                        &PB503,
                        "`values` must be a table of the auth method's inputs",
                    ),
                );
                Vec::new()
            }
        }
    }

    /// A table value must be `{ env = "NAME" }` or `{ file = "PATH" }`.
    fn check_form(&mut self, key: &str, node: &Node) {
        let members = match &node.value {
            NodeValue::Object(members) => members,
            _ => return,
        };
        let well_formed = matches!(
            members.as_slice(),
            [Member { key: source, value, .. }]
                if (source == "env" || source == "file") && value.as_str().is_some()
        );
        if !well_formed {
            let pointer = pointer_push("/values", key);
            self.reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB503,
                    format!(
                        "`{key}` is a table, but a value is written as itself, as `{{ env = \"NAME\" }}` or as `{{ file = \"PATH\" }}`"
                    ),
                ),
            );
        }
    }

    fn check_values(
        &mut self,
        method: &str,
        inputs: &[ExpectedInput<'_>],
        values: &[(String, Node)],
    ) {
        for (key, node) in values {
            let pointer = pointer_push("/values", key);
            let Some(input) = inputs.iter().find(|i| i.key == key) else {
                // The suggestion goes in the fix, not in the message too.
                let finding = match did_you_mean(key, inputs.iter().map(|i| i.key)) {
                    Some(close) => Finding::new(
                        &PB501,
                        format!("`{key}` is not an input of auth method `{method}`"),
                    )
                    .fix(offer(close)),
                    None => Finding::new(
                        &PB501,
                        format!("`{key}` is {}", unknown_key_message(key, method, inputs)),
                    ),
                };
                self.reporter.report(Target::Key(&pointer), finding);
                continue;
            };
            if matches!(node.value, NodeValue::Object(_)) {
                continue;
            }
            if input.secret {
                self.reporter.report(
                    Target::Value(&pointer),
                    Finding::new(
                        &PB506,
                        format!(
                            "`{key}` is a secret, but its value is written in the instance file"
                        ),
                    )
                    .fix(format!(
                        "read it from the environment or a file kept out of version control: `{key} = {{ env = \"NAME\" }}` or `{key} = {{ file = \"PATH\" }}`"
                    ))
                    .sensitive(),
                );
            }
            let matches = |pattern: &str, text: &str| {
                crate::pattern::compile_pattern(pattern).map(|regex| regex.is_match(text))
            };
            if let Err(ValueError(message)) = check_value(input, &node.to_json(), &matches) {
                let mut finding = Finding::new(&PB503, format!("`{key}`: {message}"));
                if input.secret {
                    finding = finding.sensitive();
                }
                self.reporter.report(Target::Value(&pointer), finding);
            }
        }
        for input in inputs.iter().filter(|i| i.required) {
            if !values.iter().any(|(key, _)| key == input.key) {
                let pointer = pointer_push("/values", input.key);
                self.reporter.report(
                    Target::Key(&pointer),
                    Finding::new(&PB502, missing_message(input, method)),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(key: &'static str, kind: VariableType) -> ExpectedInput<'static> {
        ExpectedInput {
            key,
            label: key,
            kind,
            required: false,
            secret: false,
            pattern: None,
            options: None,
            minimum: None,
            maximum: None,
            list_separator: None,
        }
    }

    /// A connector `shop` whose method `key` takes a required URL `base`,
    /// a secret `api_key`, an `order` matching `ord_[0-9]+` and a `scope`
    /// joined with spaces.
    fn shop() -> InstanceTarget<'static> {
        let inputs = vec![
            ExpectedInput {
                required: true,
                ..input("base", VariableType::Url)
            },
            ExpectedInput {
                secret: true,
                ..input("api_key", VariableType::Secret)
            },
            ExpectedInput {
                pattern: Some("ord_[0-9]+"),
                ..input("order", VariableType::String)
            },
            ExpectedInput {
                list_separator: Some(" "),
                ..input("scope", VariableType::String)
            },
            ExpectedInput {
                minimum: Some(&*PAGE_SIZE_MIN),
                maximum: Some(&*PAGE_SIZE_MAX),
                ..input("page_size", VariableType::Integer)
            },
        ];
        InstanceTarget {
            id: "shop",
            methods: Some(vec![("key", inputs)]),
        }
    }

    /// `code line:column` of each diagnostic.
    fn lint(text: &str) -> Vec<String> {
        let file = SourceFile::new("mine.toml", text);
        lint_instance(&file, &[shop()])
            .iter()
            .map(|d| format!("{} {}:{}", d.code, d.start.line, d.start.column))
            .collect()
    }

    static PAGE_SIZE_MIN: std::sync::LazyLock<serde_json::Number> =
        std::sync::LazyLock::new(|| serde_json::Number::from(1));
    static PAGE_SIZE_MAX: std::sync::LazyLock<serde_json::Number> =
        std::sync::LazyLock::new(|| serde_json::Number::from(200));

    const HEAD: &str =
        "connector = \"shop\"\nauth = \"key\"\n[values]\nbase = \"https://shop.example.com\"\n";

    #[test]
    fn a_complete_instance_passes() {
        let text = format!(
            "{HEAD}api_key = {{ env = \"KEY\" }}\norder = \"ord_12\"\nscope = [\"a\", \"b\"]\n"
        );
        assert_eq!(lint(&text), Vec::<String>::new());
    }

    #[test]
    fn unknown_keys_are_pb501_at_the_key() {
        assert_eq!(lint(&format!("{HEAD}apikey = \"x\"\n")), ["PB501 5:1"]);
        assert_eq!(
            lint(&format!("extra = 1\n{HEAD}")),
            ["PB501 1:1"],
            "a key beside `connector` and `auth`"
        );
    }

    #[test]
    fn missing_values_are_pb502() {
        assert_eq!(
            lint("connector = \"shop\"\nauth = \"key\"\n[values]\n"),
            ["PB502 3:2"]
        );
        assert_eq!(lint("connector = \"shop\"\n"), ["PB502 1:1"]);
    }

    #[test]
    fn values_that_do_not_fit_are_pb503() {
        assert_eq!(
            lint(&format!("{HEAD}order = \"12\"\n")),
            ["PB503 5:9"],
            "pattern"
        );
        assert_eq!(lint(&format!("{HEAD}order = 12\n")), ["PB503 5:9"], "type");
        assert_eq!(
            lint(&format!("{HEAD}page_size = 500\n")),
            ["PB503 5:13"],
            "above the maximum"
        );
        assert_eq!(
            lint(&format!("{HEAD}page_size = 0\n")),
            ["PB503 5:13"],
            "below the minimum"
        );
        assert_eq!(
            lint(&format!("{HEAD}page_size = 200\n")),
            Vec::<String>::new()
        );
        assert_eq!(
            lint(&format!("{HEAD}order = {{ env = \"A\", file = \"b\" }}\n")),
            ["PB503 5:9"],
            "a table that is neither form"
        );
        assert_eq!(
            lint("connector = \"shop\"\nauth = 1\n"),
            ["PB503 2:8"],
            "`auth` is not a string"
        );
    }

    #[test]
    fn an_unknown_auth_method_is_pb504() {
        assert_eq!(
            lint("connector = \"shop\"\nauth = \"keys\"\n"),
            ["PB504 2:8"]
        );
    }

    #[test]
    fn an_instance_without_its_spec_is_pb505() {
        assert_eq!(
            lint("connector = \"warehouse\"\nauth = \"key\"\n"),
            ["PB505 1:13"]
        );
        let file = SourceFile::new("mine.toml", HEAD);
        let broken = InstanceTarget {
            id: "shop",
            methods: None,
        };
        let diagnostics = lint_instance(&file, &[broken]);
        assert_eq!(diagnostics.len(), 1);
        assert!(diagnostics[0].message.contains("has errors"));
    }

    #[test]
    fn a_literal_secret_is_pb506_and_masked() {
        let file = SourceFile::new("mine.toml", format!("{HEAD}api_key = \"k-123\"\n"));
        let diagnostics = lint_instance(&file, &[shop()]);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(diagnostics[0].code, "PB506");
        assert!(diagnostics[0].sensitive);
        assert!(!diagnostics[0].message.contains("k-123"));
        assert!(diagnostics[0].fix.as_ref().unwrap().contains("{ env = "));
    }

    #[test]
    fn a_file_that_does_not_parse_is_pb001() {
        assert_eq!(lint("connector = "), ["PB001 1:13"]);
    }

    #[test]
    fn json_instances_are_placed_too() {
        let file = SourceFile::new(
            "mine.json",
            "{\n  \"connector\": \"shop\",\n  \"auth\": \"key\",\n  \"values\": { \"base\": 3 }\n}\n",
        );
        let diagnostics = lint_instance(&file, &[shop()]);
        assert_eq!(diagnostics.len(), 1);
        assert_eq!(
            (
                diagnostics[0].code,
                diagnostics[0].start.line,
                diagnostics[0].start.column
            ),
            ("PB503", 4, 23)
        );
    }
}
