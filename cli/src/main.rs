//! `patchbay`, the command-line tool: parses the command line and hands each
//! command to its module under `commands/`.

mod color;
mod commands;
mod connect;
mod exit;
mod files;
mod report;
mod spec;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

use crate::commands::{auth, compile, explain, lint, run, schema};

/// The command line. Its `about` is the package description in Cargo.toml.
#[derive(Debug, Parser)]
#[command(name = "patchbay", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// When to colour diagnostics: `auto` colours them on a terminal unless
    /// `NO_COLOR` is set.
    #[arg(
        long,
        global = true,
        value_enum,
        value_name = "WHEN",
        default_value_t = clap::ColorChoice::Auto
    )]
    color: clap::ColorChoice,
}

/// Every command; the doc comment of each variant is its line in `--help`.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check connector specs (files, or folders searched for .toml and .json).
    Lint(lint::LintArgs),
    /// Compile a spec into its resolved request plan.
    Compile(compile::CompileArgs),
    /// Call an endpoint of a connector with an instance's values.
    Run(run::RunArgs),
    /// Tokens of an instance.
    Auth {
        #[command(subcommand)]
        command: auth::AuthCommand,
    },
    /// Print the JSON Schema of connector specs (or of plans).
    Schema(schema::SchemaArgs),
    /// Print the documentation of a lint rule.
    Explain(explain::ExplainArgs),
}

fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version exit 0, usage errors 2.
        Err(error) => error.exit(),
    };
    color::init(cli.color);
    dispatch(cli.command).unwrap_or_else(exit::report)
}

fn dispatch(command: Command) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match command {
        Command::Lint(args) => lint::run(&args, &mut stdout),
        Command::Compile(args) => compile::run(&args, &mut stdout),
        Command::Run(args) => run::run(&args, &mut stdout),
        Command::Auth { command } => auth::run(&command, &mut stdout),
        Command::Schema(args) => schema::run(&args, &mut stdout),
        Command::Explain(args) => explain::run(&args, &mut stdout),
    }
}

/// `PATCHBAY_LOG=debug` (or `info`, `trace`…) logs to stderr. Log fields
/// are redacted where they are made.
fn init_logging() {
    let Ok(level) = std::env::var("PATCHBAY_LOG") else {
        return;
    };
    let Ok(level) = level.parse::<tracing_subscriber::filter::LevelFilter>() else {
        return;
    };
    tracing_subscriber::fmt()
        .with_max_level(level)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .init();
}
