//! Reading a spec file, and compiling one with its lint errors reported on
//! stderr.

use std::path::Path;

use anyhow::Context;
use patchbay_compiler::{Compiled, compile_source};
use patchbay_schema::SourceFile;

use crate::report::report_to_stderr;

/// A spec lint refused, its diagnostics already written to stderr: the
/// command fails with exit code 1 and nothing more to say.
#[derive(Debug)]
pub(crate) struct SpecRejected;

impl std::fmt::Display for SpecRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the spec has errors")
    }
}

impl std::error::Error for SpecRejected {}

/// Reads one spec file.
pub(crate) fn read(path: &Path) -> anyhow::Result<SourceFile> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    let name = path.display().to_string();
    let text = String::from_utf8(bytes).with_context(|| format!("{name} is not UTF-8 text"))?;
    Ok(SourceFile::new(name, text))
}

/// Reads and compiles a spec file; lint errors are reported on stderr and
/// fail the command with [`SpecRejected`].
pub(crate) fn compile(path: &Path) -> anyhow::Result<(SourceFile, Compiled)> {
    let source = read(path)?;
    match compile_source(&source) {
        Ok(compiled) => Ok((source, compiled)),
        Err(diagnostics) => {
            report_to_stderr(source, diagnostics.0)?;
            Err(SpecRejected.into())
        }
    }
}
