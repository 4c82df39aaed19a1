//! `patchbay run`: calls an endpoint, follows its pages, or prints its
//! requests as curl commands.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, bail};
use indexmap::{IndexMap, IndexSet};
use patchbay_compiler::plan::PaginationPlan;
use patchbay_runtime::{Call, Connection, DEFAULT_MAX_PAGES, InstanceFile, Options, Upload};
use patchbay_schema::VariableType;
use patchbay_schema::did_you_mean;
use serde_json::Value;

use crate::connect::{block_on, connect_with};
use crate::exit::runtime_failure;
use crate::state::{InstanceIdentity, State};

/// The arguments of `patchbay run`.
#[derive(Debug, clap::Args)]
pub(crate) struct RunArgs {
    /// The spec file.
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// The instance file (TOML or JSON).
    #[arg(long, value_name = "FILE")]
    instance: PathBuf,
    /// The endpoint to call.
    #[arg(long, value_name = "NAME")]
    endpoint: String,
    /// An endpoint variable, `key=value` (repeatable).
    #[arg(long = "var", value_name = "KEY=VALUE")]
    vars: Vec<String>,
    /// A JSON file whose content templates see as `payload`.
    #[arg(long, value_name = "FILE")]
    payload: Option<PathBuf>,
    /// A file for the endpoint's multipart file part NAME, or its
    /// `type = "file"` body named NAME: `NAME=PATH` (repeatable)
    ///
    /// The part's filename is the file's own name unless the spec writes
    /// one; its content type is the spec's, else application/octet-stream.
    #[arg(long = "file", value_name = "NAME=PATH")]
    files: Vec<String>,
    /// Follow pagination and print every record as NDJSON.
    #[arg(long)]
    all_pages: bool,
    /// With --all-pages: the most pages fetched when the endpoint's
    /// pagination sets no `max_pages`
    ///
    /// A run that reaches N pages while the API still offers a next page
    /// fails with an error naming the cap; a spec's own `max_pages` ends a
    /// run there without an error, whatever N is (and --state keeps no
    /// checkpoint of it).
    #[arg(
        long,
        value_name = "N",
        default_value_t = DEFAULT_MAX_PAGES,
        value_parser = clap::value_parser!(u32).range(1..),
        requires = "all_pages"
    )]
    max_pages: u32,
    /// Print the requests as curl commands (secrets redacted) instead
    /// of sending them.
    #[arg(long)]
    dry_run: bool,
    /// With --all-pages or --dry-run: read an incremental endpoint from
    /// the checkpoint kept in FILE; with --all-pages, save the new one
    /// there once every page was read
    ///
    /// A missing FILE is a first run. FILE is written only after the run
    /// read every page to the API's last (atomically, under FILE.lock):
    /// not after an error, nor when the spec's `max_pages` ended the run
    /// first (a warning says so). Records are printed as they arrive, so
    /// the next run prints those of a run that saved nothing again. Each
    /// entry names the instance file that saved it; give each instance
    /// its own FILE. With --dry-run, the request shows the stored
    /// checkpoint and FILE is not written.
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
}

/// `NAME=PATH` arguments, each file read whole (none larger than
/// `limit`, checked before reading).
fn read_files(args: &[String], limit: u64) -> anyhow::Result<IndexMap<String, Upload>> {
    let mut files = IndexMap::new();
    for arg in args {
        let Some((name, path)) = arg.split_once('=') else {
            bail!("--file takes NAME=PATH, got `{arg}`");
        };
        let path = Path::new(path);
        let size = std::fs::metadata(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .len();
        if size > limit {
            bail!(
                "{} has {size} bytes, more than the {limit} a request uploads at most",
                path.display()
            );
        }
        let bytes =
            std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
        let upload = Upload {
            filename: path.file_name().map(|n| n.to_string_lossy().into_owned()),
            content_type: None,
            bytes: bytes.into(),
        };
        if files.insert(name.to_owned(), upload).is_some() {
            bail!("--file {name}=… is given twice");
        }
    }
    Ok(files)
}

/// `key=value`, the value read as the endpoint variable's type.
fn parse_vars(
    connection: &Connection,
    endpoint: &str,
    vars: &[String],
) -> anyhow::Result<IndexMap<String, Value>> {
    let plan = connection.connector_plan();
    let inputs = plan
        .methods
        .values()
        .find_map(|m| m.endpoints.get(endpoint))
        .map(|e| e.variables.clone())
        .unwrap_or_default();
    let mut parsed = IndexMap::new();
    for var in vars {
        let Some((key, text)) = var.split_once('=') else {
            bail!("--var takes key=value, got `{var}`");
        };
        let kind = inputs.iter().find(|i| i.key == key).map(|i| i.kind);
        let value = match kind {
            Some(VariableType::Integer) => Value::from(
                text.parse::<i64>()
                    .with_context(|| format!("--var {key}: `{text}` is not an integer"))?,
            ),
            Some(VariableType::Number) => serde_json::Number::from_f64(
                text.parse::<f64>()
                    .with_context(|| format!("--var {key}: `{text}` is not a number"))?,
            )
            .map_or(Value::Null, Value::Number),
            Some(VariableType::Boolean) => Value::Bool(
                text.parse::<bool>()
                    .with_context(|| format!("--var {key}: `{text}` is not true or false"))?,
            ),
            _ => Value::String(text.to_owned()),
        };
        parsed.insert(key.to_owned(), value);
    }
    Ok(parsed)
}

/// Fails, as a usage error, when the spec has no endpoint of that name,
/// suggesting the one meant.
fn check_endpoint(connection: &Connection, spec: &Path, name: &str) -> anyhow::Result<()> {
    // Endpoints are listed per auth method; a name is known if any has it
    // (one the instance's method lacks is the runtime's to report).
    let known: IndexSet<&str> = connection
        .connector_plan()
        .methods
        .values()
        .flat_map(|method| method.endpoints.keys().map(String::as_str))
        .collect();
    if known.contains(name) {
        return Ok(());
    }
    let hint = match did_you_mean(name, known.iter().copied()) {
        Some(meant) => format!("did you mean `{meant}`?"),
        None => format!(
            "it has: {}",
            known.iter().copied().collect::<Vec<_>>().join(", ")
        ),
    };
    bail!("{} has no endpoint `{name}`; {hint}", spec.display())
}

/// The state of the endpoint in `--state FILE` and its stored checkpoint;
/// usage errors when the run cannot keep one.
fn load_state(
    args: &RunArgs,
    connection: &Connection,
) -> anyhow::Result<Option<(State, Option<patchbay_runtime::Checkpoint>)>> {
    let Some(path) = &args.state else {
        return Ok(None);
    };
    if !args.all_pages && !args.dry_run {
        bail!(
            "--state needs --all-pages (or --dry-run, to show the stored checkpoint): a checkpoint is kept only after every page was read"
        );
    }
    let plan = connection.connector_plan();
    let incremental = plan
        .methods
        .values()
        .find_map(|m| m.endpoints.get(&args.endpoint))
        .and_then(|e| e.incremental.as_ref());
    let Some(incremental) = incremental else {
        bail!(
            "--state: endpoint `{}` keeps no checkpoint; add `incremental` to it in {}, or leave out --state",
            args.endpoint,
            args.spec.display()
        );
    };
    let instance = InstanceFile::read(&args.instance)?;
    let identity = InstanceIdentity::of_file(&plan.connector.id, &instance.auth, &args.instance);
    State::load(path, identity, &args.endpoint, incremental).map(Some)
}

/// The `max_pages` the spec's pagination of `endpoint` sets, if any.
fn spec_max_pages(connection: &Connection, endpoint: &str) -> Option<u32> {
    let pagination = &connection
        .connector_plan()
        .methods
        .values()
        .find_map(|m| m.endpoints.get(endpoint))?
        .pagination;
    match pagination {
        PaginationPlan::None => None,
        PaginationPlan::PageNumber { max_pages, .. }
        | PaginationPlan::Offset { max_pages, .. }
        | PaginationPlan::Cursor { max_pages, .. }
        | PaginationPlan::NextUrl { max_pages, .. }
        | PaginationPlan::LinkHeader { max_pages, .. } => *max_pages,
    }
}

pub(crate) fn run(args: &RunArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let options = Options {
        max_pages: args.max_pages,
        ..Options::default()
    };
    let connection = connect_with(&args.spec, &args.instance, options)?;
    check_endpoint(&connection, &args.spec, &args.endpoint)?;
    let payload = match &args.payload {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("cannot read {}", path.display()))?;
            Some(
                serde_json::from_str(&text)
                    .with_context(|| format!("{} is not JSON", path.display()))?,
            )
        }
        None => None,
    };
    let call = Call {
        variables: parse_vars(&connection, &args.endpoint, &args.vars)?,
        payload,
        files: read_files(&args.files, Options::default().max_upload_bytes)?,
    };
    let (state, since) = match load_state(args, &connection)? {
        Some((state, since)) => (Some(state), since),
        None => (None, None),
    };
    block_on(async {
        if args.dry_run {
            // Values captured at login (a realm id) show in the requests;
            // a store that cannot be read shows placeholders instead, as
            // when no one has logged in.
            if connection.has_login() {
                let _ = connection.stored_token().await;
            }
            let requests = match connection.dry_run_from(&args.endpoint, &call, since.as_ref()) {
                Ok(requests) => requests,
                Err(error) => return Ok(runtime_failure(&connection, error)),
            };
            let redactor = connection.redactor();
            for (i, request) in requests.iter().enumerate() {
                if i > 0 {
                    writeln!(stdout)?;
                }
                writeln!(stdout, "# {}", request.label)?;
                // An entry whose one optional value has none is not sent:
                // say so, since the curl command cannot show an absence.
                if !request.left_out.is_empty() {
                    writeln!(
                        stdout,
                        "# left out (no value): {}",
                        request.left_out.join(", ")
                    )?;
                }
                writeln!(stdout, "{}", request.to_curl(&redactor))?;
            }
            return Ok(ExitCode::SUCCESS);
        }
        if !args.all_pages {
            return match connection.call(&args.endpoint, &call).await {
                Ok(response) => {
                    // The API's answer is the user's data: unchanged.
                    stdout.write_all(&response.body)?;
                    if !response.body.ends_with(b"\n") {
                        writeln!(stdout)?;
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(error) => Ok(runtime_failure(&connection, error)),
            };
        }
        let mut pages = match connection.pages_from(&args.endpoint, call.clone(), since) {
            Ok(pages) => pages,
            Err(error) => return Ok(runtime_failure(&connection, error)),
        };
        let progress = std::io::stderr().is_terminal();
        let (mut page_count, mut record_count) = (0, 0);
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(error) => return Ok(runtime_failure(&connection, error)),
            };
            page_count += 1;
            for record in &page.records {
                record_count += 1;
                serde_json::to_writer(&mut *stdout, record)?;
                writeln!(stdout)?;
            }
            if progress && page_count > 1 {
                let _ = write!(
                    std::io::stderr(),
                    "\rpage {page_count}, {record_count} records"
                );
            }
        }
        if progress && page_count > 1 {
            let _ = writeln!(std::io::stderr());
        }
        // Only a run that read every page has a checkpoint; the records
        // are out already, so they come again after a failure.
        match (&state, pages.checkpoint()) {
            (Some(state), Some(checkpoint)) => {
                stdout.flush()?;
                state.commit(checkpoint)?;
            }
            // `max_pages` ends a run without an error but before the last
            // page: silence would have every later run read the same pages.
            (Some(_), None) => {
                if let Some(max) = spec_max_pages(&connection, &args.endpoint)
                    && page_count >= max
                {
                    let _ = writeln!(
                        std::io::stderr(),
                        "patchbay: warning: {} was not updated: the endpoint's `max_pages` ({max}) in {} ended the run before its last page, so the next run reads the same pages again; remove `max_pages` from the endpoint's pagination (see `patchbay explain PB611`): the --max-pages cap still bounds a run",
                        args.state.as_deref().unwrap_or(Path::new("")).display(),
                        args.spec.display()
                    );
                }
            }
            (None, _) => {}
        }
        Ok(ExitCode::SUCCESS)
    })?
}
