//! PB604: an optional runtime value (`page.cursor`) used in the first
//! request where it cannot be left out.

use super::{Context, PB604};
use crate::analysis::{Field, RequestRole, Site};
use crate::catalog::OPTIONAL_RUNTIME_VALUES;
use crate::diagnostic::{Finding, Reporter};
use crate::document::pointer_push;
use crate::model::{Body, Endpoint};
use crate::template::optional_reference;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for found in context.analysis.page_references() {
        let path = found.reference.path.as_str();
        // A value the pagination does not provide at all is PB603's.
        let provided = path
            .split_once('.')
            .is_some_and(|(_, value)| found.pagination.page_values().contains(&value));
        if found.site.request != RequestRole::First
            || !OPTIONAL_RUNTIME_VALUES.contains(&path)
            || !provided
        {
            continue;
        }
        let endpoint = &context.spec.endpoints[found.endpoint];
        let finding = if found.pagination.next().is_some() {
            Finding::new(
                &PB604,
                format!(
                    "`{path}` never has a value in the first request of endpoint `{}`: its pagination's `next` sends every later page",
                    found.endpoint
                ),
            )
            .fix(format!("use `{{{{ {path} }}}}` in `pagination.next` only"))
        } else if optional_reference(found.site.text) == Some(path)
            && is_whole_entry(found.site, found.endpoint, endpoint)
        {
            continue;
        } else {
            Finding::new(
                &PB604,
                format!(
                    "`{path}` has no value on the first page of endpoint `{}`, and only an entry whose whole value is `{{{{ {path} }}}}` is left out then",
                    found.endpoint
                ),
            )
            .fix(format!(
                "make `{{{{ {path} }}}}` the whole value of a query, header or form entry or of a JSON member, or send later pages with `pagination.next`"
            ))
        };
        context.report_in_template(
            reporter,
            &found.site.pointer,
            found.reference.range.clone(),
            finding,
        );
    }
}

/// Whether a template of an endpoint's own request is a whole query,
/// header or form entry, or a JSON object's member: what can be left out.
fn is_whole_entry(site: &Site<'_>, key: &str, endpoint: &Endpoint) -> bool {
    match site.field {
        Field::Query | Field::Header => true,
        Field::Url => false,
        Field::Body => {
            let content = pointer_push(
                &pointer_push(&pointer_push("/endpoints", key), "body"),
                "content",
            );
            let Some(inner) = site.pointer.strip_prefix(&content) else {
                return false;
            };
            match &endpoint.body {
                Some(Body::Form { .. }) => !inner.is_empty(),
                Some(Body::Json { content }) => {
                    let parent = inner.rsplit_once('/').map_or("", |(parent, _)| parent);
                    !inner.is_empty() && content.pointer(parent).is_some_and(|v| v.is_object())
                }
                Some(Body::Raw { .. }) | None => false,
            }
        }
    }
}
