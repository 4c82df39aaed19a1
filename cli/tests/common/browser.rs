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
    let mut next = authorize_url.to_owned();
    let mut submitted_login = false;
    for _ in 0..12 {
        let (status, headers, _) = if next.contains("/interaction/") {
            let form = if submitted_login {
                "prompt=consent"
            } else {
                "prompt=login&login=alice"
            };
            submitted_login = true;
            http("POST", &next, &cookies, Some(form))
        } else {
            http("GET", &next, &cookies, None)
        };
        for (name, value) in &headers {
            if name == "set-cookie" {
                let pair = value.split(';').next().unwrap();
                let (k, v) = pair.split_once('=').unwrap();
                cookies.insert(k.to_owned(), v.to_owned());
            }
        }
        if next.contains("/callback?") {
            assert_eq!(status, 200, "the CLI's callback page");
            return;
        }
        let location = headers
            .iter()
            .find(|(k, _)| k == "location")
            .unwrap_or_else(|| panic!("no redirect from {next} (status {status})"))
            .1
            .clone();
        next = url::Url::parse(&next)
            .unwrap()
            .join(&location)
            .unwrap()
            .to_string();
    }
    panic!("the login did not reach the callback");
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
