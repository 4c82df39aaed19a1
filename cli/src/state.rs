//! `patchbay run --state FILE`: the checkpoints of incremental endpoints,
//! kept between runs in one JSON file per connector instance.
//!
//! ```json
//! {"format": 2, "connector": "zendesk", "checkpoints": {"export_tickets":
//!   {"instance": "/home/ana/zendesk-eu.toml", "auth": "api_token",
//!    "value": "MTU4MDc1Mzc5OC4wfHw0MzJ8", "source": "last_value /after_cursor",
//!    "saved_at": "2026-12-03T22:40:00Z"}}}
//! ```
//!
//! Each entry names the instance that wrote it: the canonical path of its
//! instance file and its auth method. Two accounts of one connector hold
//! different checkpoints, so a file with an entry of another instance is
//! refused rather than read (one account's `max` would skip the other's
//! older records). The path is what a user knows an instance by; it holds
//! nothing secret, unlike the instance's values.
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
/// Format 1 entries did not name their instance.
const STATE_FORMAT: u64 = 2;

/// The file as stored.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct StateFile {
    format: u64,
    connector: String,
    checkpoints: IndexMap<String, Entry>,
}

/// Only the `format` of a file, read before the rest: the layout of the
/// rest depends on it.
#[derive(Deserialize)]
struct FormatOnly {
    format: Option<Value>,
}

/// One endpoint's checkpoint.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct Entry {
    /// The canonical path of the instance file that wrote it.
    instance: String,
    /// The instance's auth method.
    auth: String,
    value: Value,
    source: String,
    saved_at: String,
}

/// Which connector instance a run is of.
#[derive(Debug)]
pub(crate) struct InstanceIdentity {
    /// The connector's id.
    pub(crate) connector: String,
    /// The auth method's key.
    pub(crate) auth: String,
    /// The canonical path of the instance file.
    pub(crate) instance: String,
}

impl InstanceIdentity {
    /// The identity of the instance file at `path`: its path made
    /// absolute, so that runs from other folders agree.
    pub(crate) fn of_file(connector: &str, auth: &str, path: &Path) -> InstanceIdentity {
        let full = std::fs::canonicalize(path).unwrap_or_else(|_| path.to_path_buf());
        InstanceIdentity {
            connector: connector.to_owned(),
            auth: auth.to_owned(),
            instance: full.to_string_lossy().into_owned(),
        }
    }
}

/// The state of one endpoint of one connector instance, in FILE.
#[derive(Debug)]
pub(crate) struct State {
    path: PathBuf,
    identity: InstanceIdentity,
    endpoint: String,
}

impl State {
    /// The state of `endpoint` in `path`, and its stored checkpoint if any.
    /// A file of another connector or instance, or a checkpoint that the
    /// endpoint's plan (`incremental`) did not make, is an error saying
    /// what to delete.
    pub(crate) fn load(
        path: &Path,
        identity: InstanceIdentity,
        endpoint: &str,
        plan: &IncrementalPlan,
    ) -> anyhow::Result<(State, Option<Checkpoint>)> {
        let state = State {
            path: path.to_owned(),
            identity,
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
        let text = match read_private_file(path) {
            Ok(Some(text)) => text,
            Ok(None) => return Ok(None),
            Err(_) if is_symbolic_link(path) => bail!(
                "{} is a symbolic link, which patchbay never follows for a state file; remove the link, or point --state at the real file",
                path.display()
            ),
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("cannot read the state file {}", path.display()));
            }
        };
        let not_state_file = |error: serde_json::Error| {
            anyhow::anyhow!(
                "{} is not a patchbay state file ({}); give another --state FILE, or delete it to read everything again",
                path.display(),
                describe_without_content(&error)
            )
        };
        // The format first: a newer layout may not parse as this one.
        let format = serde_json::from_str::<FormatOnly>(&text)
            .map_err(not_state_file)?
            .format;
        match format.as_ref().and_then(Value::as_u64) {
            Some(STATE_FORMAT) => {}
            Some(newer) if newer > STATE_FORMAT => bail!(
                "{} was written by a newer patchbay (format {newer}; this one reads {STATE_FORMAT}); use that patchbay, or give this one another --state FILE",
                path.display()
            ),
            Some(1) => bail!(
                "{} was written by an earlier patchbay (format 1), whose entries do not name the instance that saved them; delete it to read everything again, or give another --state FILE",
                path.display()
            ),
            _ => bail!(
                "{} is not a patchbay state file (it has no `format` {STATE_FORMAT}); give another --state FILE, or delete it to read everything again",
                path.display()
            ),
        }
        let file: StateFile = serde_json::from_str(&text).map_err(not_state_file)?;
        let identity = &self.identity;
        if file.connector != identity.connector {
            bail!(
                "{} holds the state of connector `{}`, not `{}`; give each connector instance its own --state FILE, or delete that file",
                path.display(),
                file.connector,
                identity.connector
            );
        }
        if let Some((endpoint, entry)) = file
            .checkpoints
            .iter()
            .find(|(_, entry)| entry.instance != identity.instance || entry.auth != identity.auth)
        {
            bail!(
                "{}: the entry `{endpoint}` is the checkpoint of instance {} (auth `{}`), not of {} (auth `{}`); give each connector instance its own --state FILE, or delete the entry `{endpoint}` under `checkpoints` in that file",
                path.display(),
                entry.instance,
                entry.auth,
                identity.instance,
                identity.auth
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
        let _lock = match lock_private_file(&lock_path) {
            Ok(lock) => lock,
            Err(_) if is_symbolic_link(&lock_path) => bail!(
                "{} is a symbolic link, which patchbay never follows for the lock of a state file; remove the link",
                lock_path.display()
            ),
            Err(error) => {
                return Err(error).with_context(|| format!("cannot lock {}", lock_path.display()));
            }
        };
        let mut file = self.read()?.unwrap_or_else(|| StateFile {
            format: STATE_FORMAT,
            connector: self.identity.connector.clone(),
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
                instance: self.identity.instance.clone(),
                auth: self.identity.auth.clone(),
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

/// Whether `path` is a symbolic link: the private files refuse to open
/// one, with an error (`ELOOP`) that does not say so.
fn is_symbolic_link(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|metadata| metadata.file_type().is_symlink())
}

/// Where a file could not be read and what was expected there, never what
/// was found: serde_json quotes the values it rejects, and a --state
/// pointed at the wrong file (a secrets JSON) must not print them.
fn describe_without_content(error: &serde_json::Error) -> String {
    let place = format!("line {}, column {}", error.line(), error.column());
    let what = match error.classify() {
        serde_json::error::Category::Data => {
            let message = error.to_string();
            let message = message
                .rsplit_once(" at line ")
                .map_or(message.as_str(), |(message, _)| message);
            // What was expected, and missing or duplicate fields, are
            // named by this file's layout, not by the file's content.
            // The last: a quoted value may hold ", expected " itself.
            if let Some(at) = message.rfind(", expected ").map(|at| at + 2) {
                let found = if message.starts_with("unknown field") {
                    "a field it does not know; "
                } else {
                    ""
                };
                let expected = &message[at..];
                // serde names this file's structs by their Rust names.
                let expected = match expected.strip_prefix("expected struct ") {
                    Some(_) => "expected an object",
                    None => expected,
                };
                format!("{found}{expected}")
            } else if message.starts_with("missing field") || message.starts_with("duplicate field")
            {
                message.to_owned()
            } else {
                "a value of another kind".to_owned()
            }
        }
        serde_json::error::Category::Eof => "the JSON ends early".to_owned(),
        serde_json::error::Category::Syntax | serde_json::error::Category::Io => {
            "not JSON".to_owned()
        }
    };
    format!("{place}: {what}")
}
