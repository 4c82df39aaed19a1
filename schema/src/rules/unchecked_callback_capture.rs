//! PB722: a value captured from the authorization callback reaches an
//! auth request (token, refresh, revocation) without an allow-list
//! pattern, or with a pattern that is not a valid regular expression.

use std::collections::HashSet;

use super::{Context, PB722};
use crate::analysis::Owner;
use crate::catalog::AuthPart;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::pattern::compile_pattern;
use crate::template::expressions;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        for (name, capture) in method.authorize_captures().into_iter().flatten() {
            if let Some(pattern) = capture.pattern()
                && let Err(message) = compile_pattern(pattern)
            {
                let pointer = pointer_push(
                    &pointer_push(
                        &pointer_push(&pointer_push("/auth", key), "authorize_response"),
                        "capture",
                    ),
                    name,
                );
                reporter.report(
                    Target::Value(&pointer_push(&pointer, "pattern")),
                    Finding::new(
                        &PB722,
                        format!("the allow-list `pattern` of `{name}` is not a valid regular expression: {message}"),
                    )
                    .fix("write a Rust `regex` that matches the whole value, e.g. `^https://accounts\\\\.example\\\\.(com|eu)$`"),
                );
            }
        }
    }
    let analysis = &context.analysis;
    let mut reported = HashSet::new();
    for site in &analysis.sites {
        for &scope in &site.scopes {
            let Owner::Auth { method, part } = analysis.scopes[scope].owner else {
                continue;
            };
            if matches!(part, AuthPart::Apply | AuthPart::Authorize) {
                continue;
            }
            let Some(captures) = context
                .spec
                .auth
                .get(method)
                .and_then(|m| m.authorize_captures())
            else {
                continue;
            };
            for expression in expressions(site.text) {
                for name in expression.names() {
                    let Some(capture) = captures.get(name.as_str()) else {
                        continue;
                    };
                    if capture.pattern().is_some()
                        || !reported.insert((site.pointer.clone(), expression.range.start))
                    {
                        continue;
                    }
                    let finding = Finding::new(
                        &PB722,
                        format!(
                            "`{name}` comes from the authorization callback (`{}`) and is used in the {} of auth method `{method}` without an allow-list `pattern`: a forged callback could send the code and the client secret anywhere",
                            capture.param(),
                            part.describe()
                        ),
                    )
                    .fix(format!(
                        "declare the values the provider sends: `{name} = {{ param = \"{}\", pattern = \"^https://accounts\\\\.example\\\\.(com|eu)$\" }}`",
                        capture.param()
                    ));
                    context.report_in_template(
                        reporter,
                        &site.pointer,
                        Some(expression.range.clone()),
                        finding,
                    );
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    fn pb722(capture: &str, token_url: &str) -> Vec<(String, String)> {
        let text = format!(
            "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n\
             [auth.oauth]\ntype = \"oauth2_authorization_code\"\n\
             authorize_url = \"https://accounts.example.com/auth\"\ntoken_url = \"{token_url}\"\n\
             [auth.oauth.authorize_response.capture]\n{capture}\n\
             [endpoints.me]\nurl = \"https://api.example.com/me\"\n"
        );
        crate::lint(&SourceFile::new("x.toml", text))
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "PB722")
            .map(|d| (d.pointer, d.message))
            .collect()
    }

    #[test]
    fn a_pattern_allows_a_callback_value_in_the_token_and_refresh_requests() {
        let checked = r#"server = { param = "accounts-server", pattern = "^https://accounts\\.example\\.(com|eu)$" }"#;
        assert!(pb722(checked, "{{ server }}/token").is_empty());
    }

    #[test]
    fn a_bare_capture_in_the_token_url_is_reported_once() {
        // token_url serves the token and the refresh request alike.
        let found = pb722(r#"server = "accounts-server""#, "{{ server }}/token");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "/auth/oauth/token_url");
    }

    #[test]
    fn an_invalid_pattern_is_reported_at_the_pattern() {
        let found = pb722(
            r#"server = { param = "accounts-server", pattern = "^(https://" }"#,
            "{{ server }}/token",
        );
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(
            found[0].0,
            "/auth/oauth/authorize_response/capture/server/pattern"
        );
    }

    #[test]
    fn a_bare_capture_that_only_endpoints_use_is_fine() {
        let found = pb722(
            r#"realm_id = "realmId""#,
            "https://accounts.example.com/token",
        );
        assert!(found.is_empty(), "{found:?}");
    }
}
