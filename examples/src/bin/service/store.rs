//! A `TokenStore` of a service's own: tokens kept as JSON text by key, the
//! way a database table would keep them, with a lock per key.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};

use patchbay_runtime::{Error, Result, StoreLock, StoredToken, TokenStore};

// ANCHOR: token_store
/// Tokens of authorization-code connections, by connection key. This one
/// lives in memory and locks within one process; a service that runs
/// several processes keeps the rows in its database and takes a database
/// lock (e.g. a Postgres advisory lock) in `lock`.
#[derive(Debug, Default)]
pub(crate) struct MemoryTokenStore {
    rows: Mutex<HashMap<String, String>>,
    locks: Arc<KeyLocks>,
}

/// The keys whose lock is held, and a signal for those waiting on one.
#[derive(Debug, Default)]
struct KeyLocks {
    held: Mutex<HashSet<String>>,
    released: Condvar,
}

/// A held lock on one key; dropping it releases the key.
struct KeyLock {
    locks: Arc<KeyLocks>,
    key: String,
}

impl StoreLock for KeyLock {}

impl Drop for KeyLock {
    fn drop(&mut self) {
        guard(&self.locks.held).remove(&self.key);
        self.locks.released.notify_all();
    }
}

impl TokenStore for MemoryTokenStore {
    fn load(&self, key: &str) -> Result<Option<StoredToken>> {
        let rows = guard(&self.rows);
        let json = rows.get(key);
        json.map(|j| serde_json::from_str(j).map_err(|e| Error::Store(e.to_string())))
            .transpose()
    }

    fn save(&self, key: &str, token: &StoredToken) -> Result<()> {
        // A real store encrypts the row at rest: it holds credentials.
        let json = serde_json::to_string(token).map_err(|e| Error::Store(e.to_string()))?;
        guard(&self.rows).insert(key.to_owned(), json);
        Ok(())
    }

    fn delete(&self, key: &str) -> Result<()> {
        guard(&self.rows).remove(key);
        Ok(())
    }

    fn lock(&self, key: &str) -> Result<Box<dyn StoreLock>> {
        let mut held = guard(&self.locks.held);
        while held.contains(key) {
            held = self
                .locks
                .released
                .wait(held)
                .map_err(|_| Error::Store("the lock table was poisoned".to_owned()))?;
        }
        held.insert(key.to_owned());
        Ok(Box::new(KeyLock {
            locks: Arc::clone(&self.locks),
            key: key.to_owned(),
        }))
    }
}
// ANCHOR_END: token_store

/// Locks a table; one left by a panicking thread still holds whole rows.
fn guard<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use std::sync::mpsc;
    use std::time::Duration;

    use super::*;

    fn token(access_token: &str) -> StoredToken {
        StoredToken {
            access_token: access_token.to_owned(),
            refresh_token: Some("refresh".to_owned()),
            token_type: Some("Bearer".to_owned()),
            expires_at: Some(1_900_000_000),
            lifetime: None,
            scope: None,
            captures: Default::default(),
            discovered: Default::default(),
            candidates: Vec::new(),
        }
    }

    #[test]
    fn saves_loads_and_deletes_by_key() {
        let store = MemoryTokenStore::default();
        assert_eq!(store.load("taskpad/login/1").unwrap(), None);
        store.save("taskpad/login/1", &token("first")).unwrap();
        store.save("taskpad/login/2", &token("other")).unwrap();
        store.save("taskpad/login/1", &token("second")).unwrap();
        assert_eq!(
            store.load("taskpad/login/1").unwrap(),
            Some(token("second"))
        );
        store.delete("taskpad/login/1").unwrap();
        assert_eq!(store.load("taskpad/login/1").unwrap(), None);
        assert_eq!(store.load("taskpad/login/2").unwrap(), Some(token("other")));
    }

    #[test]
    fn a_lock_excludes_others_on_its_key_until_dropped() {
        let store = Arc::new(MemoryTokenStore::default());
        let held = store.lock("a").unwrap();
        // Another key is independent.
        drop(store.lock("b").unwrap());

        let (taken, acquired) = mpsc::channel();
        let waiter = {
            let store = Arc::clone(&store);
            std::thread::spawn(move || {
                let _lock = store.lock("a").unwrap();
                taken.send(()).unwrap();
            })
        };
        assert!(acquired.recv_timeout(Duration::from_millis(200)).is_err());
        drop(held);
        acquired.recv_timeout(Duration::from_secs(5)).unwrap();
        waiter.join().unwrap();
    }
}
