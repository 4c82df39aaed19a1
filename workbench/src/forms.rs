//! Forms generated from a plan's inputs (an auth method's for an
//! instance, an endpoint's for a call), and the values read back from
//! them with the checks instance files get.

use std::collections::HashMap;

use indexmap::IndexMap;
use patchbay_compiler::plan::{Input, InputSource};
use patchbay_schema::VariableType;
use patchbay_schema::instance::{ExpectedInput, check_value};
use patchbay_schema::pattern::compile_pattern;
use serde::Serialize;
use serde_json::Value;

/// The prefix of an input's form field, so that an input named like one
/// of the form's own fields (`csrf`, `name`) cannot collide with it.
pub(crate) const FIELD_PREFIX: &str = "v.";

/// One field as a template draws it.
#[derive(Debug, Serialize)]
pub(crate) struct Field {
    /// The form field's name.
    name: String,
    key: String,
    label: String,
    description: Option<String>,
    placeholder: Option<String>,
    /// `text`, `password`, `url`, `number`, `select`.
    control: &'static str,
    required: bool,
    options: Vec<String>,
    /// What the field holds: a value given or the default; never a
    /// secret's.
    value: String,
    error: Option<String>,
    advanced: bool,
    secret: bool,
}

/// A form's fields, the advanced ones last.
#[derive(Debug, Serialize)]
pub(crate) struct FieldSet {
    fields: Vec<Field>,
    /// The index of the first advanced field, where the folded part
    /// starts.
    advanced_from: Option<usize>,
    /// Drawn again after errors: secret fields, left empty, must be
    /// filled in again.
    again: bool,
}

/// Whether a user is asked for an input on a form.
pub(crate) fn asked(input: &Input) -> bool {
    input.visible && input.provenance != InputSource::Runtime
}

/// The fields of `inputs`: `visible = false` and runtime values left out,
/// `given` values (never a secret's) else defaults filled in, and each
/// field's error.
pub(crate) fn fields(
    inputs: &[Input],
    given: &IndexMap<String, String>,
    errors: &HashMap<String, String>,
) -> FieldSet {
    let mut fields: Vec<Field> = inputs
        .iter()
        .filter(|input| asked(input))
        .map(|input| {
            let value = if input.secret {
                String::new()
            } else {
                given
                    .get(&input.key)
                    .cloned()
                    .or_else(|| input.default.as_ref().map(text_of))
                    .unwrap_or_default()
            };
            let control = if input.secret {
                "password"
            } else if input.options.is_some() || input.kind == VariableType::Boolean {
                "select"
            } else {
                match input.kind {
                    VariableType::Url => "url",
                    VariableType::Integer | VariableType::Number => "number",
                    _ => "text",
                }
            };
            let options = match (&input.options, input.kind) {
                (Some(options), _) => options.clone(),
                (None, VariableType::Boolean) => vec!["true".into(), "false".into()],
                _ => Vec::new(),
            };
            Field {
                name: format!("{FIELD_PREFIX}{}", input.key),
                key: input.key.clone(),
                label: input.label.clone(),
                description: input.description.clone(),
                placeholder: input.placeholder.clone(),
                control,
                required: input.required && input.default.is_none(),
                options,
                value,
                error: errors.get(&input.key).cloned(),
                advanced: input.advanced,
                secret: input.secret,
            }
        })
        .collect();
    fields.sort_by_key(|f| f.advanced);
    let advanced_from = fields.iter().position(|f| f.advanced);
    FieldSet {
        fields,
        advanced_from,
        again: !errors.is_empty(),
    }
}

/// A default or given value as a form field shows it.
fn text_of(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Array(items) => items
            .iter()
            .map(|v| v.as_str().map_or_else(|| v.to_string(), str::to_owned))
            .collect::<Vec<_>>()
            .join(" "),
        other => other.to_string(),
    }
}

/// The inputs' fields of a posted form, as text, by input key (an empty
/// field is not given).
pub(crate) fn posted(form: &[(String, String)]) -> IndexMap<String, String> {
    form.iter()
        .filter_map(|(name, value)| {
            let key = name.strip_prefix(FIELD_PREFIX)?;
            (!value.is_empty()).then(|| (key.to_owned(), value.clone()))
        })
        .collect()
}

/// The typed values of the posted fields, checked as an instance file's
/// are (type, options, pattern, range; required ones present), and an
/// error by key for each that does not fit. Keys that are not inputs
/// asked for are ignored. `checks` are the method's instance inputs as
/// the instance checks read them (an OAuth scope's list separator
/// included); an input not among them is checked as it is declared.
pub(crate) fn values(
    inputs: &[Input],
    checks: &[ExpectedInput<'_>],
    posted: &IndexMap<String, String>,
) -> (IndexMap<String, Value>, HashMap<String, String>) {
    let matches = |pattern: &str, text: &str| compile_pattern(pattern).map(|r| r.is_match(text));
    let mut values = IndexMap::new();
    let mut errors = HashMap::new();
    for input in inputs.iter().filter(|input| asked(input)) {
        let Some(text) = posted.get(&input.key) else {
            if input.required && input.default.is_none() {
                errors.insert(input.key.clone(), "required: fill it in".to_owned());
            }
            continue;
        };
        let value = typed(input.kind, text);
        let expected = checks
            .iter()
            .find(|e| e.key == input.key)
            .copied()
            .unwrap_or_else(|| declared(input));
        match check_value(&expected, &value, &matches) {
            Ok(()) => {
                values.insert(input.key.clone(), value);
            }
            Err(error) => {
                errors.insert(input.key.clone(), error.0);
            }
        }
    }
    (values, errors)
}

/// A field's text as the type of its input: a number or boolean when it
/// reads as one (else the text, which the check then reports).
fn typed(kind: VariableType, text: &str) -> Value {
    let text = text.trim_end_matches(['\r', '\n']);
    match kind {
        VariableType::Integer => text
            .trim()
            .parse::<i64>()
            .map_or_else(|_| Value::String(text.to_owned()), Value::from),
        VariableType::Number => text
            .trim()
            .parse::<f64>()
            .ok()
            .and_then(serde_json::Number::from_f64)
            .map_or_else(|| Value::String(text.to_owned()), Value::Number),
        VariableType::Boolean => match text.trim() {
            "true" => Value::Bool(true),
            "false" => Value::Bool(false),
            _ => Value::String(text.to_owned()),
        },
        _ => Value::String(text.to_owned()),
    }
}

fn declared(input: &Input) -> ExpectedInput<'_> {
    ExpectedInput {
        key: &input.key,
        label: &input.label,
        kind: input.kind,
        required: input.required,
        secret: input.secret,
        pattern: input.pattern.as_deref(),
        options: input.options.as_deref(),
        minimum: input.minimum.as_ref(),
        maximum: input.maximum.as_ref(),
        list_separator: None,
    }
}
