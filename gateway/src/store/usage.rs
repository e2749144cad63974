//! Upstream call counters by account, month and route: the basis of the Tampuuri bill.

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
            // Replicas add their own counts: `calls + excluded.calls` sums them.
            c.transaction(|tx| {
                for r in &rows {
                    tx.execute(
                        "INSERT INTO upstream_calls (account, month, route, calls) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (account, month, route)
                         DO UPDATE SET calls = upstream_calls.calls + excluded.calls",
                        crate::args![r.account, r.month, r.route, r.calls],
                    )?;
                }
                for r in &days {
                    tx.execute(
                        "INSERT INTO upstream_calls_daily (account, day, route, calls) VALUES ($1, $2, $3, $4)
                         ON CONFLICT (account, day, route)
                         DO UPDATE SET calls = upstream_calls_daily.calls + excluded.calls",
                        crate::args![r.account, r.month, r.route, r.calls],
                    )?;
                }
                Ok(())
            })
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
            c.query(
                "SELECT account, day, route, calls FROM upstream_calls_daily
                 WHERE account = $1 AND day LIKE CAST($2 AS TEXT) || '-%' ORDER BY day, route",
                crate::args![account, month],
            )?
            .iter()
            .map(usage_row)
            .collect()
        })
        .await
    }

    /// All counters of `month` (or all months), ordered by account, month and route.
    pub async fn usage(&self, month: Option<String>) -> Result<Vec<UsageRow>, StoreError> {
        self.call(move |c| {
            c.query(
                "SELECT account, month, route, calls FROM upstream_calls
                 WHERE CAST($1 AS TEXT) IS NULL OR month = $1 ORDER BY account, month, route",
                crate::args![month],
            )?
            .iter()
            .map(usage_row)
            .collect()
        })
        .await
    }
}

fn usage_row(r: &super::Row) -> Result<UsageRow, super::DbError> {
    Ok(UsageRow {
        account: r.get(0)?,
        month: r.get(1)?,
        route: r.get(2)?,
        calls: r.get::<i64>(3)?.max(0).unsigned_abs(),
    })
}
