//! Cursors: each page gives the token that asks for the next, either at a
//! path of the response or inside the page's last record (Stripe's
//! `starting_after` is the id of the last object).

use patchbay_compiler::plan::{CursorSource, PageSize};
use serde_json::Value;

use super::{Fetched, Kind, Position, set_query};
use crate::request::HttpRequest;
use crate::token::at_path;

/// `?{param}=TOKEN` (or `page.cursor`, absent on the first page), the
/// token read from the previous page; a missing, empty or null token (or,
/// for `last_record`, a page without records) means there is no next page,
/// which is an error when a stop signal says more records follow.
#[derive(Debug)]
pub(super) struct Cursor<'p> {
    pub(super) param: Option<&'p str>,
    pub(super) source: &'p CursorSource,
    pub(super) page_size: Option<&'p PageSize>,
    pub(super) max_pages: Option<u32>,
}

impl Kind for Cursor<'_> {
    fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    fn page_size(&self) -> Option<&PageSize> {
        self.page_size
    }

    fn mark(&self, request: &mut HttpRequest, at: &Position) {
        if let (Some(param), Position::Cursor(token)) = (self.param, at) {
            set_query(&mut request.url, param, token);
        }
    }

    fn position_value(&self, at: &Position) -> Option<(&'static str, Value)> {
        match at {
            Position::Cursor(token) => Some(("cursor", Value::String(token.clone()))),
            _ => None,
        }
    }

    fn next(&self, _: &Position, page: &Fetched<'_>) -> Option<Position> {
        let token = match self.source {
            CursorSource::Path(path) => at_path(page.body, path),
            CursorSource::LastRecord(field) => at_path(page.records.last()?, field),
        };
        match token {
            Some(Value::String(token)) if !token.is_empty() => {
                Some(Position::Cursor(token.clone()))
            }
            Some(Value::Number(n)) => Some(Position::Cursor(n.to_string())),
            _ => None,
        }
    }

    fn no_next(&self, page: &Fetched<'_>, excerpt: &dyn Fn(&str) -> String) -> String {
        let (token, place) = match self.source {
            CursorSource::Path(path) => (at_path(page.body, path), format!("`{path}`")),
            CursorSource::LastRecord(field) => match page.records.last() {
                None => return "no cursor: the page has no records, so no last record to continue after".to_owned(),
                Some(last) => (at_path(last, field), format!("the last record's `{field}`")),
            },
        };
        match (token, self.source) {
            (None, CursorSource::LastRecord(field)) => {
                format!("no cursor: the last record has no `{field}`")
            }
            (None | Some(Value::Null), CursorSource::Path(path)) => {
                format!("no cursor at `{path}`")
            }
            (Some(Value::String(_)), _) => format!("no cursor: {place} is empty"),
            (Some(Value::Null), _) => format!("no cursor: {place} is null"),
            (Some(other), _) => format!(
                "no usable cursor: {place} is `{}`, not a string or number",
                excerpt(&other.to_string())
            ),
        }
    }
}
