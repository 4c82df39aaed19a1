//! Incremental reads: the [`Checkpoint`] a complete run returns, which the
//! caller passes back to the next run, and the tracker that works it out
//! while the pages of a run arrive.
//!
//! A `max` checkpoint is the largest value of a typed record field over
//! every record of every page, so records in any order give the same
//! checkpoint, and it never goes below the checkpoint the run started
//! from. A `last_value` checkpoint is a value of the response of the page
//! that ended the run. Either is kept only when the run read every page to
//! its end ([`Pages::checkpoint`](crate::Pages::checkpoint)).

use patchbay_compiler::plan::{CheckpointSource, EntryValue, IncrementalPlan};
use patchbay_schema::CheckpointType;
use patchbay_schema::value::{CheckpointKey, checkpoint_from_text};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::render::{Context, Renderer};
use crate::token::at_path;

/// Where an incremental read got to: pass it back to
/// [`Connection::pages_from`](crate::Connection::pages_from) so the next
/// run reads only what changed. It is plain data (serde), to be kept
/// wherever the caller keeps state.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Checkpoint {
    /// The value templates see as `checkpoint`.
    pub value: Value,
    /// What it was taken from (`max /updated_at (timestamp)`,
    /// `last_value /after_cursor`): a checkpoint is used only by an
    /// endpoint whose plan says the same.
    pub source: String,
}

impl Checkpoint {
    /// Why this checkpoint cannot be passed back to an endpoint with this
    /// plan, if it cannot: it was made by another version of the spec
    /// (another field, type or path). The text says what to do.
    pub fn mismatch(&self, plan: &IncrementalPlan) -> Option<String> {
        let expected = plan.source.describe();
        (self.source != expected).then(|| {
            format!(
                "the stored checkpoint was taken from `{}`, but the endpoint now keeps `{expected}`; drop the stored checkpoint to read everything once more",
                self.source
            )
        })
    }
}

/// Whether `since` may be passed to an endpoint with this incremental plan:
/// not to one without `incremental`, nor one whose plan made it
/// differently.
pub(crate) fn check_fits(
    endpoint: &str,
    plan: Option<&IncrementalPlan>,
    since: Option<&Checkpoint>,
) -> Result<()> {
    let Some(since) = since else { return Ok(()) };
    let message = match plan {
        None => Some("the endpoint has no `incremental`, so it takes no checkpoint".to_owned()),
        Some(plan) => since.mismatch(plan),
    };
    match message {
        None => Ok(()),
        Some(message) => Err(Error::Checkpoint {
            endpoint: endpoint.to_owned(),
            message,
        }),
    }
}

/// A checkpoint value read as its field type says, or an error naming
/// `what` (never the value).
fn key_of(
    kind: CheckpointType,
    value: &Value,
    what: &str,
) -> std::result::Result<CheckpointKey, String> {
    CheckpointKey::read(kind, value).map_err(|problem| format!("{what} {problem}"))
}

/// The value templates see as `checkpoint`: the one passed back (it fits,
/// [`check_fits`]; its value is checked against the field type here), else
/// `initial` rendered, else none.
pub(crate) fn current(
    endpoint: &str,
    plan: &IncrementalPlan,
    since: Option<&Checkpoint>,
    renderer: &Renderer,
    context: &Context,
) -> Result<Option<Value>> {
    let error = |message: String| Error::Checkpoint {
        endpoint: endpoint.to_owned(),
        message,
    };
    let field_type = match &plan.source {
        CheckpointSource::Max { field_type, .. } => Some(*field_type),
        CheckpointSource::LastValue { .. } => None,
    };
    if let Some(since) = since {
        if let Some(kind) = field_type {
            key_of(kind, &since.value, "the checkpoint passed back").map_err(error)?;
        }
        return Ok(Some(since.value.clone()));
    }
    let rendered = match &plan.initial {
        None => return Ok(None),
        Some(EntryValue::Literal(text)) => Value::String(text.clone()),
        Some(EntryValue::Template(template)) => renderer
            .json(&Value::String(template.clone()), context)
            .map_err(|message| Error::Render {
                what: format!("endpoint `{endpoint}`: incremental `initial`"),
                message,
            })?,
        Some(EntryValue::Computed(_)) => return Ok(None),
    };
    let Some(kind) = field_type else {
        return Ok(Some(rendered));
    };
    let value = match &rendered {
        Value::String(text) => checkpoint_from_text(kind, text),
        _ => rendered,
    };
    key_of(kind, &value, "the `initial` checkpoint").map_err(error)?;
    Ok(Some(value))
}

/// Works out a run's checkpoint as its pages arrive.
#[derive(Debug)]
pub(crate) struct Tracker<'p> {
    endpoint: String,
    source: &'p CheckpointSource,
    /// The checkpoint so far: the one the run started from, then (`max`)
    /// the largest value seen.
    best: Option<(Value, Option<CheckpointKey>)>,
    /// `last_value`: the value on the latest page, if it had one.
    latest: Option<Value>,
}

impl<'p> Tracker<'p> {
    /// A tracker starting from the checkpoint passed back, if any (already
    /// checked by [`current`]).
    pub(crate) fn new(
        endpoint: &str,
        plan: &'p IncrementalPlan,
        since: Option<&Checkpoint>,
    ) -> Self {
        let best = since.map(|since| {
            let key = match &plan.source {
                CheckpointSource::Max { field_type, .. } => {
                    CheckpointKey::read(*field_type, &since.value).ok()
                }
                CheckpointSource::LastValue { .. } => None,
            };
            (since.value.clone(), key)
        });
        Tracker {
            endpoint: endpoint.to_owned(),
            source: &plan.source,
            best,
            latest: None,
        }
    }

    /// Takes in page `number` (from 1): its body and records.
    pub(crate) fn observe(&mut self, number: u32, body: &Value, records: &[Value]) -> Result<()> {
        match self.source {
            CheckpointSource::Max {
                field, field_type, ..
            } => {
                for (index, record) in records.iter().enumerate() {
                    let place = format!("page {number}, record {index} (from 0)");
                    let value = at_path(record, field).filter(|v| !v.is_null()).ok_or_else(|| {
                        self.error(format!(
                            "{place} has no `{field}`, the field its `max` checkpoint is taken from; check `incremental.field`, or the records path"
                        ))
                    })?;
                    let key = key_of(*field_type, value, &format!("{place}: `{field}`"))
                        .map_err(|m| self.error(m))?;
                    let greater = match &self.best {
                        Some((_, Some(best))) => key > *best,
                        _ => true,
                    };
                    if greater {
                        self.best = Some((value.clone(), Some(key)));
                    }
                }
            }
            CheckpointSource::LastValue { path } => {
                // Only the page that ends the run counts: absent or null
                // there, the run keeps the checkpoint it started from.
                self.latest = at_path(body, path).filter(|v| !v.is_null()).cloned();
            }
        }
        Ok(())
    }

    /// The run's checkpoint, once it read every page.
    pub(crate) fn finish(self) -> Option<Checkpoint> {
        let source = self.source.describe();
        self.latest
            .or(self.best.map(|(value, _)| value))
            .map(|value| Checkpoint { value, source })
    }

    fn error(&self, message: String) -> Error {
        Error::Checkpoint {
            endpoint: self.endpoint.clone(),
            message,
        }
    }
}
