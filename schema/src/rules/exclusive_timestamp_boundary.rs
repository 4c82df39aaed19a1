//! PB610: an exclusive boundary on a timestamp checkpoint.

use super::{Context, PB610};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{Boundary, CheckpointType, Incremental};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, endpoint) in &context.spec.endpoints {
        let Some(Incremental::Max {
            field_type: CheckpointType::Timestamp,
            boundary: Some(Boundary::Exclusive),
            ..
        }) = &endpoint.incremental
        else {
            continue;
        };
        let pointer = pointer_push(
            &pointer_push(&pointer_push("/endpoints", key), "incremental"),
            "boundary",
        );
        reporter.report(
            Target::Value(&pointer),
            Finding::new(
                &PB610,
                format!(
                    "endpoint `{key}` asks only for records strictly after the last timestamp read: a record written later in that same instant is never read"
                ),
            )
            .fix("use `boundary = \"inclusive\"` and drop the records read twice by their key"),
        );
    }
}
