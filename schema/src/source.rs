//! Source files and positions in them.

use std::ops::Range;

use serde::Serialize;

/// A byte range in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize)]
pub struct Span {
    /// First byte.
    pub start: usize,
    /// One past the last byte.
    pub end: usize,
}

impl Span {
    /// A span from a byte range.
    pub fn new(start: usize, end: usize) -> Self {
        Span { start, end }
    }

    /// Whether the span covers no byte.
    pub fn is_empty(&self) -> bool {
        self.start >= self.end
    }
}

impl From<Range<usize>> for Span {
    fn from(range: Range<usize>) -> Self {
        Span::new(range.start, range.end)
    }
}

/// A 1-based line and column (in characters) in a source file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Position {
    /// Line, from 1.
    pub line: usize,
    /// Column in characters, from 1.
    pub column: usize,
}

/// The syntax a spec is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceFormat {
    /// TOML, the primary authoring format.
    Toml,
    /// JSON with the same shape.
    Json,
}

impl SourceFormat {
    /// The format a file name's extension calls for (`.json` is JSON,
    /// anything else TOML).
    pub fn from_file_name(name: &str) -> Self {
        let is_json = std::path::Path::new(name)
            .extension()
            .is_some_and(|ext| ext.eq_ignore_ascii_case("json"));
        if is_json {
            SourceFormat::Json
        } else {
            SourceFormat::Toml
        }
    }
}

/// A spec's text with its name, format, and an index of line starts.
#[derive(Debug, Clone)]
pub struct SourceFile {
    name: String,
    text: String,
    format: SourceFormat,
    line_starts: Vec<usize>,
}

impl SourceFile {
    /// A source file whose format follows from its name's extension.
    ///
    /// ```
    /// use patchbay_schema::{SourceFile, SourceFormat};
    /// let file = SourceFile::new("spec.json", "{}");
    /// assert_eq!(file.format(), SourceFormat::Json);
    /// ```
    pub fn new(name: impl Into<String>, text: impl Into<String>) -> Self {
        let name = name.into();
        let format = SourceFormat::from_file_name(&name);
        Self::with_format(name, text, format)
    }

    /// A source file in the given format, whatever its name.
    pub fn with_format(
        name: impl Into<String>,
        text: impl Into<String>,
        format: SourceFormat,
    ) -> Self {
        let text = text.into();
        let line_starts = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        SourceFile {
            name: name.into(),
            text,
            format,
            line_starts,
        }
    }

    /// The file's name, as given.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file's text.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The file's syntax.
    pub fn format(&self) -> SourceFormat {
        self.format
    }

    /// Line and column of a byte offset (clamped to the text, and moved
    /// back to a character boundary).
    pub fn position(&self, offset: usize) -> Position {
        let mut offset = offset.min(self.text.len());
        while !self.text.is_char_boundary(offset) {
            offset -= 1;
        }
        let line_index = self.line_starts.partition_point(|&start| start <= offset) - 1;
        let line_start = self.line_starts[line_index];
        Position {
            line: line_index + 1,
            column: self.text[line_start..offset].chars().count() + 1,
        }
    }

    /// The text of a 1-based line, without its line break.
    pub fn line_text(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.wrapping_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |&next| next);
        self.text[start..end].trim_end_matches(['\n', '\r'])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_count_lines_and_characters() {
        let file = SourceFile::new("a.toml", "a = 1\nb = \"é\"\r\nc");
        assert_eq!(file.position(0), Position { line: 1, column: 1 });
        assert_eq!(file.position(6), Position { line: 2, column: 1 });
        // After the two-byte `é`, the column counts one character.
        assert_eq!(file.position(12), Position { line: 2, column: 6 });
        assert_eq!(file.position(usize::MAX), Position { line: 3, column: 2 });
        assert_eq!(file.line_text(2), "b = \"é\"");
        assert_eq!(file.line_text(9), "");
    }

    #[test]
    fn format_follows_the_extension() {
        assert_eq!(
            SourceFormat::from_file_name("x/SPEC.JSON"),
            SourceFormat::Json
        );
        assert_eq!(
            SourceFormat::from_file_name("spec.toml"),
            SourceFormat::Toml
        );
    }
}
