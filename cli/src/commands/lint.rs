//! `patchbay lint`: checks spec and instance files and folders, and
//! reports in the format asked for. Instances are checked against the
//! specs of the same run, matched by connector id.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::bail;
use patchbay_compiler::{Plan, compile};
use patchbay_schema::document::Node;
use patchbay_schema::instance::{FileKind, InstanceTarget, file_kind, lint_instance};
use patchbay_schema::{LintReport, Severity, lint};

use crate::files::Input;
use crate::report::{Linted, ReportFormat};
use crate::spec::Contents;

/// The arguments of `patchbay lint`.
#[derive(Debug, clap::Args)]
pub(crate) struct LintArgs {
    /// Spec and instance files or folders; `-` reads a spec from stdin.
    /// In a folder, files that are neither specs nor instances are skipped.
    #[arg(required = true, value_name = "PATH")]
    paths: Vec<PathBuf>,
    /// Leave out the files and folders a glob matches when searching a
    /// folder (gitignore syntax, relative to the folder; repeatable).
    /// `.gitignore` files are respected too.
    #[arg(long, value_name = "GLOB")]
    exclude: Vec<String>,
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
    let files = crate::files::collect(&args.paths, &args.exclude)?;
    if args.stdin_filename.is_some() && !files.contains(&Input::Stdin) {
        bail!("--stdin-filename names the spec read from stdin: add `-` to the paths");
    }
    let stdin_name = args.stdin_filename.as_deref().unwrap_or(STDIN_NAME);
    let mut progress = Progress::new(files.len());
    // Specs are linted as they come; instances wait for every spec of the
    // run, since any of them may be the connector an instance names.
    let mut linted: Vec<Option<Linted>> = Vec::with_capacity(files.len());
    let mut instances = Vec::new();
    let mut plans = Vec::new();
    for (done, input) in files.iter().enumerate() {
        progress.show(done);
        let contents = match input {
            Input::Stdin => crate::spec::read_stdin(stdin_name)?,
            Input::Named(path) | Input::Found(path) => crate::spec::read(path)?,
        };
        let source = match contents {
            Contents::Text(source) => source,
            // Reported like a syntax error, so that the other files are
            // still linted and the report (JSON, SARIF…) still written.
            Contents::NotUtf8(source, diagnostic) => {
                linted.push(Some(Linted {
                    source,
                    report: LintReport {
                        spec: None,
                        diagnostics: vec![diagnostic],
                    },
                }));
                continue;
            }
        };
        // A file that does not parse is reported as a spec (PB001): it
        // may be one, and nothing else tells.
        let kind = Node::parse(&source).map_or(FileKind::Spec, |document| file_kind(&document));
        match (kind, input) {
            (FileKind::Instance, _) => {
                instances.push((linted.len(), source));
                linted.push(None);
            }
            (FileKind::Other, Input::Found(_)) => {}
            (FileKind::Spec | FileKind::Other, _) => {
                let report = lint(&source);
                plans.push(report.spec.as_ref().map(|spec| {
                    let plan = report.valid_spec().and_then(|_| compile(spec).ok());
                    (spec.connector.id.clone(), plan)
                }));
                linted.push(Some(Linted { source, report }));
            }
        }
    }
    let targets = instance_targets(&plans);
    for (index, source) in instances {
        let diagnostics = lint_instance(&source, &targets);
        linted[index] = Some(Linted {
            source,
            report: LintReport {
                spec: None,
                diagnostics,
            },
        });
    }
    let linted: Vec<Linted> = linted.into_iter().flatten().collect();
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

/// What instances are checked against: each spec of the run that matched
/// the schema, by connector id, with its auth methods' inputs if it has
/// no errors. Of two specs with one id, the first that compiled counts.
fn instance_targets(plans: &[Option<(String, Option<Plan>)>]) -> Vec<InstanceTarget<'_>> {
    let mut targets: Vec<InstanceTarget<'_>> = Vec::new();
    for (id, plan) in plans.iter().flatten() {
        let target = match plan {
            Some(plan) => plan.instance_target(),
            None => InstanceTarget { id, methods: None },
        };
        match targets.iter_mut().find(|t| t.id == id) {
            Some(known) if known.methods.is_none() => *known = target,
            Some(_) => {}
            None => targets.push(target),
        }
    }
    targets
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
