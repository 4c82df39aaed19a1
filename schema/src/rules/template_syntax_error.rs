//! PB101: a template is not valid MiniJinja.

use super::{Context, PB101};
use crate::diagnostic::{Finding, Reporter};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.analysis.sites {
        let Err(error) = &site.names else { continue };
        let finding = Finding::new(&PB101, format!("template syntax error: {}", error.message))
            .fix("write variables as `{{ name }}` and close every `{{`, `{%` and `{#`");
        context.report_in_template(reporter, &site.pointer, error.range.clone(), finding);
    }
}
