//! `patchbay auth logout`: revokes an instance's tokens where the method
//! can, and forgets them.

use std::io::Write;
use std::process::ExitCode;

use patchbay_runtime::Logout;

use super::InstanceArgs;
use crate::connect::block_on;
use crate::exit::runtime_failure;

pub(crate) fn run(args: &InstanceArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let connection = args.connect()?;
    block_on(async {
        match connection.logout().await {
            Ok(Logout::Revoked) => writeln!(stdout, "revoked the tokens and forgot them")?,
            Ok(Logout::NoRevokeUrl) => {
                writeln!(stdout, "forgot the tokens (the method has no revoke_url)")?
            }
            Ok(Logout::NothingStored) => writeln!(
                stdout,
                "nothing to do: no tokens are stored for this instance"
            )?,
            Err(error) => return Ok(runtime_failure(&connection, error)),
        }
        Ok(ExitCode::SUCCESS)
    })?
}
