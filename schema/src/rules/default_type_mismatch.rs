//! PB203: a default that does not match its variable's type or pattern.

use serde_json::Value;

use super::{Context, PB203};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::VariableType;
use crate::pattern::compile_pattern;

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
        if !matches_type(site.kind, default) {
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

fn matches_type(kind: VariableType, value: &Value) -> bool {
    match kind {
        VariableType::String | VariableType::Secret | VariableType::Enum => value.is_string(),
        VariableType::Url => value.as_str().is_some_and(is_absolute_http_url),
        VariableType::Integer => value.is_i64() || value.is_u64(),
        VariableType::Number => value.is_number(),
        VariableType::Boolean => value.is_boolean(),
    }
}

/// An absolute `http` or `https` URL with a host.
pub(crate) fn is_absolute_http_url(text: &str) -> bool {
    let lower = text.to_ascii_lowercase();
    let rest = lower
        .strip_prefix("https://")
        .or_else(|| lower.strip_prefix("http://"));
    rest.is_some_and(|rest| {
        let host = rest.split(['/', '?', '#']).next().unwrap_or_default();
        !host.is_empty() && !host.contains(char::is_whitespace)
    })
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
    use super::*;

    #[test]
    fn url_defaults_must_be_absolute_http() {
        assert!(is_absolute_http_url("https://shop.example.com"));
        assert!(is_absolute_http_url("HTTP://localhost:8080/x"));
        assert!(!is_absolute_http_url("shop.example.com"));
        assert!(!is_absolute_http_url("https://"));
        assert!(!is_absolute_http_url("ftp://example.com"));
    }

    #[test]
    fn numbers_and_integers() {
        assert!(matches_type(VariableType::Integer, &Value::from(3)));
        assert!(!matches_type(VariableType::Integer, &Value::from(3.5)));
        assert!(matches_type(VariableType::Number, &Value::from(3)));
        assert!(!matches_type(VariableType::Boolean, &Value::from("true")));
    }
}
