//! PB730: a discovery that takes the first entry with no `match`.

use super::{Context, PB730};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::DiscoverSelect;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let Some(discover) = method.discover() else {
            continue;
        };
        if discover.select != Some(DiscoverSelect::First) || discover.matches.is_some() {
            continue;
        }
        let pointer = pointer_push(
            &pointer_push(&pointer_push("/auth", key), "discover"),
            "select",
        );
        reporter.report(
            Target::Value(&pointer),
            Finding::new(
                &PB730,
                format!(
                    "the discovery of auth method `{key}` takes the first entry of the answer: a user with several accounts (sites, tenants) gets whichever the API lists first, and calls go to it"
                ),
            )
            .fix("choose the entry with `match = { field = \"…\", equals = \"{{ variable }}\" }`, or keep the default `select = \"only\"`, which fails and lists the entries when there are several"),
        );
    }
}
