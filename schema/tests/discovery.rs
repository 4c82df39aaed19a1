//! Scopes of discovered values (`discover.capture`): in scope in endpoint
//! requests and the applied credential of their method, nowhere before the
//! discovery has run; clashes with variables (PB105); PB730 and PB731.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use patchbay_schema::{SourceFile, lint};

const HEAD: &str = r#"format = 1

[connector]
id = "t"
name = "T"
version = "1.0.0"
"#;

/// The codes and pointers of every diagnostic of `HEAD` + `rest`.
fn findings(rest: &str) -> Vec<(String, String)> {
    let file = SourceFile::new("t.toml", format!("{HEAD}{rest}"));
    lint(&file)
        .diagnostics
        .into_iter()
        .map(|d| (d.code.to_owned(), d.pointer))
        .collect()
}

const METHOD: &str = r#"
[auth.o]
type = "oauth2_authorization_code"
authorize_url = "https://a.example/authorize"
token_url = "https://a.example/token"

[auth.o.discover]
url = "https://a.example/me"
capture = { tenant = "id" }
"#;

#[test]
fn a_discovered_value_is_in_scope_in_endpoints_and_the_applied_credential() {
    let method = METHOD.replace(
        "\n[auth.o.discover]",
        "apply = { headers = { Authorization = \"Bearer {{ access_token }}\", X-Tenant = \"{{ tenant }}\" } }\n\n[auth.o.discover]",
    );
    let rest =
        format!("{method}\n[endpoints.e]\nurl = \"https://a.example/{{{{ tenant }}}}/items\"\n");
    assert_eq!(findings(&rest), vec![]);
}

#[test]
fn a_discovered_value_is_out_of_scope_before_the_discovery_runs() {
    for (field, pointer) in [
        (
            "token_url = \"https://a.example/token/{{ tenant }}\"",
            "/auth/o/token_url",
        ),
        (
            "authorize_url = \"https://a.example/authorize/{{ tenant }}\"",
            "/auth/o/authorize_url",
        ),
    ] {
        let key = field.split(' ').next().unwrap();
        let method = METHOD
            .lines()
            .map(|line| if line.starts_with(key) { field } else { line })
            .collect::<Vec<_>>()
            .join("\n");
        let rest =
            format!("{method}\n[endpoints.e]\nurl = \"https://a.example/{{{{ tenant }}}}\"\n");
        // `token_url` is also the refresh request's: one finding each.
        let mut found = findings(&rest);
        found.dedup();
        assert_eq!(
            found,
            vec![("PB102".to_owned(), pointer.to_owned())],
            "{field}"
        );
    }
    let own = METHOD.replace(
        "url = \"https://a.example/me\"",
        "url = \"https://a.example/me/{{ tenant }}\"",
    );
    let rest = format!("{own}\n[endpoints.e]\nurl = \"https://a.example/{{{{ tenant }}}}\"\n");
    assert_eq!(
        findings(&rest),
        vec![("PB102".to_owned(), "/auth/o/discover/url".to_owned())]
    );
}

#[test]
fn a_discovered_name_that_is_also_a_variable_conflicts() {
    let rest = format!(
        "[variables.tenant]\n{METHOD}\n[endpoints.e]\nurl = \"https://a.example/{{{{ tenant }}}}\"\n"
    );
    let codes: Vec<String> = findings(&rest).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["PB105"]);
}

#[test]
fn an_unused_discovery_and_an_unmatched_first_are_reported() {
    let rest = format!(
        "{}\n[endpoints.e]\nurl = \"https://a.example/items\"\n",
        METHOD.replace("capture =", "select = \"first\"\ncapture =")
    );
    assert_eq!(
        findings(&rest),
        vec![
            ("PB730".to_owned(), "/auth/o/discover/select".to_owned()),
            (
                "PB731".to_owned(),
                "/auth/o/discover/capture/tenant".to_owned()
            ),
        ]
    );
}

#[test]
fn discovery_belongs_to_methods_with_tokens() {
    let rest = "[auth.k]\ntype = \"bearer\"\n\n[auth.k.discover]\nurl = \"https://a.example/me\"\ncapture = { tenant = \"id\" }\n";
    let codes: Vec<String> = findings(rest).into_iter().map(|(c, _)| c).collect();
    assert_eq!(codes, ["PB003"]);
}
