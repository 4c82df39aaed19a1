//! PB205: `pattern` is not a valid regular expression.

use super::Context;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::pattern::check_pattern;

declare_rule!(
    "PB205",
    "invalid-pattern",
    Error,
    "A variable's `pattern` is not a valid regular expression."
);

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.variables {
        let Some(pattern) = &site.variable.pattern else {
            continue;
        };
        if let Err(error) = check_pattern(pattern) {
            reporter.report(
                Target::Value(&site.field("pattern")),
                Finding::new(&RULE, format!("the pattern of `{}` is not a valid regular expression: {error}", site.name))
                    .fix("fix the expression; patterns use Rust `regex` syntax (no look-around or back-references) and must match the whole value"),
            );
        }
    }
}
