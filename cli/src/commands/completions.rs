//! `patchbay completions`: a shell's completion script, generated from the
//! command-line definition so that it never lags behind it.

use std::io::Write;
use std::process::ExitCode;

use clap_complete::Shell;

/// The arguments of `patchbay completions`.
#[derive(Debug, clap::Args)]
pub(crate) struct CompletionsArgs {
    /// The shell to complete in.
    #[arg(value_enum, value_name = "SHELL")]
    shell: Shell,
}

/// Writes the completion script of `command` (the whole command line).
pub(crate) fn run(
    args: &CompletionsArgs,
    mut command: clap::Command,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let name = command.get_name().to_owned();
    clap_complete::generate(args.shell, &mut command, name, stdout);
    stdout.flush()?;
    Ok(ExitCode::SUCCESS)
}
