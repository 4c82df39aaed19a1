//! PB101: a template is not valid MiniJinja.

use super::Context;
use crate::diagnostic::{Finding, Reporter, Target};

declare_rule!(
    "PB101",
    "template-syntax-error",
    Error,
    "A template string is not valid MiniJinja syntax."
);

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.analysis.sites {
        let Err(error) = &site.names else { continue };
        let finding = Finding::new(&RULE, format!("template syntax error: {}", error.message))
            .fix("write variables as `{{ name }}` and close every `{{`, `{%` and `{#`");
        match error
            .range
            .clone()
            .and_then(|r| context.span_in_string(&site.pointer, r))
        {
            Some(span) => reporter.report(Target::Within(&site.pointer, span), finding),
            None => reporter.report(Target::Value(&site.pointer), finding),
        }
    }
}
