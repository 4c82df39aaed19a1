//! PB603: a `page.…` value the endpoint's pagination does not provide.

use super::{Context, PB603};
use crate::diagnostic::{Finding, Reporter, offer};
use crate::model::Pagination;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for found in context.analysis.page_references() {
        let provided = found.pagination.page_values();
        let path = &found.reference.path;
        let value = path.split('.').nth(1);
        if value.is_some_and(|v| provided.contains(&v)) {
            continue;
        }
        let kind = kind_name(found.pagination);
        let list = if provided.is_empty() {
            "nothing: its next page is a whole URL, read from the response".to_owned()
        } else {
            provided
                .iter()
                .map(|v| format!("`page.{v}`"))
                .collect::<Vec<_>>()
                .join(", ")
        };
        let message = match value {
            None => format!(
                "`page` is an object; endpoint `{}` ({kind} pagination) provides {list}",
                found.endpoint
            ),
            Some(v) => format!(
                "`page.{v}` does not exist in endpoint `{}`: its {kind} pagination provides {list}",
                found.endpoint
            ),
        };
        let candidates = provided.iter().copied();
        let fix = match value {
            Some("size") => "set the pagination's `limit` (the page size) to use `page.size`".to_owned(),
            Some(v) => match reporter.did_you_mean(v, candidates) {
                Some(close) => offer(&format!("page.{close}")),
                None => format!("use one of the values it provides: {list}"),
            },
            None => format!("use one of its values: {list}"),
        };
        let finding = Finding::new(&PB603, message).fix(fix);
        context.report_in_template(
            reporter,
            &found.site.pointer,
            found.reference.range.clone(),
            finding,
        );
    }
}

fn kind_name(pagination: &Pagination) -> &'static str {
    match pagination {
        Pagination::None {} => "no",
        Pagination::PageNumber { .. } => "`page_number`",
        Pagination::Offset { .. } => "`offset`",
        Pagination::Cursor { .. } => "`cursor`",
        Pagination::NextUrl { .. } => "`next_url`",
        Pagination::LinkHeader { .. } => "`link_header`",
    }
}
