//! PB106: a declared variable that no template uses.

use std::collections::HashSet;

use super::{Context, PB106};
use crate::analysis::Origin;
use crate::diagnostic::{Finding, Reporter, Target};
use indexmap::IndexSet;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let analysis = &context.analysis;
    let mut used: HashSet<(&str, Origin<'_>)> = HashSet::new();
    // Names templates use that are not in scope: a variable one of them is
    // a typo of is reported through PB102's suggestion, not again here.
    let mut undeclared: IndexSet<&str> = IndexSet::new();
    for site in &analysis.sites {
        let Ok(names) = &site.names else { continue };
        for &scope in &site.scopes {
            let scope = &analysis.scopes[scope];
            for name in names {
                // Every declaration of the name counts as used: where two
                // conflict (PB105), the template may mean either.
                let mut declared = false;
                for declaration in scope.find_each(name) {
                    used.insert((declaration.name, declaration.origin));
                    declared = true;
                }
                if !declared {
                    undeclared.insert(name);
                }
            }
        }
    }
    let mut declared: IndexSet<(&str, Origin<'_>)> = context
        .spec
        .variables
        .keys()
        .map(|name| (name.as_str(), Origin::Connector))
        .collect();
    for layer in &analysis.layers {
        for declaration in &layer.declarations {
            if matches!(declaration.origin, Origin::Auth(_) | Origin::Endpoint(_)) {
                declared.insert((declaration.name, declaration.origin));
            }
        }
    }
    for (name, origin) in declared {
        if used.contains(&(name, origin)) || is_typo_target(reporter, &undeclared, name) {
            continue;
        }
        let Some(pointer) = origin.pointer(name) else {
            continue;
        };
        reporter.report(
            Target::Key(&pointer),
            Finding::new(
                &PB106,
                format!("`{name}` is {} that no template uses", origin.describe()),
            )
            .fix(format!(
                "use it as `{{{{ {name} }}}}` where the API needs it, or remove it"
            )),
        );
    }
}

/// Whether one of the undeclared names is a typo of `name`, as far as the
/// suggestion budget allows looking.
fn is_typo_target(reporter: &mut Reporter<'_>, undeclared: &IndexSet<&str>, name: &str) -> bool {
    for typo in undeclared {
        if !reporter.can_suggest() {
            return false;
        }
        if reporter.did_you_mean(typo, [name]).is_some() {
            return true;
        }
    }
    false
}
