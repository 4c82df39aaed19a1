//! PB760: overrides of a device login's requests on a method that has no
//! device login (no `device_authorization_url`).

use super::{Context, PB760};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::AuthMethod;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let AuthMethod::OAuth2AuthorizationCode(m) = method else {
            continue;
        };
        if m.device_authorization_url.is_some() {
            continue;
        }
        let written = [
            (
                "device_authorization_request",
                m.device_authorization_request.is_some(),
            ),
            ("device_token_request", m.device_token_request.is_some()),
        ];
        for (table, _) in written.into_iter().filter(|(_, present)| *present) {
            let pointer = pointer_push(&pointer_push("/auth", key), table);
            reporter.report(
                Target::Key(&pointer),
                Finding::new(
                    &PB760,
                    format!(
                        "`{table}` changes a request of the device login, but auth method `{key}` has no device login: it sets no `device_authorization_url`, so the table is never used"
                    ),
                )
                .fix("add the provider's `device_authorization_url` (RFC 8628 §3.1), or remove the table"),
            );
        }
    }
}
