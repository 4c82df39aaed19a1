//! Offsets: `?offset=N` from `start`, advanced by the records each page
//! held or, with `step = "limit"`, by the page size (Box: a page may hold
//! fewer records than asked for while more remain).

use patchbay_compiler::plan::PageSize;
use patchbay_schema::OffsetStep;
use serde_json::Value;

use super::{Fetched, Kind, Position, RunSoFar, set_query};
use crate::request::HttpRequest;

/// `?{param}=N` (or `page.offset`) from `start`, by records received or
/// by the page size.
#[derive(Debug)]
pub(super) struct Offset<'p> {
    pub(super) param: Option<&'p str>,
    pub(super) page_size: Option<&'p PageSize>,
    pub(super) start: u64,
    pub(super) step: OffsetStep,
    /// The run's page size (lint requires one for `step = "limit"`).
    pub(super) limit: Option<u32>,
    pub(super) max_pages: Option<u32>,
}

impl Offset<'_> {
    /// The offset of the page at `at`.
    fn offset(&self, at: &Position) -> Option<u64> {
        match at {
            Position::First => Some(self.start),
            Position::Offset(n) => Some(*n),
            _ => None,
        }
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
        if let (Some(param), Some(offset)) = (self.param, self.offset(at)) {
            set_query(&mut request.url, param, &offset.to_string());
        }
    }

    fn position_value(&self, at: &Position) -> Option<(&'static str, Value)> {
        Some(("offset", self.offset(at)?.into()))
    }

    fn next(&self, at: &Position, page: &Fetched<'_>) -> Option<Position> {
        let step = match (self.step, self.limit) {
            (OffsetStep::Limit, Some(limit)) => u64::from(limit),
            _ => page.count as u64,
        };
        match at {
            Position::First => Some(Position::Offset(self.start.saturating_add(step))),
            Position::Offset(n) => Some(Position::Offset(n.saturating_add(step))),
            _ => None,
        }
    }

    /// The next offset counted from `start`: with `step = "limit"` it runs
    /// ahead of the records received, as the API counts.
    fn covered(&self, next: &Position, run: RunSoFar) -> u64 {
        match next {
            Position::Offset(n) => n.saturating_sub(self.start),
            _ => run.records,
        }
    }
}
