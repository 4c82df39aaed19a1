//! PB609: an incremental endpoint whose requests never send `checkpoint`.

use super::{Context, PB609};
use crate::analysis::Field;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        if endpoint.incremental.is_none() {
            continue;
        }
        let endpoint_pointer = pointer_push("/endpoints", key);
        let prefix = format!("{endpoint_pointer}/");
        let sent = context.analysis.sites.iter().any(|site| {
            site.field != Field::Checkpoint
                && site.pointer.starts_with(&prefix)
                && site
                    .names
                    .as_ref()
                    .is_ok_and(|names| names.iter().any(|n| n == "checkpoint"))
        });
        if !sent {
            reporter.report(
                Target::Value(&pointer_push(&endpoint_pointer, "incremental")),
                Finding::new(
                    &PB609,
                    format!(
                        "endpoint `{key}` keeps a checkpoint that none of its request's templates sends, so every run reads everything again"
                    ),
                )
                .fix("use `{{ checkpoint }}` where the API takes the starting point, e.g. `query = { updated_since = \"{{ checkpoint }}\" }`"),
            );
        }
    }
}
