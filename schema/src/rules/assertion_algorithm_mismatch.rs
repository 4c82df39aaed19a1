//! PB752: an assertion algorithm its key cannot have.

use super::{Context, PB752};
use crate::diagnostic::{Finding, Reporter, Target};
use crate::document::pointer_push;
use crate::model::{AssertionRole, AuthMethod, ClientAuth, JwtAlgorithm};

pub(crate) fn check(context: &Context<'_>, reporter: &mut Reporter<'_>) {
    for (key, method) in &context.spec.auth {
        for (role, written) in method.assertions() {
            let Some(algorithm) = written.and_then(|w| w.algorithm) else {
                continue;
            };
            let hmac_key = role == AssertionRole::Client
                && method.oauth().and_then(|o| o.client_auth) == Some(ClientAuth::ClientSecretJwt);
            let (problem, fix) = match (hmac_key, algorithm) {
                (true, JwtAlgorithm::HS256) | (false, JwtAlgorithm::RS256 | JwtAlgorithm::ES256) => {
                    continue;
                }
                (true, _) => (
                    format!(
                        "`client_secret_jwt` signs with the client secret, an HMAC key, but this asks for {}, which needs a private key",
                        algorithm.as_str()
                    ),
                    "remove `algorithm` (HS256), or set `client_auth = \"private_key_jwt\"` and give the client a `private_key`",
                ),
                (false, _) => (
                    match method {
                        AuthMethod::OAuth2JwtBearer(_) if role == AssertionRole::Grant => {
                            "the JWT bearer grant signs with the service account's private key; HS256 would need a secret the server shares".to_owned()
                        }
                        _ => "`private_key_jwt` signs with the client's private key; HS256 is `client_secret_jwt`".to_owned(),
                    },
                    "use RS256 (an RSA key) or ES256 (a P-256 key)",
                ),
            };
            let pointer = pointer_push(
                &pointer_push(&pointer_push("/auth", key), role.table()),
                "algorithm",
            );
            reporter.report(
                Target::Value(&pointer),
                Finding::new(&PB752, problem).fix(fix),
            );
        }
    }
}
