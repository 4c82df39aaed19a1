//! PB720: a token response whose access token is the whole body
//! (`access_token = ""`) that also names other fields to read.

use super::{Context, PB720};
use crate::diagnostic::{Finding, Reporter, Target};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let Some(response) = method.token_response() else {
            continue;
        };
        if response.access_token.as_deref() != Some("") {
            continue;
        }
        let key = key.replace('~', "~0").replace('/', "~1");
        let at = |field: &str| format!("/auth/{key}/token_response/{field}");
        let written = [
            ("expires_in", response.expires_in.is_some()),
            ("expires_at", response.expires_at.is_some()),
            ("refresh_token", response.refresh_token.is_some()),
            ("capture", !response.capture.is_empty()),
        ];
        for (field, _) in written.iter().filter(|(_, is_written)| *is_written) {
            reporter.report(
                Target::Key(&at(field)),
                Finding::new(
                    &PB720,
                    format!("`{field}` is read from a response whose whole body is the token (`access_token = \"\"`): that body is a JSON string, so nothing else is in it"),
                )
                .fix(if *field == "expires_in" || *field == "expires_at" {
                    "remove it and give the lifetime the API documents as `default_expires_in`"
                } else {
                    "remove it, or point `access_token` at a field if the response is an object"
                }),
            );
        }
    }
}
