//! PB207: a variable named like a credential that is not `secret`.

use super::{Context, PB207};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::VariableType;

/// Words in a name that say it holds a credential.
const CREDENTIAL_WORDS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "api_key",
    "apikey",
    "private_key",
];

/// Endings of names that are about a credential without being one
/// (`token_url`, `client_id`, `token_type`).
const NOT_CREDENTIAL_ENDINGS: &[&str] = &["_url", "_uri", "_id", "_type", "_name", "_hint"];

fn looks_like_credential(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    CREDENTIAL_WORDS.iter().any(|w| name.contains(w))
        && !NOT_CREDENTIAL_ENDINGS.iter().any(|e| name.ends_with(e))
}

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.variables {
        // Built-in secrets changed by an override are PB206's.
        let explicitly_typed = site.variable.kind.is_some();
        if site.kind == VariableType::Secret || !looks_like_credential(site.name) {
            continue;
        }
        if explicitly_typed && site.pointer.starts_with("/auth/") && is_builtin_secret(site.name) {
            continue;
        }
        reporter.report(
            Target::Key(&site.pointer),
            Finding::new(
                &PB207,
                format!("`{}` looks like a credential but is a `{}` variable: it would be shown in dry runs, logs and errors", site.name, site.kind.as_str()),
            )
            .fix("set `type = \"secret\"` (or rename it if it is not a credential)"),
        );
    }
}

fn is_builtin_secret(name: &str) -> bool {
    matches!(name, "client_secret" | "password" | "api_key" | "token")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credential_names() {
        for name in [
            "password",
            "refresh_token",
            "shared_secret",
            "ApiKey",
            "private_key",
        ] {
            assert!(looks_like_credential(name), "{name}");
        }
        for name in [
            "token_url",
            "client_id",
            "token_type",
            "username",
            "page_size",
            "secret_name",
        ] {
            assert!(!looks_like_credential(name), "{name}");
        }
    }
}
