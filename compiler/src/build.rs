//! Spec → Plan. The spec has passed lint, so every reference resolves; this
//! module only resolves defaults and merges entries.

use std::collections::{BTreeSet, HashMap};

use indexmap::IndexMap;
use patchbay_schema::catalog::{
    self, AuthPart, DefaultEntry, DefaultValue, EntryPlace, EntryValue as AuthorEntry,
    SECRET_RUNTIME_VALUES,
};
use patchbay_schema::template::referenced_names;
use patchbay_schema::usage;
use patchbay_schema::{
    ApiKeyLocation, AuthMethod, BasicEncoding, Body, ClientAuth, ClientType, Direction, Endpoint,
    Entry, HttpMethod, Pagination, Pkce, ResponseType, Spec, Variable, VariableType,
};
use serde_json::Value;

use crate::plan::*;

/// Names each template uses, each template parsed once per compile.
#[derive(Debug, Default)]
struct Templates {
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

fn sourced<T>(value: Option<T>, default: T) -> Sourced<T> {
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
            AuthPart::Refresh => requests.refresh = Some(request()),
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
                endpoint_plan(name, endpoint, &apply, templates),
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
        authorize_captures: method.authorize_captures().cloned().unwrap_or_default(),
        apply,
        endpoints,
    }
}

/// The instance's inputs (connector variables the method's requests use,
/// its live auth variables), then the runtime values its requests use.
fn inputs(
    spec: &Spec,
    method: &AuthMethod,
    used: &BTreeSet<String>,
    per_call: &BTreeSet<&str>,
) -> Vec<Input> {
    let mut inputs: Vec<Input> = spec
        .variables
        .iter()
        .filter(|(name, _)| used.contains(name.as_str()))
        .map(|(name, variable)| input(name, variable, None, InputSource::Connector))
        .collect();
    let overrides = method.variables();
    for default in catalog::default_variables(method) {
        if !usage::default_variable_is_live(method, default.name, used) {
            continue;
        }
        let overridden = overrides.and_then(|o| o.get(default.name));
        let base = Variable {
            label: Some(default.label.to_owned()),
            required: Some(default.required),
            ..Variable::of_type(default.kind)
        };
        let merged = overridden.map_or(base.clone(), |o| merge_override(&base, o));
        inputs.push(input(default.name, &merged, None, InputSource::AuthDefault));
    }
    for (name, variable) in overrides.into_iter().flatten() {
        if !inputs.iter().any(|i| &i.key == name) {
            inputs.push(input(name, variable, None, InputSource::Auth));
        }
    }
    let declared: BTreeSet<String> = inputs.iter().map(|i| i.key.clone()).collect();
    for name in used {
        if !declared.contains(name) && !per_call.contains(name.as_str()) {
            inputs.push(runtime_input(name, method));
        }
    }
    inputs
}

/// An override changes only the fields it writes.
fn merge_override(base: &Variable, over: &Variable) -> Variable {
    Variable {
        label: over.label.clone().or_else(|| base.label.clone()),
        kind: over.kind.or(base.kind),
        required: over.required.or(base.required),
        default: over.default.clone().or_else(|| base.default.clone()),
        visible: over.visible.or(base.visible),
        advanced: over.advanced.or(base.advanced),
        description: over
            .description
            .clone()
            .or_else(|| base.description.clone()),
        placeholder: over
            .placeholder
            .clone()
            .or_else(|| base.placeholder.clone()),
        pattern: over.pattern.clone().or_else(|| base.pattern.clone()),
        options: over.options.clone().or_else(|| base.options.clone()),
    }
}

fn input(key: &str, variable: &Variable, label: Option<&str>, provenance: InputSource) -> Input {
    let kind = variable.kind.unwrap_or(VariableType::String);
    let secret = kind == VariableType::Secret;
    Input {
        key: key.to_owned(),
        label: variable
            .label
            .as_deref()
            .or(label)
            .unwrap_or(key)
            .to_owned(),
        kind,
        required: variable.required.unwrap_or(false),
        secret,
        // Lint forbids secret defaults; never copy one into a plan anyway.
        default: if secret {
            None
        } else {
            variable.default.clone()
        },
        visible: variable.visible.unwrap_or(true),
        advanced: variable.advanced.unwrap_or(false),
        description: variable.description.clone(),
        placeholder: variable.placeholder.clone(),
        pattern: variable.pattern.clone(),
        options: variable.options.clone(),
        provenance,
    }
}

fn runtime_input(name: &str, method: &AuthMethod) -> Input {
    let captured = method
        .token_response()
        .and_then(|r| r.capture.get(name))
        .map(|path| format!("captured from the token response at `{path}`"))
        .or_else(|| {
            method
                .authorize_captures()
                .and_then(|captures| captures.get(name))
                .map(|param| format!("captured from the authorization callback's `{param}`"))
        });
    let description = captured.unwrap_or_else(|| {
        match name {
            "redirect_uri" => "the callback URL of this deployment",
            "state" => "a fresh random value per login attempt, checked on the callback",
            "code" => "the authorization code from the callback",
            "code_verifier" => "the PKCE verifier of this login attempt (RFC 7636)",
            "code_challenge" => "the PKCE challenge of this login attempt (RFC 7636)",
            "refresh_token" => "the stored refresh token",
            "access_token" => "the current access token",
            "token" => "the token being revoked",
            "token_type_hint" => "which kind of token is revoked",
            "payload" => "the caller's payload",
            _ => "provided by the runtime",
        }
        .to_owned()
    });
    let secret = SECRET_RUNTIME_VALUES.contains(&name);
    Input {
        key: name.to_owned(),
        label: name.to_owned(),
        kind: if secret {
            VariableType::Secret
        } else {
            VariableType::String
        },
        required: false,
        secret,
        default: None,
        visible: false,
        advanced: false,
        description: Some(description),
        placeholder: None,
        pattern: None,
        options: None,
        provenance: InputSource::Runtime,
    }
}

fn client_plan(method: &AuthMethod) -> Option<ClientPlan> {
    let oauth = method.oauth()?;
    let (client_type, pkce) = match method {
        AuthMethod::OAuth2AuthorizationCode(m) => (
            sourced(m.client_type, ClientType::Confidential),
            Some(sourced(m.pkce, Pkce::S256)),
        ),
        _ => (sourced(None, ClientType::Confidential), None),
    };
    let authentication = match client_type.value {
        ClientType::Confidential => Some(sourced(
            oauth.client_auth,
            catalog::default_client_auth(method.auth_type()),
        )),
        ClientType::Public => None,
    };
    Some(ClientPlan {
        client_type,
        basic_encoding: authentication
            .as_ref()
            .filter(|a| a.value == ClientAuth::Basic)
            .map(|_| sourced(oauth.basic_encoding, BasicEncoding::Form)),
        authentication,
        pkce,
        scope_separator: sourced(oauth.scope_separator.clone(), " ".to_owned()),
    })
}

fn basic_encoding(method: &AuthMethod) -> BasicEncoding {
    method
        .oauth()
        .and_then(|o| o.basic_encoding)
        .unwrap_or(BasicEncoding::Form)
}

fn plan_value(value: &DefaultValue, method: &AuthMethod) -> EntryValue {
    match value {
        DefaultValue::Literal(text) => EntryValue::Literal((*text).to_owned()),
        DefaultValue::Template(text) => EntryValue::Template(text.clone()),
        DefaultValue::ClientBasicAuth => EntryValue::Computed(ComputedValue::ClientBasicAuth {
            encoding: basic_encoding(method),
        }),
        DefaultValue::UserBasicAuth => EntryValue::Computed(ComputedValue::UserBasicAuth),
    }
}

fn default_entry(entry: &DefaultEntry, method: &AuthMethod, provenance: EntrySource) -> PlanEntry {
    PlanEntry {
        name: entry.name.clone(),
        value: plan_value(&entry.value, method),
        omit_if_empty: entry.omit_if_empty,
        provenance,
    }
}

/// Merges the author's entries into the defaults of one place: an entry of
/// the same name replaces the default where it stands, `false` removes it,
/// a new name is appended.
fn merge(
    place: EntryPlace,
    mut entries: Vec<PlanEntry>,
    author: &[(&str, AuthorEntry<'_>)],
) -> Vec<PlanEntry> {
    for (name, value) in author {
        let position = entries.iter().position(|e| place.same_name(&e.name, name));
        let template = match value {
            AuthorEntry::Entry(Entry::Template(text)) => written_value(text),
            AuthorEntry::Entry(Entry::Remove) | AuthorEntry::Json(Value::Bool(false)) => {
                if let Some(position) = position {
                    entries.remove(position);
                }
                continue;
            }
            // JSON fields are merged by `json_fields`.
            AuthorEntry::Json(_) => continue,
        };
        let entry = PlanEntry {
            name: (*name).to_owned(),
            value: template,
            omit_if_empty: false,
            provenance: EntrySource::Spec,
        };
        match position {
            Some(position) => entries[position] = entry,
            None => entries.push(entry),
        }
    }
    entries
}

fn json_fields(defaults: Vec<PlanEntry>, author: &[(&str, AuthorEntry<'_>)]) -> Vec<JsonField> {
    let mut fields: Vec<JsonField> = defaults
        .into_iter()
        .map(|entry| JsonField {
            value: Value::String(match entry.value {
                EntryValue::Literal(text) | EntryValue::Template(text) => text,
                // Computed values are headers only.
                EntryValue::Computed(_) => String::new(),
            }),
            name: entry.name,
            omit_if_empty: entry.omit_if_empty,
            provenance: entry.provenance,
        })
        .collect();
    for (name, value) in author {
        let AuthorEntry::Json(value) = value else {
            continue;
        };
        let position = fields.iter().position(|f| f.name == *name);
        if **value == Value::Bool(false) {
            if let Some(position) = position {
                fields.remove(position);
            }
            continue;
        }
        let field = JsonField {
            name: (*name).to_owned(),
            value: (*value).clone(),
            omit_if_empty: false,
            provenance: EntrySource::Spec,
        };
        match position {
            Some(position) => fields[position] = field,
            None => fields.push(field),
        }
    }
    fields
}

/// A written value: a literal when it has no template syntax, so the plan
/// shows what is sent as is.
fn written_value(text: &str) -> EntryValue {
    if text.contains("{{") || text.contains("{%") || text.contains("{#") {
        EntryValue::Template(text.to_owned())
    } else {
        EntryValue::Literal(text.to_owned())
    }
}

const FORM: &str = "application/x-www-form-urlencoded";
const JSON: &str = "application/json";
const TEXT: &str = "text/plain";

/// Sets the default `Content-Type` of a body, unless the spec wrote one.
fn set_content_type(headers: &mut Vec<PlanEntry>, content_type: &str) {
    match headers
        .iter_mut()
        .find(|h| h.name.eq_ignore_ascii_case("Content-Type"))
    {
        Some(header) if header.provenance == EntrySource::Default => {
            header.value = EntryValue::Literal(content_type.to_owned());
        }
        Some(_) => {}
        None => headers.push(PlanEntry {
            name: "Content-Type".to_owned(),
            value: EntryValue::Literal(content_type.to_owned()),
            omit_if_empty: false,
            provenance: EntrySource::Default,
        }),
    }
}

fn auth_request(method: &AuthMethod, part: AuthPart, templates: &mut Templates) -> RequestPlan {
    let defaults = catalog::default_entries(method, part);
    let overrides = catalog::overrides(method, part);
    let of_place = |place: EntryPlace| -> Vec<PlanEntry> {
        defaults
            .iter()
            .filter(|d| d.place == place)
            .map(|d| default_entry(d, method, EntrySource::Default))
            .collect()
    };
    let http_method = match (method, part) {
        (AuthMethod::TokenRequest(m), _) => sourced(m.token_request.method, HttpMethod::Post),
        (_, AuthPart::Authorize) => sourced(None, HttpMethod::Get),
        _ => sourced(None, HttpMethod::Post),
    };
    let url = catalog::url(method, part).map_or_else(String::new, |url| url.template.to_owned());
    let query = merge(
        EntryPlace::Query,
        of_place(EntryPlace::Query),
        &overrides.entries(EntryPlace::Query),
    );
    let mut headers = merge(
        EntryPlace::Header,
        of_place(EntryPlace::Header),
        &overrides.entries(EntryPlace::Header),
    );
    let default_fields = of_place(EntryPlace::Body);
    let author_fields = overrides.entries(EntryPlace::Body);
    let body = match overrides.body {
        None if default_fields.is_empty() => None,
        None | Some(Body::Form { .. }) => {
            set_content_type(&mut headers, FORM);
            Some(BodyPlan::Form {
                fields: merge(EntryPlace::Body, default_fields, &author_fields),
            })
        }
        Some(Body::Json {
            content: Value::Object(_),
        }) => {
            set_content_type(&mut headers, JSON);
            Some(BodyPlan::JsonFields {
                fields: json_fields(default_fields, &author_fields),
            })
        }
        Some(body) => body_plan(body, &mut headers),
    };
    request_plan(
        http_method,
        sourced(Some(url), String::new()),
        query,
        headers,
        body,
        templates,
    )
}

/// A body written whole (endpoint bodies, or auth bodies that replace the
/// defaults), with its default `Content-Type`.
fn body_plan(body: &Body, headers: &mut Vec<PlanEntry>) -> Option<BodyPlan> {
    Some(match body {
        Body::Form { content } => {
            set_content_type(headers, FORM);
            BodyPlan::Form {
                fields: merge(
                    EntryPlace::Body,
                    Vec::new(),
                    &content
                        .iter()
                        .map(|(k, v)| (k.as_str(), AuthorEntry::Entry(v)))
                        .collect::<Vec<_>>(),
                ),
            }
        }
        Body::Json { content } => {
            set_content_type(headers, JSON);
            BodyPlan::Json {
                content: content.clone(),
                provenance: EntrySource::Spec,
            }
        }
        Body::Raw {
            content,
            content_type,
        } => {
            let content_type = sourced(content_type.clone(), TEXT.to_owned());
            set_content_type(headers, &content_type.value);
            BodyPlan::Raw {
                content: content.clone(),
                content_type,
            }
        }
    })
}

fn request_plan(
    method: Sourced<HttpMethod>,
    url: Sourced<String>,
    query: Vec<PlanEntry>,
    headers: Vec<PlanEntry>,
    body: Option<BodyPlan>,
    templates: &mut Templates,
) -> RequestPlan {
    let mut variables = BTreeSet::new();
    let mut add_text = |text: &str, variables: &mut BTreeSet<String>| {
        variables.extend(templates.names(text).iter().cloned());
    };
    add_text(&url.value, &mut variables);
    let body_entries = match &body {
        Some(BodyPlan::Form { fields }) => fields.as_slice(),
        _ => &[],
    };
    for entry in query.iter().chain(&headers).chain(body_entries) {
        match &entry.value {
            EntryValue::Template(text) => add_text(text, &mut variables),
            EntryValue::Literal(_) => {}
            EntryValue::Computed(ComputedValue::ClientBasicAuth { .. }) => {
                variables.extend(["client_id".to_owned(), "client_secret".to_owned()]);
            }
            EntryValue::Computed(ComputedValue::UserBasicAuth) => {
                variables.extend(["username".to_owned(), "password".to_owned()]);
            }
        }
    }
    let mut strings = Vec::new();
    match &body {
        Some(BodyPlan::JsonFields { fields }) => fields
            .iter()
            .for_each(|f| json_strings(&f.value, &mut strings)),
        Some(BodyPlan::Json { content, .. }) => json_strings(content, &mut strings),
        Some(BodyPlan::Raw { content, .. }) => strings.push(content.as_str()),
        Some(BodyPlan::Form { .. }) | None => {}
    }
    for text in strings {
        add_text(text, &mut variables);
    }
    RequestPlan {
        method,
        url,
        query,
        headers,
        body,
        variables: variables.into_iter().collect(),
    }
}

fn json_strings<'v>(value: &'v Value, out: &mut Vec<&'v str>) {
    match value {
        Value::String(text) => out.push(text),
        Value::Array(items) => items.iter().for_each(|item| json_strings(item, out)),
        Value::Object(members) => members.values().for_each(|item| json_strings(item, out)),
        _ => {}
    }
}

/// What the method adds to endpoint requests: the author's `apply`, or the
/// type's default.
fn apply_plan(method: &AuthMethod) -> ApplyPlan {
    let written = |map: &IndexMap<String, String>| -> Vec<PlanEntry> {
        map.iter()
            .map(|(name, text)| PlanEntry {
                name: name.clone(),
                value: written_value(text),
                omit_if_empty: false,
                provenance: EntrySource::Apply,
            })
            .collect()
    };
    match method.apply() {
        Some(apply) => ApplyPlan {
            headers: written(&apply.headers),
            query: written(&apply.query),
        },
        None => {
            let defaults = catalog::default_entries(method, AuthPart::Apply);
            let of_place = |place: EntryPlace| -> Vec<PlanEntry> {
                defaults
                    .iter()
                    .filter(|d| d.place == place)
                    .map(|d| default_entry(d, method, EntrySource::Apply))
                    .collect()
            };
            ApplyPlan {
                headers: of_place(EntryPlace::Header),
                query: of_place(EntryPlace::Query),
            }
        }
    }
}

/// Adds applied entries, unless the spec wrote an entry of the same name
/// (the author's explicit entry wins).
fn add_applied(place: EntryPlace, target: &mut Vec<PlanEntry>, applied: &[PlanEntry]) {
    for entry in applied {
        if !target.iter().any(|e| place.same_name(&e.name, &entry.name)) {
            target.push(entry.clone());
        }
    }
}

fn endpoint_plan(
    key: &str,
    endpoint: &Endpoint,
    apply: &ApplyPlan,
    templates: &mut Templates,
) -> EndpointPlan {
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
    let mut query = spec_entries(&endpoint.query);
    let mut headers = spec_entries(&endpoint.headers);
    let body = endpoint
        .body
        .as_ref()
        .and_then(|body| body_plan(body, &mut headers));
    add_applied(EntryPlace::Query, &mut query, &apply.query);
    add_applied(EntryPlace::Header, &mut headers, &apply.headers);
    let method = sourced(endpoint.method, HttpMethod::Get);
    let receives = matches!(
        method.value,
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
        request: request_plan(
            method,
            sourced(Some(endpoint.url.clone()), String::new()),
            query,
            headers,
            body,
            templates,
        ),
        response: ResponsePlan {
            kind: sourced(response.kind, ResponseType::Json),
            records: response.records,
        },
        pagination: pagination_plan(endpoint.pagination.as_ref()),
    }
}

fn page_size(limit_param: &Option<String>, limit: Option<u32>) -> Option<PageSize> {
    (limit_param.is_some() || limit.is_some()).then(|| PageSize {
        param: limit_param.clone(),
        limit,
    })
}

fn pagination_plan(pagination: Option<&Pagination>) -> PaginationPlan {
    match pagination {
        None | Some(Pagination::None {}) => PaginationPlan::None,
        Some(Pagination::PageNumber {
            param,
            start,
            limit_param,
            limit,
            max_pages,
        }) => PaginationPlan::PageNumber {
            param: param.clone(),
            start: sourced(*start, 1),
            page_size: page_size(limit_param, *limit),
            max_pages: *max_pages,
        },
        Some(Pagination::Offset {
            param,
            limit_param,
            limit,
            max_pages,
        }) => PaginationPlan::Offset {
            param: param.clone(),
            page_size: page_size(limit_param, *limit),
            max_pages: *max_pages,
        },
        Some(Pagination::Cursor {
            param,
            path,
            limit_param,
            limit,
            max_pages,
        }) => PaginationPlan::Cursor {
            param: param.clone(),
            path: path.clone(),
            page_size: page_size(limit_param, *limit),
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

fn token_response(method: &AuthMethod) -> Option<TokenResponsePlan> {
    if !method.auth_type().acquires_token() {
        return None;
    }
    let written = method.token_response().cloned().unwrap_or_default();
    let is_oauth = !matches!(method, AuthMethod::TokenRequest(_));
    // `expires_at` replaces the default `expires_in`.
    let expires_in = match (&written.expires_in, &written.expires_at) {
        (Some(path), _) => Some(sourced(Some(path.clone()), String::new())),
        (None, Some(_)) => None,
        (None, None) => Some(sourced(None, "expires_in".to_owned())),
    };
    Some(TokenResponsePlan {
        access_token: sourced(written.access_token, "access_token".to_owned()),
        expires_in,
        expires_at: written
            .expires_at
            .map(|path| sourced(Some(path), String::new())),
        default_expires_in: written.default_expires_in,
        refresh_token: sourced(written.refresh_token, "refresh_token".to_owned()),
        error: is_oauth.then(|| "error".to_owned()),
        capture: written.capture,
    })
}
