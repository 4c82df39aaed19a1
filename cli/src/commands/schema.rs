//! `patchbay schema`: the JSON Schema of connector specs or of plans, or the
//! field reference as Markdown.

use std::io::Write;
use std::process::ExitCode;

/// The arguments of `patchbay schema`.
#[derive(Debug, clap::Args)]
pub(crate) struct SchemaArgs {
    /// The schema of compiled plans instead.
    #[arg(long, conflicts_with = "markdown")]
    plan: bool,
    /// The field reference of connector specs, as Markdown.
    #[arg(long)]
    markdown: bool,
}

pub(crate) fn run(args: &SchemaArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    if args.markdown {
        write!(
            stdout,
            "{}",
            patchbay_schema::reference::reference_markdown()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let schema = if args.plan {
        patchbay_compiler::plan_schema()
    } else {
        patchbay_schema::connector_schema()
    };
    let schema = serde_json::to_string_pretty(&schema)?;
    writeln!(stdout, "{schema}")?;
    Ok(ExitCode::SUCCESS)
}
