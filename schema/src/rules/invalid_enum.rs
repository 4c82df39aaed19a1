//! PB204: an enum without options, a default outside them, or options on a
//! variable that is not an enum.

use super::{Context, PB204};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::VariableType;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.variables {
        let options = site.variable.options.as_deref();
        if site.kind != VariableType::Enum {
            if options.is_some() {
                reporter.report(
                    Target::Key(&site.field("options")),
                    Finding::new(
                        &PB204,
                        format!("`{}` has `options` but is not an enum", site.name),
                    )
                    .fix("set `type = \"enum\"`, or remove `options`"),
                );
            }
            continue;
        }
        match options {
            None | Some([]) => reporter.report(
                Target::Key(&site.pointer),
                Finding::new(
                    &PB204,
                    format!("enum variable `{}` has no options", site.name),
                )
                .fix("list the allowed values: `options = [\"a\", \"b\"]`"),
            ),
            Some(options) => {
                let Some(default) = site.variable.default.as_ref().and_then(|d| d.as_str()) else {
                    continue;
                };
                if !options.iter().any(|o| o == default) {
                    reporter.report(
                        Target::Value(&site.field("default")),
                        Finding::new(
                            &PB204,
                            format!("the default of `{}` is not one of its options", site.name),
                        )
                        .fix(format!(
                            "use one of {}",
                            options
                                .iter()
                                .map(|o| format!("`{o}`"))
                                .collect::<Vec<_>>()
                                .join(", ")
                        )),
                    );
                }
            }
        }
    }
}
