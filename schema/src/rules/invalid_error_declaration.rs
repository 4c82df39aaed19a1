//! PB608: an `[errors]` or `response.errors` declaration that cannot work
//! as written: codes to retry or renew a token for with no `code` path to
//! read them from, a code in both lists, an `equals` that is not a scalar,
//! or an empty `path`.

use super::{Context, PB608};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::{ApiErrors, ResponseErrors};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    if let Some(errors) = &context.spec.errors {
        check_declaration(errors, "/errors", reporter);
    }
    for (key, endpoint) in &context.spec.endpoints {
        if let Some(ResponseErrors::Declared(errors)) =
            endpoint.response.as_ref().and_then(|r| r.errors.as_ref())
        {
            let pointer = format!(
                "/endpoints/{}/response/errors",
                key.replace('~', "~0").replace('/', "~1")
            );
            check_declaration(errors, &pointer, reporter);
        }
    }
}

fn check_declaration(errors: &ApiErrors, pointer: &str, reporter: &mut Reporter<'_>) {
    let at = |field: &str| format!("{pointer}/{field}");
    if errors.path.is_empty() {
        reporter.report(
            Target::Value(&at("path")),
            Finding::new(&PB608, "`path` is empty: it would point at the whole answer, so every answer with a body would be a failure".to_owned())
                .fix("point at the value that shows failure, e.g. `path = \"/ok\"` with `equals = false`, or `path = \"/errors\"`"),
        );
    }
    if let Some(equals) = &errors.equals
        && !(equals.is_string() || equals.is_number() || equals.is_boolean())
    {
        reporter.report(
            Target::Value(&at("equals")),
            Finding::new(&PB608, "`equals` must be a string, number or boolean: the value at `path` is compared with it".to_owned())
                .fix("compare with a scalar (`equals = false`), or remove `equals` to treat any non-empty value at `path` as a failure"),
        );
    }
    if errors.code.is_none() {
        for list in ["retry", "reauth"] {
            let codes = if list == "retry" { &errors.retry } else { &errors.reauth };
            if !codes.is_empty() {
                reporter.report(
                    Target::Key(&at(list)),
                    Finding::new(&PB608, format!("`{list}` lists error codes, but the declaration has no `code` path to read an answer's code from, so none would ever match"))
                        .fix("add `code = \"/error\"` (the path of the API's error code)"),
                );
            }
        }
    }
    for (index, code) in errors.reauth.iter().enumerate() {
        if errors.retry.contains(code) {
            reporter.report(
                Target::Value(&at(&format!("reauth/{index}"))),
                Finding::new(&PB608, format!("the code `{code}` is listed under both `retry` and `reauth`; an answer can only be handled one way"))
                    .fix(format!("keep `{code}` in one list: `reauth` if it means the token is no longer valid, `retry` if waiting helps")),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    fn pb608(errors: &str) -> Vec<(String, String)> {
        let text = format!(
            "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n[auth.open]\ntype = \"none\"\n[endpoints.get]\nurl = \"https://api.example.com/x\"\n{errors}\n"
        );
        crate::lint(&SourceFile::new("x.toml", text))
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "PB608")
            .map(|d| (d.pointer, d.message))
            .collect()
    }

    #[test]
    fn a_sound_declaration_is_quiet() {
        let slack = "[errors]\npath = \"/ok\"\nequals = false\ncode = \"/error\"\nretry = [\"ratelimited\"]\nreauth = [\"invalid_auth\"]";
        assert_eq!(pb608(slack), []);
        let graphql = "[endpoints.get.response.errors]\npath = \"/errors\"";
        assert_eq!(pb608(graphql), []);
    }

    #[test]
    fn codes_without_a_code_path_are_reported_per_list() {
        let found = pb608("[errors]\npath = \"/ok\"\nretry = [\"ratelimited\"]\nreauth = [\"invalid_auth\"]");
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(pointers, ["/errors/retry", "/errors/reauth"]);
    }

    #[test]
    fn a_code_in_both_lists_a_table_to_compare_and_an_empty_path_are_reported() {
        let found = pb608(
            "[endpoints.get.response.errors]\npath = \"\"\nequals = { a = 1 }\ncode = \"/e\"\nretry = [\"busy\"]\nreauth = [\"expired\", \"busy\"]",
        );
        let pointers: Vec<&str> = found.iter().map(|(p, _)| p.as_str()).collect();
        assert_eq!(
            pointers,
            [
                "/endpoints/get/response/errors/path",
                "/endpoints/get/response/errors/equals",
                "/endpoints/get/response/errors/reauth/1"
            ]
        );
        assert!(found[2].1.contains("`busy`"), "{}", found[2].1);
    }

    /// Schema errors of an errors table name its own fields, not the
    /// template-or-`false` choice of entries.
    #[test]
    fn schema_errors_in_response_errors_name_the_tables_fields() {
        let messages = |endpoint: &str| -> Vec<(&'static str, String)> {
            let text = format!(
                "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n[auth.open]\ntype = \"none\"\n[endpoints.get]\nurl = \"https://api.example.com/x\"\n{endpoint}\n"
            );
            crate::lint(&SourceFile::new("x.toml", text))
                .diagnostics
                .into_iter()
                .map(|d| (d.code, d.message))
                .collect()
        };
        assert_eq!(
            messages("response = { errors = { path = \"/errors\", retyr = [\"x\"] } }"),
            [(
                "PB003",
                "unknown field `retyr` in `endpoints.get.response.errors`".to_owned()
            )]
        );
        assert_eq!(
            messages("response = { errors = true }"),
            [(
                "PB002",
                "`endpoints.get.response.errors` must be a table, or `false` to turn it off; found `true`".to_owned()
            )]
        );
    }

    #[test]
    fn errors_turned_off_are_not_checked() {
        assert_eq!(pb608("response = { errors = false }"), []);
    }
}
