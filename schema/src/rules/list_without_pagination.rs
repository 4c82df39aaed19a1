//! PB601: a list endpoint (records received) that declares no pagination,
//! so nobody can tell whether it reads every record or only the first page.

use super::{Context, PB601};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::{Direction, Endpoint};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        if !is_unpaged_list(endpoint) {
            continue;
        }
        let pointer = format!("/endpoints/{}/response/records", escape(key));
        reporter.report(
            Target::Key(&pointer),
            Finding::new(
                &PB601,
                format!(
                    "endpoint `{key}` reads a list of records but declares no pagination: it reads the first page only, if the API pages"
                ),
            )
            .fix("add `pagination = { type = \"none\" }` if the API returns every record at once; else declare how it pages (`cursor`, `offset`, `page_number`, `next_url`, `link_header`)"),
        );
    }
}

/// Whether an endpoint receives records and says nothing about pages. A
/// sending endpoint's records are the answer to what it sent, not a list.
fn is_unpaged_list(endpoint: &Endpoint) -> bool {
    let receives =
        endpoint.direction.unwrap_or_else(|| endpoint.default_direction()) == Direction::Receive;
    let lists = endpoint
        .response
        .as_ref()
        .is_some_and(|response| response.records.is_some());
    receives && lists && endpoint.pagination.is_none()
}

/// A key as a JSON pointer segment (RFC 6901).
fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    fn pb601(endpoint: &str) -> Vec<String> {
        let text = format!(
            "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n[auth.open]\ntype = \"none\"\n[endpoints.list]\nurl = \"https://api.example.com/items\"\n{endpoint}\n"
        );
        crate::lint(&SourceFile::new("x.toml", text))
            .diagnostics
            .into_iter()
            .filter(|d| d.code == "PB601")
            .map(|d| d.pointer)
            .collect()
    }

    #[test]
    fn a_received_list_without_pagination_is_reported_at_its_records() {
        assert_eq!(
            pb601(r#"response = { records = "/items" }"#),
            ["/endpoints/list/response/records"]
        );
        assert_eq!(
            pb601("method = \"POST\"\ndirection = \"receive\"\nresponse = { records = \"/items\" }"),
            ["/endpoints/list/response/records"]
        );
    }

    #[test]
    fn declared_pagination_sends_and_single_objects_are_not() {
        let quiet = [
            "response = { records = \"/items\" }\npagination = { type = \"none\" }",
            "response = { records = \"/items\" }\npagination = { type = \"next_url\", path = \"/next\" }",
            // The default direction of a POST is `send`.
            "method = \"POST\"\nresponse = { records = \"/items\" }",
            "direction = \"send\"\nresponse = { records = \"/items\" }",
            "response = { type = \"json\" }",
            "",
        ];
        for endpoint in quiet {
            assert_eq!(pb601(endpoint), Vec::<String>::new(), "{endpoint}");
        }
    }
}
