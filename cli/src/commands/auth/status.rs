//! `patchbay auth status`: what the token store holds for an instance,
//! never the tokens themselves.

use std::io::Write;
use std::process::ExitCode;
use std::time::SystemTime;

use super::InstanceArgs;
use crate::connect::block_on;

pub(crate) fn run(args: &InstanceArgs, stdout: &mut impl Write) -> anyhow::Result<ExitCode> {
    let connection = args.connect()?;
    if !connection.has_login() {
        writeln!(
            stdout,
            "this auth method has no login: its tokens (if any) are requested on each run and not stored"
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let Some(token) = block_on(connection.stored_token())?? else {
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
    if connection.discovers() {
        // Discovered values are ids an API handed out (a cloud or tenant
        // id), shown so that the user sees which account was chosen; they
        // still pass through the redactor like every text written.
        let redactor = connection.redactor();
        if token.discovered.is_empty() {
            writeln!(
                stdout,
                "discovered: not yet (the discovery runs again on the next call)"
            )?;
        }
        for (name, value) in &token.discovered {
            let value = match value {
                serde_json::Value::String(text) => text.clone(),
                other => other.to_string(),
            };
            writeln!(stdout, "discovered: {name} = {}", redactor.redact(&value))?;
        }
        if !token.candidates.is_empty() {
            writeln!(
                stdout,
                "chosen among: {}",
                redactor.redact(&token.candidates.join("; "))
            )?;
        }
    }
    Ok(ExitCode::SUCCESS)
}
