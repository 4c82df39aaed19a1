//! Variable `pattern`s: regular expressions that match a whole value.

use regex::Regex;

/// Compiles a variable's `pattern` so that it must match the whole value,
/// as HTML form patterns do. The error is the regex crate's message.
///
/// ```
/// use patchbay_schema::pattern::compile_pattern;
/// let account = compile_pattern("[0-9]+(-sb[0-9])?").unwrap();
/// assert!(account.is_match("1234567-sb1"));
/// assert!(!account.is_match("x1234567"));
/// ```
pub fn compile_pattern(pattern: &str) -> Result<Regex, String> {
    regex::RegexBuilder::new(&format!("^(?:{pattern})$"))
        .size_limit(1 << 20)
        .build()
        .map_err(|error| match error {
            regex::Error::Syntax(message) => message
                .lines()
                .rev()
                .find(|line| line.starts_with("error:"))
                .map_or(message.clone(), |line| {
                    line.trim_start_matches("error:").trim().to_owned()
                }),
            other => other.to_string(),
        })
}
