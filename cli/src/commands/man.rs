//! `patchbay man`: man pages generated from the command-line definition,
//! the top-level page on stdout or one page per command into a folder.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;

/// The arguments of `patchbay man`.
#[derive(Debug, clap::Args)]
pub(crate) struct ManArgs {
    /// Write a page per command (`patchbay.1`, `patchbay-lint.1`,
    /// `patchbay-auth-login.1`, …) into this folder instead of printing
    /// the top-level page.
    #[arg(long, value_name = "DIR")]
    dir: Option<PathBuf>,
}

/// Writes the man pages of `command` (the whole command line).
pub(crate) fn run(
    args: &ManArgs,
    command: clap::Command,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    match &args.dir {
        Some(dir) => {
            std::fs::create_dir_all(dir)
                .with_context(|| format!("cannot create {}", dir.display()))?;
            clap_mangen::generate_to(command, dir)
                .with_context(|| format!("cannot write the man pages to {}", dir.display()))?;
        }
        None => clap_mangen::Man::new(command).render(stdout)?,
    }
    Ok(ExitCode::SUCCESS)
}
