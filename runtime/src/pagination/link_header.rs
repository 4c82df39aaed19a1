//! `Link` headers (RFC 8288): each page's response links to the next with
//! a relation, `next` unless the plan says otherwise.

use super::{Fetched, Kind, Position};
use crate::request::HttpRequest;

/// The target of the `Link` with relation `rel`; none ends the run (an
/// error when a stop signal says more records follow).
#[derive(Debug)]
pub(super) struct LinkHeader<'p> {
    pub(super) rel: &'p str,
    pub(super) max_pages: Option<u32>,
}

impl Kind for LinkHeader<'_> {
    fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    /// Every page after the first is a [`Position::Url`].
    fn mark(&self, _: &mut HttpRequest, _: &Position) {}

    fn next(&self, _: &Position, page: &Fetched<'_>) -> Option<Position> {
        page.response
            .headers
            .get_all(reqwest::header::LINK)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find_map(|v| link_target(v, self.rel))
            .and_then(|next| page.response.url.join(&next).ok())
            .map(Position::Url)
    }

    fn no_next(&self, _: &Fetched<'_>, _: &dyn Fn(&str) -> String) -> String {
        format!(
            "no `Link` header with `rel=\"{}\"` (or none that is a URL)",
            self.rel
        )
    }
}

/// The target of the link with relation `rel` in a `Link` header's value.
fn link_target(header: &str, rel: &str) -> Option<String> {
    header.split(',').find_map(|link| {
        let mut parts = link.split(';');
        let target = parts.next()?.trim().strip_prefix('<')?.strip_suffix('>')?;
        parts
            .filter_map(|p| p.trim().strip_prefix("rel="))
            .any(|value| {
                value
                    .trim_matches('"')
                    .split_whitespace()
                    .any(|r| r.eq_ignore_ascii_case(rel))
            })
            .then(|| target.to_owned())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn link_headers_are_parsed() {
        let header = r#"<https://api.example.com/x?page=2>; rel="next", <https://api.example.com/x?page=9>; rel="last""#;
        assert_eq!(
            link_target(header, "next").as_deref(),
            Some("https://api.example.com/x?page=2")
        );
        assert_eq!(link_target(header, "prev"), None);
    }
}
