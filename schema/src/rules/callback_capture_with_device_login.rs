//! PB761: a method that offers a device login and captures values from
//! the authorization callback.

use super::{Context, PB761};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::AuthMethod;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let AuthMethod::OAuth2AuthorizationCode(m) = method else {
            continue;
        };
        let Some(captures) = m.authorize_response.as_ref().map(|r| &r.capture) else {
            continue;
        };
        if m.device_authorization_url.is_none() || captures.is_empty() {
            continue;
        }
        let names: Vec<String> = captures.keys().map(|name| format!("`{name}`")).collect();
        let pointer = pointer_push(&pointer_push("/auth", key), "device_authorization_url");
        reporter.report(
            Target::Key(&pointer),
            Finding::new(
                &PB761,
                format!(
                    "auth method `{key}` offers a device login, which never receives the authorization callback, yet it captures {} from that callback: after a device login they are missing, and every request that uses them fails",
                    names.join(", ")
                ),
            )
            .fix("remove `device_authorization_url` (the provider sends these values only to a browser login), or get the values another way, such as a `discover` request"),
        );
    }
}
