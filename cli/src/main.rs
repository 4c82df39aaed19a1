//! `patchbay`: lint connector specs, print their schema, explain rules.

mod compile;
mod files;
mod lint;
mod login;
mod output;
mod run;

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

/// Declarative API connectors: lint, compile and run connector specs.
#[derive(Debug, Parser)]
#[command(name = "patchbay", version, about, propagate_version = true)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Check connector specs (files, or folders searched for .toml and .json).
    Lint {
        /// Spec files or folders.
        #[arg(required = true, value_name = "PATH")]
        paths: Vec<PathBuf>,
        /// Output format.
        #[arg(long, value_enum, default_value_t = Format::Human)]
        format: Format,
        /// Exit with 1 on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Compile a spec into its resolved request plan.
    Compile {
        /// The spec file.
        #[arg(value_name = "SPEC")]
        spec: PathBuf,
        /// Only this auth method.
        #[arg(long, value_name = "METHOD")]
        auth: Option<String>,
        /// Plan format.
        #[arg(long, value_enum, default_value_t = PlanFormat::Json)]
        format: PlanFormat,
        /// Write the plan to this file instead of standard output.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Call an endpoint of a connector with an instance's values.
    Run(run::RunArgs),
    /// Tokens of an instance.
    Auth {
        #[command(subcommand)]
        command: AuthCommand,
    },
    /// Print the JSON Schema of connector specs (or of plans).
    Schema {
        /// The schema of compiled plans instead.
        #[arg(long, conflicts_with = "markdown")]
        plan: bool,
        /// The field reference of connector specs, as Markdown.
        #[arg(long)]
        markdown: bool,
    },
    /// Print the documentation of a lint rule.
    Explain {
        /// A rule code (`PB102`) or name (`undeclared-template-variable`).
        #[arg(value_name = "CODE")]
        code: String,
    },
}

#[derive(Debug, Subcommand)]
enum AuthCommand {
    /// Log in with the authorization-code flow and store the tokens.
    Login {
        /// The spec file.
        #[arg(value_name = "SPEC")]
        spec: PathBuf,
        /// The instance file.
        #[arg(long, value_name = "FILE")]
        instance: PathBuf,
        /// Port of the callback listener on 127.0.0.1 (default: a free one).
        #[arg(long, value_name = "N")]
        port: Option<u16>,
        /// Print the URL only; do not open a browser.
        #[arg(long)]
        no_browser: bool,
    },
    /// Show what is stored for an instance (never the tokens).
    Status {
        /// The spec file.
        #[arg(value_name = "SPEC")]
        spec: PathBuf,
        /// The instance file.
        #[arg(long, value_name = "FILE")]
        instance: PathBuf,
    },
    /// Revoke the tokens (when the method has a `revoke_url`) and forget them.
    Logout {
        /// The spec file.
        #[arg(value_name = "SPEC")]
        spec: PathBuf,
        /// The instance file.
        #[arg(long, value_name = "FILE")]
        instance: PathBuf,
    },
    /// Acquire (or renew) a token and print its metadata.
    Token {
        /// The spec file.
        #[arg(value_name = "SPEC")]
        spec: PathBuf,
        /// The instance file.
        #[arg(long, value_name = "FILE")]
        instance: PathBuf,
        /// Print the access token itself too.
        #[arg(long)]
        show_secret: bool,
    },
}

/// How `lint` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum Format {
    /// For people: the source line, a caret and the fix.
    Human,
    /// One JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
}

/// How `compile` writes a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum PlanFormat {
    /// Pretty-printed JSON.
    Json,
    /// YAML.
    Yaml,
}

/// Exit codes: 0 clean (or warnings only), 1 findings that fail, 2 usage or
/// I/O errors.
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    init_logging();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        // Help and version exit 0, usage errors 2.
        Err(error) => error.exit(),
    };
    match run(cli) {
        Ok(code) => code,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            // Its diagnostics are on stderr already.
            if error.downcast_ref::<output::SpecRejected>().is_some() {
                return ExitCode::FAILURE;
            }
            let _ = writeln!(std::io::stderr(), "patchbay: error: {error:#}");
            ExitCode::from(EXIT_USAGE)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    let mut stdout = std::io::stdout().lock();
    match cli.command {
        Command::Lint {
            paths,
            format,
            deny_warnings,
        } => lint::run(&paths, format, deny_warnings, &mut stdout),
        Command::Compile {
            spec,
            auth,
            format,
            output,
        } => compile::run(
            &spec,
            auth.as_deref(),
            format,
            output.as_deref(),
            &mut stdout,
        ),
        Command::Run(args) => run::run(&args, &mut stdout),
        Command::Auth { command } => match command {
            AuthCommand::Token {
                spec,
                instance,
                show_secret,
            } => run::token(&spec, &instance, show_secret, &mut stdout),
            AuthCommand::Login {
                spec,
                instance,
                port,
                no_browser,
            } => login::login(&spec, &instance, port, no_browser, &mut stdout),
            AuthCommand::Status { spec, instance } => login::status(&spec, &instance, &mut stdout),
            AuthCommand::Logout { spec, instance } => login::logout(&spec, &instance, &mut stdout),
        },
        Command::Schema { markdown: true, .. } => {
            write!(
                stdout,
                "{}",
                patchbay_schema::reference::reference_markdown()
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Schema { plan, .. } => {
            let schema = if plan {
                patchbay_compiler::plan_schema()
            } else {
                patchbay_schema::connector_schema()
            };
            let schema = serde_json::to_string_pretty(&schema)?;
            writeln!(stdout, "{schema}")?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Explain { code } => {
            let rule = patchbay_schema::rule(&code).with_context(|| {
                format!("no rule `{code}`; `patchbay explain` takes a code such as PB102 (the list is in schema/rules/README.md)")
            })?;
            write!(stdout, "{}", rule.doc)?;
            Ok(ExitCode::SUCCESS)
        }
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

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}
