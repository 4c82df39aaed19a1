//! PB108: `[connector] test` names an endpoint that does not exist.

use super::{Context, PB108};
use crate::diagnostic::{Finding, Reporter, Target};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let Some(test) = &context.spec.connector.test else {
        return;
    };
    if context.spec.endpoints.contains_key(test) {
        return;
    }
    let fix = reporter
        .suggest(test, context.spec.endpoints.keys().map(String::as_str)).unwrap_or_else(
        || "name an endpoint defined under `[endpoints]`, ideally a cheap read".to_owned(),
    );
    reporter.report(
        Target::Value("/connector/test"),
        Finding::new(&PB108, format!("the test endpoint `{test}` is not defined")).fix(fix),
    );
}
