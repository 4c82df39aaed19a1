//! A parsed spec file as a tree of values that remember where they stand.
//!
//! TOML and JSON both parse into a [`Node`] tree; validation and lint rules
//! address values by JSON pointer, and the tree turns a pointer back into
//! the span of the key or value it names.

use std::borrow::Cow;
use std::collections::HashMap;
use std::rc::Rc;

use crate::source::{SourceFile, SourceFormat, Span};

/// A value with its span.
#[derive(Debug, Clone, PartialEq)]
pub struct Node {
    /// The value.
    pub value: NodeValue,
    /// Where the value stands in the file.
    pub span: Span,
}

/// The kinds of value a spec file holds.
#[derive(Debug, Clone, PartialEq)]
pub enum NodeValue {
    /// JSON `null`.
    Null,
    /// A boolean.
    Bool(bool),
    /// An integer.
    Integer(i64),
    /// A floating-point number (finite).
    Float(f64),
    /// A string (TOML datetimes are kept as their text).
    String(String),
    /// An array.
    Array(Vec<Node>),
    /// A table or object, in source order.
    Object(Vec<Member>),
}

/// One key of a table or object.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    /// The key.
    pub key: String,
    /// Where the key stands (for a table header, inside the header).
    pub key_span: Span,
    /// The value.
    pub value: Node,
}

/// What a JSON pointer names in a document.
#[derive(Debug, Clone, Copy)]
pub struct Located<'a> {
    /// The node.
    pub node: &'a Node,
    /// The span of the key that holds it, if it is an object member.
    pub key_span: Option<Span>,
}

impl Located<'_> {
    /// The span to point at for the key: the key if there is one, the value
    /// otherwise.
    pub fn key_or_value_span(&self) -> Span {
        self.key_span.unwrap_or(self.node.span)
    }
}

/// A file that is not well-formed TOML or JSON.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// What is wrong.
    pub message: String,
    /// Where.
    pub span: Span,
}

impl Node {
    /// Parses a source file in its format.
    pub fn parse(file: &SourceFile) -> Result<Node, SyntaxError> {
        match file.format() {
            SourceFormat::Toml => from_toml(file.text()),
            SourceFormat::Json => from_json(file.text()),
        }
    }

    /// The value as JSON, for schema validation and deserialization.
    pub fn to_json(&self) -> serde_json::Value {
        use serde_json::Value;
        match &self.value {
            NodeValue::Null => Value::Null,
            NodeValue::Bool(b) => Value::Bool(*b),
            NodeValue::Integer(i) => Value::from(*i),
            NodeValue::Float(f) => {
                serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number)
            }
            NodeValue::String(s) => Value::String(s.clone()),
            NodeValue::Array(items) => Value::Array(items.iter().map(Node::to_json).collect()),
            NodeValue::Object(members) => Value::Object(
                members
                    .iter()
                    .map(|m| (m.key.clone(), m.value.to_json()))
                    .collect(),
            ),
        }
    }

    /// The members, if this is an object.
    pub fn members(&self) -> &[Member] {
        match &self.value {
            NodeValue::Object(members) => members,
            _ => &[],
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            NodeValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The node a JSON pointer (RFC 6901) names, with its key's span.
    ///
    /// ```
    /// use patchbay_schema::{document::Node, SourceFile};
    /// let file = SourceFile::new("a.toml", "[auth.x]\ntype = \"none\"\n");
    /// let doc = Node::parse(&file).unwrap();
    /// let found = doc.locate("/auth/x/type").unwrap();
    /// assert_eq!(found.node.as_str(), Some("none"));
    /// assert_eq!(&file.text()[found.key_span.unwrap().start..][..4], "type");
    /// ```
    pub fn locate(&self, pointer: &str) -> Option<Located<'_>> {
        locate_with(self, pointer, |_, members, key| last_member(members, key))
    }

    /// The deepest node on the way to a pointer that exists: a pointer to a
    /// missing key resolves to the table that should hold it.
    pub fn locate_nearest(&self, pointer: &str) -> Located<'_> {
        nearest(self, pointer, |prefix| self.locate(prefix))
    }
}

/// Follows `pointer` from `root`; `member` finds a key among a table's
/// members (the last one wins, as in the parsers).
fn locate_with<'a>(
    root: &'a Node,
    pointer: &str,
    member: impl Fn(&'a Node, &'a [Member], &str) -> Option<&'a Member>,
) -> Option<Located<'a>> {
    let mut found = Located {
        node: root,
        key_span: None,
    };
    for segment in pointer_segments(pointer) {
        found = match &found.node.value {
            NodeValue::Object(members) => {
                let member = member(found.node, members, &segment)?;
                Located {
                    node: &member.value,
                    key_span: Some(member.key_span),
                }
            }
            NodeValue::Array(items) => Located {
                node: items.get(segment.parse::<usize>().ok()?)?,
                key_span: None,
            },
            _ => return None,
        };
    }
    Some(found)
}

/// The deepest prefix of `pointer` that `locate` finds, else `root`.
fn nearest<'a>(
    root: &'a Node,
    pointer: &str,
    locate: impl Fn(&str) -> Option<Located<'a>>,
) -> Located<'a> {
    let mut prefix = pointer;
    loop {
        if let Some(found) = locate(prefix) {
            return found;
        }
        match prefix.rfind('/') {
            Some(i) => prefix = &prefix[..i],
            None => {
                return Located {
                    node: root,
                    key_span: None,
                };
            }
        }
    }
}

/// The last member named `key`: a repeated key's last value is the one
/// that counts.
fn last_member<'a>(members: &'a [Member], key: &str) -> Option<&'a Member> {
    members.iter().rev().find(|m| m.key == key)
}

/// A document with its large tables indexed by key, so that placing many
/// diagnostics in a table of many members (a spec's endpoints) costs a
/// lookup each, not a scan.
#[derive(Debug)]
pub(crate) struct PointerIndex<'a> {
    root: &'a Node,
    /// The last member of each key, for each table of more than
    /// [`Self::SCAN`] members, made when a pointer first goes through it.
    tables: std::cell::RefCell<HashMap<*const Node, Rc<HashMap<&'a str, &'a Member>>>>,
}

impl<'a> PointerIndex<'a> {
    /// Tables up to this size are scanned.
    const SCAN: usize = 16;

    pub(crate) fn new(root: &'a Node) -> Self {
        PointerIndex {
            root,
            tables: Default::default(),
        }
    }

    fn member(&self, table: &'a Node, members: &'a [Member], key: &str) -> Option<&'a Member> {
        if members.len() <= Self::SCAN {
            return last_member(members, key);
        }
        let index = Rc::clone(
            self.tables
                .borrow_mut()
                .entry(table as *const Node)
                .or_insert_with(|| Rc::new(members.iter().map(|m| (m.key.as_str(), m)).collect())),
        );
        index.get(key).copied()
    }

    /// As [`Node::locate`].
    pub(crate) fn locate(&self, pointer: &str) -> Option<Located<'a>> {
        locate_with(self.root, pointer, |table, members, key| {
            self.member(table, members, key)
        })
    }

    /// As [`Node::locate_nearest`].
    pub(crate) fn locate_nearest(&self, pointer: &str) -> Located<'a> {
        nearest(self.root, pointer, |prefix| self.locate(prefix))
    }
}

/// The unescaped segments of a JSON pointer.
pub fn pointer_segments(pointer: &str) -> impl Iterator<Item = Cow<'_, str>> {
    pointer.split('/').skip(1).map(|segment| {
        if segment.contains('~') {
            Cow::Owned(segment.replace("~1", "/").replace("~0", "~"))
        } else {
            Cow::Borrowed(segment)
        }
    })
}

/// Appends one escaped segment to a JSON pointer.
pub fn pointer_push(pointer: &str, segment: &str) -> String {
    let mut pushed = String::with_capacity(pointer.len() + segment.len() + 1);
    pushed.push_str(pointer);
    pushed.push('/');
    if segment.contains(['~', '/']) {
        pushed.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    } else {
        pushed.push_str(segment);
    }
    pushed
}

fn from_toml(text: &str) -> Result<Node, SyntaxError> {
    let table = toml::de::DeTable::parse(text).map_err(|error| SyntaxError {
        message: toml_message(error.message()),
        span: error.span().map_or_else(Span::default, Span::from),
    })?;
    // The document table spans the whole file.
    let span = Span::new(0, text.len());
    toml_table(table.into_inner(), span)
}

/// TOML errors are several lines; the first says what is wrong, the rest
/// repeat what a diagnostic shows anyway.
fn toml_message(message: &str) -> String {
    message.lines().next().unwrap_or(message).trim().to_owned()
}

fn toml_table(table: toml::de::DeTable<'_>, span: Span) -> Result<Node, SyntaxError> {
    let mut members = Vec::with_capacity(table.len());
    for (key, value) in table {
        let key_span = Span::from(key.span());
        let value_span = Span::from(value.span());
        members.push(Member {
            key: key.into_inner().into_owned(),
            key_span,
            // Implicit tables (`[a.b]` creating `a`) have no span of their own.
            value: toml_value(
                value.into_inner(),
                if value_span.is_empty() {
                    key_span
                } else {
                    value_span
                },
            )?,
        });
    }
    Ok(Node {
        value: NodeValue::Object(members),
        span,
    })
}

fn toml_value(value: toml::de::DeValue<'_>, span: Span) -> Result<Node, SyntaxError> {
    use toml::de::DeValue;
    let value = match value {
        DeValue::String(s) => NodeValue::String(s.into_owned()),
        DeValue::Integer(i) => match i64::from_str_radix(i.as_str(), i.radix()) {
            Ok(i) => NodeValue::Integer(i),
            Err(_) => {
                return Err(SyntaxError {
                    message: "integer out of range: TOML integers are 64-bit".into(),
                    span,
                });
            }
        },
        DeValue::Float(f) => match f.as_str().parse::<f64>() {
            Ok(f) if f.is_finite() => NodeValue::Float(f),
            _ => {
                return Err(SyntaxError {
                    message: "only finite numbers can be used in a connector spec".into(),
                    span,
                });
            }
        },
        DeValue::Boolean(b) => NodeValue::Bool(b),
        DeValue::Datetime(d) => NodeValue::String(d.to_string()),
        DeValue::Array(items) => NodeValue::Array(
            items
                .into_iter()
                .map(|item| {
                    let span = Span::from(item.span());
                    toml_value(item.into_inner(), span)
                })
                .collect::<Result<_, _>>()?,
        ),
        DeValue::Table(table) => return toml_table(table, span),
    };
    Ok(Node { value, span })
}

fn from_json(text: &str) -> Result<Node, SyntaxError> {
    use jsonc_parser::{CollectOptions, ParseOptions, parse_to_ast};
    // Strict JSON: a spec that parses here parses with any JSON tool.
    let options = ParseOptions {
        allow_comments: false,
        allow_loose_object_property_names: false,
        allow_trailing_commas: false,
        allow_missing_commas: false,
        allow_single_quoted_strings: false,
        allow_hexadecimal_numbers: false,
        allow_unary_plus_numbers: false,
        allow_bare_decimal_point_numbers: false,
        allow_non_finite_numbers: false,
        allow_extended_string_escapes: false,
    };
    let parsed = parse_to_ast(text, &CollectOptions::default(), &options).map_err(|error| {
        let range = error.range();
        SyntaxError {
            message: error.kind().to_string(),
            span: Span::new(range.start, range.end),
        }
    })?;
    match parsed.value {
        Some(value) => json_value(value),
        None => Err(SyntaxError {
            message: "the file is empty: a JSON spec is one object".into(),
            span: Span::default(),
        }),
    }
}

fn json_span(range: jsonc_parser::common::Range) -> Span {
    Span::new(range.start, range.end)
}

fn json_value(value: jsonc_parser::ast::Value<'_>) -> Result<Node, SyntaxError> {
    use jsonc_parser::ast::{ObjectPropName, Value};
    Ok(match value {
        Value::StringLit(s) => Node {
            value: NodeValue::String(s.value.into_owned()),
            span: json_span(s.range),
        },
        Value::NumberLit(n) => {
            let span = json_span(n.range);
            let value = match n.value.parse::<i64>() {
                Ok(i) => NodeValue::Integer(i),
                Err(_) => match n.value.parse::<f64>() {
                    Ok(f) if f.is_finite() => NodeValue::Float(f),
                    _ => {
                        return Err(SyntaxError {
                            message: format!("number `{}` is out of range", n.value),
                            span,
                        });
                    }
                },
            };
            Node { value, span }
        }
        Value::BooleanLit(b) => Node {
            value: NodeValue::Bool(b.value),
            span: json_span(b.range),
        },
        Value::NullKeyword(n) => Node {
            value: NodeValue::Null,
            span: json_span(n.range),
        },
        Value::Array(array) => Node {
            span: json_span(array.range),
            value: NodeValue::Array(
                array
                    .elements
                    .into_iter()
                    .map(json_value)
                    .collect::<Result<_, _>>()?,
            ),
        },
        Value::Object(object) => {
            let span = json_span(object.range);
            let mut members: Vec<Member> = Vec::with_capacity(object.properties.len());
            for property in object.properties {
                let (key, key_span) = match property.name {
                    ObjectPropName::String(s) => (s.value.into_owned(), json_span(s.range)),
                    ObjectPropName::Word(w) => (w.value.to_owned(), json_span(w.range)),
                };
                if members.iter().any(|m| m.key == key) {
                    return Err(SyntaxError {
                        message: format!(
                            "duplicate key `{key}`: each key may appear once in an object"
                        ),
                        span: key_span,
                    });
                }
                members.push(Member {
                    key,
                    key_span,
                    value: json_value(property.value)?,
                });
            }
            Node {
                value: NodeValue::Object(members),
                span,
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(name: &str, text: &str) -> Result<Node, SyntaxError> {
        Node::parse(&SourceFile::new(name, text))
    }

    #[test]
    fn toml_and_json_give_the_same_json() {
        let toml = parse(
            "a.toml",
            "format = 1\n[connector]\nid = \"x\"\ntags = [1, 2.5, true]\n",
        )
        .unwrap();
        let json = parse(
            "a.json",
            r#"{"format": 1, "connector": {"id": "x", "tags": [1, 2.5, true]}}"#,
        )
        .unwrap();
        assert_eq!(toml.to_json(), json.to_json());
    }

    #[test]
    fn pointers_find_keys_in_table_headers() {
        let text = "[auth.code]\ntype = \"oauth2_authorization_code\"\n";
        let doc = parse("a.toml", text).unwrap();
        let found = doc.locate("/auth/code").unwrap();
        assert_eq!(
            &text[found.key_span.unwrap().start..found.key_span.unwrap().end],
            "code"
        );
        assert!(doc.locate("/auth/missing").is_none());
        assert_eq!(
            doc.locate_nearest("/auth/code/token_url").key_span,
            found.key_span
        );
    }

    #[test]
    fn escaped_pointer_segments() {
        let doc = parse("a.json", r#"{"a/b": {"c~d": 1}}"#).unwrap();
        assert!(
            doc.locate(&pointer_push(&pointer_push("", "a/b"), "c~d"))
                .is_some()
        );
    }

    #[test]
    fn syntax_errors_have_spans() {
        let error = parse("a.toml", "a = \"unclosed\n").unwrap_err();
        assert!(error.span.start >= 4, "{error:?}");
        let error = parse("a.json", "{\"a\": 1,}").unwrap_err();
        assert_eq!(error.span.start, 7, "{error:?}");
        let error = parse("a.json", "{\"a\": 1, \"a\": 2}").unwrap_err();
        assert!(error.message.contains("duplicate key"));
        assert!(parse("a.json", "").is_err());
        assert!(parse("a.json", "// comment\n{}").is_err());
    }
}
