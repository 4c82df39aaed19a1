//! Page numbers: `?page=N`, counting up from the first page's number.

use patchbay_compiler::plan::PageSize;
use serde_json::Value;

use super::{Fetched, Kind, Position, RunSoFar, set_query};
use crate::request::HttpRequest;

/// `?{param}=N` (or `page.number`) from `start` on.
#[derive(Debug)]
pub(super) struct PageNumber<'p> {
    pub(super) param: Option<&'p str>,
    pub(super) start: i64,
    pub(super) page_size: Option<&'p PageSize>,
    /// The run's page size (lint requires one with `total`).
    pub(super) limit: Option<u32>,
    pub(super) max_pages: Option<u32>,
}

impl PageNumber<'_> {
    fn number(&self, at: &Position) -> Option<i64> {
        match at {
            Position::First => Some(self.start),
            Position::Number(n) => Some(*n),
            _ => None,
        }
    }
}

impl Kind for PageNumber<'_> {
    fn max_pages(&self) -> Option<u32> {
        self.max_pages
    }

    fn page_size(&self) -> Option<&PageSize> {
        self.page_size
    }

    fn mark(&self, request: &mut HttpRequest, at: &Position) {
        if let (Some(param), Some(number)) = (self.param, self.number(at)) {
            set_query(&mut request.url, param, &number.to_string());
        }
    }

    fn position_value(&self, at: &Position) -> Option<(&'static str, Value)> {
        Some(("number", self.number(at)?.into()))
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
