//! Renders and executes patchbay request plans.
//!
//! A service compiles a connector once and connects many instances:
//!
//! ```no_run
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! use patchbay_runtime::{Call, Connection, Connector, Instance, InstanceFile, Options, Runtime};
//! use patchbay_schema::SourceFile;
//!
//! let spec = SourceFile::new("shopware6.toml", std::fs::read_to_string("shopware6.toml")?);
//! let connector = Connector::new(patchbay_compiler::compile_source(&spec)?.plan);
//! // Instance values come from a service's users: keep their requests off
//! // private networks.
//! let runtime = Runtime::new(Options { egress_guard: true, ..Options::default() })?;
//!
//! let file = InstanceFile::read("shop.instance.toml".as_ref())?;
//! let instance = Instance::bind(connector.plan(), &file, ".".as_ref(), &|k| std::env::var(k).ok())?;
//! let connection = Connection::new(&runtime, &connector, instance)?;
//!
//! let mut pages = connection.pages("list_orders", Call::default())?;
//! while let Some(page) = pages.next().await {
//!     for order in page?.records {
//!         println!("{order}");
//!     }
//! }
//! # Ok(()) }
//! ```
//!
//! Tokens are cached per connection and renewed before they expire; at
//! most one token request is in flight per connection. Requests are
//! retried on 429, 502, 503, 504 and connection errors with jittered
//! exponential backoff, honouring `Retry-After`. Secrets never appear in
//! errors, logs or `Debug` output.
//!
//! # Public API
//!
//! Everything a service uses is exported here, at the crate root, by one
//! path each: the [`Runtime`], [`Connector`] and [`Connection`] with what
//! their calls take and return; instances ([`Instance`], [`InstanceFile`]);
//! the authorization-code login ([`PendingLogin`]); token stores
//! ([`TokenStore`], [`StoredToken`], [`StoreLease`], [`StoreFuture`], and the default
//! [`FileStore`]) for a service that keeps tokens elsewhere; rate
//! limiters ([`RateLimiter`], [`RateLimit`], the default
//! [`LocalRateLimiter`]) for a service whose workers share a limit; the
//! [`Metrics`] hook and its records; and secrets with the [`Redactor`]
//! every text shown to a user passes through.
//!
//! Each call runs in a `tracing` span `patchbay.call`, each token request
//! in one named `patchbay.token`; their fields are names, statuses, error
//! kinds and times, never a value.
//!
//! # Features
//!
//! - `internals` (off): exports the renderer, the request builder and the
//!   token-response reader as `patchbay_runtime::internals`, for the
//!   benchmarks and the fuzz targets. Not a stable API: it changes without
//!   notice.

#![warn(missing_docs)]

mod api_errors;
mod auth;
mod checkpoint;
mod connection;
mod error;
mod filters;
mod http;
mod instance;
mod jwt;
mod multipart;
mod oauth1;
mod observe;
mod pagination;
mod private_file;
mod rate_limit;
mod render;
mod request;
mod secret;
mod store;
mod token;
mod values;

pub use auth::{DEVICE_POLL_INTERVAL_LIMIT, DeviceLogin, LOGIN_TIMEOUT, Logout, PendingLogin};
pub use checkpoint::Checkpoint;
pub use connection::{Call, Connection, Connector, Runtime};
pub use error::{Error, Result};
pub use http::{
    DEFAULT_MAX_AUTH_RESPONSE_BYTES, DEFAULT_MAX_PAGES, DEFAULT_RESPONSE_BYTES_CEILING, Options,
    Response,
};
pub use instance::{Instance, InstanceFile, ValueSource};
pub use multipart::{MultipartPart, Upload};
pub use observe::{CallRecord, Metrics, TokenGrant, TokenRecord};
pub use pagination::{Page, Pages};
pub use private_file::{lock_private_file, read_private_file, write_private_file};
pub use rate_limit::{Acquiring, LocalRateLimiter, RateLimit, RateLimiter, RateScope};
pub use request::{HttpRequest, RequestBody};
pub use secret::{Redactor, Secret};
pub use store::{FileStore, StoreFuture, StoreLease, StoredToken, TokenStore};
pub use token::{RENEWAL_SHARE_OF_LIFETIME, Token, TokenInfo};

/// The renderer, request builder and token-response reader, for the
/// benchmarks and the fuzz targets. Unstable: not part of the public API,
/// and may change in any release.
#[cfg(feature = "internals")]
#[doc(hidden)]
pub mod internals {
    pub use crate::render::{Context, Renderer};
    pub use crate::request::build;
    pub use crate::token::{issued_refresh_token, read_token_response};
}
