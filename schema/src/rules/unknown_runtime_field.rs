//! PB712: a field of `now` or `request` that the runtime does not provide.

use super::{Context, PB712};
use crate::analysis::Origin;
use crate::catalog::RUNTIME_OBJECTS;
use crate::diagnostic::{Finding, Reporter, offer};
use crate::template::referenced_paths;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let analysis = &context.analysis;
    for site in &analysis.sites {
        if site.names.is_err() {
            continue;
        }
        for (root, fields) in RUNTIME_OBJECTS {
            // The runtime's value only: a request without it is PB102's.
            let provided = site.scopes.iter().any(|&s| {
                analysis.scopes[s]
                    .find(root)
                    .is_some_and(|d| matches!(d.origin, Origin::Runtime))
            });
            if !provided {
                continue;
            }
            for reference in referenced_paths(site.text, root) {
                let field = reference.path.split('.').nth(1);
                if field.is_some_and(|f| fields.contains(&f)) {
                    continue;
                }
                let list = fields
                    .iter()
                    .map(|f| format!("`{root}.{f}`"))
                    .collect::<Vec<_>>()
                    .join(", ");
                let message = match field {
                    None => format!("`{root}` is an object; use one of its fields: {list}"),
                    Some(f) => format!("`{root}.{f}` does not exist; `{root}` provides {list}"),
                };
                let fix = match field.and_then(|f| reporter.did_you_mean(f, fields.iter().copied())) {
                    Some(close) => offer(&format!("{root}.{close}")),
                    None => format!("use one of {list}"),
                };
                let finding = Finding::new(&PB712, message).fix(fix);
                context.report_in_template(reporter, &site.pointer, reference.range, finding);
            }
        }
    }
}
