//! Diagnostics written out: the formats `lint` reports in, and the human
//! form other commands write to stderr.

mod human;

use std::io::Write;

use clap::ValueEnum;
use patchbay_schema::{Diagnostic, LintReport, RULES, Severity, SourceFile};
use serde_json::json;

/// One diagnostic as `lint` writes it for people, without colour (the
/// workbench shows it on its connectors page).
pub(crate) fn plain_text(source: &SourceFile, diagnostic: &Diagnostic) -> String {
    human::render(source, diagnostic, false)
}

/// How `lint` reports.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReportFormat {
    /// For people: the source line, a caret and the fix.
    Human,
    /// One JSON array of diagnostics.
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
    /// GitHub Actions workflow commands (annotations on the pull request).
    Github,
}

impl ReportFormat {
    /// Writes the diagnostics of every file linted in this format; the
    /// human one in colour when `colored`.
    pub(crate) fn write(
        self,
        linted: &[Linted],
        out: &mut impl Write,
        colored: bool,
    ) -> std::io::Result<()> {
        match self {
            ReportFormat::Human => human(linted, out, colored),
            ReportFormat::Json => json(linted, out),
            ReportFormat::Sarif => sarif(linted, out),
            ReportFormat::Github => github(linted, out),
        }
    }
}

/// One file and what linting it found.
pub(crate) struct Linted {
    pub(crate) source: SourceFile,
    pub(crate) report: LintReport,
}

impl Linted {
    fn diagnostics(&self) -> impl Iterator<Item = (&SourceFile, &Diagnostic)> {
        self.report
            .diagnostics
            .iter()
            .map(move |d| (&self.source, d))
    }
}

/// Writes a file's diagnostics to stderr (where commands that print a
/// result on stdout report them).
pub(crate) fn report_to_stderr(
    source: SourceFile,
    diagnostics: Vec<Diagnostic>,
) -> std::io::Result<()> {
    let report = LintReport {
        spec: None,
        diagnostics,
    };
    let stderr = std::io::stderr();
    let colored = crate::color::wanted(&stderr);
    human(&[Linted { source, report }], &mut stderr.lock(), colored)
}

/// rustc-style: the message, the place, the source line with a caret, the
/// fix; then a summary.
fn human(linted: &[Linted], out: &mut impl Write, colored: bool) -> std::io::Result<()> {
    for (source, diagnostic) in linted.iter().flat_map(Linted::diagnostics) {
        writeln!(out, "{}\n", human::render(source, diagnostic, colored))?;
    }
    let count = |severity| {
        linted
            .iter()
            .map(|l| l.report.count(severity))
            .sum::<usize>()
    };
    let (errors, warnings) = (count(Severity::Error), count(Severity::Warning));
    let files = plural(linted.len(), "file");
    if errors + warnings == 0 {
        writeln!(out, "All checks passed ({files}).")
    } else {
        writeln!(
            out,
            "Found {} and {} in {files}.",
            plural(errors, "error"),
            plural(warnings, "warning")
        )
    }
}

fn plural(count: usize, noun: &str) -> String {
    if count == 1 {
        format!("1 {noun}")
    } else {
        format!("{count} {noun}s")
    }
}

fn diagnostic_json(source: &SourceFile, diagnostic: &Diagnostic) -> serde_json::Value {
    json!({
        "file": source.name(),
        "code": diagnostic.code,
        "rule": diagnostic.rule,
        "severity": diagnostic.severity,
        "message": diagnostic.message,
        "fix": diagnostic.fix,
        "pointer": diagnostic.pointer,
        "start": diagnostic.start,
        "end": diagnostic.end,
    })
}

/// A JSON array of every diagnostic, in file order.
fn json(linted: &[Linted], out: &mut impl Write) -> std::io::Result<()> {
    let diagnostics: Vec<_> = linted
        .iter()
        .flat_map(Linted::diagnostics)
        .map(|(source, diagnostic)| diagnostic_json(source, diagnostic))
        .collect();
    serde_json::to_writer_pretty(&mut *out, &diagnostics)?;
    writeln!(out)
}

fn sarif_level(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// SARIF 2.1.0 with every rule described, for code scanning.
fn sarif(linted: &[Linted], out: &mut impl Write) -> std::io::Result<()> {
    let rules: Vec<_> = RULES
        .iter()
        .map(|rule| {
            json!({
                "id": rule.code,
                "name": rule.name,
                "shortDescription": { "text": rule.summary },
                "fullDescription": { "markdown": rule.doc, "text": rule.summary },
                "defaultConfiguration": { "level": sarif_level(rule.severity) },
            })
        })
        .collect();
    let results: Vec<_> = linted
        .iter()
        .flat_map(Linted::diagnostics)
        .map(|(source, d)| {
            let text = match &d.fix {
                Some(fix) => format!("{} (fix: {fix})", d.message),
                None => d.message.clone(),
            };
            json!({
                "ruleId": d.code,
                "ruleIndex": RULES.iter().position(|r| r.code == d.code),
                "level": sarif_level(d.severity),
                "message": { "text": text },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": source.name().replace('\\', "/") },
                        "region": {
                            "startLine": d.start.line,
                            "startColumn": d.start.column,
                            "endLine": d.end.line,
                            "endColumn": d.end.column.max(d.start.column + usize::from(d.start == d.end)),
                        }
                    },
                    "logicalLocations": [{ "fullyQualifiedName": d.pointer, "kind": "member" }]
                }]
            })
        })
        .collect();
    let log = json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {
                "driver": {
                    "name": "patchbay",
                    "version": env!("CARGO_PKG_VERSION"),
                    "rules": rules,
                }
            },
            "results": results,
        }]
    });
    serde_json::to_writer_pretty(&mut *out, &log)?;
    writeln!(out)
}

/// GitHub Actions workflow commands: one annotation per diagnostic.
fn github(linted: &[Linted], out: &mut impl Write) -> std::io::Result<()> {
    for (source, d) in linted.iter().flat_map(Linted::diagnostics) {
        let message = match &d.fix {
            Some(fix) => format!("{}\nfix: {fix}", d.message),
            None => d.message.clone(),
        };
        writeln!(
            out,
            "::{} file={},line={},col={},endLine={},endColumn={},title={}::{}",
            sarif_level(d.severity),
            escape_property(source.name()),
            d.start.line,
            d.start.column,
            d.end.line,
            d.end.column,
            escape_property(&format!("{} {}", d.code, d.rule)),
            escape_data(&message),
        )?;
    }
    Ok(())
}

/// Escaping of a workflow command's message.
fn escape_data(text: &str) -> String {
    text.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escaping of a workflow command's property value.
fn escape_property(text: &str) -> String {
    escape_data(text).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workflow_commands_escape_separators() {
        assert_eq!(escape_property("a:b,c%"), "a%3Ab%2Cc%25");
        assert_eq!(escape_data("one\ntwo"), "one%0Atwo");
    }
}
