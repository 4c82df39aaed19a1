//! PB612: `checkpoint` used where it has no value on the first run.

use super::{Context, PB612};
use crate::analysis::{Field, RequestRole};
use crate::diagnostic::{Finding, Reporter};
use crate::document::pointer_push;
use crate::template::{expressions, whole_name};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        let Some(incremental) = &endpoint.incremental else {
            continue;
        };
        let has_initial = incremental.initial().is_some();
        let prefix = format!("{}/", pointer_push("/endpoints", key));
        for site in context
            .analysis
            .sites
            .iter()
            .filter(|site| site.pointer.starts_with(&prefix))
        {
            let Ok(names) = &site.names else { continue };
            if !names.iter().any(|n| n == "checkpoint") {
                continue;
            }
            let finding = if site.field == Field::Checkpoint {
                Finding::new(
                    &PB612,
                    format!("the `initial` of endpoint `{key}` uses `checkpoint`, the value it is the first of"),
                )
                .fix("write a literal or a variable, e.g. `initial = \"{{ start_time }}\"`")
            } else if has_initial
                // `resume` is sent only when a checkpoint is stored.
                || site.request == RequestRole::Resume
                || (site.entry && whole_name(site.text) == Some("checkpoint"))
            {
                continue;
            } else {
                Finding::new(
                    &PB612,
                    format!(
                        "endpoint `{key}` has no checkpoint on its first run, and `checkpoint` is not the whole value of an entry that could be left out"
                    ),
                )
                .fix("add `initial` to `incremental` (the first run's starting point), or make `{{ checkpoint }}` the whole value of a query parameter, header, form field or JSON member")
            };
            let range = expressions(site.text)
                .iter()
                .find(|e| e.names().iter().any(|n| n == "checkpoint"))
                .map(|e| e.range.clone());
            context.report_in_template(reporter, &site.pointer, range, finding);
        }
    }
}
