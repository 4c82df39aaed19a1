//! What the CLI says about itself: `--help`, shell completions, man pages,
//! and the suggestion for a misspelt endpoint.

#![allow(clippy::unwrap_used)] // a test that cannot unwrap has failed

use std::path::Path;
use std::process::{Command, Output};

/// Every command, as `patchbay --help` lists it.
const COMMANDS: &[&str] = &[
    "lint",
    "compile",
    "run",
    "auth",
    "serve",
    "schema",
    "explain",
    "completions",
    "man",
];

/// The `auth` subcommands.
const AUTH_COMMANDS: &[&str] = &["login", "status", "logout", "token"];

fn patchbay(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_patchbay"))
        .args(args)
        .current_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join(".."))
        .env("TWILIO_API_KEY_SECRET", "twilio-SENTINEL")
        .output()
        .expect("patchbay runs")
}

fn stdout(output: &Output) -> String {
    assert_eq!(
        output.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout.clone()).unwrap()
}

/// The name and description of each line of a help's `Commands:` section.
fn listed_commands(help: &str) -> Vec<(String, String)> {
    help.lines()
        .skip_while(|line| *line != "Commands:")
        .skip(1)
        .take_while(|line| !line.is_empty())
        .map(|line| {
            let (name, about) = line.trim().split_once(' ').unwrap();
            (name.to_owned(), about.trim().to_owned())
        })
        .collect()
}

#[test]
fn help_describes_every_command() {
    for flag in ["-h", "--help"] {
        let help = stdout(&patchbay(&[flag]));
        let listed = listed_commands(&help);
        let names: Vec<&str> = listed.iter().map(|(name, _)| name.as_str()).collect();
        let mut expected = COMMANDS.to_vec();
        expected.push("help");
        assert_eq!(names, expected, "{help}");
        for (name, about) in &listed {
            // A sentence that says what the command does, not a label.
            assert!(about.split(' ').count() >= 5, "`{name}`: {about}");
        }
    }
    let long = stdout(&patchbay(&["--help"]));
    assert!(long.contains("Exit codes:"), "{long}");
    assert!(long.contains("NO_COLOR"), "{long}");
    let auth = stdout(&patchbay(&["auth", "--help"]));
    let names: Vec<String> = listed_commands(&auth).into_iter().map(|(n, _)| n).collect();
    assert_eq!(names[..AUTH_COMMANDS.len()], *AUTH_COMMANDS, "{auth}");
}

#[test]
fn completions_cover_every_command() {
    let bash = stdout(&patchbay(&["completions", "bash"]));
    for command in COMMANDS.iter().chain(AUTH_COMMANDS) {
        assert!(
            bash.contains(&format!("__{command}")),
            "no {command} in:\n{bash}"
        );
    }
    assert!(bash.contains("--stdin-filename"));
    for shell in ["zsh", "fish", "elvish", "powershell"] {
        let script = stdout(&patchbay(&["completions", shell]));
        assert!(script.contains("completions"), "{shell}: {script}");
    }
    assert_eq!(
        patchbay(&["completions", "tcsh"]).status.code(),
        Some(2),
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_man_page_lists_every_command() {
    let page = stdout(&patchbay(&["man"]));
    assert!(page.contains(".TH patchbay 1"), "{page}");
    for command in COMMANDS {
        assert!(
            page.contains(&format!("patchbay\\-{command}(1)")),
            "no {command} in:\n{page}"
        );
    }
}

#[test]
fn man_writes_a_page_per_command() {
    let dir = std::env::temp_dir().join(format!("patchbay-man-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let output = patchbay(&["man", "--dir", dir.to_str().unwrap()]);
    stdout(&output);
    let pages = COMMANDS
        .iter()
        .map(|c| format!("patchbay-{c}.1"))
        .chain(AUTH_COMMANDS.iter().map(|c| format!("patchbay-auth-{c}.1")))
        .chain(["patchbay.1".to_owned()]);
    for page in pages {
        let text = std::fs::read_to_string(dir.join(&page)).unwrap_or_default();
        assert!(text.contains(".SH SYNOPSIS"), "{page}: {text}");
    }
    let lint = std::fs::read_to_string(dir.join("patchbay-lint.1")).unwrap();
    assert!(lint.contains("stdin"), "{lint}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_misspelt_endpoint_gets_a_suggestion() {
    let run = |endpoint: &str| {
        patchbay(&[
            "run",
            "fixtures/connectors/twilio.toml",
            "--instance",
            "fixtures/instances/twilio.toml",
            "--endpoint",
            endpoint,
            "--dry-run",
        ])
    };
    let misspelt = run("list_message");
    assert_eq!(misspelt.status.code(), Some(2));
    assert!(misspelt.stdout.is_empty());
    let said = String::from_utf8_lossy(&misspelt.stderr);
    assert!(
        said.contains("has no endpoint `list_message`; did you mean `list_messages`?"),
        "{said}"
    );
    let unrelated = run("zzz");
    let said = String::from_utf8_lossy(&unrelated.stderr);
    assert!(
        said.contains("it has: get_account, list_messages, get_message"),
        "{said}"
    );
    stdout(&run("list_messages"));
}
