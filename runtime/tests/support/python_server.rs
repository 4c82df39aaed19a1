//! A test server written in Python (`runtime/tests/oauth1`, oauthlib;
//! `runtime/tests/jwt_bearer`, Authlib), shared by the runtime's and the
//! CLI's tests: started with its folder's virtual environment (made by
//! `scripts/test`), its base URL read from the one line it prints,
//! `listening on http://127.0.0.1:PORT`, and killed when dropped.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// A running Python test server.
pub(crate) struct PythonServer {
    child: Child,
    /// Its base URL.
    pub(crate) base: String,
}

impl PythonServer {
    /// Starts `runtime/tests/<folder>/server.py`.
    pub(crate) fn start(folder: &str) -> PythonServer {
        let folder = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("..")
            .join("runtime/tests")
            .join(folder);
        let python = folder.join(".venv/bin/python");
        assert!(
            python.exists(),
            "the test server in {} is not installed: run scripts/test (it makes the virtual environment there)",
            folder.display()
        );
        let mut child = Command::new(python)
            .arg("server.py")
            .current_dir(&folder)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the Python test server starts");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("its stdout"))
            .read_line(&mut line)
            .expect("its first line");
        let base = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line from the test server: {line}"))
            .to_owned();
        PythonServer { child, base }
    }
}

impl Drop for PythonServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
