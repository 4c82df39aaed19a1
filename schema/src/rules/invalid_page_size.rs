//! PB607: a `limit` template that is not exactly `{{ name }}` of an
//! integer variable in scope with a `maximum`. The page size is checked
//! against that maximum before any request, so a value the API refuses
//! (or silently lowers, which would end some runs early) never reaches it.

use super::{Context, PB607};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{PageLimit, VariableType};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (name, endpoint) in &context.spec.endpoints {
        let Some(limit @ PageLimit::Variable(template)) =
            endpoint.pagination.as_ref().and_then(|p| p.limit())
        else {
            continue;
        };
        let pointer = pointer_push(
            &pointer_push(&pointer_push("/endpoints", name), "pagination"),
            "limit",
        );
        let mut report = |message: String, fix: String| {
            reporter.report(
                Target::Value(&pointer),
                Finding::new(&PB607, message).fix(fix),
            );
        };
        let Some(variable_name) = limit.variable() else {
            report(
                format!("the page size of `{name}` must be a number or exactly `{{{{ name }}}}` of one variable, not `{template}`"),
                "write `limit = 100`, or `limit = \"{{ page_size }}\"` naming an integer variable with a `maximum`".to_owned(),
            );
            continue;
        };
        // An undeclared name is PB102's.
        let Some(variable) = endpoint
            .variables
            .get(variable_name)
            .or_else(|| context.spec.variables.get(variable_name))
        else {
            continue;
        };
        if variable.kind != Some(VariableType::Integer) {
            report(
                format!("the page size of `{name}` comes from `{variable_name}`, which is not an `integer` variable"),
                format!("declare `type = \"integer\"` on `{variable_name}`"),
            );
        } else if variable.maximum.is_none() {
            report(
                format!("the page size of `{name}` comes from `{variable_name}`, which declares no `maximum`"),
                format!("declare `maximum` on `{variable_name}`: the API's largest page"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::source::SourceFile;

    /// `code pointer` of each diagnostic of a spec with this page-size
    /// variable and `limit`.
    fn lint(variable: &str, limit: &str) -> Vec<String> {
        let text = format!(
            "format = 1\n[connector]\nid = \"a\"\nname = \"A\"\nversion = \"1.0.0\"\n[auth.k]\ntype = \"bearer\"\n[variables.page_size]\n{variable}\n[endpoints.items]\nurl = \"https://api.example.com/items\"\nresponse = {{ records = \"/data\" }}\npagination = {{ type = \"cursor\", param = \"c\", path = \"/n\", limit_param = \"limit\", limit = {limit} }}\n"
        );
        crate::lint(&SourceFile::new("t.toml", text))
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code, d.pointer))
            .collect()
    }

    const BOUNDED: &str = "type = \"integer\"\ndefault = 100\nmaximum = 200";

    #[test]
    fn a_bounded_integer_variable_is_a_page_size() {
        assert!(lint(BOUNDED, "\"{{ page_size }}\"").is_empty());
        assert!(lint(BOUNDED, "\"{{page_size}}\"").is_empty());
    }

    #[test]
    fn anything_else_is_pb607() {
        let at = ["PB607 /endpoints/items/pagination/limit"];
        assert_eq!(lint("type = \"integer\"\ndefault = 100", "\"{{ page_size }}\""), at, "no maximum");
        assert_eq!(lint("type = \"string\"\ndefault = \"100\"", "\"{{ page_size }}\""), at, "a string");
        assert_eq!(
            lint(BOUNDED, "\"{{ page_size * 2 }}\""),
            ["PB002 /endpoints/items/pagination/limit"],
            "an expression is refused by the schema's pattern"
        );
    }

    #[test]
    fn an_undeclared_name_is_pb102_and_the_variable_counts_as_used() {
        assert_eq!(
            lint(BOUNDED, "\"{{ page_sise }}\""),
            ["PB102 /endpoints/items/pagination/limit"]
        );
    }
}
