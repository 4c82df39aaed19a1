//! Next-page URLs: each page's response holds the URL of the next,
//! resolved against the URL that answered.

use serde_json::Value;

use super::{Fetched, Kind, Position};
use crate::request::HttpRequest;
use crate::token::at_path;

/// The URL at `path` of each page; a missing or empty one ends the run.
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
}
