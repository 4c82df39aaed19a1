//! PB741: an endpoint of an `oauth1` method writes an `oauth_…` protocol
//! parameter itself.

use indexmap::IndexMap;

use super::{Context, PB741};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{AuthMethod, Body, Entry, RequestOverride};
use crate::usage::is_enabled;

/// The prefix of every OAuth 1.0a protocol parameter (RFC 5849 §3.1).
const PROTOCOL_PREFIX: &str = "oauth_";

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let spec = context.spec;
    let signing: Vec<&str> = spec
        .auth
        .iter()
        .filter(|(_, method)| matches!(method, AuthMethod::OAuth1(_)))
        .map(|(key, _)| key.as_str())
        .collect();
    if signing.is_empty() {
        return;
    }
    let mut report = |pointer: String, name: &str, key: &str| {
        reporter.report(
            Target::Key(&pointer),
            Finding::new(
                &PB741,
                format!("`{name}` is an OAuth 1.0a protocol parameter, which auth method `{key}` sends itself in the `Authorization` header: sent here too, it appears twice and the server refuses the request (RFC 5849 §3.1)"),
            )
            .fix(format!("remove `{name}`: the `oauth1` method adds the consumer key, token, nonce, timestamp, signature method and signature to every request")),
        );
    };
    if let Some(request) = &spec.request
        && let Some(key) = signing.iter().find(|key| {
            spec.endpoints.values().any(|endpoint| is_enabled(endpoint, key))
        })
    {
        for name in request.query.keys().filter(|n| n.starts_with(PROTOCOL_PREFIX)) {
            report(pointer_push("/request/query", name), name, key);
        }
    }
    for (endpoint_name, endpoint) in &spec.endpoints {
        let Some(key) = signing.iter().find(|key| is_enabled(endpoint, key)) else {
            continue;
        };
        let base = pointer_push("/endpoints", endpoint_name);
        let mut tables: Vec<(String, &IndexMap<String, Entry>)> = vec![(pointer_push(&base, "query"), &endpoint.query)];
        if let Some(Body::Form { content }) = &endpoint.body {
            tables.push((pointer_push(&pointer_push(&base, "body"), "content"), content));
        }
        let overrides: [(&str, Option<&RequestOverride>); 2] = [
            ("pagination/next", endpoint.pagination.as_ref().and_then(|p| p.next())),
            ("incremental/resume", endpoint.incremental.as_ref().and_then(|i| i.resume())),
        ];
        for (path, over) in overrides {
            let Some(over) = over else { continue };
            let at = path.split('/').fold(base.clone(), |p, s| pointer_push(&p, s));
            if let Some(query) = &over.query {
                tables.push((pointer_push(&at, "query"), query));
            }
            if let Some(Body::Form { content }) = &over.body {
                tables.push((pointer_push(&pointer_push(&at, "body"), "content"), content));
            }
        }
        for (table, entries) in tables {
            for name in entries.keys().filter(|n| n.starts_with(PROTOCOL_PREFIX)) {
                report(pointer_push(&table, name), name, key);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    fn pb741(auth: &str, endpoint: &str) -> Vec<String> {
        let text = format!(
            "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n[auth.m]\n{auth}\n[endpoints.a]\nurl = \"https://api.example.com/a\"\n{endpoint}\n"
        );
        crate::lint(&SourceFile::new("x.toml", text))
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "PB741")
            .map(|d| d.pointer)
            .collect()
    }

    const OAUTH1: &str = "type = \"oauth1\"\nsignature_method = \"HMAC-SHA256\"";

    #[test]
    fn protocol_parameters_written_by_hand_are_errors() {
        assert_eq!(
            pb741(OAUTH1, "query = { oauth_nonce = \"x\", q = \"1\" }"),
            ["/endpoints/a/query/oauth_nonce"]
        );
        assert_eq!(
            pb741(
                OAUTH1,
                "method = \"POST\"\nbody = { type = \"form\", content = { oauth_token = \"t\" } }"
            ),
            ["/endpoints/a/body/content/oauth_token"]
        );
    }

    #[test]
    fn other_methods_and_names_are_quiet() {
        assert!(pb741("type = \"bearer\"", "query = { oauth_nonce = \"x\" }").is_empty());
        assert!(pb741(OAUTH1, "query = { oauth = \"x\", token_oauth_x = \"y\" }").is_empty());
    }
}
