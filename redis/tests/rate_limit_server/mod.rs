//! What the rate-limit tests run against: a real `redis-server` on a free
//! loopback port with its own folder, and an HTTP server that counts the
//! requests it is sent.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use patchbay_runtime::{Connection, Connector, Instance, Options, Runtime};
use patchbay_schema::SourceFile;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

/// Where the system's package installs it.
const REDIS_SERVER: &str = "/usr/bin/redis-server";

/// A `redis-server` the test started, stopped when dropped.
pub(crate) struct RedisServer {
    child: Option<Child>,
    port: u16,
    dir: PathBuf,
    password: Option<String>,
}

impl RedisServer {
    /// Starts one on a free port, requiring `password` if given.
    pub(crate) fn start(password: Option<&str>) -> Self {
        assert!(
            std::path::Path::new(REDIS_SERVER).exists(),
            "{REDIS_SERVER} is missing: install it with `sudo apt-get install -y redis-server`"
        );
        let port = free_port();
        let dir =
            std::env::temp_dir().join(format!("patchbay-rate-limit-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("the server's folder");
        let mut server = RedisServer {
            child: None,
            port,
            dir,
            password: password.map(str::to_owned),
        };
        server.restart();
        server
    }

    /// `redis://` URL of it, with the password.
    pub(crate) fn url(&self) -> String {
        match &self.password {
            Some(password) => format!("redis://:{password}@127.0.0.1:{}/", self.port),
            None => format!("redis://127.0.0.1:{}/", self.port),
        }
    }

    /// Its port.
    pub(crate) fn port(&self) -> u16 {
        self.port
    }

    /// Kills it (as a crash would).
    pub(crate) fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Starts it (again) on its port, and waits until it answers.
    pub(crate) fn restart(&mut self) {
        self.stop();
        let mut command = Command::new(REDIS_SERVER);
        command
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .arg("--dir")
            .arg(&self.dir)
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        if let Some(password) = &self.password {
            command.args(["--requirepass", password]);
        }
        self.child = Some(command.spawn().expect("redis-server starts"));
        let deadline = Instant::now() + Duration::from_secs(10);
        while !self.answers() {
            assert!(Instant::now() < deadline, "redis-server did not answer");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    fn answers(&self) -> bool {
        let Ok(mut stream) = TcpStream::connect(("127.0.0.1", self.port)) else {
            return false;
        };
        let _ = stream.set_read_timeout(Some(Duration::from_secs(1)));
        // Any answer, `-NOAUTH` included, means it is up.
        if stream.write_all(b"PING\r\n").is_err() {
            return false;
        }
        let mut answer = [0u8; 1];
        matches!(stream.read(&mut answer), Ok(1))
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// The path and arrival time of every request a [`CountingServer`] got.
pub(crate) type Arrivals = Arc<Mutex<Vec<(String, Instant)>>>;

/// An HTTP/1.1 server (keep-alive, GET) on loopback that answers every
/// request `{}` and notes its path and arrival.
pub(crate) struct CountingServer {
    /// Its base URL.
    pub(crate) url: String,
    /// What it received.
    pub(crate) arrivals: Arrivals,
}

impl CountingServer {
    /// Starts one on the current tokio runtime.
    pub(crate) async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("a port");
        let url = format!("http://{}", listener.local_addr().expect("its address"));
        let arrivals = Arrivals::default();
        let noted = Arc::clone(&arrivals);
        tokio::spawn(async move {
            while let Ok((socket, _)) = listener.accept().await {
                tokio::spawn(serve(socket, Arc::clone(&noted)));
            }
        });
        CountingServer { url, arrivals }
    }

    /// Requests received so far, to `path` if given.
    pub(crate) fn count(&self, path: Option<&str>) -> usize {
        let arrivals = self.arrivals.lock().expect("arrivals");
        arrivals
            .iter()
            .filter(|(p, _)| path.is_none_or(|path| p == path))
            .count()
    }
}

async fn serve(mut socket: tokio::net::TcpStream, arrivals: Arrivals) {
    let mut buffer = vec![0u8; 16 * 1024];
    let mut filled = 0;
    loop {
        let Ok(read) = socket.read(&mut buffer[filled..]).await else {
            return;
        };
        if read == 0 {
            return;
        }
        filled += read;
        // GET requests have no body: one ends at its blank line.
        while let Some(end) = buffer[..filled].windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buffer[..end]).into_owned();
            let path = head
                .split_whitespace()
                .nth(1)
                .unwrap_or_default()
                .to_owned();
            arrivals
                .lock()
                .expect("arrivals")
                .push((path, Instant::now()));
            let answer =
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 2\r\n\r\n{}";
            if socket.write_all(answer).await.is_err() {
                return;
            }
            buffer.copy_within(end + 4..filled, 0);
            filled -= end + 4;
        }
    }
}

/// A connector with a limit of `connector_rate` requests per second, and
/// an endpoint `limited` (path `/limited`) with its own `endpoint_rate`
/// beside `open` (path `/open`), which has none.
fn spec(connector_rate: u32, endpoint_rate: u32) -> String {
    format!(
        r#"
format = 1

[connector]
id = "counted"
name = "Counted"
version = "1.0.0"
rate_limit = {{ requests = {connector_rate}, per = "second" }}

[variables.base]
type = "url"
required = true

[auth.key]
type = "api_key"
name = "X-API-Key"

[endpoints.open]
url = "{{{{ base }}}}/open"

[endpoints.limited]
url = "{{{{ base }}}}/limited"
rate_limit = {{ requests = {endpoint_rate}, per = "second" }}
"#
    )
}

/// The API key of every connection: a sentinel no output may show.
pub(crate) const API_KEY: &str = "sentinel-api-key-5b1f";

/// A connection to `base` of [`spec`].
pub(crate) fn connection(base: &str, connector_rate: u32, endpoint_rate: u32) -> Connection {
    let source = SourceFile::new("counted.toml", spec(connector_rate, endpoint_rate));
    let plan = patchbay_compiler::compile_source(&source)
        .expect("the spec compiles")
        .plan;
    let connector = Connector::new(plan);
    let runtime = Runtime::new(Options::default()).expect("a runtime");
    let plan = connector.plan();
    let values = [
        ("base".to_owned(), json!(base)),
        ("api_key".to_owned(), json!(API_KEY)),
    ];
    let instance = Instance::from_values(plan, "key", &plan.methods["key"], values.into())
        .expect("the instance binds");
    Connection::new(&runtime, &connector, instance).expect("a connection")
}
