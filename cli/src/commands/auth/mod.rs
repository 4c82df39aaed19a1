//! `patchbay auth`: the tokens of an instance, one module per subcommand.

mod login;
mod logout;
mod status;
mod token;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::Subcommand;
use patchbay_runtime::Connection;

use crate::connect::connect;

/// The `auth` subcommands; the doc comment of each variant is its line in
/// `patchbay auth --help`.
#[derive(Debug, Subcommand)]
pub(crate) enum AuthCommand {
    /// Log in with the authorization-code flow and store the tokens.
    Login(login::LoginArgs),
    /// Show what is stored for an instance (never the tokens).
    Status(InstanceArgs),
    /// Revoke the tokens (when the method has a `revoke_url`) and forget them.
    Logout(InstanceArgs),
    /// Acquire (or renew) a token and print its metadata.
    Token(token::TokenArgs),
}

/// The instance every `auth` subcommand acts on.
#[derive(Debug, clap::Args)]
pub(crate) struct InstanceArgs {
    /// The spec file.
    #[arg(value_name = "SPEC")]
    spec: PathBuf,
    /// The instance file.
    #[arg(long, value_name = "FILE")]
    instance: PathBuf,
}

impl InstanceArgs {
    /// The instance connected to its spec, its tokens in the user's store.
    fn connect(&self) -> anyhow::Result<Connection> {
        connect(&self.spec, &self.instance)
    }
}

/// Runs an `auth` subcommand.
pub(crate) fn run(command: &AuthCommand, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    match command {
        AuthCommand::Login(args) => login::run(args, stdout),
        AuthCommand::Status(args) => status::run(args, stdout),
        AuthCommand::Logout(args) => logout::run(args, stdout),
        AuthCommand::Token(args) => token::run(args, stdout),
    }
}
