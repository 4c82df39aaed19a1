//! `patchbay lint`: checks spec and instance files and folders, and
//! reports in the format asked for. Instances are checked against the
//! specs of the same run, matched by connector id.

use std::io::{IsTerminal, Write};
use std::num::NonZeroUsize;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::bail;
use patchbay_compiler::{Plan, compile};
use patchbay_schema::document::Node;
use patchbay_schema::instance::{FileKind, InstanceTarget, file_kind, lint_instance};
use patchbay_schema::{LintReport, Severity, SourceFile, lint, lint_document};

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
    /// Files linted at once [default: one per core]. The report is the
    /// same whatever the number.
    #[arg(long, short = 'j', value_name = "N")]
    jobs: Option<NonZeroUsize>,
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
    let jobs = args.jobs.unwrap_or_else(crate::parallel::default_jobs);
    let progress = Progress::new(files.len());
    // Files are read and specs linted on every core, results kept in the
    // files' order; instances wait for every spec of the run, since any of
    // them may be the connector an instance names.
    let checked = crate::parallel::try_map_in_order(&files, jobs, |input| {
        let checked = check(input, stdin_name);
        progress.file_done();
        checked
    })?;
    // Plans are made only for a run with instances: nothing else reads them.
    let has_instances = checked.iter().any(|c| matches!(c, Checked::Instance(_)));
    let reports: Vec<&LintReport> = checked
        .iter()
        .filter_map(|checked| match checked {
            Checked::Spec(linted) if has_instances => Some(&linted.report),
            Checked::Spec(_) | Checked::Instance(_) | Checked::Skipped => None,
        })
        .collect();
    let plans = crate::parallel::map_in_order(&reports, jobs, |report| plan(report));
    let targets = instance_targets(&plans);
    let instance_diagnostics =
        crate::parallel::map_in_order(&checked, jobs, |checked| match checked {
            Checked::Instance(source) => lint_instance(source, &targets),
            Checked::Spec(_) | Checked::Skipped => Vec::new(),
        });
    let linted: Vec<Linted> = checked
        .into_iter()
        .zip(instance_diagnostics)
        .filter_map(|(checked, diagnostics)| match checked {
            Checked::Spec(linted) => Some(*linted),
            Checked::Instance(source) => Some(Linted {
                source,
                report: LintReport {
                    spec: None,
                    diagnostics,
                },
            }),
            Checked::Skipped => None,
        })
        .collect();
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

/// One file of the run, as far as it can be checked on its own.
enum Checked {
    /// A spec, or a file that may be one, and its report.
    Spec(Box<Linted>),
    /// An instance, checked once every spec of the run is known.
    Instance(SourceFile),
    /// A file found in a folder that is neither a spec nor an instance.
    Skipped,
}

/// Reads one file and lints it if it is a spec. Only a file that cannot
/// be read at all fails (the run stops); one that is not UTF-8 is a
/// diagnostic.
fn check(input: &Input, stdin_name: &str) -> anyhow::Result<Checked> {
    let contents = match input {
        Input::Stdin => crate::spec::read_stdin(stdin_name)?,
        Input::Named(path) | Input::Found(path) => crate::spec::read(path)?,
    };
    let source = match contents {
        Contents::Text(source) => source,
        // Reported like a syntax error, so that the other files are
        // still linted and the report (JSON, SARIF…) still written.
        Contents::NotUtf8(source, diagnostic) => {
            return Ok(Checked::Spec(Box::new(Linted {
                source,
                report: LintReport {
                    spec: None,
                    diagnostics: vec![diagnostic],
                },
            })));
        }
    };
    // A file that does not parse is reported as a spec (PB001): it may be
    // one, and nothing else tells.
    let Ok(document) = Node::parse(&source) else {
        let report = lint(&source);
        return Ok(Checked::Spec(Box::new(Linted { source, report })));
    };
    Ok(match (file_kind(&document), input) {
        (FileKind::Instance, _) => Checked::Instance(source),
        (FileKind::Other, Input::Found(_)) => Checked::Skipped,
        (FileKind::Spec | FileKind::Other, _) => {
            let report = lint_document(&source, &document);
            Checked::Spec(Box::new(Linted { source, report }))
        }
    })
}

/// A spec's connector id if it matched the schema, with its plan if it
/// has no errors and compiles.
fn plan(report: &LintReport) -> Option<(String, Option<Plan>)> {
    report.spec.as_ref().map(|spec| {
        let plan = report.valid_spec().and_then(|_| compile(spec).ok());
        (spec.connector.id.clone(), plan)
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
/// long enough to want one. Files are counted as they finish, in
/// whichever thread.
struct Progress {
    total: usize,
    done: AtomicUsize,
    enabled: bool,
}

impl Progress {
    fn new(total: usize) -> Self {
        Progress {
            total,
            done: AtomicUsize::new(0),
            enabled: total >= PROGRESS_THRESHOLD && std::io::stderr().is_terminal(),
        }
    }

    fn file_done(&self) {
        let done = self.done.fetch_add(1, Ordering::Relaxed) + 1;
        if self.enabled && done.is_multiple_of(10) {
            let _ = write!(std::io::stderr(), "\rlinting {done}/{} files", self.total);
        }
    }

    fn clear(&self) {
        if self.enabled {
            let _ = write!(std::io::stderr(), "\r\x1b[2K");
        }
    }
}
