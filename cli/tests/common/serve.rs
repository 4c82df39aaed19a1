//! `patchbay serve` on a free loopback port, for the workbench's tests.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running workbench, stopped when dropped.
pub(crate) struct Workbench {
    child: Child,
    /// The URL it printed, `http://127.0.0.1:PORT/`.
    pub(crate) url: String,
}

impl Workbench {
    /// `patchbay serve SPECS --port 0` with `PATCHBAY_HOME=home`, its
    /// stderr written to `log` (for the sentinel test to read).
    pub(crate) fn start(specs: &Path, home: &Path, log: &Path, envs: &[(&str, &str)]) -> Workbench {
        let mut child = Command::new(env!("CARGO_BIN_EXE_patchbay"))
            .args(["serve", "--port", "0"])
            .arg(specs)
            .env("PATCHBAY_HOME", home)
            .envs(envs.iter().copied())
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .unwrap();
        let mut url = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut url)
            .unwrap();
        assert!(
            url.starts_with("http://127.0.0.1:"),
            "patchbay serve printed {url:?}"
        );
        Workbench {
            child,
            url: url.trim().to_owned(),
        }
    }

    /// The origin, without the trailing slash.
    pub(crate) fn origin(&self) -> &str {
        self.url.trim_end_matches('/')
    }
}

impl Drop for Workbench {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A folder of specs for the workbench: the harness connector, and a spec
/// with a lint error.
pub(crate) fn spec_folder(dir: &Path) -> std::path::PathBuf {
    let specs = dir.join("specs");
    std::fs::create_dir_all(&specs).unwrap();
    let workspace = super::common::workspace();
    std::fs::copy(
        workspace.join("cli/tests/data/oauth-test-server.toml"),
        specs.join("oauth-test-server.toml"),
    )
    .unwrap();
    std::fs::copy(
        workspace.join("fixtures/invalid/PB101-template-syntax-error.toml"),
        specs.join("PB101-template-syntax-error.toml"),
    )
    .unwrap();
    specs
}

/// A fresh private folder (0700) for `PATCHBAY_HOME`.
pub(crate) fn private_dir(path: &Path) {
    let _ = std::fs::remove_dir_all(path);
    std::fs::create_dir_all(path).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o700)).unwrap();
    }
}
