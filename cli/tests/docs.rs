//! Runs every ```console block of the README and the guides, so that each
//! documented command gives the output shown.
//!
//! Pages: `README.md`, `docs/*.md` and `docs/auth/*.md`. In a console
//! block, a line `$ command` (continued on the next line after a trailing
//! `\`) is run with `bash -c`, and its stdout and stderr together must
//! equal the lines up to the next `$ `, trailing whitespace ignored. Two
//! placeholders are for output that truly varies (ports, states, timings):
//! `[..]` matches any text within a line, and a line `...` any number of
//! lines (which also lets a page show a checked excerpt of a long output,
//! such as the tutorial's plan).
//!
//! An HTML comment on the line before the fence (invisible when rendered)
//! sets up a block:
//!
//! - `<!-- docs-test: cwd=docs/examples/auth/basic -->`: the folder the
//!   commands run in, relative to the repository root (the default);
//! - `env=NAME=value` (repeatable, also next to `cwd=`): an environment
//!   variable, e.g. a secret an instance reads with `{ env = "…" }`;
//! - `<!-- docs-test: skip — reason -->`: the block is not run; the reason
//!   is required and listed in the test's output;
//! - `<!-- docs-test: background ready="listening on" port=8765 -->`: the
//!   block's one command starts a server that the page's later blocks
//!   call. It is started in the background, and its output up to the first
//!   line containing the `ready` text must match the block; the test fails
//!   if that line does not come within two minutes, or if the server stops
//!   first. The server runs, in a process group of its own, until the page
//!   is done, and is killed then (or when the test panics).
//!
//! A background `cargo run ARGS [-- PROGRAM ARGS]` is not run as written:
//! a cargo started from inside `cargo test` would print its own progress
//! into the server's output and spend the ready wait building. The test
//! builds `ARGS` first, with the cargo that runs it (`cargo build --locked
//! ARGS`, same workspace and target folder, so usually nothing to do), and
//! then starts the executable that build reports, which is exactly what
//! `cargo run` would start. Looking the binary up in `target/` by name
//! instead would run a stale or missing build whenever the test's own
//! package does not depend on it, as `patchbay-cli` does not depend on the
//! examples.
//!
//! `port=N` says the page shows the server on `127.0.0.1:N`. Tests run in
//! parallel (and other checkouts may run this one) so the test does not
//! take that port: it appends `--port 0` to the command, reads the port the
//! server picked from its ready line, and until the page is done replaces
//! `127.0.0.1:N` with that address in the commands and in a copy of each
//! block's folder (an instance file names the URL), and back in the output.
//!
//! ```sh blocks are install and setup commands: they are listed, not run.
//!
//! The commands of a block share one shell state: each runs in a fresh
//! `bash` that starts from the variables exported and the folder reached by
//! the previous one, and `$?` is the previous command's status, so a page
//! can show `export …` or `echo $?`. The environment is otherwise empty
//! apart from `PATH` (the built `patchbay` first), and `HOME` and
//! `PATCHBAY_HOME` in a fresh temporary folder, so nothing from the
//! developer's machine (`PATCHBAY_LOG`, stored tokens) changes the output.
//!
//! `PATCHBAY_BLESS=1` rewrites the expected output of every mismatching
//! command in place; review the diff of the pages before committing it.
//!
//! Why not trycmd: its Markdown mode runs the binary itself, not a shell
//! (no `export`, `echo $?` or `VAR=… patchbay`), sets the folder per file
//! rather than per block, and has no skip with a reason; a page that needs
//! a server started in the background (the tutorial's last step) fits a
//! harness of our own more easily too.

#![allow(clippy::unwrap_used, clippy::expect_used)] // a test that cannot unwrap has failed

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// How long one command may run before it is killed (a forgotten skip on a
/// command that waits for a browser would otherwise hang the test).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);
/// How long a background server may take to print its ready line once
/// started (its build is not counted).
const READY_TIMEOUT: Duration = Duration::from_secs(120);
/// How long building a background `cargo run` command may take: a cold
/// build of the examples package, on a slow machine.
const BUILD_TIMEOUT: Duration = Duration::from_secs(900);

/// What the comment before a fence asks for.
#[derive(Debug, Default, PartialEq)]
struct Setup {
    cwd: Option<String>,
    env: Vec<(String, String)>,
    skip: Option<String>,
    /// `background ready="…"`: the block's one command is a server, started
    /// in the background; the text of the line it prints once it serves.
    ready: Option<String>,
    /// `port=N`: the loopback port the page shows the server on.
    port: Option<u16>,
}

/// The words of a docs-test comment; a value may be double-quoted to
/// hold spaces (`ready="listening on"`).
fn words(text: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut chars = text.chars().peekable();
    loop {
        while chars.next_if(|c| c.is_whitespace()).is_some() {}
        if chars.peek().is_none() {
            return Ok(words);
        }
        let mut word = String::new();
        while let Some(c) = chars.next_if(|c| !c.is_whitespace()) {
            if c != '"' {
                word.push(c);
                continue;
            }
            loop {
                match chars.next() {
                    Some('"') => break,
                    Some(c) => word.push(c),
                    None => return Err(format!("unclosed quote in `{text}`")),
                }
            }
        }
        words.push(word);
    }
}

/// One `$ command` of a console block and the output shown after it.
#[derive(Debug, PartialEq)]
struct Step {
    /// 1-based line of the `$` in the page.
    line: usize,
    /// The command as bash reads it (continuations kept).
    command: String,
    /// The output shown, without the block's indentation.
    shown: Vec<String>,
    /// 0-based index range of the shown output's lines in the page.
    lines: std::ops::Range<usize>,
}

/// A fenced block of a page.
#[derive(Debug)]
struct Block {
    /// 1-based line of the opening fence.
    line: usize,
    language: String,
    /// The indentation of the fence (a block inside a list item).
    indent: usize,
    setup: Setup,
    steps: Vec<Step>,
    /// The block's text, for the blocks that are only listed.
    text: Vec<String>,
}

/// Reads a `<!-- docs-test: … -->` comment; `None` if the line is not one.
fn parse_setup(line: &str) -> Option<Result<Setup, String>> {
    let inner = line
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim()
        .strip_prefix("docs-test:")?
        .trim();
    let mut setup = Setup::default();
    if let Some(rest) = inner.strip_prefix("skip") {
        let reason = rest.trim_start_matches([' ', '—', '–', '-', ':']).trim();
        if reason.is_empty() {
            return Some(Err(
                "a skip needs a reason: `<!-- docs-test: skip — reason -->`".to_owned(),
            ));
        }
        setup.skip = Some(reason.to_owned());
        return Some(Ok(setup));
    }
    let words = match words(inner) {
        Ok(words) => words,
        Err(error) => return Some(Err(error)),
    };
    let mut background = false;
    for word in &words {
        match word.split_once('=') {
            _ if word == "background" => background = true,
            Some(("cwd", folder)) => setup.cwd = Some(folder.to_owned()),
            Some(("env", assignment)) => match assignment.split_once('=') {
                Some((name, value)) => setup.env.push((name.to_owned(), value.to_owned())),
                None => return Some(Err(format!("`env={assignment}` needs NAME=value"))),
            },
            Some(("ready", text)) if !text.is_empty() => setup.ready = Some(text.to_owned()),
            Some(("port", port)) => match port.parse() {
                Ok(port) => setup.port = Some(port),
                Err(_) => return Some(Err(format!("`port={port}` is not a port number"))),
            },
            _ => {
                return Some(Err(format!(
                    "unknown docs-test setting `{word}` (known: cwd=, env=, background ready=\"…\" port=, skip — reason)"
                )));
            }
        }
    }
    if background != setup.ready.is_some() {
        return Some(Err(
            "a background block needs the line it waits for: `background ready=\"…\"`".to_owned(),
        ));
    }
    if setup.port.is_some() && !background {
        return Some(Err("`port=` is for a background block".to_owned()));
    }
    Some(Ok(setup))
}

/// Splits a console block's lines (starting at page line index `first`)
/// into commands and their expected output.
fn parse_steps(lines: &[String], first: usize) -> Result<Vec<Step>, String> {
    let mut steps: Vec<Step> = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let Some(command) = lines[index].strip_prefix("$ ") else {
            if steps.is_empty() {
                return Err("a console block starts with a `$ command` line".to_owned());
            }
            index += 1;
            continue;
        };
        let line = first + index + 1;
        let mut command = command.to_owned();
        while command.ends_with('\\') && index + 1 < lines.len() {
            index += 1;
            command.push('\n');
            command.push_str(&lines[index]);
        }
        index += 1;
        let start = index;
        while index < lines.len() && !lines[index].starts_with("$ ") {
            index += 1;
        }
        steps.push(Step {
            line,
            command,
            shown: lines[start..index].to_vec(),
            lines: first + start..first + index,
        });
    }
    Ok(steps)
}

/// Every fenced block of a page; errors name the page line.
fn parse_page(text: &str) -> (Vec<Block>, Vec<String>) {
    let lines: Vec<String> = text.lines().map(str::to_owned).collect();
    let mut blocks = Vec::new();
    let mut errors = Vec::new();
    let mut index = 0;
    while index < lines.len() {
        let Some(language) = lines[index].trim_start().strip_prefix("```") else {
            index += 1;
            continue;
        };
        let fence = index;
        let indent = lines[index].len() - lines[index].trim_start().len();
        let mut end = fence + 1;
        while end < lines.len() && lines[end].trim() != "```" {
            end += 1;
        }
        let body: Vec<String> = lines[fence + 1..end.min(lines.len())]
            .iter()
            .map(|l| l.get(indent..).unwrap_or(l.trim_start()).to_owned())
            .collect();
        let setup = match fence.checked_sub(1).and_then(|i| parse_setup(&lines[i])) {
            Some(Ok(setup)) if language != "console" => {
                if setup != Setup::default() {
                    errors.push(format!(
                        "line {}: a docs-test comment before a ```{language} block (only console blocks run)",
                        fence + 1
                    ));
                }
                setup
            }
            Some(Ok(setup)) => setup,
            Some(Err(error)) => {
                errors.push(format!("line {fence}: {error}"));
                Setup::default()
            }
            None => Setup::default(),
        };
        let steps = if language == "console" {
            parse_steps(&body, fence + 1).unwrap_or_else(|error| {
                errors.push(format!("line {}: {error}", fence + 1));
                Vec::new()
            })
        } else {
            Vec::new()
        };
        blocks.push(Block {
            line: fence + 1,
            language: language.to_owned(),
            indent,
            setup,
            steps,
            text: body,
        });
        index = end + 1;
    }
    (blocks, errors)
}

/// Whether an output line matches an expected line with `[..]`s.
fn line_matches(expected: &str, actual: &str) -> bool {
    let mut parts = expected.split("[..]");
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = actual.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for part in middle {
        match rest.find(part) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last)
}

/// Whether the output lines match the expected ones, `...` lines included.
fn lines_match(expected: &[&str], actual: &[&str]) -> bool {
    match expected.split_first() {
        None => actual.is_empty(),
        Some((&"...", rest)) => (0..=actual.len()).any(|skip| lines_match(rest, &actual[skip..])),
        Some((line, rest)) => actual
            .split_first()
            .is_some_and(|(first, tail)| line_matches(line, first) && lines_match(rest, tail)),
    }
}

/// Lines without trailing whitespace, without trailing empty lines.
fn normalise(text: &str) -> Vec<&str> {
    let mut lines: Vec<&str> = text.lines().map(str::trim_end).collect();
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// A line diff of expected (`-`) against actual (`+`), placeholders
/// honoured.
fn diff(expected: &[&str], actual: &[&str]) -> String {
    // Longest common subsequence table, from the ends.
    let (n, m) = (expected.len(), actual.len());
    let mut table = vec![vec![0usize; m + 1]; n + 1];
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            table[i][j] = if expected[i] != "..." && line_matches(expected[i], actual[j]) {
                table[i + 1][j + 1] + 1
            } else {
                table[i + 1][j].max(table[i][j + 1])
            };
        }
    }
    let (mut i, mut j, mut out) = (0, 0, String::new());
    while i < n || j < m {
        if i < n && j < m && expected[i] != "..." && line_matches(expected[i], actual[j]) {
            writeln!(out, "  {}", actual[j]).unwrap();
            (i, j) = (i + 1, j + 1);
        } else if i < n && (j == m || table[i + 1][j] >= table[i][j + 1]) {
            writeln!(out, "- {}", expected[i]).unwrap();
            i += 1;
        } else {
            writeln!(out, "+ {}", actual[j]).unwrap();
            j += 1;
        }
    }
    out
}

/// The workspace root.
fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A fresh, empty temporary folder.
fn temp_folder(name: &str) -> PathBuf {
    let folder = std::env::temp_dir().join(format!("patchbay-docs-{}-{name}", std::process::id()));
    if folder.exists() {
        std::fs::remove_dir_all(&folder).unwrap();
    }
    std::fs::create_dir_all(&folder).unwrap();
    folder
}

/// Quotes a value for bash.
fn quote(value: &str) -> String {
    format!("'{}'", value.replace('\'', r"'\''"))
}

/// The shell of one console block: its state carries over from command
/// to command.
struct Session {
    /// The shell state carried from command to command.
    state: PathBuf,
    output: PathBuf,
    status: i32,
}

impl Session {
    fn start(folder: &Path, cwd: &Path, setup: &Setup) -> Session {
        let binaries = Path::new(env!("CARGO_BIN_EXE_patchbay")).parent().unwrap();
        let path = std::env::var("PATH").unwrap_or_default();
        let home = folder.join("home");
        std::fs::create_dir_all(&home).unwrap();
        let mut state = format!(
            "export PATH={}\nexport HOME={}\nexport PATCHBAY_HOME={}\ncd {}\n",
            quote(&format!("{}:{path}", binaries.display())),
            quote(&home.display().to_string()),
            quote(&home.join("patchbay").display().to_string()),
            quote(&cwd.display().to_string()),
        );
        for (name, value) in &setup.env {
            writeln!(state, "export {name}={}", quote(value)).unwrap();
        }
        let session = Session {
            state: folder.join("state.sh"),
            output: folder.join("output"),
            status: 0,
        };
        std::fs::write(&session.state, state).unwrap();
        session
    }

    /// Starts one command in the session's shell state, its output (stdout
    /// and stderr) going to `output`, in a process group of its own so that
    /// it can be killed with everything it started.
    fn spawn(&self, command: &str, output: &Path) -> Child {
        let state = quote(&self.state.display().to_string());
        let script = format!(
            r#"exec >{output} 2>&1
. {state}
trap "export -p >{state}; printf 'cd %q\n' \"\$PWD\" >>{state}" EXIT
(exit {status})
{command}
"#,
            output = quote(&output.display().to_string()),
            status = self.status,
        );
        use std::os::unix::process::CommandExt as _;
        Command::new("bash")
            .arg("-c")
            .arg(script)
            .env_clear()
            .process_group(0)
            .spawn()
            .expect("bash runs")
    }

    /// Runs one command; its combined output.
    fn run(&mut self, command: &str) -> String {
        let mut child = self.spawn(command, &self.output);
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > COMMAND_TIMEOUT {
                kill_group(&mut child);
                return format!(
                    "(killed after {}s: mark a command that waits for a browser or a server `skip — reason`)",
                    COMMAND_TIMEOUT.as_secs()
                );
            }
            std::thread::sleep(Duration::from_millis(20));
        };
        self.status = status.code().unwrap_or(128);
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }
}

/// Kills a child started in a process group of its own (as
/// [`Session::spawn`] does) and everything it started, and reaps it.
fn kill_group(child: &mut Child) {
    let _ = Command::new("kill")
        .args(["-KILL", "--", &format!("-{}", child.id())])
        .status();
    let _ = child.wait();
}

/// A server that a background block started; it runs until the page is
/// done, and is killed when dropped, also when the test panics.
struct Server {
    child: Child,
    /// Its temporary folder (its output).
    folder: PathBuf,
    /// The address the page shows it on and the one it listens on instead,
    /// such as `127.0.0.1:8765` and `127.0.0.1:41234`.
    address: Option<(String, String)>,
}

impl Server {
    /// Starts the one command of a background block and waits for its
    /// ready line; the output up to that line.
    fn start(
        root: &Path,
        folder: PathBuf,
        session: &Session,
        command: &str,
        setup: &Setup,
    ) -> Result<(Server, String), String> {
        let ready = setup.ready.as_deref().unwrap_or_default();
        let mut command = match command.strip_prefix("cargo run ") {
            Some(arguments) => executable_of_cargo_run(root, &folder, arguments)?,
            None => command.to_owned(),
        };
        if setup.port.is_some() {
            command.push_str(" --port 0");
        }
        let output = folder.join("output");
        let child = session.spawn(&command, &output);
        let mut server = Server {
            child,
            folder,
            address: None,
        };
        let started = Instant::now();
        let printed = loop {
            let printed = std::fs::read_to_string(&output).unwrap_or_default();
            if printed.lines().any(|line| line.contains(ready)) {
                break printed;
            }
            if let Some(status) = server.child.try_wait().unwrap() {
                return Err(format!(
                    "the server stopped ({status}) before printing `{ready}`:\n{printed}"
                ));
            }
            if started.elapsed() > READY_TIMEOUT {
                return Err(format!(
                    "the server did not print `{ready}` within {}s:\n{printed}",
                    READY_TIMEOUT.as_secs()
                ));
            }
            std::thread::sleep(Duration::from_millis(50));
        };
        let ready_line = printed.lines().find(|line| line.contains(ready)).unwrap();
        let until_ready = printed
            .split_inclusive('\n')
            .take_while(|line| !line.contains(ready))
            .chain([ready_line])
            .collect();
        if let Some(port) = setup.port {
            let listening = loopback_address(ready_line).ok_or_else(|| {
                format!("the ready line `{ready_line}` names no 127.0.0.1:PORT address")
            })?;
            server.address = Some((format!("127.0.0.1:{port}"), listening));
        }
        Ok((server, until_ready))
    }

    /// A command or file text as run: the page's address replaced by the
    /// server's.
    fn to_actual(&self, text: &str) -> String {
        match &self.address {
            Some((shown, actual)) => text.replace(shown, actual),
            None => text.to_owned(),
        }
    }

    /// An output as the page shows it: the server's address replaced by the
    /// page's.
    fn to_shown(&self, text: &str) -> String {
        match &self.address {
            Some((shown, actual)) => text.replace(actual, shown),
            None => text.to_owned(),
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        kill_group(&mut self.child);
        let _ = std::fs::remove_dir_all(&self.folder);
    }
}

/// The first `127.0.0.1:PORT` in a line.
fn loopback_address(line: &str) -> Option<String> {
    let (_, after) = line.split_once("127.0.0.1:")?;
    let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
    (!digits.is_empty()).then(|| format!("127.0.0.1:{digits}"))
}

/// Builds what `cargo run ARGUMENTS` would run, with the cargo that runs
/// this test, and returns the command that runs the built executable with
/// the arguments after `--`. Running `cargo run` itself from a test would
/// start a second cargo that also prints its progress; building first keeps
/// the server's output its own and the build's time out of the ready wait.
fn executable_of_cargo_run(root: &Path, folder: &Path, arguments: &str) -> Result<String, String> {
    if arguments.contains(['\'', '"', '\\', '$']) {
        return Err(format!(
            "`cargo run {arguments}`: a background cargo command takes plain words only"
        ));
    }
    let (build, program) = match arguments.split_once(" -- ") {
        Some((build, program)) => (build, program),
        None => (arguments.strip_suffix(" --").unwrap_or(arguments), ""),
    };
    let messages = folder.join("cargo-messages.json");
    let log = folder.join("cargo-build.log");
    use std::os::unix::process::CommandExt as _;
    let mut cargo = Command::new(env!("CARGO"))
        .args([
            "build",
            "--locked",
            "--message-format=json-render-diagnostics",
        ])
        .args(build.split_whitespace())
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&messages).unwrap())
        .stderr(std::fs::File::create(&log).unwrap())
        .process_group(0)
        .spawn()
        .map_err(|e| format!("cannot start cargo: {e}"))?;
    let started = Instant::now();
    let status = loop {
        if let Some(status) = cargo.try_wait().unwrap() {
            break status;
        }
        if started.elapsed() > BUILD_TIMEOUT {
            kill_group(&mut cargo);
            return Err(format!(
                "`cargo build {build}` did not finish within {}s",
                BUILD_TIMEOUT.as_secs()
            ));
        }
        std::thread::sleep(Duration::from_millis(100));
    };
    if !status.success() {
        let log = std::fs::read_to_string(&log).unwrap_or_default();
        return Err(format!("`cargo build {build}` failed ({status}):\n{log}"));
    }
    let executable = std::fs::read_to_string(&messages)
        .unwrap()
        .lines()
        .rev()
        .filter_map(|line| serde_json::from_str::<serde_json::Value>(line).ok())
        .filter(|message| message["reason"] == "compiler-artifact")
        .find_map(|message| message["executable"].as_str().map(str::to_owned))
        .ok_or_else(|| format!("`cargo build {build}` built no executable"))?;
    Ok(format!("exec {} {program}", quote(&executable)))
}

/// Copies a folder, replacing text in every UTF-8 file with `edit`.
fn copy_folder(from: &Path, to: &Path, edit: &dyn Fn(&str) -> String) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_folder(&path, &target, edit);
        } else {
            match std::fs::read_to_string(&path) {
                Ok(text) => std::fs::write(&target, edit(&text)).unwrap(),
                Err(_) => {
                    std::fs::copy(&path, &target).unwrap();
                }
            }
        }
    }
}

/// The pages whose console blocks are run.
fn pages(root: &Path) -> Vec<PathBuf> {
    let mut pages = vec![root.join("README.md")];
    for folder in ["docs", "docs/auth"] {
        let mut found: Vec<PathBuf> = std::fs::read_dir(root.join(folder))
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .filter(|path| path.extension().is_some_and(|e| e == "md"))
            .collect();
        found.sort();
        pages.extend(found);
    }
    pages
}

#[test]
fn every_console_block_of_the_docs_gives_the_output_shown() {
    let root = workspace().canonicalize().unwrap();
    let bless = std::env::var_os("PATCHBAY_BLESS").is_some_and(|v| v == "1");
    let (mut run, mut failures, mut skipped, mut listed) = (0, Vec::new(), Vec::new(), Vec::new());
    for page in pages(&root) {
        let name = page.strip_prefix(&root).unwrap().display().to_string();
        let text = std::fs::read_to_string(&page).unwrap();
        let (blocks, errors) = parse_page(&text);
        failures.extend(errors.into_iter().map(|e| format!("{name}: {e}")));
        let mut rewrites: Vec<(std::ops::Range<usize>, Vec<String>)> = Vec::new();
        // Started by a background block, killed when the page is done.
        let mut server: Option<Server> = None;
        for block in blocks {
            if block.language == "sh" {
                let commands = block.text.iter();
                listed.extend(commands.map(|c| format!("{name}:{}: {c}", block.line)));
                continue;
            }
            if block.language != "console" {
                continue;
            }
            if let Some(reason) = &block.setup.skip {
                skipped.push(format!("{name}:{}: {reason}", block.line));
                continue;
            }
            let cwd = root.join(block.setup.cwd.as_deref().unwrap_or("."));
            if !cwd.is_dir() {
                failures.push(format!(
                    "{name}:{}: cwd `{}` is not a folder",
                    block.line,
                    cwd.display()
                ));
                continue;
            }
            run += 1;
            let folder = temp_folder(&format!("{}-{}", name.replace('/', "_"), block.line));
            let cwd = match &server {
                // The files may name the server's address, as the commands may.
                Some(server) if server.address.is_some() => {
                    let copy = folder.join("work");
                    copy_folder(&cwd, &copy, &|text| server.to_actual(text));
                    copy
                }
                _ => cwd,
            };
            let mut session = Session::start(&folder, &cwd, &block.setup);
            for step in &block.steps {
                let actual_text = if block.setup.ready.is_some() {
                    let started = match (&server, block.steps.len()) {
                        (Some(_), _) => Err("a page starts one background server".to_owned()),
                        (None, 1) => Server::start(
                            &root,
                            temp_folder(&format!(
                                "{}-{}-server",
                                name.replace('/', "_"),
                                block.line
                            )),
                            &session,
                            &step.command,
                            &block.setup,
                        ),
                        (None, _) => Err("a background block has one command".to_owned()),
                    };
                    match started {
                        Ok((started, until_ready)) => {
                            let shown = started.to_shown(&until_ready);
                            server = Some(started);
                            shown
                        }
                        Err(error) => {
                            failures.push(format!("{name}:{}: {error}", step.line));
                            continue;
                        }
                    }
                } else {
                    match &server {
                        Some(server) => {
                            server.to_shown(&session.run(&server.to_actual(&step.command)))
                        }
                        None => session.run(&step.command),
                    }
                };
                let actual = normalise(&actual_text);
                let expected_text = step.shown.join("\n");
                let expected = normalise(&expected_text);
                if lines_match(&expected, &actual) {
                    continue;
                }
                failures.push(format!(
                    "{name}:{}: $ {}\n--- expected\n+++ actual\n{}",
                    step.line,
                    step.command,
                    diff(&expected, &actual)
                ));
                if bless {
                    let indent = " ".repeat(block.indent);
                    let indented = actual.iter().map(|line| match *line {
                        "" => String::new(),
                        line => format!("{indent}{line}"),
                    });
                    rewrites.push((step.lines.clone(), indented.collect()));
                }
            }
            std::fs::remove_dir_all(&folder).unwrap();
        }
        drop(server);
        if !rewrites.is_empty() {
            let mut lines: Vec<String> = text.lines().map(str::to_owned).collect();
            for (range, new) in rewrites.into_iter().rev() {
                lines.splice(range, new);
            }
            std::fs::write(&page, lines.join("\n") + "\n").unwrap();
        }
    }
    println!("ran {run} console blocks; skipped {}:", skipped.len());
    for skip in &skipped {
        println!("  {skip}");
    }
    println!("not run (```sh: install and setup commands):");
    for command in &listed {
        println!("  {command}");
    }
    assert!(
        failures.is_empty(),
        "{} problem(s){}:\n\n{}",
        failures.len(),
        if bless {
            " (expected output rewritten)"
        } else {
            ""
        },
        failures.join("\n\n")
    );
}

#[test]
fn placeholders_match_only_what_they_stand_for() {
    assert!(line_matches("port [..]/callback", "port 8901/callback"));
    assert!(line_matches("[..]", ""));
    assert!(line_matches("a[..]b[..]c", "a-b-b-c"));
    assert!(!line_matches("a[..]b", "a-c"));
    assert!(!line_matches("ab[..]b", "ab"));
    assert!(!line_matches("exact", "exact and more"));
    assert!(lines_match(
        &["one", "...", "four"],
        &["one", "two", "three", "four"]
    ));
    assert!(lines_match(&["one", "..."], &["one"]));
    assert!(!lines_match(&["one", "...", "four"], &["one", "two"]));
    assert!(!lines_match(&["one"], &["one", "two"]));
}

#[test]
fn a_skip_needs_a_reason_and_settings_are_checked() {
    assert_eq!(
        parse_setup("<!-- docs-test: skip — needs a Google account -->"),
        Some(Ok(Setup {
            skip: Some("needs a Google account".to_owned()),
            ..Setup::default()
        }))
    );
    assert!(matches!(
        parse_setup("<!-- docs-test: skip -->"),
        Some(Err(_))
    ));
    assert!(matches!(
        parse_setup("<!-- docs-test: folder=x -->"),
        Some(Err(_))
    ));
    assert_eq!(
        parse_setup("<!-- docs-test: cwd=docs/examples env=A=b=c -->"),
        Some(Ok(Setup {
            cwd: Some("docs/examples".to_owned()),
            env: vec![("A".to_owned(), "b=c".to_owned())],
            ..Setup::default()
        }))
    );
    assert_eq!(parse_setup("<!-- a comment -->"), None);
}

#[test]
fn a_background_block_names_its_ready_line() {
    assert_eq!(
        parse_setup(r#"<!-- docs-test: background ready="listening on" port=8765 -->"#),
        Some(Ok(Setup {
            ready: Some("listening on".to_owned()),
            port: Some(8765),
            ..Setup::default()
        }))
    );
    for wrong in [
        "<!-- docs-test: background -->",
        r#"<!-- docs-test: ready="up" -->"#,
        "<!-- docs-test: port=8765 -->",
        r#"<!-- docs-test: background ready="up port=1 -->"#,
        r#"<!-- docs-test: background ready="up" port=http -->"#,
    ] {
        assert!(matches!(parse_setup(wrong), Some(Err(_))), "{wrong}");
    }
    assert_eq!(
        loopback_address("listening on http://127.0.0.1:41234/"),
        Some("127.0.0.1:41234".to_owned())
    );
    assert_eq!(loopback_address("listening on http://[::1]:80"), None);
}

#[test]
fn console_blocks_split_into_commands_and_their_output() {
    let page = "<!-- docs-test: cwd=x -->\n```console\n$ a \\\n  --b\nout\n$ echo $?\n0\n```\n\n```console\nno command\n```\n";
    let (blocks, errors) = parse_page(page);
    assert_eq!(blocks[0].setup.cwd.as_deref(), Some("x"));
    assert_eq!(
        blocks[0].steps,
        vec![
            Step {
                line: 3,
                command: "a \\\n  --b".to_owned(),
                shown: vec!["out".to_owned()],
                lines: 4..5,
            },
            Step {
                line: 6,
                command: "echo $?".to_owned(),
                shown: vec!["0".to_owned()],
                lines: 6..7,
            },
        ]
    );
    assert_eq!(
        errors,
        vec!["line 10: a console block starts with a `$ command` line"]
    );
}

#[test]
fn blocks_in_list_items_lose_their_indentation_and_comments_need_a_console_block() {
    let page = "- a step:\n\n  ```console\n  $ x\n    y\n  ```\n\n<!-- docs-test: cwd=x -->\n```toml\n```\n";
    let (blocks, errors) = parse_page(page);
    assert_eq!(blocks[0].steps[0].command, "x");
    assert_eq!(blocks[0].steps[0].shown, vec!["  y".to_owned()]);
    assert_eq!(blocks[0].indent, 2);
    assert_eq!(
        errors,
        vec!["line 9: a docs-test comment before a ```toml block (only console blocks run)"]
    );
}
