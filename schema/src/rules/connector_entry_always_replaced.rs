//! PB701: a connector-wide `[request]` entry that every endpoint replaces or
//! removes.

use super::{Context, PB701};
use crate::catalog::EntryPlace;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let spec = context.spec;
    let Some(request) = &spec.request else {
        return;
    };
    if spec.endpoints.is_empty() {
        return;
    }
    for (place, table, shared) in [
        (EntryPlace::Query, "query", &request.query),
        (EntryPlace::Header, "headers", &request.headers),
    ] {
        for name in shared.keys() {
            // `next` and `resume` replace an endpoint's whole table, but the
            // endpoint's own first request is where the entry would go.
            let everywhere_replaced = spec.endpoints.values().all(|endpoint| {
                let own = match place {
                    EntryPlace::Query => &endpoint.query,
                    _ => &endpoint.headers,
                };
                own.keys().any(|written| place.same_name(written, name))
            });
            if !everywhere_replaced {
                continue;
            }
            reporter.report(
                Target::Key(&pointer_push(&pointer_push("/request", table), name)),
                Finding::new(
                    &PB701,
                    format!("every endpoint replaces or removes the connector-wide `{name}`, so its value here is never sent"),
                )
                .fix(format!("remove `{name}` from `[request]`, or drop it from the endpoints that only repeat it")),
            );
        }
    }
}
