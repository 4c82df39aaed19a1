//! PB751: a signed assertion whose `aud` claim is removed or empty.

use super::{Context, PB751};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::Entry;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        for (role, written) in method.assertions() {
            let Some(aud) = written.and_then(|w| w.claims.get("aud")) else {
                continue;
            };
            let missing = match aud {
                Entry::Remove => true,
                other => other.template().is_some_and(|t| t.trim().is_empty()),
            };
            if !missing {
                continue;
            }
            let pointer = pointer_push(
                &pointer_push(
                    &pointer_push(&pointer_push("/auth", key), role.table()),
                    "claims",
                ),
                "aud",
            );
            reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB751,
                    "this assertion has no audience: RFC 7523 §3 requires `aud`, and a server must refuse an assertion not addressed to it (one without could be replayed to any server that trusts the key)".to_owned(),
                )
                .fix("remove this entry to send the token endpoint's URL, or write the audience the provider documents (Salesforce: `https://login.salesforce.com`)"),
            );
        }
    }
}
