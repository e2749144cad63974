//! A scrape: the values that are read rather than counted (displays seen, the outbox, the
//! month's calls against the budget guard's budget, circuit state, the account mirror's
//! health) are sampled, then every family is encoded. A store that cannot be read leaves the last sampled values and logs a warning:
//! the counters are still worth scraping.

use std::time::Duration;

use chrono::Utc;

use super::families::AccountLabel;
use crate::mirror::sync::{NEWS, PEOPLE, REGISTRY, REPORTS};
use crate::pricing;
use crate::state::AppState;
use crate::upstream::tampuuri::breaker::CircuitState;

/// The mirror's reconciliation kinds (a bounded label).
const MIRROR_KINDS: [&str; 4] = [REGISTRY, PEOPLE, REPORTS, NEWS];

/// How recently a display must have used its token to count as seen.
pub const SEEN_WINDOW: Duration = Duration::from_secs(300);

/// Samples the read values and encodes every family.
pub async fn render(state: &AppState) -> String {
    sample(state).await;
    state.metrics.encode()
}

/// The outbox as the metrics see it.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct OutboxSummary {
    /// Reports waiting for (another) delivery attempt.
    pub pending: u64,
    /// Reports Tampuuri refused for good (an operator must retry them).
    pub failed: u64,
    /// When the oldest pending report was filed, unix milliseconds.
    pub oldest_pending_ms: Option<i64>,
}

/// Reads the outbox summary (one indexed query).
pub async fn outbox_summary(
    store: &crate::store::Store,
) -> Result<OutboxSummary, crate::store::StoreError> {
    store
        .call(|c| {
            let mut stmt = c.prepare_cached(
                "SELECT delivery, COUNT(*), MIN(created_at) FROM fault_reports
                 WHERE delivery IN ('pending', 'failed') GROUP BY delivery",
            )?;
            let mut summary = OutboxSummary::default();
            let rows = stmt.query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                ))
            })?;
            for row in rows {
                let (state, count, oldest) = row?;
                let count = u64::try_from(count).unwrap_or(0);
                if state == "failed" {
                    summary.failed = count;
                } else {
                    summary.pending = count;
                    summary.oldest_pending_ms = oldest;
                }
            }
            Ok(summary)
        })
        .await
}

async fn sample(state: &AppState) {
    let sampled = &state.metrics.sampled;
    let now = Utc::now();
    sampled
        .displays_seen
        .set(i64::try_from(state.tokens.displays_seen(SEEN_WINDOW)).unwrap_or(i64::MAX));

    match outbox_summary(&state.store).await {
        Ok(outbox) => {
            let count = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
            sampled
                .outbox_backlog
                .get_or_create(&[("state", "pending")])
                .set(count(outbox.pending));
            sampled
                .outbox_backlog
                .get_or_create(&[("state", "failed")])
                .set(count(outbox.failed));
            let age = outbox
                .oldest_pending_ms
                .map_or(0, |ms| (now.timestamp_millis() - ms).max(0) / 1000);
            sampled.outbox_oldest_age.set(age);
        }
        Err(e) => tracing::warn!(error = %e, "metrics: cannot read the outbox"),
    }

    // The month against the budget: the budget guard's figures (`crate::usage::Budget`),
    // the same ones that hold background work back, not a second computation.
    let month = crate::usage::month_of(now);
    let usage = &state.settings.usage;
    let gauge = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    for account in state.tampuuri.account_names() {
        let label = AccountLabel {
            account: account.to_owned(),
        };
        let budget = state.budget.state(account);
        sampled
            .month_calls
            .get_or_create(&label)
            .set(gauge(budget.used));
        sampled
            .month_projected_calls
            .get_or_create(&label)
            .set(gauge(budget.projected));
        sampled
            .month_budget_over
            .get_or_create(&label)
            .set(i64::from(budget.over));
        let bill = pricing::bill(
            &month,
            usage.package.name(),
            usage.prices(),
            budget.projected,
        );
        sampled
            .month_projected_eur
            .get_or_create(&label)
            .set(bill.total_eur);

        let Some(health) = state.mirror.health(account) else {
            continue;
        };
        sampled
            .mirror_pending
            .get_or_create(&label)
            .set(gauge(health.pending as u64));
        let failing = health
            .failing_since
            .map_or(0, |since| (now - since).num_seconds().max(0));
        sampled.mirror_failing.get_or_create(&label).set(failing);
        for kind in MIRROR_KINDS {
            if let Some(at) = health.synced_at.get(kind) {
                sampled
                    .mirror_sync_age
                    .get_or_create(&[("account", account.to_owned()), ("kind", kind.to_string())])
                    .set((now - *at).num_seconds().max(0));
            }
        }
    }
    sampled.month_budget_calls.set(gauge(usage.budget_calls()));

    for account in state.tampuuri.account_names() {
        let Some(view) = state.tampuuri.circuit(account) else {
            continue;
        };
        for (name, s) in [
            ("closed", CircuitState::Closed),
            ("open", CircuitState::Open),
            ("half_open", CircuitState::HalfOpen),
        ] {
            sampled
                .circuit_state
                .get_or_create(&[("account", account.to_owned()), ("state", name.to_owned())])
                .set(i64::from(view.state == s));
        }
    }
}
