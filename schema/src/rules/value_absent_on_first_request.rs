//! PB604: an optional runtime value (`page.cursor`) used in the first
//! request where it cannot be left out.

use super::{Context, PB604};
use crate::analysis::RequestRole;
use crate::catalog::OPTIONAL_RUNTIME_VALUES;
use crate::diagnostic::{Finding, Reporter};
use crate::template::optional_reference;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for found in context.analysis.page_references() {
        let path = found.reference.path.as_str();
        // A value the pagination does not provide at all is PB603's.
        let provided = path
            .split_once('.')
            .is_some_and(|(_, value)| found.pagination.page_values().contains(&value));
        // `resume` is a first request too: no page has been read yet.
        if found.site.request == RequestRole::Next
            || !OPTIONAL_RUNTIME_VALUES.contains(&path)
            || !provided
        {
            continue;
        }
        let finding = if found.pagination.next().is_some() {
            Finding::new(
                &PB604,
                format!(
                    "`{path}` never has a value in the first request of endpoint `{}`: its pagination's `next` sends every later page",
                    found.endpoint
                ),
            )
            .fix(format!("use `{{{{ {path} }}}}` in `pagination.next` only"))
        } else if optional_reference(found.site.text) == Some(path) && found.site.entry {
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
