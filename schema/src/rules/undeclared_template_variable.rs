//! PB102: a template refers to a name that is not in scope for its request.

use super::{Context, PB102};
use crate::analysis::{Origin, Owner};
use crate::diagnostic::{Finding, Reporter, suggest};
use crate::template::expressions;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.analysis.sites {
        let Ok(names) = &site.names else { continue };
        for name in names {
            // Report each name once per template, for the first request
            // that lacks it.
            let Some(scope) = site
                .scopes
                .iter()
                .map(|&i| &context.analysis.scopes[i])
                .find(|scope| scope.find(name).is_none())
            else {
                continue;
            };
            let fix = fix(
                context,
                scope.owner,
                name,
                scope.declarations.iter().map(|d| d.name),
            );
            let finding = Finding::new(
                &PB102,
                format!("`{name}` is not in scope in {}", scope.describe()),
            )
            .fix(fix);
            let range = expressions(site.text)
                .into_iter()
                .find(|e| e.names().iter().any(|n| n == name))
                .map(|e| e.range);
            context.report_in_template(reporter, &site.pointer, range, finding);
        }
    }
}

fn fix<'a>(
    context: &Context<'_>,
    owner: Owner<'_>,
    name: &str,
    in_scope: impl Iterator<Item = &'a str>,
) -> String {
    let in_scope: Vec<&str> = in_scope.collect();
    if let Some(fix) = suggest(name, in_scope.iter().copied()) {
        return fix;
    }
    if let Owner::Auth { method, .. } = owner
        && context.spec.variables.contains_key(name)
    {
        return format!(
            "`{name}` is a connector variable: add it to `use` of auth method `{method}`"
        );
    }
    // Declared somewhere, just not where this request can see it.
    let elsewhere = context
        .analysis
        .scopes
        .iter()
        .flat_map(|s| s.declarations.iter())
        .find(|d| d.name == name && d.origin != Origin::Runtime);
    match elsewhere {
        Some(declaration) => format!(
            "`{name}` is {}, which this request does not see; declare it where this request can, or restrict the endpoint's `auth`",
            declaration.origin.describe()
        ),
        None => format!(
            "declare `{name}` under `[variables]` (or the endpoint's `variables`), or fix the name"
        ),
    }
}
