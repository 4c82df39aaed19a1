//! PB104: an auth method `use`s a connector variable that is not declared.

use super::Context;
use crate::diagnostic::{Finding, Reporter, Target, did_you_mean};
use crate::document::pointer_push;

declare_rule!(
    "PB104",
    "undeclared-use",
    Error,
    "An auth method's `use` lists a connector variable that is not declared."
);

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let use_pointer = pointer_push(&pointer_push("/auth", key), "use");
        for (index, name) in method.uses().iter().enumerate() {
            if context.spec.variables.contains_key(name) {
                continue;
            }
            let fix = match did_you_mean(name, context.spec.variables.keys().map(String::as_str)) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!("declare it as `[variables.{name}]`, or remove it from `use`"),
            };
            reporter.report(
                Target::Value(&pointer_push(&use_pointer, &index.to_string())),
                Finding::new(
                    &RULE,
                    format!("auth method `{key}` uses `{name}`, which is not a connector variable"),
                )
                .fix(fix),
            );
        }
    }
}
