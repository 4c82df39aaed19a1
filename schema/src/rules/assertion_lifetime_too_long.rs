//! PB750: a signed assertion that stays valid for more than an hour.

use super::{Context, PB750};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

/// The longest lifetime any provider in the fixtures accepts (Google's):
/// an assertion is used at once, and a longer one is a longer replay
/// window if it leaks.
const MAX_LIFETIME: u64 = 3600;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        for (role, written) in method.assertions() {
            let Some(lifetime) = written.and_then(|w| w.lifetime) else {
                continue;
            };
            if lifetime <= MAX_LIFETIME {
                continue;
            }
            let pointer = pointer_push(
                &pointer_push(&pointer_push("/auth", key), role.table()),
                "lifetime",
            );
            reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB750,
                    format!(
                        "this assertion is valid for {lifetime} seconds: it is signed for one request and used at once, and servers refuse lifetimes over {MAX_LIFETIME} seconds (Google), 180 (Salesforce) or 60 (Box)"
                    ),
                )
                .fix("leave `lifetime` out (60 seconds), or give the most the provider documents"),
            );
        }
    }
}
