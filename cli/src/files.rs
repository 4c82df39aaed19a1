//! Finding the spec files a `lint` names (and `-`, stdin).

use std::path::{Path, PathBuf};

use anyhow::{Context, bail};

/// Folders never searched: version control, build output, dependencies.
const SKIPPED_FOLDERS: &[&str] = &["target", "node_modules"];

/// The path that stands for stdin.
const STDIN: &str = "-";

/// One spec to lint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Input {
    /// The spec read from stdin.
    Stdin,
    /// A spec file.
    File(PathBuf),
}

/// The specs to lint: each file named, stdin for `-` (once), and every
/// `.toml` and `.json` file below each folder named (hidden folders
/// skipped), sorted per folder.
pub(crate) fn collect(paths: &[PathBuf]) -> anyhow::Result<Vec<Input>> {
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
            let mut found = Vec::new();
            walk(path, &mut found)?;
            found.sort();
            files.extend(found.into_iter().map(Input::File));
        } else {
            files.push(Input::File(path.clone()));
        }
    }
    if files.is_empty() {
        bail!("no .toml or .json files found in {}", display_list(paths));
    }
    Ok(files)
}

fn walk(folder: &Path, files: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let entries = std::fs::read_dir(folder)
        .with_context(|| format!("cannot read folder {}", folder.display()))?;
    for entry in entries {
        let entry = entry.with_context(|| format!("cannot read folder {}", folder.display()))?;
        let path = entry.path();
        let name = entry.file_name();
        let name = name.to_string_lossy();
        let file_type = entry
            .file_type()
            .with_context(|| format!("cannot read {}", path.display()))?;
        if file_type.is_dir() {
            if !name.starts_with('.') && !SKIPPED_FOLDERS.contains(&name.as_ref()) {
                walk(&path, files)?;
            }
        } else if is_spec_file(&path) {
            files.push(path);
        }
    }
    Ok(())
}

fn is_spec_file(path: &Path) -> bool {
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
