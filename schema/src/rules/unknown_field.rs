//! PB003: a key the format does not define. [`crate::validate`] reports
//! it with the [`fix`] made here.

use crate::diagnostic::suggest;

/// Keys that belong elsewhere: (misplaced key, where the pointer ends,
/// advice).
const MISPLACED: &[(&str, &str, &str)] = &[
    (
        "token_url",
        "",
        "a `token_request` method writes its login URL as `url` inside its `token_request` table; `token_url` belongs to OAuth methods",
    ),
    (
        "url",
        "token_request",
        "OAuth methods take `token_url` at the method level; `url` inside `token_request` is only for `type = \"token_request\"` methods",
    ),
    (
        "headers",
        "authorize_request",
        "the authorize request is a browser redirect: it has only a `query`",
    ),
    (
        "body",
        "authorize_request",
        "the authorize request is a browser redirect: it has only a `query`",
    ),
];

/// How to fix an unknown key: the likely intended field, or where it
/// belongs, or the list of fields allowed here.
pub(crate) fn fix(key: &str, parent_pointer: &str, allowed: &[&str]) -> String {
    if let Some(fix) = suggest(key, allowed.iter().copied()) {
        return fix;
    }
    let parent = parent_pointer.rsplit('/').next().unwrap_or_default();
    let misplaced = MISPLACED.iter().find(|(misplaced_key, in_table, _)| {
        *misplaced_key == key && (in_table.is_empty() || *in_table == parent)
    });
    if let Some((_, _, advice)) = misplaced {
        return (*advice).to_owned();
    }
    if allowed.is_empty() {
        "remove it".to_owned()
    } else {
        let listed: Vec<String> = allowed.iter().map(|a| format!("`{a}`")).collect();
        format!(
            "remove it; the fields allowed here are {}",
            listed.join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_closest_field_first() {
        assert_eq!(
            fix("token_ulr", "/auth/x", &["token_url", "label"]),
            "did you mean `token_url`?"
        );
        assert!(fix("token_url", "/auth/x", &["token_request", "label"]).contains("`url`"));
        assert!(fix("zzz", "/auth/x", &["label"]).contains("`label`"));
    }
}
