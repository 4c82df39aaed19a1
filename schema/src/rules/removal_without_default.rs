//! PB402: `false` removing a default that does not exist.

use super::{Context, PB402};
use crate::catalog::{self, AuthPart, EntryPlace, EntryValue, Overrides};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::Entry;

const PLACES: [EntryPlace; 3] = [EntryPlace::Query, EntryPlace::Header, EntryPlace::Body];

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let method_pointer = pointer_push("/auth", key);
        for part in catalog::parts(method)
            .into_iter()
            .filter(|p| *p != AuthPart::Apply)
        {
            let defaults = catalog::default_entries(method, part);
            let table = pointer_push(&method_pointer, part.table());
            let describe = format!("the {} of auth method `{key}`", part.describe());
            check_overrides(
                catalog::overrides(method, part),
                &table,
                &describe,
                reporter,
                |place, name| {
                    defaults
                        .iter()
                        .any(|d| d.place == place && place.same_name(&d.name, name))
                },
            );
        }
    }
    for (key, endpoint) in &context.spec.endpoints {
        let overrides = Overrides {
            query: Some(&endpoint.query),
            headers: Some(&endpoint.headers),
            body: endpoint.body.as_ref(),
        };
        let describe = format!("endpoint `{key}`");
        // An endpoint's only defaults are the connector-wide `[request]`
        // entries.
        let shared = context.spec.request.as_ref();
        check_overrides(
            overrides,
            &pointer_push("/endpoints", key),
            &describe,
            reporter,
            |place, name| {
                let entries = match place {
                    EntryPlace::Query => shared.map(|r| &r.query),
                    EntryPlace::Header => shared.map(|r| &r.headers),
                    EntryPlace::Body => None,
                };
                entries.is_some_and(|e| e.keys().any(|k| place.same_name(k, name)))
            },
        );
    }
}

fn check_overrides(
    overrides: Overrides<'_>,
    table: &str,
    describe: &str,
    reporter: &mut Reporter<'_>,
    has_default: impl Fn(EntryPlace, &str) -> bool,
) {
    for place in PLACES {
        for (name, value) in overrides.entries(place) {
            // In a JSON body only a top-level `false` means removal; any
            // other value is content.
            let removes = matches!(value, EntryValue::Entry(Entry::Remove)) || value.is_removal();
            if !removes || has_default(place, name) {
                continue;
            }
            let pointer = match place {
                EntryPlace::Body => {
                    pointer_push(&pointer_push(&pointer_push(table, "body"), "content"), name)
                }
                _ => pointer_push(&pointer_push(table, place.table()), name),
            };
            reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB402,
                    format!("`{name} = false` removes a default, but {describe} has no default `{name}`"),
                )
                .fix("remove this entry; `false` only removes entries the auth type adds by default (see `patchbay compile` for the defaults)"),
            );
        }
    }
}
