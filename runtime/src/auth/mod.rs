//! A connection's auth method: its own requests (authorize, token,
//! refresh, revoke) rendered with the instance's values, the tokens they
//! yield ([`tokens`]: acquire, cache, refresh, persist, revoke) and the
//! authorization-code login ([`login`]) and the device login ([`device`]).
//!
//! A method that obtains its token another way is a new [`TokenSource`],
//! its own file, and one arm in [`TokenCache::current`].

mod device;
mod discover;
mod login;
mod tokens;

use indexmap::IndexMap;
use patchbay_compiler::plan::{MethodPlan, TokenResponsePlan};
use patchbay_schema::catalog::AuthPart;
use patchbay_schema::pattern::compile_pattern;
use serde_json::Value;

use crate::error::{Error, Result};
use crate::http::Http;
use crate::render::{Context, Renderer};
use crate::request::{HttpRequest, build};

pub use device::{DEVICE_POLL_INTERVAL_LIMIT, DeviceLogin};
pub(crate) use device::{complete as complete_device_login, start as start_device_login};
pub(crate) use login::Logins;
pub use login::{LOGIN_TIMEOUT, PendingLogin};
pub use tokens::Logout;
pub(crate) use tokens::TokenCache;

/// Why a method cannot make a device login's requests.
const NO_DEVICE_LOGIN: &str = "has no device login: its spec sets no `device_authorization_url`";

/// How a method obtains the token its endpoint requests carry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokenSource {
    /// A token request with the instance's values (client credentials,
    /// password, a custom session login).
    Request,
    /// A login by the user, then refreshes; tokens are kept in the
    /// connection's store (authorization code).
    Login,
}

/// A connection's auth method, as the token lifecycle and the login see
/// it: the method's plan, how its requests are rendered, and the HTTP side
/// that sends them.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Auth<'c> {
    /// The method's key.
    pub(crate) key: &'c str,
    /// The method's plan.
    pub(crate) plan: &'c MethodPlan,
    /// The connector's renderer.
    renderer: &'c Renderer,
    /// The instance's values.
    base: &'c Context,
    /// The connection's HTTP side.
    pub(crate) http: &'c Http,
}

impl<'c> Auth<'c> {
    /// The method `key` of a connection.
    pub(crate) fn new(
        key: &'c str,
        plan: &'c MethodPlan,
        renderer: &'c Renderer,
        base: &'c Context,
        http: &'c Http,
    ) -> Self {
        Auth {
            key,
            plan,
            renderer,
            base,
            http,
        }
    }

    /// The method, for messages.
    pub(crate) fn describe(&self) -> String {
        format!("auth method `{}`", self.key)
    }

    /// How the method obtains tokens, if it uses any.
    pub(crate) fn token_source(&self) -> Option<TokenSource> {
        if self.plan.requests.authorize.is_some() {
            Some(TokenSource::Login)
        } else if self.plan.token_response.is_some() {
            Some(TokenSource::Request)
        } else {
            None
        }
    }

    /// How the method's token responses are read.
    pub(crate) fn token_response(&self) -> Result<&'c TokenResponsePlan> {
        self.plan
            .token_response
            .as_ref()
            .ok_or_else(|| Error::NotFound(format!("{} does not request tokens", self.describe())))
    }

    /// Renders one of the method's own requests with the instance's values
    /// and that request's runtime values.
    pub(crate) fn request(&self, part: AuthPart, runtime: &[(&str, &str)]) -> Result<HttpRequest> {
        self.request_with(part, runtime, &IndexMap::new())
    }

    /// Refuses a callback value that does not match its allow-list
    /// pattern, naming the parameter but never the value (a forged one
    /// may be built to mislead whoever reads the message).
    pub(crate) fn check_captures(&self, captures: &IndexMap<String, Value>) -> Result<()> {
        for (name, pattern) in &self.plan.authorize_capture_patterns {
            let Some(value) = captures.get(name) else {
                continue;
            };
            let parameter = self
                .plan
                .authorize_captures
                .get(name)
                .map_or(name.as_str(), String::as_str);
            let regex = compile_pattern(pattern).map_err(|message| {
                Error::Callback(format!(
                    "the allow-list pattern of `{parameter}` is not valid: {message}"
                ))
            })?;
            let allowed = value.as_str().is_some_and(|text| regex.is_match(text));
            if !allowed {
                return Err(Error::Callback(format!(
                    "its `{parameter}` (captured as `{name}`) is not one of the values {} allows; the callback may be forged, so nothing was sent",
                    self.describe()
                )));
            }
        }
        Ok(())
    }

    /// [`Auth::request`] that also sees the values captured from the
    /// authorization callback (Zoho's accounts server), each checked
    /// against its allow-list first. A captured value may start the URL,
    /// validated there like a `url` variable.
    pub(crate) fn request_with(
        &self,
        part: AuthPart,
        runtime: &[(&str, &str)],
        captures: &IndexMap<String, Value>,
    ) -> Result<HttpRequest> {
        self.check_captures(captures)?;
        let requests = &self.plan.requests;
        let (plan, missing) = match part {
            AuthPart::Authorize => (&requests.authorize, "has no authorization-code login"),
            AuthPart::Token => (&requests.token, "does not request tokens"),
            AuthPart::DeviceAuthorization => (&requests.device_authorization, NO_DEVICE_LOGIN),
            AuthPart::DeviceToken => (&requests.device_token, NO_DEVICE_LOGIN),
            AuthPart::Refresh => (&requests.refresh, "has no refresh request"),
            AuthPart::Discover => (&requests.discover, "has no discovery request"),
            AuthPart::Revoke => (&requests.revoke, "has no revoke_url"),
            AuthPart::Apply => (&None, "applies its credential to endpoint requests only"),
        };
        let plan = plan
            .as_ref()
            .ok_or_else(|| Error::NotFound(format!("{} {missing}", self.describe())))?;
        let mut context = self.base.clone();
        for (name, value) in captures
            .iter()
            .filter(|(name, _)| self.plan.authorize_captures.contains_key(*name))
        {
            context.set(name.clone(), value.clone());
            context.mark_url(name.clone());
        }
        for (name, value) in runtime {
            context.set(*name, Value::String((*value).to_owned()));
        }
        build(
            &format!("{} of {}", part.describe(), self.describe()),
            plan,
            self.renderer,
            &context,
        )
    }
}
