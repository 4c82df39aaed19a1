//! PB303: a secret templated into a URL query.

use super::{Context, PB303};
use crate::analysis::{Field, Owner, Scope};
use crate::catalog::AuthPart;
use crate::diagnostic::{Finding, Reporter};
use crate::model::{ApiKeyLocation, AuthMethod};
use crate::template::expressions;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let analysis = &context.analysis;
    for site in &analysis.sites {
        let expressions = match site.field {
            Field::Query => expressions(site.text),
            // Only the query part of a URL.
            Field::Url => match site.text.find('?') {
                Some(query_start) => expressions(site.text)
                    .into_iter()
                    .filter(|e| e.range.start > query_start)
                    .collect(),
                None => continue,
            },
            Field::Header | Field::Body | Field::PageSize | Field::Checkpoint | Field::Match => {
                continue;
            }
        };
        for expression in expressions {
            let secret = expression.names().into_iter().find(|name| {
                site.scopes.iter().any(|&s| {
                    let scope = &analysis.scopes[s];
                    scope.find(name).is_some_and(|d| d.is_secret())
                        && !demanded_in_query(context, scope, name)
                        && !revoked_in_query(scope, name)
                })
            });
            let Some(name) = secret else { continue };
            let finding = Finding::new(&PB303, format!("secret `{name}` is sent in a URL query, and URLs get logged"))
                .fix("send it in a header or the body if the API allows; if the API demands a query key, use an `api_key` method with `in = \"query\"`");
            context.report_in_template(reporter, &site.pointer, Some(expression.range), finding);
        }
    }
}

/// The token a revocation request revokes (Zoho's `/oauth/v2/token/revoke?
/// token=…`): that request ends its life, so a log of it holds a dead
/// credential, and patchbay masks it in everything it writes.
fn revoked_in_query(scope: &Scope<'_>, name: &str) -> bool {
    matches!(
        scope.owner,
        Owner::Auth {
            part: AuthPart::Revoke,
            ..
        }
    ) && matches!(name, "token" | "refresh_token" | "access_token")
}

/// `api_key` of an `api_key` method with `in = "query"`: the API demands it.
fn demanded_in_query(context: &Context<'_>, scope: &Scope<'_>, name: &str) -> bool {
    let method = match scope.owner {
        Owner::Auth { method, .. }
        | Owner::Endpoint {
            method: Some(method),
            ..
        } => context.spec.auth.get(method),
        Owner::Endpoint { method: None, .. } => None,
    };
    name == "api_key"
        && matches!(method, Some(AuthMethod::ApiKey(m)) if m.location == Some(ApiKeyLocation::Query))
}
