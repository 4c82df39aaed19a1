//! `patchbay run --state FILE`: the checkpoints of incremental endpoints,
//! kept between runs in one JSON file per connector instance.
//!
//! ```json
//! {"format": 1, "connector": "zendesk", "checkpoints": {"export_tickets":
//!   {"value": "MTU4MDc1Mzc5OC4wfHw0MzJ8", "source": "last_value /after_cursor",
//!    "saved_at": "2026-12-03T22:40:00Z"}}}
//! ```
//!
//! A missing file is a first run. The file is written only after a run
//! read every page: under the lock file `FILE.lock` it is read again (a
//! run of another endpoint may have saved its own entry meanwhile), this
//! endpoint's entry replaced, and the whole written to a temporary file
//! (mode 0600), synced and renamed over FILE. A failure before the rename
//! leaves FILE byte for byte as it was. Records are printed before the
//! checkpoint is saved, so a failed run's records are printed again by the
//! next run: delivery is at least once.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, bail};
use indexmap::IndexMap;
use patchbay_compiler::plan::IncrementalPlan;
use patchbay_runtime::{Checkpoint, lock_private_file, read_private_file, write_private_file};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The version of the file's layout this patchbay reads and writes.
const STATE_FORMAT: u32 = 1;

/// The file as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: u32,
    connector: String,
    checkpoints: IndexMap<String, Entry>,
}

/// One endpoint's checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    value: Value,
    source: String,
    saved_at: String,
}

/// The state of one endpoint of one connector, in FILE.
#[derive(Debug)]
pub(crate) struct State {
    path: PathBuf,
    connector: String,
    endpoint: String,
}

impl State {
    /// The state of `endpoint` in `path`, and its stored checkpoint if any.
    /// A file of another connector, or a checkpoint that the endpoint's
    /// plan (`incremental`) did not make, is an error saying what to
    /// delete.
    pub(crate) fn load(
        path: &Path,
        connector: &str,
        endpoint: &str,
        plan: &IncrementalPlan,
    ) -> anyhow::Result<(State, Option<Checkpoint>)> {
        let state = State {
            path: path.to_owned(),
            connector: connector.to_owned(),
            endpoint: endpoint.to_owned(),
        };
        let stored = state.read()?.and_then(|mut file| {
            file.checkpoints
                .shift_remove(endpoint)
                .map(|entry| Checkpoint {
                    value: entry.value,
                    source: entry.source,
                })
        });
        if let Some(checkpoint) = &stored
            && let Some(mismatch) = checkpoint.mismatch(plan)
        {
            bail!(
                "{}: endpoint `{endpoint}`: {mismatch} (delete the entry `{endpoint}` under `checkpoints` in that file)",
                path.display()
            );
        }
        Ok((state, stored))
    }

    /// The file, checked: `None` when it does not exist.
    fn read(&self) -> anyhow::Result<Option<StateFile>> {
        let path = &self.path;
        let Some(text) = read_private_file(path)
            .with_context(|| format!("cannot read the state file {}", path.display()))?
        else {
            return Ok(None);
        };
        // serde_json's message names the place, never the content.
        let file: StateFile = serde_json::from_str(&text).with_context(|| {
            format!(
                "{} is not a patchbay state file; give another --state FILE, or delete it to read everything again",
                path.display()
            )
        })?;
        if file.format != STATE_FORMAT {
            bail!(
                "{}: state file format {} is not one this patchbay reads (it reads {STATE_FORMAT}); use the patchbay that wrote it, or delete the file to read everything again",
                path.display(),
                file.format
            );
        }
        if file.connector != self.connector {
            bail!(
                "{} holds the state of connector `{}`, not `{}`; give each connector instance its own --state FILE, or delete that file",
                path.display(),
                file.connector,
                self.connector
            );
        }
        Ok(Some(file))
    }

    /// Saves the run's checkpoint: under `FILE.lock`, FILE is read again,
    /// this endpoint's entry replaced and the file replaced atomically.
    pub(crate) fn commit(&self, checkpoint: &Checkpoint) -> anyhow::Result<()> {
        let path = &self.path;
        let mut lock_path = path.clone().into_os_string();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let _lock = lock_private_file(&lock_path)
            .with_context(|| format!("cannot lock {}", lock_path.display()))?;
        let mut file = self.read()?.unwrap_or_else(|| StateFile {
            format: STATE_FORMAT,
            connector: self.connector.clone(),
            checkpoints: IndexMap::new(),
        });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| {
                i64::try_from(since.as_secs()).unwrap_or(i64::MAX)
            });
        file.checkpoints.insert(
            self.endpoint.clone(),
            Entry {
                value: checkpoint.value.clone(),
                source: checkpoint.source.clone(),
                saved_at: patchbay_schema::value::format_timestamp(now),
            },
        );
        let mut bytes = serde_json::to_vec_pretty(&file)?;
        bytes.push(b'\n');
        write_private_file(path, &bytes)
            .with_context(|| format!("cannot write the state file {}", path.display()))
    }
}
