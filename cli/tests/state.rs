//! `patchbay run --all-pages --state FILE`: the checkpoint of an
//! incremental endpoint kept between runs, against a scripted loopback
//! server.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::{Value, json};

/// A loopback server answering each request target (`/items?since=3`)
/// with its scripted status and JSON body (404 for any other), recording
/// the targets asked for.
struct Server {
    base: String,
    targets: Arc<Mutex<Vec<String>>>,
}

impl Server {
    fn start(script: &[(&str, u16, Value)]) -> Server {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let base = format!("http://{}", listener.local_addr().unwrap());
        let script: Vec<(String, u16, String)> = script
            .iter()
            .map(|(target, status, body)| ((*target).to_owned(), *status, body.to_string()))
            .collect();
        let targets = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&targets);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut request_line = String::new();
                reader.read_line(&mut request_line).unwrap();
                // The headers end at an empty line; the requests have no body.
                let mut line = String::new();
                while reader.read_line(&mut line).unwrap() > 2 {
                    line.clear();
                }
                let target = request_line
                    .split(' ')
                    .nth(1)
                    .unwrap_or_default()
                    .to_owned();
                seen.lock().unwrap().push(target.clone());
                let (status, body) = script
                    .iter()
                    .find(|(t, _, _)| *t == target)
                    .map_or((404, "{}".to_owned()), |(_, s, b)| (*s, b.clone()));
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        Server { base, targets }
    }

    fn targets(&self) -> Vec<String> {
        self.targets.lock().unwrap().clone()
    }
}

const SPEC: &str = r#"format = 1

[connector]
id = "feed"
name = "Feed"
version = "1.0.0"

[variables.base]
type = "url"
required = true

[auth.key]
type = "bearer"

[endpoints.items]
url = "{{ base }}/items"
query = { since = "{{ checkpoint }}" }
response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/next" }
incremental = { type = "max", field = "/seq", field_type = "integer" }

[endpoints.events]
url = "{{ base }}/events"
query = { since = "{{ checkpoint }}" }
response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/next" }
incremental = { type = "last_value", path = "/position" }

[endpoints.capped]
url = "{{ base }}/capped"
query = { since = "{{ checkpoint }}" }
response = { records = "/data" }
pagination = { type = "cursor", param = "cursor", path = "/next", max_pages = 1 }
incremental = { type = "max", field = "/seq", field_type = "integer" }

[endpoints.plain]
url = "{{ base }}/plain"
response = { records = "/data" }
pagination = { type = "none" }
"#;

/// A fresh folder with the spec and an instance for `server`.
fn setup(name: &str, server: &Server) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("patchbay-state-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("feed.toml"), SPEC).unwrap();
    std::fs::write(
        dir.join("i.toml"),
        format!(
            "connector = \"feed\"\nauth = \"key\"\n[values]\nbase = \"{}\"\ntoken = {{ env = \"FEED_TOKEN\" }}\n",
            server.base
        ),
    )
    .unwrap();
    dir
}

fn patchbay(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(["run", "feed.toml", "--instance", "i.toml"])
        .args(args)
        .current_dir(dir)
        .env("FEED_TOKEN", "tok-1")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn records(output: &Output) -> Vec<Value> {
    String::from_utf8(output.stdout.clone())
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

/// A state file of `format` 2 holding one `items` entry of the instance
/// `i.toml` in `dir`.
fn items_state(dir: &Path, value: Value, source: &str) -> String {
    json!({
        "format": 2,
        "connector": "feed",
        "checkpoints": { "items": {
            "instance": instance_path(dir),
            "auth": "key",
            "value": value,
            "source": source,
            "saved_at": "2026-01-01T00:00:00Z",
        } },
    })
    .to_string()
}

/// How the state file names the instance `i.toml` in `dir`.
fn instance_path(dir: &Path) -> String {
    std::fs::canonicalize(dir.join("i.toml"))
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

fn state(dir: &Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("state.json")).unwrap()).unwrap()
}

/// Files of the folder other than the spec, the instance and `keep`.
fn leftovers(dir: &Path, keep: &[&str]) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !["feed.toml", "i.toml"].contains(&n.as_str()) && !keep.contains(&n.as_str()))
        .collect()
}

const ITEMS: &[&str] = &[
    "--endpoint",
    "items",
    "--all-pages",
    "--state",
    "state.json",
];

#[test]
fn a_first_run_writes_the_file_and_the_next_sends_and_updates_the_checkpoint() {
    let server = Server::start(&[
        (
            "/items",
            200,
            json!({ "data": [{ "seq": 3 }, { "seq": 1 }], "next": "b" }),
        ),
        ("/items?cursor=b", 200, json!({ "data": [{ "seq": 2 }] })),
        (
            "/items?since=3",
            200,
            json!({ "data": [{ "seq": 3 }, { "seq": 5 }] }),
        ),
    ]);
    let dir = setup("runs", &server);
    let first = patchbay(&dir, ITEMS);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert_eq!(records(&first).len(), 3);
    let saved = state(&dir);
    assert_eq!(saved["format"], 2);
    assert_eq!(saved["connector"], "feed");
    assert_eq!(
        saved["checkpoints"]["items"]["instance"],
        instance_path(&dir)
    );
    assert_eq!(saved["checkpoints"]["items"]["auth"], "key");
    assert!(
        !std::fs::read_to_string(dir.join("state.json"))
            .unwrap()
            .contains("tok-1"),
        "no secret is stored"
    );
    assert_eq!(saved["checkpoints"]["items"]["value"], 3);
    assert_eq!(
        saved["checkpoints"]["items"]["source"],
        "max /seq (integer)"
    );
    let saved_at = saved["checkpoints"]["items"]["saved_at"].as_str().unwrap();
    assert!(
        patchbay_schema::value::parse_timestamp(saved_at).is_ok(),
        "{saved_at}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dir.join("state.json"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    // Another endpoint's entry, saved meanwhile, is kept.
    let mut with_other = saved.clone();
    with_other["checkpoints"]["events"] = json!({ "instance": instance_path(&dir), "auth": "key", "value": "p9", "source": "last_value /position", "saved_at": "2026-01-01T00:00:00Z" });
    std::fs::write(dir.join("state.json"), with_other.to_string()).unwrap();

    let second = patchbay(&dir, ITEMS);
    assert_eq!(second.status.code(), Some(0), "{}", stderr(&second));
    assert_eq!(records(&second), [json!({ "seq": 3 }), json!({ "seq": 5 })]);
    assert_eq!(
        server.targets(),
        ["/items", "/items?cursor=b", "/items?since=3"]
    );
    let saved = state(&dir);
    assert_eq!(saved["checkpoints"]["items"]["value"], 5);
    assert_eq!(saved["checkpoints"]["events"]["value"], "p9");
    assert_eq!(
        leftovers(&dir, &["state.json", "state.json.lock"]),
        Vec::<String>::new()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_failed_run_leaves_the_file_byte_identical() {
    let server = Server::start(&[
        (
            "/items?since=3",
            200,
            json!({ "data": [{ "seq": 4 }], "next": "2" }),
        ),
        (
            "/items?since=3&cursor=2",
            200,
            json!({ "data": [{ "seq": 6 }], "next": "3" }),
        ),
        ("/items?since=3&cursor=3", 400, json!({ "error": "bad" })),
    ]);
    let dir = setup("failure", &server);
    let before = items_state(&dir, json!(3), "max /seq (integer)");
    std::fs::write(dir.join("state.json"), &before).unwrap();
    let output = patchbay(&dir, ITEMS);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert!(stderr(&output).contains("HTTP 400"), "{}", stderr(&output));
    // The records read are printed: the next run reads them again.
    assert_eq!(records(&output).len(), 2);
    assert_eq!(
        std::fs::read_to_string(dir.join("state.json")).unwrap(),
        before
    );
    assert_eq!(leftovers(&dir, &["state.json"]), Vec::<String>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn state_needs_all_pages_and_an_incremental_endpoint() {
    let server = Server::start(&[]);
    let dir = setup("usage", &server);
    let without_all_pages = patchbay(&dir, &["--endpoint", "items", "--state", "state.json"]);
    assert_eq!(without_all_pages.status.code(), Some(2));
    assert!(
        stderr(&without_all_pages).contains("--state needs --all-pages"),
        "{}",
        stderr(&without_all_pages)
    );
    let not_incremental = patchbay(
        &dir,
        &[
            "--endpoint",
            "plain",
            "--all-pages",
            "--state",
            "state.json",
        ],
    );
    assert_eq!(not_incremental.status.code(), Some(2));
    let message = stderr(&not_incremental);
    assert!(
        message.contains("endpoint `plain` keeps no checkpoint") && message.contains("incremental"),
        "{message}"
    );
    assert!(server.targets().is_empty(), "nothing is sent");
    assert_eq!(leftovers(&dir, &[]), Vec::<String>::new());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_file_of_another_connector_or_spec_is_refused_and_left_alone() {
    let server = Server::start(&[("/items", 200, json!({ "data": [] }))]);
    let dir = setup("mismatch", &server);
    let other_connector = r#"{"format":2,"connector":"zendesk","checkpoints":{}}"#;
    std::fs::write(dir.join("state.json"), other_connector).unwrap();
    let output = patchbay(&dir, ITEMS);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("connector `zendesk`, not `feed`"),
        "{message}"
    );

    let other_source = items_state(
        &dir,
        json!("2026-01-01T00:00:00Z"),
        "max /updated_at (timestamp)",
    );
    std::fs::write(dir.join("state.json"), &other_source).unwrap();
    let output = patchbay(&dir, ITEMS);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("`max /updated_at (timestamp)`"),
        "{message}"
    );
    assert!(message.contains("delete the entry `items`"), "{message}");
    assert_eq!(
        std::fs::read_to_string(dir.join("state.json")).unwrap(),
        other_source
    );

    std::fs::write(dir.join("state.json"), "not json").unwrap();
    let output = patchbay(&dir, ITEMS);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("is not a patchbay state file"),
        "{}",
        stderr(&output)
    );
    assert!(server.targets().is_empty(), "nothing is sent");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_dry_run_shows_the_stored_checkpoint_and_writes_nothing() {
    let server = Server::start(&[]);
    let dir = setup("dry-run", &server);
    let dry_run = ["--endpoint", "items", "--dry-run", "--state", "state.json"];
    let first = patchbay(&dir, &dry_run);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    assert!(!String::from_utf8_lossy(&first.stdout).contains("since="));
    assert_eq!(
        leftovers(&dir, &[]),
        Vec::<String>::new(),
        "no file is made"
    );

    let stored = items_state(&dir, json!(41), "max /seq (integer)");
    std::fs::write(dir.join("state.json"), &stored).unwrap();
    let output = patchbay(&dir, &dry_run);
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("/items?since=41"));
    assert_eq!(
        std::fs::read_to_string(dir.join("state.json")).unwrap(),
        stored
    );
    assert!(server.targets().is_empty(), "nothing is sent");
    std::fs::remove_dir_all(dir).unwrap();
}

#[cfg(unix)]
#[test]
fn a_state_file_that_is_a_symbolic_link_is_refused() {
    let server = Server::start(&[("/items", 200, json!({ "data": [{ "seq": 1 }] }))]);
    let dir = setup("symlink", &server);
    let elsewhere = dir.join("elsewhere.json");
    std::fs::write(&elsewhere, "{}").unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("state.json")).unwrap();
    let output = patchbay(&dir, ITEMS);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("state.json is a symbolic link")
            && message.contains("point --state at the real file"),
        "{message}"
    );
    assert!(!message.contains("Too many levels"), "{message}");
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "{}");
    assert!(server.targets().is_empty(), "nothing is sent");

    // The lock file, taken only to save a checkpoint.
    std::fs::remove_file(dir.join("state.json")).unwrap();
    std::os::unix::fs::symlink(&elsewhere, dir.join("state.json.lock")).unwrap();
    let output = patchbay(&dir, ITEMS);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("state.json.lock is a symbolic link"),
        "{message}"
    );
    assert_eq!(std::fs::read_to_string(&elsewhere).unwrap(), "{}");
    assert_eq!(
        leftovers(&dir, &["elsewhere.json", "state.json.lock"]),
        Vec::<String>::new()
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn another_instance_of_the_connector_is_refused_and_the_file_left_alone() {
    let server = Server::start(&[("/items", 200, json!({ "data": [{ "seq": 9 }] }))]);
    let dir = setup("instances", &server);
    let first = patchbay(&dir, ITEMS);
    assert_eq!(first.status.code(), Some(0), "{}", stderr(&first));
    let written = std::fs::read_to_string(dir.join("state.json")).unwrap();

    // Account B: same connector and method, another instance file.
    std::fs::copy(dir.join("i.toml"), dir.join("b.toml")).unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(["run", "feed.toml", "--instance", "b.toml"])
        .args(ITEMS)
        .current_dir(&dir)
        .env("FEED_TOKEN", "tok-1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains(&format!("instance {}", instance_path(&dir)))
            && message.contains("b.toml")
            && message.contains("its own --state FILE")
            && message.contains("delete the entry `items`"),
        "{message}"
    );
    assert_eq!(server.targets(), ["/items"], "B sends nothing");
    assert_eq!(
        std::fs::read_to_string(dir.join("state.json")).unwrap(),
        written
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn files_of_other_formats_are_refused_by_what_wrote_them() {
    let server = Server::start(&[]);
    let dir = setup("formats", &server);
    let earlier = r#"{"format":1,"connector":"feed","checkpoints":{"items":{"value":3,"source":"max /seq (integer)","saved_at":"2026-01-01T00:00:00Z"}}}"#;
    std::fs::write(dir.join("state.json"), earlier).unwrap();
    let output = patchbay(&dir, ITEMS);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("written by an earlier patchbay") && message.contains("instance"),
        "{message}"
    );

    // A newer layout may have fields this one does not know.
    let newer = r#"{"format":3,"connector":"feed","owner":"x","checkpoints":{}}"#;
    std::fs::write(dir.join("state.json"), newer).unwrap();
    let output = patchbay(&dir, ITEMS);
    assert_eq!(output.status.code(), Some(2));
    let message = stderr(&output);
    assert!(
        message.contains("written by a newer patchbay (format 3"),
        "{message}"
    );
    assert!(!message.contains("not a patchbay state file"), "{message}");
    assert_eq!(
        std::fs::read_to_string(dir.join("state.json")).unwrap(),
        newer
    );
    assert!(server.targets().is_empty(), "nothing is sent");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_unreadable_file_is_reported_by_place_never_by_content() {
    let server = Server::start(&[]);
    let dir = setup("content", &server);
    for secrets in [
        r#"{"format":2,"connector":"feed","checkpoints":"hunter2-secret"}"#,
        r#"{"format":"hunter2-secret"}"#,
        r#"{"format":2,"connector":"feed","checkpoints":"x, expected hunter2"}"#,
        "{\"client_secret\": \"hunter2-secret\"}",
        r#"{"format":2,"connector":"feed","checkpoints":{"items":{"instance":"x","auth":"key","value":1,"source":"s","saved_at":["hunter2-secret"]}}}"#,
    ] {
        std::fs::write(dir.join("state.json"), secrets).unwrap();
        let output = patchbay(&dir, ITEMS);
        assert_eq!(output.status.code(), Some(2));
        let message = stderr(&output);
        assert!(!message.contains("hunter2"), "{message}");
        assert!(
            message.contains("is not a patchbay state file"),
            "{message}"
        );
    }
    std::fs::write(
        dir.join("state.json"),
        "{\"format\": 2,\n \"connector\": \"feed\",\n \"checkpoints\": \"hunter2-secret\"}",
    )
    .unwrap();
    let message = stderr(&patchbay(&dir, ITEMS));
    assert!(
        message.contains("line 3, column") && message.contains("expected a map"),
        "{message}"
    );
    std::fs::write(dir.join("state.json"), r#""hunter2-secret""#).unwrap();
    let message = stderr(&patchbay(&dir, ITEMS));
    assert!(
        message.contains("line 1, column 16: expected an object") && !message.contains("hunter2"),
        "{message}"
    );
    assert!(server.targets().is_empty(), "nothing is sent");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_run_cut_short_by_max_pages_says_why_the_file_was_not_updated() {
    let server = Server::start(&[(
        "/capped",
        200,
        json!({ "data": [{ "seq": 1 }], "next": "b" }),
    )]);
    let dir = setup("capped", &server);
    let output = patchbay(
        &dir,
        &[
            "--endpoint",
            "capped",
            "--all-pages",
            "--state",
            "state.json",
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert_eq!(records(&output).len(), 1);
    let message = stderr(&output);
    assert!(
        message.contains("warning")
            && message.contains("state.json was not updated")
            && message.contains("max_pages"),
        "{message}"
    );
    assert_eq!(leftovers(&dir, &[]), Vec::<String>::new());
    std::fs::remove_dir_all(dir).unwrap();
}
