//! PB203: a default that does not match its variable's type, pattern or
//! bounds (`minimum`/`maximum`), and a literal `initial` checkpoint that
//! does not match its `field_type`.

use super::{Context, PB203};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{CheckpointType, Incremental, VariableType};
use crate::pattern::compile_pattern;
use crate::value::{CheckpointKey, check_bounds, check_type, checkpoint_from_text};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    check_defaults(context, reporter);
    check_initial_checkpoints(context, reporter);
}

/// A literal `initial` of a `max` checkpoint must be a value of its
/// `field_type`: it is compared with the records' values, and sent.
fn check_initial_checkpoints(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        let Some(Incremental::Max {
            field_type,
            initial: Some(initial),
            ..
        }) = &endpoint.incremental
        else {
            continue;
        };
        // A template is checked when the run renders it.
        if initial.contains("{{") || initial.contains("{%") {
            continue;
        }
        let Err(problem) = CheckpointKey::read(*field_type, &checkpoint_from_text(*field_type, initial))
        else {
            continue;
        };
        let example = match field_type {
            CheckpointType::Integer => "`initial = \"0\"`",
            CheckpointType::Number => "`initial = \"0.0\"`",
            CheckpointType::Timestamp => "`initial = \"1970-01-01T00:00:00Z\"`",
            CheckpointType::String => "`initial = \"\"`",
        };
        let pointer = pointer_push(
            &pointer_push(&pointer_push("/endpoints", key), "incremental"),
            "initial",
        );
        reporter.report(
            Target::Value(&pointer),
            Finding::new(
                &PB203,
                format!("the `initial` checkpoint of endpoint `{key}` {problem}"),
            )
            .fix(format!(
                "write a value of the `field_type`, e.g. {example}, or change `field_type`"
            )),
        );
    }
}

fn check_defaults(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.variables {
        let Some(default) = &site.variable.default else {
            continue;
        };
        // Secret defaults are PB201's; their value is never inspected here.
        if site.kind == VariableType::Secret {
            continue;
        }
        let pointer = site.field("default");
        if check_type(site.kind, default).is_err() {
            reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB203,
                    format!(
                        "the default of `{}` is not {}",
                        site.name,
                        describe(site.kind)
                    ),
                )
                .fix(fix(site.kind)),
            );
            continue;
        }
        // Bounds that contradict each other are PB208's.
        if !super::invalid_bounds::contradictory(site.variable)
            && let Err(message) = check_bounds(
                default,
                site.variable.minimum.as_ref(),
                site.variable.maximum.as_ref(),
            )
        {
            reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB203,
                    format!("the default of `{}` {message}", site.name),
                )
                .fix("change the default, or the bound if the API allows more"),
            );
            continue;
        }
        let (Some(pattern), Some(text)) = (&site.variable.pattern, default.as_str()) else {
            continue;
        };
        // An invalid pattern is PB205's.
        if let Ok(regex) = compile_pattern(pattern)
            && !regex.is_match(text)
        {
            reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB203,
                    format!("the default of `{}` does not match its pattern", site.name),
                )
                .fix(format!(
                    "change the default or the pattern `{pattern}` so that they agree"
                )),
            );
        }
    }
}

fn describe(kind: VariableType) -> &'static str {
    match kind {
        VariableType::String | VariableType::Secret | VariableType::Enum => "a string",
        VariableType::Url => "an absolute http(s) URL",
        VariableType::Integer => "an integer",
        VariableType::Number => "a number",
        VariableType::Boolean => "a boolean",
    }
}

fn fix(kind: VariableType) -> &'static str {
    match kind {
        VariableType::String | VariableType::Secret | VariableType::Enum => {
            "quote the default: `default = \"…\"`"
        }
        VariableType::Url => "write a full URL such as `\"https://api.example.com\"`",
        VariableType::Integer => "write a whole number without quotes, e.g. `default = 100`",
        VariableType::Number => "write a number without quotes, e.g. `default = 1.5`",
        VariableType::Boolean => "write `true` or `false` without quotes",
    }
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;

    fn matches_type(kind: VariableType, value: &Value) -> bool {
        check_type(kind, value).is_ok()
    }

    #[test]
    fn url_defaults_must_be_absolute_http() {
        let url = |text: &str| matches_type(VariableType::Url, &Value::from(text));
        assert!(url("https://shop.example.com"));
        assert!(url("HTTP://localhost:8080/x"));
        assert!(!url("shop.example.com"));
        assert!(!url("https://"));
        assert!(!url("ftp://example.com"));
    }

    #[test]
    fn numbers_and_integers() {
        assert!(matches_type(VariableType::Integer, &Value::from(3)));
        assert!(!matches_type(VariableType::Integer, &Value::from(3.5)));
        assert!(matches_type(VariableType::Number, &Value::from(3)));
        assert!(!matches_type(VariableType::Boolean, &Value::from("true")));
    }
}
