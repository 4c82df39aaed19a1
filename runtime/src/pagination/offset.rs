//! Offsets: `?offset=N`, advanced by the records each page held.

use patchbay_compiler::plan::PageSize;
use serde_json::Value;

use super::{Fetched, Kind, Position, set_query};
use crate::request::HttpRequest;

/// `?{param}=N` (or `page.offset`) from 0, by records received.
#[derive(Debug)]
pub(super) struct Offset<'p> {
    pub(super) param: Option<&'p str>,
    pub(super) page_size: Option<&'p PageSize>,
    pub(super) max_pages: Option<u32>,
}

fn offset(at: &Position) -> Option<u64> {
    match at {
        Position::First => Some(0),
        Position::Offset(n) => Some(*n),
        _ => None,
    }
}

impl Kind for Offset<'_> {
    fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    fn page_size(&self) -> Option<&PageSize> {
        self.page_size
    }

    fn mark(&self, request: &mut HttpRequest, at: &Position) {
        if let (Some(param), Some(offset)) = (self.param, offset(at)) {
            set_query(&mut request.url, param, &offset.to_string());
        }
    }

    fn position_value(&self, at: &Position) -> Option<(&'static str, Value)> {
        Some(("offset", offset(at)?.into()))
    }

    fn next(&self, at: &Position, page: &Fetched<'_>) -> Option<Position> {
        let count = page.count as u64;
        match at {
            Position::First => Some(Position::Offset(count)),
            Position::Offset(n) => Some(Position::Offset(n + count)),
            _ => None,
        }
    }
}
