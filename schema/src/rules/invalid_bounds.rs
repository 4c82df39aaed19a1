//! PB208: `minimum`/`maximum` on a variable that is not a number, or a
//! `minimum` above the `maximum` (no value could be given).

use super::{Context, PB208};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::model::{Variable, VariableType};
use crate::value::compare;

/// Whether a variable's `minimum` is above its `maximum`.
pub(super) fn contradictory(variable: &Variable) -> bool {
    match (&variable.minimum, &variable.maximum) {
        (Some(minimum), Some(maximum)) => compare(minimum, maximum).is_gt(),
        _ => false,
    }
}

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for site in &context.variables {
        let variable = site.variable;
        let numeric = matches!(site.kind, VariableType::Integer | VariableType::Number);
        if !numeric {
            for (field, bound) in [("minimum", &variable.minimum), ("maximum", &variable.maximum)] {
                if bound.is_some() {
                    reporter.report(
                        Target::Key(&site.field(field)),
                        Finding::new(
                            &PB208,
                            format!(
                                "`{field}` bounds a number, but `{}` is of type `{}`",
                                site.name,
                                site.kind.as_str()
                            ),
                        )
                        .fix(format!(
                            "remove `{field}`, or declare `type = \"integer\"` (or `\"number\"`)"
                        )),
                    );
                }
            }
            continue;
        }
        if contradictory(variable) {
            reporter.report(
                Target::Value(&site.field("minimum")),
                Finding::new(
                    &PB208,
                    format!(
                        "the `minimum` of `{}` is above its `maximum`: no value fits",
                        site.name
                    ),
                )
                .fix("swap the two values"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::source::SourceFile;

    /// `code pointer` of each diagnostic of a spec with this variable.
    fn lint(variable: &str) -> Vec<String> {
        let text = format!(
            "format = 1\n[connector]\nid = \"a\"\nname = \"A\"\nversion = \"1.0.0\"\n[auth.k]\ntype = \"bearer\"\n[variables.v]\n{variable}\n[endpoints.items]\nurl = \"https://api.example.com/items?v={{{{ v }}}}\"\n"
        );
        crate::lint(&SourceFile::new("t.toml", text))
            .diagnostics
            .iter()
            .map(|d| format!("{} {}", d.code, d.pointer))
            .collect()
    }

    #[test]
    fn bounds_belong_to_numbers_in_order() {
        assert!(lint("type = \"integer\"\nminimum = 1\nmaximum = 200").is_empty());
        assert!(lint("type = \"number\"\nminimum = 0.5\nmaximum = 0.5").is_empty());
        assert_eq!(
            lint("type = \"integer\"\nminimum = 300\nmaximum = 200"),
            ["PB208 /variables/v/minimum"]
        );
        assert_eq!(
            lint("type = \"string\"\nmaximum = 200"),
            ["PB208 /variables/v/maximum"]
        );
    }

    #[test]
    fn a_default_outside_the_bounds_is_pb203() {
        assert_eq!(
            lint("type = \"integer\"\ndefault = 500\nminimum = 1\nmaximum = 200"),
            ["PB203 /variables/v/default"]
        );
        assert_eq!(
            lint("type = \"integer\"\ndefault = 500\nminimum = 300\nmaximum = 200"),
            ["PB208 /variables/v/minimum"],
            "contradictory bounds: PB208 alone"
        );
    }
}
