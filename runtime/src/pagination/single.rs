//! No pagination: the endpoint answers with everything at once.

use super::{Fetched, Kind, Position};
use crate::request::HttpRequest;

/// One page, as is.
#[derive(Debug)]
pub(super) struct Single;

impl Kind for Single {
    fn max_pages(&self) -> Option<u32> {
        Some(1)
    }

    fn paginates(&self) -> bool {
        false
    }

    fn mark(&self, _: &mut HttpRequest, _: &Position) {}

    fn next(&self, _: &Position, _: &Fetched<'_>) -> Option<Position> {
        None
    }
}
