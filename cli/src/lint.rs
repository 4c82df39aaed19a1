//! `patchbay lint`.

use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use patchbay_schema::{LintReport, Severity, lint};

use crate::Format;
use crate::output::{self, Linted};

/// Files linted before progress is worth showing.
const PROGRESS_THRESHOLD: usize = 20;

pub(crate) fn run(
    paths: &[PathBuf],
    format: Format,
    deny_warnings: bool,
    out: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let files = crate::files::collect(paths)?;
    let mut progress = Progress::new(files.len());
    let mut linted = Vec::with_capacity(files.len());
    for (done, path) in files.iter().enumerate() {
        progress.show(done);
        let source = crate::files::read_spec(path)?;
        let report: LintReport = lint(&source);
        linted.push(Linted { source, report });
    }
    progress.clear();
    match format {
        Format::Human => output::human(&linted, out)?,
        Format::Json => output::json(&linted, out)?,
        Format::Sarif => output::sarif(&linted, out)?,
        Format::Github => output::github(&linted, out)?,
    }
    out.flush()?;
    let count = |severity| {
        linted
            .iter()
            .map(|l| l.report.count(severity))
            .sum::<usize>()
    };
    let fails = count(Severity::Error) > 0 || (deny_warnings && count(Severity::Warning) > 0);
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
