//! PB754: `client_assertion` settings on a client that signs no assertion.

use super::{Context, PB754};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::AssertionRole;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let Some(oauth) = method.oauth() else { continue };
        if oauth.client_assertion.is_none()
            || method
                .assertions()
                .iter()
                .any(|(role, _)| *role == AssertionRole::Client)
        {
            continue;
        }
        let pointer = pointer_push(&pointer_push("/auth", key), "client_assertion");
        reporter.report(
            Target::Key(&pointer),
            Finding::new(
                &PB754,
                "this method's client signs no assertion (its `client_auth` is not `private_key_jwt` or `client_secret_jwt`, or it is a public client), so `client_assertion` has no effect".to_owned(),
            )
            .fix("set `client_auth = \"private_key_jwt\"` (or `\"client_secret_jwt\"`), or remove `client_assertion`"),
        );
    }
}
