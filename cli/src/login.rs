//! `patchbay auth login`, `auth status` and `auth logout`.

use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime};

use anyhow::Context;
use patchbay_runtime::Logout;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::run::{block_on, connect, fail};

/// How long `auth login` waits for the callback.
const WAIT: Duration = Duration::from_secs(10 * 60);

pub(crate) fn login(
    spec: &Path,
    instance: &Path,
    port: Option<u16>,
    no_browser: bool,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let connection = connect(spec, instance)?;
    block_on(async {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port.unwrap_or(0)))
            .await
            .context("cannot listen on 127.0.0.1 for the callback (is the port free?)")?;
        let port = listener.local_addr()?.port();
        let redirect_uri = format!("http://127.0.0.1:{port}/callback");
        let (url, pending) = match connection.start_login(&redirect_uri) {
            Ok(started) => started,
            Err(error) => return Ok(fail(&connection, error).await),
        };
        let _ = writeln!(
            std::io::stderr(),
            "Open this URL to log in; waiting for the callback on {redirect_uri}:"
        );
        writeln!(stdout, "{url}")?;
        stdout.flush()?;
        if !no_browser {
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
            Ok(Ok(Err(error))) => Ok(fail(&connection, error).await),
            Ok(Ok(Ok(token))) => {
                let info = token.info();
                let _ = writeln!(
                    std::io::stderr(),
                    "Logged in; tokens stored{}.",
                    info.expires_in
                        .map(|s| format!(", access token valid for {s}s"))
                        .unwrap_or_default()
                );
                Ok(ExitCode::SUCCESS)
            }
        }
    })?
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

pub(crate) fn status(
    spec: &Path,
    instance: &Path,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let connection = connect(spec, instance)?;
    if !connection.has_login() {
        writeln!(
            stdout,
            "this auth method has no login: its tokens (if any) are requested on each run and not stored"
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(token) = connection.stored_token()? else {
        writeln!(
            stdout,
            "not logged in: no tokens are stored for this instance"
        )?;
        return Ok(ExitCode::FAILURE);
    };
    writeln!(stdout, "logged in")?;
    match token
        .expires_at
        .map(|at| at.duration_since(SystemTime::now()))
    {
        Some(Ok(left)) => writeln!(stdout, "access token: valid for {}s", left.as_secs())?,
        Some(Err(_)) => writeln!(stdout, "access token: expired (renewed on next use)")?,
        None => writeln!(stdout, "access token: no expiry stated")?,
    }
    writeln!(
        stdout,
        "refresh token: {}",
        if token.refresh_token.is_some() {
            "yes"
        } else {
            "no"
        }
    )?;
    writeln!(
        stdout,
        "scope: {}",
        token.scope.as_deref().unwrap_or("(not stated)")
    )?;
    if !token.captures.is_empty() {
        let names: Vec<&str> = token.captures.keys().map(String::as_str).collect();
        writeln!(stdout, "captured: {}", names.join(", "))?;
    }
    Ok(ExitCode::SUCCESS)
}

pub(crate) fn logout(
    spec: &Path,
    instance: &Path,
    stdout: &mut impl Write,
) -> anyhow::Result<ExitCode> {
    let connection = connect(spec, instance)?;
    block_on(async {
        match connection.logout().await {
            Ok(Logout::Revoked) => writeln!(stdout, "revoked the tokens and forgot them")?,
            Ok(Logout::NoRevokeUrl) => {
                writeln!(stdout, "forgot the tokens (the method has no revoke_url)")?
            }
            Ok(Logout::NothingStored) => writeln!(
                stdout,
                "nothing to do: no tokens are stored for this instance"
            )?,
            Err(error) => return Ok(fail(&connection, error).await),
        }
        Ok(ExitCode::SUCCESS)
    })?
}
