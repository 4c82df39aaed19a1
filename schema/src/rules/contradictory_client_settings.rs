//! PB401: a public OAuth client declaring a secret or client
//! authentication.

use super::{Context, PB401};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{AuthMethod, ClientType};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let AuthMethod::OAuth2AuthorizationCode(m) = method else {
            continue;
        };
        if m.effective_client_type() != ClientType::Public {
            continue;
        }
        let pointer = pointer_push("/auth", key);
        if m.common.variables.contains_key("client_secret") {
            reporter.report(
                Target::Key(&pointer_push(&pointer_push(&pointer, "variables"), "client_secret")),
                Finding::new(&PB401, format!("auth method `{key}` is a public client but declares `client_secret`"))
                    .fix("remove `client_secret` (a public client has none), or set `client_type = \"confidential\"`"),
            );
        }
        if m.oauth.client_auth.is_some() {
            reporter.report(
                Target::Key(&pointer_push(&pointer, "client_auth")),
                Finding::new(&PB401, format!("auth method `{key}` is a public client but sets `client_auth`"))
                    .fix("remove `client_auth`: a public client does not authenticate and sends `client_id` in the body"),
            );
        }
    }
}
