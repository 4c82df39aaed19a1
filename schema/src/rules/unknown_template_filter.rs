//! PB710: a template applies a filter that neither MiniJinja nor patchbay
//! provides.

use super::{Context, PB710};
use crate::catalog::PATCHBAY_FILTERS;
use crate::diagnostic::{Finding, Reporter, offer};
use crate::template::{filter_uses, is_builtin_filter};

/// Built-in filters offered as corrections, beside patchbay's own.
const COMMON_BUILTINS: &[&str] = &[
    "lower",
    "upper",
    "trim",
    "join",
    "default",
    "length",
    "string",
    "int",
    "urlencode",
    "replace",
    "first",
    "last",
];

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.analysis.sites {
        // A template that does not parse is PB101's.
        if site.names.is_err() {
            continue;
        }
        for used in filter_uses(site.text) {
            if PATCHBAY_FILTERS.contains(&used.name) || is_builtin_filter(used.name) {
                continue;
            }
            let candidates = PATCHBAY_FILTERS.iter().chain(COMMON_BUILTINS).copied();
            let fix = match reporter.did_you_mean(used.name, candidates) {
                Some(close) => offer(close),
                None => format!(
                    "use a MiniJinja built-in filter or one of patchbay's: {}",
                    PATCHBAY_FILTERS.join(", ")
                ),
            };
            let finding = Finding::new(
                &PB710,
                format!(
                    "there is no filter `{}`: every render of this template would fail",
                    used.name
                ),
            )
            .fix(fix);
            context.report_in_template(reporter, &site.pointer, Some(used.range), finding);
        }
    }
}
