//! PB202: a hidden required variable with no default.

use super::{Context, PB202};
use crate::diagnostic::{Finding, Reporter, Target};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.variables {
        let hidden = site.variable.visible == Some(false);
        if !hidden || !site.required || site.variable.default.is_some() {
            continue;
        }
        reporter.report(
            Target::Value(&site.field("visible")),
            Finding::new(
                &PB202,
                format!(
                    "`{}` is required and hidden, but has no default: no instance could supply it",
                    site.name
                ),
            )
            .fix("give it a `default`, or make it visible"),
        );
    }
}
