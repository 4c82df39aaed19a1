//! `patchbay compile`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, bail};
use patchbay_compiler::compile_source;
use patchbay_schema::SourceFile;

use crate::PlanFormat;
use crate::output::{self, Linted};

pub(crate) fn run(
    spec: &Path,
    auth: Option<&str>,
    format: PlanFormat,
    output: Option<&Path>,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let source = crate::files::read_spec(spec)?;
    let compiled = match compile_source(&source) {
        Ok(compiled) => compiled,
        Err(diagnostics) => {
            report(source, diagnostics.0)?;
            return Ok(ExitCode::FAILURE);
        }
    };
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
        report(source, compiled.warnings)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// Diagnostics go to stderr, so that the plan alone is on stdout.
fn report(
    source: SourceFile,
    diagnostics: Vec<patchbay_schema::Diagnostic>,
) -> std::io::Result<()> {
    let report = patchbay_schema::LintReport {
        spec: None,
        diagnostics,
    };
    output::human(&[Linted { source, report }], &mut std::io::stderr().lock())
}
