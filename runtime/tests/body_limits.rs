//! Response bodies are read up to a limit and no further: a server that
//! streams an endless body, or announces a huge one, fails the call with
//! an error naming the limit, for token and endpoint requests alike.
//!
//! The server is hand-rolled on loopback so that it can stream a chunked
//! body forever and count what it managed to send.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use common::{CLIENT_CREDENTIALS_ORDERS, connect_to, expect_err, fast};
use patchbay_runtime::{Call, Error, Options};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server answers at a path.
#[derive(Clone)]
enum Body {
    /// A complete body with its `Content-Length`.
    Exact(Vec<u8>),
    /// Chunks of zeros, without end (until `SAFETY_STOP`).
    Endless,
    /// A `Content-Length` of a petabyte, and no body.
    HugeLength,
}

/// Where an endless body stops if the client never does, so that a
/// runtime without a limit fails this suite instead of the machine: far
/// past every limit the tests set.
const SAFETY_STOP: u64 = 256 * 1024 * 1024;

/// A loopback HTTP/1.1 server answering each path with a `Body`, and the
/// body bytes it has written so far.
struct Server {
    base: String,
    sent: Arc<AtomicU64>,
}

async fn serve(routes: Vec<(&'static str, Body)>) -> Server {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    tokio::spawn(async move {
        loop {
            let (stream, _) = listener.accept().await.unwrap();
            let routes = routes.clone();
            let counter = counter.clone();
            tokio::spawn(async move {
                let _ = answer(stream, &routes, &counter).await;
            });
        }
    });
    Server { base, sent }
}

async fn answer(
    mut stream: TcpStream,
    routes: &[(&str, Body)],
    sent: &AtomicU64,
) -> std::io::Result<()> {
    let mut head = Vec::new();
    let mut byte = [0; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if stream.read(&mut byte).await? == 0 {
            return Ok(());
        }
        head.push(byte[0]);
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    // Read the request's body: a socket closed with unread input is reset,
    // and the reset can cut the response short.
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.eq_ignore_ascii_case("content-length")
                .then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = vec![0; length];
    stream.read_exact(&mut body).await?;
    let target = head.split_whitespace().nth(1).unwrap_or("/");
    let path = target.split('?').next().unwrap_or(target);
    let Some((_, body)) = routes.iter().find(|(p, _)| *p == path) else {
        stream
            .write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\n\r\n")
            .await?;
        return Ok(());
    };
    match body {
        Body::Exact(bytes) => {
            let head = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n",
                bytes.len()
            );
            stream.write_all(head.as_bytes()).await?;
            stream.write_all(bytes).await?;
            sent.fetch_add(bytes.len() as u64, Ordering::SeqCst);
        }
        Body::HugeLength => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000000000000000\r\n\r\n")
                .await?;
            // Never send it: a client that waits for it times out.
            tokio::time::sleep(Duration::from_secs(60)).await;
        }
        Body::Endless => {
            stream
                .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
                .await?;
            let chunk = [b' '; 64 * 1024];
            let size = format!("{:x}\r\n", chunk.len());
            while sent.load(Ordering::SeqCst) < SAFETY_STOP {
                stream.write_all(size.as_bytes()).await?;
                stream.write_all(&chunk).await?;
                stream.write_all(b"\r\n").await?;
                sent.fetch_add(chunk.len() as u64, Ordering::SeqCst);
            }
            stream.write_all(b"0\r\n\r\n").await?;
        }
    }
    stream.flush().await
}

/// `{"access_token": …}` padded with spaces to exactly `len` bytes.
fn token_body(len: usize) -> Vec<u8> {
    let mut body = br#"{"access_token":"at-1","token_type":"Bearer","expires_in":3600}"#.to_vec();
    assert!(body.len() <= len);
    body.resize(len, b' ');
    body
}

/// `{"data": [...]}` padded with spaces to exactly `len` bytes.
fn api_body(len: usize) -> Vec<u8> {
    let mut body = br#"{"data":[{"id":1}]}"#.to_vec();
    assert!(body.len() <= len);
    body.resize(len, b' ');
    body
}

fn client_credentials() -> serde_json::Value {
    json!({ "client_id": "id-1", "client_secret": "secret-1" })
}

/// The spec of `CLIENT_CREDENTIALS_ORDERS`, its endpoint's response
/// limited to `max_bytes` when given.
fn spec(max_bytes: Option<u64>) -> String {
    match max_bytes {
        Some(max) => format!("{CLIENT_CREDENTIALS_ORDERS}response = {{ max_bytes = {max} }}\n"),
        None => CLIENT_CREDENTIALS_ORDERS.to_owned(),
    }
}

/// Asserts a `ResponseTooLarge` error for `request`, with `limit`, whose
/// message says how to raise it with `setting`.
fn assert_too_large(error: &Error, request: &str, limit: u64, setting: &str) {
    match error {
        Error::ResponseTooLarge {
            request: r,
            limit: l,
            url,
            ..
        } => {
            assert!(r.contains(request), "{error}");
            assert_eq!(*l, limit, "{error}");
            assert!(url.starts_with("http://127.0.0.1:"), "{error}");
        }
        other => panic!("expected ResponseTooLarge, got {other:?}"),
    }
    let message = error.to_string();
    assert!(message.contains(&format!("{limit} bytes")), "{message}");
    assert!(message.contains(setting), "{message}");
}

#[tokio::test]
async fn an_endless_token_response_fails_at_the_auth_limit() {
    let server = serve(vec![("/token", Body::Endless)]).await;
    let connection = connect_to(&server.base, &spec(None), client_credentials(), fast());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_too_large(
        &error,
        "token",
        patchbay_runtime::DEFAULT_MAX_AUTH_RESPONSE_BYTES,
        "Options::max_auth_response_bytes",
    );
    // Reading stopped at the limit: the server got no further than what
    // the sockets buffer beyond it.
    let sent = server.sent.load(Ordering::SeqCst);
    assert!(sent < 64 * 1024 * 1024, "{sent} bytes were read");
}

#[tokio::test]
async fn a_huge_token_content_length_is_refused_before_reading() {
    let server = serve(vec![("/token", Body::HugeLength)]).await;
    let connection = connect_to(&server.base, &spec(None), client_credentials(), fast());
    let started = Instant::now();
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_too_large(
        &error,
        "token",
        patchbay_runtime::DEFAULT_MAX_AUTH_RESPONSE_BYTES,
        "Options::max_auth_response_bytes",
    );
    // Refused on the header, not after waiting for the body.
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn a_token_response_at_the_auth_limit_is_read() {
    let limit = 4096;
    let server = serve(vec![
        ("/token", Body::Exact(token_body(limit))),
        ("/orders", Body::Exact(api_body(100))),
    ])
    .await;
    let options = Options {
        max_auth_response_bytes: limit as u64,
        ..fast()
    };
    let connection = connect_to(&server.base, &spec(None), client_credentials(), options);
    let response = connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(response.json().unwrap()["data"][0]["id"], 1);

    // One byte more is refused.
    let server = serve(vec![("/token", Body::Exact(token_body(limit + 1)))]).await;
    let options = Options {
        max_auth_response_bytes: limit as u64,
        ..fast()
    };
    let connection = connect_to(&server.base, &spec(None), client_credentials(), options);
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_too_large(
        &error,
        "token",
        limit as u64,
        "Options::max_auth_response_bytes",
    );
}

#[tokio::test]
async fn an_endless_api_response_fails_at_the_specs_limit() {
    let server = serve(vec![
        ("/token", Body::Exact(token_body(100))),
        ("/orders", Body::Endless),
    ])
    .await;
    let limit = 256 * 1024;
    let connection = connect_to(
        &server.base,
        &spec(Some(limit)),
        client_credentials(),
        fast(),
    );
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_too_large(&error, "endpoint `orders`", limit, "`max_bytes`");
    let sent = server.sent.load(Ordering::SeqCst);
    assert!(sent < 64 * 1024 * 1024, "{sent} bytes were read");
}

#[tokio::test]
async fn an_endless_api_response_fails_at_the_default_limit() {
    let server = serve(vec![
        ("/token", Body::Exact(token_body(100))),
        ("/orders", Body::Endless),
    ])
    .await;
    let connection = connect_to(&server.base, &spec(None), client_credentials(), fast());
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_too_large(
        &error,
        "endpoint `orders`",
        patchbay_compiler::plan::DEFAULT_MAX_RESPONSE_BYTES,
        "`max_bytes`",
    );
    let sent = server.sent.load(Ordering::SeqCst);
    assert!(sent < 128 * 1024 * 1024, "{sent} bytes were read");
}

#[tokio::test]
async fn the_runtime_ceiling_caps_the_specs_limit() {
    let server = serve(vec![
        ("/token", Body::Exact(token_body(100))),
        ("/orders", Body::Endless),
    ])
    .await;
    let ceiling = 100_000;
    let options = Options {
        max_response_bytes: ceiling,
        ..fast()
    };
    let connection = connect_to(
        &server.base,
        &spec(Some(10_000_000)),
        client_credentials(),
        options,
    );
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_too_large(
        &error,
        "endpoint `orders`",
        ceiling,
        "Options::max_response_bytes",
    );
}

#[tokio::test]
async fn a_huge_api_content_length_is_refused_before_reading() {
    let server = serve(vec![
        ("/token", Body::Exact(token_body(100))),
        ("/orders", Body::HugeLength),
    ])
    .await;
    let connection = connect_to(&server.base, &spec(None), client_credentials(), fast());
    let started = Instant::now();
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_too_large(
        &error,
        "endpoint `orders`",
        patchbay_compiler::plan::DEFAULT_MAX_RESPONSE_BYTES,
        "`max_bytes`",
    );
    assert!(started.elapsed() < Duration::from_secs(3));
}

#[tokio::test]
async fn an_api_response_at_the_specs_limit_is_read() {
    let limit = 10_000;
    let server = serve(vec![
        ("/token", Body::Exact(token_body(100))),
        ("/orders", Body::Exact(api_body(limit))),
    ])
    .await;
    let connection = connect_to(
        &server.base,
        &spec(Some(limit as u64)),
        client_credentials(),
        fast(),
    );
    let response = connection.call("orders", &Call::default()).await.unwrap();
    assert_eq!(response.body.len(), limit);

    let server = serve(vec![
        ("/token", Body::Exact(token_body(100))),
        ("/orders", Body::Exact(api_body(limit + 1))),
    ])
    .await;
    let connection = connect_to(
        &server.base,
        &spec(Some(limit as u64)),
        client_credentials(),
        fast(),
    );
    let error = expect_err(connection.call("orders", &Call::default()).await);
    assert_too_large(&error, "endpoint `orders`", limit as u64, "`max_bytes`");
}
