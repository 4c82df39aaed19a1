//! PB108: `[connector] test` names an endpoint that does not exist.

use super::Context;
use crate::diagnostic::{Finding, Reporter, Target, did_you_mean};

declare_rule!(
    "PB108",
    "undefined-test-endpoint",
    Error,
    "`[connector] test` names an endpoint that does not exist."
);

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let Some(test) = &context.spec.connector.test else {
        return;
    };
    if context.spec.endpoints.contains_key(test) {
        return;
    }
    let fix = match did_you_mean(test, context.spec.endpoints.keys().map(String::as_str)) {
        Some(suggestion) => format!("did you mean `{suggestion}`?"),
        None => "name an endpoint defined under `[endpoints]`, ideally a cheap read".to_owned(),
    };
    reporter.report(
        Target::Value("/connector/test"),
        Finding::new(&RULE, format!("the test endpoint `{test}` is not defined")).fix(fix),
    );
}
