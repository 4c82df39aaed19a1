//! PB105: one name declared in two scopes that meet in one request.

use std::collections::HashSet;

use super::{Context, PB105};
use crate::analysis::{Declaration, Origin};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::template::referenced_names;
use crate::usage::{default_variable_is_live, names_used};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let mut reported = HashSet::new();
    // Liveness of each method's default variables, worked out once.
    let live_defaults: HashSet<(&str, &str)> = context
        .spec
        .auth
        .iter()
        .flat_map(|(key, method)| {
            let used = names_used(context.spec, key, method, &mut |text| {
                referenced_names(text).unwrap_or_default()
            });
            crate::catalog::default_variables(method)
                .into_iter()
                .filter(move |d| default_variable_is_live(method, d.name, &used))
                .map(move |d| (key.as_str(), d.name))
        })
        .collect();
    for scope in &context.analysis.scopes {
        let declarations: Vec<&Declaration<'_>> = scope
            .declarations
            .iter()
            .filter(|d| match d.origin {
                // A default variable nothing refers to any more is dropped.
                Origin::AuthDefault(method) => live_defaults.contains(&(method, d.name)),
                _ => true,
            })
            .collect();
        for (i, first) in declarations.iter().enumerate() {
            for second in &declarations[i + 1..] {
                if first.name != second.name || first.origin == second.origin {
                    continue;
                }
                if !reported.insert((first.name, first.origin, second.origin)) {
                    continue;
                }
                // Point at the declaration the author wrote, the more local
                // one if both are written.
                let Some(pointer) = second
                    .origin
                    .pointer(second.name)
                    .or_else(|| first.origin.pointer(first.name))
                else {
                    continue;
                };
                let name = first.name;
                reporter.report(
                    Target::Key(&pointer),
                    Finding::new(
                        &PB105,
                        format!(
                            "`{name}` is declared as {} and as {}, and both are in scope in {}",
                            first.origin.describe(),
                            second.origin.describe(),
                            scope.describe()
                        ),
                    )
                    .fix(fix(name, first.origin, second.origin)),
                );
            }
        }
    }
}

fn fix(name: &str, first: Origin<'_>, second: Origin<'_>) -> String {
    let default_of = [first, second].into_iter().find_map(|o| match o {
        Origin::AuthDefault(method) => Some(method),
        _ => None,
    });
    match default_of {
        Some(method) => format!(
            "rename the other `{name}`; to change the auth variable, override it under `[auth.{method}.variables.{name}]`"
        ),
        None => {
            format!("rename one of the two `{name}` declarations so that each name means one value")
        }
    }
}
