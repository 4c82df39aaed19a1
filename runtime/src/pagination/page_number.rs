//! Page numbers: `?page=N`, counting up from the first page's number.

use patchbay_compiler::plan::PageSize;

use super::{Fetched, Kind, Position, RunSoFar, set_query};
use crate::request::HttpRequest;

/// `?{param}=N` from `start` on.
#[derive(Debug)]
pub(super) struct PageNumber<'p> {
    pub(super) param: &'p str,
    pub(super) start: i64,
    pub(super) page_size: Option<&'p PageSize>,
    /// The run's page size (lint requires one with `total`).
    pub(super) limit: Option<u32>,
    pub(super) max_pages: Option<u32>,
}

impl Kind for PageNumber<'_> {
    fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    fn page_size(&self) -> Option<&PageSize> {
        self.page_size
    }

    fn mark(&self, request: &mut HttpRequest, at: &Position) {
        let number = match at {
            Position::First => self.start,
            Position::Number(n) => *n,
            _ => return,
        };
        set_query(&mut request.url, self.param, &number.to_string());
    }

    fn next(&self, at: &Position, _: &Fetched<'_>) -> Option<Position> {
        match at {
            Position::First => Some(Position::Number(self.start + 1)),
            Position::Number(n) => Some(Position::Number(n + 1)),
            _ => None,
        }
    }

    /// Pages read times the page size: the API counts its total in
    /// records, numbered pages each hold `limit` of them.
    fn covered(&self, _: &Position, run: RunSoFar) -> u64 {
        match self.limit {
            Some(limit) => u64::from(run.pages) * u64::from(limit),
            None => run.records,
        }
    }
}
