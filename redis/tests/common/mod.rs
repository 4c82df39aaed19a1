//! The test harness: a real `redis-server` on a free loopback port with
//! its own folder and persistence (append-only file, fsync on every
//! write, as a service that must not lose a rotated refresh token would
//! run it), stopped and removed when dropped.

#![allow(dead_code, clippy::unwrap_used)] // not every test file uses every helper

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

/// The password the test servers require: the tests check that no
/// message shows it.
pub(crate) const PASSWORD: &str = "SENTINEL-redis-password";

/// A running `redis-server` of a test.
pub(crate) struct RedisServer {
    child: Option<Child>,
    folder: PathBuf,
    port: u16,
}

impl RedisServer {
    /// Starts one on a free port, in a new folder.
    pub(crate) fn start(name: &str) -> Self {
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap()
            .as_nanos();
        let folder = std::env::temp_dir().join(format!(
            "patchbay-redis-{name}-{}-{nanos}",
            std::process::id()
        ));
        std::fs::create_dir_all(&folder).unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = RedisServer {
            child: None,
            folder,
            port,
        };
        server.restart();
        server
    }

    /// The URL of this server, password included.
    pub(crate) fn url(&self) -> String {
        format!("redis://:{PASSWORD}@127.0.0.1:{}/0", self.port)
    }

    /// Its port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// (Re)starts the server on its port and folder, waiting until it
    /// answers.
    pub(crate) fn restart(&mut self) {
        assert!(self.child.is_none(), "the server is running");
        let binary = which_redis_server();
        let child = Command::new(binary)
            .args([
                "--bind",
                "127.0.0.1",
                "--port",
                &self.port.to_string(),
                "--dir",
                self.folder.to_str().unwrap(),
                "--appendonly",
                "yes",
                "--appendfsync",
                "always",
                "--save",
                "",
                "--requirepass",
                PASSWORD,
                "--daemonize",
                "no",
                "--logfile",
                "redis.log",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if let Ok(mut stream) = std::net::TcpStream::connect(("127.0.0.1", self.port)) {
                use std::io::{Read, Write};
                let ping = format!("AUTH {PASSWORD}\r\nPING\r\n");
                stream
                    .set_read_timeout(Some(Duration::from_secs(1)))
                    .unwrap();
                if stream.write_all(ping.as_bytes()).is_ok() {
                    let mut answer = Vec::new();
                    let mut buffer = [0u8; 64];
                    while let Ok(n) = stream.read(&mut buffer) {
                        if n == 0 {
                            break;
                        }
                        answer.extend_from_slice(&buffer[..n]);
                        if answer.ends_with(b"+PONG\r\n") {
                            return;
                        }
                    }
                }
            }
            assert!(
                Instant::now() < deadline,
                "redis-server did not answer on port {} within 10 s; see {}",
                self.port,
                self.folder.join("redis.log").display()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it as an orderly shutdown does (SIGTERM: the append-only file
    /// is complete), waiting until it has exited.
    pub(crate) fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        let _ = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while child.try_wait().unwrap().is_none() {
            if Instant::now() > deadline {
                let _ = child.kill();
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// `redis-server` on the PATH, or a failure that says how to install it.
fn which_redis_server() -> PathBuf {
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|paths| std::env::split_paths(&paths).collect::<Vec<_>>())
        .chain([PathBuf::from("/usr/bin"), PathBuf::from("/usr/sbin")])
        .map(|folder| folder.join("redis-server"))
        .find(|path| path.is_file())
        .unwrap_or_else(|| {
            panic!("redis-server is not installed: run `apt-get install -y redis-server` (scripts/test does when run as root)")
        })
}
