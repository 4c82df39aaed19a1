//! Offsets: `?offset=N`, advanced by the records each page held.

use patchbay_compiler::plan::PageSize;

use super::{Fetched, Kind, Position, set_query};
use crate::request::HttpRequest;

/// `?{param}=N` from 0, by records received.
#[derive(Debug)]
pub(super) struct Offset<'p> {
    pub(super) param: &'p str,
    pub(super) page_size: Option<&'p PageSize>,
    pub(super) max_pages: Option<u32>,
}

impl Kind for Offset<'_> {
    fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    fn page_size(&self) -> Option<&PageSize> {
        self.page_size
    }

    fn mark(&self, request: &mut HttpRequest, at: &Position) {
        let offset = match at {
            Position::First => 0,
            Position::Offset(n) => *n,
            _ => return,
        };
        set_query(&mut request.url, self.param, &offset.to_string());
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
