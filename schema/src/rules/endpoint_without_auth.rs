//! PB107: an endpoint with no usable auth method.

use super::{Context, PB107};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        let Some(listed) = &endpoint.auth else {
            continue;
        };
        if listed.iter().any(|m| context.spec.auth.contains_key(m)) {
            continue;
        }
        let reason = if listed.is_empty() {
            "`auth` is empty"
        } else {
            "none of the methods in `auth` is defined"
        };
        reporter.report(
            Target::Value(&pointer_push(&pointer_push("/endpoints", key), "auth")),
            Finding::new(&PB107, format!("endpoint `{key}` cannot be called by any instance: {reason}"))
                .fix("list at least one method defined under `[auth]`, or remove `auth` to enable all of them"),
        );
    }
}
