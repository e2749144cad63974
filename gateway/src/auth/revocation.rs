//! Revoked token ids: persisted in SQLite, mirrored in memory for the request path.
//!
//! A revocation through the API takes effect at once in this process. One made by another
//! process (`rappu token revoke` on the same data directory) is picked up by
//! [`RevocationList::refresh`], which the gateway runs every `auth.revocation_refresh_secs`.

use std::collections::HashSet;
use std::sync::atomic::{AtomicI64, Ordering};
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
}

impl RevocationList {
    /// Loads every revocation from `store`.
    pub async fn load(store: &Store) -> Result<Self, StoreError> {
        let list = Self::default();
        list.refresh(store).await?;
        Ok(list)
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
        self.inner
            .ids
            .write()
            .unwrap_or_else(|p| p.into_inner())
            .insert(jti);
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
        self.inner.watermark.fetch_max(newest, Ordering::AcqRel);
        Ok(added)
    }
}
