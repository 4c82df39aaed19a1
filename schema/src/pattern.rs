//! Variable `pattern`s: regular expressions that match a whole value, with
//! the limits that lint and the runtime both apply (this is their one
//! home, so a pattern lint accepts is one every run can use).

use regex::Regex;

/// The longest `pattern`, in bytes. A pattern describes one form field's
/// value; parsing one costs memory many times its length, and a 24 MB
/// pattern took 2.4 GB before this limit.
pub const MAX_PATTERN_BYTES: usize = 1024;

/// The largest compiled `pattern`, in bytes of the regex crate's program
/// (its `size_limit`). A counted repetition multiplies the size: `\w{5000}`
/// (a Unicode class, thousands of ranges, repeated 5000 times) exceeds it.
pub const MAX_COMPILED_PATTERN_BYTES: usize = 1 << 20;

/// Compiles a variable's `pattern` so that it must match the whole value,
/// as HTML form patterns do, within [`MAX_PATTERN_BYTES`] and
/// [`MAX_COMPILED_PATTERN_BYTES`]. The error says what is wrong.
///
/// ```
/// use patchbay_schema::pattern::compile_pattern;
/// let account = compile_pattern("[0-9]+(-sb[0-9])?").unwrap();
/// assert!(account.is_match("1234567-sb1"));
/// assert!(!account.is_match("x1234567"));
/// assert!(compile_pattern(r"\w{5000}").unwrap_err().contains("1 MiB"));
/// ```
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    compile(pattern).map_err(|error| match error {
        PatternError::Syntax(message) | PatternError::Limit(message) => message,
    })
}

/// Why a pattern cannot be used.
pub(crate) enum PatternError {
    /// It is not a regular expression.
    Syntax(String),
    /// It is one, over a limit.
    Limit(String),
}

pub(crate) fn compile(pattern: &str) -> Result<Regex, PatternError> {
    if pattern.len() > MAX_PATTERN_BYTES {
        return Err(PatternError::Limit(format!(
            "it is {} bytes long, over the limit of {MAX_PATTERN_BYTES} bytes",
            pattern.len()
        )));
    }
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(MAX_COMPILED_PATTERN_BYTES)
        .build()
        .map_err(|error| match error {
            regex::Error::Syntax(message) => PatternError::Syntax(syntax_message(&message)),
            regex::Error::CompiledTooBig(_) => PatternError::Limit(format!(
                "compiled, it is over the limit of {} MiB (a counted repetition such as `\\w{{5000}}` multiplies the size of what it repeats)",
                MAX_COMPILED_PATTERN_BYTES >> 20
            )),
            other => PatternError::Syntax(other.to_string()),
        })
}

/// Whether a `pattern` can be used: it compiles within the limits every
/// run applies ([`compile_pattern`]).
///
/// ```
/// use patchbay_schema::pattern::check_pattern;
/// assert!(check_pattern("[a-z]+").is_ok());
/// assert_eq!(check_pattern("[a-z").unwrap_err(), "unclosed character class");
/// ```
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    compile_pattern(pattern).map(drop)
}

/// The one line of a regex syntax error that says what is wrong.
fn syntax_message(message: &str) -> String {
    message
        .lines()
        .rev()
        .find(|line| line.starts_with("error:"))
        .map_or(message.to_owned(), |line| {
            line.trim_start_matches("error:").trim().to_owned()
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lint_and_runtime_refuse_the_same_patterns() {
        // Lint once checked syntax only, and accepted these.
        for pattern in [r"\w{5000}".to_owned(), "a".repeat(MAX_PATTERN_BYTES + 1)] {
            assert!(check_pattern(&pattern).is_err(), "{pattern:.20}");
            assert!(compile_pattern(&pattern).is_err(), "{pattern:.20}");
        }
        assert!(check_pattern(r"\w{20}").is_ok());
        assert!(check_pattern("[0-9a-z]{500}").is_ok());
        assert!(check_pattern(&"a".repeat(MAX_PATTERN_BYTES)).is_ok());
    }
}
