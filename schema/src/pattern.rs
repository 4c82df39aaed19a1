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

/// Whether a `pattern` is a valid expression, without compiling it (lint
/// checks every pattern; only values are ever matched).
///
/// ```
/// use patchbay_schema::pattern::check_pattern;
/// assert!(check_pattern("[a-z]+").is_ok());
/// assert_eq!(check_pattern("[a-z").unwrap_err(), "unclosed character class");
/// ```
pub fn check_pattern(pattern: &str) -> Result<(), String> {
    regex_syntax::Parser::new()
        .parse(&format!("^(?:{pattern})$"))
        .map(drop)
        .map_err(|error| syntax_message(&error.to_string()))
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
