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
    /// For a text that is not all ASCII: how many characters come before
    /// each multiple of [`CHECKPOINT`] bytes (moved back to a character
    /// boundary), so that a column costs at most that many bytes to count,
    /// however long its line. Empty for ASCII, where bytes are characters.
    char_checkpoints: Vec<(usize, usize)>,
}

/// Bytes between two character-count checkpoints.
const CHECKPOINT: usize = 4096;

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
        let char_checkpoints = if text.is_ascii() {
            Vec::new()
        } else {
            let mut checkpoints = Vec::with_capacity(text.len() / CHECKPOINT + 1);
            let (mut byte, mut chars) = (0, 0);
            for k in 0..=text.len() / CHECKPOINT {
                let mut next = k * CHECKPOINT;
                while !text.is_char_boundary(next) {
                    next -= 1;
                }
                chars += text[byte..next].chars().count();
                byte = next;
                checkpoints.push((byte, chars));
            }
            checkpoints
        };
        SourceFile {
            name: name.into(),
            text,
            format,
            line_starts,
            char_checkpoints,
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
            column: self.chars_before(offset) - self.chars_before(line_start) + 1,
        }
    }

    /// How many characters come before a byte offset (a character
    /// boundary).
    fn chars_before(&self, offset: usize) -> usize {
        match self.char_checkpoints.get(offset / CHECKPOINT) {
            None => offset,
            Some(&(byte, chars)) => chars + self.text[byte..offset].chars().count(),
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
    fn columns_on_long_lines_count_characters() {
        // Checkpoints fall inside multi-byte characters and across lines.
        let line = "é".repeat(3 * CHECKPOINT) + "x";
        let text = format!("a\n{line}\n{line}");
        let file = SourceFile::new("a.toml", text.as_str());
        let second = 2;
        let third = 2 + line.len() + 1;
        let at = |line_start: usize, chars: usize| line_start + 2 * chars;
        for chars in [0, 1, 2047, 2048, 2049, 3 * CHECKPOINT] {
            assert_eq!(
                file.position(at(second, chars)),
                Position {
                    line: 2,
                    column: chars + 1
                }
            );
            assert_eq!(
                file.position(at(third, chars)),
                Position {
                    line: 3,
                    column: chars + 1
                }
            );
        }
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
