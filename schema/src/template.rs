//! Templates: parsing with MiniJinja, the names a template refers to, and
//! the positions of its `{{ … }}` expressions.

use std::ops::Range;
use std::sync::OnceLock;

use minijinja::Environment;

/// A template that MiniJinja cannot parse.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateError {
    /// What is wrong, as MiniJinja says it.
    pub message: String,
    /// Byte range in the template text, if MiniJinja knows it.
    pub range: Option<Range<usize>>,
}

/// The parse environment: MiniJinja's syntax and built-in functions, and
/// nothing that could reach outside the template.
fn environment() -> &'static Environment<'static> {
    static ENVIRONMENT: OnceLock<Environment<'static>> = OnceLock::new();
    ENVIRONMENT.get_or_init(Environment::new)
}

/// Whether a name is a function MiniJinja provides (`range`, `dict`…),
/// rather than a variable.
fn is_builtin(name: &str) -> bool {
    static BUILTINS: OnceLock<Vec<String>> = OnceLock::new();
    BUILTINS
        .get_or_init(|| {
            environment()
                .globals()
                .map(|(name, _)| name.to_owned())
                .collect()
        })
        .iter()
        .any(|builtin| builtin == name)
}

/// Whether `name` is one of MiniJinja's built-in filters (`lower`,
/// `join`…). MiniJinja looks a filter up only when it applies it, so this
/// applies it once to an undefined value: only an unknown filter fails
/// with `UnknownFilter`.
pub fn is_builtin_filter(name: &str) -> bool {
    if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') || name.is_empty() {
        return false;
    }
    let Ok(expression) = environment().compile_expression_owned(format!("none | {name}")) else {
        return false;
    };
    !matches!(expression.eval(()), Err(e) if e.kind() == minijinja::ErrorKind::UnknownFilter)
}

/// The variables a template refers to, sorted; or why it does not parse.
///
/// ```
/// use patchbay_schema::template::referenced_names;
/// assert_eq!(referenced_names("{{ url }}/orders/{{ id | upper }}").unwrap(), ["id", "url"]);
/// assert!(referenced_names("{{ url }/orders").is_err());
/// ```
pub fn referenced_names(text: &str) -> Result<Vec<String>, TemplateError> {
    if !text.contains("{{") && !text.contains("{%") && !text.contains("{#") {
        return Ok(Vec::new());
    }
    if let Some(names) = plain_names(text) {
        return Ok(names);
    }
    let template = environment()
        .template_from_str(text)
        .map_err(|error| TemplateError {
            message: error
                .detail()
                .map_or_else(|| error.kind().to_string(), str::to_owned),
            range: error.range(),
        })?;
    let mut names: Vec<String> = template
        .undeclared_variables(false)
        .into_iter()
        .filter(|name| !is_builtin(name))
        .collect();
    names.sort();
    Ok(names)
}

/// The names of a template made only of text and `{{ name }}`
/// expressions — most templates in a spec — found without a full parse.
/// `None` for anything else, which MiniJinja parses.
fn plain_names(text: &str) -> Option<Vec<String>> {
    if text.contains("{%") || text.contains("{#") {
        return None;
    }
    let expressions = expressions(text);
    // An unclosed `{{` is a syntax error for MiniJinja to describe.
    if expressions.len() != text.matches("{{").count() {
        return None;
    }
    let mut names = expressions
        .iter()
        .map(|e| e.simple_name().map(str::to_owned))
        .collect::<Option<Vec<_>>>()?;
    names.sort();
    names.dedup();
    Some(names)
}

/// Names in a template known to be well-formed (the catalogue's own
/// defaults).
pub(crate) fn simple_names(text: &str) -> Vec<String> {
    referenced_names(text).unwrap_or_default()
}

/// A name a template refers to with its attributes (`page.cursor`), and
/// the `{{ … }}` expression it stands in (`None`: inside a `{% … %}` tag,
/// or a template MiniJinja cannot parse).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PathReference {
    /// The dotted path, e.g. `page.cursor`.
    pub path: String,
    /// Byte range of the `{{ … }}` expression in the template.
    pub range: Option<Range<usize>>,
}

/// The dotted paths a template refers to under the name `root`
/// (`page.cursor`, or `page` alone when the object is used whole), each
/// with the expression it stands in, in order.
///
/// ```
/// use patchbay_schema::template::referenced_paths;
/// let found = referenced_paths("a={{ page.size }}&b={{ page.cursr | upper }}", "page");
/// let paths: Vec<&str> = found.iter().map(|r| r.path.as_str()).collect();
/// assert_eq!(paths, ["page.size", "page.cursr"]);
/// assert_eq!(found[1].range, Some(20..44));
/// ```
pub fn referenced_paths(text: &str, root: &str) -> Vec<PathReference> {
    if !text.contains(root) {
        return Vec::new();
    }
    let of = |template: &str| -> Vec<String> {
        let Ok(parsed) = environment().template_from_str(template) else {
            return Vec::new();
        };
        let mut paths: Vec<String> = parsed
            .undeclared_variables(true)
            .into_iter()
            .filter(|path| path == root || path.starts_with(&format!("{root}.")))
            .collect();
        paths.sort();
        paths
    };
    let mut found = Vec::new();
    for expression in expressions(text) {
        for path in of(&text[expression.range.clone()]) {
            found.push(PathReference {
                path,
                range: Some(expression.range.clone()),
            });
        }
    }
    // Paths used only inside `{% … %}` tags.
    for path in of(text) {
        if !found.iter().any(|r| r.path == path) {
            found.push(PathReference { path, range: None });
        }
    }
    found
}

/// The name or path a template is exactly one reference to
/// (`{{ name }}`, `{{ page.cursor }}`), if it is one: an entry with such a
/// template is left out of a request that lacks the value (an optional
/// variable given none, or one of the
/// [`OPTIONAL_RUNTIME_VALUES`](crate::catalog::OPTIONAL_RUNTIME_VALUES)).
///
/// ```
/// use patchbay_schema::template::single_reference;
/// assert_eq!(single_reference("{{ page.cursor }}"), Some("page.cursor"));
/// assert_eq!(single_reference("{{- on_behalf_of -}}"), Some("on_behalf_of"));
/// assert_eq!(single_reference("x{{ page.cursor }}"), None);
/// assert_eq!(single_reference("{{ name | lower }}"), None);
/// ```
pub fn single_reference(text: &str) -> Option<&str> {
    let [only] = expressions(text).try_into().ok()?;
    if only.range != (0..text.len()) {
        return None;
    }
    let path = only
        .source
        .trim_start_matches('-')
        .trim_end_matches('-')
        .trim();
    let is_path = !path.is_empty()
        && path.split('.').all(|part| {
            part.chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphabetic() || c == '_')
                && part.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
        });
    is_path.then_some(path)
}

/// The optional runtime value (one of
/// [`OPTIONAL_RUNTIME_VALUES`](crate::catalog::OPTIONAL_RUNTIME_VALUES))
/// a template is exactly a reference to, if it is one: an entry with that
/// template is left out of a request that lacks the value.
///
/// ```
/// use patchbay_schema::template::optional_reference;
/// assert_eq!(optional_reference("{{ page.cursor }}"), Some("page.cursor"));
/// assert_eq!(optional_reference("x{{ page.cursor }}"), None);
/// assert_eq!(optional_reference("{{ page.number }}"), None);
/// ```
pub fn optional_reference(text: &str) -> Option<&'static str> {
    let path = single_reference(text)?;
    crate::catalog::OPTIONAL_RUNTIME_VALUES
        .iter()
        .copied()
        .find(|value| *value == path)
}

/// A filter a template applies (`{{ email | lower | md5 }}` applies
/// `lower` and `md5`), with the byte range of its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FilterUse<'a> {
    /// The filter's name.
    pub name: &'a str,
    /// Byte range of the name in the template.
    pub range: Range<usize>,
}

/// The filters a template applies, in order: each name after a `|` in a
/// `{{ … }}` or `{% … %}` (outside string literals), and the name of a
/// `{% filter … %}` block. MiniJinja looks filters up only when it
/// renders, so lint finds them here.
///
/// ```
/// use patchbay_schema::template::filter_uses;
/// let found = filter_uses("{{ email | lower | md5 }}/{{ a ~ '|x' }}");
/// let names: Vec<&str> = found.iter().map(|f| f.name).collect();
/// assert_eq!(names, ["lower", "md5"]);
/// ```
pub fn filter_uses(text: &str) -> Vec<FilterUse<'_>> {
    let mut found = Vec::new();
    if !text.contains('|') && !text.contains("filter") {
        return found;
    }
    let bytes = text.as_bytes();
    let identifier = |start: usize| -> Option<Range<usize>> {
        let mut i = start;
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let begin = i;
        while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'_') {
            i += 1;
        }
        (i > begin && !bytes[begin].is_ascii_digit()).then_some(begin..i)
    };
    let mut i = 0;
    while i + 1 < bytes.len() {
        let close = match &bytes[i..i + 2] {
            b"{{" => "}}",
            b"{%" => "%}",
            _ => {
                i += 1;
                continue;
            }
        };
        let start = i + 2;
        let mut j = start;
        let mut quote: Option<u8> = None;
        // `{% filter name %}` applies `name` to the block.
        if close == "%}" {
            let inner = text[start..].trim_start_matches(['-', '+']).trim_start();
            if let Some(rest) = inner.strip_prefix("filter")
                && rest.starts_with(|c: char| c.is_ascii_whitespace())
            {
                let offset = text.len() - rest.len();
                if let Some(range) = identifier(offset) {
                    found.push(FilterUse {
                        name: &text[range.clone()],
                        range,
                    });
                }
            }
        }
        while j < bytes.len() {
            let b = bytes[j];
            match quote {
                Some(_) if b == b'\\' => {
                    j += 2;
                    continue;
                }
                Some(q) if b == q => quote = None,
                Some(_) => {}
                None if b == b'\'' || b == b'"' => quote = Some(b),
                None if bytes[j..].starts_with(close.as_bytes()) => break,
                None if b == b'|' => {
                    if let Some(range) = identifier(j + 1) {
                        found.push(FilterUse {
                            name: &text[range.clone()],
                            range,
                        });
                    }
                }
                None => {}
            }
            j += 1;
        }
        i = j + 2;
    }
    found
}

/// One `{{ … }}` expression of a template.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expression<'a> {
    /// Byte range of the whole `{{ … }}` in the template.
    pub range: Range<usize>,
    /// The expression between the braces, trimmed.
    pub source: &'a str,
}

impl<'a> Expression<'a> {
    /// The variable, if the expression is just one name (`{{ url }}`).
    pub fn simple_name(&self) -> Option<&'a str> {
        let source = self
            .source
            .trim_start_matches('-')
            .trim_end_matches('-')
            .trim();
        // Literals look like names but are not variables.
        if matches!(
            source,
            "true" | "false" | "none" | "True" | "False" | "None"
        ) {
            return None;
        }
        let mut chars = source.chars();
        let first = chars.next()?;
        ((first.is_ascii_alphabetic() || first == '_')
            && chars.all(|c| c.is_ascii_alphanumeric() || c == '_'))
        .then_some(source)
    }

    /// The variables the expression refers to.
    pub fn names(&self) -> Vec<String> {
        match self.simple_name() {
            Some(name) => vec![name.to_owned()],
            None => referenced_names(&format!("{{{{ {} }}}}", self.source)).unwrap_or_default(),
        }
    }
}

/// The name a template is made of when it is exactly one `{{ name }}` and
/// nothing else: the templates whose entry the runtime leaves out when the
/// value is absent (`{{ checkpoint }}` on a first run).
///
/// ```
/// use patchbay_schema::template::whole_name;
/// assert_eq!(whole_name("{{ checkpoint }}"), Some("checkpoint"));
/// assert_eq!(whole_name("since:{{ checkpoint }}"), None);
/// assert_eq!(whole_name("{{ checkpoint | lower }}"), None);
/// ```
pub fn whole_name(text: &str) -> Option<&str> {
    match expressions(text).as_slice() {
        [only] if only.range == (0..text.len()) && !text.contains("{%") => only.simple_name(),
        _ => None,
    }
}

/// The `{{ … }}` expressions of a template, in order. An unclosed `{{`
/// ends the list (that is a syntax error, reported by [`referenced_names`]).
pub fn expressions(text: &str) -> Vec<Expression<'_>> {
    let mut found = Vec::new();
    let mut rest = 0;
    while let Some(open) = text[rest..].find("{{").map(|i| rest + i) {
        let Some(close) = text[open + 2..].find("}}").map(|i| open + 2 + i) else {
            break;
        };
        found.push(Expression {
            range: open..close + 2,
            source: text[open + 2..close].trim(),
        });
        rest = close + 2;
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_exclude_locals_and_builtins() {
        assert_eq!(
            referenced_names("{% for i in range(3) %}{{ i }}{{ page }}{% endfor %}").unwrap(),
            ["page"]
        );
        assert_eq!(
            referenced_names("plain text").unwrap(),
            Vec::<String>::new()
        );
        assert_eq!(referenced_names("{{ user.name }}").unwrap(), ["user"]);
    }

    #[test]
    fn plain_templates_agree_with_minijinja() {
        for text in [
            "{{ url }}/a/{{ id }}/{{url}}",
            "x }} {{ a }}",
            "{{- a -}}",
            "{{ true }}{{ b }}",
        ] {
            let fast = referenced_names(text).unwrap();
            let template = environment().template_from_str(text).unwrap();
            let mut slow: Vec<String> = template.undeclared_variables(false).into_iter().collect();
            slow.sort();
            assert_eq!(fast, slow, "{text}");
        }
        assert!(referenced_names("{{ a }} {{ b").is_err());
    }

    #[test]
    fn syntax_errors_say_where() {
        let error = referenced_names("abc {{ url }/x").unwrap_err();
        assert!(!error.message.is_empty());
        assert!(error.range.is_some());
    }

    #[test]
    fn filters_are_found_outside_strings() {
        let names = |text| -> Vec<&str> { filter_uses(text).into_iter().map(|f| f.name).collect() };
        assert_eq!(names("{{ a | lower|md5 }}"), ["lower", "md5"]);
        assert_eq!(names("x | y {{ a }}"), Vec::<&str>::new());
        assert_eq!(names("{{ 'a|b' ~ \"c|d\" | upper }}"), ["upper"]);
        assert_eq!(names("{{ 'it\\'s|x' }}"), Vec::<&str>::new());
        assert_eq!(
            names("{% for i in x | sort %}{% endfor %}{% filter upper %}a{% endfilter %}"),
            ["sort", "upper"]
        );
        assert_eq!(
            names("{{ a | hmac_sha256(key, 'base64') }}"),
            ["hmac_sha256"]
        );
        let found = filter_uses("{{ a | md5 }}");
        assert_eq!(found[0].range, 7..10);
        assert_eq!(names("{{ a |"), Vec::<&str>::new());
        assert_eq!(names("{{ 'é|' | é }}é{{ b|md5 }}"), ["md5"]);
    }

    #[test]
    fn expressions_are_found_in_order() {
        let found = expressions("{{ url }}/a/{{- id -}}?q={{ q | lower }}");
        assert_eq!(found.len(), 3);
        assert_eq!(found[0].range, 0..9);
        assert_eq!(found[0].simple_name(), Some("url"));
        assert_eq!(found[1].simple_name(), Some("id"));
        assert_eq!(found[2].simple_name(), None);
        assert_eq!(found[2].names(), ["q"]);
        assert!(expressions("{{ open").is_empty());
    }
}
