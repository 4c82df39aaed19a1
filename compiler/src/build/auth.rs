//! The requests an auth method makes (authorize, token, refresh, revoke),
//! its OAuth client settings, token response and applied credential.

use indexmap::IndexMap;
use patchbay_schema::catalog::{self, AuthPart, DefaultEntry, DefaultValue, EntryPlace};
use patchbay_schema::{AuthMethod, BasicEncoding, Body, ClientAuth, ClientType, HttpMethod, Pkce};
use serde_json::Value;

use super::entries::{
    FORM, JSON, body_plan, json_fields, merge, request_plan, set_content_type, written_value,
};
use super::{Templates, sourced};
use crate::plan::*;

pub(super) fn client_plan(method: &AuthMethod) -> Option<ClientPlan> {
    let oauth = method.oauth()?;
    let (client_type, pkce) = match method {
        AuthMethod::OAuth2AuthorizationCode(m) => (
            sourced(m.client_type, ClientType::Confidential),
            Some(sourced(m.pkce, Pkce::S256)),
        ),
        _ => (sourced(None, ClientType::Confidential), None),
    };
    let authentication = match (method, client_type.value) {
        // The grant's assertion identifies a service account: no client
        // authentication unless the spec asks for one.
        (AuthMethod::OAuth2JwtBearer(_), _) => oauth.client_auth.map(|a| sourced(Some(a), a)),
        (_, ClientType::Confidential) => Some(sourced(
            oauth.client_auth,
            catalog::default_client_auth(method.auth_type()),
        )),
        (_, ClientType::Public) => None,
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
        DefaultValue::UserBasicAuth { username, password } => {
            EntryValue::Computed(ComputedValue::UserBasicAuth {
                username: username.clone(),
                password: password.clone(),
            })
        }
        DefaultValue::OAuth1Signature {
            signature_method,
            realm,
        } => EntryValue::Computed(ComputedValue::OAuth1Signature {
            signature_method: *signature_method,
            realm: realm.clone(),
        }),
        DefaultValue::Assertion(assertion) => {
            let source = |written: bool| {
                if written {
                    EntrySource::Spec
                } else {
                    EntrySource::Default
                }
            };
            EntryValue::Computed(ComputedValue::JwtAssertion(AssertionPlan {
                algorithm: Sourced {
                    value: assertion.algorithm.0,
                    provenance: source(assertion.algorithm.1),
                },
                key: assertion.key.to_owned(),
                key_id: assertion.key_id.clone(),
                lifetime: Sourced {
                    value: assertion.lifetime.0,
                    provenance: source(assertion.lifetime.1),
                },
                claims: assertion
                    .claims
                    .iter()
                    .map(|claim| ClaimPlan {
                        name: claim.name.clone(),
                        template: claim.template.clone(),
                        omit_if_empty: claim.omit_if_empty,
                        provenance: source(claim.written),
                    })
                    .collect(),
            }))
        }
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

pub(super) fn auth_request(
    method: &AuthMethod,
    part: AuthPart,
    templates: &mut Templates,
) -> RequestPlan {
    let defaults = catalog::default_entries(method, part);
    let overrides = catalog::overrides(method, part);
    // The discovery request's defaults are the applied credential.
    let provenance = match part {
        AuthPart::Discover => EntrySource::Apply,
        _ => EntrySource::Default,
    };
    let of_place = |place: EntryPlace| -> Vec<PlanEntry> {
        defaults
            .iter()
            .filter(|d| d.place == place)
            .map(|d| default_entry(d, method, provenance))
            .collect()
    };
    let http_method = match (method, part) {
        (_, AuthPart::Discover) => {
            sourced(method.discover().and_then(|d| d.method), HttpMethod::Get)
        }
        (AuthMethod::TokenRequest(m), _) => sourced(m.token_request.method, HttpMethod::Post),
        (_, AuthPart::Revoke) => sourced(
            method
                .oauth()
                .and_then(|o| o.revoke_request.as_ref())
                .and_then(|r| r.method),
            HttpMethod::Post,
        ),
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

/// What the method adds to endpoint requests: the author's `apply`, or the
/// type's default.
pub(super) fn apply_plan(method: &AuthMethod) -> ApplyPlan {
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

pub(super) fn token_response(method: &AuthMethod) -> Option<TokenResponsePlan> {
    if !method.auth_type().acquires_token() {
        return None;
    }
    let written = method.token_response().cloned().unwrap_or_default();
    let is_oauth = !matches!(method, AuthMethod::TokenRequest(_));
    // `expires_at` replaces the default `expires_in`; a token that is the
    // whole body (`access_token = ""`) leaves nothing else to read.
    let whole_body = written.access_token.as_deref() == Some("");
    let expires_in = match (&written.expires_in, &written.expires_at) {
        (Some(path), _) => Some(sourced(Some(path.clone()), String::new())),
        (None, Some(_)) => None,
        (None, None) if whole_body => None,
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
