//! PB602: a page number, offset or cursor that no request carries, or
//! that two things place.

use std::collections::HashSet;

use super::{Context, PB602};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::Pagination;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    // (endpoint, path) of every `page.…` use, found in one pass.
    let used: HashSet<(&str, String)> = context
        .analysis
        .page_references()
        .into_iter()
        .map(|r| (r.endpoint, r.reference.path))
        .collect();
    for (key, endpoint) in &context.spec.endpoints {
        let (position, param, what) = match &endpoint.pagination {
            Some(Pagination::PageNumber { param, .. }) => ("number", param, "page number"),
            Some(Pagination::Offset { param, .. }) => ("offset", param, "offset"),
            Some(Pagination::Cursor { param, .. }) => ("cursor", param, "cursor"),
            _ => continue,
        };
        let value = format!("page.{position}");
        let templated = used.contains(&(key.as_str(), value.clone()));
        let pointer = pointer_push(&pointer_push("/endpoints", key), "pagination");
        match (param, templated) {
            (None, false) => reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB602,
                    format!(
                        "the {what} of endpoint `{key}` is sent nowhere: the pagination has no `param`, and no template of its requests uses `{{{{ {value} }}}}`"
                    ),
                )
                .fix(format!(
                    "add `param = \"…\"` (the query parameter the API reads it from), or write `{{{{ {value} }}}}` where the API reads it (the body, a header, the URL)"
                )),
            ),
            (Some(param), true) => reporter.report(
                Target::Value(&pointer_push(&pointer, "param")),
                Finding::new(
                    &PB602,
                    format!(
                        "the {what} of endpoint `{key}` is sent twice: as the query parameter `{param}` and by a template using `{{{{ {value} }}}}`"
                    ),
                )
                .fix(format!(
                    "remove `param` to send it only where the template puts it, or remove the template's `{{{{ {value} }}}}`"
                )),
            ),
            _ => {}
        }
    }
}
