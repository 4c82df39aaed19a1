//! PB106: a declared variable that no template uses.

use std::collections::HashSet;

use super::{Context, PB106};
use crate::analysis::Origin;
use crate::diagnostic::{Finding, Reporter, Target, did_you_mean};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let analysis = &context.analysis;
    let mut used: HashSet<(&str, Origin<'_>)> = HashSet::new();
    // Names templates use that are not in scope: a variable one of them is
    // a typo of is reported through PB102's suggestion, not again here.
    let mut undeclared: Vec<&str> = Vec::new();
    for site in &analysis.sites {
        let Ok(names) = &site.names else { continue };
        for &scope in &site.scopes {
            undeclared.extend(
                names
                    .iter()
                    .filter(|name| analysis.scopes[scope].find(name).is_none())
                    .map(String::as_str),
            );
            // Every declaration of the name counts as used: where two
            // conflict (PB105), the template may mean either.
            for declaration in &analysis.scopes[scope].declarations {
                if names.iter().any(|name| name == declaration.name) {
                    used.insert((declaration.name, declaration.origin));
                }
            }
        }
    }
    let mut declared: Vec<(&str, Origin<'_>)> = context
        .spec
        .variables
        .keys()
        .map(|name| (name.as_str(), Origin::Connector))
        .collect();
    for scope in &analysis.scopes {
        for declaration in &scope.declarations {
            if matches!(declaration.origin, Origin::Auth(_) | Origin::Endpoint(_))
                && !declared.contains(&(declaration.name, declaration.origin))
            {
                declared.push((declaration.name, declaration.origin));
            }
        }
    }
    for (name, origin) in declared {
        if used.contains(&(name, origin))
            || undeclared
                .iter()
                .any(|typo| did_you_mean(typo, [name]).is_some())
        {
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
