//! `patchbay lint`: checks spec files and folders, and reports in the
//! format asked for.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use patchbay_schema::{LintReport, Severity, lint};

use crate::files::Input;
use crate::report::{Linted, ReportFormat};
use crate::spec::Contents;

/// The arguments of `patchbay lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    /// Spec files or folders; `-` reads a spec from stdin.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// The name of the spec read from stdin, for its format (`.json` or
    /// `.toml`) and in diagnostics (for editors, which pipe the buffer).
    #[arg(long, value_name = "NAME")]
    stdin_filename: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = ReportFormat::Human)]
    format: ReportFormat,
    /// Exit with 1 on warnings too.
    #[arg(long)]
    deny_warnings: bool,
}

/// What the spec read from stdin is called without `--stdin-filename`.
const STDIN_NAME: &str = "<stdin>";

/// Files linted before progress is worth showing.
const PROGRESS_THRESHOLD: usize = 20;

pub(crate) fn run(args: &LintArgs, out: &mut impl Write) -> anyhow::Result<ExitCode> {
    let files = crate::files::collect(&args.paths)?;
    if args.stdin_filename.is_some() && !files.contains(&Input::Stdin) {
        bail!("--stdin-filename names the spec read from stdin: add `-` to the paths");
    }
    let stdin_name = args.stdin_filename.as_deref().unwrap_or(STDIN_NAME);
    let mut progress = Progress::new(files.len());
    let mut linted = Vec::with_capacity(files.len());
    for (done, input) in files.iter().enumerate() {
        progress.show(done);
        let contents = match input {
            Input::Stdin => crate::spec::read_stdin(stdin_name)?,
            Input::File(path) => crate::spec::read(path)?,
        };
        linted.push(match contents {
            Contents::Text(source) => {
                let report = lint(&source);
                Linted { source, report }
            }
            // Reported like a syntax error, so that the other files are
            // still linted and the report (JSON, SARIF…) still written.
            Contents::NotUtf8(source, diagnostic) => Linted {
                source,
                report: LintReport {
                    spec: None,
                    diagnostics: vec![diagnostic],
                },
            },
        });
    }
    progress.clear();
    let colored = crate::color::wanted(&std::io::stdout());
    args.format.write(&linted, out, colored)?;
    out.flush()?;
    let count = |severity| {
        linted
            .iter()
            .map(|l| l.report.count(severity))
            .sum::<usize>()
    };
    let fails = count(Severity::Error) > 0 || (args.deny_warnings && count(Severity::Warning) > 0);
    Ok(if fails {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// A progress line on stderr, only when it is a terminal and the run is
/// long enough to want one.
struct Progress {
    total: usize,
    enabled: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            total,
            enabled: total >= PROGRESS_THRESHOLD && std::io::stderr().is_terminal(),
        }
    }

    fn show(&mut self, done: usize) {
        if self.enabled && done.is_multiple_of(10) {
            let _ = write!(std::io::stderr(), "\rlinting {done}/{} files", self.total);
        }
    }

    fn clear(&mut self) {
        if self.enabled {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
