//! PB109: more endpoint requests (endpoints × the auth methods each is
//! enabled for) than [`MAX_ENDPOINT_REQUESTS`].

use super::{Context, PB109};
use crate::MAX_ENDPOINT_REQUESTS;
use crate::analysis::endpoint_requests;
use crate::diagnostic::{Finding, Reporter, Target};

/// Reported before the other rules (see [`reported`]), which do not run.
pub(crate) fn check(_: &Context<'_>, _: &mut Reporter<'_>) {}

/// Reports the spec if it has too many endpoint requests, and says whether
/// it did: the other rules then do not run, since the analysis they read
/// has no endpoint requests.
pub(crate) fn reported(context: &Context<'_>, reporter: &mut Reporter<'_>) -> bool {
    let spec = context.spec;
    let requests = endpoint_requests(spec);
    if requests <= MAX_ENDPOINT_REQUESTS {
        return false;
    }
    reporter.report(
        Target::Key("/endpoints"),
        Finding::new(
            &PB109,
            format!(
                "{} endpoints under {} auth methods make {requests} endpoint requests, over the limit of {MAX_ENDPOINT_REQUESTS}",
                spec.endpoints.len(),
                spec.auth.len()
            ),
        )
        .fix("give each endpoint an `auth` list of the methods it really needs, or split the connector into several specs"),
    );
    true
}
