//! PB721: a `basic` method whose `username` and `password` templates use
//! no secret.

use super::{Context, PB721};
use crate::catalog::default_variables;
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{AuthMethod, VariableType};
use crate::template::simple_names;

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        let AuthMethod::Basic(basic) = method else {
            continue;
        };
        // Only written templates: the defaults use `password`, a secret
        // unless PB206 reports its downgrade.
        if basic.username.is_none() && basic.password.is_none() {
            continue;
        }
        let (username, password) = basic.templates();
        let is_secret = |name: &str| {
            let own = method
                .variables()
                .and_then(|v| v.get(name))
                .and_then(|v| v.kind);
            let default = default_variables(method)
                .into_iter()
                .find(|d| d.name == name)
                .map(|d| d.kind);
            let connector = context.spec.variables.get(name).map(|v| v.kind);
            let kind = match (own, default, connector) {
                (Some(kind), _, _) => Some(kind),
                (None, Some(kind), _) => Some(kind),
                (None, None, Some(kind)) => kind,
                (None, None, None) => None,
            };
            kind == Some(VariableType::Secret)
        };
        let names = simple_names(username)
            .into_iter()
            .chain(simple_names(password));
        if names.into_iter().any(|name| is_secret(&name)) {
            continue;
        }
        let field = if basic.password.is_some() { "password" } else { "username" };
        let pointer = pointer_push(&pointer_push("/auth", key), field);
        reporter.report(
            Target::Value(&pointer),
            Finding::new(
                &PB721,
                "neither the `username` nor the `password` template of this Basic credential uses a secret variable, so the credential's parts would be shown in forms and written in plain instance files".to_owned(),
            )
            .fix("make the variable that holds the API key or password `type = \"secret\"`, and use it in `password` (or `username`)"),
        );
    }
}
