//! The loopback OAuth test server (runtime/tests/oidc), for the CLI's
//! interop tests.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

/// The workspace root.
pub(crate) fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A running test server, stopped when dropped.
pub(crate) struct Server {
    child: Child,
    /// Its base URL (and issuer), `http://127.0.0.1:PORT`.
    pub(crate) base: String,
}

impl Server {
    /// A server with the default access-token lifetime (one hour).
    #[allow(dead_code)] // not every test file uses both constructors
    pub(crate) fn start() -> Server {
        Self::spawn(None, &[])
    }

    /// A server whose access tokens live `seconds`.
    #[allow(dead_code)]
    pub(crate) fn with_token_lifetime(seconds: u32) -> Server {
        Self::spawn(Some(seconds), &[])
    }

    /// A server whose access tokens live `seconds` and where a refresh
    /// revokes the access token it replaces.
    #[allow(dead_code)]
    pub(crate) fn revoking_replaced_tokens(seconds: u32) -> Server {
        Self::spawn(Some(seconds), &[("REVOKE_REPLACED_ACCESS_TOKENS", "1")])
    }

    /// A server started with these environment variables (see its
    /// README), e.g. the device flow's `DEVICE_POLL_INTERVAL`.
    #[allow(dead_code)]
    pub(crate) fn with_env(env: &[(&str, &str)]) -> Server {
        Self::spawn(None, env)
    }

    fn spawn(token_lifetime: Option<u32>, env: &[(&str, &str)]) -> Server {
        let folder = workspace().join("runtime/tests/oidc");
        assert!(
            folder.join("node_modules/oidc-provider").exists(),
            "the OAuth test server is not installed: run scripts/test (it runs `npm ci` in runtime/tests/oidc)"
        );
        let mut command = Command::new("node");
        command
            .arg("server.mjs")
            .current_dir(&folder)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .envs(env.iter().copied());
        if let Some(seconds) = token_lifetime {
            command.env("ACCESS_TOKEN_TTL", seconds.to_string());
        }
        let mut child = command.spawn().expect("node runs the OAuth test server");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("piped stdout"))
            .read_line(&mut line)
            .expect("the server prints its address");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the test server: {line}"))
            .to_owned();
        Server { child, base }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
