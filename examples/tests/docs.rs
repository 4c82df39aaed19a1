//! Keeps the code in the documentation equal to the compiled code it is
//! an excerpt of, so that no documented call can drift from the API.
//!
//! In `docs/library.md` and `docs/runtime.md`, a code block preceded by
//! `<!-- include: PATH#NAME -->` must hold exactly the lines between
//! `// ANCHOR: NAME` and `// ANCHOR_END: NAME` of PATH (relative to the
//! workspace root), dedented; `<!-- include: PATH -->` means the whole
//! file. Every Rust block there needs such a line. Run with
//! `PATCHBAY_BLESS=1` to rewrite the blocks from the sources.
//!
//! The tutorial's spec is kept the same way: its "whole spec" block must
//! be `docs/examples/taskpad/taskpad.toml`, and the steps that build it
//! must build exactly that. A TOML block after `<!-- spec-step: append -->`
//! is added to the end of the file; one after `<!-- spec-step: tables -->`
//! shows tables whole after an edit inside them, each replacing the table
//! of the same header (a `# (…)` line stands for tables it leaves alone).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// The pages whose code blocks are excerpts.
const PAGES: [&str; 2] = ["docs/library.md", "docs/runtime.md"];
/// Where the excerpted programs live.
const SOURCES: &str = "examples/src";

fn workspace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_owned()
}

fn read(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
}

/// The lines of `source` between the anchor `name`'s markers, without
/// other anchors' markers and without their common indentation.
fn region(source: &str, name: &str) -> Result<String, String> {
    let is_marker = |line: &str, kind: &str| {
        let line = line.trim();
        ["// ", "# "]
            .iter()
            .any(|comment| line == format!("{comment}{kind}: {name}"))
    };
    let start = source
        .lines()
        .position(|line| is_marker(line, "ANCHOR"))
        .ok_or_else(|| format!("no `ANCHOR: {name}`"))?;
    let mut lines = Vec::new();
    let mut ended = false;
    for line in source.lines().skip(start + 1) {
        if is_marker(line, "ANCHOR_END") {
            ended = true;
            break;
        }
        // Markers of other anchors inside this one are not shown.
        if !line.contains("ANCHOR: ") && !line.contains("ANCHOR_END: ") {
            lines.push(line);
        }
    }
    if !ended {
        return Err(format!("no `ANCHOR_END: {name}`"));
    }
    let indent = lines
        .iter()
        .filter(|line| !line.trim().is_empty())
        .map(|line| line.len() - line.trim_start().len())
        .min()
        .unwrap_or(0);
    Ok(lines
        .iter()
        .map(|line| line.get(indent..).unwrap_or("").trim_end())
        .map(|line| format!("{line}\n"))
        .collect())
}

/// What an include line names: the text it stands for.
fn excerpt(target: &str) -> Result<String, String> {
    let (path, anchor) = match target.split_once('#') {
        Some((path, anchor)) => (path, Some(anchor)),
        None => (target, None),
    };
    let source = std::fs::read_to_string(workspace().join(path))
        .map_err(|e| format!("cannot read {path}: {e}"))?;
    match anchor {
        Some(name) => region(&source, name).map_err(|e| format!("{path}: {e}")),
        None => Ok(source),
    }
}

/// A page with every included block replaced by its source, and the
/// problems found: blocks that differ, includes that do not resolve, Rust
/// blocks without an include.
fn check_page(page: &str) -> (String, Vec<String>) {
    let mut out = String::new();
    let mut problems = Vec::new();
    let mut lines = page.split_inclusive('\n').enumerate().peekable();
    let mut include: Option<String> = None;
    while let Some((number, line)) = lines.next() {
        out.push_str(line);
        let trimmed = line.trim();
        if let Some(target) = trimmed
            .strip_prefix("<!-- include: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        {
            include = Some(target.to_owned());
            continue;
        }
        let Some(language) = trimmed.strip_prefix("```") else {
            include = None;
            continue;
        };
        let mut block = String::new();
        let mut closing = None;
        for (_, inner) in lines.by_ref() {
            if inner.trim() == "```" {
                closing = Some(inner);
                break;
            }
            block.push_str(inner);
        }
        let place = number + 1;
        match include.take() {
            Some(target) => match excerpt(&target) {
                Ok(source) => {
                    if source != block {
                        problems.push(format!("line {place}: the block differs from {target}"));
                    }
                    out.push_str(&source);
                }
                Err(error) => {
                    problems.push(format!("line {place}: {error}"));
                    out.push_str(&block);
                }
            },
            None => {
                if language == "rust" {
                    problems.push(format!(
                        "line {place}: a Rust block without `<!-- include: PATH#ANCHOR -->`"
                    ));
                }
                out.push_str(&block);
            }
        }
        out.push_str(closing.unwrap_or(""));
    }
    (out, problems)
}

#[test]
fn documented_code_is_the_compiled_code() {
    let bless = std::env::var_os("PATCHBAY_BLESS").is_some_and(|v| v == "1");
    let mut problems = Vec::new();
    for name in PAGES {
        let path = workspace().join(name);
        let page = read(&path);
        let (updated, found) = check_page(&page);
        if bless {
            if updated != page {
                std::fs::write(&path, updated).expect("rewrite the page");
            }
            problems.extend(
                found
                    .into_iter()
                    .filter(|p| !p.contains("differs"))
                    .map(|p| format!("{name} {p}")),
            );
        } else {
            problems.extend(found.into_iter().map(|p| format!("{name} {p}")));
        }
    }
    assert!(
        problems.is_empty(),
        "{}\n(PATCHBAY_BLESS=1 cargo test -p patchbay-examples --test docs rewrites the blocks)",
        problems.join("\n")
    );
}

fn source_files(folder: &Path, found: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(folder).expect("list a folder") {
        let path = entry.expect("a folder entry").path();
        if path.is_dir() {
            source_files(&path, found);
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

#[test]
fn every_anchor_is_shown_in_the_docs() {
    let pages: String = PAGES.iter().map(|p| read(&workspace().join(p))).collect();
    let mut files = Vec::new();
    source_files(&workspace().join(SOURCES), &mut files);
    let mut unused = BTreeSet::new();
    for file in files {
        let relative = file
            .strip_prefix(workspace())
            .expect("inside the workspace")
            .to_string_lossy()
            .replace('\\', "/");
        for line in read(&file).lines() {
            if let Some(name) = line.trim().strip_prefix("// ANCHOR: ")
                && !pages.contains(&format!("<!-- include: {relative}#{name} -->"))
            {
                unused.insert(format!("{relative}#{name}"));
            }
        }
    }
    assert!(unused.is_empty(), "anchors no page includes: {unused:?}");
}

#[test]
fn the_example_spec_is_the_tutorial_spec() {
    let tutorial = read(&workspace().join("docs/tutorial.md"));
    let whole = tutorial
        .split_once("## The whole spec")
        .and_then(|(_, rest)| rest.split_once("```toml\n"))
        .and_then(|(_, rest)| rest.split_once("```\n"))
        .map(|(block, _)| block)
        .expect("the tutorial's whole spec");
    let example = read(&workspace().join("docs/examples/taskpad/taskpad.toml"));
    assert_eq!(
        example, whole,
        "docs/examples/taskpad/taskpad.toml must stay the spec docs/tutorial.md builds"
    );
}

/// The TOML blocks of the tutorial that edit `taskpad.toml`, in order:
/// each block after a `<!-- spec-step: KIND -->` line, with its kind.
fn spec_steps(tutorial: &str) -> Result<Vec<(String, String)>, String> {
    let mut steps = Vec::new();
    let mut lines = tutorial.lines().enumerate();
    while let Some((number, line)) = lines.next() {
        let Some(kind) = line
            .trim()
            .strip_prefix("<!-- spec-step: ")
            .and_then(|rest| rest.strip_suffix(" -->"))
        else {
            continue;
        };
        if lines.next().map(|(_, fence)| fence.trim()) != Some("```toml") {
            return Err(format!(
                "line {}: a spec step is a ```toml block",
                number + 1
            ));
        }
        let block: String = lines
            .by_ref()
            .map(|(_, line)| line)
            .take_while(|line| line.trim() != "```")
            .map(|line| format!("{line}\n"))
            .collect();
        steps.push((kind.to_owned(), block));
    }
    Ok(steps)
}

/// The lines of the table whose header is `header`: from the header up to
/// the next header, without the blank and comment lines before that one.
fn table_lines(lines: &[String], header: &str) -> Option<std::ops::Range<usize>> {
    let start = lines.iter().position(|line| line == header)?;
    let mut end = lines[start + 1..]
        .iter()
        .position(|line| line.starts_with('['))
        .map_or(lines.len(), |offset| start + 1 + offset);
    while end > start + 1 && (lines[end - 1].is_empty() || lines[end - 1].starts_with('#')) {
        end -= 1;
    }
    Some(start..end)
}

/// Applies one step to the spec as written so far: `append` adds the block
/// at the end; `before LINE` puts it before the first line that reads
/// `LINE`; `tables` shows tables whole, each replacing the table of
/// the same header (a `# (…)` line stands for tables it leaves as they are).
fn apply_step(spec: &str, kind: &str, block: &str) -> Result<String, String> {
    match kind {
        "append" if spec.is_empty() => Ok(block.to_owned()),
        "append" => Ok(format!("{spec}\n{block}")),
        "tables" => {
            let mut lines: Vec<String> = spec.lines().map(str::to_owned).collect();
            let shown: Vec<String> = block
                .lines()
                .filter(|line| !line.starts_with("# ("))
                .map(str::to_owned)
                .collect();
            let mut index = 0;
            while index < shown.len() {
                let Some(range) = table_lines(&shown, &shown[index]).filter(|r| r.start == index)
                else {
                    index += 1;
                    continue;
                };
                let header = &shown[index];
                let target = table_lines(&lines, header)
                    .ok_or_else(|| format!("the spec so far has no table {header}"))?;
                index = range.end;
                lines.splice(target, shown[range].iter().cloned());
            }
            Ok(lines.iter().map(|line| format!("{line}\n")).collect())
        }
        other => match other.strip_prefix("before ") {
            // The block goes in before the first line that reads `line`,
            // with a blank line after it.
            Some(line) => {
                let at = spec
                    .lines()
                    .position(|l| l == line)
                    .ok_or_else(|| format!("the spec so far has no line `{line}`"))?;
                let mut lines: Vec<String> = spec.lines().map(str::to_owned).collect();
                let mut inserted: Vec<String> = block.lines().map(str::to_owned).collect();
                inserted.push(String::new());
                lines.splice(at..at, inserted);
                Ok(lines.iter().map(|line| format!("{line}\n")).collect())
            }
            None => Err(format!(
                "unknown spec step `{other}` (known: append, tables, before LINE)"
            )),
        },
    }
}

#[test]
fn following_the_tutorial_step_by_step_builds_the_whole_spec() {
    let tutorial = read(&workspace().join("docs/tutorial.md"));
    let steps = spec_steps(&tutorial).expect("the tutorial's spec steps");
    assert!(steps.len() > 1, "the tutorial marks its spec steps");
    let mut spec = String::new();
    for (kind, block) in &steps {
        spec = apply_step(&spec, kind, block).unwrap_or_else(|e| panic!("{e}\n{block}"));
    }
    let example = read(&workspace().join("docs/examples/taskpad/taskpad.toml"));
    let first_difference = spec
        .lines()
        .zip(example.lines())
        .position(|(built, whole)| built != whole)
        .unwrap_or(spec.lines().count().min(example.lines().count()));
    assert!(
        spec == example,
        "the spec that docs/tutorial.md's steps build (`<!-- spec-step: … -->` blocks) differs from \
         docs/examples/taskpad/taskpad.toml from line {}: {:?} where the whole spec has {:?}",
        first_difference + 1,
        spec.lines().nth(first_difference),
        example.lines().nth(first_difference),
    );
}

#[test]
fn a_tables_step_replaces_whole_tables_only() {
    let spec = "# top\n[a]\nx = 1\n\n[a.b]\ny = 2\n\n# next\n[c]\nz = 3\n";
    let edited = apply_step(
        spec,
        "tables",
        "[a]\nx = 1\nw = 0\n\n# (a.b, unchanged)\n\n[c]\nz = 4\n",
    )
    .expect("known tables");
    assert_eq!(
        edited,
        "# top\n[a]\nx = 1\nw = 0\n\n[a.b]\ny = 2\n\n# next\n[c]\nz = 4\n"
    );
    assert!(apply_step(spec, "tables", "[d]\n").is_err());
    assert_eq!(
        apply_step(spec, "append", "[d]\n").expect("append"),
        format!("{spec}\n[d]\n")
    );
}

#[test]
fn a_changed_block_is_reported_and_rewritten() {
    let page = "Intro\n\n<!-- include: examples/src/bin/list-tasks.rs#from_a_service -->\n```rust\nstale();\n```\n\n```rust\nloose();\n```\n";
    let (updated, problems) = check_page(page);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("line 4: the block differs"),
        "{problems:?}"
    );
    assert!(
        problems[1].contains("line 8: a Rust block without"),
        "{problems:?}"
    );
    let source = excerpt("examples/src/bin/list-tasks.rs#from_a_service").expect("the region");
    assert!(source.starts_with("// Once per connector"), "{source}");
    assert!(
        updated.contains(&format!("```rust\n{source}```\n")),
        "{updated}"
    );
    assert!(updated.ends_with("```rust\nloose();\n```\n"), "{updated}");
    let (again, problems) = check_page(&updated);
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert_eq!(again, updated);
}
