//! `patchbay explain`: the documentation page of a lint rule, or the list
//! of every rule.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use patchbay_schema::RULES;

/// The arguments of `patchbay explain`.
#[derive(Debug, clap::Args)]
pub(crate) struct ExplainArgs {
    /// A rule code (`PB102`) or name (`undeclared-template-variable`);
    /// without one, every rule is listed.
    #[arg(value_name = "CODE")]
    code: Option<String>,
}

pub(crate) fn run(args: &ExplainArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let Some(code) = &args.code else {
        list_rules(stdout)?;
        return Ok(ExitCode::SUCCESS);
    };
    // The list comes from the binary itself: an installed user has no
    // checkout to look rules up in.
    let rule = patchbay_schema::rule(code).with_context(|| {
        format!("no rule `{code}`; run `patchbay explain` without a code to list every rule")
    })?;
    write!(stdout, "{}", rule.doc)?;
    Ok(ExitCode::SUCCESS)
}

fn list_rules(stdout: &mut impl Write) -> std::io::Result<()> {
    let name_width = RULES.iter().map(|rule| rule.name.len()).max().unwrap_or(0);
    for rule in RULES {
        writeln!(
            stdout,
            "{}  {:<7}  {:<name_width$}  {}",
            rule.code,
            rule.severity.as_str(),
            rule.name,
            rule.summary
        )?;
    }
    Ok(())
}
