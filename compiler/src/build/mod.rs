//! Spec → Plan. The spec has passed lint, so every reference resolves; this
//! module only resolves defaults and merges entries.

mod auth;
mod endpoint;
mod entries;
mod inputs;

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;
use patchbay_schema::catalog::{self, AuthPart};
use patchbay_schema::template::referenced_names;
use patchbay_schema::usage;
use patchbay_schema::{ApiKeyLocation, AuthMethod, DiscoverSelect, Spec};

use self::auth::{apply_plan, auth_request, client_plan, token_response};
use self::endpoint::endpoint_plan;
use self::inputs::inputs;
use crate::plan::*;

/// Names each template uses, each template parsed once per compile.
#[derive(Debug, Default)]
pub(super) struct Templates {
    names: HashMap<String, Vec<String>>,
}

impl Templates {
    fn names(&mut self, text: &str) -> &[String] {
        if !self.names.contains_key(text) {
            // Lint has checked every template; one that fails here uses no
            // names.
            let names = referenced_names(text).unwrap_or_default();
            self.names.insert(text.to_owned(), names);
        }
        &self.names[text]
    }
}

/// Builds the plan of a spec that lints without errors.
pub(crate) fn plan(spec: &Spec) -> Plan {
    let mut templates = Templates::default();
    let methods = spec
        .auth
        .iter()
        .map(|(key, method)| (key.clone(), method_plan(spec, key, method, &mut templates)))
        .collect();
    let connector = &spec.connector;
    Plan {
        plan_format: PLAN_FORMAT,
        connector: ConnectorInfo {
            id: connector.id.clone(),
            name: connector.name.clone(),
            version: connector.version.clone(),
            description: connector.description.clone(),
            docs_url: connector.docs_url.clone(),
            test: connector.test.clone(),
        },
        rate_limit: connector.rate_limit.as_ref().map(|r| RateLimit {
            requests: r.requests,
            per: r.per,
        }),
        methods,
    }
}

pub(super) fn sourced<T>(value: Option<T>, default: T) -> Sourced<T> {
    match value {
        Some(value) => Sourced {
            value,
            provenance: EntrySource::Spec,
        },
        None => Sourced {
            value: default,
            provenance: EntrySource::Default,
        },
    }
}

fn method_plan(
    spec: &Spec,
    key: &str,
    method: &AuthMethod,
    templates: &mut Templates,
) -> MethodPlan {
    let mut requests = MethodRequests::default();
    for part in catalog::parts(method) {
        let mut request = || auth_request(method, part, templates);
        match part {
            AuthPart::Authorize => requests.authorize = Some(request()),
            AuthPart::Token => requests.token = Some(request()),
            AuthPart::DeviceAuthorization => requests.device_authorization = Some(request()),
            AuthPart::DeviceToken => requests.device_token = Some(request()),
            AuthPart::Refresh => requests.refresh = Some(request()),
            AuthPart::Discover => requests.discover = Some(request()),
            AuthPart::Revoke => requests.revoke = Some(request()),
            AuthPart::Apply => {}
        }
    }
    let apply = apply_plan(method);
    let endpoints: IndexMap<String, EndpointPlan> = spec
        .endpoints
        .iter()
        .filter(|(_, endpoint)| usage::is_enabled(endpoint, key))
        .map(|(name, endpoint)| {
            (
                name.clone(),
                endpoint_plan(name, endpoint, &apply, spec, templates),
            )
        })
        .collect();

    let used = usage::names_used(spec, key, method, &mut |text| {
        templates.names(text).to_vec()
    });
    let endpoint_variables: BTreeSet<&str> = endpoints
        .values()
        .flat_map(|e| e.variables.iter().map(|v| v.key.as_str()))
        .collect();

    MethodPlan {
        label: method.label().unwrap_or(key).to_owned(),
        auth_type: method.auth_type().as_str().to_owned(),
        inputs: inputs(spec, method, &used, &endpoint_variables),
        client: client_plan(method),
        api_key: match method {
            AuthMethod::ApiKey(m) => Some(ApiKeyPlan {
                location: sourced(m.location, ApiKeyLocation::Header),
                name: m.name.clone(),
                prefix: sourced(m.prefix.clone(), String::new()),
            }),
            _ => None,
        },
        requests,
        token_response: token_response(method),
        authorize_captures: method
            .authorize_captures()
            .into_iter()
            .flatten()
            .map(|(name, capture)| (name.clone(), capture.param().to_owned()))
            .collect(),
        authorize_capture_patterns: method
            .authorize_captures()
            .into_iter()
            .flatten()
            .filter_map(|(name, capture)| Some((name.clone(), capture.pattern()?.to_owned())))
            .collect(),
        discovery: method.discover().map(|d| DiscoveryPlan {
            records: d.records.clone(),
            matches: d.matches.as_ref().map(|m| DiscoveryMatch {
                field: m.field.clone(),
                equals: m.equals.clone(),
            }),
            select: sourced(d.select, DiscoverSelect::Only),
            label: d.label.clone(),
            capture: d.capture.clone(),
        }),
        apply,
        endpoints,
    }
}
