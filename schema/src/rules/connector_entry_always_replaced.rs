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

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    /// The codes and pointers of a spec with `[request]` = `shared` and
    /// two endpoints with these extra lines.
    fn lint(shared: &str, first: &str, second: &str) -> Vec<(String, String)> {
        let text = format!(
            "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n[variables.tenant]\n[request]\n{shared}\n[auth.key]\ntype = \"api_key\"\nname = \"X-Key\"\n[endpoints.a]\nurl = \"https://api.example.com/a\"\n{first}\n[endpoints.b]\nurl = \"https://api.example.com/b\"\n{second}\n"
        );
        crate::lint(&SourceFile::new("x.toml", text))
            .diagnostics
            .into_iter()
            // `tenant` is there for the templates that use it.
            .filter(|d| d.code != "PB106" || shared.contains("tenant"))
            .map(|d| (d.code.to_owned(), d.pointer))
            .collect()
    }

    #[test]
    fn an_entry_every_endpoint_replaces_or_removes_is_reported() {
        assert_eq!(
            lint(
                "headers = { Api-Version = \"2\" }",
                "headers = { api-version = \"3\" }",
                "headers = { API-VERSION = false }",
            ),
            [("PB701".to_owned(), "/request/headers/Api-Version".to_owned())]
        );
        assert_eq!(
            lint("query = { v = \"2\" }", "query = { v = \"3\" }", "query = { v = \"4\" }"),
            [("PB701".to_owned(), "/request/query/v".to_owned())]
        );
    }

    #[test]
    fn an_entry_some_endpoint_keeps_is_quiet_and_false_needs_a_shared_entry() {
        // One endpoint keeps it; the other's `false` removes a real default
        // (no PB402).
        assert_eq!(
            lint(
                "headers = { Api-Version = \"2\" }",
                "",
                "headers = { api-version = false }"
            ),
            []
        );
        // `false` for a name `[request]` does not have is still PB402.
        assert_eq!(
            lint(
                "headers = { Api-Version = \"2\" }",
                "",
                "headers = { Other = false }"
            ),
            [(
                "PB402".to_owned(),
                "/endpoints/b/headers/Other".to_owned()
            )]
        );
    }

    #[test]
    fn connector_wide_templates_are_checked_like_endpoint_templates() {
        // A known connector variable is used (no PB106); a misspelt one is
        // PB102 in each endpoint request.
        assert_eq!(lint("headers = { X-Tenant = \"{{ tenant }}\" }", "", ""), []);
        let found = lint("headers = { X-Tenant = \"{{ tenant_id }}\" }", "", "");
        assert!(
            found
                .iter()
                .any(|(code, pointer)| code == "PB102" && pointer == "/request/headers/X-Tenant"),
            "{found:?}"
        );
    }
}
