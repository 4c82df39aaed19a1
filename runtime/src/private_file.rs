//! Private files written atomically: what the token store and the CLI's
//! state file share. Files are created with mode 0600 and never opened
//! through a symbolic link (whoever could plant one would choose where
//! the content is read from or written to); a write goes to a temporary
//! file next to the target, is synced, renamed over the target and the
//! folder synced, so a process killed mid-write leaves the old content or
//! the new, never a torn file.

use std::fs::{File, OpenOptions};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

/// Options that create files with mode 0600 and never follow a symbolic
/// link.
fn options() -> OpenOptions {
    let mut options = OpenOptions::new();
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600).custom_flags(libc::O_NOFOLLOW);
    }
    options
}

/// Whether an error opening a file is its being a symbolic link.
pub(crate) fn is_symbolic_link(error: &std::io::Error) -> bool {
    #[cfg(unix)]
    {
        error.raw_os_error() == Some(libc::ELOOP)
    }
    #[cfg(not(unix))]
    {
        let _ = error;
        false
    }
}

/// The temporary files of a write to `path` start with this (so that a
/// holder of the target's lock can remove those a dead writer left).
pub(crate) fn temporary_prefix(path: &Path) -> String {
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    format!(".{name}.")
}

fn temporary_path(path: &Path) -> PathBuf {
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default()
        .as_nanos();
    path.with_file_name(format!(
        "{}{}.{nanos}.tmp",
        temporary_prefix(path),
        std::process::id()
    ))
}

/// Reads a private file; `Ok(None)` when it does not exist. A symbolic
/// link is an error.
///
/// ```
/// let path = std::env::temp_dir().join(format!("patchbay-doc-read-{}", std::process::id()));
/// assert_eq!(patchbay_runtime::read_private_file(&path)?, None);
/// patchbay_runtime::write_private_file(&path, b"{}")?;
/// assert_eq!(patchbay_runtime::read_private_file(&path)?.as_deref(), Some("{}"));
/// # std::fs::remove_file(&path)?;
/// # Ok::<(), std::io::Error>(())
/// ```
pub fn read_private_file(path: &Path) -> std::io::Result<Option<String>> {
    let mut file = match options().read(true).open(path) {
        Ok(file) => file,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let mut text = String::new();
    file.read_to_string(&mut text)?;
    Ok(Some(text))
}

/// Replaces `path` with `bytes` atomically (mode 0600): a temporary file
/// in the same folder, fsync, rename, fsync of the folder. On failure the
/// temporary file is removed and `path` is as it was.
pub fn write_private_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let temporary = temporary_path(path);
    let write = || -> std::io::Result<()> {
        let mut file = options().write(true).create_new(true).open(&temporary)?;
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&temporary, path)?;
        // The rename itself is durable once the folder is synced.
        let folder = match path.parent() {
            Some(folder) if !folder.as_os_str().is_empty() => folder,
            _ => Path::new("."),
        };
        File::open(folder)?.sync_all()
    };
    write().inspect_err(|_| {
        let _ = std::fs::remove_file(&temporary);
    })
}

/// Takes the exclusive lock of the lock file `path` (created mode 0600,
/// never through a symbolic link), blocking until it is free, across
/// processes. The lock is released when the returned file is dropped.
pub fn lock_private_file(path: &Path) -> std::io::Result<File> {
    let file = options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(path)?;
    file.lock()?;
    Ok(file)
}
