//! Next-page URLs: each page's response holds the URL of the next,
//! resolved against the URL that answered.

use serde_json::Value;

use super::{Fetched, Kind, Position};
use crate::request::HttpRequest;
use crate::token::at_path;

/// The URL at `path` of each page; a missing or empty one ends the run
/// (an error when a stop signal says more records follow).
#[derive(Debug)]
pub(super) struct NextUrl<'p> {
    pub(super) path: &'p str,
    pub(super) max_pages: Option<u32>,
}

impl Kind for NextUrl<'_> {
    fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    /// Every page after the first is a [`Position::Url`].
    fn mark(&self, _: &mut HttpRequest, _: &Position) {}

    fn next(&self, _: &Position, page: &Fetched<'_>) -> Option<Position> {
        match at_path(page.body, self.path).and_then(Value::as_str) {
            Some(next) if !next.is_empty() => page.response.url.join(next).ok().map(Position::Url),
            _ => None,
        }
    }

    fn no_next(&self, page: &Fetched<'_>, excerpt: &dyn Fn(&str) -> String) -> String {
        let path = self.path;
        match at_path(page.body, path) {
            None | Some(Value::Null) => format!("no next-page link at `{path}`"),
            Some(Value::String(next)) if next.is_empty() => {
                format!("no next-page link: `{path}` is empty")
            }
            Some(Value::String(next)) => format!(
                "no usable next-page link: `{path}` is `{}`, not a URL",
                excerpt(next)
            ),
            Some(other) => format!(
                "no usable next-page link: `{path}` is `{}`, not a string",
                excerpt(&other.to_string())
            ),
        }
    }
}
