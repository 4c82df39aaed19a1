//! PB722: a value captured from the authorization callback reaches an
//! auth request (token, refresh, revocation) without an allow-list
//! pattern, or with a pattern that is not a valid regular expression.

use std::collections::HashSet;

use super::{Context, PB722};
use crate::analysis::Owner;
use crate::catalog::AuthPart;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::pattern::compile_pattern;
use crate::template::expressions;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        for (name, capture) in method.authorize_captures().into_iter().flatten() {
            if let Some(pattern) = capture.pattern()
                && let Err(message) = compile_pattern(pattern)
            {
                let pointer = pointer_push(
                    &pointer_push(
                        &pointer_push(&pointer_push("/auth", key), "authorize_response"),
                        "capture",
                    ),
                    name,
                );
                reporter.report(
                    Target::Value(&pointer_push(&pointer, "pattern")),
                    Finding::new(
                        &PB722,
                        format!("the allow-list `pattern` of `{name}` is not a valid regular expression: {message}"),
                    )
                    .fix("write a Rust `regex` that matches the whole value, e.g. `^https://accounts\\\\.example\\\\.(com|eu)$`"),
                );
            }
        }
    }
    let analysis = &context.analysis;
    let mut reported = HashSet::new();
    for site in &analysis.sites {
        for &scope in &site.scopes {
            let Owner::Auth { method, part } = analysis.scopes[scope].owner else {
                continue;
            };
            if matches!(part, AuthPart::Apply | AuthPart::Authorize) {
                continue;
            }
            let Some(captures) = context
                .spec
                .auth
                .get(method)
                .and_then(|m| m.authorize_captures())
            else {
                continue;
            };
            for expression in expressions(site.text) {
                for name in expression.names() {
                    let Some(capture) = captures.get(name.as_str()) else {
                        continue;
                    };
                    if capture.pattern().is_some()
                        || !reported.insert((site.pointer.clone(), expression.range.start))
                    {
                        continue;
                    }
                    let finding = Finding::new(
                        &PB722,
                        format!(
                            "`{name}` comes from the authorization callback (`{}`) and is used in the {} of auth method `{method}` without an allow-list `pattern`: a forged callback could send the code and the client secret anywhere",
                            capture.param(),
                            part.describe()
                        ),
                    )
                    .fix(format!(
                        "declare the values the provider sends: `{name} = {{ param = \"{}\", pattern = \"^https://accounts\\\\.example\\\\.(com|eu)$\" }}`",
                        capture.param()
                    ));
                    context.report_in_template(
                        reporter,
                        &site.pointer,
                        Some(expression.range.clone()),
                        finding,
                    );
                }
            }
        }
    }
}
