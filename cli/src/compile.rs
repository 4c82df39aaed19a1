//! `patchbay compile`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use patchbay_compiler::{Compiled, compile_source};
use patchbay_schema::SourceFile;

use crate::PlanFormat;
use crate::output::{SpecRejected, report_to_stderr};

/// Reads and compiles a spec file; lint errors are reported on stderr and
/// fail the command with [`SpecRejected`].
pub(crate) fn compile_file(spec: &Path) -> anyhow::Result<(SourceFile, Compiled)> {
    let source = crate::files::read_spec(spec)?;
    match compile_source(&source) {
        Ok(compiled) => Ok((source, compiled)),
        Err(diagnostics) => {
            report_to_stderr(source, diagnostics.0)?;
            Err(SpecRejected.into())
        }
    }
}

pub(crate) fn run(
    spec: &Path,
    auth: Option<&str>,
    format: PlanFormat,
    output: Option<&Path>,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let (source, compiled) = compile_file(spec)?;
    let mut plan = compiled.plan;
    if let Some(method) = auth {
        if !plan.methods.contains_key(method) {
            let known: Vec<&str> = plan.methods.keys().map(String::as_str).collect();
            bail!(
                "{} has no auth method `{method}`; it has: {}",
                spec.display(),
                known.join(", ")
            );
        }
        plan.methods.retain(|key, _| key == method);
    }
    let text = match format {
        PlanFormat::Json => serde_json::to_string_pretty(&plan)? + "\n",
        PlanFormat::Yaml => serde_norway::to_string(&plan)?,
    };
    match output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => stdout.write_all(text.as_bytes())?,
    }
    if !compiled.warnings.is_empty() {
        report_to_stderr(source, compiled.warnings)?;
    }
    Ok(ExitCode::SUCCESS)
}
