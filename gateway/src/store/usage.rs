//! Upstream call counters by account, month and route: the basis of the Tampuuri bill.

use rusqlite::params;

use super::{Store, StoreError};

/// Calls to one route in one month (or, for the daily counters, one day) for one account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct UsageRow {
    /// Tampuuri account.
    pub account: String,
    /// `YYYY-MM` (UTC); `YYYY-MM-DD` in the daily counters.
    pub month: String,
    /// Route template, e.g. `POST ilmoitukset/selaa`.
    pub route: String,
    /// Calls made.
    pub calls: u64,
}

impl Store {
    /// Adds each `(account, month, route, calls)` and each `(account, day, route, calls)` of
    /// `days` in one transaction.
    pub async fn add_usage(
        &self,
        rows: Vec<UsageRow>,
        days: Vec<UsageRow>,
    ) -> Result<(), StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO upstream_calls (account, month, route, calls) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (account, month, route) DO UPDATE SET calls = calls + excluded.calls",
                )?;
                for r in &rows {
                    stmt.execute(params![r.account, r.month, r.route, r.calls as i64])?;
                }
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO upstream_calls_daily (account, day, route, calls) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (account, day, route) DO UPDATE SET calls = calls + excluded.calls",
                )?;
                for r in &days {
                    stmt.execute(params![r.account, r.month, r.route, r.calls as i64])?;
                }
            }
            tx.commit()
        })
        .await
    }

    /// The daily counters of `account` in `month` (`YYYY-MM`): `month` holds the day.
    pub async fn daily_usage(
        &self,
        account: String,
        month: String,
    ) -> Result<Vec<UsageRow>, StoreError> {
        self.call(move |c| {
            let mut stmt = c.prepare(
                "SELECT account, day, route, calls FROM upstream_calls_daily
                 WHERE account = ?1 AND day LIKE ?2 || '-%' ORDER BY day, route",
            )?;
            let rows = stmt.query_map(params![account, month], |r| {
                Ok(UsageRow {
                    account: r.get(0)?,
                    month: r.get(1)?,
                    route: r.get(2)?,
                    calls: r.get::<_, i64>(3)?.max(0) as u64,
                })
            })?;
            rows.collect()
        })
        .await
    }

    /// All counters of `month` (or all months), ordered by account, month and route.
    pub async fn usage(&self, month: Option<String>) -> Result<Vec<UsageRow>, StoreError> {
        self.call(move |c| {
            let mut stmt = c.prepare(
                "SELECT account, month, route, calls FROM upstream_calls
                 WHERE ?1 IS NULL OR month = ?1 ORDER BY account, month, route",
            )?;
            let rows = stmt.query_map([month], |r| {
                Ok(UsageRow {
                    account: r.get(0)?,
                    month: r.get(1)?,
                    route: r.get(2)?,
                    calls: r.get::<_, i64>(3)?.max(0) as u64,
                })
            })?;
            rows.collect()
        })
        .await
    }
}
