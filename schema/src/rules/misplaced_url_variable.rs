//! PB302: a `url`-typed variable anywhere but at the start of a URL.

use super::{Context, PB302};
use crate::analysis::Field;
use crate::diagnostic::{Finding, Reporter};
use crate::model::VariableType;
use crate::template::expressions;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let analysis = &context.analysis;
    for site in analysis
        .sites
        .iter()
        .filter(|s| s.field == Field::Url && s.names.is_ok())
    {
        for expression in expressions(site.text) {
            let at_start = expression.range.start == 0 && expression.simple_name().is_some();
            if at_start {
                continue;
            }
            let misplaced = expression.names().into_iter().find(|name| {
                site.scopes.iter().any(|&s| {
                    analysis.scopes[s]
                        .find(name)
                        .is_some_and(|d| d.kind == VariableType::Url)
                })
            });
            let Some(name) = misplaced else { continue };
            let finding = Finding::new(
                &PB302,
                format!("`{name}` is a `url` variable, so it may only stand at the very start of a URL"),
            )
            .fix(format!(
                "start the URL with `{{{{ {name} }}}}`, or make `{name}` a `string` variable (then its value is percent-encoded as one segment)"
            ));
            context.report_in_template(reporter, &site.pointer, Some(expression.range), finding);
        }
    }
}
