//! PB605: pagination fields that do not fit together — a cursor read from
//! both or neither of `path` and `last_record`, `last_record` without
//! `response.records`, an offset stepping by a `limit` it does not have, a
//! page-number `total` without the `limit` that turns pages into records,
//! a `limit_param` with no `limit` to send, and a `max` checkpoint (read
//! from records, like `last_record`) without `response.records`.

use super::{Context, PB605};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{Incremental, OffsetStep, Pagination};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (name, endpoint) in &context.spec.endpoints {
        let has_records = endpoint
            .response
            .as_ref()
            .is_some_and(|r| r.records.is_some());
        if let (Some(Incremental::Max { .. }), false) = (&endpoint.incremental, has_records) {
            let incremental = pointer_push(&pointer_push("/endpoints", name), "incremental");
            reporter.report(
                Target::Key(&pointer_push(&incremental, "field")),
                Finding::new(
                    &PB605,
                    format!("the `max` checkpoint of `{name}` is read from its records, but the endpoint declares no `response.records`"),
                )
                .fix("declare where the records are: `response = { records = \"/data\" }`, or keep a value of the response with `type = \"last_value\"`"),
            );
        }
        let Some(pagination) = &endpoint.pagination else {
            continue;
        };
        let table = pointer_push(&pointer_push("/endpoints", name), "pagination");
        let field = |key: &str| pointer_push(&table, key);
        let mut report = |target: Target<'_>, message: String, fix: &str| {
            reporter.report(target, Finding::new(&PB605, message).fix(fix));
        };
        match pagination {
            Pagination::Cursor {
                path: Some(_),
                last_record: Some(_),
                ..
            } => report(
                Target::Key(&field("last_record")),
                format!("the cursor of `{name}` is read from both `path` and `last_record`"),
                "keep one: `path` for a token in the response, `last_record` for a field of the page's last record",
            ),
            Pagination::Cursor {
                path: None,
                last_record: None,
                ..
            } => report(
                Target::Key(&table),
                format!("the cursor of `{name}` is read from nowhere"),
                "add `path = \"/next_cursor\"` (the token's place in the response) or `last_record = \"/id\"` (a field of the page's last record)",
            ),
            Pagination::Cursor {
                last_record: Some(_),
                ..
            } if endpoint
                .response
                .as_ref()
                .is_none_or(|r| r.records.is_none()) =>
            {
                report(
                    Target::Key(&field("last_record")),
                    format!("`last_record` of `{name}` needs records, but the endpoint declares no `response.records`"),
                    "declare where the records are: `response = { records = \"/data\" }`",
                )
            }
            Pagination::Offset {
                step: Some(OffsetStep::Limit),
                limit: None,
                ..
            } => report(
                Target::Value(&field("step")),
                format!("the offset of `{name}` steps by the page size, but no `limit` is set"),
                "add `limit = N` (the page size asked for), or remove `step`",
            ),
            Pagination::PageNumber {
                total: Some(_),
                limit: None,
                ..
            } => report(
                Target::Key(&field("total")),
                format!("`total` of `{name}` counts records, but numbered pages without a `limit` do not say how many records a page holds"),
                "add `limit = N` (the page size asked for), or use `more`/`done` if the API has one",
            ),
            _ => {}
        }
        if pagination.limit_param().is_some() && pagination.limit().is_none() {
            report(
                Target::Key(&field("limit_param")),
                format!("`limit_param` of `{name}` names where the page size goes, but no `limit` is set"),
                "add `limit = N` (or `limit = \"{{ page_size }}\"` with a bounded variable), or remove `limit_param`",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::source::SourceFile;

    /// `code pointer` of each diagnostic of an endpoint with this
    /// `response` and `pagination`.
    fn lint(response: &str, pagination: &str) -> Vec<String> {
        let text = format!(
            "format = 1\n[connector]\nid = \"a\"\nname = \"A\"\nversion = \"1.0.0\"\n[auth.k]\ntype = \"bearer\"\n[endpoints.items]\nurl = \"https://api.example.com/items\"\n{response}\npagination = {pagination}\n"
        );
        crate::lint(&SourceFile::new("t.toml", text))
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code, d.pointer))
            .collect()
    }

    const RECORDS: &str = "response = { records = \"/data\" }";

    #[test]
    fn a_cursor_needs_exactly_one_source() {
        assert_eq!(
            lint(RECORDS, "{ type = \"cursor\", param = \"c\" }"),
            ["PB605 /endpoints/items/pagination"]
        );
        assert_eq!(
            lint(RECORDS, "{ type = \"cursor\", param = \"c\", path = \"/n\", last_record = \"/id\", more = \"/m\" }"),
            ["PB605 /endpoints/items/pagination/last_record"]
        );
        assert!(lint(RECORDS, "{ type = \"cursor\", param = \"c\", path = \"/n\" }").is_empty());
    }

    #[test]
    fn last_record_needs_records() {
        assert_eq!(
            lint("", "{ type = \"cursor\", param = \"c\", last_record = \"/id\", more = \"/m\" }"),
            ["PB605 /endpoints/items/pagination/last_record"]
        );
    }

    #[test]
    fn counting_by_the_page_size_needs_one() {
        assert_eq!(
            lint(RECORDS, "{ type = \"offset\", param = \"o\", step = \"limit\" }"),
            ["PB605 /endpoints/items/pagination/step"]
        );
        assert_eq!(
            lint(RECORDS, "{ type = \"page_number\", param = \"p\", total = \"/total\" }"),
            ["PB605 /endpoints/items/pagination/total"]
        );
        assert!(
            lint(RECORDS, "{ type = \"page_number\", param = \"p\", total = \"/total\", limit = 50 }").is_empty()
        );
        assert!(
            lint(RECORDS, "{ type = \"cursor\", param = \"c\", path = \"/n\", total = \"/total\" }").is_empty(),
            "token types count records received"
        );
    }

    #[test]
    fn limit_param_needs_a_limit() {
        assert_eq!(
            lint(RECORDS, "{ type = \"offset\", param = \"o\", limit_param = \"limit\" }"),
            ["PB605 /endpoints/items/pagination/limit_param"]
        );
    }
}
