//! `patchbay auth token`: acquires (or renews) a token and prints what is
//! known about it, the token itself only when asked.

use std::io::Write;
use std::process::ExitCode;

use anyhow::bail;

use super::InstanceArgs;
use crate::connect::block_on;
use crate::exit::runtime_failure;

/// The arguments of `patchbay auth token`.
#[derive(Debug, clap::Args)]
pub(crate) struct TokenArgs {
    #[command(flatten)]
    target: InstanceArgs,
    /// Print the access token itself too.
    #[arg(long)]
    show_secret: bool,
}

pub(crate) fn run(args: &TokenArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let connection = args.target.connect()?;
    if !connection.uses_tokens() {
        bail!("the instance's auth method does not acquire tokens: there is no token to show");
    }
    block_on(async {
        let token = match connection.token().await {
            Ok(token) => token,
            Err(error) => return Ok(runtime_failure(&connection, error)),
        };
        let info = token.info();
        writeln!(
            stdout,
            "token_type: {}",
            info.token_type.as_deref().unwrap_or("(not stated)")
        )?;
        match info.expires_in {
            Some(seconds) => writeln!(stdout, "expires_in: {seconds}s")?,
            None => writeln!(stdout, "expires_in: (not stated)")?,
        }
        writeln!(
            stdout,
            "scope: {}",
            info.scope.as_deref().unwrap_or("(not stated)")
        )?;
        writeln!(
            stdout,
            "refresh_token: {}",
            if info.refreshable { "yes" } else { "no" }
        )?;
        if !info.captured.is_empty() {
            writeln!(stdout, "captured: {}", info.captured.join(", "))?;
        }
        if !info.discovered.is_empty() {
            writeln!(stdout, "discovered: {}", info.discovered.join(", "))?;
        }
        if args.show_secret {
            writeln!(stdout, "access_token: {}", token.access_token.expose())?;
        }
        Ok(ExitCode::SUCCESS)
    })?
}
