//! PB205: `pattern` is not a valid regular expression.

use super::{Context, PB205};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::pattern::check_pattern;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.variables {
        let Some(pattern) = &site.variable.pattern else {
            continue;
        };
        if let Err(error) = check_pattern(pattern) {
            reporter.report(
                Target::Value(&site.field("pattern")),
                Finding::new(&PB205, format!("the pattern of `{}` is not a valid regular expression: {error}", site.name))
                    .fix("fix the expression; patterns use Rust `regex` syntax (no look-around or back-references) and must match the whole value"),
            );
        }
    }
}
