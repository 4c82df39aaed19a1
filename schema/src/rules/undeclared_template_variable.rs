//! PB102: a template refers to a name that is not in scope for its request.

use super::{Context, PB102};
use crate::analysis::{Owner, Scope};
use crate::diagnostic::{Finding, Reporter};
use crate::template::{Expression, expressions};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.analysis.sites {
        let Ok(names) = &site.names else { continue };
        // Found once per template, and only if a name is missing.
        let mut site_expressions: Option<Vec<Expression<'_>>> = None;
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
            let fix = fix(context, reporter, scope, name);
            let finding = Finding::new(
                &PB102,
                format!("`{name}` is not in scope in {}", scope.describe()),
            )
            .fix(fix);
            let range = site_expressions
                .get_or_insert_with(|| expressions(site.text))
                .iter()
                .find(|e| e.names().iter().any(|n| n == name))
                .map(|e| e.range.clone());
            context.report_in_template(reporter, &site.pointer, range, finding);
        }
    }
}

fn fix(context: &Context<'_>, reporter: &mut Reporter<'_>, scope: &Scope<'_>, name: &str) -> String {
    if crate::catalog::INCREMENTAL_RUNTIME_VALUES.contains(&name)
        && matches!(scope.owner, Owner::Endpoint { .. })
    {
        return format!(
            "`{name}` exists only in an endpoint with `incremental`: add `incremental = {{ type = \"max\", … }}` (or `last_value`) to this endpoint"
        );
    }
    if name == "page" && matches!(scope.owner, Owner::Endpoint { .. }) {
        return "`page` exists only in an endpoint with `pagination` (`page_number`, `offset` or `cursor`): declare how the endpoint pages, or remove `page`".to_owned();
    }
    if let Some(fix) = reporter.suggest(name, scope.declarations().map(|d| d.name)) {
        return fix;
    }
    if let Owner::Auth { method, .. } = scope.owner
        && context.spec.variables.contains_key(name)
    {
        return format!(
            "`{name}` is a connector variable: add it to `use` of auth method `{method}`"
        );
    }
    // Declared somewhere, just not where this request can see it.
    match context.analysis.declared_anywhere(name) {
        Some(declaration) => format!(
            "`{name}` is {}, which this request does not see; declare it where this request can, or restrict the endpoint's `auth`",
            declaration.origin.describe()
        ),
        None => format!(
            "declare `{name}` under `[variables]` (or the endpoint's `variables`), or fix the name"
        ),
    }
}
