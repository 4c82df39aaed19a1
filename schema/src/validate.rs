//! Structural validation: the committed JSON Schema, with its errors turned
//! into one clear diagnostic each.
//!
//! Auth methods, bodies and pagination are internally tagged (`type`), so a
//! mistake inside one is, to JSON Schema, "valid under none of the oneOf
//! branches". We read the tag, pick the branch it names, and report that
//! branch's own errors; only an unknown tag is reported as such.

use std::sync::OnceLock;

use jsonschema::ValidationError;
use jsonschema::error::{TypeKind, ValidationErrorKind};
use serde::Deserialize;
use serde_json::Value;

use crate::diagnostic::{Finding, Reporter, Target, did_you_mean, dotted_path, offer, suggest};
use crate::document::{pointer_push, pointer_segments};
use crate::model::{CONNECTOR_ID_PATTERN, SEMVER_PATTERN, Spec};
use crate::rules::{PB002, PB003, unknown_field};

/// The committed JSON Schema of connector specs.
pub const CONNECTOR_SCHEMA: &str = include_str!("../connector.schema.json");

/// The committed schema, parsed.
pub(crate) fn schema() -> &'static Value {
    static SCHEMA: OnceLock<Value> = OnceLock::new();
    SCHEMA.get_or_init(|| {
        serde_json::from_str(CONNECTOR_SCHEMA).unwrap_or_else(|error| {
            // Only reachable if the committed file were hand-edited badly;
            // the drift test regenerates it from the types.
            panic!("schema/connector.schema.json is not JSON: {error}")
        })
    })
}

/// The committed schema as a validator generated at compile time
/// (jsonschema's `validator` macro): a cold `patchbay lint` neither parses
/// the schema nor builds a validator from it, which was most of its cost.
/// The schema is read again (for messages) only when a spec has a mistake.
/// The committed schema is checked against its meta-schema by a test.
#[jsonschema::validator(
    path = "connector.schema.json",
    draft = Draft202012,
    validate_formats = false
)]
struct ConnectorSchema;

/// Validates a document against the schema and, if it passes, deserializes
/// it. Every problem becomes a diagnostic.
pub(crate) fn validate(instance: &Value, reporter: &mut Reporter<'_>) -> Option<Spec> {
    // Most specs are valid: check first, and build errors only for the
    // ones that are not.
    // A file with neither `format` nor `[connector]` is not a spec at all
    // (an instance file, a Cargo.toml in a linted folder): one clear
    // diagnostic rather than every schema error.
    let looks_like_spec = instance.as_object().is_some_and(|o| {
        o.contains_key("format") || o.get("connector").is_some_and(Value::is_object)
    });
    if !looks_like_spec {
        reporter.report(
            Target::Key(""),
            Finding::new(
                &PB002,
                "this file is not a connector spec: it has neither `format` nor a `[connector]` table",
            )
            .fix("lint only connector specs (pass their files or folders), or start the spec with `format = 1` and a `[connector]` table"),
        );
        return None;
    }
    if !ConnectorSchema::is_valid(instance) {
        for error in ConnectorSchema::iter_errors(instance) {
            report(&error, instance, reporter);
        }
        return None;
    }
    // The schema is generated from the types, so this only fails where the
    // schema cannot say what serde checks; then find out where.
    match Spec::deserialize(instance) {
        Ok(spec) => Some(spec),
        Err(_) => {
            let error = serde_path_to_error::deserialize::<_, Spec>(instance).err()?;
            let pointer = path_to_pointer(error.path());
            let message = format!("`{}`: {}", dotted_path(&pointer), error.inner());
            reporter.report(Target::Value(&pointer), Finding::new(&PB002, message));
            None
        }
    }
}

fn path_to_pointer(path: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    path.iter()
        .fold(String::new(), |pointer, segment| match segment {
            Segment::Seq { index } => pointer_push(&pointer, &index.to_string()),
            Segment::Map { key } => pointer_push(&pointer, key),
            Segment::Enum { variant } => pointer_push(&pointer, variant),
            Segment::Unknown => pointer,
        })
}

fn report(error: &ValidationError<'_>, instance: &Value, reporter: &mut Reporter<'_>) {
    let pointer = error.instance_path().as_str();
    let here = dotted_path(pointer);
    let finding = |message: String| Finding::new(&PB002, message);
    match error.kind() {
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context } => {
            report_tagged(pointer, context, instance, reporter);
        }
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let allowed = allowed_properties(error.schema_path().as_str());
            for key in unexpected {
                let key_pointer = pointer_push(pointer, key);
                let mut finding =
                    Finding::new(&PB003, format!("unknown field `{key}` in `{here}`"));
                finding.fix = Some(unknown_field::fix(key, pointer, &allowed));
                reporter.report(Target::Key(&key_pointer), finding);
            }
        }
        ValidationErrorKind::Required { property } => {
            let property = property.as_str().unwrap_or_default();
            let mut finding = finding(format!("missing required field `{property}` in `{here}`"));
            finding.fix = Some(
                match property_description(error.schema_path().as_str(), property) {
                    Some(description) => format!(
                        "add `{property}`: {}",
                        lowercase_first(description.trim_end_matches('.'))
                    ),
                    None => format!("add `{property}`"),
                },
            );
            reporter.report(Target::Key(pointer), finding);
        }
        ValidationErrorKind::Type { kind } => {
            let expected = match kind {
                TypeKind::Single(t) => type_word(&t.to_string()).to_owned(),
                TypeKind::Multiple(set) => set
                    .iter()
                    .map(|t| type_word(&t.to_string()).to_owned())
                    .collect::<Vec<_>>()
                    .join(" or "),
            };
            let found = value_word(error.instance());
            let mut finding = finding(format!(
                "`{here}` must be {}, found {found}",
                with_article(&expected)
            ));
            finding.fix = type_fix(&expected).map(str::to_owned);
            reporter.report(Target::Value(pointer), finding);
        }
        ValidationErrorKind::Enum { options } => {
            let options: Vec<&str> = options
                .as_array()
                .map(|o| o.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            reporter.report(
                Target::Value(pointer),
                not_one_of(&here, &options, error.instance()),
            );
        }
        ValidationErrorKind::Pattern { pattern } => {
            let fix = match pattern.as_str() {
                CONNECTOR_ID_PATTERN => {
                    "use lowercase letters, digits, `_` and `-`, starting with a letter".to_owned()
                }
                SEMVER_PATTERN => "use a semantic version such as `1.0.0`".to_owned(),
                other => format!("write a value matching `{other}`"),
            };
            reporter.report(
                Target::Value(pointer),
                finding(format!("`{here}` is not in the expected form")).fix(fix),
            );
        }
        ValidationErrorKind::PropertyNames { error: inner } => {
            let name = inner.instance().as_str().unwrap_or_default().to_owned();
            let name_pointer = pointer_push(pointer, &name);
            reporter.report(
                Target::Key(&name_pointer),
                finding(format!(
                    "`{name}` in `{here}` cannot be used as a name in templates"
                ))
                .fix("use letters, digits and `_`, not starting with a digit (e.g. `order_id`)"),
            );
        }
        ValidationErrorKind::MinProperties { .. } if pointer == "/auth" => {
            reporter.report(
                Target::Key(pointer),
                finding("`auth` has no method: a spec needs at least one".to_owned())
                    .fix("add a method, e.g. `[auth.open]` with `type = \"none\"` for an open API"),
            );
        }
        _ => {
            // Other keywords (ranges, lengths) have clear messages of their
            // own; masked, so no value from the file is repeated.
            reporter.report(
                Target::Value(pointer),
                finding(format!("`{here}`: {}", error.masked())),
            );
        }
    }
}

/// A keyword outside its set, with the one it most likely means.
fn not_one_of(here: &str, options: &[&str], instance: &Value) -> Finding {
    // Enumerations are spec keywords, not user data: repeat a short one.
    let found = match instance.as_str() {
        Some(text) if text.len() <= 40 => format!("`{text}`"),
        _ => value_word(instance),
    };
    let mut finding = Finding::new(
        &PB002,
        format!(
            "`{here}` must be one of {}, found {found}",
            quoted_list(options)
        ),
    );
    if let Some(found) = instance.as_str() {
        let suggestion = options
            .iter()
            .find(|o| o.eq_ignore_ascii_case(found))
            .copied()
            .or_else(|| did_you_mean(found, options.iter().copied()));
        finding.fix = suggestion.map(offer);
    }
    finding
}

/// Reports the errors of a tagged value against the variant its tag names.
fn report_tagged(
    pointer: &str,
    branches: &[Vec<ValidationError<'static>>],
    instance: &Value,
    reporter: &mut Reporter<'_>,
) {
    let value = instance.pointer(pointer).unwrap_or(&Value::Null);
    let here = dotted_path(pointer);
    let tag_pointer = pointer_push(pointer, "type");
    let is_tag_error = |error: &ValidationError<'_>| error.instance_path().as_str() == tag_pointer;
    let tags: Vec<&str> = branches
        .iter()
        .flatten()
        .filter(|e| is_tag_error(e))
        .filter_map(|e| match e.kind() {
            ValidationErrorKind::Constant { expected_value } => expected_value.as_str(),
            _ => None,
        })
        .collect();
    let finding = |message: String| Finding::new(&PB002, message);

    if tags.is_empty() {
        // Not a tagged union: a value or `false`. A table where a table is
        // one of the choices (`response.errors`) gets the table's own errors.
        let rejects_kind = |error: &ValidationError<'_>| {
            error.instance_path().as_str() == pointer
                && matches!(
                    error.kind(),
                    ValidationErrorKind::Type { .. } | ValidationErrorKind::Constant { .. }
                )
        };
        if value.is_object()
            && let Some(branch) = branches
                .iter()
                .find(|branch| !branch.iter().any(rejects_kind))
        {
            for error in branch {
                report(error, instance, reporter);
            }
            return;
        }
        // An enumeration whose values are documented one by one is a
        // `oneOf` of constants (`pkce`, `signature_method`).
        let constant = |error: &ValidationError<'_>| match error.kind() {
            ValidationErrorKind::Constant { expected_value }
                if error.instance_path().as_str() == pointer =>
            {
                expected_value.as_str().map(str::to_owned)
            }
            _ => None,
        };
        let options: Vec<String> = branches
            .iter()
            .filter_map(|branch| branch.iter().find_map(constant))
            .collect();
        if !options.is_empty() && options.len() == branches.len() {
            let options: Vec<&str> = options.iter().map(String::as_str).collect();
            reporter.report(Target::Value(pointer), not_one_of(&here, &options, value));
            return;
        }
        let expects_table = branches.iter().flatten().any(|error| {
            matches!(error.kind(), ValidationErrorKind::Type { kind: TypeKind::Single(t) } if t.to_string() == "object")
        });
        let mut errors = branches.iter().flatten();
        if let Some(first) = errors.next() {
            let message = match first.kind() {
                ValidationErrorKind::Type { .. } | ValidationErrorKind::Constant { .. }
                    if expects_table =>
                {
                    format!(
                        "`{here}` must be a table, or `false` to turn it off; found {}",
                        value_word(value)
                    )
                }
                ValidationErrorKind::Type { .. } | ValidationErrorKind::Constant { .. } => format!(
                    "`{here}` must be a template string, or `false` to remove a default; found {}",
                    value_word(value)
                ),
                _ => format!("`{here}`: {}", first.masked()),
            };
            reporter.report(Target::Value(pointer), finding(message));
        }
        return;
    }

    match value.get("type") {
        Some(Value::String(tag)) => {
            let matching = branches
                .iter()
                .find(|branch| !branch.iter().any(&is_tag_error));
            match matching {
                Some(branch) => {
                    for error in branch {
                        report(error, instance, reporter);
                    }
                }
                None => {
                    let mut finding = finding(format!(
                        "unknown type `{tag}` in `{here}`; expected one of {}",
                        quoted_list(&tags)
                    ));
                    finding.fix = suggest(tag, tags.iter().copied());
                    reporter.report(Target::Value(&tag_pointer), finding);
                }
            }
        }
        Some(other) => reporter.report(
            Target::Value(&tag_pointer),
            finding(format!(
                "`{here}.type` must be a string, found {}",
                value_word(other)
            )),
        ),
        None if value.is_object() => reporter.report(
            Target::Key(pointer),
            finding(format!("missing required field `type` in `{here}`"))
                .fix(format!("add `type`, one of {}", quoted_list(&tags))),
        ),
        None => reporter.report(
            Target::Value(pointer),
            finding(format!(
                "`{here}` must be a table, found {}",
                value_word(value)
            )),
        ),
    }
}

/// The schema node a keyword location leads to, following `$ref`s.
fn schema_node(keyword_location: &str) -> Option<&'static Value> {
    let root = schema();
    let mut node = root;
    for segment in pointer_segments(keyword_location) {
        node = if segment == "$ref" {
            let target = node.get("$ref")?.as_str()?;
            root.pointer(target.strip_prefix('#')?)?
        } else {
            match node {
                Value::Object(map) => map.get(segment.as_ref())?,
                Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                _ => return None,
            }
        };
        // A `$ref` the location passes through without naming it.
        while let Some(target) = node.get("$ref").and_then(Value::as_str) {
            node = root.pointer(target.strip_prefix('#')?)?;
        }
    }
    Some(node)
}

/// The schema node that holds the keyword at the end of a location.
fn keyword_parent(keyword_location: &str) -> Option<&'static Value> {
    schema_node(&keyword_location[..keyword_location.rfind('/')?])
}

fn allowed_properties(keyword_location: &str) -> Vec<&'static str> {
    keyword_parent(keyword_location)
        .and_then(|node| node.get("properties"))
        .and_then(Value::as_object)
        .map(|properties| properties.keys().map(String::as_str).collect())
        .unwrap_or_default()
}

fn property_description(keyword_location: &str, property: &str) -> Option<String> {
    let property = keyword_parent(keyword_location)?
        .get("properties")?
        .get(property)?;
    let described = match property.get("$ref").and_then(Value::as_str) {
        Some(target) => property.get("description").or_else(|| {
            schema()
                .pointer(target.strip_prefix('#')?)?
                .get("description")
        }),
        None => property.get("description"),
    };
    Some(described?.as_str()?.to_owned())
}

fn lowercase_first(text: &str) -> String {
    let mut chars = text.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

fn type_word(json_type: &str) -> &str {
    match json_type {
        "object" => "table",
        other => other,
    }
}

fn type_fix(expected: &str) -> Option<&'static str> {
    Some(match expected {
        "table" => "write a table: `key = { field = … }` inline, or a `[section]` of its own",
        "string" => "write the value in double quotes",
        "integer" => "write a whole number without quotes",
        "number" => "write a number without quotes",
        "boolean" => "write `true` or `false` without quotes",
        "array" => "write an array: `[\"a\", \"b\"]`",
        _ => return None,
    })
}

fn with_article(noun: &str) -> String {
    let article = if noun.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    };
    format!("{article} {noun}")
}

/// What kind of value was found, without repeating it (it may be secret).
fn value_word(value: &Value) -> String {
    match value {
        Value::Null => "null".into(),
        Value::Bool(b) => format!("`{b}`"),
        Value::Number(n) if n.is_i64() || n.is_u64() => "an integer".into(),
        Value::Number(_) => "a number".into(),
        Value::String(_) => "a string".into(),
        Value::Array(_) => "an array".into(),
        Value::Object(_) => "a table".into(),
    }
}

fn quoted_list(items: &[&str]) -> String {
    items
        .iter()
        .map(|i| format!("`{i}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SourceFile;
    use crate::document::Node;

    #[test]
    fn the_committed_schema_is_a_valid_2020_12_schema() {
        // The generated validator reads it as 2020-12 and leaves this
        // check to this test (see `ConnectorSchema`).
        assert_eq!(
            schema()["$schema"],
            "https://json-schema.org/draft/2020-12/schema"
        );
        if let Err(error) = jsonschema::meta::validate(schema()) {
            panic!("schema/connector.schema.json: {error}");
        }
    }

    /// Every spec fixture and the same with a mistake in each top-level
    /// table: the JSON values the validator is asked about.
    #[allow(clippy::disallowed_methods)] // the test reads fixtures; the crate does no I/O
    fn documents() -> Vec<(String, Value)> {
        let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
        let mut documents = Vec::new();
        for folder in ["fixtures/connectors", "fixtures/invalid", "benches/specs"] {
            let Ok(entries) = std::fs::read_dir(format!("{root}/{folder}")) else {
                continue;
            };
            for entry in entries.flatten() {
                let path = entry.path();
                let name = path.display().to_string();
                let Ok(text) = std::fs::read_to_string(&path) else {
                    continue;
                };
                let Ok(document) = Node::parse(&SourceFile::new(name.clone(), text)) else {
                    continue;
                };
                let json = document.to_json();
                if let Value::Object(tables) = &json {
                    for key in tables.keys() {
                        let mut broken = json.clone();
                        broken[key.as_str()] = serde_json::json!({ "unknown": [1] });
                        documents.push((format!("{name} with a broken `{key}`"), broken));
                    }
                }
                documents.push((name, json));
            }
        }
        documents
    }

    #[test]
    fn the_generated_validator_judges_as_one_built_from_the_schema_at_run_time() {
        let direct = jsonschema::options()
            .should_validate_formats(false)
            .build(schema())
            .unwrap_or_else(|error| panic!("{error}"));
        let describe = |error: ValidationError<'_>| {
            format!(
                "{} at {} by {}",
                error.masked(),
                error.instance_path(),
                error.schema_path()
            )
        };
        let documents = documents();
        assert!(documents.len() > 100, "{}", documents.len());
        for (name, document) in &documents {
            assert_eq!(
                ConnectorSchema::is_valid(document),
                direct.is_valid(document),
                "{name}"
            );
            assert_eq!(
                ConnectorSchema::iter_errors(document)
                    .map(describe)
                    .collect::<Vec<_>>(),
                direct
                    .iter_errors(document)
                    .map(describe)
                    .collect::<Vec<_>>(),
                "{name}"
            );
        }
    }
}
