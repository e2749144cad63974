//! Revoked token ids: persisted in SQLite, mirrored in memory for the request path.
//!
//! A revocation through the API takes effect at once in this process. One made by another
//! process (`rappu token revoke` on the same data directory) is picked up by
//! [`RevocationList::refresh`], which the gateway runs every `auth.revocation_refresh_secs`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::store::{Store, StoreError};

/// The set of revoked `jti`s; cheap to clone.
#[derive(Clone, Debug, Default)]
pub struct RevocationList {
    inner: Arc<Inner>,
}

#[derive(Debug, Default)]
struct Inner {
    ids: RwLock<HashSet<String>>,
    /// Newest `revoked_at` read from the store; the next refresh reads from here on.
    watermark: AtomicI64,
    /// Bumped after every id added: a check made at one version holds until it changes.
    version: AtomicU64,
}

impl RevocationList {
    /// Loads every revocation from `store`.
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let list = Self::default();
        list.refresh(store).await?;
        Ok(list)
    }

    /// Changes whenever an id is added (after it is in the set). A caller that found a
    /// token not revoked at version `v` knows it still is not while `version()` is `v`,
    /// without taking the lock or hashing the id again.
    pub fn version(&self) -> u64 {
        self.inner.version.load(Ordering::Acquire)
    }

    /// Whether `jti` is revoked.
    pub fn contains(&self, jti: &str) -> bool {
        self.inner
            .ids
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .contains(jti)
    }

    /// Marks `jti` revoked in memory (the caller has stored it).
    pub fn insert(&self, jti: String) {
        let added = self
            .inner
            .ids
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(jti);
        if added {
            self.inner.version.fetch_add(1, Ordering::AcqRel);
        }
    }

    /// Reads revocations recorded since the last refresh (re-reading the last second, so
    /// two revocations within one second are never missed).
    pub async fn refresh(&self, store: &Store) -> Result<usize, StoreError> {
        let since = self.inner.watermark.load(Ordering::Acquire);
        let (ids, newest) = store.revoked_since(since).await?;
        let added = {
            let mut set = self.inner.ids.write().unwrap_or_else(|p| p.into_inner());
            ids.into_iter().filter(|id| set.insert(id.clone())).count()
        };
        if added > 0 {
            self.inner.version.fetch_add(1, Ordering::AcqRel);
        }
        self.inner.watermark.fetch_max(newest, Ordering::AcqRel);
        Ok(added)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_version_changes_only_when_an_id_is_added() {
        let list = RevocationList::default();
        let start = list.version();
        assert!(!list.contains("a"));
        list.insert("a".into());
        assert!(list.contains("a"));
        let after_one = list.version();
        assert_ne!(after_one, start);
        list.insert("a".into());
        assert_eq!(list.version(), after_one, "a repeated id changes nothing");
        list.insert("b".into());
        assert_ne!(list.version(), after_one);
    }
}
