//! PB201: a secret variable has a default.

use super::{Context, PB201};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::VariableType;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.variables {
        if site.kind != VariableType::Secret || site.variable.default.is_none() {
            continue;
        }
        reporter.report(
            Target::Value(&site.field("default")),
            Finding::new(&PB201, format!("secret variable `{}` has a default value", site.name))
                .fix("remove the default and supply the value in each instance (e.g. `{ env = \"…\" }`); revoke the secret if it was ever committed")
                .sensitive(),
        );
    }
}
