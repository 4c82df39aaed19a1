//! The page templates (MiniJinja, HTML-escaped), built into the binary.

use minijinja::{Environment, Value};
use serde::Serialize;

/// Every template, by name.
const TEMPLATES: &[(&str, &str)] = &[
    ("layout.html", include_str!("../templates/layout.html")),
    ("index.html", include_str!("../templates/index.html")),
    (
        "connector.html",
        include_str!("../templates/connector.html"),
    ),
    (
        "new_instance.html",
        include_str!("../templates/new_instance.html"),
    ),
    ("instance.html", include_str!("../templates/instance.html")),
    ("endpoint.html", include_str!("../templates/endpoint.html")),
    ("fields.html", include_str!("../templates/fields.html")),
    ("call.html", include_str!("../templates/call.html")),
    ("message.html", include_str!("../templates/message.html")),
    ("rule.html", include_str!("../templates/rule.html")),
];

/// The stylesheet, served at `/static/style.css` (the CSP allows styles
/// from the workbench only, none inline).
pub(crate) const STYLESHEET: &str = include_str!("../static/style.css");

pub(crate) struct Templates {
    env: Environment<'static>,
}

impl Templates {
    pub(crate) fn new() -> Templates {
        let mut env = Environment::new();
        for (name, source) in TEMPLATES {
            // Built in and covered by every page test: a template that does
            // not parse shows as a page error, not a panic.
            let _ = env.add_template(name, source);
        }
        Templates { env }
    }

    /// A part of a page (a form's fields, a call's result), to pass to a
    /// page as safe HTML.
    pub(crate) fn part(&self, name: &str, context: impl Serialize) -> Result<Value, String> {
        let html = self
            .env
            .get_template(name)
            .and_then(|t| t.render(Value::from(minijinja::value::Serde(&context))))
            .map_err(|e| format!("template {name}: {e}"))?;
        Ok(Value::from_safe_string(html))
    }

    /// A whole page: `name` rendered into the layout.
    pub(crate) fn page(
        &self,
        name: &str,
        title: &str,
        context: impl Serialize,
    ) -> Result<String, String> {
        let content = self.part(name, context)?;
        self.env
            .get_template("layout.html")
            .and_then(|t| t.render(minijinja::context! { title, content }))
            .map_err(|e| format!("template layout.html: {e}"))
    }
}
