//! Lint of `incremental` and `checkpoint`: where `checkpoint` is in scope,
//! where it may stand without `initial`, and the checks of PB609–PB612 and
//! of a literal `initial` (PB203), and `resume`.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use patchbay_schema::{SourceFile, lint};

/// The codes and pointers of the findings on a spec whose endpoint
/// `items` has `rest`.
fn findings(rest: &str) -> Vec<(String, String)> {
    // A list declares its pagination (PB601); `none` unless `rest` does.
    let pagination = if rest.contains("pagination") {
        ""
    } else {
        "pagination = { type = \"none\" }"
    };
    // Records are declared unless `rest` declares its own response.
    let response = if rest.contains("response =") {
        ""
    } else {
        r#"response = { records = "/data" }"#
    };
    let text = format!(
        r#"format = 1

[connector]
id = "t"
name = "T"
version = "1.0.0"

[auth.t]
type = "bearer"

[endpoints.items]
url = "https://api.example.com/items"
{response}
{pagination}
{rest}
"#
    );
    lint(&SourceFile::new("t.toml", text))
        .diagnostics
        .into_iter()
        .map(|d| (d.code.to_owned(), d.pointer))
        .collect()
}

fn codes(rest: &str) -> Vec<String> {
    findings(rest).into_iter().map(|(code, _)| code).collect()
}

const MAX: &str =
    r#"incremental = { type = "max", field = "/updated_at", field_type = "timestamp" }"#;

#[test]
fn a_whole_entry_needs_no_initial() {
    for place in [
        r#"query = { since = "{{ checkpoint }}" }"#,
        r#"headers = { X-Since = "{{ checkpoint }}" }"#,
        r#"method = "POST"
body = { type = "form", content = { since = "{{ checkpoint }}" } }"#,
        r#"method = "POST"
body = { type = "json", content = { filter = { since = "{{ checkpoint }}" } } }"#,
    ] {
        assert_eq!(
            codes(&format!("{place}\n{MAX}")),
            Vec::<String>::new(),
            "{place}"
        );
    }
}

#[test]
fn anywhere_else_without_initial_is_pb612() {
    for place in [
        r#"query = { q = "updated>{{ checkpoint }}" }"#,
        r#"query = { since = "{{ checkpoint | lower }}" }"#,
        r#"method = "POST"
body = { type = "json", content = { since = ["{{ checkpoint }}"] } }"#,
        r#"method = "POST"
body = { type = "raw", content = "{{ checkpoint }}" }"#,
    ] {
        assert_eq!(codes(&format!("{place}\n{MAX}")), ["PB612"], "{place}");
        let with_initial = MAX.replace(" }", r#", initial = "2020-01-01T00:00:00Z" }"#);
        assert_eq!(
            codes(&format!("{place}\n{with_initial}")),
            Vec::<String>::new(),
            "{place}"
        );
    }
    // `initial` cannot be made of the value it starts.
    let circular = MAX.replace(" }", r#", initial = "{{ checkpoint }}" }"#);
    let found = findings(&format!(
        "query = {{ since = \"{{{{ checkpoint }}}}\" }}\n{circular}"
    ));
    assert_eq!(
        found,
        [(
            "PB612".to_owned(),
            "/endpoints/items/incremental/initial".to_owned()
        )]
    );
}

#[test]
fn checkpoint_is_in_scope_only_with_incremental_and_reserved_there() {
    assert_eq!(
        codes(r#"query = { since = "{{ checkpoint }}" }"#),
        ["PB102"]
    );
    let conflict = format!(
        "query = {{ since = \"{{{{ checkpoint }}}}\" }}\n{MAX}\n\n[endpoints.items.variables.checkpoint]\ntype = \"string\"\n"
    );
    assert_eq!(codes(&conflict), ["PB105"]);
}

#[test]
fn a_variable_used_only_by_initial_is_used() {
    let rest = format!(
        "query = {{ since = \"{{{{ checkpoint }}}}\" }}\n{}\n\n[endpoints.items.variables.start]\ntype = \"string\"\ndefault = \"2020-01-01T00:00:00Z\"\n",
        MAX.replace(" }", r#", initial = "{{ start }}" }"#)
    );
    assert_eq!(codes(&rest), Vec::<String>::new());
}

#[test]
fn a_literal_initial_must_be_of_the_field_type() {
    let pb203 = |field_type: &str, initial: &str| {
        let rest = format!(
            "query = {{ since = \"{{{{ checkpoint }}}}\" }}\nincremental = {{ type = \"max\", field = \"/v\", field_type = \"{field_type}\", initial = \"{initial}\" }}"
        );
        codes(&rest) == ["PB203"]
    };
    assert!(pb203("timestamp", "2020-01-01"));
    assert!(pb203("timestamp", "1577836800"));
    assert!(!pb203("timestamp", "2020-01-01T00:00:00+01:00"));
    assert!(pb203("integer", "1.5"));
    assert!(pb203("integer", "soon"));
    assert!(!pb203("integer", "0"));
    assert!(!pb203("number", "1.5"));
    assert!(!pb203("string", "anything"));
}

#[test]
fn the_warnings_and_pb609_fire_where_they_should() {
    assert_eq!(codes(MAX), ["PB609"]);
    let used = r#"query = { since = "{{ checkpoint }}" }"#;
    let exclusive = MAX.replace(" }", r#", boundary = "exclusive" }"#);
    assert_eq!(codes(&format!("{used}\n{exclusive}")), ["PB610"]);
    let integer_exclusive = exclusive.replace("timestamp", "integer");
    assert_eq!(
        codes(&format!("{used}\n{integer_exclusive}")),
        Vec::<String>::new()
    );
    let capped = r#"pagination = { type = "next_url", path = "/next", max_pages = 3 }"#;
    assert_eq!(codes(&format!("{used}\n{capped}\n{MAX}")), ["PB611"]);
    assert_eq!(
        codes(&format!(
            "{used}\n{}",
            capped.replace(", max_pages = 3", "")
        )),
        ["PB102"]
    );
}

const LAST_VALUE: &str = r#"incremental = { type = "last_value", path = "/cursor" }"#;

/// `resume` with this query, on an endpoint that sends `query`.
fn resume(query: &str, resume_query: &str) -> String {
    format!(
        "query = {{ {query} }}\n{}",
        LAST_VALUE.replace(
            " }",
            &format!(", resume = {{ query = {{ {resume_query} }} }} }}")
        )
    )
}

#[test]
fn checkpoint_always_has_a_value_in_resume() {
    // Not a whole entry and no `initial`: PB612 in the first request, but
    // `resume` is sent only when a checkpoint exists.
    assert_eq!(
        codes(&resume(r#"since = "0""#, r#"q = "after:{{ checkpoint }}""#)),
        Vec::<String>::new()
    );
    assert_eq!(
        findings(&resume(
            r#"q = "after:{{ checkpoint }}""#,
            r#"q = "{{ checkpoint }}""#
        )),
        [("PB612".to_owned(), "/endpoints/items/query/q".to_owned())]
    );
}

#[test]
fn a_checkpoint_sent_only_by_resume_is_sent() {
    assert_eq!(codes(LAST_VALUE), ["PB609"]);
    assert_eq!(
        codes(&resume(r#"since = "0""#, r#"cursor = "{{ checkpoint }}""#)),
        Vec::<String>::new()
    );
}

#[test]
fn resume_templates_are_linted_and_count_as_uses() {
    assert_eq!(
        findings(&resume(
            r#"since = "{{ checkpoint }}""#,
            r#"cursor = "{{ checkpoint }}", limit = "{{ nowhere }}""#
        )),
        [(
            "PB102".to_owned(),
            "/endpoints/items/incremental/resume/query/limit".to_owned()
        )]
    );
    let rest = format!(
        "{}\n\n[endpoints.items.variables.size]\ntype = \"string\"\ndefault = \"50\"\n",
        resume(
            r#"since = "{{ checkpoint }}""#,
            r#"cursor = "{{ checkpoint }}", limit = "{{ size }}""#
        )
    );
    assert_eq!(codes(&rest), Vec::<String>::new(), "PB106 sees `resume`");
}

#[test]
fn a_max_checkpoint_needs_records() {
    let used = r#"query = { since = "{{ checkpoint }}" }"#;
    assert_eq!(
        findings(&format!("{used}\nresponse = {{ type = \"json\" }}\n{MAX}")),
        [(
            "PB605".to_owned(),
            "/endpoints/items/incremental/field".to_owned()
        )]
    );
    assert_eq!(
        codes(&format!(
            "{used}\nresponse = {{ type = \"json\" }}\n{LAST_VALUE}"
        )),
        Vec::<String>::new(),
        "a last value is read from the response, not from records"
    );
}

#[test]
fn page_cursor_has_no_value_in_resume_either() {
    let rest = format!(
        "query = {{ since = \"{{{{ checkpoint }}}}\" }}\npagination = {{ type = \"cursor\", path = \"/n\" }}\n{}",
        LAST_VALUE.replace(
            " }",
            r#", resume = { query = { q = "after:{{ page.cursor }}" } } }"#
        )
    );
    assert_eq!(
        findings(&rest),
        [(
            "PB604".to_owned(),
            "/endpoints/items/incremental/resume/query/q".to_owned()
        )]
    );
}
