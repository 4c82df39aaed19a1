//! A `TokenStore` of a service's own: tokens kept as JSON text by key, the
//! way a database table would keep them, with a lock per key.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use patchbay_runtime::{Error, StoreFuture, StoreLease, StoredToken, TokenStore};
use tokio::sync::{Mutex as AsyncMutex, OwnedMutexGuard};

// ANCHOR: token_store
/// Tokens of authorization-code connections, by connection key. This one
/// lives in memory and locks within one process; a service that runs
/// several processes keeps the rows in its database and takes a database
/// lock (e.g. `SELECT … FOR UPDATE` in a transaction the lease holds) in
/// `lock`, or uses `patchbay-redis`.
#[derive(Debug, Default)]
pub(crate) struct MemoryTokenStore {
    rows: Rows,
    locks: Mutex<HashMap<String, Arc<AsyncMutex<()>>>>,
}

/// Rows of JSON text by key.
type Rows = Arc<Mutex<HashMap<String, String>>>;

/// A held lock on one key: the only way to change its row. Dropping it
/// releases the key.
struct KeyLease {
    rows: Rows,
    key: String,
    _held: OwnedMutexGuard<()>,
}

impl StoreLease for KeyLease {
    fn save<'a>(&'a self, token: &'a StoredToken) -> StoreFuture<'a, ()> {
        Box::pin(async move {
            // A real store encrypts the row at rest: it holds credentials.
            let json = serde_json::to_string(token).map_err(|e| Error::Store(e.to_string()))?;
            guard(&self.rows).insert(self.key.clone(), json);
            Ok(())
        })
    }

    fn delete(&self) -> StoreFuture<'_, ()> {
        Box::pin(async move {
            guard(&self.rows).remove(&self.key);
            Ok(())
        })
    }
}

impl TokenStore for MemoryTokenStore {
    fn load<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Option<StoredToken>> {
        Box::pin(async move {
            let rows = guard(&self.rows);
            let json = rows.get(key);
            json.map(|j| serde_json::from_str(j).map_err(|e| Error::Store(e.to_string())))
                .transpose()
        })
    }

    fn lock<'a>(&'a self, key: &'a str) -> StoreFuture<'a, Box<dyn StoreLease>> {
        Box::pin(async move {
            let lock = Arc::clone(guard(&self.locks).entry(key.to_owned()).or_default());
            let lease = KeyLease {
                rows: Arc::clone(&self.rows),
                key: key.to_owned(),
                _held: lock.lock_owned().await,
            };
            Ok(Box::new(lease) as Box<dyn StoreLease>)
        })
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
    use std::time::Duration;

    use patchbay_runtime::Result;

    use super::*;

    fn token(access_token: &str) -> StoredToken {
        StoredToken {
            access_token: access_token.to_owned(),
            refresh_token: Some("refresh".to_owned()),
            token_type: Some("Bearer".to_owned()),
            expires_at: Some(1_900_000_000),
            expires_at_millis: None,
            lifetime: None,
            scope: None,
            captures: Default::default(),
            discovered: Default::default(),
            candidates: Vec::new(),
        }
    }

    async fn save(store: &MemoryTokenStore, key: &str, token: &StoredToken) -> Result<()> {
        let lease = store.lock(key).await?;
        lease.save(token).await?;
        lease.release().await
    }

    #[tokio::test]
    async fn saves_loads_and_deletes_by_key() -> Result<()> {
        let store = MemoryTokenStore::default();
        assert_eq!(store.load("taskpad/login/1").await?, None);
        save(&store, "taskpad/login/1", &token("first")).await?;
        save(&store, "taskpad/login/2", &token("other")).await?;
        save(&store, "taskpad/login/1", &token("second")).await?;
        assert_eq!(store.load("taskpad/login/1").await?, Some(token("second")));
        store.lock("taskpad/login/1").await?.delete().await?;
        assert_eq!(store.load("taskpad/login/1").await?, None);
        assert_eq!(store.load("taskpad/login/2").await?, Some(token("other")));
        Ok(())
    }

    #[tokio::test]
    async fn a_lease_excludes_others_on_its_key_until_released() -> Result<()> {
        let store = Arc::new(MemoryTokenStore::default());
        let held = store.lock("a").await?;
        // Another key is independent.
        store.lock("b").await?.release().await?;
        let waiter = {
            let store = Arc::clone(&store);
            tokio::spawn(async move { store.lock("a").await.map(drop) })
        };
        tokio::time::sleep(Duration::from_millis(200)).await;
        assert!(!waiter.is_finished(), "the second lease must wait");
        held.release().await?;
        tokio::time::timeout(Duration::from_secs(5), waiter)
            .await
            .map_err(|_| Error::Store("the waiter never got the lease".into()))?
            .map_err(|e| Error::Store(e.to_string()))??;
        Ok(())
    }
}
