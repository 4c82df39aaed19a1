//! `patchbay serve`: the workbench, a local web application to add
//! instances of the specs under PATHS, log in, test and call endpoints
//! (crate `patchbay-workbench`).

use std::io::Write;
use std::net::IpAddr;
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use patchbay_workbench::{Config, DEFAULT_PORT, Workbench};

use crate::files::{Input, collect};

/// The arguments of `patchbay serve`.
#[derive(Debug, clap::Args)]
pub(crate) struct ServeArgs {
    /// Spec files, and folders to search for .toml and .json specs (read
    /// again on every page load).
    #[arg(value_name = "PATHS", default_value = ".")]
    paths: Vec<PathBuf>,
    /// The port to listen on (0: a free one).
    #[arg(long, value_name = "N", default_value_t = DEFAULT_PORT)]
    port: u16,
    /// The address to listen on. Anything but loopback needs
    /// --require-token: the workbench holds credentials.
    #[arg(long, value_name = "ADDR", default_value = "127.0.0.1")]
    bind: IpAddr,
    /// The origin users reach the workbench at (behind a proxy, or a
    /// staging host registered as a redirect URI): the redirect URI becomes
    /// URL/callback, and its Host and Origin are accepted.
    #[arg(long, value_name = "URL")]
    public_url: Option<url::Url>,
    /// Require an access token, printed at start in the URL to open: every
    /// browser must present it once.
    #[arg(long)]
    require_token: bool,
}

pub(crate) fn run(args: &ServeArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let paths = args.paths.clone();
    let spec_files = Arc::new(move || {
        collect(&paths, &[])
            .map(|inputs| {
                inputs
                    .into_iter()
                    .filter_map(|input| match input {
                        Input::Named(path) | Input::Found(path) => Some(path),
                        Input::Stdin => None,
                    })
                    .collect()
            })
            .map_err(|error| format!("{error:#}"))
    });
    let mut config = Config::new(spec_files, patchbay_workbench::default_home()?);
    config.diagnostic_text = crate::report::plain_text;
    config.bind = args.bind;
    config.port = args.port;
    config.public_url = args.public_url.clone();
    config.require_token = args.require_token;
    crate::connect::block_on(async {
        let workbench = Workbench::bind(config).await?;
        // The first line is the URL (tests and scripts read it).
        writeln!(stdout, "{}", workbench.url())?;
        stdout.flush()?;
        let _ = writeln!(
            std::io::stderr(),
            "patchbay workbench: open the URL above; Ctrl-C stops it."
        );
        workbench.run().await?;
        Ok(ExitCode::SUCCESS)
    })?
}
