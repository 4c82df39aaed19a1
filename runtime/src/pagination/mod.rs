//! Pagination: [`Pages`] fetches an endpoint's pages one at a time, and
//! each kind of pagination (one file each) says what a page's request
//! carries and where the next page starts. A new kind is a new file and
//! one arm in [`kind_of`].
//!
//! Whether a next page is fetched is decided in one place for every kind
//! ([`stop`]): cursor, next-URL and Link-header runs go on while the API
//! gives a next token or link (an empty page does not end them), numbered
//! and offset runs end at an empty or short page unless the pagination
//! declares `more`, `done` or `total`.
//!
//! A page sends the endpoint's request, or after the first page the
//! pagination's `next` when it has one, and its templates see `page`: the
//! kind's position (`number`, `offset`, `cursor`) and the page size.
//!
//! A page without a next token or link while a declared signal says more
//! records follow (`more` reads `true`, a given `total` is not reached)
//! ends the run with [`Error::PageUnfinished`] after that page: ending
//! cleanly would pass for a complete read, and an incremental run would
//! keep a checkpoint past the records never read. Stripe's `has_more`
//! true on an empty page is such a run: there is no last object to
//! continue after. `done` never makes it an error: it only marks an end.
//!
//! Whatever the kind, a run ends: a cursor or link it already followed is
//! an error at once ([`Error::PageRepeated`]); a numbered or offset page
//! identical to the previous one ends it normally (Magento answers past
//! the end with the last page again); and a run whose pagination sets no
//! `max_pages` stops at [`Options::max_pages`](crate::Options::max_pages)
//! with [`Error::PageLimit`].

mod cursor;
mod link_header;
mod next_url;
mod offset;
mod page_number;
mod single;
mod stop;

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};

use patchbay_compiler::plan::{
    EndpointPlan, PageLimitPlan, PageSize, PaginationPlan, RequestPlan, StopPlan,
};
use serde_json::Value;

use crate::checkpoint::{Checkpoint, Tracker};
use crate::connection::{Call, Connection, PageRender};
use crate::error::{Error, Result};
use crate::http::Response;
use crate::render::Context;
use crate::request::HttpRequest;
use crate::token::at_path;

/// How much of a cursor or link an error quotes: a server may send one
/// of any length.
const QUOTED_VALUE_CHARS: usize = 200;

/// Where a page starts. The kinds share one type so that [`Pages`] can
/// hold any of them; each kind makes and reads its own variants.
#[derive(Debug, Clone)]
enum Position {
    /// The first page: only what the plan says.
    First,
    /// A page number.
    Number(i64),
    /// A record offset.
    Offset(u64),
    /// A token the previous page returned.
    Cursor(String),
    /// The next page's whole URL (it replaces the endpoint's).
    Url(url::Url),
}

/// What a page returned, for finding the next one and deciding whether
/// to fetch it.
#[derive(Debug)]
struct Fetched<'p> {
    /// The response body as JSON (`Null` when empty).
    body: &'p Value,
    /// The response (headers, the URL that answered).
    response: &'p Response,
    /// The page's records (a cursor may be read from the last one).
    records: &'p [Value],
    /// How many records it held.
    count: usize,
}

/// What a run has read so far, counting the page just fetched.
#[derive(Debug, Clone, Copy, Default)]
struct RunSoFar {
    /// Pages fetched.
    pages: u32,
    /// Records received.
    records: u64,
}

/// One kind of pagination.
trait Kind: fmt::Debug + Send + Sync {
    /// Pages fetched at most (`None`: until a stop condition).
    fn max_pages(&self) -> Option<u32>;

    /// The page size asked for, if the kind has one.
    fn page_size(&self) -> Option<&PageSize> {
        None
    }

    /// Puts the page's position on its request. [`Position::Url`] and the
    /// page size are applied by [`prepare`] for every kind.
    fn mark(&self, request: &mut HttpRequest, at: &Position);

    /// Whether templates see `page` (every kind but no pagination).
    fn paginates(&self) -> bool {
        true
    }

    /// The page's position as templates see it (`page.number` and the
    /// like), if the kind has one there.
    fn position_value(&self, _at: &Position) -> Option<(&'static str, Value)> {
        None
    }

    /// Where the page after the one at `at` would start, or `None` when
    /// the kind has no next position (no token or link). Whether it is
    /// fetched is decided by [`stop::ends`].
    fn next(&self, at: &Position, page: &Fetched<'_>) -> Option<Position>;

    /// Why [`Kind::next`] found no next position after `page`, for an
    /// error when the API says more records follow (`no cursor at
    /// `/next``); `excerpt` cuts and redacts a value it quotes.
    fn no_next(&self, _page: &Fetched<'_>, _excerpt: &dyn Fn(&str) -> String) -> String {
        "no next page".to_owned()
    }

    /// How many records the run has gone past once the page at `next`
    /// would start, compared with a `total`: by default the records
    /// received.
    fn covered(&self, _next: &Position, run: RunSoFar) -> u64 {
        run.records
    }
}

/// The kind a plan's pagination is: the one place a new kind is added.
/// `limit` is the page size resolved for this run.
fn kind_of(plan: &PaginationPlan, limit: Option<u32>) -> Box<dyn Kind + '_> {
    match plan {
        PaginationPlan::None => Box::new(single::Single),
        PaginationPlan::PageNumber {
            param,
            start,
            page_size,
            max_pages,
            ..
        } => Box::new(page_number::PageNumber {
            param: param.as_deref(),
            start: start.value,
            page_size: page_size.as_ref(),
            limit,
            max_pages: *max_pages,
        }),
        PaginationPlan::Offset {
            param,
            page_size,
            max_pages,
            start,
            step,
            ..
        } => Box::new(offset::Offset {
            param: param.as_deref(),
            page_size: page_size.as_ref(),
            start: start.value,
            step: step.value,
            limit,
            max_pages: *max_pages,
        }),
        PaginationPlan::Cursor {
            param,
            source,
            page_size,
            max_pages,
            ..
        } => Box::new(cursor::Cursor {
            param: param.as_deref(),
            source,
            page_size: page_size.as_ref(),
            max_pages: *max_pages,
        }),
        PaginationPlan::NextUrl {
            path, max_pages, ..
        } => Box::new(next_url::NextUrl {
            path,
            max_pages: *max_pages,
        }),
        PaginationPlan::LinkHeader { rel, max_pages, .. } => Box::new(link_header::LinkHeader {
            rel: &rel.value,
            max_pages: *max_pages,
        }),
    }
}

/// The stop conditions of a pagination (none for a single page).
fn stop_of(plan: &PaginationPlan) -> Option<&StopPlan> {
    match plan {
        PaginationPlan::None => None,
        PaginationPlan::PageNumber { stop, .. }
        | PaginationPlan::Offset { stop, .. }
        | PaginationPlan::Cursor { stop, .. }
        | PaginationPlan::NextUrl { stop, .. }
        | PaginationPlan::LinkHeader { stop, .. } => Some(stop),
    }
}

/// The page size of a run: the written number, or the value of the
/// variable `limit` names, checked against the variable's `maximum` (the
/// API's largest page) and to be at least 1. Binding already checked the
/// variable's bounds; this keeps a value from a path that skipped binding
/// (a default) from reaching a request. `values` is asked for only when
/// the size comes from a variable.
pub(crate) fn resolve_limit(
    endpoint: &str,
    plan: &PaginationPlan,
    values: impl FnOnce() -> Result<Context>,
) -> Result<Option<u32>> {
    let page_size = match plan {
        PaginationPlan::PageNumber { page_size, .. }
        | PaginationPlan::Offset { page_size, .. }
        | PaginationPlan::Cursor { page_size, .. } => page_size.as_ref(),
        _ => None,
    };
    let Some(limit) = page_size.and_then(|size| size.limit.as_ref()) else {
        return Ok(None);
    };
    let (name, maximum) = match limit {
        PageLimitPlan::Literal(n) => return Ok(Some(*n)),
        PageLimitPlan::Variable { name, maximum } => (name, maximum.as_ref()),
    };
    let error = |message: String| Error::Render {
        what: format!("endpoint `{endpoint}`: page size `limit = \"{{{{ {name} }}}}\"`"),
        message,
    };
    let values = values()?;
    let value = values.get(name).ok_or_else(|| {
        error(format!(
            "`{name}` has no value; give it in the instance (or the call), or declare a `default`"
        ))
    })?;
    let size = value.as_u64().ok_or_else(|| {
        error(format!(
            "`{name}` must be a whole number of at least 1, not {value}"
        ))
    })?;
    if let Some(maximum) = maximum
        && maximum.as_u64().is_some_and(|maximum| size > maximum)
    {
        return Err(error(format!(
            "`{name}` is {size}, above its `maximum` of {maximum} (the API's largest page); give a smaller value"
        )));
    }
    match u32::try_from(size) {
        Ok(size) if size >= 1 => Ok(Some(size)),
        _ => Err(error(format!(
            "`{name}` is {size}; a page size must be between 1 and {}",
            u32::MAX
        ))),
    }
}

/// Puts the page size and a page's position on its request.
fn prepare(kind: &dyn Kind, limit: Option<u32>, request: &mut HttpRequest, at: &Position) {
    if let (
        Some(PageSize {
            param: Some(param), ..
        }),
        Some(limit),
    ) = (kind.page_size(), limit)
    {
        set_query(&mut request.url, param, &limit.to_string());
    }
    match at {
        Position::Url(next) => request.url = next.clone(),
        _ => kind.mark(request, at),
    }
}

/// Puts what the first page of a pagination carries on a request: a dry
/// run shows exactly what the first page sends.
pub(crate) fn prepare_first(plan: &PaginationPlan, limit: Option<u32>, request: &mut HttpRequest) {
    prepare(
        kind_of(plan, limit).as_ref(),
        limit,
        request,
        &Position::First,
    );
}

/// The `page` value templates see on the page at `at`: its position and
/// the page size (`None` without pagination). A value the page lacks
/// (`cursor` on the first page) is absent, never null.
fn page_layer(kind: &dyn Kind, limit: Option<u32>, at: &Position) -> Option<Value> {
    if !kind.paginates() {
        return None;
    }
    let mut page = serde_json::Map::new();
    if let Some((name, value)) = kind.position_value(at) {
        page.insert(name.to_owned(), value);
    }
    if let Some(limit) = limit {
        page.insert("size".to_owned(), limit.into());
    }
    Some(Value::Object(page))
}

/// The request of the page at `at`: for the first page, the incremental
/// `resume` when the run starts from a stored checkpoint (`resumed`) and
/// the endpoint has one; for every later page the pagination's `next`,
/// when it has one; else the endpoint's.
fn request_at<'p>(endpoint: &'p EndpointPlan, at: &Position, resumed: bool) -> &'p RequestPlan {
    let over = match at {
        Position::First => endpoint
            .incremental
            .as_ref()
            .filter(|_| resumed)
            .and_then(|incremental| incremental.resume.as_deref()),
        _ => match &endpoint.pagination {
            PaginationPlan::PageNumber { next, .. }
            | PaginationPlan::Offset { next, .. }
            | PaginationPlan::Cursor { next, .. } => next.as_deref(),
            _ => None,
        },
    };
    over.unwrap_or(&endpoint.request)
}

/// What the first page of an endpoint renders with: its request (`resume`
/// when `resumed` from a stored checkpoint) and `page`.
pub(crate) fn first_page(
    endpoint: &EndpointPlan,
    limit: Option<u32>,
    resumed: bool,
) -> PageRender<'_> {
    let kind = kind_of(&endpoint.pagination, limit);
    PageRender {
        request: request_at(endpoint, &Position::First, resumed),
        page: page_layer(kind.as_ref(), limit, &Position::First),
    }
}

/// Sets a query parameter, replacing any of the same name.
fn set_query(url: &mut url::Url, name: &str, value: &str) {
    let kept: Vec<(String, String)> = url
        .query_pairs()
        .filter(|(k, _)| k != name)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect();
    let mut pairs = url.query_pairs_mut();
    pairs.clear();
    for (k, v) in &kept {
        pairs.append_pair(k, v);
    }
    pairs.append_pair(name, value);
}

/// One page of records.
#[derive(Debug, Clone)]
pub struct Page {
    /// The records (the array at the records path, or the whole body).
    pub records: Vec<Value>,
    /// The response.
    pub response: Response,
}

/// Pages of an endpoint, fetched one at a time with [`Pages::next`]; made
/// by [`Connection::pages`].
///
/// ```no_run
/// # async fn example(connection: patchbay_runtime::Connection) -> patchbay_runtime::Result<()> {
/// use patchbay_runtime::Call;
///
/// let mut pages = connection.pages("list_orders", Call::default())?;
/// while let Some(page) = pages.next().await {
///     for order in page?.records {
///         println!("{order}");
///     }
/// }
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct Pages<'c> {
    connection: &'c Connection,
    endpoint: String,
    call: Call,
    plan: &'c EndpointPlan,
    kind: Box<dyn Kind + 'c>,
    /// When the run ends besides the kind's own end.
    stop: Option<&'c StopPlan>,
    /// The page size of this run.
    limit: Option<u32>,
    records: Option<&'c str>,
    /// Where the next page starts; `None` once the run has ended.
    next: Option<Position>,
    fetched: u32,
    /// Records received so far.
    received: u64,
    /// Pages fetched at most when the kind has no `max_pages`.
    page_cap: u32,
    first_origin: Option<url::Origin>,
    /// Hashes of every cursor followed and every URL that answered, so a
    /// repeat is found whatever its distance; a hash keeps memory flat
    /// however long the values are. Keyed per run, so a server cannot aim
    /// at a collision.
    seen: HashSet<u64>,
    hasher: RandomState,
    /// The previous page's body, for numbered and offset pages.
    previous_body: Option<bytes::Bytes>,
    /// The checkpoint the run started from (templates see its value).
    since: Option<Checkpoint>,
    /// Works out the run's checkpoint, for an incremental endpoint.
    tracker: Option<Tracker<'c>>,
    /// The error that ends the run after the page just returned: it had
    /// no next cursor or link while the API said more records follow.
    unfinished: Option<Error>,
    /// How the run went: a checkpoint is kept only after a clean end.
    run: Run,
    /// The run's checkpoint, once it ended cleanly.
    checkpoint: Option<Checkpoint>,
}

/// How far a run got. Only [`Run::Ended`] keeps a checkpoint: after an
/// error, the page cap or `max_pages`, pages were left unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Run {
    /// Pages are still to come.
    Going,
    /// The API said this was the end: no next token or link (and no
    /// signal saying more follow), a stop condition, or a numbered or
    /// offset page identical to the previous.
    Ended,
    /// An error (the page cap included) ended it.
    Failed,
    /// `max_pages` cut it short without an error.
    CutShort,
}

impl<'c> Pages<'c> {
    /// Pages of an endpoint, as its plan's pagination says, `limit`
    /// records a page, reading incrementally from `since` when the
    /// endpoint is incremental.
    pub(crate) fn new(
        connection: &'c Connection,
        endpoint: &str,
        call: Call,
        plan: &'c EndpointPlan,
        limit: Option<u32>,
        since: Option<Checkpoint>,
    ) -> Self {
        Pages {
            tracker: plan
                .incremental
                .as_ref()
                .map(|incremental| Tracker::new(endpoint, incremental, since.as_ref())),
            since,
            run: Run::Going,
            unfinished: None,
            checkpoint: None,
            connection,
            endpoint: endpoint.to_owned(),
            call,
            plan,
            kind: kind_of(&plan.pagination, limit),
            stop: stop_of(&plan.pagination),
            limit,
            records: plan.response.records.as_deref(),
            next: Some(Position::First),
            fetched: 0,
            received: 0,
            page_cap: connection.options().max_pages,
            first_origin: None,
            seen: HashSet::new(),
            hasher: RandomState::new(),
            previous_body: None,
        }
    }

    /// The next page, or `None` when the run has ended: no next token or
    /// link, a stop condition the pagination declares (`more`, `done`,
    /// `total`), for numbered and offset pages without those an empty page
    /// or one shorter than the page size, `max_pages`, or a numbered or
    /// offset page identical to the previous one. A repeated cursor or
    /// link, the page cap of a run without `max_pages`, and a page without
    /// a next token or link while `more` or `total` says more records
    /// follow ([`Error::PageUnfinished`]) end the run with an error.
    pub async fn next(&mut self) -> Option<Result<Page>> {
        let Some(at) = self.next.take() else {
            if let Some(error) = self.unfinished.take() {
                self.end(Run::Failed);
                return Some(Err(error));
            }
            self.end(Run::Ended);
            return None;
        };
        match self.kind.max_pages() {
            Some(max) if self.fetched >= max => {
                self.end(Run::CutShort);
                return None;
            }
            None if self.fetched >= self.page_cap => {
                self.end(Run::Failed);
                return Some(Err(Error::PageLimit {
                    endpoint: self.endpoint.clone(),
                    limit: self.page_cap,
                }));
            }
            _ => {}
        }
        // An error ends the run: `next` stays `None`.
        let page = self.fetch(at).await.transpose();
        match &page {
            Some(Err(_)) => self.end(Run::Failed),
            // A page identical to the previous one ended the run.
            None => self.end(Run::Ended),
            Some(Ok(_)) => {}
        }
        page
    }

    /// The run's checkpoint, for an incremental endpoint: `Some` only once
    /// [`Pages::next`] returned `None` after reading every page to a stop
    /// condition. After an error, the page cap or `max_pages` it stays
    /// `None`, so the caller keeps the checkpoint it had. A run that read
    /// nothing new returns the checkpoint it started from; a `max`
    /// checkpoint never goes below it.
    pub fn checkpoint(&self) -> Option<&Checkpoint> {
        self.checkpoint.as_ref()
    }

    /// Records how the run ended, the first time it ends.
    fn end(&mut self, how: Run) {
        if self.run != Run::Going {
            return;
        }
        self.run = how;
        if how == Run::Ended {
            self.checkpoint = self.tracker.take().and_then(Tracker::finish);
        }
    }

    /// The page at `at`, or `None` if it repeats the previous one.
    async fn fetch(&mut self, at: Position) -> Result<Option<Page>> {
        self.check_not_repeated(&at)?;
        if let Position::Url(next) = &at {
            self.check_same_origin(next)?;
        }
        let kind = self.kind.as_ref();
        let limit = self.limit;
        let adjust = |mut request: HttpRequest| {
            prepare(kind, limit, &mut request, &at);
            request
        };
        let page = PageRender {
            request: request_at(self.plan, &at, self.since.is_some()),
            page: page_layer(kind, limit, &at),
        };
        let mut response = self
            .connection
            .call_with(
                &self.endpoint,
                &self.call,
                page,
                self.since.as_ref(),
                adjust,
            )
            .await?;
        if self.first_origin.is_none() {
            self.first_origin = Some(response.url.origin());
        }
        self.fetched += 1;
        if matches!(at, Position::Number(_) | Position::Offset(_))
            && self.previous_body.as_ref() == Some(&response.body)
        {
            return Ok(None);
        }
        self.previous_body = Some(response.body.clone());
        self.seen
            .insert(self.hasher.hash_one(("url", response.url.as_str())));
        let body: Value = if response.body.is_empty() {
            Value::Null
        } else {
            response.take_json().map_err(|e| Error::Response {
                request: format!("endpoint `{}`", self.endpoint),
                message: format!("the response is not JSON ({e})"),
            })?
        };
        let records = match self.records {
            Some(path) => match at_path(&body, path) {
                Some(Value::Array(items)) => items.clone(),
                Some(Value::Null) | None => Vec::new(),
                Some(other) => vec![other.clone()],
            },
            None => match &body {
                Value::Array(items) => items.clone(),
                Value::Null => Vec::new(),
                other => vec![other.clone()],
            },
        };
        if let Some(tracker) = &mut self.tracker {
            tracker.observe(self.fetched, &body, &records)?;
        }
        self.received += records.len() as u64;
        let run = RunSoFar {
            pages: self.fetched,
            records: self.received,
        };
        let page = Fetched {
            body: &body,
            response: &response,
            records: &records,
            count: records.len(),
        };
        match self.kind.next(&at, &page) {
            Some(next) => {
                let covered = self.kind.covered(&next, run);
                let ends = self
                    .stop
                    .is_some_and(|stop| stop::ends(stop, &page, self.limit, covered));
                self.next = (!ends).then_some(next);
            }
            // Without a next position the run would end as if complete;
            // when the API says otherwise, records would go unread, and an
            // incremental run would keep a checkpoint past them.
            None => {
                let signal = self
                    .stop
                    .and_then(|stop| stop::unfinished(stop, &page, self.limit, run.records));
                if let Some(signal) = signal {
                    let excerpt = |value: &str| self.excerpt(value);
                    self.unfinished = Some(Error::PageUnfinished {
                        endpoint: self.endpoint.clone(),
                        signal,
                        missing: self.kind.no_next(&page, &excerpt),
                    });
                }
            }
        }
        Ok(Some(Page { records, response }))
    }

    /// A cursor or link already followed (or a link to a page that already
    /// answered) would send the same pages forever.
    fn check_not_repeated(&mut self, at: &Position) -> Result<()> {
        let (what, value, key) = match at {
            Position::Cursor(token) => ("cursor", token.as_str(), "cursor"),
            Position::Url(next) => ("next-page link", next.as_str(), "url"),
            Position::First | Position::Number(_) | Position::Offset(_) => return Ok(()),
        };
        if self.seen.insert(self.hasher.hash_one((key, value))) {
            return Ok(());
        }
        Err(Error::PageRepeated {
            endpoint: self.endpoint.clone(),
            what: what.to_owned(),
            value: self.excerpt(value),
        })
    }

    /// A value from the server as an error quotes it: redacted, and cut
    /// short (marked `…`), as a server may send one of any length.
    fn excerpt(&self, value: &str) -> String {
        let mut shown = self
            .connection
            .redactor()
            .excerpt(value, QUOTED_VALUE_CHARS);
        if shown.len() < value.len() {
            shown.push('…');
        }
        shown
    }

    /// A next-page link is followed only on the origin the first page came
    /// from: the credential is attached to it.
    fn check_same_origin(&self, next: &url::Url) -> Result<()> {
        if self
            .first_origin
            .as_ref()
            .is_some_and(|origin| *origin != next.origin())
        {
            return Err(Error::Response {
                request: format!("endpoint `{}`", self.endpoint),
                message: format!(
                    "the next page is on another origin ({}); it is not followed, so the credential is not sent there",
                    next.origin().ascii_serialization()
                ),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_query_replaces_a_parameter() {
        let mut url = url::Url::parse("https://x.example/a?page=1&q=a%26b").unwrap();
        set_query(&mut url, "page", "2");
        assert_eq!(url.as_str(), "https://x.example/a?q=a%26b&page=2");
    }
}
