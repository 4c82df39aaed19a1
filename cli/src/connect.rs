//! An instance file connected to its spec, with a login's tokens in the
//! user's token store, and the async runtime the commands that use it run
//! on.

use std::io::Write;
use std::path::Path;
use std::sync::Arc;

use anyhow::Context;
use patchbay_runtime::{
    Connection, Connector, FileStore, Instance, InstanceFile, Options, Runtime,
};
use patchbay_schema::instance::lint_instance;
use patchbay_schema::{Diagnostic, Severity};

use crate::report::report_to_stderr;
use crate::spec::{Contents, SpecRejected};

/// The connection of an instance file to a spec (which must compile).
pub(crate) fn connect(spec: &Path, instance: &Path) -> anyhow::Result<Connection> {
    // The CLI runs on its user's own machine: no egress guard.
    connect_with(spec, instance, Options::default())
}

/// [`connect`], with runtime options a command's flags changed.
pub(crate) fn connect_with(
    spec: &Path,
    instance: &Path,
    options: Options,
) -> anyhow::Result<Connection> {
    let (_, compiled) = crate::spec::compile(spec)?;
    let connector = Connector::new(compiled.plan);
    check_instance(instance, &connector)?;
    let file = InstanceFile::read(instance)?;
    let base = instance.parent().unwrap_or(Path::new("."));
    let bound = Instance::bind(connector.plan(), &file, base, &|name| {
        std::env::var(name).ok()
    })?;
    for key in bound.weak_secrets() {
        let _ = writeln!(
            std::io::stderr(),
            "patchbay: warning: instance value `{key}` is shorter than 8 bytes: a weak secret, and one patchbay cannot find if a server echoes it"
        );
    }
    let mut connection = Connection::new(&Runtime::new(options)?, &connector, bound)?;
    // Only a login's tokens outlive the process. Other methods keep theirs
    // in memory and never need the store (nor a writable $PATCHBAY_HOME).
    if connection.has_login() {
        let key = store_key(&file.connector, &file.auth, instance);
        connection = connection.with_store(Arc::new(FileStore::default_location()?), key);
    }
    crate::exit::redact_panics_with(&connection);
    Ok(connection)
}

/// Lints an instance file against the connector, as `patchbay lint` does,
/// so that a value written in it that does not fit is reported at its
/// line with a snippet; errors refuse it (on stderr). Values read from
/// the environment or a file are checked when the instance is bound.
fn check_instance(path: &Path, connector: &Connector) -> anyhow::Result<()> {
    let (source, errors) = match crate::spec::read(path)? {
        Contents::Text(source) => {
            let diagnostics = lint_instance(&source, &[connector.plan().instance_target()]);
            let errors: Vec<Diagnostic> = diagnostics
                .into_iter()
                .filter(|d| d.severity == Severity::Error)
                .collect();
            (source, errors)
        }
        Contents::NotUtf8(source, diagnostic) => (source, vec![diagnostic]),
    };
    if errors.is_empty() {
        return Ok(());
    }
    report_to_stderr(source, errors)?;
    Err(SpecRejected.into())
}

/// Runs a future to completion. A command drives one connection, one
/// request at a time, so a current-thread runtime is enough.
pub(crate) fn block_on<F: std::future::Future>(future: F) -> anyhow::Result<F::Output> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?;
    Ok(runtime.block_on(future))
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
