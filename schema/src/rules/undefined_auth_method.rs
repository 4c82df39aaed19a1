//! PB103: an endpoint enables an auth method that is not defined.

use super::{Context, PB103};
use crate::diagnostic::{Finding, Reporter, Target, suggest};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        let auth_pointer = pointer_push(&pointer_push("/endpoints", key), "auth");
        for (index, method) in endpoint.auth.iter().flatten().enumerate() {
            if context.spec.auth.contains_key(method) {
                continue;
            }
            let defined = context.spec.auth.keys().map(String::as_str);
            let fix = suggest(method, defined.clone()).unwrap_or_else(|| {
                let listed: Vec<String> = defined.map(|d| format!("`{d}`")).collect();
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
