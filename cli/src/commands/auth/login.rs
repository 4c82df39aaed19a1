//! `patchbay auth login`: the authorization-code flow, with a listener on
//! 127.0.0.1 that receives the browser's callback; with `--device`, the
//! device authorization grant (RFC 8628) for a machine without a browser.

use std::io::Write;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use super::InstanceArgs;
use crate::connect::block_on;
use crate::exit::runtime_failure;

/// How long `auth login` waits for the callback.
const WAIT: Duration = Duration::from_secs(10 * 60);

/// The arguments of `patchbay auth login`.
#[derive(Debug, clap::Args)]
pub(crate) struct LoginArgs {
    #[command(flatten)]
    target: InstanceArgs,
    /// Port of the callback listener on 127.0.0.1 (default: a free one).
    #[arg(long, value_name = "N")]
    port: Option<u16>,
    /// Print the URL only; do not open a browser.
    #[arg(long)]
    no_browser: bool,
    /// Log in on another device (RFC 8628): print a URL and a code to
    /// enter there, and wait for the approval. For a machine without a
    /// browser; the method needs a `device_authorization_url`.
    #[arg(long, conflicts_with_all = ["port", "no_browser"])]
    device: bool,
}

pub(crate) fn run(args: &LoginArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let connection = args.target.connect()?;
    if args.device {
        return device_login(&connection, stdout);
    }
    block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", args.port.unwrap_or(0)))
            .await
            .context("cannot listen on 127.0.0.1 for the callback (is the port free?)")?;
        let port = listener.local_addr()?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let (url, pending) = match connection.start_login(&redirect_uri) {
            Ok(started) => started,
            Err(error) => return Ok(runtime_failure(&connection, error)),
        };
        let _ = writeln!(
            std::io::stderr(),
            "Open this URL to log in; waiting for the callback on {redirect_uri}:"
        );
        writeln!(stdout, "{url}")?;
        stdout.flush()?;
        if !args.no_browser {
            open_browser(url.as_str());
        }
        let outcome = tokio::time::timeout(WAIT, async {
            loop {
                let (mut socket, _) = listener.accept().await?;
                let Some(target) = read_target(&mut socket).await else { continue };
                let Some(query) = target.strip_prefix("/callback") else {
                    let _ = socket.write_all(b"HTTP/1.1 404 Not Found\r\ncontent-length: 0\r\nconnection: close\r\n\r\n").await;
                    continue;
                };
                let result = connection.complete_login(pending.clone(), query.trim_start_matches('?')).await;
                // A stray request with another state (a stale tab, a forged
                // link) is refused, and the login goes on waiting.
                if let Err(patchbay_runtime::Error::Callback(reason)) = &result
                    && reason.contains("does not match")
                {
                    let _ = socket
                        .write_all(b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nconnection: close\r\n\r\n")
                        .await;
                    let _ = writeln!(std::io::stderr(), "ignored a callback that belongs to another login attempt");
                    continue;
                }
                let (status, message) = match &result {
                    Ok(_) => ("200 OK", "Logged in. You can close this tab and return to the terminal.".to_owned()),
                    Err(error) => (
                        "400 Bad Request",
                        format!("Login failed: {}", connection.redactor().redact(&error.to_string())),
                    ),
                };
                let page = format!(
                    "<!doctype html><meta charset=utf-8><title>patchbay</title><p style=\"font:16px sans-serif;margin:3em\">{}</p>",
                    escape_html(&message)
                );
                let _ = socket
                    .write_all(format!("HTTP/1.1 {status}\r\ncontent-type: text/html; charset=utf-8\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{page}", page.len()).as_bytes())
                    .await;
                return Ok::<_, std::io::Error>(result);
            }
        })
        .await;
        match outcome {
            Err(_) => anyhow::bail!(
                "no callback within {} minutes; run `patchbay auth login` again",
                WAIT.as_secs() / 60
            ),
            Ok(Err(io)) => Err(io.into()),
            Ok(Ok(Err(error))) => Ok(runtime_failure(&connection, error)),
            Ok(Ok(Ok(token))) => {
                logged_in(&token);
                Ok(ExitCode::SUCCESS)
            }
        }
    })?
}

/// The device login: the verification URI and user code on stdout (what
/// the user needs, and what a script may pass on), progress on stderr,
/// then the polls until the user approves.
fn device_login(
    connection: &patchbay_runtime::Connection,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    block_on(async {
        let device = match connection.start_device_login().await {
            Ok(device) => device,
            Err(error) => return Ok(runtime_failure(connection, error)),
        };
        let mut stderr = std::io::stderr();
        for note in &device.notes {
            let _ = writeln!(stderr, "{note}");
        }
        writeln!(
            stdout,
            "Open {} and enter the code: {}",
            device.verification_uri, device.user_code
        )?;
        if let Some(complete) = &device.verification_uri_complete {
            writeln!(stdout, "Or open {complete} (it carries the code).")?;
        }
        stdout.flush()?;
        let lifetime = device.expires_in.as_secs();
        let lifetime = if lifetime >= 60 && lifetime % 60 == 0 {
            format!("{} minutes", lifetime / 60)
        } else {
            format!("{lifetime} s")
        };
        let _ = writeln!(
            stderr,
            "Waiting for the approval (the code expires in {lifetime}; polling every {} s)...",
            device.interval.as_secs()
        );
        match connection.complete_device_login(&device).await {
            Ok(token) => {
                logged_in(&token);
                Ok(ExitCode::SUCCESS)
            }
            Err(error) => Ok(runtime_failure(connection, error)),
        }
    })?
}

fn logged_in(token: &patchbay_runtime::Token) {
    let info = token.info();
    let _ = writeln!(
        std::io::stderr(),
        "Logged in; tokens stored{}.",
        info.expires_in
            .map(|s| format!(", access token valid for {s}s"))
            .unwrap_or_default()
    );
}

/// The request target of an HTTP/1 request head, or `None` for anything
/// that is not one.
async fn read_target(socket: &mut tokio::net::TcpStream) -> Option<String> {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        let read = socket.read(&mut buffer).await.ok()?;
        if read == 0 || head.len() > 16 * 1024 {
            return None;
        }
        head.extend_from_slice(&buffer[..read]);
    }
    let line = String::from_utf8_lossy(&head).lines().next()?.to_owned();
    let mut parts = line.split(' ');
    (parts.next()? == "GET").then_some(())?;
    parts.next().map(str::to_owned)
}

fn escape_html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Opens a URL in the user's browser; failing quietly (the URL is printed).
fn open_browser(url: &str) {
    let command = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    let _ = std::process::Command::new(command.0)
        .args(command.1)
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn();
}
