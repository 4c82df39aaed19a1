//! PB702: a connector-wide `[request]` entry named like the credential an
//! auth method applies.

use super::{Context, PB702};
use crate::catalog::{self, AuthPart, EntryPlace};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let spec = context.spec;
    let Some(request) = &spec.request else {
        return;
    };
    for (place, table, shared) in [
        (EntryPlace::Query, "query", &request.query),
        (EntryPlace::Header, "headers", &request.headers),
    ] {
        for name in shared.keys() {
            let clash = spec.auth.iter().find(|(_, method)| {
                let applied: Vec<(EntryPlace, String)> = match method.apply() {
                    Some(apply) => apply
                        .headers
                        .keys()
                        .map(|n| (EntryPlace::Header, n.clone()))
                        .chain(apply.query.keys().map(|n| (EntryPlace::Query, n.clone())))
                        .collect(),
                    None => catalog::default_entries(method, AuthPart::Apply)
                        .into_iter()
                        .map(|e| (e.place, e.name))
                        .collect(),
                };
                applied
                    .iter()
                    .any(|(p, n)| *p == place && place.same_name(n, name))
            });
            let Some((key, _)) = clash else {
                continue;
            };
            reporter.report(
                Target::Key(&pointer_push(&pointer_push("/request", table), name)),
                Finding::new(
                    &PB702,
                    format!("the connector-wide `{name}` is where auth method `{key}` puts its credential: one of the two values would be lost on every endpoint request"),
                )
                .fix(format!("remove `{name}` from `[request]`; to change how the credential is sent, write the method's `apply` (or `in`/`name`/`prefix`)")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    fn pb702(shared: &str, auth: &str) -> Vec<String> {
        let text = format!(
            "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n[request]\n{shared}\n[auth.m]\n{auth}\n[endpoints.a]\nurl = \"https://api.example.com/a\"\n"
        );
        crate::lint(&SourceFile::new("x.toml", text))
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "PB702")
            .map(|d| d.pointer)
            .collect()
    }

    #[test]
    fn an_entry_named_like_an_applied_credential_is_an_error() {
        assert_eq!(
            pb702("headers = { authorization = \"x\" }", "type = \"bearer\""),
            ["/request/headers/authorization"]
        );
        assert_eq!(
            pb702(
                "query = { api_key = \"x\" }",
                "type = \"api_key\"\nin = \"query\"\nname = \"api_key\""
            ),
            ["/request/query/api_key"]
        );
        assert_eq!(
            pb702(
                "headers = { X-Token = \"x\" }",
                "type = \"bearer\"\napply = { headers = { X-Token = \"{{ token }}\" } }"
            ),
            ["/request/headers/X-Token"]
        );
    }

    #[test]
    fn other_names_and_places_are_quiet() {
        // A query parameter named like a header credential is another entry.
        assert!(pb702("query = { Authorization = \"x\" }", "type = \"bearer\"").is_empty());
        assert!(pb702("headers = { Accept = \"x\" }", "type = \"bearer\"").is_empty());
        assert!(pb702("headers = { Authorization = \"x\" }", "type = \"none\"").is_empty());
    }
}
