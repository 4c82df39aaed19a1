//! Pagination: [`Pages`] fetches an endpoint's pages one at a time, and
//! each kind of pagination (one file each) says what a page's request
//! carries and where the next page starts. A new kind is a new file and
//! one arm in [`kind_of`].
//!
//! A page sends the endpoint's request, or after the first page the
//! pagination's `next` when it has one, and its templates see `page`: the
//! kind's position (`number`, `offset`, `cursor`) and the page size.
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

use std::collections::HashSet;
use std::fmt;
use std::hash::{BuildHasher, RandomState};

use patchbay_compiler::plan::{EndpointPlan, PageSize, PaginationPlan, RequestPlan};
use serde_json::Value;

use crate::connection::{Call, Connection, PageRender};
use crate::error::{Error, Result};
use crate::http::Response;
use crate::request::HttpRequest;
use crate::token::at_path;

/// How much of a repeated cursor or link an error quotes: a server may
/// send one of any length.
const REPEATED_VALUE_CHARS: usize = 200;

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

/// What a page returned, for finding the next one. It had records: a page
/// without any ends the run before a kind is asked.
#[derive(Debug)]
struct Fetched<'p> {
    /// The response body as JSON (`Null` when empty).
    body: &'p Value,
    /// The response (headers, the URL that answered).
    response: &'p Response,
    /// How many records it held.
    count: usize,
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

    /// Where the page after the one at `at` starts, or `None` when that
    /// one was the last.
    fn next(&self, at: &Position, page: &Fetched<'_>) -> Option<Position>;
}

/// The kind a plan's pagination is: the one place a new kind is added.
fn kind_of(plan: &PaginationPlan) -> Box<dyn Kind + '_> {
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
            max_pages: *max_pages,
        }),
        PaginationPlan::Offset {
            param,
            page_size,
            max_pages,
            ..
        } => Box::new(offset::Offset {
            param: param.as_deref(),
            page_size: page_size.as_ref(),
            max_pages: *max_pages,
        }),
        PaginationPlan::Cursor {
            param,
            path,
            page_size,
            max_pages,
            ..
        } => Box::new(cursor::Cursor {
            param: param.as_deref(),
            path,
            page_size: page_size.as_ref(),
            max_pages: *max_pages,
        }),
        PaginationPlan::NextUrl { path, max_pages } => Box::new(next_url::NextUrl {
            path,
            max_pages: *max_pages,
        }),
        PaginationPlan::LinkHeader { rel, max_pages } => Box::new(link_header::LinkHeader {
            rel: &rel.value,
            max_pages: *max_pages,
        }),
    }
}

/// Puts the page size and a page's position on its request.
fn prepare(kind: &dyn Kind, request: &mut HttpRequest, at: &Position) {
    if let Some(PageSize {
        param: Some(param),
        limit: Some(limit),
    }) = kind.page_size()
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
pub(crate) fn prepare_first(plan: &PaginationPlan, request: &mut HttpRequest) {
    prepare(kind_of(plan).as_ref(), request, &Position::First);
}

/// The `page` value templates see on the page at `at`: its position and
/// the page size (`None` without pagination). A value the page lacks
/// (`cursor` on the first page) is absent, never null.
fn page_layer(kind: &dyn Kind, at: &Position) -> Option<Value> {
    if !kind.paginates() {
        return None;
    }
    let mut page = serde_json::Map::new();
    if let Some((name, value)) = kind.position_value(at) {
        page.insert(name.to_owned(), value);
    }
    if let Some(limit) = kind.page_size().and_then(|size| size.limit) {
        page.insert("size".to_owned(), limit.into());
    }
    Some(Value::Object(page))
}

/// The request of the page at `at`: the pagination's `next` for every page
/// after the first, when it has one, else the endpoint's.
fn request_at<'p>(endpoint: &'p EndpointPlan, at: &Position) -> &'p RequestPlan {
    let next = match &endpoint.pagination {
        PaginationPlan::PageNumber { next, .. }
        | PaginationPlan::Offset { next, .. }
        | PaginationPlan::Cursor { next, .. } => next.as_deref(),
        _ => None,
    };
    match (at, next) {
        (Position::First, _) | (_, None) => &endpoint.request,
        (_, Some(next)) => next,
    }
}

/// What the first page of an endpoint renders with: its request and `page`.
pub(crate) fn first_page(endpoint: &EndpointPlan) -> PageRender<'_> {
    let kind = kind_of(&endpoint.pagination);
    PageRender {
        request: &endpoint.request,
        page: page_layer(kind.as_ref(), &Position::First),
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
    records: Option<&'c str>,
    /// Where the next page starts; `None` once the run has ended.
    next: Option<Position>,
    fetched: u32,
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
}

impl<'c> Pages<'c> {
    /// Pages of an endpoint, as its plan's pagination says.
    pub(crate) fn new(
        connection: &'c Connection,
        endpoint: &str,
        call: Call,
        plan: &'c EndpointPlan,
    ) -> Self {
        Pages {
            connection,
            endpoint: endpoint.to_owned(),
            call,
            plan,
            kind: kind_of(&plan.pagination),
            records: plan.response.records.as_deref(),
            next: Some(Position::First),
            fetched: 0,
            page_cap: connection.options().max_pages,
            first_origin: None,
            seen: HashSet::new(),
            hasher: RandomState::new(),
            previous_body: None,
        }
    }

    /// The next page, or `None` when a stop condition is met: a page with
    /// no records, a missing token or link, fewer records than the page
    /// size, `max_pages`, or a numbered or offset page identical to the
    /// previous one. A repeated cursor or link, and the page cap of a run
    /// without `max_pages`, end the run with an error.
    pub async fn next(&mut self) -> Option<Result<Page>> {
        let at = self.next.take()?;
        match self.kind.max_pages() {
            Some(max) if self.fetched >= max => return None,
            None if self.fetched >= self.page_cap => {
                return Some(Err(Error::PageLimit {
                    endpoint: self.endpoint.clone(),
                    limit: self.page_cap,
                }));
            }
            _ => {}
        }
        // An error ends the run: `next` stays `None`.
        self.fetch(at).await.transpose()
    }

    /// The page at `at`, or `None` if it repeats the previous one.
    async fn fetch(&mut self, at: Position) -> Result<Option<Page>> {
        self.check_not_repeated(&at)?;
        if let Position::Url(next) = &at {
            self.check_same_origin(next)?;
        }
        let kind = self.kind.as_ref();
        let adjust = |mut request: HttpRequest| {
            prepare(kind, &mut request, &at);
            request
        };
        let page = PageRender {
            request: request_at(self.plan, &at),
            page: page_layer(kind, &at),
        };
        let response = self
            .connection
            .call_with(&self.endpoint, &self.call, page, adjust)
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
            response.json().map_err(|e| Error::Response {
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
        let short = self
            .kind
            .page_size()
            .and_then(|size| size.limit)
            .is_some_and(|limit| records.len() < limit as usize);
        if !records.is_empty() && !short {
            let page = Fetched {
                body: &body,
                response: &response,
                count: records.len(),
            };
            self.next = self.kind.next(&at, &page);
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
        let mut shown = self
            .connection
            .redactor()
            .excerpt(value, REPEATED_VALUE_CHARS);
        if shown.len() < value.len() {
            shown.push('…');
        }
        Err(Error::PageRepeated {
            endpoint: self.endpoint.clone(),
            what: what.to_owned(),
            value: shown,
        })
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
