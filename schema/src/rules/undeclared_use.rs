//! PB104: an auth method `use`s a connector variable that is not declared.

use super::{Context, PB104};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let use_pointer = pointer_push(&pointer_push("/auth", key), "use");
        for (index, name) in method.uses().iter().enumerate() {
            if context.spec.variables.contains_key(name) {
                continue;
            }
            let fix = reporter
                .suggest(name, context.spec.variables.keys().map(String::as_str))
                .unwrap_or_else(|| {
                    format!("declare it as `[variables.{name}]`, or remove it from `use`")
                });
            reporter.report(
                Target::Value(&pointer_push(&use_pointer, &index.to_string())),
                Finding::new(
                    &PB104,
                    format!("auth method `{key}` uses `{name}`, which is not a connector variable"),
                )
                .fix(fix),
            );
        }
    }
}
