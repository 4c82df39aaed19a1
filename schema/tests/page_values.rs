//! The rules about `page` in templates (PB602–PB604, and PB102/PB105 for
//! the name `page`): what each accepts and refuses.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use patchbay_schema::{SourceFile, lint};

const HEAD: &str = r#"format = 1

[connector]
id = "t"
name = "T"
version = "1.0.0"

[auth.t]
type = "bearer"

[endpoints.items]
url = "https://api.example.com/items"
response = { records = "/items" }
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

fn codes(rest: &str) -> Vec<String> {
    findings(rest).into_iter().map(|(code, _)| code).collect()
}

#[test]
fn a_whole_cursor_entry_is_accepted_anywhere_it_can_be_left_out() {
    for place in [
        r#"query = { after = "{{ page.cursor }}" }"#,
        r#"headers = { X-After = "{{ page.cursor }}" }"#,
        "method = \"POST\"\nbody = { type = \"form\", content = { after = \"{{ page.cursor }}\" } }",
        "method = \"POST\"\nbody = { type = \"json\", content = { variables = { after = \"{{ page.cursor }}\" } } }",
    ] {
        let rest = format!("{place}\npagination = {{ type = \"cursor\", path = \"/next\" }}\n");
        assert_eq!(codes(&rest), Vec::<String>::new(), "{place}");
    }
}

#[test]
fn a_cursor_that_cannot_be_left_out_of_the_first_page_is_refused() {
    for place in [
        r#"url = "https://api.example.com/items/{{ page.cursor }}""#,
        "method = \"POST\"\nbody = { type = \"json\", content = { after = [\"{{ page.cursor }}\"] } }",
        "method = \"POST\"\nbody = { type = \"raw\", content = \"after={{ page.cursor }}\" }",
        r#"query = { after = "{{ page.cursor | upper }}" }"#,
    ] {
        // The URL replaces the endpoint's: a table key cannot be written twice.
        let text = if place.starts_with("url") {
            HEAD.replace("url = \"https://api.example.com/items\"", place)
        } else {
            format!("{HEAD}{place}\n")
        };
        let file = SourceFile::new(
            "t.toml",
            format!("{text}pagination = {{ type = \"cursor\", path = \"/next\" }}\n"),
        );
        let found: Vec<&str> = lint(&file).diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(found, ["PB604"], "{place}");
    }
}

#[test]
fn with_a_next_request_the_cursor_belongs_in_it_only() {
    let next = r#"
[endpoints.items.pagination]
type = "cursor"
path = "/next"

[endpoints.items.pagination.next]
url = "https://api.example.com/items/continue"
query = { cursor = "{{ page.cursor }}" }
"#;
    assert_eq!(codes(next), Vec::<String>::new());
    let also_first = format!("query = {{ cursor = \"{{{{ page.cursor }}}}\" }}\n{next}");
    assert_eq!(
        findings(&also_first),
        [(
            "PB604".to_owned(),
            "/endpoints/items/query/cursor".to_owned()
        )]
    );
}

#[test]
fn a_position_placed_by_param_and_a_template_is_placed_twice() {
    assert_eq!(
        findings(
            "query = { p = \"{{ page.number }}\" }\npagination = { type = \"page_number\", param = \"page\" }\n"
        ),
        [(
            "PB602".to_owned(),
            "/endpoints/items/pagination/param".to_owned()
        )]
    );
    // A position placed by `next` only is placed.
    assert_eq!(
        codes(
            "[endpoints.items.pagination]\ntype = \"offset\"\n[endpoints.items.pagination.next]\nquery = { from = \"{{ page.offset }}\" }\n"
        ),
        Vec::<String>::new()
    );
}

#[test]
fn page_values_follow_the_pagination_type() {
    // `page.size` needs a limit; link pages provide no value at all.
    assert_eq!(
        codes(
            "query = { n = \"{{ page.size }}\" }\npagination = { type = \"offset\", param = \"offset\" }\n"
        ),
        ["PB603"]
    );
    assert_eq!(
        codes(
            "query = { n = \"{{ page.size }}\" }\npagination = { type = \"offset\", param = \"offset\", limit = 10 }\n"
        ),
        Vec::<String>::new()
    );
    assert_eq!(
        codes("query = { n = \"{{ page.number }}\" }\npagination = { type = \"link_header\" }\n"),
        ["PB603"]
    );
    // A cursor where the type has none is reported once, as unknown.
    assert_eq!(
        codes(
            "query = { c = \"x{{ page.cursor }}\" }\npagination = { type = \"page_number\", param = \"page\" }\n"
        ),
        ["PB603"]
    );
}

#[test]
fn page_is_out_of_scope_without_pagination_and_reserved_with_it() {
    let unpaged =
        findings("query = { n = \"{{ page.number }}\" }\npagination = { type = \"none\" }\n");
    assert_eq!(
        unpaged,
        [("PB102".to_owned(), "/endpoints/items/query/n".to_owned())]
    );
    let file = SourceFile::new(
        "t.toml",
        format!(
            "{HEAD}query = {{ p = \"{{{{ page }}}}\", n = \"{{{{ page.number }}}}\" }}\npagination = {{ type = \"page_number\" }}\n[endpoints.items.variables.page]\ntype = \"string\"\n"
        ),
    );
    let codes: Vec<&str> = lint(&file).diagnostics.iter().map(|d| d.code).collect();
    assert!(codes.contains(&"PB105"), "{codes:?}");
}
