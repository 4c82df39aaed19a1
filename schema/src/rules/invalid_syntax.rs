//! PB001: the file is not well-formed TOML or JSON. The parse stage
//! reports it with [`report`].

use super::PB001;
use crate::diagnostic::{Finding, Reporter};
use crate::document::SyntaxError;
use crate::source::SourceFormat;

/// Reports a syntax error as PB001, with the fix for the file's format.
pub(crate) fn report(error: SyntaxError, format: SourceFormat, reporter: &mut Reporter<'_>) {
    let fix = match format {
        SourceFormat::Toml => {
            "fix the TOML syntax at this place (strings in double quotes, `key = value`, one definition per key)"
        }
        SourceFormat::Json => {
            "fix the JSON syntax at this place (double-quoted keys and strings, commas between members, no trailing comma or comments)"
        }
    };
    reporter.report_span("", error.span, Finding::new(&PB001, error.message).fix(fix));
}
