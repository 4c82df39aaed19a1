//! What the rate-limit tests call: an HTTP server that counts the
//! requests it is sent, and a connection to it with rate limits (the
//! `redis-server` is `common`'s).

use std::sync::{Arc, Mutex};
use std::time::Instant;

use patchbay_runtime::{Connection, Connector, Instance, Options, Runtime};
use patchbay_schema::SourceFile;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

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
