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
//!   is required and listed in the test's output.
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
use std::process::Command;
use std::time::{Duration, Instant};

/// How long one command may run before it is killed (a forgotten skip on a
/// command that waits for a browser would otherwise hang the test).
const COMMAND_TIMEOUT: Duration = Duration::from_secs(60);

/// What the comment before a fence asks for.
#[derive(Debug, Default, PartialEq)]
struct Setup {
    cwd: Option<String>,
    env: Vec<(String, String)>,
    skip: Option<String>,
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
    for word in inner.split_whitespace() {
        match word.split_once('=') {
            Some(("cwd", folder)) => setup.cwd = Some(folder.to_owned()),
            Some(("env", assignment)) => match assignment.split_once('=') {
                Some((name, value)) => setup.env.push((name.to_owned(), value.to_owned())),
                None => return Some(Err(format!("`env={assignment}` needs NAME=value"))),
            },
            _ => {
                return Some(Err(format!(
                    "unknown docs-test setting `{word}` (known: cwd=, env=, skip — reason)"
                )));
            }
        }
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

    /// Runs one command; its combined output.
    fn run(&mut self, command: &str) -> String {
        let state = quote(&self.state.display().to_string());
        let script = format!(
            r#"exec >{output} 2>&1
. {state}
trap "export -p >{state}; printf 'cd %q\n' \"\$PWD\" >>{state}" EXIT
(exit {status})
{command}
"#,
            output = quote(&self.output.display().to_string()),
            status = self.status,
        );
        let mut child = {
            use std::os::unix::process::CommandExt as _;
            Command::new("bash")
                .arg("-c")
                .arg(script)
                .env_clear()
                .process_group(0)
                .spawn()
                .expect("bash runs")
        };
        let started = Instant::now();
        let status = loop {
            if let Some(status) = child.try_wait().unwrap() {
                break status;
            }
            if started.elapsed() > COMMAND_TIMEOUT {
                // The whole group: bash and the command it started.
                let _ = Command::new("kill")
                    .args(["-KILL", "--", &format!("-{}", child.id())])
                    .status();
                let _ = child.wait();
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
            let mut session = Session::start(&folder, &cwd, &block.setup);
            for step in &block.steps {
                let actual_text = session.run(&step.command);
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
            skip: None,
        }))
    );
    assert_eq!(parse_setup("<!-- a comment -->"), None);
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
