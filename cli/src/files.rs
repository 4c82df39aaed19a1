//! Finding the files a `lint` names (and `-`, stdin): each file named, and
//! the `.toml` and `.json` files below each folder named, minus what
//! `.gitignore` and `--exclude` leave out.

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use ignore::WalkBuilder;
use ignore::overrides::{Override, OverrideBuilder};

/// Folders never searched: build output, dependencies.
const SKIPPED_FOLDERS: &[&str] = &["target", "node_modules"];

/// The path that stands for stdin.
const STDIN: &str = "-";

/// One file to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// The spec read from stdin.
    Stdin,
    /// A file named on the command line: checked whatever it holds.
    Named(PathBuf),
    /// A file found in a folder: skipped if it is neither a spec nor an
    /// instance (a payload, a schema, a package manifest…).
    Found(PathBuf),
}

/// The files to lint: each file named, stdin for `-` (once), and every
/// `.toml` and `.json` file below each folder named, sorted per folder.
/// Walking skips hidden files and folders, `target` and `node_modules`,
/// what `.gitignore` files ignore (in a git repository or not) and what
/// an `exclude` glob matches (relative to the folder named, gitignore
/// syntax: `drafts/`, `*.json`).
pub(crate) fn collect(paths: &[PathBuf], exclude: &[String]) -> anyhow::Result<Vec<Input>> {
    let mut files = Vec::new();
    for path in paths {
        if path.as_os_str() == STDIN {
            if files.contains(&Input::Stdin) {
                bail!("`-` (stdin) is named twice");
            }
            files.push(Input::Stdin);
            continue;
        }
        let metadata =
            std::fs::metadata(path).with_context(|| format!("cannot read {}", path.display()))?;
        if metadata.is_dir() {
            let mut found = walk(path, exclude)?;
            found.sort();
            files.extend(found.into_iter().map(Input::Found));
        } else {
            files.push(Input::Named(path.clone()));
        }
    }
    if files.is_empty() {
        bail!("no .toml or .json files found in {}", display_list(paths));
    }
    Ok(files)
}

fn walk(folder: &Path, exclude: &[String]) -> anyhow::Result<Vec<PathBuf>> {
    let walker = WalkBuilder::new(folder)
        // `.gitignore` applies outside a git checkout too (a copied
        // folder, a tarball); `.ignore` files and global git settings do not.
        .require_git(false)
        .ignore(false)
        .git_global(false)
        .overrides(excluded(folder, exclude)?)
        .filter_entry(|entry| {
            let is_dir = entry.file_type().is_some_and(|t| t.is_dir());
            !(is_dir && SKIPPED_FOLDERS.contains(&entry.file_name().to_string_lossy().as_ref()))
        })
        .build();
    let mut files = Vec::new();
    for entry in walker {
        let entry = entry.with_context(|| format!("cannot read folder {}", folder.display()))?;
        if entry.file_type().is_some_and(|t| t.is_file()) && is_lintable(entry.path()) {
            files.push(entry.into_path());
        }
    }
    Ok(files)
}

/// The `--exclude` globs as ignore rules (an override glob whitelists;
/// `!` turns it into an ignore).
fn excluded(folder: &Path, exclude: &[String]) -> anyhow::Result<Override> {
    let mut builder = OverrideBuilder::new(folder);
    for glob in exclude {
        builder
            .add(&format!("!{glob}"))
            .with_context(|| format!("invalid --exclude glob `{glob}`"))?;
    }
    builder.build().context("invalid --exclude globs")
}

fn is_lintable(path: &Path) -> bool {
    path.extension()
        .and_then(|e| e.to_str())
        .is_some_and(|e| e.eq_ignore_ascii_case("toml") || e.eq_ignore_ascii_case("json"))
}

fn display_list(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
