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
use std::pin::Pin;
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
    /// The milliseconds past `expires_at`'s second: processes sharing
    /// tokens that live a second or two must agree on when they expire
    /// (absent in stores written before it was kept, which read as 0).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at_millis: Option<u16>,
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
        let expires_at = token
            .expires_at
            .and_then(|at| at.duration_since(UNIX_EPOCH).ok());
        StoredToken {
            access_token: token.access_token.expose().to_owned(),
            refresh_token: token.refresh_token.as_ref().map(|s| s.expose().to_owned()),
            token_type: token.token_type.clone(),
            expires_at: expires_at.map(|d| d.as_secs()),
            expires_at_millis: expires_at.map(|d| u16::try_from(d.subsec_millis()).unwrap_or(999)),
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
            expires_at: stored.expires_at.map(|s| {
                let millis = stored.expires_at_millis.unwrap_or(0).min(999);
                since_epoch(SystemTime::now(), s) + Duration::from_millis(millis.into())
            }),
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

/// What a [`TokenStore`] or [`StoreLease`] method returns: a boxed future,
/// so that stores stay usable as `Arc<dyn TokenStore>`.
pub type StoreFuture<'a, T> = Pin<Box<dyn Future<Output = Result<T>> + Send + 'a>>;

/// A held lease on one key's tokens, across processes: the only way to
/// change them. A store whose lease can expire (Redis) refuses a write
/// through a lease it no longer holds, so a worker that stalled past its
/// lease cannot overwrite the tokens its successor saved.
///
/// Dropping a lease releases it too, perhaps later; [`StoreLease::release`]
/// releases it now.
pub trait StoreLease: Send + Sync {
    /// Replaces the stored tokens, atomically.
    fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()>;
    /// Forgets the stored tokens.
    fn delete(&self) -> StoreFuture<'_, ()>;
    /// Releases the lease, so that a waiting process takes it at once.
    fn release(self: Box<Self>) -> StoreFuture<'static, ()> {
        drop(self);
        Box::pin(std::future::ready(Ok(())))
    }
}

/// Where tokens are kept. Keys are the connection's identity
/// (`connector/method/instance`). Tokens change only through the key's
/// [`TokenStore::lock`], which the runtime takes before it logs in,
/// refreshes, requests a shared token or logs out, and under which it
/// re-reads the tokens first: concurrent processes make one token request.
///
/// A store of a service's own (a database row with a row lock, Redis)
/// implements it; the methods return boxed futures. This one keeps tokens
/// in memory, with a lease per key for one process:
///
/// ```
/// use std::collections::HashMap;
/// use std::sync::{Arc, Mutex};
///
/// use patchbay_runtime::{Error, StoreFuture, StoreLease, StoredToken, TokenStore};
/// use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};
///
/// type Rows = Arc<Mutex<HashMap<String, StoredToken>>>;
///
/// #[derive(Debug, Default)]
/// struct MemoryStore {
///     rows: Rows,
///     /// One lock per key.
///     locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
/// }
///
/// /// Holds a key's lock until dropped.
/// struct Held {
///     rows: Rows,
///     key: String,
///     _guard: OwnedMutexGuard<()>,
/// }
///
/// fn poisoned(e: impl std::fmt::Display) -> Error {
///     Error::Store(e.to_string())
/// }
///
/// impl StoreLease for Held {
///     fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()> {
///         Box::pin(async move {
///             self.rows.lock().map_err(poisoned)?.insert(self.key.clone(), token.clone());
///             Ok(())
///         })
///     }
///     fn delete(&self) -> StoreFuture<'_, ()> {
///         Box::pin(async move {
///             self.rows.lock().map_err(poisoned)?.remove(&self.key);
///             Ok(())
///         })
///     }
/// }
///
/// impl TokenStore for MemoryStore {
///     fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
///         Box::pin(async move { Ok(self.rows.lock().map_err(poisoned)?.get(key).cloned()) })
///     }
///     fn lock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Box<dyn StoreLease>> {
///         Box::pin(async move {
///             let lock = Arc::clone(
///                 self.locks.lock().map_err(poisoned)?.entry(key.to_owned()).or_default(),
///             );
///             let guard = lock.lock_owned().await;
///             let held = Held { rows: Arc::clone(&self.rows), key: key.to_owned(), _guard: guard };
///             Ok(Box::new(held) as Box<dyn StoreLease>)
///         })
///     }
/// }
///
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let store = MemoryStore::default();
/// let lease = store.lock("shop/code/main").await?;
/// assert_eq!(store.load("shop/code/main").await?, None);
/// lease.release().await?;
/// # Ok::<(), Error>(())
/// # }).unwrap();
/// ```
pub trait TokenStore: Send + Sync + fmt::Debug {
    /// The stored tokens, if any.
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>>;
    /// Takes the key's exclusive lease, across processes, waiting until it
    /// is free.
    fn lock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Box<dyn StoreLease>>;
    /// Whether processes share this store, so that tokens a method
    /// requests with the instance's values (client credentials) are kept
    /// in it and requested once for all of them. A store on one machine
    /// (the CLI's files) says no: such tokens are requested per process
    /// and never written down.
    fn shares_client_tokens(&self) -> bool {
        false
    }
    /// The rate limiter that the processes sharing this store count their
    /// requests with (a Redis store's counts in that Redis), if any. A
    /// connection given the store counts with it under the store key,
    /// unless [`Connection::with_rate_limiter`](crate::Connection::with_rate_limiter)
    /// chose a limiter for it; without one, each connection keeps its own
    /// [`LocalRateLimiter`](crate::LocalRateLimiter).
    fn rate_limiter(&self) -> Option<std::sync::Arc<dyn crate::RateLimiter>> {
        None
    }
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

/// A held lock file of one key, and where its tokens are written.
struct FileLease {
    store: FileStore,
    key: String,
    /// Holds the lock until dropped.
    _lock: File,
}

impl StoreLease for FileLease {
    fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        let (store, key, token) = (self.store.clone(), self.key.clone(), token.clone());
        Box::pin(blocking(move || store.save_blocking(&key, &token)))
    }

    fn delete(&self) -> StoreFuture<'_, ()> {
        let (store, key) = (self.store.clone(), self.key.clone());
        Box::pin(blocking(move || store.delete_now(&key)))
    }
}

/// Runs a file operation off the async workers: a lock file may be held
/// by another process for as long as its refresh takes.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T> + Send + 'static,
) -> Result<T> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| Error::Store(format!("the token store's file task failed: {e}")))?
}

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

    /// The folder patchbay keeps its files in: `$PATCHBAY_HOME` when set,
    /// else the user's data directory's `patchbay` (e.g.
    /// `~/.local/share/patchbay` on Linux); `None` when the user has no
    /// data directory. The default store is its `tokens` folder.
    pub fn home() -> Option<PathBuf> {
        match std::env::var_os("PATCHBAY_HOME") {
            Some(home) => Some(PathBuf::from(home)),
            None => dirs::data_dir().map(|dir| dir.join("patchbay")),
        }
    }

    /// The store in the user's data directory (`$PATCHBAY_HOME/tokens` when
    /// set, else e.g. `~/.local/share/patchbay/tokens` on Linux).
    pub fn default_location() -> Result<Self> {
        let home = Self::home().ok_or_else(|| {
            Error::Store("no data directory for this user; set PATCHBAY_HOME".into())
        })?;
        Self::new(home.join("tokens"))
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

impl FileStore {
    /// The stored tokens, read on this thread: for a program without an
    /// async runtime (the runtime reads through [`TokenStore::load`]).
    pub fn load_blocking(&self, key: &str) -> Result<Option<StoredToken>> {
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

    /// Replaces the stored tokens, atomically, on this thread and without
    /// the key's lock: for a program without an async runtime that knows no
    /// process refreshes them meanwhile (the runtime saves through a
    /// [`StoreLease`]).
    pub fn save_blocking(&self, key: &str, token: &StoredToken) -> Result<()> {
        self.check_folder(true)?;
        let path = self.path(key);
        let bytes =
            serde_json::to_vec_pretty(token).map_err(|e| store_error("cannot write", &path, e))?;
        private_file::write_private_file(&path, &bytes)
            .map_err(|e| store_error("cannot write", &path, e))
    }

    fn delete_now(&self, key: &str) -> Result<()> {
        let path = self.path(key);
        match std::fs::remove_file(&path) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
            Err(e) => Err(store_error("cannot delete", &path, e)),
        }
    }

    fn lock_now(&self, key: &str) -> Result<File> {
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
        Ok(file)
    }
}

impl TokenStore for FileStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        let (store, key) = (self.clone(), key.to_owned());
        Box::pin(blocking(move || store.load_blocking(&key)))
    }

    fn lock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Box<dyn StoreLease>> {
        let (store, key) = (self.clone(), key.to_owned());
        Box::pin(async move {
            let lease = blocking(move || {
                let lock = store.lock_now(&key)?;
                Ok(FileLease {
                    store,
                    key,
                    _lock: lock,
                })
            })
            .await?;
            Ok(Box::new(lease) as Box<dyn StoreLease>)
        })
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
            expires_at_millis: None,
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
        assert_eq!(store.load_blocking("a/b/c").unwrap(), None);
        store.save_blocking("a/b/c", &token("t-1")).unwrap();
        store.save_blocking("a/b/c", &token("t-2")).unwrap();
        assert_eq!(store.load_blocking("a/b/c").unwrap(), Some(token("t-2")));
        store.delete_now("a/b/c").unwrap();
        assert_eq!(store.load_blocking("a/b/c").unwrap(), None);
        store.delete_now("a/b/c").unwrap();
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
        store.save_blocking("k", &token("t")).unwrap();
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
        assert_eq!(store.load_blocking("k").unwrap(), None);
        store.delete_now("k").unwrap();
        assert!(!folder.exists(), "reading and deleting create nothing");
        store.save_blocking("k", &token("t")).unwrap();
        assert_eq!(store.load_blocking("k").unwrap(), Some(token("t")));
        std::fs::remove_dir_all(&folder).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_folder_others_can_write_to_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        for mode in [0o777, 0o770, 0o702] {
            let store = temp_store(&format!("shared-{mode:o}"));
            store.save_blocking("k", &token("t")).unwrap();
            std::fs::set_permissions(&store.folder, std::fs::Permissions::from_mode(mode)).unwrap();
            let chmod = format!("chmod 700 {}", store.folder.display());
            for error in [
                store.load_blocking("k").unwrap_err(),
                store.save_blocking("k", &token("t2")).unwrap_err(),
                store.lock_now("k").unwrap_err(),
            ] {
                let message = error.to_string();
                assert!(message.contains("writable by other users"), "{message}");
                assert!(message.contains(&chmod), "{message}");
            }
            std::fs::set_permissions(&store.folder, std::fs::Permissions::from_mode(0o700))
                .unwrap();
            assert_eq!(store.load_blocking("k").unwrap(), Some(token("t")));
        }
    }

    #[cfg(unix)]
    #[test]
    fn a_lock_file_that_is_a_symlink_is_refused() {
        let store = temp_store("lock-link");
        std::fs::create_dir_all(&store.folder).unwrap();
        let target = store.folder.join("elsewhere");
        std::os::unix::fs::symlink(&target, store.folder.join("k.lock")).unwrap();
        let message = store.lock_now("k").unwrap_err().to_string();
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
        let message = store.load_blocking("k").unwrap_err().to_string();
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
        let held = store.lock_now("k").unwrap();
        let store2 = store.clone();
        let (sender, receiver) = std::sync::mpsc::channel();
        let waiter = std::thread::spawn(move || {
            let _lock = store2.lock_now("k").unwrap();
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
