//! PB731: a discovered value that nothing uses.

use std::collections::HashSet;

use super::{Context, PB731};
use crate::analysis::Owner;
use crate::catalog::AuthPart;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let analysis = &context.analysis;
    // (method, name) of every name used where discovered values are in
    // scope: the method's endpoint requests and its applied credential.
    let mut used: HashSet<(&str, &str)> = HashSet::new();
    for site in &analysis.sites {
        let Ok(names) = &site.names else {
            continue;
        };
        for &scope in &site.scopes {
            let method = match analysis.scopes[scope].owner {
                Owner::Endpoint {
                    method: Some(method),
                    ..
                } => method,
                Owner::Auth {
                    method,
                    part: AuthPart::Apply,
                } => method,
                _ => continue,
            };
            for name in names {
                used.insert((method, name.as_str()));
            }
        }
    }
    for (key, method) in &context.spec.auth {
        let Some(discover) = method.discover() else {
            continue;
        };
        for name in discover.capture.keys() {
            if used.contains(&(key.as_str(), name.as_str())) {
                continue;
            }
            let pointer = pointer_push(
                &pointer_push(&pointer_push(&pointer_push("/auth", key), "discover"), "capture"),
                name,
            );
            reporter.report(
                Target::Key(&pointer),
                Finding::new(
                    &PB731,
                    format!(
                        "auth method `{key}` discovers `{name}`, but no endpoint request or applied credential of the method uses it"
                    ),
                )
                .fix(format!("use `{{{{ {name} }}}}` in an endpoint's URL, query or headers, or remove the capture")),
            );
        }
    }
}
