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

    /// Calls counted by this process for `account` in `month` (`YYYY-MM`).
    pub fn account_month(&self, account: &str, month: &str) -> u64 {
        self.live
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
            .filter(|(k, _)| k.account == account && k.month == month)
            .map(|(_, n)| n)
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

/// The month a call is counted under, `YYYY-MM` (UTC).
pub fn month_of(at: chrono::DateTime<Utc>) -> String {
    format!("{:04}-{:02}", at.year(), at.month())
}

/// Where an account stands against its monthly budget of calls.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct BudgetState {
    /// Calls this month so far.
    pub used: u64,
    /// The month's budget.
    pub budget: u64,
    /// Calls by the end of the month at this month's pace so far.
    pub projected: u64,
    /// The projection is past 80 % of the budget.
    pub warn: bool,
    /// The budget is spent: only writes and privacy changes go to Tampuuri.
    pub over: bool,
}

/// The monthly budget of Tampuuri calls per account (`usage.monthly_budget_calls`).
#[derive(Clone)]
pub struct Budget {
    inner: Arc<BudgetInner>,
}

struct BudgetInner {
    monthly: u64,
    recorder: UsageRecorder,
    /// Calls recorded before this process started, by (account, month).
    before: Mutex<HashMap<(String, String), u64>>,
    /// Warned about (account, month, kind) already.
    warned: Mutex<std::collections::HashSet<(String, String, &'static str)>>,
}

impl std::fmt::Debug for Budget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Budget")
            .field("monthly", &self.inner.monthly)
            .finish_non_exhaustive()
    }
}

impl Budget {
    /// `monthly` calls per account, counted by `recorder`.
    pub fn new(monthly: u64, recorder: UsageRecorder) -> Self {
        Self {
            inner: Arc::new(BudgetInner {
                monthly,
                recorder,
                before: Mutex::default(),
                warned: Mutex::default(),
            }),
        }
    }

    /// Takes in the calls of this month recorded before this process started (call before
    /// any call is made).
    pub async fn load(&self, store: &Store) -> Result<(), crate::store::StoreError> {
        let month = month_of(Utc::now());
        let rows = store.usage(Some(month)).await?;
        let mut before = self.inner.before.lock().unwrap_or_else(|p| p.into_inner());
        for row in rows {
            *before.entry((row.account, row.month)).or_default() += row.calls;
        }
        Ok(())
    }

    /// Where `account` stands now.
    pub fn state(&self, account: &str) -> BudgetState {
        self.state_at(account, Utc::now())
    }

    fn state_at(&self, account: &str, now: chrono::DateTime<Utc>) -> BudgetState {
        let month = month_of(now);
        let before = self
            .inner
            .before
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .get(&(account.to_owned(), month.clone()))
            .copied()
            .unwrap_or(0);
        let used = before + self.inner.recorder.account_month(account, &month);
        let (elapsed, length) = month_progress(now);
        let projected = if elapsed <= 0.0 {
            used
        } else {
            (used as f64 * length / elapsed).ceil() as u64
        };
        let budget = self.inner.monthly;
        let state = BudgetState {
            used,
            budget,
            projected,
            warn: projected.saturating_mul(10) > budget.saturating_mul(8),
            over: used >= budget,
        };
        self.log(account, &month, &state);
        state
    }

    fn log(&self, account: &str, month: &str, state: &BudgetState) {
        let kind = if state.over {
            "over"
        } else if state.warn {
            "warn"
        } else {
            return;
        };
        let first = self
            .inner
            .warned
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .insert((account.to_owned(), month.to_owned(), kind));
        if !first {
            return;
        }
        if state.over {
            tracing::error!(
                account,
                used = state.used,
                budget = state.budget,
                "the month's Tampuuri budget is spent: only writes and privacy changes go to Tampuuri; everything else is served from the mirror, marked stale"
            );
        } else {
            tracing::warn!(
                account,
                used = state.used,
                projected = state.projected,
                budget = state.budget,
                "Tampuuri calls are on pace past 80 % of the month's budget"
            );
        }
    }

    /// Whether background work that is neither a write nor a privacy change may call
    /// Tampuuri for `account`.
    pub fn allows_background(&self, account: &str) -> bool {
        !self.state(account).over
    }
}

/// Days in the month of `date` (the console charts the month day by day).
pub fn days_in_month(date: chrono::NaiveDate) -> u32 {
    let (y, m) = (date.year(), date.month());
    let next = if m == 12 {
        chrono::NaiveDate::from_ymd_opt(y + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(y, m + 1, 1)
    };
    next.and_then(|n| n.pred_opt())
        .map_or(30, |last| last.day())
}

/// Days of the month elapsed (fractional) and the month's length in days, at `now` (UTC).
fn month_progress(now: chrono::DateTime<Utc>) -> (f64, f64) {
    let start = chrono::NaiveDate::from_ymd_opt(now.year(), now.month(), 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|d| d.and_utc());
    let next = if now.month() == 12 {
        chrono::NaiveDate::from_ymd_opt(now.year() + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(now.year(), now.month() + 1, 1)
    }
    .and_then(|d| d.and_hms_opt(0, 0, 0))
    .map(|d| d.and_utc());
    match (start, next) {
        (Some(start), Some(next)) => {
            let day = 86_400.0;
            (
                (now - start).num_seconds() as f64 / day,
                (next - start).num_seconds() as f64 / day,
            )
        }
        _ => (1.0, 30.0),
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

    #[test]
    fn months_have_their_days() {
        let day = |y, m, d| chrono::NaiveDate::from_ymd_opt(y, m, d).unwrap();
        assert_eq!(days_in_month(day(2026, 11, 16)), 30);
        assert_eq!(days_in_month(day(2026, 12, 31)), 31);
        assert_eq!(days_in_month(day(2028, 2, 3)), 29);
        assert_eq!(days_in_month(day(2027, 2, 3)), 28);
    }

    #[tokio::test]
    async fn the_budget_counts_this_months_calls_from_before_a_restart_and_warns_on_pace() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let earlier = UsageRecorder::start(store.clone());
        for _ in 0..6 {
            earlier.record("demo", "GET kohteet/{id}");
        }
        earlier.flush().await;

        let rec = UsageRecorder::start(store.clone());
        let budget = Budget::new(10, rec.clone());
        budget.load(&store).await.unwrap();
        rec.record("demo", "GET kohteet/{id}");
        rec.record("other", "GET kohteet/{id}");
        let state = budget.state("demo");
        assert_eq!((state.used, state.budget), (7, 10));
        assert!(!state.over);
        assert!(budget.allows_background("demo"));
        for _ in 0..3 {
            rec.record("demo", "GET kohteet/{id}");
        }
        assert!(budget.state("demo").over);
        assert!(!budget.allows_background("demo"));
        assert!(budget.allows_background("other"));

        // 25 calls by the 10th of a 30-day month: 75 at that pace, past 80 % of 90.
        let b = Budget::new(90, UsageRecorder::start(store.clone()));
        b.inner
            .before
            .lock()
            .unwrap()
            .insert(("x".into(), "2026-11".into()), 25);
        let at = chrono::DateTime::parse_from_rfc3339("2026-11-11T00:00:00Z")
            .unwrap()
            .with_timezone(&Utc);
        let s = b.state_at("x", at);
        assert_eq!(s.projected, 75);
        assert!(s.warn && !s.over);
        b.inner
            .before
            .lock()
            .unwrap()
            .insert(("x".into(), "2026-11".into()), 20);
        let s = b.state_at("x", at);
        assert_eq!(s.projected, 60);
        assert!(!s.warn, "{s:?}");
    }
}
