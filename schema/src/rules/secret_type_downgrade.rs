//! PB206: an override gives a built-in secret a type other than `secret`.

use super::{Context, PB206};
use crate::catalog::default_variables;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::VariableType;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let Some(overrides) = method.variables() else {
            continue;
        };
        for default in default_variables(method)
            .iter()
            .filter(|d| d.kind == VariableType::Secret)
        {
            let Some(kind) = overrides.get(default.name).and_then(|v| v.kind) else {
                continue;
            };
            if kind == VariableType::Secret {
                continue;
            }
            let pointer = pointer_push(
                &pointer_push(
                    &pointer_push(&pointer_push("/auth", key), "variables"),
                    default.name,
                ),
                "type",
            );
            reporter.report(
                Target::Value(&pointer),
                Finding::new(
                    &PB206,
                    format!(
                        "`{}` of auth method `{key}` is a secret, but this override makes it `{}`: its value would be shown in dry runs, logs and errors",
                        default.name,
                        kind.as_str()
                    ),
                )
                .fix("remove `type` from the override (the variable stays a secret)"),
            );
        }
    }
}
