//! PB203: a default that does not match its variable's type, pattern or
//! bounds (`minimum`/`maximum`).

use super::{Context, PB203};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::VariableType;
use crate::pattern::compile_pattern;
use crate::value::{check_bounds, check_type};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
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
