//! Diagnostics: what is wrong, where, and how to fix it.

use serde::Serialize;

use crate::document::{Located, Node, PointerIndex};
use crate::rules::Rule;
use crate::source::{Position, SourceFile, Span};

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth a look; does not fail `lint` unless `--deny-warnings`.
    Warning,
    /// The spec cannot be used as written.
    Error,
}

impl Severity {
    /// `error` or `warning`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// One finding in one file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// The rule's code.
    pub code: &'static str,
    /// The rule's name.
    pub rule: &'static str,
    /// Error or warning.
    pub severity: Severity,
    /// What is wrong.
    pub message: String,
    /// How to fix it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<String>,
    /// JSON pointer of the offending key or value.
    pub pointer: String,
    /// Byte range in the file.
    pub span: Span,
    /// Where the span starts.
    pub start: Position,
    /// Where the span ends.
    pub end: Position,
    /// The span holds a value that must not be shown (a secret default):
    /// renderers mask it.
    #[serde(skip)]
    pub sensitive: bool,
}

/// What a diagnostic points at.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Target<'p> {
    /// The key that holds the value at the pointer (for a missing key, the
    /// table that should hold it).
    Key(&'p str),
    /// The value at the pointer.
    Value(&'p str),
    /// A span inside the value at the pointer.
    Within(&'p str, Span),
}

impl<'p> Target<'p> {
    fn pointer(self) -> &'p str {
        match self {
            Target::Key(p) | Target::Value(p) | Target::Within(p, _) => p,
        }
    }
}

/// A diagnostic before it is placed in the file.
#[derive(Debug)]
pub(crate) struct Finding {
    pub(crate) rule: &'static Rule,
    pub(crate) message: String,
    pub(crate) fix: Option<String>,
    pub(crate) sensitive: bool,
}

impl Finding {
    pub(crate) fn new(rule: &'static Rule, message: impl Into<String>) -> Self {
        Finding {
            rule,
            message: message.into(),
            fix: None,
            sensitive: false,
        }
    }

    pub(crate) fn fix(mut self, fix: impl Into<String>) -> Self {
        self.fix = Some(fix.into());
        self
    }

    pub(crate) fn sensitive(mut self) -> Self {
        self.sensitive = true;
        self
    }
}

/// How much did-you-mean work one file may cost, in pairs of characters
/// compared (about 0.1 s): enough for thousands of suggestions among
/// thousands of names, while a file built to make every lookup compare
/// against everything gets no more suggestions once it is spent.
const SUGGESTION_BUDGET: usize = 20_000_000;

/// Names longer than this are never compared for a suggestion: no author
/// misspells a 65-character name, and comparing costs the product of the
/// lengths.
const MAX_SUGGESTED_NAME: usize = 64;

/// Collects the diagnostics of one file, placing each at file:line:col.
#[derive(Debug)]
pub(crate) struct Reporter<'a> {
    file: &'a SourceFile,
    document: Option<PointerIndex<'a>>,
    diagnostics: Vec<Diagnostic>,
    /// What is left of [`SUGGESTION_BUDGET`].
    suggestion_budget: usize,
}

impl<'a> Reporter<'a> {
    pub(crate) fn new(file: &'a SourceFile, document: Option<&'a Node>) -> Self {
        Reporter {
            file,
            document: document.map(PointerIndex::new),
            diagnostics: Vec::new(),
            suggestion_budget: SUGGESTION_BUDGET,
        }
    }

    /// The node a pointer names in the file, if there is a file.
    pub(crate) fn locate(&self, pointer: &str) -> Option<Located<'a>> {
        self.document.as_ref()?.locate(pointer)
    }

    /// Whether any suggestion budget is left.
    pub(crate) fn can_suggest(&self) -> bool {
        self.suggestion_budget > 0
    }

    /// [`did_you_mean`], within this file's suggestion budget.
    pub(crate) fn did_you_mean<'c>(
        &mut self,
        word: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<&'c str> {
        closest(word, candidates, &mut self.suggestion_budget)
    }

    /// The fix that offers the candidate closest to a misspelt word, if one
    /// is close enough (see [`did_you_mean`]) and the budget allows.
    pub(crate) fn suggest<'c>(
        &mut self,
        word: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<String> {
        self.did_you_mean(word, candidates).map(offer)
    }

    /// Reports a finding at a span the caller already knows.
    pub(crate) fn report_span(&mut self, pointer: &str, span: Span, finding: Finding) {
        let start = self.file.position(span.start);
        let end = self.file.position(span.end.max(span.start));
        self.diagnostics.push(Diagnostic {
            code: finding.rule.code,
            rule: finding.rule.name,
            severity: finding.rule.severity,
            message: finding.message,
            fix: finding.fix,
            pointer: pointer.to_owned(),
            span,
            start,
            end,
            sensitive: finding.sensitive,
        });
    }

    /// Reports a finding at a key or value of the document.
    pub(crate) fn report(&mut self, target: Target<'_>, finding: Finding) {
        let span = match &self.document {
            None => Span::default(),
            Some(document) => {
                let located = document.locate_nearest(target.pointer());
                match target {
                    Target::Key(_) => located.key_or_value_span(),
                    Target::Value(_) => located.node.span,
                    Target::Within(_, inner) => Span::new(
                        located.node.span.start + inner.start,
                        located.node.span.start + inner.end,
                    ),
                }
            }
        };
        // A missing key at the top level is reported at line 1, column 1.
        let span = if span == Span::new(0, self.file.text().len()) {
            Span::default()
        } else {
            span
        };
        self.report_span(target.pointer(), span, finding);
    }

    /// The diagnostics, in file order, without repeats.
    pub(crate) fn finish(mut self) -> Vec<Diagnostic> {
        self.diagnostics.sort_by(|a, b| {
            (a.span.start, a.code, &a.message).cmp(&(b.span.start, b.code, &b.message))
        });
        self.diagnostics
            .dedup_by(|a, b| a.code == b.code && a.pointer == b.pointer && a.message == b.message);
        self.diagnostics
    }
}

/// The human name of the table or key a pointer names, as a TOML author
/// writes it: `/auth/code/token_url` → `auth.code.token_url`.
pub(crate) fn dotted_path(pointer: &str) -> String {
    let segments: Vec<String> = crate::document::pointer_segments(pointer)
        .map(|segment| {
            let bare = !segment.is_empty()
                && segment
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
            if bare {
                segment.into_owned()
            } else {
                format!("{segment:?}")
            }
        })
        .collect();
    if segments.is_empty() {
        "the top level".to_owned()
    } else {
        segments.join(".")
    }
}

/// The candidate closest to a misspelt word, if one is close enough to be
/// what the author meant.
/// Names over 64 bytes are neither given a suggestion nor suggested.
pub fn did_you_mean<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<&'c str> {
    let mut unlimited = usize::MAX;
    closest(word, candidates, &mut unlimited)
}

/// [`did_you_mean`], spending `budget` (pairs of characters compared) and
/// giving up once it is spent.
fn closest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
    budget: &mut usize,
) -> Option<&'c str> {
    if word.len() > MAX_SUGGESTED_NAME {
        return None;
    }
    // Edit distance relative to length, so that a long name sharing only a
    // prefix (`token_refesh_endpoint`, `token_url`) is not "close"; a name
    // that contains the other (`shop_name`, `shop`) is.
    let contains = |a: &str, b: &str| b.len() >= 3 && a.contains(b);
    candidates
        .into_iter()
        .filter(|candidate| candidate.len() <= MAX_SUGGESTED_NAME)
        .map_while(|candidate| {
            let cost = (word.len() + 1) * (candidate.len() + 1);
            let Some(left) = budget.checked_sub(cost) else {
                *budget = 0;
                return None;
            };
            *budget = left;
            Some((
                strsim::normalized_damerau_levenshtein(word, candidate),
                candidate,
            ))
        })
        .filter(|&(score, candidate)| {
            score >= 0.6 || contains(word, candidate) || contains(candidate, word)
        })
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| candidate)
}

/// The fix that offers the candidate closest to a misspelt word among a
/// few fixed ones (a table's fields, a union's tags); a spec's own names
/// go through [`Reporter::suggest`], which keeps to a budget.
pub(crate) fn suggest<'c>(
    word: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    did_you_mean(word, candidates).map(offer)
}

/// The fix that offers `suggestion` in place of what the author wrote.
pub(crate) fn offer(suggestion: &str) -> String {
    format!("did you mean `{suggestion}`?")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_paths_quote_odd_keys() {
        assert_eq!(dotted_path("/auth/code/token_url"), "auth.code.token_url");
        assert_eq!(
            dotted_path("/endpoints/x/headers/X.Y"),
            "endpoints.x.headers.\"X.Y\""
        );
        assert_eq!(dotted_path(""), "the top level");
    }

    #[test]
    fn suggestions_keep_to_their_budget() {
        let file = SourceFile::new("a.toml", "");
        let mut reporter = Reporter::new(&file, None);
        assert_eq!(
            reporter.did_you_mean("token_ulr", ["token_url"]),
            Some("token_url")
        );
        // Names nothing like the word, until the budget is spent.
        let (word, other) = (
            "n".repeat(MAX_SUGGESTED_NAME),
            "m".repeat(MAX_SUGGESTED_NAME),
        );
        let many = vec![other.as_str(); SUGGESTION_BUDGET / (word.len() + 1).pow(2) + 1];
        assert_eq!(reporter.did_you_mean(&word, many), None);
        assert!(!reporter.can_suggest());
        assert_eq!(reporter.did_you_mean("token_ulr", ["token_url"]), None);
        let long = "x".repeat(MAX_SUGGESTED_NAME + 1);
        assert_eq!(did_you_mean(&long, [long.as_str()]), None);
    }

    #[test]
    fn suggestions_need_to_be_close() {
        let fields = ["token_url", "authorize_url", "revoke_url"];
        assert_eq!(did_you_mean("token_ulr", fields), Some("token_url"));
        assert_eq!(
            did_you_mean("token_refesh_endpoint", ["token_url", "label"]),
            None
        );
    }
}
