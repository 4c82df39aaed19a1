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

mod connection;
pub mod error;
mod http;
pub mod instance;
pub mod login;
pub mod render;
pub mod request;
pub mod secret;
pub mod store;
pub mod token;

pub use connection::{Call, Connection, Connector, Logout, Page, Pages, Runtime, link_target};
pub use error::{Error, Result};
pub use http::{Options, Response, is_public, retry_after};
pub use instance::{Instance, InstanceFile, ValueSource};
pub use login::PendingLogin;
pub use request::{HttpRequest, RequestBody};
pub use secret::{Redactor, Secret};
pub use store::{FileStore, StoreLock, StoredToken, TokenStore};
pub use token::{Token, TokenInfo};
