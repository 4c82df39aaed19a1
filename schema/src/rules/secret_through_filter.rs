//! PB711: a secret passed through a filter whose output gives it away.

use super::{Context, PB711};
use crate::catalog::REVEALING_FILTERS;
use crate::diagnostic::{Finding, Reporter};
use crate::template::{Expression, expressions, filter_uses};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let analysis = &context.analysis;
    for site in &analysis.sites {
        if site.names.is_err() {
            continue;
        }
        for expression in expressions(site.text) {
            let inner = &site.text[expression.range.clone()];
            let Some(filter) = filter_uses(inner)
                .into_iter()
                .find(|f| REVEALING_FILTERS.contains(&f.name))
            else {
                continue;
            };
            let without_keys = without_hmac_arguments(expression.source);
            let names = Expression {
                range: expression.range.clone(),
                source: &without_keys,
            }
            .names();
            let secret = names.into_iter().find(|name| {
                site.scopes.iter().any(|&s| {
                    analysis.scopes[s]
                        .find(name)
                        .is_some_and(|d| d.is_secret())
                })
            });
            let Some(name) = secret else { continue };
            let finding = Finding::new(
                &PB711,
                format!(
                    "secret `{name}` goes through `{}`, whose output gives the secret away; redaction would not recognise it in dry runs and logs",
                    filter.name
                ),
            )
            .fix("send the secret as the API asks through the auth method (`basic`, `bearer`, `api_key`, `apply`); a signature may use it as the key of `hmac_sha256(key)`");
            context.report_in_template(reporter, &site.pointer, Some(expression.range), finding);
        }
    }
}

/// The expression with the arguments of each `hmac_sha256(…)` blanked: a
/// secret may be the key of an HMAC, whose output does not reveal it.
fn without_hmac_arguments(source: &str) -> String {
    let mut out = String::with_capacity(source.len());
    let mut rest = source;
    while let Some(at) = rest.find("hmac_sha256") {
        let after = &rest[at + "hmac_sha256".len()..];
        out.push_str(&rest[..at + "hmac_sha256".len()]);
        let trimmed = after.trim_start();
        if !trimmed.starts_with('(') {
            rest = after;
            continue;
        }
        // Skip to the matching parenthesis, strings included.
        let mut depth = 0usize;
        let mut quote: Option<char> = None;
        let mut end = trimmed.len();
        let mut escaped = false;
        for (i, c) in trimmed.char_indices() {
            match quote {
                Some(_) if escaped => escaped = false,
                Some(_) if c == '\\' => escaped = true,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None if c == '\'' || c == '"' => quote = Some(c),
                None if c == '(' => depth += 1,
                None if c == ')' => {
                    depth -= 1;
                    if depth == 0 {
                        end = i + 1;
                        break;
                    }
                }
                None => {}
            }
        }
        out.push_str("()");
        rest = &trimmed[end..];
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::without_hmac_arguments;

    #[test]
    fn hmac_keys_are_blanked() {
        assert_eq!(
            without_hmac_arguments("body | hmac_sha256(key, 'b(') | base64"),
            "body | hmac_sha256() | base64"
        );
        assert_eq!(without_hmac_arguments("a | md5"), "a | md5");
        assert_eq!(without_hmac_arguments("a | hmac_sha256(k"), "a | hmac_sha256()");
    }
}
