//! PB004: `format` is not a version this patchbay understands.

use super::Context;
use crate::diagnostic::{Finding, Reporter, Target};

declare_rule!(
    "PB004",
    "unsupported-format-version",
    Error,
    "The spec's `format` version is not one this patchbay understands."
);

/// The format versions this build reads.
pub(crate) const SUPPORTED: &[u32] = &[1];

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let format = context.spec.format;
    if !SUPPORTED.contains(&format) {
        reporter.report(
            Target::Value("/format"),
            Finding::new(&RULE, format!("spec format {format} is not supported; this patchbay reads format 1"))
                .fix("write `format = 1`, or upgrade patchbay if the spec was written for a newer version"),
        );
    }
}
