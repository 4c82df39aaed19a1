//! The connector specs the workbench shows, read again on every page so
//! that edits on disk show up on reload.

use std::path::{Path, PathBuf};

use patchbay_runtime::Connector;
use patchbay_schema::document::Node;
use patchbay_schema::instance::{FileKind, file_kind};
use patchbay_schema::{Diagnostic, Severity, SourceFile};
use serde::Serialize;

use crate::App;

/// The largest spec file read: specs are small, and a page must not wait
/// for a huge file.
const MAX_SPEC_BYTES: u64 = 4 << 20;

/// The most spec files listed.
const MAX_SPECS: usize = 500;

/// One spec file and what linting it found.
pub(crate) struct Spec {
    /// The path as found.
    pub(crate) path: PathBuf,
    pub(crate) outcome: Outcome,
}

/// A spec that compiled, or why it did not.
pub(crate) enum Outcome {
    /// It compiled: the connector, and its warnings.
    Compiled {
        connector: Connector,
        warnings: Vec<DiagnosticView>,
    },
    /// Lint errors (and warnings).
    Errors(Vec<DiagnosticView>),
    /// It could not be read.
    Unreadable(String),
}

/// A diagnostic as a page shows it.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct DiagnosticView {
    pub(crate) code: &'static str,
    pub(crate) severity: &'static str,
    /// What `lint` prints.
    pub(crate) text: String,
}

/// Every spec found, in the finder's order. A file that is an instance or
/// neither (a payload, a package manifest) is skipped; one that does not
/// parse is listed with its syntax error.
pub(crate) fn scan(app: &App) -> Result<Vec<Spec>, String> {
    let files = (app.config.spec_files)()?;
    Ok(files
        .into_iter()
        .filter_map(|path| read(app, path))
        .take(MAX_SPECS)
        .collect())
}

/// The spec whose connector has this id (the first, if several do).
pub(crate) fn find(app: &App, id: &str) -> Option<(PathBuf, Connector, Vec<DiagnosticView>)> {
    scan(app)
        .ok()?
        .into_iter()
        .find_map(|spec| match spec.outcome {
            Outcome::Compiled {
                connector,
                warnings,
            } if connector.plan().connector.id == id => Some((spec.path, connector, warnings)),
            _ => None,
        })
}

fn read(app: &App, path: PathBuf) -> Option<Spec> {
    let text = match read_text(&path) {
        Ok(text) => text,
        Err(reason) => {
            return Some(Spec {
                path,
                outcome: Outcome::Unreadable(reason),
            });
        }
    };
    let file = SourceFile::new(path.display().to_string(), text);
    if let Ok(document) = Node::parse(&file)
        && file_kind(&document) != FileKind::Spec
    {
        return None;
    }
    let view = |diagnostics: &[Diagnostic]| -> Vec<DiagnosticView> {
        diagnostics
            .iter()
            .map(|d| DiagnosticView {
                code: d.code,
                severity: d.severity.as_str(),
                text: (app.config.diagnostic_text)(&file, d),
            })
            .collect()
    };
    let outcome = match patchbay_compiler::compile_source(&file) {
        Ok(compiled) => Outcome::Compiled {
            warnings: view(&compiled.warnings),
            connector: Connector::new(compiled.plan),
        },
        Err(diagnostics) => {
            let mut all = diagnostics.0;
            // Errors first: they are why there is no form.
            all.sort_by_key(|d| d.severity != Severity::Error);
            Outcome::Errors(view(&all))
        }
    };
    Some(Spec { path, outcome })
}

fn read_text(path: &Path) -> Result<String, String> {
    let size = std::fs::metadata(path)
        .map_err(|e| format!("cannot read it: {e}"))?
        .len();
    if size > MAX_SPEC_BYTES {
        return Err(format!(
            "it has {size} bytes; the workbench reads specs of up to {MAX_SPEC_BYTES}"
        ));
    }
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read it: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "it is not UTF-8 text".to_owned())
}
