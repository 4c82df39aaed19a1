//! PB103: an endpoint enables an auth method that is not defined.

use super::Context;
use crate::diagnostic::{Finding, Reporter, Target, did_you_mean};
use crate::document::pointer_push;

declare_rule!(
    "PB103",
    "undefined-auth-method",
    Error,
    "An endpoint's `auth` list names a method not defined under `[auth]`."
);

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        let auth_pointer = pointer_push(&pointer_push("/endpoints", key), "auth");
        for (index, method) in endpoint.auth.iter().flatten().enumerate() {
            if context.spec.auth.contains_key(method) {
                continue;
            }
            let defined = context.spec.auth.keys().map(String::as_str);
            let fix = match did_you_mean(method, defined.clone()) {
                Some(suggestion) => format!("did you mean `{suggestion}`?"),
                None => format!(
                    "define `[auth.{method}]`, or use one of: {}",
                    defined
                        .map(|d| format!("`{d}`"))
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
            };
            reporter.report(
                Target::Value(&pointer_push(&auth_pointer, &index.to_string())),
                Finding::new(
                    &RULE,
                    format!(
                        "endpoint `{key}` enables auth method `{method}`, which is not defined"
                    ),
                )
                .fix(fix),
            );
        }
    }
}
