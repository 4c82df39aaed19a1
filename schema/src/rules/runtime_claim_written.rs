//! PB753: an assertion's claims write `iat`, `exp` or `jti`.

use super::{Context, PB753};
use crate::catalog::RUNTIME_CLAIMS;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        for (role, written) in method.assertions() {
            let Some(written) = written else { continue };
            for name in written
                .claims
                .keys()
                .filter(|name| RUNTIME_CLAIMS.contains(&name.as_str()))
            {
                let pointer = pointer_push(
                    &pointer_push(
                        &pointer_push(&pointer_push("/auth", key), role.table()),
                        "claims",
                    ),
                    name,
                );
                reporter.report(
                    Target::Key(&pointer),
                    Finding::new(
                        &PB753,
                        format!(
                            "`{name}` is set by patchbay on every assertion (`iat` when it is signed, `exp` from `lifetime`, a new random `jti`), so this claim would never be sent"
                        ),
                    )
                    .fix(if name == "exp" {
                        "remove it; set `lifetime` (seconds) instead"
                    } else {
                        "remove it"
                    }),
                );
            }
        }
    }
}
