//! `patchbay explain`: the documentation page of a lint rule.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;

/// The arguments of `patchbay explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// A rule code (`PB102`) or name (`undeclared-template-variable`).
    #[arg(value_name = "CODE")]
    code: String,
}

pub(crate) fn run(args: &ExplainArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let code = &args.code;
    let rule = patchbay_schema::rule(code).with_context(|| {
        format!("no rule `{code}`; `patchbay explain` takes a code such as PB102 (the list is in docs/rules/README.md)")
    })?;
    write!(stdout, "{}", rule.doc)?;
    Ok(ExitCode::SUCCESS)
}
