//! The field reference (`docs/reference.md`), generated from the JSON
//! Schema, which is generated from the types: one source for every field's
//! name, type and description.

use std::collections::VecDeque;
use std::fmt::Write;

use serde_json::{Map, Value};

/// The command that regenerates `docs/reference.md`.
pub const REGENERATE: &str = "cargo run -p patchbay-cli -- schema --markdown > docs/reference.md";

/// The Markdown reference of every field of a connector spec.
pub fn reference_markdown() -> String {
    let schema = crate::connector_schema();
    let definitions = schema
        .get("$defs")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# Connector spec reference\n\nEvery field of a connector spec, generated from the schema types \
         (`{REGENERATE}`; a test fails when this page is stale). The format itself, with examples, is \
         described in the design and the [tutorial](tutorial.md).\n"
    );
    let mut queue: VecDeque<String> = VecDeque::new();
    let mut seen: Vec<String> = Vec::new();
    section(
        &mut out,
        "Spec",
        "The top level of a spec file.",
        &schema,
        &mut queue,
    );
    while let Some(name) = queue.pop_front() {
        if seen.contains(&name) {
            continue;
        }
        seen.push(name.clone());
        if let Some(definition) = definitions.get(&name) {
            let description = definition
                .get("description")
                .and_then(Value::as_str)
                .unwrap_or("");
            section(&mut out, &name, description, definition, &mut queue);
        }
    }
    out
}

fn anchor(name: &str) -> String {
    name.to_ascii_lowercase()
}

fn section(
    out: &mut String,
    name: &str,
    description: &str,
    schema: &Value,
    queue: &mut VecDeque<String>,
) {
    let _ = writeln!(out, "## {name}\n");
    if !description.is_empty() {
        let _ = writeln!(out, "{}\n", one_line(description));
    }
    if let Some(properties) = schema.get("properties").and_then(Value::as_object) {
        fields(out, properties, schema.get("required"), queue);
        return;
    }
    let Some(variants) = schema
        .get("oneOf")
        .or_else(|| schema.get("anyOf"))
        .and_then(Value::as_array)
    else {
        let _ = writeln!(out, "Type: {}\n", type_of(schema, queue));
        return;
    };
    // A tagged union (`type = "…"`) or an enumeration of values.
    let tagged = variants
        .iter()
        .all(|v| v.pointer("/properties/type/const").is_some());
    if tagged {
        for variant in variants {
            let tag = variant
                .pointer("/properties/type/const")
                .and_then(Value::as_str)
                .unwrap_or("");
            let _ = writeln!(out, "### `type = \"{tag}\"`\n");
            if let Some(description) = variant.get("description").and_then(Value::as_str) {
                let _ = writeln!(out, "{}\n", one_line(description));
            }
            let mut properties = variant
                .get("properties")
                .and_then(Value::as_object)
                .cloned()
                .unwrap_or_default();
            properties.remove("type");
            if properties.is_empty() {
                let _ = writeln!(out, "No other fields.\n");
            } else {
                fields(out, &properties, variant.get("required"), queue);
            }
        }
    } else {
        let _ = writeln!(out, "| value | meaning |\n|---|---|");
        for variant in variants {
            let value = variant
                .get("const")
                .or_else(|| variant.get("enum").and_then(|e| e.get(0)))
                .map(|v| {
                    format!(
                        "`{}`",
                        v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                    )
                })
                .unwrap_or_else(|| type_of(variant, queue));
            let meaning = variant
                .get("description")
                .and_then(Value::as_str)
                .map(one_line)
                .unwrap_or_default();
            let _ = writeln!(out, "| {value} | {meaning} |");
        }
        let _ = writeln!(out);
    }
}

fn fields(
    out: &mut String,
    properties: &Map<String, Value>,
    required: Option<&Value>,
    queue: &mut VecDeque<String>,
) {
    let required: Vec<&str> = required
        .and_then(Value::as_array)
        .map(|r| r.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let _ = writeln!(
        out,
        "| field | type | required | description |\n|---|---|---|---|"
    );
    for (name, property) in properties {
        let description = property
            .get("description")
            .and_then(Value::as_str)
            .map(one_line)
            .unwrap_or_default();
        let _ = writeln!(
            out,
            "| `{name}` | {} | {} | {} |",
            type_of(property, queue),
            if required.contains(&name.as_str()) {
                "yes"
            } else {
                ""
            },
            description.replace('|', "\\|")
        );
    }
    let _ = writeln!(out);
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A readable type, queueing the definitions it links to.
fn type_of(schema: &Value, queue: &mut VecDeque<String>) -> String {
    if let Some(target) = schema.get("$ref").and_then(Value::as_str) {
        let name = target.rsplit('/').next().unwrap_or(target).to_owned();
        queue.push_back(name.clone());
        return format!("[{name}](#{})", anchor(&name));
    }
    if schema == &Value::Bool(true)
        || schema
            .as_object()
            .is_some_and(|o| o.keys().all(|k| k == "description"))
    {
        return "any value".to_owned();
    }
    if let Some(value) = schema.get("const") {
        return format!("`{value}`");
    }
    if let Some(options) = schema.get("enum").and_then(Value::as_array) {
        let options: Vec<String> = options
            .iter()
            .map(|o| format!("`{}`", o.as_str().unwrap_or_default()))
            .collect();
        return options.join(", ");
    }
    if let Some(variants) = schema
        .get("anyOf")
        .or_else(|| schema.get("oneOf"))
        .and_then(Value::as_array)
    {
        let kinds: Vec<String> = variants.iter().map(|v| type_of(v, queue)).collect();
        return kinds.join(" or ");
    }
    let base = match schema.get("type").and_then(Value::as_str) {
        Some("array") => format!(
            "array of {}",
            schema
                .get("items")
                .map_or("any value".into(), |i| type_of(i, queue))
        ),
        Some("object") => match schema.get("additionalProperties") {
            Some(Value::Bool(false)) | None => "table".to_owned(),
            Some(values) => format!("table of name → {}", type_of(values, queue)),
        },
        Some(kind) => kind.to_owned(),
        None => "any value".to_owned(),
    };
    let mut notes = Vec::new();
    if let Some(minimum) = schema.get("minimum") {
        notes.push(format!("≥ {minimum}"));
    }
    if schema.get("pattern").is_some() {
        notes.push("pattern".to_owned());
    }
    if let Some(names) = schema
        .pointer("/propertyNames/pattern")
        .and_then(Value::as_str)
    {
        notes.push(format!("names `{names}`"));
    }
    if notes.is_empty() {
        base
    } else {
        format!("{base} ({})", notes.join(", "))
    }
}
