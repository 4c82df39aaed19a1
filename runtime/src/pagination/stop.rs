//! When a run ends, for every kind of pagination in one place: the
//! signals a response carries (`more`, `done`, `total`) and the empty- and
//! short-page heuristics. The kinds only say where a next page would
//! start; whether it is fetched is decided here.

use patchbay_compiler::plan::StopPlan;
use serde_json::Value;

use super::Fetched;
use crate::token::at_path;

/// Whether the run ends after `page`, a stop condition of `plan` holding.
/// `limit` is the resolved page size; `covered` is how many records the
/// run has gone past once the next page would start (the kind's count,
/// compared with `total`).
pub(super) fn ends(plan: &StopPlan, page: &Fetched<'_>, limit: Option<u32>, covered: u64) -> bool {
    if let Some(path) = &plan.more
        && at_path(page.body, path) != Some(&Value::Bool(true))
    {
        return true;
    }
    if let Some(path) = &plan.done
        && at_path(page.body, path) == Some(&Value::Bool(true))
    {
        return true;
    }
    if let Some(path) = &plan.total
        && total_at(page.body, path).is_some_and(|total| covered >= total)
    {
        return true;
    }
    if plan.empty_page.value && page.count == 0 {
        return true;
    }
    plan.short_page.value && limit.is_some_and(|limit| page.count < limit as usize)
}

/// What a declared signal says about records still to come, asked when
/// the kind found no next position after `page`: `Some` naming the signal
/// when `more` reads `true` or a given `total` is not reached, and no stop
/// condition holds (a `done` of `true` wins). `done` alone is never such a
/// signal: it only marks the end, and an absent or `false` one promises no
/// next page. `covered` is the records received so far.
pub(super) fn unfinished(
    plan: &StopPlan,
    page: &Fetched<'_>,
    limit: Option<u32>,
    covered: u64,
) -> Option<String> {
    if ends(plan, page, limit, covered) {
        return None;
    }
    // Not ending with `more` declared means it reads `true`.
    if let Some(path) = &plan.more {
        return Some(format!("`{path}` is true"));
    }
    let path = plan.total.as_ref()?;
    let total = total_at(page.body, path)?;
    Some(format!(
        "`{path}` is {total} and {covered} records were read"
    ))
}

/// The total at `path`: a whole number, or a string holding one (some
/// APIs quote large counts). Anything else counts as not given, so the
/// run goes on as far as the kind's own end.
fn total_at(body: &Value, path: &str) -> Option<u64> {
    match at_path(body, path)? {
        Value::Number(n) => n
            .as_u64()
            .or_else(|| n.as_f64().filter(|f| *f >= 0.0).map(|f| f.ceil() as u64)),
        Value::String(text) => text.trim().parse().ok(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_compiler::plan::{EntrySource, Sourced};
    use serde_json::json;

    fn plan(
        more: Option<&str>,
        done: Option<&str>,
        total: Option<&str>,
        heuristics: bool,
    ) -> StopPlan {
        let flag = |value| Sourced {
            value,
            provenance: EntrySource::Default,
        };
        StopPlan {
            more: more.map(str::to_owned),
            done: done.map(str::to_owned),
            total: total.map(str::to_owned),
            empty_page: flag(heuristics),
            short_page: flag(heuristics),
        }
    }

    fn ends_with(plan: &StopPlan, body: Value, count: usize, covered: u64) -> bool {
        let response = crate::http::Response::new(
            200,
            reqwest::header::HeaderMap::new(),
            url::Url::parse("https://api.example.com/items").unwrap(),
            bytes::Bytes::new(),
        );
        let page = Fetched {
            body: &body,
            response: &response,
            records: &[],
            count,
        };
        ends(plan, &page, Some(2), covered)
    }

    #[test]
    fn more_goes_on_only_while_true() {
        let more = plan(Some("/has_more"), None, None, false);
        assert!(!ends_with(&more, json!({"has_more": true}), 0, 0));
        assert!(ends_with(&more, json!({"has_more": false}), 2, 2));
        assert!(ends_with(&more, json!({}), 2, 2), "absent ends");
        assert!(
            ends_with(&more, json!({"has_more": "true"}), 2, 2),
            "not a boolean"
        );
    }

    #[test]
    fn done_ends_only_when_true() {
        let done = plan(None, Some("/end_of_stream"), None, false);
        assert!(ends_with(&done, json!({"end_of_stream": true}), 2, 2));
        assert!(!ends_with(&done, json!({"end_of_stream": false}), 2, 2));
        assert!(!ends_with(&done, json!({}), 0, 0), "absent: not done");
    }

    #[test]
    fn total_ends_once_reached() {
        let total = plan(None, None, Some("/total"), false);
        assert!(!ends_with(&total, json!({"total": 5}), 2, 4));
        assert!(ends_with(&total, json!({"total": 5}), 2, 5));
        assert!(
            ends_with(&total, json!({"total": "5"}), 2, 6),
            "a quoted count"
        );
        assert!(!ends_with(&total, json!({}), 2, 600), "absent: not reached");
    }

    fn unfinished_with(plan: &StopPlan, body: Value, covered: u64) -> Option<String> {
        let response = crate::http::Response::new(
            200,
            reqwest::header::HeaderMap::new(),
            url::Url::parse("https://api.example.com/items").unwrap(),
            bytes::Bytes::new(),
        );
        let page = Fetched {
            body: &body,
            response: &response,
            records: &[],
            count: 0,
        };
        unfinished(plan, &page, Some(2), covered)
    }

    #[test]
    fn unfinished_only_when_more_is_true_or_a_given_total_is_not_reached() {
        let more = plan(Some("/has_more"), Some("/done"), None, false);
        assert_eq!(
            unfinished_with(&more, json!({"has_more": true}), 0).as_deref(),
            Some("`/has_more` is true")
        );
        assert_eq!(unfinished_with(&more, json!({"has_more": false}), 0), None);
        assert_eq!(
            unfinished_with(&more, json!({"has_more": true, "done": true}), 0),
            None,
            "done wins"
        );
        let done = plan(None, Some("/done"), None, false);
        assert_eq!(unfinished_with(&done, json!({"done": false}), 0), None);
        assert_eq!(unfinished_with(&done, json!({}), 0), None);
        let total = plan(None, None, Some("/total"), false);
        assert_eq!(
            unfinished_with(&total, json!({"total": 5}), 2).as_deref(),
            Some("`/total` is 5 and 2 records were read")
        );
        assert_eq!(unfinished_with(&total, json!({"total": 5}), 5), None);
        assert_eq!(unfinished_with(&total, json!({}), 2), None);
        let heuristics = plan(Some("/has_more"), None, None, true);
        assert_eq!(
            unfinished_with(&heuristics, json!({"has_more": true}), 0),
            None,
            "an empty page the pagination says ends the run"
        );
    }

    #[test]
    fn heuristics_end_at_empty_and_short_pages_only_when_on() {
        let on = plan(None, None, None, true);
        assert!(ends_with(&on, json!({}), 0, 0));
        assert!(
            ends_with(&on, json!({}), 1, 1),
            "shorter than the limit of 2"
        );
        assert!(!ends_with(&on, json!({}), 2, 2));
        let off = plan(None, None, None, false);
        assert!(!ends_with(&off, json!({}), 0, 0));
        assert!(!ends_with(&off, json!({}), 1, 1));
    }
}
