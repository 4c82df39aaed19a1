//! PB105: one name declared in two scopes that meet in one request.

use std::collections::HashSet;

use super::{Context, PB105};
use crate::analysis::{Declaration, Origin, Scope};
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
    let live = |d: &&Declaration<'_>| match d.origin {
        // A default variable nothing refers to any more is dropped.
        Origin::AuthDefault(method) => live_defaults.contains(&(method, d.name)),
        _ => true,
    };
    // Two layers that meet in one request conflict the same way in every
    // request they meet in, and a conflict is reported once: each pair of
    // layers is compared once, looking the smaller one's names up in the
    // larger, so that the cost is the size of the layers, not the number
    // of requests times the number of names.
    let mut compared: HashSet<(usize, usize)> = HashSet::new();
    for scope in &context.analysis.scopes {
        for (i, earlier) in scope.layers.iter().enumerate() {
            for later in &scope.layers[i + 1..] {
                if !compared.insert((earlier.id, later.id)) {
                    continue;
                }
                let mut pairs: Vec<(&Declaration<'_>, &Declaration<'_>)> =
                    if earlier.declarations.len() <= later.declarations.len() {
                        earlier
                            .declarations
                            .iter()
                            .filter_map(|first| Some((first, later.get(first.name)?)))
                            .collect()
                    } else {
                        later
                            .declarations
                            .iter()
                            .filter_map(|second| Some((earlier.get(second.name)?, second)))
                            .collect()
                    };
                pairs.retain(|(first, second)| live(first) && live(second));
                for (first, second) in pairs {
                    if first.origin == second.origin
                        || !reported.insert((first.name, first.origin, second.origin))
                    {
                        continue;
                    }
                    report(reporter, scope, first, second);
                }
            }
        }
    }
}

fn report(
    reporter: &mut Reporter<'_>,
    scope: &Scope<'_>,
    first: &Declaration<'_>,
    second: &Declaration<'_>,
) {
    // Point at the declaration the author wrote, the more local one if
    // both are written.
    let Some(pointer) = second
        .origin
        .pointer(second.name)
        .or_else(|| first.origin.pointer(first.name))
    else {
        return;
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
