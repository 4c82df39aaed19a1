//! PB103: an endpoint enables an auth method that is not defined.

use super::{Context, PB103};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        let auth_pointer = pointer_push(&pointer_push("/endpoints", key), "auth");
        for (index, method) in endpoint.auth.iter().flatten().enumerate() {
            if context.spec.auth.contains_key(method) {
                continue;
            }
            let defined = context.spec.auth.keys().map(String::as_str);
            let fix = reporter.suggest(method, defined.clone()).unwrap_or_else(|| {
                // A few names say what is meant; a list of every method
                // for every mistake would grow with their product.
                let mut listed: Vec<String> = defined.clone().take(10).map(|d| format!("`{d}`")).collect();
                if defined.count() > listed.len() {
                    listed.push("…".to_owned());
                }
                format!("define `[auth.{method}]`, or use one of: {}", listed.join(", "))
            });
            reporter.report(
                Target::Value(&pointer_push(&auth_pointer, &index.to_string())),
                Finding::new(
                    &PB103,
                    format!(
                        "endpoint `{key}` enables auth method `{method}`, which is not defined"
                    ),
                )
                .fix(fix),
            );
        }
    }
}
