//! `patchbay`, the command-line tool: parses the command line and hands each
//! command to its module under `commands/`.

mod color;
mod commands;
mod connect;
mod exit;
mod files;
mod parallel;
mod report;
mod spec;
mod state;

use std::process::ExitCode;

use clap::{CommandFactory, Parser, Subcommand};

use crate::commands::{auth, compile, completions, explain, lint, man, run, schema, serve};

/// The command line. Its `about` is the package description in Cargo.toml.
#[derive(Debug, Parser)]
#[command(
    name = "patchbay",
    version,
    about,
    long_about = LONG_ABOUT,
    after_long_help = AFTER_LONG_HELP,
    propagate_version = true
)]
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

/// `patchbay --help`, above the commands.
const LONG_ABOUT: &str = "\
Declarative API connectors: lint and compile connector specs, call their \
endpoints, manage their tokens.

A connector spec (TOML or JSON) describes an API: its auth methods and its \
endpoints. An instance file holds one account's values for one auth method, \
secrets read from the environment or from files. `lint` checks specs, \
`compile` shows the request plan they become, `run` and `auth` use a spec \
with an instance.";

/// `patchbay --help`, below the options.
const AFTER_LONG_HELP: &str = "\
Exit codes:
  0  success (a lint with warnings only succeeds too)
  1  the command ran and its answer is no: lint errors, a spec with errors, a \
failed request or login, no stored tokens
  2  usage or I/O errors

Environment:
  NO_COLOR        no colour in diagnostics (unless --color always)
  PATCHBAY_HOME   where tokens are stored (default: the user's data directory)
  PATCHBAY_LOG    log to stderr at this level (error, warn, info, debug, trace)";

/// Every command; the doc comment of each variant is its help: the first
/// line in `patchbay --help`, all of it in `patchbay COMMAND --help`.
#[derive(Debug, Subcommand)]
enum Command {
    /// Check connector specs for errors and risky settings.
    ///
    /// Lints spec files, every .toml and .json file below a folder (hidden
    /// folders, target and node_modules skipped), and `-`, a spec read from
    /// stdin. Reports for people, as JSON, as SARIF or as GitHub Actions
    /// annotations; exits with 1 when it finds an error (or a warning, with
    /// --deny-warnings). `patchbay explain CODE` documents each rule.
    Lint(lint::LintArgs),
    /// Compile a spec into the request plan a runtime executes.
    ///
    /// The plan lists every request of every auth method and endpoint with
    /// each default made explicit and where each value comes from. A spec
    /// with errors is refused, its diagnostics on stderr.
    Compile(compile::CompileArgs),
    /// Call an endpoint with an instance's values, or show its requests.
    ///
    /// Acquires a token when the auth method needs one (from the token store
    /// after `patchbay auth login`), sends the request and prints the
    /// response body; --all-pages follows pagination and prints each record
    /// as a JSON line; --dry-run prints the requests as curl commands, secrets
    /// masked, without sending them.
    Run(run::RunArgs),
    /// Log in, show and revoke an instance's tokens.
    Auth {
        #[command(subcommand)]
        command: auth::AuthCommand,
    },
    /// Serve the workbench: add instances, log in, test and call endpoints in a browser.
    ///
    /// A local web application on http://127.0.0.1:8686 showing every spec
    /// under PATHS with its lint status; add an instance of one (the form
    /// is made from the plan's inputs), connect it (authorization code:
    /// back to /callback), test the connection and call its endpoints,
    /// secrets masked. Instances are kept under $PATCHBAY_HOME/workbench.
    Serve(serve::ServeArgs),
    /// Print the JSON Schema of connector specs or plans, or the field reference.
    Schema(schema::SchemaArgs),
    /// Print the documentation of a lint rule (`patchbay explain PB102`), or list every rule.
    Explain(explain::ExplainArgs),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell).
    ///
    /// For bash, for example: `patchbay completions bash >
    /// ~/.local/share/bash-completion/completions/patchbay`.
    Completions(completions::CompletionsArgs),
    /// Print the man page, or write one per command into a folder.
    ///
    /// `patchbay man > patchbay.1` for the top-level page; `patchbay man --dir
    /// DIR` for a page per command and subcommand.
    Man(man::ManArgs),
}

fn main() -> ExitCode {
    exit::install_panic_hook();
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
        Command::Serve(args) => serve::run(&args, &mut stdout),
        Command::Schema(args) => schema::run(&args, &mut stdout),
        Command::Explain(args) => explain::run(&args, &mut stdout),
        Command::Completions(args) => completions::run(&args, Cli::command(), &mut stdout),
        Command::Man(args) => man::run(&args, Cli::command(), &mut stdout),
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
