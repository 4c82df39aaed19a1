//! Entries and bodies: merging the author's entries into the defaults,
//! default content types, and the variables a request needs.

use std::collections::BTreeSet;

use patchbay_schema::catalog::{EntryPlace, EntryValue as AuthorEntry, OAUTH1_VARIABLES};
use patchbay_schema::{Body, Entry, HttpMethod, Part};
use serde_json::Value;

use super::{Templates, sourced};
use crate::plan::*;

/// Merges the author's entries into the defaults of one place: an entry of
/// the same name replaces the default where it stands, `false` removes it,
/// a new name is appended.
pub(super) fn merge(
    place: EntryPlace,
    mut entries: Vec<PlanEntry>,
    author: &[(&str, AuthorEntry<'_>)],
) -> Vec<PlanEntry> {
    // An author's names are unique in their table (lint refuses headers
    // that differ only in case), so only the defaults need searching: the
    // merge costs the entries times the few defaults, not entries squared.
    let mut defaults = entries.len();
    for (name, value) in author {
        let position = entries[..defaults]
            .iter()
            .position(|e| place.same_name(&e.name, name));
        let template = match value {
            AuthorEntry::Entry(Entry::Template(text)) => written_value(text),
            AuthorEntry::Entry(Entry::Remove) | AuthorEntry::Json(Value::Bool(false)) => {
                if let Some(position) = position {
                    entries.remove(position);
                    defaults -= 1;
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

pub(super) fn json_fields(
    defaults: Vec<PlanEntry>,
    author: &[(&str, AuthorEntry<'_>)],
) -> Vec<JsonField> {
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
    let mut defaults = fields.len();
    for (name, value) in author {
        let AuthorEntry::Json(value) = value else {
            continue;
        };
        // As in `merge`: only the defaults can share an author's name.
        let position = fields[..defaults].iter().position(|f| f.name == *name);
        if **value == Value::Bool(false) {
            if let Some(position) = position {
                fields.remove(position);
                defaults -= 1;
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
pub(super) fn written_value(text: &str) -> EntryValue {
    if text.contains("{{") || text.contains("{%") || text.contains("{#") {
        EntryValue::Template(text.to_owned())
    } else {
        EntryValue::Literal(text.to_owned())
    }
}

pub(super) const FORM: &str = "application/x-www-form-urlencoded";
pub(super) const JSON: &str = "application/json";
const TEXT: &str = "text/plain";
/// The runtime adds `; boundary=…` when it writes the body.
const MULTIPART: &str = "multipart/form-data";
/// A file body's, unless the spec or the caller gives one.
const OCTET_STREAM: &str = "application/octet-stream";

/// Sets the default `Content-Type` of a body, unless the spec wrote one.
pub(super) fn set_content_type(headers: &mut Vec<PlanEntry>, content_type: &str) {
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

/// A body written whole (endpoint bodies, or auth bodies that replace the
/// defaults), with its default `Content-Type`.
pub(super) fn body_plan(body: &Body, headers: &mut Vec<PlanEntry>) -> Option<BodyPlan> {
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
        Body::File { name, content_type } => {
            set_content_type(headers, OCTET_STREAM);
            BodyPlan::File {
                name: name.clone(),
                content_type: content_type.as_deref().map(written_value),
            }
        }
        Body::Multipart { parts } => {
            set_content_type(headers, MULTIPART);
            BodyPlan::Multipart {
                parts: parts
                    .iter()
                    .map(|(name, part)| match part {
                        Part::Text(text) => PartPlan::Text {
                            name: name.clone(),
                            value: written_value(text),
                        },
                        Part::File(file) => PartPlan::File {
                            name: name.clone(),
                            filename: file.filename.as_deref().map(written_value),
                            content_type: file.content_type.as_deref().map(written_value),
                            required: sourced(file.required, true),
                        },
                    })
                    .collect(),
            }
        }
    })
}

pub(super) fn request_plan(
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
            EntryValue::Computed(ComputedValue::UserBasicAuth { username, password }) => {
                add_text(username, &mut variables);
                add_text(password, &mut variables);
            }
            EntryValue::Computed(ComputedValue::OAuth1Signature { realm, .. }) => {
                variables.extend(OAUTH1_VARIABLES.iter().map(|v| v.name.to_owned()));
                if let Some(realm) = realm {
                    add_text(realm, &mut variables);
                }
            }
            EntryValue::Computed(ComputedValue::JwtAssertion(assertion)) => {
                variables.insert(assertion.key.clone());
                for claim in &assertion.claims {
                    add_text(&claim.template, &mut variables);
                }
                if let Some(key_id) = &assertion.key_id {
                    add_text(key_id, &mut variables);
                }
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
        Some(BodyPlan::File {
            content_type: Some(EntryValue::Template(text)),
            ..
        }) => strings.push(text.as_str()),
        Some(BodyPlan::File { .. }) => {}
        Some(BodyPlan::Multipart { parts }) => {
            for part in parts {
                let values = match part {
                    PartPlan::Text { value, .. } => vec![Some(value)],
                    PartPlan::File {
                        filename,
                        content_type,
                        ..
                    } => vec![filename.as_ref(), content_type.as_ref()],
                };
                for value in values.into_iter().flatten() {
                    if let EntryValue::Template(text) = value {
                        strings.push(text.as_str());
                    }
                }
            }
        }
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
        retry: None,
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
