//! Rendering templates with context-aware encoding, so that a value can
//! never change a request's shape:
//!
//! - in a URL's path every byte outside `A-Z a-z 0-9 - . _ ~` is
//!   percent-encoded (`../admin` becomes `..%2Fadmin`), and `.` or `..`
//!   alone is an error; in the host a value must be one hostname label; a
//!   `url` value may only stand at the very start and is inserted as is,
//!   once validated (with no `?` or `#` when the template goes on);
//! - query and form values are encoded by the serializer after rendering
//!   (`a&b=c` stays one value);
//! - a header value with CR, LF or another control character but tab is
//!   an error;
//! - in JSON bodies a string that is exactly one `{{ … }}` keeps the
//!   value's type; other strings are rendered and JSON-escaped.
//!
//! Values are never evaluated as templates, and a name that is not in
//! scope is an error, never an empty string.

use std::collections::{BTreeMap, BTreeSet};

use minijinja::{Environment, UndefinedBehavior};
use patchbay_schema::catalog::OPTIONAL_RUNTIME_VALUES;
use patchbay_schema::template::expressions;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};
use serde_json::Value;

use crate::token::at_path;

/// Everything outside RFC 3986's unreserved characters.
pub(crate) const COMPONENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// Values shared by every request of a connection (the instance's),
/// converted for MiniJinja once.
#[derive(Debug)]
struct Base {
    values: BTreeMap<String, Value>,
    url_keys: BTreeSet<String>,
    absent_keys: BTreeSet<String>,
    converted: minijinja::Value,
}

/// The values a request's templates see: the call's own, over a shared
/// base layer.
#[derive(Debug, Clone, Default)]
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
pub struct Context {
    base: Option<std::sync::Arc<Base>>,
    values: BTreeMap<String, Value>,
    url_keys: BTreeSet<String>,
    /// Optional variables without a value (they hold `""`).
    absent_keys: BTreeSet<String>,
    /// The values as MiniJinja sees them, made once per request.
    converted: std::sync::OnceLock<minijinja::Value>,
}

#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
impl Context {
    /// Sets a value.
    pub fn set(&mut self, key: impl Into<String>, value: Value) {
        self.values.insert(key.into(), value);
        self.converted = std::sync::OnceLock::new();
    }

    /// Marks a key as holding a `url` value (allowed at a URL's start).
    pub fn mark_url(&mut self, key: impl Into<String>) {
        self.url_keys.insert(key.into());
    }

    /// Marks a key as an optional variable given no value: it renders
    /// empty, and an entry that is exactly `{{ key }}` is left out.
    pub fn mark_absent(&mut self, key: impl Into<String>) {
        self.absent_keys.insert(key.into());
    }

    /// This context as the shared base of others: its values are converted
    /// once, and each derived context adds its own.
    pub(crate) fn into_base(self) -> Context {
        let converted = minijinja::Value::from(minijinja::value::Serde(&self.values));
        Context {
            base: Some(std::sync::Arc::new(Base {
                values: self.values,
                url_keys: self.url_keys,
                absent_keys: self.absent_keys,
                converted,
            })),
            ..Context::default()
        }
    }

    /// A value.
    pub(crate) fn get(&self, key: &str) -> Option<&Value> {
        self.values
            .get(key)
            .or_else(|| self.base.as_ref().and_then(|b| b.values.get(key)))
    }

    fn is_absent(&self, key: &str) -> bool {
        self.absent_keys.contains(key)
            || self
                .base
                .as_ref()
                .is_some_and(|b| b.absent_keys.contains(key))
    }

    fn is_url(&self, key: &str) -> bool {
        self.url_keys.contains(key) || self.base.as_ref().is_some_and(|b| b.url_keys.contains(key))
    }

    fn converted(&self) -> &minijinja::Value {
        self.converted.get_or_init(|| {
            let own = minijinja::Value::from(minijinja::value::Serde(&self.values));
            match &self.base {
                Some(base) => minijinja::value::merge_maps([own, base.converted.clone()]),
                None => own,
            }
        })
    }
}

/// Whether a template is exactly one reference to a value this context
/// lacks: an optional variable given no value, or an optional runtime
/// value (`{{ page.cursor }}` on a first page, `{{ checkpoint }}` on a
/// first run). The entry or JSON member holding it is then left out of the
/// request; an explicit value, `""` included, is sent. Lint allows the
/// optional runtime values nowhere else, so no other render meets one
/// missing.
pub(crate) fn lacks_optional(template: &str, context: &Context) -> bool {
    // Nearly every entry is not one bare reference: skip the parse for them.
    if !(template.starts_with("{{") && template.ends_with("}}")) {
        return false;
    }
    let Some(path) = patchbay_schema::template::single_reference(template) else {
        return false;
    };
    // A payload member the caller set to `null` is a value and is sent (a
    // `null` can mean "clear this field"); only an absent one is lacking,
    // so one endpoint serves calls with and without an optional member
    // (Notion's `filter`).
    if path.starts_with("payload.") {
        return value_at(path, context).is_none();
    }
    if !OPTIONAL_RUNTIME_VALUES.contains(&path) {
        return context.is_absent(path);
    }
    value_at(path, context).is_none_or(Value::is_null)
}

/// The value a dotted reference (`page.cursor`, `payload.filter`) names in
/// `context`, read as templates read it.
fn value_at<'c>(path: &str, context: &'c Context) -> Option<&'c Value> {
    match path.split_once('.') {
        None => context.get(path),
        Some((first, rest)) => at_path(context.get(first)?, rest),
    }
}

/// A scalar as MiniJinja prints it, or `None` for anything MiniJinja must
/// format itself.
fn scalar_text(value: &Value) -> Option<std::borrow::Cow<'_, str>> {
    match value {
        Value::String(text) => Some(std::borrow::Cow::Borrowed(text)),
        Value::Bool(b) => Some(std::borrow::Cow::Borrowed(if *b {
            "true"
        } else {
            "false"
        })),
        Value::Number(n) if n.is_i64() || n.is_u64() => {
            Some(std::borrow::Cow::Owned(n.to_string()))
        }
        _ => None,
    }
}

/// Renders the templates of one plan. Build it once per plan; rendering is
/// `&self`.
#[derive(Debug)]
#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
pub struct Renderer {
    env: Environment<'static>,
}

impl Default for Renderer {
    fn default() -> Self {
        Self::new()
    }
}

/// Where in a URL a value lands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UrlPart {
    Scheme,
    Host,
    Port,
    Path,
    Query,
    Fragment,
}

fn url_part(so_far: &str) -> UrlPart {
    let Some(scheme_end) = so_far.find("://") else {
        return UrlPart::Scheme;
    };
    let rest = &so_far[scheme_end + 3..];
    match rest.find(['/', '?', '#']) {
        None => {
            let host = rest.rsplit('@').next().unwrap_or(rest);
            if host.starts_with('[') && !host.contains(']') {
                UrlPart::Host
            } else if host.rsplit(']').next().unwrap_or(host).contains(':') {
                UrlPart::Port
            } else {
                UrlPart::Host
            }
        }
        Some(_) if rest.contains('#') => UrlPart::Fragment,
        Some(_) if rest.contains('?') => UrlPart::Query,
        Some(_) => UrlPart::Path,
    }
}

fn is_host_label(value: &str) -> bool {
    !value.is_empty()
        && value.len() <= 63
        && value
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        && !value.starts_with('-')
        && !value.ends_with('-')
}

#[cfg_attr(not(feature = "internals"), allow(unreachable_pub))]
impl Renderer {
    /// A renderer with strict undefined behaviour.
    pub(crate) fn new() -> Self {
        let mut env = Environment::new();
        env.set_undefined_behavior(UndefinedBehavior::Strict);
        // Templates are named by their own text: never let a name ending in
        // `.html` switch on HTML escaping. Encoding is done per context.
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::None);
        // Templates come from specs; keep them from looping forever.
        env.set_recursion_limit(64);
        crate::filters::register(&mut env);
        Renderer { env }
    }

    /// A renderer with every template of a plan compiled once.
    pub fn for_plan(plan: &patchbay_compiler::Plan) -> Self {
        let mut renderer = Self::new();
        let mut templates = BTreeSet::new();
        collect_templates(
            &serde_json::to_value(plan).unwrap_or_default(),
            &mut templates,
        );
        for template in templates {
            // A template that does not parse is rendered (and reported) on
            // use.
            let _ = renderer.env.add_template_owned(template.clone(), template);
        }
        renderer
    }

    /// Renders a template to text (for query, form and header values, which
    /// the caller encodes).
    pub(crate) fn text(&self, template: &str, context: &Context) -> Result<String, String> {
        if !template.contains('{') {
            return Ok(template.to_owned());
        }
        if let Some(text) = interpolate(template, context) {
            return Ok(text);
        }
        let rendered = match self.env.get_template(template) {
            Ok(compiled) => compiled.render(context.converted()),
            Err(_) => self.env.render_str(template, context.converted()),
        };
        rendered.map_err(|e| describe(&e))
    }

    /// Renders a header value. A control character other than tab is an
    /// error naming the expression it came from: CR or LF would add
    /// headers, and NUL and the rest no HTTP stack sends, so `--dry-run`
    /// must refuse them just as the real request would.
    pub(crate) fn header(&self, template: &str, context: &Context) -> Result<String, String> {
        let value = self.text(template, context)?;
        let Some(problem) = header_problem(&value) else {
            return Ok(value);
        };
        let culprit = expressions(template).into_iter().find(|expression| {
            self.text(&template[expression.range.clone()], context)
                .is_ok_and(|part| header_problem(&part).is_some())
        });
        Err(match culprit {
            Some(expression) => format!(
                "`{}` {problem}",
                expression.simple_name().unwrap_or(expression.source)
            ),
            None => format!("the value {problem}"),
        })
    }

    /// Evaluates one expression (`payload.id`) to its value.
    fn evaluate(&self, expression: &str, context: &Context) -> Result<Value, String> {
        let compiled = self
            .env
            .compile_expression(expression)
            .map_err(|e| describe(&e))?;
        let value = compiled
            .eval(context.converted())
            .map_err(|e| describe(&e))?;
        if value.is_undefined() {
            return Err(format!("`{expression}` is undefined"));
        }
        serde_json::to_value(&value).map_err(|e| e.to_string())
    }

    /// Renders a URL template, each value encoded for where it lands.
    pub(crate) fn url(&self, template: &str, context: &Context) -> Result<url::Url, String> {
        if template.contains("{%") || template.contains("{#") {
            return Err("URL templates may only use `{{ … }}` expressions".to_owned());
        }
        let mut out = String::with_capacity(template.len() + 32);
        let mut last = 0;
        for expression in expressions(template) {
            out.push_str(&template[last..expression.range.start]);
            last = expression.range.end;
            let name = expression.simple_name();
            if expression.range.start == 0
                && let Some(name) = name
                && context.is_url(name)
            {
                let value = self.text(&template[expression.range.clone()], context)?;
                patchbay_schema::value::parse_http_url(&value)
                    .map_err(|m| format!("`{name}` {m}"))?;
                // What the template adds after it would land in the value's
                // query or fragment instead of the path.
                if expression.range.end < template.len() && value.contains(['?', '#']) {
                    return Err(format!(
                        "`{name}` holds a query or fragment (`?` or `#`), which would move the rest of the URL out of its path"
                    ));
                }
                out.push_str(value.trim_end_matches('/'));
                continue;
            }
            let what = name.unwrap_or(expression.source);
            let value = self.text(&template[expression.range.clone()], context)?;
            match url_part(&out) {
                UrlPart::Scheme => {
                    return Err(format!("`{what}` cannot stand before the URL's scheme"));
                }
                UrlPart::Host => {
                    if !is_host_label(&value) {
                        return Err(format!(
                            "`{what}` must be one hostname label (letters, digits, `-`) to stand in the host"
                        ));
                    }
                    out.push_str(&value);
                }
                UrlPart::Port => {
                    if value.is_empty() || !value.bytes().all(|b| b.is_ascii_digit()) {
                        return Err(format!("`{what}` must be a port number"));
                    }
                    out.push_str(&value);
                }
                UrlPart::Path => {
                    if value == "." || value == ".." {
                        return Err(format!("`{what}` may not be `.` or `..` in a URL path"));
                    }
                    out.extend(utf8_percent_encode(&value, COMPONENT));
                }
                UrlPart::Query | UrlPart::Fragment => {
                    out.extend(utf8_percent_encode(&value, COMPONENT))
                }
            }
        }
        out.push_str(&template[last..]);
        let url =
            url::Url::parse(&out).map_err(|e| format!("the rendered URL is not valid ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") {
            return Err(format!(
                "the URL scheme `{}` is not http or https",
                url.scheme()
            ));
        }
        Ok(url)
    }

    /// Renders a JSON body: a string that is exactly one `{{ … }}` keeps
    /// the value's type; other strings are rendered text.
    pub(crate) fn json(&self, value: &Value, context: &Context) -> Result<Value, String> {
        Ok(match value {
            Value::String(text) => {
                let found = expressions(text);
                match found.as_slice() {
                    [only] if only.range == (0..text.len()) && !text.contains("{%") => self
                        .evaluate(
                            only.source.trim_start_matches('-').trim_end_matches('-'),
                            context,
                        )?,
                    _ => Value::String(self.text(text, context)?),
                }
            }
            Value::Array(items) => Value::Array(
                items
                    .iter()
                    .map(|i| self.json(i, context))
                    .collect::<Result<_, _>>()?,
            ),
            Value::Object(members) => Value::Object(
                members
                    .iter()
                    .filter(|(_, v)| !v.as_str().is_some_and(|t| lacks_optional(t, context)))
                    .map(|(k, v)| Ok((k.clone(), self.json(v, context)?)))
                    .collect::<Result<_, String>>()?,
            ),
            other => other.clone(),
        })
    }
}

/// A template of text and `{{ name }}` expressions whose values are
/// scalars, filled in directly; `None` for anything else (MiniJinja renders
/// it, and reports what is missing).
fn interpolate(template: &str, context: &Context) -> Option<String> {
    if template.contains("{%") || template.contains("{#") {
        return None;
    }
    let mut out = String::with_capacity(template.len() + 16);
    let mut last = 0;
    for expression in expressions(template) {
        out.push_str(&template[last..expression.range.start]);
        out.push_str(&scalar_text(context.get(expression.simple_name()?)?)?);
        last = expression.range.end;
    }
    // An unclosed `{{` is MiniJinja's to report.
    let rest = &template[last..];
    if rest.contains("{{") {
        return None;
    }
    out.push_str(rest);
    Some(out)
}

/// Every string of a plan that holds template syntax.
fn collect_templates(value: &Value, out: &mut BTreeSet<String>) {
    match value {
        Value::String(text) if text.contains("{{") || text.contains("{%") => {
            out.insert(text.clone());
            for expression in expressions(text) {
                out.insert(text[expression.range].to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|i| collect_templates(i, out)),
        Value::Object(members) => members.values().for_each(|v| collect_templates(v, out)),
        _ => {}
    }
}

/// MiniJinja's message without the template source it may quote.
fn describe(error: &minijinja::Error) -> String {
    match error.detail() {
        Some(detail) => format!("{}: {detail}", error.kind()),
        None => error.kind().to_string(),
    }
}

/// What makes text unfit for a header value, if anything.
pub(crate) fn header_problem(value: &str) -> Option<&'static str> {
    if value.contains(['\r', '\n']) {
        Some("contains a line break (CR or LF), which would add headers")
    } else if value.chars().any(|c| c.is_ascii_control() && c != '\t') {
        Some("contains a control character (such as NUL), which a header value cannot hold")
    } else {
        None
    }
}

/// Form-encodes pairs (`application/x-www-form-urlencoded`).
pub(crate) fn form_encode<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in pairs {
        serializer.append_pair(name, value);
    }
    serializer.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn context() -> Context {
        let mut c = Context::default();
        c.set("base", json!("https://shop.example.com/"));
        c.mark_url("base");
        c.set("id", json!("../admin"));
        c.set("q", json!("a&b=c"));
        c.set("sub", json!("acme"));
        c.set("evil_host", json!("evil.com/x"));
        c.set("count", json!(5));
        c.set("payload", json!({ "name": "x", "tags": [1, 2] }));
        c
    }

    #[test]
    fn path_values_stay_one_segment() {
        let r = Renderer::new();
        let url = r
            .url("{{ base }}/orders/{{ id }}?q={{ q }}", &context())
            .unwrap();
        assert_eq!(
            url.as_str(),
            "https://shop.example.com/orders/..%2Fadmin?q=a%26b%3Dc"
        );
        let mut dots = context();
        dots.set("id", json!(".."));
        assert!(r.url("{{ base }}/orders/{{ id }}", &dots).is_err());
    }

    #[test]
    fn host_values_must_be_labels() {
        let r = Renderer::new();
        assert_eq!(
            r.url("https://{{ sub }}.example.com/x", &context())
                .unwrap()
                .as_str(),
            "https://acme.example.com/x"
        );
        assert!(
            r.url("https://{{ evil_host }}.example.com/x", &context())
                .is_err()
        );
    }

    #[test]
    fn url_values_only_at_the_start() {
        let r = Renderer::new();
        // Not at the start: encoded like any value, so it cannot redirect.
        let url = r.url("https://x.example/{{ base }}", &context()).unwrap();
        assert_eq!(
            url.as_str(),
            "https://x.example/https%3A%2F%2Fshop.example.com%2F"
        );
        let mut bad = context();
        bad.set("base", json!("javascript:alert(1)"));
        assert!(r.url("{{ base }}/x", &bad).is_err());
    }

    #[test]
    fn missing_names_are_errors_not_empty_strings() {
        let r = Renderer::new();
        assert!(r.text("{{ nope }}", &context()).is_err());
        assert!(r.url("https://x.example/{{ nope }}", &context()).is_err());
    }

    #[test]
    fn values_are_never_templates() {
        let r = Renderer::new();
        let mut c = context();
        c.set("v", json!("{{ count }}"));
        assert_eq!(r.text("{{ v }}", &c).unwrap(), "{{ count }}");
    }

    #[test]
    fn template_names_never_switch_on_html_escaping() {
        let r = Renderer::new();
        let mut c = context();
        c.set("v", json!("a&b"));
        c.set("n", json!([1]));
        // A non-scalar goes through MiniJinja, with the name ending in .html.
        assert_eq!(
            r.text("{{ v }}{{ n | length }}/x.html", &c).unwrap(),
            "a&b1/x.html"
        );
    }

    #[test]
    fn layered_contexts_see_both_layers() {
        let r = Renderer::new();
        let mut base = Context::default();
        base.set("base", json!("https://shop.example.com"));
        base.mark_url("base");
        let base = base.into_base();
        let mut call = base.clone();
        call.set("id", json!(7));
        assert_eq!(
            r.url("{{ base }}/orders/{{ id }}", &call).unwrap().as_str(),
            "https://shop.example.com/orders/7"
        );
        assert_eq!(
            r.text("{{ base }}/{{ id | string }}", &call).unwrap(),
            "https://shop.example.com/7"
        );
    }

    #[test]
    fn headers_refuse_line_breaks() {
        let r = Renderer::new();
        let mut c = context();
        c.set("v", json!("a\r\nX-Injected: 1"));
        assert!(r.header("{{ v }}", &c).is_err());
        assert_eq!(r.header("Bearer {{ sub }}", &c).unwrap(), "Bearer acme");
    }

    #[test]
    fn json_bodies_keep_types() {
        let r = Renderer::new();
        let body = json!({ "n": "{{ count }}", "s": "n={{ count }}", "all": "{{ payload }}", "name": "{{ payload.name }}", "list": "[1, 2]" });
        assert_eq!(
            r.json(&body, &context()).unwrap(),
            json!({ "n": 5, "s": "n=5", "all": { "name": "x", "tags": [1, 2] }, "name": "x", "list": "[1, 2]" })
        );
    }

    #[test]
    fn a_payload_member_the_caller_did_not_give_is_lacking() {
        let mut c = Context::default();
        c.set(
            "payload",
            json!({ "filter": { "status": "done" }, "clear": null }),
        );
        assert!(!lacks_optional("{{ payload.filter }}", &c));
        assert!(!lacks_optional("{{ payload.filter.status }}", &c));
        // `null` is the caller's value (it may clear a field): it is sent.
        assert!(!lacks_optional("{{ payload.clear }}", &c));
        assert!(lacks_optional("{{ payload.sorts }}", &c));
        assert!(lacks_optional("{{ payload.filter.owner }}", &c));
        // Only a bare member is left out; the whole payload keeps its rules.
        assert!(!lacks_optional("{{ payload }}", &c));
        assert!(!lacks_optional("x {{ payload.sorts }}", &c));
        let r = Renderer::new();
        assert_eq!(
            r.json(&json!({ "filter": "{{ payload.filter }}", "sorts": "{{ payload.sorts }}", "clear": "{{ payload.clear }}" }), &c)
                .unwrap(),
            json!({ "filter": { "status": "done" }, "clear": null })
        );
        // Without any payload every member is lacking.
        let none = Context::default();
        assert!(lacks_optional("{{ payload.filter }}", &none));
    }

    #[test]
    fn an_optional_variable_without_a_value_is_lacking_only_when_alone() {
        let mut base = Context::default();
        base.set("on_behalf_of", json!(""));
        base.mark_absent("on_behalf_of");
        base.set("given_empty", json!(""));
        let mut c = base.into_base();
        c.set("tag", json!(""));
        c.mark_absent("tag");
        assert!(lacks_optional("{{ on_behalf_of }}", &c));
        assert!(lacks_optional("{{- on_behalf_of -}}", &c));
        assert!(lacks_optional("{{ tag }}", &c));
        // An explicit empty value is a value.
        assert!(!lacks_optional("{{ given_empty }}", &c));
        // Anything but the bare name renders as before.
        assert!(!lacks_optional("for {{ on_behalf_of }}", &c));
        assert!(!lacks_optional("{{ on_behalf_of | upper }}", &c));
        assert!(!lacks_optional("{{ on_behalf_of }}{{ tag }}", &c));
        let r = Renderer::new();
        assert_eq!(r.text("for {{ on_behalf_of }}", &c).unwrap(), "for ");
        assert_eq!(
            r.json(&json!({ "a": "{{ tag }}", "b": "{{ given_empty }}" }), &c)
                .unwrap(),
            json!({ "b": "" })
        );
    }

    #[test]
    fn only_a_whole_absent_optional_value_is_left_out() {
        let mut c = Context::default();
        assert!(lacks_optional("{{ checkpoint }}", &c));
        assert!(lacks_optional("{{checkpoint}}", &c));
        assert!(!lacks_optional("since {{ checkpoint }}", &c));
        assert!(!lacks_optional("{{ checkpoint | lower }}", &c));
        assert!(!lacks_optional("{{ payload }}", &c));
        c.set("checkpoint", json!(0));
        assert!(!lacks_optional("{{ checkpoint }}", &c));
        let r = Renderer::new();
        let empty = Context::default();
        let body = json!({ "a": "{{ checkpoint }}", "b": ["{{ checkpoint }}"], "c": 1 });
        assert!(
            r.json(&body, &empty).is_err(),
            "an array item is not left out"
        );
        assert_eq!(
            r.json(&json!({ "a": "{{ checkpoint }}", "c": 1 }), &empty)
                .unwrap(),
            json!({ "c": 1 })
        );
    }

    #[test]
    fn a_payload_keeps_its_key_order() {
        let r = Renderer::new();
        let mut c = Context::default();
        c.set(
            "payload",
            json!({ "zeta": 1, "alpha": 2, "mid": { "b": 1, "a": 2 } }),
        );
        let body = r.json(&json!("{{ payload }}"), &c).unwrap();
        assert_eq!(
            serde_json::to_string(&body).unwrap(),
            r#"{"zeta":1,"alpha":2,"mid":{"b":1,"a":2}}"#
        );
    }

    #[test]
    fn every_filter_lint_knows_is_registered() {
        let r = Renderer::new();
        let mut c = Context::default();
        c.set("v", json!("x"));
        for name in patchbay_schema::catalog::PATCHBAY_FILTERS {
            let template = if *name == "hmac_sha256" {
                "{{ v | hmac_sha256('k') }}".to_owned()
            } else {
                format!("{{{{ v | {name} }}}}")
            };
            assert!(r.text(&template, &c).is_ok(), "{name}");
        }
    }

    #[test]
    fn filter_output_is_still_encoded_for_its_place() {
        let r = Renderer::new();
        let mut c = Context::default();
        c.set("v", json!("a/b"));
        c.set("doc", json!({ "path": "/é\r\n" }));
        // base64 of "a/b" has no `/`, but `+` and `=` must stay data.
        c.set("w", json!("\u{fb}\u{ff}"));
        let url = r.url("https://x.example/{{ w | base64 }}", &c).unwrap();
        assert_eq!(url.as_str(), "https://x.example/w7vDvw%3D%3D");
        assert_eq!(
            r.header("{{ doc | json_ascii }}", &c).unwrap(),
            r#"{"path":"/\u00e9\r\n"}"#
        );
        assert_eq!(
            r.json(&json!({ "h": "{{ v | md5 }}" }), &c).unwrap(),
            json!({ "h": "a7e86136543b019d72468ceebf71fb8e" })
        );
    }

    #[test]
    fn form_values_are_encoded_whole() {
        assert_eq!(
            form_encode([("q", "a&b=c"), ("x", "1 2")]),
            "q=a%26b%3Dc&x=1+2"
        );
    }
}
