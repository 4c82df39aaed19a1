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

/// A `redis-server` on a free loopback port with a folder of its own,
/// stopped and removed when dropped (the full harness, with restarts and
/// persistence, is `redis/tests/common`).
#[allow(dead_code)] // only examples.rs runs a program that needs Redis
pub(crate) struct RedisServer {
    child: Child,
    folder: std::path::PathBuf,
    /// Its URL, `redis://127.0.0.1:PORT/0`.
    pub(crate) url: String,
}

#[allow(dead_code)]
impl RedisServer {
    /// Starts one and waits until it accepts connections.
    pub(crate) fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let folder = std::env::temp_dir().join(format!(
            "patchbay-example-redis-{}-{port}",
            std::process::id()
        ));
        std::fs::create_dir_all(&folder).expect("its folder");
        let child = Command::new("redis-server")
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &port.to_string(),
                "--save",
                "",
            ])
            .arg("--dir")
            .arg(&folder)
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server is not installed: run `apt-get install -y redis-server`");
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "redis-server did not start"
            );
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        RedisServer {
            child,
            folder,
            url: format!("redis://127.0.0.1:{port}/0"),
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}
