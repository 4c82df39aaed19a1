//! PB703: an endpoint `rate_limit` that allows at least the connector's
//! rate, so it never holds a call back.

use super::{Context, PB703};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{RateLimit, RatePeriod};

/// Requests per day, exact in integers for every period.
fn per_day(limit: &RateLimit) -> u64 {
    let seconds = match limit.per {
        RatePeriod::Second => 86_400,
        RatePeriod::Minute => 1_440,
        RatePeriod::Hour => 24,
        RatePeriod::Day => 1,
    };
    u64::from(limit.requests) * seconds
}

fn shown(limit: &RateLimit) -> String {
    let per = match limit.per {
        RatePeriod::Second => "second",
        RatePeriod::Minute => "minute",
        RatePeriod::Hour => "hour",
        RatePeriod::Day => "day",
    };
    format!("{} per {per}", limit.requests)
}

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    let Some(connector) = &context.spec.connector.rate_limit else {
        return;
    };
    for (key, endpoint) in &context.spec.endpoints {
        let Some(own) = &endpoint.rate_limit else {
            continue;
        };
        if per_day(own) < per_day(connector) {
            continue;
        }
        let pointer = pointer_push(&pointer_push("/endpoints", key), "rate_limit");
        reporter.report(
            Target::Value(&pointer),
            Finding::new(
                &PB703,
                format!("endpoint `{key}` allows {} and the connector {}: a call waits for both, so this limit never holds one back", shown(own), shown(connector)),
            )
            .fix("lower this endpoint's `rate_limit` below the connector's, or remove it"),
        );
    }
}
