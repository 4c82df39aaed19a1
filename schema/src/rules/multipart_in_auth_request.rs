//! PB713: a `multipart` or `file` body in an auth method's own request.

use super::{Context, PB713};
use crate::catalog::{self, AuthPart};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::Body;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        for part in catalog::parts(method) {
            if part == AuthPart::Apply {
                continue;
            }
            let kind = match catalog::overrides(method, part).body {
                Some(Body::Multipart { .. }) => "a `multipart` body, whose file parts",
                Some(Body::File { .. }) => "a `file` body, whose bytes",
                _ => continue,
            };
            let pointer = pointer_push(
                &pointer_push(&pointer_push(&pointer_push("/auth", key), part.table()), "body"),
                "type",
            );
            let finding = Finding::new(
                &PB713,
                format!(
                    "the {} of auth method `{key}` has {kind} only a call can give",
                    part.describe()
                ),
            )
            .fix("send the auth request's fields as a `form`, `json` or `raw` body");
            reporter.report(Target::Value(&pointer), finding);
        }
    }
}
