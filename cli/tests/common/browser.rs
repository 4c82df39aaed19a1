//! An authorization-code login at the loopback OAuth test server without a
//! browser: follow the authorize redirect, submit the provider's login and
//! consent forms over HTTP, and deliver the callback to the CLI's listener.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};

/// One HTTP/1.1 exchange over a fresh connection: status, headers, body.
pub(crate) fn http(
    method: &str,
    url: &str,
    cookies: &BTreeMap<String, String>,
    form: Option<&str>,
) -> (u16, Vec<(String, String)>, String) {
    let url = url::Url::parse(url).unwrap();
    let mut stream = TcpStream::connect((url.host_str().unwrap(), url.port().unwrap())).unwrap();
    let target = match url.query() {
        Some(query) => format!("{}?{query}", url.path()),
        None => url.path().to_owned(),
    };
    let cookie = cookies
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("; ");
    let body = form.unwrap_or("");
    let mut request = format!(
        "{method} {target} HTTP/1.1\r\nhost: {}\r\nconnection: close\r\ncookie: {cookie}\r\ncontent-length: {}\r\n",
        url.authority(),
        body.len()
    );
    if form.is_some() {
        request.push_str("content-type: application/x-www-form-urlencoded\r\n");
    }
    request.push_str("\r\n");
    request.push_str(body);
    stream.write_all(request.as_bytes()).unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_ascii_lowercase(), v.to_owned()))
        .collect();
    (status, headers, body.to_owned())
}

/// Follows the login from the authorize URL to the callback, submitting
/// the provider's login and consent forms.
pub(crate) fn log_in_without_browser(authorize_url: &str) {
    let mut cookies = BTreeMap::new();
    pass_interactions(
        authorize_url,
        &mut cookies,
        "the login did not reach the callback",
        |url, status, _| {
            let arrived = url.contains("/callback?");
            if arrived {
                assert_eq!(status, 200, "the CLI's callback page");
            }
            arrived
        },
    );
}

/// Walks oidc-provider's pages from `start`, following redirects and
/// posting the login (as `alice`) on the first interaction page and the
/// consent on the next, keeping `cookies`, until `arrived` (given each
/// URL requested, its status and body) says the walk is over; panics with
/// `unfinished` after 12 steps.
pub(crate) fn pass_interactions(
    start: &str,
    cookies: &mut BTreeMap<String, String>,
    unfinished: &str,
    arrived: impl Fn(&str, u16, &str) -> bool,
) {
    let mut next = start.to_owned();
    let mut submitted_login = false;
    for _ in 0..12 {
        let (status, headers, body) = if next.contains("/interaction/") {
            let form = if submitted_login {
                "prompt=consent"
            } else {
                "prompt=login&login=alice"
            };
            submitted_login = true;
            http("POST", &next, cookies, Some(form))
        } else {
            http("GET", &next, cookies, None)
        };
        keep_cookies(cookies, &headers);
        if arrived(&next, status, &body) {
            return;
        }
        next = location(&next, &headers, status);
    }
    panic!("{unfinished}");
}

/// Keeps the cookies a response sets, by name.
pub(crate) fn keep_cookies(cookies: &mut BTreeMap<String, String>, headers: &[(String, String)]) {
    for (name, value) in headers {
        if name == "set-cookie" {
            let pair = value.split(';').next().unwrap();
            let (k, v) = pair.split_once('=').unwrap();
            cookies.insert(k.to_owned(), v.to_owned());
        }
    }
}

/// Where a redirect from `from` goes, resolved against it.
pub(crate) fn location(from: &str, headers: &[(String, String)], status: u16) -> String {
    let location = headers
        .iter()
        .find(|(k, _)| k == "location")
        .unwrap_or_else(|| panic!("no redirect from {from} (status {status})"))
        .1
        .clone();
    url::Url::parse(from)
        .unwrap()
        .join(&location)
        .unwrap()
        .to_string()
}

/// Starts `patchbay auth login SPEC --instance INSTANCE --no-browser` with
/// `PATCHBAY_HOME=home` and `envs`, and returns the process (stderr piped)
/// and the authorization URL it printed on its first line.
pub(crate) fn start_login(
    spec: &str,
    instance: &str,
    home: &Path,
    envs: &[(&str, &str)],
) -> (Child, String) {
    let mut login = Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args([
            "auth",
            "login",
            spec,
            "--instance",
            instance,
            "--no-browser",
        ])
        .current_dir(super::common::workspace())
        .env("PATCHBAY_HOME", home)
        .envs(envs.iter().copied())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut url = String::new();
    BufReader::new(login.stdout.take().unwrap())
        .read_line(&mut url)
        .unwrap();
    (login, url.trim().to_owned())
}
