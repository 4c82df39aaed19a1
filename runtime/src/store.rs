//! Token stores: where an authorization-code connection keeps its tokens
//! between processes.
//!
//! The default [`FileStore`] keeps one JSON file per connection in the
//! user's data directory, mode 0600, in a folder of mode 0700 that is
//! created only when tokens are first saved (flows that store nothing
//! never need it) and refused when other users can write to it, as ssh
//! refuses such a folder; neither a token file nor a lock file is
//! followed through a symbolic link. Writes are atomic (temporary file,
//! fsync, rename, fsync of the folder), so a process killed mid-write leaves
//! the old tokens or the new ones, never a torn file. A lock file per
//! connection serialises refreshes across processes: the runtime takes it,
//! re-reads the tokens (another process may have refreshed already), and
//! only then refreshes, saving a rotated refresh token before the new
//! access token is used.
//!
//! A service plugs in its own store (a database row per connection, with a
//! row lock or advisory lock as [`TokenStore::lock`]) by implementing the
//! trait.

use std::collections::BTreeMap;
use std::fmt;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, Result};
use crate::private_file;
use crate::secret::Secret;
use crate::token::{LONGEST_LIFETIME, Token, since_epoch};

/// Tokens as stored.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct StoredToken {
    /// The access token.
    pub access_token: String,
    /// The refresh token, if any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
    /// `token_type`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_type: Option<String>,
    /// Expiry, seconds since the Unix epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<u64>,
    /// The lifetime it was issued with, in seconds (absent in stores
    /// written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lifetime: Option<u64>,
    /// Granted scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// Captured fields (from the callback and the token response).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub captures: BTreeMap<String, Value>,
    /// Values found by the method's discovery request, in the order it
    /// captures them (absent in stores written before discovery, which
    /// read as "not discovered yet").
    #[serde(default, skip_serializing_if = "IndexMap::is_empty")]
    pub discovered: IndexMap<String, Value>,
    /// The labels of the entries the discovery chose among, when there
    /// were several.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub candidates: Vec<String>,
}

impl fmt::Debug for StoredToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredToken")
            .field("token_type", &self.token_type)
            .field("expires_at", &self.expires_at)
            .field("scope", &self.scope)
            .field("refreshable", &self.refresh_token.is_some())
            .finish_non_exhaustive()
    }
}

impl From<&Token> for StoredToken {
    fn from(token: &Token) -> Self {
        StoredToken {
            access_token: token.access_token.expose().to_owned(),
            refresh_token: token.refresh_token.as_ref().map(|s| s.expose().to_owned()),
            token_type: token.token_type.clone(),
            expires_at: token
                .expires_at
                .and_then(|at| at.duration_since(UNIX_EPOCH).ok())
                .map(|d| d.as_secs()),
            lifetime: token.lifetime.map(|d| d.as_secs()),
            scope: token.scope.clone(),
            captures: token
                .captures
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
            discovered: token.discovered.clone(),
            candidates: token.candidates.clone(),
        }
    }
}

impl From<StoredToken> for Token {
    fn from(stored: StoredToken) -> Self {
        Token {
            access_token: Secret::new(stored.access_token),
            token_type: stored.token_type,
            // A tampered or foreign store may hold any `u64`.
            expires_at: stored.expires_at.map(|s| since_epoch(SystemTime::now(), s)),
            lifetime: stored
                .lifetime
                .map(|s| Duration::from_secs(s).min(LONGEST_LIFETIME)),
            refresh_token: stored.refresh_token.map(Secret::new),
            scope: stored.scope,
            captures: stored.captures.into_iter().collect::<IndexMap<_, _>>(),
            discovered: stored.discovered,
            candidates: stored.candidates,
        }
    }
}

/// A held cross-process lock; released when dropped.
pub trait StoreLock: Send {}

/// Where tokens are kept. Keys are the connection's identity
/// (`connector/method/instance`). `save` is only called while the key's
/// [`TokenStore::lock`] is held.
///
/// A store of a service's own (a database, Redis) implements it; this one
/// keeps tokens in memory, with a lock per key for one process:
///
/// ```
/// use std::collections::{HashMap, HashSet};
/// use std::sync::{Arc, Condvar, Mutex};
///
/// use patchbay_runtime::{Error, Result, StoreLock, StoredToken, TokenStore};
///
/// #[derive(Debug, Default)]
/// struct MemoryStore {
///     tokens: Mutex<HashMap<String, StoredToken>>,
///     /// Keys whose lock is held, and a signal when one is released.
///     held: Arc<(Mutex<HashSet<String>>, Condvar)>,
/// }
///
/// /// Holds a key's lock until dropped.
/// struct Held {
///     held: Arc<(Mutex<HashSet<String>>, Condvar)>,
///     key: String,
/// }
///
/// impl StoreLock for Held {}
///
/// impl Drop for Held {
///     fn drop(&mut self) {
///         let (keys, released) = &*self.held;
///         if let Ok(mut keys) = keys.lock() {
///             keys.remove(&self.key);
///         }
///         released.notify_all();
///     }
/// }
///
/// fn poisoned(e: impl std::fmt::Display) -> Error {
///     Error::Store(e.to_string())
/// }
///
/// impl TokenStore for MemoryStore {
///     fn load(&self, key: &str) -> Result<Option<StoredToken>> {
///         Ok(self.tokens.lock().map_err(poisoned)?.get(key).cloned())
///     }
///     fn save(&self, key: &str, token: &StoredToken) -> Result<()> {
///         self.tokens.lock().map_err(poisoned)?.insert(key.to_owned(), token.clone());
///         Ok(())
///     }
///     fn delete(&self, key: &str) -> Result<()> {
///         self.tokens.lock().map_err(poisoned)?.remove(key);
///         Ok(())
///     }
///     fn lock(&self, key: &str) -> Result<Box<dyn StoreLock>> {
///         let (keys, released) = &*self.held;
///         let mut keys = keys.lock().map_err(poisoned)?;
///         while keys.contains(key) {
///             keys = released.wait(keys).map_err(poisoned)?;
///         }
///         keys.insert(key.to_owned());
///         Ok(Box::new(Held { held: Arc::clone(&self.held), key: key.to_owned() }))
///     }
/// }
///
/// let store = MemoryStore::default();
/// let _lock = store.lock("shop/code/main")?;
/// assert_eq!(store.load("shop/code/main")?, None);
/// # Ok::<(), Error>(())
/// ```
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The stored tokens, if any.
    fn load(&self, key: &str) -> Result<Option<StoredToken>>;
    /// Replaces the stored tokens, atomically.
    fn save(&self, key: &str, token: &StoredToken) -> Result<()>;
    /// Forgets the tokens.
    fn delete(&self, key: &str) -> Result<()>;
    /// Takes the key's exclusive lock, across processes, blocking until it
    /// is free. Refreshes happen under it.
    fn lock(&self, key: &str) -> Result<Box<dyn StoreLock>>;
}

/// The default store: a folder of JSON files, mode 0600.
///
/// The folder is created (mode 0700) when tokens are first saved or
/// locked; reading from a folder that does not exist finds no tokens. A
/// folder that other users can write to (group- or world-writable) is
/// refused, since they could replace the tokens in it; so are token and
/// lock files that are symbolic links.
///
/// ```no_run
/// # fn example(connection: patchbay_runtime::Connection) -> patchbay_runtime::Result<()> {
/// use std::sync::Arc;
///
/// use patchbay_runtime::FileStore;
///
/// let store = Arc::new(FileStore::default_location()?);
/// let connection = connection.with_store(store, "shopware6/code/main");
/// # let _ = connection;
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct FileStore {
    folder: PathBuf,
}

struct FileLock(#[allow(dead_code)] File);

impl StoreLock for FileLock {}

fn store_error(what: &str, path: &Path, error: impl fmt::Display) -> Error {
    Error::Store(format!("{what} {}: {error}", path.display()))
}

impl FileStore {
    /// A store in `folder`, created (mode 0700) when tokens are first
    /// saved. Nothing is touched yet: a connection that never stores
    /// tokens works even when `folder` cannot be created.
    pub fn new(folder: impl Into<PathBuf>) -> Result<Self> {
        Ok(FileStore {
            folder: folder.into(),
        })
    }

    /// Checks the folder, creating it (mode 0700) if it is missing and
    /// `create` is set. `Ok(false)`: it does not exist (and was not made).
    fn check_folder(&self, create: bool) -> Result<bool> {
        let folder = &self.folder;
        let metadata = match std::fs::metadata(folder) {
            Ok(metadata) => metadata,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound && !create => return Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                let mut builder = std::fs::DirBuilder::new();
                builder.recursive(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::DirBuilderExt;
                    builder.mode(0o700);
                }
                builder
                    .create(folder)
                    .map_err(|e| store_error("cannot create", folder, e))?;
                return Ok(true);
            }
            Err(e) => return Err(store_error("cannot read", folder, e)),
        };
        if !metadata.is_dir() {
            return Err(Error::Store(format!(
                "the token store {} is not a folder; remove it or set PATCHBAY_HOME elsewhere",
                folder.display()
            )));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = metadata.permissions().mode() & 0o777;
            if mode & 0o022 != 0 {
                return Err(Error::Store(format!(
                    "the token store {} is writable by other users (mode {mode:o}): they could replace its tokens; make it private with `chmod 700 {}`",
                    folder.display(),
                    folder.display()
                )));
            }
        }
        Ok(true)
    }

    /// The store in the user's data directory (`$PATCHBAY_HOME/tokens` when
    /// set, else e.g. `~/.local/share/patchbay/tokens` on Linux).
    pub fn default_location() -> Result<Self> {
        let base = match std::env::var_os("PATCHBAY_HOME") {
            Some(home) => PathBuf::from(home),
            None => dirs::data_dir()
                .ok_or_else(|| {
                    Error::Store("no data directory for this user; set PATCHBAY_HOME".into())
                })?
                .join("patchbay"),
        };
        Self::new(base.join("tokens"))
    }

    /// Where a key's tokens are kept.
    pub fn path(&self, key: &str) -> PathBuf {
        self.folder.join(format!("{}.json", file_name(key)))
    }
}

/// An error opening `path` of the store, a symbolic link said as such.
fn open_error(path: &Path, error: std::io::Error) -> Error {
    if private_file::is_symbolic_link(&error) {
        return Error::Store(format!(
            "{} is a symbolic link, which the token store never follows; remove it",
            path.display()
        ));
    }
    store_error("cannot open", path, error)
}

/// A key as a file name: safe characters kept, others replaced.
fn file_name(key: &str) -> String {
    key.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '_'
            }
        })
        .collect()
}

impl TokenStore for FileStore {
    fn load(&self, key: &str) -> Result<Option<StoredToken>> {
        if !self.check_folder(false)? {
            return Ok(None);
        }
        let path = self.path(key);
        let text = match private_file::read_private_file(&path) {
            Ok(Some(text)) => text,
            Ok(None) => return Ok(None),
            Err(e) => return Err(open_error(&path, e)),
        };
        // serde_json's message names the place, never the content.
        serde_json::from_str(&text)
            .map(Some)
            .map_err(|e| store_error("cannot parse", &path, e))
    }

    fn save(&self, key: &str, token: &StoredToken) -> Result<()> {
        self.check_folder(true)?;
        let path = self.path(key);
        let bytes =
            serde_json::to_vec_pretty(token).map_err(|e| store_error("cannot write", &path, e))?;
        private_file::write_private_file(&path, &bytes)
            .map_err(|e| store_error("cannot write", &path, e))
    }

    fn delete(&self, key: &str) -> Result<()> {
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(store_error("cannot delete", &path, e)),
        }
    }

    fn lock(&self, key: &str) -> Result<Box<dyn StoreLock>> {
        self.check_folder(true)?;
        let path = self.folder.join(format!("{}.lock", file_name(key)));
        let file = private_file::lock_private_file(&path).map_err(|e| {
            if private_file::is_symbolic_link(&e) {
                open_error(&path, e)
            } else {
                store_error("cannot lock", &path, e)
            }
        })?;
        // Every save happens under this lock, so a temporary file of this
        // key left now is from a writer that died mid-write: remove it (it
        // holds part of a token).
        let prefix = private_file::temporary_prefix(&self.path(key));
        if let Ok(entries) = std::fs::read_dir(&self.folder) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(&prefix) && name.ends_with(".tmp") {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(Box::new(FileLock(file)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp_store(name: &str) -> FileStore {
        let folder =
            std::env::temp_dir().join(format!("patchbay-store-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        FileStore::new(folder).unwrap()
    }

    fn token(access: &str) -> StoredToken {
        StoredToken {
            access_token: access.into(),
            refresh_token: Some("r-1".into()),
            token_type: Some("Bearer".into()),
            expires_at: Some(2_000_000_000),
            lifetime: Some(3600),
            scope: None,
            captures: BTreeMap::new(),
            discovered: IndexMap::new(),
            candidates: Vec::new(),
        }
    }

    #[test]
    fn saves_loads_and_deletes() {
        let store = temp_store("roundtrip");
        assert_eq!(store.load("a/b/c").unwrap(), None);
        store.save("a/b/c", &token("t-1")).unwrap();
        store.save("a/b/c", &token("t-2")).unwrap();
        assert_eq!(store.load("a/b/c").unwrap(), Some(token("t-2")));
        store.delete("a/b/c").unwrap();
        assert_eq!(store.load("a/b/c").unwrap(), None);
        store.delete("a/b/c").unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn stores_written_before_discovery_still_read() {
        let old = r#"{"access_token":"a","refresh_token":"r","expires_at":1900000000,"captures":{"realm_id":"42"}}"#;
        let stored: StoredToken = serde_json::from_str(old).unwrap();
        assert!(stored.discovered.is_empty() && stored.candidates.is_empty());
        let token = Token::from(stored);
        assert_eq!(token.captures["realm_id"], "42");
        // And a store without discovered values writes none.
        let written = serde_json::to_string(&StoredToken::from(&token)).unwrap();
        assert!(!written.contains("discovered") && !written.contains("candidates"));
    }

    #[test]
    fn files_are_private() {
        use std::os::unix::fs::PermissionsExt;
        let store = temp_store("mode");
        store.save("k", &token("t")).unwrap();
        let mode = std::fs::metadata(store.path("k"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[test]
    fn the_folder_is_made_only_when_tokens_are_saved() {
        let folder =
            std::env::temp_dir().join(format!("patchbay-store-lazy-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&folder);
        let store = FileStore::new(folder.join("tokens")).unwrap();
        assert_eq!(store.load("k").unwrap(), None);
        store.delete("k").unwrap();
        assert!(!folder.exists(), "reading and deleting create nothing");
        store.save("k", &token("t")).unwrap();
        assert_eq!(store.load("k").unwrap(), Some(token("t")));
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_others_can_write_to_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        for mode in [0o777, 0o770, 0o702] {
            let store = temp_store(&format!("shared-{mode:o}"));
            store.save("k", &token("t")).unwrap();
            std::fs::set_permissions(&store.folder, std::fs::Permissions::from_mode(mode)).unwrap();
            let chmod = format!("chmod 700 {}", store.folder.display());
            for error in [
                store.load("k").unwrap_err(),
                store.save("k", &token("t2")).unwrap_err(),
                store.lock("k").err().unwrap(),
            ] {
                let message = error.to_string();
                assert!(message.contains("writable by other users"), "{message}");
                assert!(message.contains(&chmod), "{message}");
            }
            std::fs::set_permissions(&store.folder, std::fs::Permissions::from_mode(0o700))
                .unwrap();
            assert_eq!(store.load("k").unwrap(), Some(token("t")));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_a_symlink_is_refused() {
        let store = temp_store("lock-link");
        std::fs::create_dir_all(&store.folder).unwrap();
        let target = store.folder.join("elsewhere");
        std::os::unix::fs::symlink(&target, store.folder.join("k.lock")).unwrap();
        let message = store.lock("k").err().unwrap().to_string();
        assert!(message.contains("k.lock is a symbolic link"), "{message}");
        assert!(!target.exists(), "nothing is created through the link");
    }

    #[cfg(unix)]
    #[test]
    fn a_token_file_that_is_a_symlink_is_refused() {
        let store = temp_store("token-link");
        std::fs::create_dir_all(&store.folder).unwrap();
        let planted = store.folder.join("planted.json");
        std::fs::write(&planted, serde_json::to_vec(&token("planted")).unwrap()).unwrap();
        std::os::unix::fs::symlink(&planted, store.path("k")).unwrap();
        let message = store.load("k").unwrap_err().to_string();
        assert!(message.contains("k.json is a symbolic link"), "{message}");
    }

    #[test]
    fn debug_hides_the_tokens() {
        let shown = format!("{:?}", token("SENTINEL-access"));
        assert!(
            !shown.contains("SENTINEL") && !shown.contains("r-1"),
            "{shown}"
        );
    }

    #[test]
    fn the_lock_is_exclusive() {
        let store = temp_store("lock");
        let held = store.lock("k").unwrap();
        let store2 = store.clone();
        let (sender, receiver) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _lock = store2.lock("k").unwrap();
            sender.send(()).unwrap();
        });
        assert!(
            receiver.recv_timeout(Duration::from_millis(200)).is_err(),
            "the second lock must wait"
        );
        drop(held);
        receiver.recv_timeout(Duration::from_secs(5)).unwrap();
        waiter.join().unwrap();
    }
}
