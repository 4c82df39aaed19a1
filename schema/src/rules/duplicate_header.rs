//! PB304: header names in one table equal but for case.

use std::collections::HashMap;

use super::{Context, PB304};
use crate::catalog::{self, AuthPart, EntryPlace};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let spec = context.spec;
    let mut tables: Vec<(String, Vec<&str>)> = Vec::new();
    if let Some(request) = &spec.request {
        tables.push((
            "/request/headers".to_owned(),
            request.headers.keys().map(String::as_str).collect(),
        ));
    }
    for (key, endpoint) in &spec.endpoints {
        let pointer = pointer_push(&pointer_push("/endpoints", key), "headers");
        tables.push((
            pointer,
            endpoint.headers.keys().map(String::as_str).collect(),
        ));
    }
    for (key, method) in &spec.auth {
        let method_pointer = pointer_push("/auth", key);
        for part in catalog::parts(method) {
            let names: Vec<&str> = match part {
                AuthPart::Apply => method
                    .apply()
                    .map(|a| a.headers.keys().map(String::as_str).collect())
                    .unwrap_or_default(),
                _ => catalog::overrides(method, part)
                    .entries(EntryPlace::Header)
                    .into_iter()
                    .map(|(name, _)| name)
                    .collect(),
            };
            let table = pointer_push(&pointer_push(&method_pointer, part.table()), "headers");
            tables.push((table, names));
        }
    }
    for (table, names) in tables {
        // The first name of each case-folded spelling.
        let mut firsts: HashMap<String, &str> = HashMap::with_capacity(names.len());
        for &name in &names {
            let first = *firsts.entry(name.to_ascii_lowercase()).or_insert(name);
            if std::ptr::eq(first, name) {
                continue;
            }
            reporter.report(
                Target::Key(&pointer_push(&table, name)),
                Finding::new(
                    &PB304,
                    format!("header `{name}` repeats `{first}`: header names are case-insensitive, so one would silently replace the other"),
                )
                .fix(format!("keep one `{first}` entry")),
            );
        }
    }
}
