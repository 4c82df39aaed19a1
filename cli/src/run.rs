//! `patchbay run` and `patchbay auth token`.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::{Context, bail};
use indexmap::IndexMap;
use patchbay_runtime::{
    Call, Connection, Connector, FileStore, Instance, InstanceFile, Options, Runtime,
};
use patchbay_schema::VariableType;
use serde_json::Value;

/// Call an endpoint of a connector with an instance's values.
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
    /// Follow pagination and print every record as NDJSON.
    #[arg(long)]
    all_pages: bool,
    /// Print the requests as curl commands (secrets redacted) instead
    /// of sending them.
    #[arg(long)]
    dry_run: bool,
}

/// The store key of an instance file: its connector, method, name, and a
/// hash of its full path (two `prod.toml` in different folders differ).
fn store_key(connector: &str, method: &str, instance: &Path) -> String {
    let full = std::fs::canonicalize(instance).unwrap_or_else(|_| instance.to_path_buf());
    // FNV-1a: stable across runs and platforms, no dependency.
    let hash = full
        .to_string_lossy()
        .bytes()
        .fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
        });
    let name = instance
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    format!("{connector}/{method}/{name}-{:08x}", hash as u32)
}

/// The connection of an instance file to a spec (which must compile).
pub(crate) fn connect(spec: &Path, instance: &Path) -> anyhow::Result<Connection> {
    let (_, compiled) = crate::compile::compile_file(spec)?;
    let connector = Connector::new(compiled.plan);
    let file = InstanceFile::read(instance)?;
    let base = instance.parent().unwrap_or(Path::new("."));
    let bound = Instance::bind(connector.plan(), &file, base, &|name| {
        std::env::var(name).ok()
    })?;
    let key = store_key(&file.connector, &file.auth, instance);
    // The CLI runs on its user's own machine: no egress guard.
    let connection = Connection::new(&Runtime::new(Options::default())?, &connector, bound)?
        .with_store(Arc::new(FileStore::default_location()?), key);
    Ok(connection)
}

pub(crate) fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(future))
}

/// A runtime failure: reported (redacted) on stderr, exit 1.
pub(crate) async fn fail(connection: &Connection, error: patchbay_runtime::Error) -> ExitCode {
    let message = connection.redactor().redact(&error.to_string());
    let _ = writeln!(std::io::stderr(), "patchbay: error: {message}");
    ExitCode::FAILURE
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

pub(crate) fn run(args: &RunArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let connection = connect(&args.spec, &args.instance)?;
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
    };
    block_on(async {
        if args.dry_run {
            let requests = match connection.dry_run(&args.endpoint, &call) {
                Ok(requests) => requests,
                Err(error) => return Ok(fail(&connection, error).await),
            };
            let redactor = connection.redactor();
            for (i, request) in requests.iter().enumerate() {
                if i > 0 {
                    writeln!(stdout)?;
                }
                writeln!(
                    stdout,
                    "# {}\n{}",
                    request.label,
                    request.to_curl(&redactor)
                )?;
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
                Err(error) => Ok(fail(&connection, error).await),
            };
        }
        let mut pages = match connection.pages(&args.endpoint, call.clone()) {
            Ok(pages) => pages,
            Err(error) => return Ok(fail(&connection, error).await),
        };
        let progress = std::io::stderr().is_terminal();
        let (mut page_count, mut record_count) = (0, 0);
        while let Some(page) = pages.next().await {
            let page = match page {
                Ok(page) => page,
                Err(error) => return Ok(fail(&connection, error).await),
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
        Ok(ExitCode::SUCCESS)
    })?
}

pub(crate) fn token(
    spec: &Path,
    instance: &Path,
    show_secret: bool,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let connection = connect(spec, instance)?;
    if !connection.uses_tokens() {
        bail!("the instance's auth method does not acquire tokens: there is no token to show");
    }
    block_on(async {
        let token = match connection.token().await {
            Ok(token) => token,
            Err(error) => return Ok(fail(&connection, error).await),
        };
        let info = token.info();
        writeln!(
            stdout,
            "token_type: {}",
            info.token_type.as_deref().unwrap_or("(not stated)")
        )?;
        match info.expires_in {
            Some(seconds) => writeln!(stdout, "expires_in: {seconds}s")?,
            None => writeln!(stdout, "expires_in: (not stated)")?,
        }
        writeln!(
            stdout,
            "scope: {}",
            info.scope.as_deref().unwrap_or("(not stated)")
        )?;
        writeln!(
            stdout,
            "refresh_token: {}",
            if info.refreshable { "yes" } else { "no" }
        )?;
        if !info.captured.is_empty() {
            writeln!(stdout, "captured: {}", info.captured.join(", "))?;
        }
        if show_secret {
            writeln!(stdout, "access_token: {}", token.access_token.expose())?;
        }
        Ok(ExitCode::SUCCESS)
    })?
}
