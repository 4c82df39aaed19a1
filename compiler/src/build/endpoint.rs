//! Endpoint requests: the author's request with the credential applied,
//! how the response is read and how pages are fetched.

use indexmap::IndexMap;
use patchbay_schema::catalog::{EntryPlace, EntryValue as AuthorEntry};
use patchbay_schema::{
    ApiErrors, Boundary, ConnectorRequest, Direction, Endpoint, Entry, HttpMethod, Incremental,
    OffsetStep, PageLimit, Pagination, RequestOverride, ResponseErrors, ResponseType, Spec,
};

use super::entries::{body_plan, merge, request_plan, written_value};
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
/// replaced, not merged, and the connector-wide entries and the applied
/// entries are added either way. The endpoint's (or override's) entries
/// replace connector-wide entries of the same name, and `false` removes
/// one.
pub(super) fn endpoint_request(
    endpoint: &Endpoint,
    over: Option<&RequestOverride>,
    apply: &ApplyPlan,
    connector: Option<&ConnectorRequest>,
    templates: &mut Templates,
) -> RequestPlan {
    let spec_entries = |place: EntryPlace,
                        shared: Option<&IndexMap<String, String>>,
                        map: &IndexMap<String, Entry>|
     -> Vec<PlanEntry> {
        let shared = shared
            .into_iter()
            .flatten()
            .map(|(name, text)| PlanEntry {
                name: name.clone(),
                value: written_value(text),
                omit_if_empty: false,
                provenance: EntrySource::Connector,
            })
            .collect();
        let author: Vec<_> = map
            .iter()
            .map(|(name, entry)| (name.as_str(), AuthorEntry::Entry(entry)))
            .collect();
        merge(place, shared, &author)
    };
    let over = over.cloned().unwrap_or_default();
    let mut query = spec_entries(
        EntryPlace::Query,
        connector.map(|c| &c.query),
        over.query.as_ref().unwrap_or(&endpoint.query),
    );
    let mut headers = spec_entries(
        EntryPlace::Header,
        connector.map(|c| &c.headers),
        over.headers.as_ref().unwrap_or(&endpoint.headers),
    );
    let body = over
        .body
        .as_ref()
        .or(endpoint.body.as_ref())
        .and_then(|body| body_plan(body, &mut headers));
    add_applied(EntryPlace::Query, &mut query, &apply.query);
    add_applied(EntryPlace::Header, &mut headers, &apply.headers);
    let url = over.url.as_ref().unwrap_or(&endpoint.url);
    let mut request = request_plan(
        sourced(over.method.or(endpoint.method), HttpMethod::Get),
        sourced(Some(url.clone()), String::new()),
        query,
        headers,
        body,
        templates,
    );
    request.retry = retry_policy(endpoint, &request);
    request
}

/// A `POST` or `PATCH` that writes is not sent again once the server may
/// have acted on it, unless it carries an idempotency key; other methods
/// are idempotent (RFC 9110 §9.2.2) and have no policy in the plan.
fn retry_policy(endpoint: &Endpoint, request: &RequestPlan) -> Option<Sourced<RetryPolicy>> {
    if !matches!(request.method.value, HttpMethod::Post | HttpMethod::Patch) {
        return None;
    }
    let keyed = request.variables.iter().any(|name| name == "request");
    let reads = endpoint.direction == Some(Direction::Receive);
    Some(if keyed || reads {
        Sourced {
            value: RetryPolicy::AnyFailure,
            provenance: EntrySource::Spec,
        }
    } else {
        Sourced {
            value: RetryPolicy::NotAfterSending,
            provenance: EntrySource::Default,
        }
    })
}

pub(super) fn endpoint_plan(
    key: &str,
    endpoint: &Endpoint,
    apply: &ApplyPlan,
    spec: &Spec,
    templates: &mut Templates,
) -> EndpointPlan {
    let connector_variables = &spec.variables;
    let connector_errors = spec.errors.as_ref();
    let connector = spec.request.as_ref();
    let request = endpoint_request(endpoint, None, apply, connector, templates);
    let direction = sourced(endpoint.direction, endpoint.default_direction());
    let response = endpoint.response.clone().unwrap_or_default();
    let maximum_of = |name: &str| {
        endpoint
            .variables
            .get(name)
            .or_else(|| connector_variables.get(name))
            .and_then(|variable| variable.maximum.clone())
    };
    let mut override_request = |over: &Option<RequestOverride>| {
        over.as_ref().map(|over| {
            Box::new(endpoint_request(
                endpoint,
                Some(over),
                apply,
                connector,
                templates,
            ))
        })
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
        pagination: pagination_plan(
            endpoint.pagination.as_ref(),
            &maximum_of,
            &mut override_request,
        ),
        incremental: endpoint
            .incremental
            .as_ref()
            .map(|incremental| incremental_plan(incremental, &mut override_request)),
        request,
        rate_limit: endpoint.rate_limit.as_ref().map(|r| RateLimit {
            requests: r.requests,
            per: r.per,
        }),
        response: ResponsePlan {
            kind: sourced(response.kind, ResponseType::Json),
            records: response.records,
            max_bytes: sourced(response.max_bytes, DEFAULT_MAX_RESPONSE_BYTES),
            errors: match &response.errors {
                Some(ResponseErrors::Off) => None,
                Some(ResponseErrors::Declared(errors)) => Some(Sourced {
                    value: errors_plan(errors),
                    provenance: EntrySource::Spec,
                }),
                None => connector_errors.map(|errors| Sourced {
                    value: errors_plan(errors),
                    provenance: EntrySource::Connector,
                }),
            },
        },
    }
}

/// `request_of` builds the request an override (`resume`) describes.
fn incremental_plan(
    incremental: &Incremental,
    request_of: &mut dyn FnMut(&Option<RequestOverride>) -> Option<Box<RequestPlan>>,
) -> IncrementalPlan {
    let source = match incremental {
        Incremental::Max {
            field,
            field_type,
            boundary,
            ..
        } => CheckpointSource::Max {
            field: field.clone(),
            field_type: *field_type,
            boundary: sourced(*boundary, Boundary::Inclusive),
        },
        Incremental::LastValue { path, .. } => CheckpointSource::LastValue { path: path.clone() },
    };
    IncrementalPlan {
        source,
        initial: incremental.initial().map(written_value),
        resume: request_of(&incremental.resume().cloned()),
    }
}

/// An error declaration with its message path resolved: the code's, else
/// the failure's own path.
fn errors_plan(errors: &ApiErrors) -> ErrorsPlan {
    ErrorsPlan {
        path: errors.path.clone(),
        equals: errors.equals.clone(),
        code: errors.code.clone(),
        message: sourced(
            errors.message.clone(),
            errors.code.clone().unwrap_or_else(|| errors.path.clone()),
        ),
        retry: errors.retry.clone(),
        reauth: errors.reauth.clone(),
    }
}

fn page_size(
    limit_param: &Option<String>,
    limit: Option<&PageLimit>,
    maximum_of: &dyn Fn(&str) -> Option<serde_json::Number>,
) -> Option<PageSize> {
    let limit = limit.map(|limit| match limit {
        PageLimit::Fixed(n) => PageLimitPlan::Literal(*n),
        PageLimit::Variable(_) => {
            // Lint (PB607) guarantees the template is exactly `{{ name }}`.
            let name = limit.variable().unwrap_or_default().to_owned();
            let maximum = maximum_of(&name);
            PageLimitPlan::Variable { name, maximum }
        }
    });
    (limit_param.is_some() || limit.is_some()).then(|| PageSize {
        param: limit_param.clone(),
        limit,
    })
}

/// The stop conditions: the declared ones, and the empty/short-page
/// heuristics, on by default only for numbered and offset pages that
/// declare none (a token type's token decides).
fn stop_plan(pagination: &Pagination, has_limit: bool) -> StopPlan {
    let fields = pagination.stop_fields();
    let counted = matches!(
        pagination,
        Pagination::PageNumber { .. } | Pagination::Offset { .. }
    );
    let empty_page = counted && !fields.any();
    StopPlan {
        more: fields.more.map(str::to_owned),
        done: fields.done.map(str::to_owned),
        total: fields.total.map(str::to_owned),
        empty_page: sourced(None, empty_page),
        short_page: sourced(None, empty_page && has_limit),
    }
}

fn pagination_plan(
    pagination: Option<&Pagination>,
    maximum_of: &dyn Fn(&str) -> Option<serde_json::Number>,
    next_request: &mut dyn FnMut(&Option<RequestOverride>) -> Option<Box<RequestPlan>>,
) -> PaginationPlan {
    let Some(pagination) = pagination else {
        return PaginationPlan::None;
    };
    let stop = stop_plan(pagination, pagination.limit().is_some());
    match pagination {
        Pagination::None {} => PaginationPlan::None,
        Pagination::PageNumber {
            param,
            start,
            limit_param,
            limit,
            next,
            max_pages,
            ..
        } => PaginationPlan::PageNumber {
            param: param.clone(),
            start: sourced(*start, 1),
            page_size: page_size(limit_param, limit.as_ref(), maximum_of),
            next: next_request(next),
            max_pages: *max_pages,
            stop,
        },
        Pagination::Offset {
            param,
            limit_param,
            limit,
            next,
            max_pages,
            start,
            step,
            ..
        } => PaginationPlan::Offset {
            param: param.clone(),
            page_size: page_size(limit_param, limit.as_ref(), maximum_of),
            next: next_request(next),
            max_pages: *max_pages,
            start: sourced(*start, 0),
            step: sourced(*step, OffsetStep::Records),
            stop,
        },
        Pagination::Cursor {
            param,
            path,
            limit_param,
            limit,
            next,
            max_pages,
            last_record,
            ..
        } => PaginationPlan::Cursor {
            param: param.clone(),
            // Lint (PB605) guarantees exactly one of the two.
            source: match (path, last_record) {
                (_, Some(field)) => CursorSource::LastRecord(field.clone()),
                (path, None) => CursorSource::Path(path.clone().unwrap_or_default()),
            },
            page_size: page_size(limit_param, limit.as_ref(), maximum_of),
            next: next_request(next),
            max_pages: *max_pages,
            stop,
        },
        Pagination::NextUrl {
            path, max_pages, ..
        } => PaginationPlan::NextUrl {
            path: path.clone(),
            max_pages: *max_pages,
            stop,
        },
        Pagination::LinkHeader { rel, max_pages, .. } => PaginationPlan::LinkHeader {
            rel: sourced(rel.clone(), "next".to_owned()),
            max_pages: *max_pages,
            stop,
        },
    }
}
