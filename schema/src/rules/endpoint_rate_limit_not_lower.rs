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

#[cfg(test)]
mod tests {
    use crate::SourceFile;

    fn pb703(connector: &str, endpoint: &str) -> usize {
        let text = format!(
            "format = 1\n[connector]\nid = \"x\"\nname = \"X\"\nversion = \"1.0.0\"\n{connector}\n[auth.open]\ntype = \"none\"\n[endpoints.a]\nurl = \"https://api.example.com/a\"\n{endpoint}\n"
        );
        crate::lint(&SourceFile::new("x.toml", text))
            .diagnostics
            .iter()
            .filter(|d| d.code == "PB703")
            .count()
    }

    #[test]
    fn periods_are_compared_as_rates() {
        let connector = "rate_limit = { requests = 100, per = \"minute\" }";
        // 2 a second is 120 a minute: laxer.
        assert_eq!(pb703(connector, "rate_limit = { requests = 2, per = \"second\" }"), 1);
        // Equal rates never hold a call back either.
        assert_eq!(pb703(connector, "rate_limit = { requests = 6000, per = \"hour\" }"), 1);
        assert_eq!(pb703(connector, "rate_limit = { requests = 1, per = \"second\" }"), 0);
        // Without a connector limit the endpoint's is the only one.
        assert_eq!(pb703("", "rate_limit = { requests = 50, per = \"second\" }"), 0);
    }
}
