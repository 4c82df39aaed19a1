//! What the example tests share: a Taskpad server of their own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// A `taskpad-server` on a free loopback port, stopped when dropped.
pub(crate) struct TaskpadServer {
    child: Child,
    /// Its base URL, `http://127.0.0.1:PORT`.
    pub(crate) url: String,
}

impl TaskpadServer {
    /// Starts one on a free port and waits until it listens.
    pub(crate) fn start() -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_taskpad-server"))
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .spawn()
            .expect("start taskpad-server");
        let stdout = child.stdout.take().expect("its stdout");
        let mut line = String::new();
        BufReader::new(stdout)
            .read_line(&mut line)
            .expect("its first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "not loopback: {url}");
        TaskpadServer { child, url }
    }
}

impl Drop for TaskpadServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
