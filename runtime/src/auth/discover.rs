//! Values discovered after connecting: the method's `discover` request,
//! sent with a new token applied, and the entry of its answer that the
//! plan's `match` and `select` choose, whose captured fields are kept with
//! the token (Jira's cloud id, Xero's tenant id, Mailchimp's data centre).

use indexmap::IndexMap;
use patchbay_compiler::plan::{DiscoveryPlan, RequestPlan};
use patchbay_schema::DiscoverSelect;
use serde_json::Value;

use super::Auth;
use crate::error::{Error, Result};
use crate::http::Carries;
use crate::render::Context;
use crate::request::{HttpRequest, build};
use crate::secret::Redactor;
use crate::token::{Token, at_path};

/// At most this many candidates are named in a listing or an error: an
/// answer may hold thousands of entries.
pub(crate) const MAX_CANDIDATES_LISTED: usize = 20;
/// A candidate's label is cut to this many characters.
const MAX_LABEL_CHARS: usize = 80;

/// What a discovery found.
#[derive(Debug)]
pub(crate) struct Discovered {
    /// Value name → value.
    pub(crate) values: IndexMap<String, Value>,
    /// The labels of the entries chosen among, when there were several.
    pub(crate) candidates: Vec<String>,
}

impl Discovered {
    /// Keeps the values with `token`.
    pub(crate) fn store_in(self, token: &mut Token) {
        token.discovered = self.values;
        token.candidates = self.candidates;
    }
}

impl Auth<'_> {
    /// The method's discovery request and how its answer is read, if it
    /// has one.
    pub(crate) fn discovery(&self) -> Option<(&RequestPlan, &DiscoveryPlan)> {
        Some((
            self.plan.requests.discover.as_ref()?,
            self.plan.discovery.as_ref()?,
        ))
    }

    /// Whether `token` still lacks the values the method discovers.
    pub(crate) fn needs_discovery(&self, token: &Token) -> bool {
        self.discovery().is_some_and(|(_, plan)| {
            plan.capture
                .keys()
                .any(|name| !token.discovered.contains_key(name))
        })
    }

    /// The discovery request with `token` applied (its value and its
    /// captures), and the context it was rendered in.
    pub(crate) fn discovery_request(
        &self,
        plan: &RequestPlan,
        token: &Token,
    ) -> Result<(HttpRequest, Context)> {
        let mut context = self.base.clone();
        context.set(
            "access_token",
            Value::String(token.access_token.expose().to_owned()),
        );
        for (name, value) in &token.captures {
            context.set(name.clone(), value.clone());
            context.mark_url(name.clone());
        }
        let label = format!("discovery request of {}", self.describe());
        let request = build(&label, plan, self.renderer, &context)?;
        Ok((request, context))
    }

    /// Sends the discovery request with `token` applied and reads the
    /// values its answer holds. `secrets` knows the instance's secrets.
    pub(crate) async fn discover(&self, token: &Token, secrets: &Redactor) -> Result<Discovered> {
        let Some((request_plan, plan)) = self.discovery() else {
            return Ok(Discovered {
                values: IndexMap::new(),
                candidates: Vec::new(),
            });
        };
        let (request, context) = self.discovery_request(request_plan, token)?;
        let label = request.label.clone();
        let mut redactor = secrets.clone();
        redactor.add(&token.access_token);
        if let Some(refresh) = &token.refresh_token {
            redactor.add(refresh);
        }
        let response = self
            .http
            .send(&request, Carries::Credential, &redactor)
            .await?;
        if !response.is_success() {
            return Err(Error::Status {
                request: label,
                status: response.status,
                body: None,
            });
        }
        let answer = response.json().map_err(|e| Error::Response {
            request: label.clone(),
            message: format!("the answer is not JSON ({e})"),
        })?;
        // An empty value (an optional variable not given) keeps every
        // entry: `select` then decides, and lists them when there are several.
        let wanted = match &plan.matches {
            Some(matches) => Some(self.renderer.text(&matches.equals, &context).map_err(
                |message| Error::Render {
                    what: format!("{label}: `match.equals`"),
                    message,
                },
            )?),
            None => None,
        };
        let wanted = wanted.filter(|w| !w.is_empty());
        choose(plan, &answer, wanted.as_deref())
            .map_err(|message| Error::Response {
                request: label,
                message,
            })
            .map_err(|e| e.redacted(&redactor))
    }
}

/// The entries of an answer, the one the plan chooses and its values;
/// an error message otherwise, naming the candidates.
fn choose(
    plan: &DiscoveryPlan,
    answer: &Value,
    wanted: Option<&str>,
) -> Result<Discovered, String> {
    let list = match &plan.records {
        Some(path) => {
            at_path(answer, path).ok_or_else(|| format!("the answer has nothing at `{path}`"))?
        }
        None => answer,
    };
    let entries: Vec<&Value> = match list {
        Value::Array(items) => items.iter().collect(),
        Value::Object(_) => vec![list],
        other => {
            return Err(format!(
                "expected a list or an object of entries, found {}",
                kind(other)
            ));
        }
    };
    let total = entries.len();
    let left: Vec<&Value> = match (&plan.matches, wanted) {
        (Some(matches), Some(wanted)) => entries
            .iter()
            .copied()
            .filter(|entry| {
                at_path(entry, &matches.field).and_then(as_text).as_deref() == Some(wanted)
            })
            .collect(),
        _ => entries.clone(),
    };
    let filter = match (&plan.matches, wanted) {
        (Some(m), Some(_)) => format!(" whose `{}` matches the instance's value", m.field),
        _ => String::new(),
    };
    let chosen = match (plan.select.value, left.as_slice()) {
        (_, []) => {
            return Err(format!(
                "none of the {total} entries of the answer{filter}; found: {}",
                listing(plan, &entries)
            ));
        }
        (DiscoverSelect::Only, [one]) => *one,
        (DiscoverSelect::Only, several) => {
            let hint = match &plan.matches {
                Some(m) => format!(
                    "give the instance value compared with `{}` to choose one",
                    m.field
                ),
                None => "the connector needs a `match` to choose one".to_owned(),
            };
            return Err(format!(
                "{} entries{filter} where exactly one was expected; {hint}: {}",
                several.len(),
                listing(plan, several)
            ));
        }
        (DiscoverSelect::First, [first, ..]) => *first,
    };
    let mut values = IndexMap::new();
    for (name, path) in &plan.capture {
        match at_path(chosen, path) {
            Some(Value::Null) | None => {
                return Err(format!(
                    "the chosen entry ({}) has nothing at `{path}` to keep as `{name}`",
                    label(plan, chosen)
                ));
            }
            Some(value) => {
                values.insert(name.clone(), value.clone());
            }
        }
    }
    let candidates = if entries.len() > 1 {
        entries
            .iter()
            .take(MAX_CANDIDATES_LISTED)
            .map(|entry| label(plan, entry))
            .collect()
    } else {
        Vec::new()
    };
    Ok(Discovered { values, candidates })
}

/// The entries named by their labels, at most [`MAX_CANDIDATES_LISTED`].
fn listing(plan: &DiscoveryPlan, entries: &[&Value]) -> String {
    if entries.is_empty() {
        return "no entries".into();
    }
    let mut names: Vec<String> = entries
        .iter()
        .take(MAX_CANDIDATES_LISTED)
        .map(|entry| label(plan, entry))
        .collect();
    if entries.len() > MAX_CANDIDATES_LISTED {
        names.push(format!(
            "and {} more",
            entries.len() - MAX_CANDIDATES_LISTED
        ));
    }
    names.join("; ")
}

/// How an entry is named: its `label` field, else its captured fields.
fn label(plan: &DiscoveryPlan, entry: &Value) -> String {
    let text = match plan.label.as_deref().and_then(|path| at_path(entry, path)) {
        Some(value) => as_text(value).unwrap_or_else(|| value.to_string()),
        None => plan
            .capture
            .iter()
            .map(|(name, path)| {
                let value = at_path(entry, path)
                    .map(|v| as_text(v).unwrap_or_else(|| v.to_string()))
                    .unwrap_or_else(|| "(absent)".into());
                format!("{name}={value}")
            })
            .collect::<Vec<_>>()
            .join(", "),
    };
    cut(&text)
}

/// A scalar as the text a template compares it with.
fn as_text(value: &Value) -> Option<String> {
    match value {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
}

fn cut(text: &str) -> String {
    match text.char_indices().nth(MAX_LABEL_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn kind(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "a list",
        Value::Object(_) => "an object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use patchbay_compiler::plan::{DiscoveryMatch, EntrySource, Sourced};
    use serde_json::json;

    fn plan(select: DiscoverSelect, matches: Option<&str>) -> DiscoveryPlan {
        DiscoveryPlan {
            records: None,
            matches: matches.map(|field| DiscoveryMatch {
                field: field.into(),
                equals: "{{ site_url }}".into(),
            }),
            select: Sourced {
                value: select,
                provenance: EntrySource::Spec,
            },
            label: Some("name".into()),
            capture: IndexMap::from([("cloud_id".to_owned(), "id".to_owned())]),
        }
    }

    fn sites() -> Value {
        json!([
            {"id": "a1", "url": "https://a.atlassian.net", "name": "Alpha"},
            {"id": "b2", "url": "https://b.atlassian.net", "name": "Beta"}
        ])
    }

    #[test]
    fn one_object_is_one_entry() {
        let found = choose(
            &plan(DiscoverSelect::Only, None),
            &json!({"id": "x", "name": "X"}),
            None,
        )
        .unwrap();
        assert_eq!(found.values["cloud_id"], "x");
        assert!(found.candidates.is_empty());
    }

    #[test]
    fn only_refuses_several_and_lists_them() {
        let error = choose(&plan(DiscoverSelect::Only, None), &sites(), None).unwrap_err();
        assert!(error.contains("2 entries"), "{error}");
        assert!(error.contains("Alpha; Beta"), "{error}");
    }

    #[test]
    fn match_chooses_and_keeps_the_candidates() {
        let found = choose(
            &plan(DiscoverSelect::Only, Some("url")),
            &sites(),
            Some("https://b.atlassian.net"),
        )
        .unwrap();
        assert_eq!(found.values["cloud_id"], "b2");
        assert_eq!(found.candidates, ["Alpha", "Beta"]);
    }

    #[test]
    fn no_match_lists_every_entry() {
        let error = choose(
            &plan(DiscoverSelect::Only, Some("url")),
            &sites(),
            Some("https://c.atlassian.net"),
        )
        .unwrap_err();
        assert!(error.starts_with("none of the 2 entries"), "{error}");
        assert!(error.contains("Alpha; Beta"), "{error}");
    }

    #[test]
    fn first_takes_the_first() {
        let found = choose(&plan(DiscoverSelect::First, None), &sites(), None).unwrap();
        assert_eq!(found.values["cloud_id"], "a1");
    }

    #[test]
    fn listings_are_bounded() {
        let many: Vec<Value> = (0..1000)
            .map(|i| json!({"id": i, "name": "n".repeat(500)}))
            .collect();
        let error =
            choose(&plan(DiscoverSelect::Only, None), &Value::Array(many), None).unwrap_err();
        assert!(error.contains("and 980 more"), "{error}");
        assert!(error.len() < 3000, "{}", error.len());
    }

    #[test]
    fn a_missing_capture_is_an_error() {
        let error = choose(
            &plan(DiscoverSelect::Only, None),
            &json!({"name": "X"}),
            None,
        )
        .unwrap_err();
        assert!(
            error.contains("nothing at `id` to keep as `cloud_id`"),
            "{error}"
        );
    }
}
