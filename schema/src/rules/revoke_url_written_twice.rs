//! PB723: a revocation request written out in full (`revoke_request.url`)
//! next to a `revoke_url`.

use super::{Context, PB723};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let Some(oauth) = method.oauth() else {
            continue;
        };
        if oauth.revoke_url.is_none() || oauth.full_revoke_request().is_none() {
            continue;
        }
        let pointer = pointer_push(&pointer_push("/auth", key), "revoke_url");
        reporter.report(
            Target::Key(&pointer),
            Finding::new(
                &PB723,
                "`revoke_url` is given, and `revoke_request.url` writes the revocation request out in full: only one of them can say where tokens are revoked".to_owned(),
            )
            .fix("remove `revoke_url` for a revocation that is not RFC 7009, or remove `revoke_request.url` to keep the RFC 7009 request"),
        );
    }
}
