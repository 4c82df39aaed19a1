//! Which names an auth method's requests use, and so which of its default
//! variables are still inputs: one answer for lint (PB105) and for the
//! inputs the compiler lists in a plan.
//!
//! A method's requests are its own (authorize, token, refresh, revoke) with
//! the defaults the author kept, and every endpoint enabled for it with the
//! credential applied.

use std::collections::BTreeSet;

use crate::catalog::{self, AuthPart, DefaultValue, EntryPlace, Overrides};
use crate::model::{AuthMethod, Body, Endpoint, Entry, Part, Spec};

/// Every name the templates of a method's requests use: variables, runtime
/// values and captured fields alike. `names` returns the names one template
/// uses (the compiler passes its cache of parsed templates; an invalid
/// template uses none).
pub fn names_used(
    spec: &Spec,
    key: &str,
    method: &AuthMethod,
    names: &mut dyn FnMut(&str) -> Vec<String>,
) -> BTreeSet<String> {
    let mut used = Used {
        names: BTreeSet::new(),
        names_of: names,
    };
    for part in catalog::parts(method) {
        if part == AuthPart::Apply {
            continue;
        }
        if let Some(url) = catalog::url(method, part) {
            used.text(url.template);
        }
        let overrides = catalog::overrides(method, part);
        for entry in catalog::default_entries(method, part) {
            if default_is_kept(&overrides, entry.place, &entry.name) {
                used.value(&entry.value);
            }
        }
        for entries in [overrides.query, overrides.headers].into_iter().flatten() {
            entries.values().for_each(|entry| used.entry(entry));
        }
        if let Some(body) = overrides.body {
            used.body(body);
        }
        if part == AuthPart::Discover
            && let Some(matches) = method.discover().and_then(|d| d.matches.as_ref())
        {
            used.text(&matches.equals);
        }
    }
    let applied = catalog::default_entries(method, AuthPart::Apply);
    // The connector-wide `[request]` entries go on every endpoint request.
    if let Some(request) = spec.request.as_ref()
        && spec.endpoints.values().any(|e| is_enabled(e, key))
    {
        request
            .query
            .values()
            .chain(request.headers.values())
            .for_each(|text| used.text(text));
    }
    for endpoint in spec.endpoints.values().filter(|e| is_enabled(e, key)) {
        used.text(&endpoint.url);
        endpoint
            .query
            .values()
            .chain(endpoint.headers.values())
            .for_each(|entry| used.entry(entry));
        if let Some(body) = &endpoint.body {
            used.body(body);
        }
        // A page size from a variable (`limit = "{{ page_size }}"`) uses it.
        if let Some(crate::model::PageLimit::Variable(template)) =
            endpoint.pagination.as_ref().and_then(|p| p.limit())
        {
            used.text(template);
        }
        if let Some(initial) = endpoint.incremental.as_ref().and_then(|i| i.initial()) {
            used.text(initial);
        }
        let next = endpoint.pagination.as_ref().and_then(|p| p.next());
        let resume = endpoint.incremental.as_ref().and_then(|i| i.resume());
        for other in next.into_iter().chain(resume) {
            other.url.iter().for_each(|url| used.text(url));
            other
                .query
                .iter()
                .chain(&other.headers)
                .flat_map(|entries| entries.values())
                .for_each(|entry| used.entry(entry));
            other.body.iter().for_each(|body| used.body(body));
        }
        // The credential goes on every request that does not write an entry
        // of the same name itself.
        let written = |place: EntryPlace, name: &str| {
            let entries = match place {
                EntryPlace::Query => &endpoint.query,
                EntryPlace::Header | EntryPlace::Body => &endpoint.headers,
            };
            entries.iter().any(|(written, entry)| {
                entry.template().is_some() && place.same_name(written, name)
            })
        };
        match method.apply() {
            Some(apply) => {
                for (place, entries) in [
                    (EntryPlace::Header, &apply.headers),
                    (EntryPlace::Query, &apply.query),
                ] {
                    for (name, text) in entries {
                        if !written(place, name) {
                            used.text(text);
                        }
                    }
                }
            }
            None => {
                for entry in &applied {
                    if !written(entry.place, &entry.name) {
                        used.value(&entry.value);
                    }
                }
            }
        }
    }
    used.names
}

/// Whether a default variable of a method is still one of its inputs: the
/// author overrides it, or a request uses it (`used`, from [`names_used`]).
/// A default that nothing refers to any more is dropped.
pub fn default_variable_is_live(method: &AuthMethod, name: &str, used: &BTreeSet<String>) -> bool {
    method.variables().is_some_and(|v| v.contains_key(name)) || used.contains(name)
}

/// Whether an endpoint is enabled for the method `key` (every method, when
/// it names none).
pub fn is_enabled(endpoint: &Endpoint, key: &str) -> bool {
    endpoint
        .auth
        .as_ref()
        .is_none_or(|methods| methods.iter().any(|m| m == key))
}

/// Whether a default entry survives the author's overrides: an entry of the
/// same name replaces or (`false`) removes it, and a body written whole
/// (raw text, or JSON that is not an object) replaces every default field.
fn default_is_kept(overrides: &Overrides<'_>, place: EntryPlace, name: &str) -> bool {
    let body_written_whole = match overrides.body {
        Some(Body::Raw { .. }) => true,
        Some(Body::Json { content }) => !content.is_object(),
        Some(Body::Multipart { .. } | Body::File { .. }) => true,
        Some(Body::Form { .. }) | None => false,
    };
    if place == EntryPlace::Body && body_written_whole {
        return false;
    }
    !overrides
        .entries(place)
        .iter()
        .any(|(written, _)| place.same_name(written, name))
}

/// The names found so far.
struct Used<'n> {
    names: BTreeSet<String>,
    names_of: &'n mut dyn FnMut(&str) -> Vec<String>,
}

impl Used<'_> {
    fn text(&mut self, text: &str) {
        self.names.extend((self.names_of)(text));
    }

    fn entry(&mut self, entry: &Entry) {
        if let Some(text) = entry.template() {
            self.text(text);
        }
    }

    fn value(&mut self, value: &DefaultValue) {
        match value {
            DefaultValue::Template(text) => self.text(text),
            other => self.names.extend(other.variables()),
        }
    }

    fn body(&mut self, body: &Body) {
        match body {
            Body::Form { content } => content.values().for_each(|entry| self.entry(entry)),
            Body::Json { content } => self.json(content),
            Body::Raw { content, .. } => self.text(content),
            Body::File { content_type, .. } => content_type.iter().for_each(|t| self.text(t)),
            Body::Multipart { parts } => {
                for part in parts.values() {
                    match part {
                        Part::Text(text) => self.text(text),
                        Part::File(file) => {
                            file.filename.iter().for_each(|t| self.text(t));
                            file.content_type.iter().for_each(|t| self.text(t));
                        }
                    }
                }
            }
        }
    }

    fn json(&mut self, value: &serde_json::Value) {
        match value {
            serde_json::Value::String(text) => self.text(text),
            serde_json::Value::Array(items) => items.iter().for_each(|item| self.json(item)),
            serde_json::Value::Object(members) => members.values().for_each(|item| self.json(item)),
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

    use serde_json::json;

    use super::*;
    use crate::template::referenced_names;

    fn spec(auth: serde_json::Value, endpoint: serde_json::Value) -> Spec {
        serde_json::from_value(json!({
            "format": 1,
            "connector": { "id": "shop", "name": "Shop", "version": "1.0.0" },
            "auth": { "m": auth },
            "endpoints": { "orders": endpoint },
        }))
        .unwrap()
    }

    fn live(spec: &Spec, name: &str) -> bool {
        let method = &spec.auth["m"];
        let used = names_used(spec, "m", method, &mut |text| {
            referenced_names(text).unwrap_or_default()
        });
        default_variable_is_live(method, name, &used)
    }

    #[test]
    fn a_default_replaced_by_an_entry_of_its_name_is_dropped() {
        let replaced = json!({
            "type": "oauth2_client_credentials",
            "token_url": "https://shop.example.com/token",
            "token_request": { "body": { "type": "form", "content": { "scope": "read" } } },
        });
        let orders = json!({ "url": "https://shop.example.com/orders" });
        assert!(!live(&spec(replaced.clone(), orders.clone()), "scope"));
        assert!(live(&spec(replaced.clone(), orders), "client_id"));

        let still_used = json!({
            "url": "https://shop.example.com/orders",
            "headers": { "X-Scope": "{{ scope }}" },
        });
        assert!(live(&spec(replaced, still_used), "scope"));
    }

    #[test]
    fn basic_templates_use_their_own_names_instead_of_the_defaults() {
        let zendesk = json!({
            "type": "basic",
            "username": "{{ email }}/token",
            "password": "{{ api_token }}",
        });
        let me = json!({ "url": "https://acme.zendesk.com/api/v2/users/me.json" });
        let spec = spec(zendesk, me);
        assert!(!live(&spec, "username"));
        assert!(!live(&spec, "password"));
        let used = names_used(&spec, "m", &spec.auth["m"], &mut |text| {
            referenced_names(text).unwrap_or_default()
        });
        assert!(used.contains("email") && used.contains("api_token"));
        let plain = self::spec(
            json!({ "type": "basic" }),
            json!({ "url": "https://x.example.com" }),
        );
        assert!(live(&plain, "username") && live(&plain, "password"));
    }

    #[test]
    fn a_credential_no_request_carries_is_dropped() {
        let bearer = json!({ "type": "bearer" });
        let own_header = json!({
            "url": "https://shop.example.com/orders",
            "headers": { "authorization": "Token fixed" },
        });
        assert!(!live(&spec(bearer.clone(), own_header), "token"));
        let plain = json!({ "url": "https://shop.example.com/orders" });
        assert!(live(&spec(bearer, plain), "token"));
    }
}
