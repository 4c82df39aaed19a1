//! The patchbay workbench: a local, single-user web application in which
//! connector authors and their users add an instance of a connector, log
//! in at the provider, test the connection and call endpoints.
//!
//! It is built on the public API of `patchbay-runtime`, as a service
//! would use it, and serves server-rendered HTML with no script at all.
//! `patchbay serve` runs it:
//!
//! ```no_run
//! # async fn example() -> Result<(), patchbay_workbench::Error> {
//! use std::sync::Arc;
//! use patchbay_workbench::{Config, Workbench};
//!
//! let specs = Arc::new(|| Ok(vec!["connectors/github.toml".into()]));
//! let workbench = Workbench::bind(Config::new(specs, "/home/ana/.local/share/patchbay".into())).await?;
//! println!("{}", workbench.url());
//! workbench.run().await
//! # }
//! ```
//!
//! # What it promises
//!
//! It holds every instance's secrets and has no user accounts, so it
//! listens on loopback unless an access token is required; it refuses a
//! request whose `Host` is not its own (DNS rebinding), a form posted from
//! another origin or without the form's CSRF token; every response carries
//! a Content-Security-Policy that allows no script; and no secret is ever
//! written in a page, a URL or a log: secret inputs are password fields
//! whose value is never sent back, and every text that comes from a
//! request passes through the connection's redactor.

#![warn(missing_docs)]

mod forms;
mod pages;
mod security;
mod specs;
mod store;
mod templates;

use std::collections::HashMap;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use patchbay_runtime::{FileStore, Options, Runtime};
use patchbay_schema::{Diagnostic, SourceFile};

/// The port `patchbay serve` listens on by default.
pub const DEFAULT_PORT: u16 = 8686;

/// Lists the spec files the workbench shows, called on every page load so
/// that files added, edited or removed on disk show up on reload. An error
/// is shown on the connectors page.
pub type SpecFinder = Arc<dyn Fn() -> Result<Vec<PathBuf>, String> + Send + Sync>;

/// Writes one diagnostic as text (the CLI passes its `lint` renderer, so
/// that the workbench shows what `lint` prints).
pub type DiagnosticText = fn(&SourceFile, &Diagnostic) -> String;

/// How the workbench is served.
#[derive(Clone)]
pub struct Config {
    /// The spec files to show.
    pub spec_files: SpecFinder,
    /// How a diagnostic is written.
    pub diagnostic_text: DiagnosticText,
    /// The address to listen on; loopback unless `require_token`.
    pub bind: IpAddr,
    /// The port; 0 picks a free one.
    pub port: u16,
    /// The origin users reach the workbench at, when it is not the
    /// address it listens on (a proxy, a staging host): the redirect URI
    /// is made from it, and its `Host` and `Origin` are accepted.
    pub public_url: Option<url::Url>,
    /// Whether every request must carry the access token printed at start.
    pub require_token: bool,
    /// `$PATCHBAY_HOME`: instances are kept in its `workbench` folder and
    /// tokens in its `tokens` folder (the CLI's token store).
    pub home: PathBuf,
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("public_url", &self.public_url)
            .field("require_token", &self.require_token)
            .field("home", &self.home)
            .finish_non_exhaustive()
    }
}

impl Config {
    /// Loopback on [`DEFAULT_PORT`], no public URL, no access token, and
    /// diagnostics written as `file:line:col: severity[code]: message`.
    pub fn new(spec_files: SpecFinder, home: PathBuf) -> Config {
        Config {
            spec_files,
            diagnostic_text: plain_diagnostic,
            bind: IpAddr::V4(Ipv4Addr::LOCALHOST),
            port: DEFAULT_PORT,
            public_url: None,
            require_token: false,
            home,
        }
    }
}

/// `$PATCHBAY_HOME` when set, else the user's data directory's `patchbay`
/// folder: where the token store is too.
pub fn default_home() -> Result<PathBuf, Error> {
    patchbay_runtime::FileStore::home().ok_or(Error::NoHome)
}

fn plain_diagnostic(file: &SourceFile, diagnostic: &Diagnostic) -> String {
    let mut text = format!(
        "{}:{}:{}: {}[{}]: {}",
        file.name(),
        diagnostic.start.line,
        diagnostic.start.column,
        diagnostic.severity.as_str(),
        diagnostic.code,
        diagnostic.message
    );
    if let Some(fix) = &diagnostic.fix {
        text.push_str("\n  fix: ");
        text.push_str(fix);
    }
    text
}

/// Why the workbench cannot start or stopped.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A non-loopback address without an access token.
    #[error(
        "refusing to listen on {0}: the workbench holds credentials and has no user accounts, so an address other machines can reach needs --require-token (every browser must then present the access token printed at start)"
    )]
    NonLoopbackWithoutToken(IpAddr),
    /// The public URL is not an origin.
    #[error(
        "--public-url `{0}`: give an http or https origin such as https://workbench.example.com (no path, query or fragment)"
    )]
    PublicUrl(String),
    /// The address could not be bound.
    #[error("cannot listen on {address} (is the port free? choose another with --port): {source}")]
    Listen {
        /// The address.
        address: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The server stopped with an I/O error.
    #[error("the workbench stopped: {0}")]
    Serve(std::io::Error),
    /// No random numbers for the tokens.
    #[error("cannot make a random token: {0}")]
    Random(String),
    /// There is no data directory for `$PATCHBAY_HOME`.
    #[error("no data directory for this user; set PATCHBAY_HOME")]
    NoHome,
    /// The runtime could not start.
    #[error(transparent)]
    Runtime(#[from] patchbay_runtime::Error),
}

/// The state every handler shares.
pub(crate) struct App {
    pub(crate) config: Config,
    /// The origin the browser comes back to, `http://127.0.0.1:PORT`
    /// or the public URL's.
    pub(crate) origin: String,
    /// The port the server listens on.
    pub(crate) port: u16,
    /// The token every form carries.
    pub(crate) csrf: String,
    /// The token every request carries, when one is required.
    pub(crate) access_token: Option<String>,
    pub(crate) runtime: Runtime,
    pub(crate) tokens: Arc<FileStore>,
    pub(crate) instances: store::Instances,
    /// Logins started and not yet back, by their `state`.
    pub(crate) pending: Mutex<HashMap<String, pages::Pending>>,
    /// A message for an instance's page, shown once.
    pub(crate) flash: Mutex<HashMap<String, pages::Flash>>,
    pub(crate) templates: templates::Templates,
}

/// The workbench's routes, for a server listening on `port` (the redirect
/// URI and the accepted `Host` depend on it), and the access token when
/// one is required. `Workbench::bind` serves it; tests call it directly.
pub fn router(config: Config, port: u16) -> Result<(axum::Router, Option<String>), Error> {
    if !config.bind.is_loopback() && !config.require_token {
        return Err(Error::NonLoopbackWithoutToken(config.bind));
    }
    let origin = match &config.public_url {
        Some(url) => public_origin(url)?,
        None => {
            let host = match config.bind {
                IpAddr::V6(v6) if !v6.is_unspecified() => format!("[{v6}]"),
                IpAddr::V4(v4) if !v4.is_unspecified() => v4.to_string(),
                _ => Ipv4Addr::LOCALHOST.to_string(),
            };
            format!("http://{host}:{port}")
        }
    };
    let access_token = config.require_token.then(random_token).transpose()?;
    let app = App {
        origin,
        port,
        csrf: random_token()?,
        access_token: access_token.clone(),
        // The workbench runs on its user's machine, like the CLI: no
        // egress guard, so that local and staging APIs can be tried.
        runtime: Runtime::new(Options::default())?,
        tokens: Arc::new(FileStore::new(config.home.join("tokens"))?),
        instances: store::Instances::new(config.home.join("workbench").join("instances")),
        pending: Mutex::default(),
        flash: Mutex::default(),
        templates: templates::Templates::new(),
        config,
    };
    Ok((pages::routes(Arc::new(app)), access_token))
}

/// The origin of a `--public-url`, checked.
fn public_origin(url: &url::Url) -> Result<String, Error> {
    let origin_only = matches!(url.scheme(), "http" | "https")
        && url.host_str().is_some()
        && url.path() == "/"
        && url.query().is_none()
        && url.fragment().is_none()
        && url.username().is_empty()
        && url.password().is_none();
    if !origin_only {
        return Err(Error::PublicUrl(url.to_string()));
    }
    Ok(url.origin().ascii_serialization())
}

/// 128 random bits, hex.
fn random_token() -> Result<String, Error> {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|e| Error::Random(e.to_string()))?;
    Ok(bytes.iter().map(|b| format!("{b:02x}")).collect())
}

/// A workbench listening, not yet serving.
#[derive(Debug)]
pub struct Workbench {
    listener: tokio::net::TcpListener,
    router: axum::Router,
    url: String,
}

impl Workbench {
    /// Checks the configuration and listens.
    pub async fn bind(config: Config) -> Result<Workbench, Error> {
        if !config.bind.is_loopback() && !config.require_token {
            return Err(Error::NonLoopbackWithoutToken(config.bind));
        }
        let address = SocketAddr::new(config.bind, config.port);
        let listener = tokio::net::TcpListener::bind(address)
            .await
            .map_err(|source| Error::Listen { address, source })?;
        let port = listener
            .local_addr()
            .map_err(|source| Error::Listen { address, source })?
            .port();
        let (router, access_token) = router(config.clone(), port)?;
        let base = match &config.public_url {
            Some(url) => public_origin(url)?,
            None => {
                let shown = SocketAddr::new(
                    if config.bind.is_unspecified() {
                        IpAddr::V4(Ipv4Addr::LOCALHOST)
                    } else {
                        config.bind
                    },
                    port,
                );
                format!("http://{shown}")
            }
        };
        // Like Jupyter: the token is in the URL printed once; the first
        // request trades it for a cookie and a redirect to a clean URL.
        let url = match access_token {
            Some(token) => format!("{base}/?access_token={token}"),
            None => format!("{base}/"),
        };
        Ok(Workbench {
            listener,
            router,
            url,
        })
    }

    /// The URL to open (with the access token, when one is required).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Serves until the process ends.
    pub async fn run(self) -> Result<(), Error> {
        axum::serve(self.listener, self.router)
            .await
            .map_err(Error::Serve)
    }
}
