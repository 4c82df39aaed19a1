//! `patchbay compile`: a spec's resolved request plan, as JSON or YAML.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, bail};
use clap::ValueEnum;
use patchbay_compiler::Plan;

use crate::report::report_to_stderr;

/// The arguments of `patchbay compile`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompileArgs {
    /// The spec file.
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// Only this auth method.
    #[arg(long, value_name = "METHOD")]
    auth: Option<String>,
    /// Plan format.
    #[arg(long, value_enum, default_value_t = PlanFormat::Json)]
    format: PlanFormat,
    /// Write the plan to this file instead of standard output.
    #[arg(short, long, value_name = "FILE")]
    output: Option<PathBuf>,
}

/// How `compile` writes a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    /// Pretty-printed JSON.
    Json,
    /// YAML.
    Yaml,
}

impl PlanFormat {
    fn serialize(self, plan: &Plan) -> anyhow::Result<String> {
        Ok(match self {
            PlanFormat::Json => serde_json::to_string_pretty(plan)? + "\n",
            PlanFormat::Yaml => serde_norway::to_string(plan)?,
        })
    }
}

pub(crate) fn run(args: &CompileArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let (source, compiled) = crate::spec::compile(&args.spec)?;
    let mut plan = compiled.plan;
    if let Some(method) = &args.auth {
        if !plan.methods.contains_key(method) {
            let known: Vec<&str> = plan.methods.keys().map(String::as_str).collect();
            bail!(
                "{} has no auth method `{method}`; it has: {}",
                args.spec.display(),
                known.join(", ")
            );
        }
        plan.methods.retain(|key, _| key == method);
    }
    let text = args.format.serialize(&plan)?;
    match &args.output {
        Some(path) => std::fs::write(path, text)
            .with_context(|| format!("cannot write {}", path.display()))?,
        None => stdout.write_all(text.as_bytes())?,
    }
    if !compiled.warnings.is_empty() {
        report_to_stderr(source, compiled.warnings)?;
    }
    Ok(ExitCode::SUCCESS)
}
