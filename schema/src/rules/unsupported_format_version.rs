//! PB004: `format` is not a version this patchbay understands.

use super::{Context, PB004};
use crate::diagnostic::{Finding, Reporter, Target};

/// The format versions this build reads.
pub(crate) const SUPPORTED: &[u32] = &[1];

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let format = context.spec.format;
    if !SUPPORTED.contains(&format) {
        reporter.report(
            Target::Value("/format"),
            Finding::new(&PB004, format!("spec format {format} is not supported; this patchbay reads format 1"))
                .fix("write `format = 1`, or upgrade patchbay if the spec was written for a newer version"),
        );
    }
}
