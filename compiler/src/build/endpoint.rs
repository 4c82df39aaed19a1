//! Endpoint requests: the author's request with the credential applied,
//! how the response is read and how pages are fetched.

use indexmap::IndexMap;
use patchbay_schema::catalog::EntryPlace;
use patchbay_schema::{
    Direction, Endpoint, Entry, HttpMethod, Pagination, RequestOverride, ResponseType,
};

use super::entries::{body_plan, request_plan, written_value};
use super::inputs::input;
use super::{Templates, sourced};
use crate::plan::*;

/// Adds applied entries, unless the spec wrote an entry of the same name
/// (the author's explicit entry wins).
fn add_applied(place: EntryPlace, target: &mut Vec<PlanEntry>, applied: &[PlanEntry]) {
    for entry in applied {
        if !target.iter().any(|e| place.same_name(&e.name, &entry.name)) {
            target.push(entry.clone());
        }
    }
}

/// An endpoint's request with the credential applied, its fields replaced
/// by those an override gives (`pagination.next`): whole fields are
/// replaced, not merged, and the applied entries are added either way.
pub(super) fn endpoint_request(
    endpoint: &Endpoint,
    over: Option<&RequestOverride>,
    apply: &ApplyPlan,
    templates: &mut Templates,
) -> RequestPlan {
    let spec_entries = |map: &IndexMap<String, Entry>| -> Vec<PlanEntry> {
        map.iter()
            .filter_map(|(name, entry)| {
                Some(PlanEntry {
                    name: name.clone(),
                    value: written_value(entry.template()?),
                    omit_if_empty: false,
                    provenance: EntrySource::Spec,
                })
            })
            .collect()
    };
    let over = over.cloned().unwrap_or_default();
    let mut query = spec_entries(over.query.as_ref().unwrap_or(&endpoint.query));
    let mut headers = spec_entries(over.headers.as_ref().unwrap_or(&endpoint.headers));
    let body = over
        .body
        .as_ref()
        .or(endpoint.body.as_ref())
        .and_then(|body| body_plan(body, &mut headers));
    add_applied(EntryPlace::Query, &mut query, &apply.query);
    add_applied(EntryPlace::Header, &mut headers, &apply.headers);
    let url = over.url.as_ref().unwrap_or(&endpoint.url);
    request_plan(
        sourced(over.method.or(endpoint.method), HttpMethod::Get),
        sourced(Some(url.clone()), String::new()),
        query,
        headers,
        body,
        templates,
    )
}

pub(super) fn endpoint_plan(
    key: &str,
    endpoint: &Endpoint,
    apply: &ApplyPlan,
    templates: &mut Templates,
) -> EndpointPlan {
    let request = endpoint_request(endpoint, None, apply, templates);
    let receives = matches!(
        request.method.value,
        HttpMethod::Get | HttpMethod::Head | HttpMethod::Options
    );
    let direction = sourced(
        endpoint.direction,
        if receives {
            Direction::Receive
        } else {
            Direction::Send
        },
    );
    let response = endpoint.response.clone().unwrap_or_default();
    let mut next_request = |over: &Option<RequestOverride>| {
        over.as_ref()
            .map(|over| Box::new(endpoint_request(endpoint, Some(over), apply, templates)))
    };
    EndpointPlan {
        label: endpoint.label.clone().unwrap_or_else(|| key.to_owned()),
        description: endpoint.description.clone(),
        entity: endpoint.entity.clone(),
        direction,
        variables: endpoint
            .variables
            .iter()
            .map(|(name, variable)| input(name, variable, None, InputSource::Endpoint))
            .collect(),
        pagination: pagination_plan(endpoint.pagination.as_ref(), &mut next_request),
        request,
        response: ResponsePlan {
            kind: sourced(response.kind, ResponseType::Json),
            records: response.records,
            max_bytes: sourced(response.max_bytes, DEFAULT_MAX_RESPONSE_BYTES),
        },
    }
}

fn page_size(limit_param: &Option<String>, limit: Option<u32>) -> Option<PageSize> {
    (limit_param.is_some() || limit.is_some()).then(|| PageSize {
        param: limit_param.clone(),
        limit,
    })
}

fn pagination_plan(
    pagination: Option<&Pagination>,
    next_request: &mut dyn FnMut(&Option<RequestOverride>) -> Option<Box<RequestPlan>>,
) -> PaginationPlan {
    match pagination {
        None | Some(Pagination::None {}) => PaginationPlan::None,
        Some(Pagination::PageNumber {
            param,
            start,
            limit_param,
            limit,
            next,
            max_pages,
        }) => PaginationPlan::PageNumber {
            param: param.clone(),
            start: sourced(*start, 1),
            page_size: page_size(limit_param, *limit),
            next: next_request(next),
            max_pages: *max_pages,
        },
        Some(Pagination::Offset {
            param,
            limit_param,
            limit,
            next,
            max_pages,
        }) => PaginationPlan::Offset {
            param: param.clone(),
            page_size: page_size(limit_param, *limit),
            next: next_request(next),
            max_pages: *max_pages,
        },
        Some(Pagination::Cursor {
            param,
            path,
            limit_param,
            limit,
            next,
            max_pages,
        }) => PaginationPlan::Cursor {
            param: param.clone(),
            path: path.clone(),
            page_size: page_size(limit_param, *limit),
            next: next_request(next),
            max_pages: *max_pages,
        },
        Some(Pagination::NextUrl { path, max_pages }) => PaginationPlan::NextUrl {
            path: path.clone(),
            max_pages: *max_pages,
        },
        Some(Pagination::LinkHeader { rel, max_pages }) => PaginationPlan::LinkHeader {
            rel: sourced(rel.clone(), "next".to_owned()),
            max_pages: *max_pages,
        },
    }
}
