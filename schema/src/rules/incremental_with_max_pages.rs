//! PB611: `max_pages` on an incremental endpoint.

use super::{Context, PB611};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::Pagination;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        if endpoint.incremental.is_none() {
            continue;
        }
        let max_pages = match &endpoint.pagination {
            Some(
                Pagination::PageNumber { max_pages, .. }
                | Pagination::Offset { max_pages, .. }
                | Pagination::Cursor { max_pages, .. }
                | Pagination::NextUrl { max_pages, .. }
                | Pagination::LinkHeader { max_pages, .. },
            ) => max_pages,
            Some(Pagination::None {}) | None => &None,
        };
        if max_pages.is_none() {
            continue;
        }
        let pointer = pointer_push(
            &pointer_push(&pointer_push("/endpoints", key), "pagination"),
            "max_pages",
        );
        reporter.report(
            Target::Value(&pointer),
            Finding::new(
                &PB611,
                format!(
                    "endpoint `{key}` is incremental, but a run cut short by `max_pages` keeps no checkpoint, so every run reads the same first pages again"
                ),
            )
            .fix("remove `max_pages`: the runtime's page cap still bounds a run"),
        );
    }
}
