//! Every call an app makes, counted by app, month and route: in memory on the request
//! path, added to SQLite every few seconds and at shutdown (`app_calls`).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::store::apps::CallCount;
use crate::store::{Store, StoreError};

type Key = (String, String, String);

/// Pending counts; cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct AppCalls {
    pending: Arc<Mutex<HashMap<Key, (u64, i64)>>>,
}

impl AppCalls {
    /// Counts one call of `client_id` to `route` (a route template, `GET /api/v1/...`).
    pub fn record(&self, client_id: &str, route: &str) {
        let now = chrono::Utc::now();
        let key = (
            client_id.to_owned(),
            now.format("%Y-%m").to_string(),
            route.to_owned(),
        );
        let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
        let entry = pending.entry(key).or_insert((0, 0));
        entry.0 += 1;
        entry.1 = now.timestamp();
    }

    /// Writes the pending counts to `store` (put back if that fails).
    pub async fn flush(&self, store: &Store) -> Result<(), StoreError> {
        let taken: Vec<CallCount> = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending
                .drain()
                .map(|((client_id, month, route), (calls, last_at))| CallCount {
                    client_id,
                    month,
                    route,
                    calls,
                    last_at,
                })
                .collect()
        };
        if taken.is_empty() {
            return Ok(());
        }
        let written = taken.clone();
        let result = store
            .apps(move |c| crate::store::apps::add_calls(c, &written))
            .await;
        if result.is_err() {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            for c in taken {
                let entry = pending
                    .entry((c.client_id, c.month, c.route))
                    .or_insert((0, 0));
                entry.0 += c.calls;
                entry.1 = entry.1.max(c.last_at);
            }
        }
        result
    }
}
