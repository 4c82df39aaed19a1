//! A device login (RFC 8628) at the loopback OAuth test server, the user's
//! side driven over HTTP: open the verification URI, submit the user code,
//! confirm (or abort), log in and consent; and `patchbay auth login
//! --device` started beside it.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::thread::JoinHandle;

use crate::browser::{http, keep_cookies, location, pass_interactions};

/// What the user does at the verification page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Answer {
    /// Confirm the code, log in as `alice` and consent.
    Approve,
    /// Press the page's abort button.
    Deny,
}

/// The value of the hidden input `name` in an HTML form.
fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no `{name}` input in:\n{html}"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_owned()
}

/// The `action` of the first form in an HTML page.
fn action(html: &str) -> String {
    let start = html.find("action=\"").expect("a form") + "action=\"".len();
    html[start..].split('"').next().unwrap().to_owned()
}

fn form(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

/// Answers a device login on "another device": opens the complete
/// verification URI (which carries the user code), confirms the code or
/// aborts, then logs in and consents until the server says it succeeded.
pub(crate) fn answer_on_another_device(verification_uri_complete: &str, answer: Answer) {
    let mut cookies = BTreeMap::new();
    // The page carrying the code posts it back with a fresh xsrf token.
    let (status, headers, page) = http("GET", verification_uri_complete, &cookies, None);
    assert_eq!(status, 200, "{page}");
    keep_cookies(&mut cookies, &headers);
    let target = action(&page);
    let user_code = hidden(&page, "user_code");
    let (status, headers, confirm) = http(
        "POST",
        &target,
        &cookies,
        Some(&form(&[
            ("xsrf", &hidden(&page, "xsrf")),
            ("user_code", &user_code),
        ])),
    );
    assert_eq!(status, 200, "{confirm}");
    assert!(confirm.contains("Confirm Device"), "{confirm}");
    keep_cookies(&mut cookies, &headers);
    let xsrf = hidden(&confirm, "xsrf");
    let choice = match answer {
        Answer::Approve => ("confirm", "yes"),
        Answer::Deny => ("abort", "yes"),
    };
    let (status, headers, body) = http(
        "POST",
        &target,
        &cookies,
        Some(&form(&[("xsrf", &xsrf), ("user_code", &user_code), choice])),
    );
    keep_cookies(&mut cookies, &headers);
    if answer == Answer::Deny {
        assert!(body.contains("interrupted"), "HTTP {status}: {body}");
        return;
    }
    let next = location(&target, &headers, status);
    pass_interactions(
        &next,
        &mut cookies,
        "the device login did not reach the success page",
        |_, status, body| {
            let arrived = status == 200;
            if arrived {
                assert!(body.contains("Sign-in Success"), "{body}");
            }
            arrived
        },
    );
}

/// What `patchbay auth login --device` printed for the user.
pub(crate) struct DeviceLoginStarted {
    child: Child,
    stdout: BufReader<ChildStdout>,
    /// Its stderr, read as it comes (trace logs must not fill the pipe).
    stderr: JoinHandle<String>,
    /// Its stdout up to the verification URIs.
    pub(crate) shown: String,
    /// The user code.
    pub(crate) user_code: String,
    /// The verification URI that carries the code.
    pub(crate) verification_uri_complete: String,
}

/// Starts `patchbay auth login SPEC --instance INSTANCE --device` with
/// `PATCHBAY_HOME=home` and `envs`, and reads what it shows the user.
pub(crate) fn start_device_login(
    spec: &str,
    instance: &str,
    home: &Path,
    envs: &[(&str, &str)],
) -> DeviceLoginStarted {
    let mut child = Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(["auth", "login", spec, "--instance", instance, "--device"])
        .current_dir(crate::common::workspace())
        .env("PATCHBAY_HOME", home)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut shown = String::new();
    for _ in 0..2 {
        stdout.read_line(&mut shown).unwrap();
    }
    let first = shown.lines().next().unwrap_or_default();
    let user_code = first
        .rsplit_once("enter the code: ")
        .unwrap_or_else(|| panic!("no user code shown: {shown}"))
        .1
        .to_owned();
    let verification_uri_complete = shown
        .lines()
        .nth(1)
        .and_then(|line| line.strip_prefix("Or open "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no complete verification URI shown: {shown}"))
        .to_owned();
    DeviceLoginStarted {
        child,
        stdout,
        stderr,
        shown,
        user_code,
        verification_uri_complete,
    }
}

/// How a device login ended.
pub(crate) struct DeviceLoginEnded {
    /// Whether it exited with success.
    pub(crate) success: bool,
    /// Everything it wrote to stdout.
    pub(crate) stdout: String,
    /// Everything it wrote to stderr.
    pub(crate) stderr: String,
}

impl DeviceLoginStarted {
    /// Waits for the process to end.
    pub(crate) fn finish(mut self) -> DeviceLoginEnded {
        let mut stdout = self.shown;
        self.stdout.read_to_string(&mut stdout).unwrap();
        let success = self.child.wait().unwrap().success();
        DeviceLoginEnded {
            success,
            stdout,
            stderr: self.stderr.join().unwrap(),
        }
    }
}
