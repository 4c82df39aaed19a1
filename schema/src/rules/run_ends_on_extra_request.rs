//! PB606: a cursor taken from the last record with no `more`, `done` or
//! `total`: the API gives no end signal, so every run ends only by
//! fetching one more page, an empty one.

use super::{Context, PB606};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::Pagination;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (name, endpoint) in &context.spec.endpoints {
        let Some(pagination @ Pagination::Cursor {
            last_record: Some(_),
            ..
        }) = &endpoint.pagination
        else {
            continue;
        };
        if pagination.stop_fields().any() {
            continue;
        }
        let pointer = pointer_push(
            &pointer_push(&pointer_push("/endpoints", name), "pagination"),
            "last_record",
        );
        reporter.report(
            Target::Key(&pointer),
            Finding::new(
                &PB606,
                format!("every run of `{name}` ends only by fetching an extra, empty page: the cursor comes from the last record and nothing says the last page is the last"),
            )
            .fix("add the API's end signal, e.g. `more = \"/has_more\"`, `done = \"/is_last\"` or `total = \"/total_count\"`"),
        );
    }
}
