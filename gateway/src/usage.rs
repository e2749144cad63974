//! Every upstream call, counted by account, month and route: Tampuuri bills per call.
//!
//! The client records a call with [`UsageRecorder::record`] (no I/O on the request path); a
//! writer task adds the counts to SQLite in batches, so they survive a restart. The live
//! in-memory totals answer "how many calls so far" without touching the database.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use chrono::{Datelike, Utc};
use tokio::sync::{mpsc, oneshot};

use crate::store::Store;
use crate::store::usage::UsageRow;

/// The key a call is counted under.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct Key {
    account: String,
    month: String,
    /// `YYYY-MM-DD` (UTC): the console charts the month by day.
    day: String,
    route: &'static str,
}

enum Msg {
    Call(Key),
    Flush(oneshot::Sender<()>),
}

/// Records upstream calls; cheap to clone.
#[derive(Clone)]
pub struct UsageRecorder {
    tx: mpsc::UnboundedSender<Msg>,
    live: Arc<Mutex<HashMap<Key, u64>>>,
}

impl std::fmt::Debug for UsageRecorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UsageRecorder").finish_non_exhaustive()
    }
}

impl UsageRecorder {
    /// A recorder writing to `store` from a background task (which ends when the last
    /// recorder is dropped). Call [`UsageRecorder::flush`] at shutdown.
    pub fn start(store: Store) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(write_loop(store, rx));
        Self {
            tx,
            live: Arc::default(),
        }
    }

    /// Counts one call of `route` (a label like `GET kohteet/{id}`) for `account`.
    pub fn record(&self, account: &str, route: &'static str) {
        let now = Utc::now();
        let key = Key {
            account: account.to_owned(),
            month: format!("{:04}-{:02}", now.year(), now.month()),
            day: format!("{:04}-{:02}-{:02}", now.year(), now.month(), now.day()),
            route,
        };
        *self
            .live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .entry(key.clone())
            .or_default() += 1;
        // The writer lives as long as the app; a send can fail only during shutdown.
        let _ = self.tx.send(Msg::Call(key));
    }

    /// Calls counted by this process since it started, over all accounts and routes.
    pub fn total(&self) -> u64 {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .values()
            .sum()
    }

    /// Calls counted by this process for `route`, over all accounts.
    pub fn route_total(&self, route: &str) -> u64 {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(k, _)| k.route == route)
            .map(|(_, n)| n)
            .sum()
    }

    /// Waits until everything recorded so far is in the database.
    pub async fn flush(&self) {
        let (tx, rx) = oneshot::channel();
        if self.tx.send(Msg::Flush(tx)).is_ok() {
            let _ = rx.await;
        }
    }
}

async fn write_loop(store: Store, mut rx: mpsc::UnboundedReceiver<Msg>) {
    let mut batch: HashMap<Key, u64> = HashMap::new();
    let mut waiters = Vec::new();
    while let Some(first) = rx.recv().await {
        let mut next = Some(first);
        // Take everything already queued: one transaction per burst, not per call.
        while let Some(msg) = next {
            match msg {
                Msg::Call(key) => *batch.entry(key).or_default() += 1,
                Msg::Flush(done) => waiters.push(done),
            }
            next = rx.try_recv().ok();
        }
        if !batch.is_empty() {
            let mut months: HashMap<(String, String, &'static str), u64> = HashMap::new();
            let mut days = Vec::with_capacity(batch.len());
            for (k, calls) in batch.drain() {
                *months
                    .entry((k.account.clone(), k.month, k.route))
                    .or_default() += calls;
                days.push(UsageRow {
                    account: k.account,
                    month: k.day,
                    route: k.route.to_owned(),
                    calls,
                });
            }
            let rows = months
                .into_iter()
                .map(|((account, month, route), calls)| UsageRow {
                    account,
                    month,
                    route: route.to_owned(),
                    calls,
                })
                .collect();
            if let Err(e) = store.add_usage(rows, days).await {
                tracing::error!(error = %e, "could not record upstream usage");
            }
        }
        for done in waiters.drain(..) {
            let _ = done.send(());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn counts_survive_in_the_store() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let rec = UsageRecorder::start(store.clone());
        for _ in 0..3 {
            rec.record("demo", "GET kohteet/{id}");
        }
        rec.record("toinen", "POST ilmoitukset/selaa");
        rec.flush().await;
        assert_eq!(rec.total(), 4);
        assert_eq!(rec.route_total("GET kohteet/{id}"), 3);
        let rows = store.usage(None).await.unwrap();
        let calls: Vec<_> = rows.iter().map(|r| (r.account.as_str(), r.calls)).collect();
        assert_eq!(calls, vec![("demo", 3), ("toinen", 1)]);
        let month = rows[0].month.clone();
        let days = store
            .daily_usage("demo".into(), month.clone())
            .await
            .unwrap();
        assert_eq!(days.len(), 1);
        assert_eq!(days[0].calls, 3);
        assert!(days[0].month.starts_with(&format!("{month}-")));
    }
}
