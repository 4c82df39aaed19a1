//! The human form of one diagnostic, rendered by annotate-snippets (the
//! renderer rustc uses): the title, the place, the source line with a
//! caret under the span, and the fix.

use std::ops::Range;

use annotate_snippets::{AnnotationKind, Level, Renderer, Snippet};
use patchbay_schema::{Diagnostic, Severity, SourceFile};

/// What a masked secret shows as.
const MASK: &str = "\"********\"";

/// Characters of a long line kept before the span's start (twice as many
/// are kept after it). More than the renderer's width (140 columns), so
/// that it still cuts the line itself and marks the cuts with `...`;
/// bounded, so that a diagnostic on a megabyte-long line costs what one on
/// a short line does.
const WINDOW: usize = 512;

/// The diagnostic in rustc's form, without a trailing line break.
pub(crate) fn render(source: &SourceFile, diagnostic: &Diagnostic, colored: bool) -> String {
    let excerpt = Excerpt::new(source, diagnostic);
    let level = match diagnostic.severity {
        Severity::Error => Level::ERROR,
        Severity::Warning => Level::WARNING,
    };
    // The fix can quote names from the spec: the renderer trusts a message's
    // text (it may carry styles), so control characters are removed first.
    let fix = diagnostic
        .fix
        .as_deref()
        .map(annotate_snippets::normalize_untrusted_str);
    let snippet = Snippet::source(excerpt.text.as_str())
        .line_start(diagnostic.start.line)
        .path(source.name())
        .annotation(AnnotationKind::Primary.span(excerpt.span.clone()));
    let mut group = level
        .primary_title(diagnostic.message.as_str())
        .id(diagnostic.code)
        .element(snippet);
    if let Some(fix) = fix {
        group = group.element(Level::HELP.message(fix));
    }
    let renderer = if colored {
        Renderer::styled()
    } else {
        Renderer::plain()
    };
    let rendered = renderer.render(&[group]);
    let Some(counted) = excerpt.cut_before_span else {
        return rendered;
    };
    // The renderer counts the column from the start of the text it was
    // given, which is the start of the window: put the line's real column
    // back into the location (`--> name:line:column`, on the second line).
    let line = diagnostic.start.line;
    let (title, rest) = rendered.split_once('\n').unwrap_or((&rendered, ""));
    let shown = format!("{}:{line}:{}", source.name(), counted + 1);
    let real = format!("{}:{line}:{}", source.name(), diagnostic.start.column);
    format!("{title}\n{}", rest.replacen(&shown, &real, 1))
}

/// The text handed to the renderer: the line the diagnostic starts on
/// (only that line, so that the cost of a diagnostic does not grow with the
/// file), its secret masked, cut to a window around the span when long.
struct Excerpt {
    text: String,
    /// The span in `text`, in bytes. A span that runs past the line (or
    /// the window) is underlined to its end.
    span: Range<usize>,
    /// When the line was cut before the span: the characters left between
    /// the cut and the span.
    cut_before_span: Option<usize>,
}

impl Excerpt {
    fn new(source: &SourceFile, diagnostic: &Diagnostic) -> Self {
        let line = source.line_text(diagnostic.start.line);
        // `line` is a slice of the text: its distance from the start of the
        // text is where it starts, without searching for it. (An empty line
        // may not be, but every offset in it clamps to 0 anyway.)
        let line_start = (line.as_ptr() as usize).wrapping_sub(source.text().as_ptr() as usize);
        let in_line = |offset: usize| floor_char_boundary(line, offset.saturating_sub(line_start));
        let start = in_line(diagnostic.span.start);
        let end = if diagnostic.start.line == diagnostic.end.line {
            in_line(diagnostic.span.end).max(start)
        } else {
            line.len()
        };
        let (cut_start, cut_end) = window(line, start);
        let before = &line[cut_start..start];
        let shown_end = end.min(cut_end);
        let (text, span) = if diagnostic.sensitive {
            let after = &line[shown_end..cut_end];
            let masked = format!("{before}{MASK}{after}");
            (masked, before.len()..before.len() + MASK.len())
        } else {
            let text = line[cut_start..cut_end].to_owned();
            (text, start - cut_start..shown_end - cut_start)
        };
        Excerpt {
            text,
            span,
            cut_before_span: (cut_start > 0).then(|| before.chars().count()),
        }
    }
}

/// The part of a line to show, as a byte range: all of it, or for a line
/// longer than four windows (counted in bytes), a window before the span's
/// start and two after it.
/// Only that part is copied, masked and handed to the renderer.
fn window(line: &str, span_start: usize) -> (usize, usize) {
    if line.len() <= 4 * WINDOW {
        return (0, line.len());
    }
    let cut_start = line[..span_start]
        .char_indices()
        .rev()
        .nth(WINDOW - 1)
        .map_or(0, |(index, _)| index);
    let cut_end = line[span_start..]
        .char_indices()
        .nth(2 * WINDOW)
        .map_or(line.len(), |(index, _)| span_start + index);
    (cut_start, cut_end)
}

/// The largest character boundary of `text` at or before `offset`.
fn floor_char_boundary(text: &str, offset: usize) -> usize {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    offset
}

#[cfg(test)]
mod tests {
    use super::*;

    fn diagnostic(source: &SourceFile, span: Range<usize>, sensitive: bool) -> Diagnostic {
        Diagnostic {
            code: "PB102",
            rule: "undeclared-template-variable",
            severity: Severity::Error,
            message: "`shop_name` is not in scope".to_owned(),
            fix: Some("did you mean `shop`?".to_owned()),
            pointer: "/endpoints/list/url".to_owned(),
            span: patchbay_schema::Span::new(span.start, span.end),
            start: source.position(span.start),
            end: source.position(span.end),
            sensitive,
        }
    }

    #[test]
    fn a_long_line_is_cut_around_the_span() {
        let padding = "x".repeat(1_000_000);
        let text = format!("a = 1\nurl = \"{padding}{{{{ shop_name }}}}{padding}\"\n");
        let source = SourceFile::new("long.toml", text);
        let start = source.text().find("{{").unwrap_or_default();
        let shown = render(
            &source,
            &diagnostic(&source, start..start + 15, false),
            false,
        );
        assert!(shown.len() < 1_000, "{shown}");
        assert!(
            shown.contains(&format!("--> long.toml:2:{}", 7 + 1_000_000 + 1)),
            "{shown}"
        );
        assert!(shown.contains("...xxx"), "{shown}");
        assert!(shown.contains("{{ shop_name }}xxx"), "{shown}");
        let caret_line = shown.lines().nth(4).unwrap_or_default();
        let source_line = shown.lines().nth(3).unwrap_or_default();
        let caret_at = caret_line.find('^').unwrap_or_default();
        assert_eq!(caret_line.matches('^').count(), 15, "{shown}");
        assert_eq!(
            source_line.get(caret_at..caret_at + 2),
            Some("{{"),
            "{shown}"
        );
        assert!(shown.ends_with("= help: did you mean `shop`?"), "{shown}");
    }

    #[test]
    fn a_coloured_long_line_keeps_its_column() {
        let text = format!("key = \"{}{{{{ x }}}}\"\n", "z".repeat(5_000));
        let source = SourceFile::new("c.toml", text);
        let start = source.text().find("{{").unwrap_or_default();
        let shown = render(&source, &diagnostic(&source, start..start + 7, false), true);
        assert!(shown.contains("c.toml:1:5008"), "{shown}");
    }

    #[test]
    fn a_secret_is_masked() {
        let source = SourceFile::new("s.toml", "default = \"hunter22\"\n");
        let shown = render(&source, &diagnostic(&source, 10..20, true), false);
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(shown.contains("default = \"********\""), "{shown}");
    }

    #[test]
    fn a_secret_on_a_long_line_is_masked() {
        let padding = "y".repeat(10_000);
        let text = format!("{{\"a\": \"{padding}\", \"default\": \"hunter22\"}}");
        let source = SourceFile::new("s.json", text);
        let start = source.text().find("\"hunter22").unwrap_or_default();
        let shown = render(
            &source,
            &diagnostic(&source, start..start + 10, true),
            false,
        );
        assert!(!shown.contains("hunter22"), "{shown}");
        assert!(shown.contains("\"********\""), "{shown}");
    }

    #[test]
    fn colour_only_when_asked() {
        let source = SourceFile::new("c.toml", "a = 1\n");
        let plain = render(&source, &diagnostic(&source, 0..1, false), false);
        let colored = render(&source, &diagnostic(&source, 0..1, false), true);
        assert!(!plain.contains('\x1b'));
        assert!(colored.contains('\x1b'));
    }
}
