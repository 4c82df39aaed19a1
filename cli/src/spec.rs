//! Reading a spec file (or stdin), and compiling one with its lint errors reported on
//! stderr.

use std::io::Read;
use std::path::Path;

use anyhow::Context;
use patchbay_compiler::{Compiled, compile_source};
use patchbay_schema::{Diagnostic, SourceFile, Span};

use crate::report::report_to_stderr;

/// A spec (or an instance file) lint refused, its diagnostics already
/// written to stderr: the command fails with exit code 1 and nothing more
/// to say.
#[derive(Debug)]
pub(crate) struct SpecRejected;

impl std::fmt::Display for SpecRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("the spec has errors")
    }
}

impl std::error::Error for SpecRejected {}

/// What a spec file holds.
#[derive(Debug)]
pub(crate) enum Contents {
    /// UTF-8 text, to lint.
    Text(SourceFile),
    /// Bytes that are not UTF-8 text (a spec must be): the file with U+FFFD
    /// for each invalid sequence, and the PB001 diagnostic at the first.
    NotUtf8(SourceFile, Diagnostic),
}

impl Contents {
    /// The contents of a file called `name`.
    pub(crate) fn new(name: String, bytes: Vec<u8>) -> Contents {
        match String::from_utf8(bytes) {
            Ok(text) => Contents::Text(SourceFile::new(name, text)),
            Err(error) => {
                // Up to the first invalid byte, the text with replacement
                // characters is the file itself: the offset holds in both.
                let offset = error.utf8_error().valid_up_to();
                let source =
                    SourceFile::new(name, String::from_utf8_lossy(error.as_bytes()).into_owned());
                let span = Span::new(offset, offset + char::REPLACEMENT_CHARACTER.len_utf8());
                let rule = patchbay_schema::rule(NOT_TEXT_RULE)
                    .expect("the syntax rule is in the rule table");
                let diagnostic = Diagnostic {
                    code: rule.code,
                    rule: rule.name,
                    severity: rule.severity,
                    message: "this file is not UTF-8 text".to_owned(),
                    fix: Some(
                        "save the file as UTF-8 (TOML and JSON specs are UTF-8 text)".to_owned(),
                    ),
                    pointer: String::new(),
                    span,
                    start: source.position(span.start),
                    end: source.position(span.end),
                    sensitive: false,
                };
                Contents::NotUtf8(source, diagnostic)
            }
        }
    }
}

/// The rule a file that is not text breaks: TOML and JSON are UTF-8, so it
/// is a syntax error like any other the parser reports.
const NOT_TEXT_RULE: &str = "PB001";

/// Reads one spec file.
pub(crate) fn read(path: &Path) -> anyhow::Result<Contents> {
    let bytes = std::fs::read(path).with_context(|| format!("cannot read {}", path.display()))?;
    Ok(Contents::new(path.display().to_string(), bytes))
}

/// Reads a spec from stdin, called `name` (whose extension gives its
/// format) in diagnostics.
pub(crate) fn read_stdin(name: &str) -> anyhow::Result<Contents> {
    let mut bytes = Vec::new();
    std::io::stdin()
        .read_to_end(&mut bytes)
        .context("cannot read stdin")?;
    Ok(Contents::new(name.to_owned(), bytes))
}

/// Reads and compiles a spec file; lint errors are reported on stderr and
/// fail the command with [`SpecRejected`].
pub(crate) fn compile(path: &Path) -> anyhow::Result<(SourceFile, Compiled)> {
    let source = match read(path)? {
        Contents::Text(source) => source,
        Contents::NotUtf8(source, diagnostic) => {
            report_to_stderr(source, vec![diagnostic])?;
            return Err(SpecRejected.into());
        }
    };
    match compile_source(&source) {
        Ok(compiled) => Ok((source, compiled)),
        Err(diagnostics) => {
            report_to_stderr(source, diagnostics.0)?;
            Err(SpecRejected.into())
        }
    }
}
