//! PB205: `pattern` is not a valid regular expression, or is over the
//! limits every run applies.

use std::collections::HashMap;

use super::{Context, PB205};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::pattern::{PatternError, compile};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    // Specs repeat patterns (an id format on every endpoint): compile each once.
    let mut problems: HashMap<&str, Option<PatternError>> = HashMap::new();
    for site in &context.variables {
        let Some(pattern) = &site.variable.pattern else {
            continue;
        };
        let problem = problems
            .entry(pattern)
            .or_insert_with(|| compile(pattern).err());
        let finding = match problem {
            None => continue,
            Some(PatternError::Syntax(error)) => Finding::new(&PB205, format!("the pattern of `{}` is not a valid regular expression: {error}", site.name))
                .fix("fix the expression; patterns use Rust `regex` syntax (no look-around or back-references) and must match the whole value"),
            Some(PatternError::Limit(error)) => Finding::new(&PB205, format!("the pattern of `{}` is too large: {error}", site.name))
                .fix("make the pattern smaller: check the shape of the value (e.g. `[a-z0-9]+`) and leave its exact length to `{m,n}` counts of a few hundred at most"),
        };
        reporter.report(Target::Value(&site.field("pattern")), finding);
    }
}
