//! Tampuuri webhooks in: a bundle is authenticated by a shared secret (compared in constant
//! time, before the body is parsed), parsed tolerantly, recorded durably (each notification
//! id once), and each new notification invalidates exactly the cached data it affects.
//!
//! A notification is only a wake-up call: it says what changed, never the new data, which is
//! fetched from the API by the rebuild it triggers.

mod bundle;
pub mod invalidation;

pub use bundle::{Bundle, Notification};

use crate::feeds::FeedService;
use crate::metrics::WebhookMetrics;
use crate::metrics::families::{AccountLabel, ActionLabel};
use crate::mirror::Mirror;
use crate::reports::FaultReports;
use crate::store::webhooks::NotificationRecord;
use crate::store::{Store, StoreError};
use crate::work_orders::WorkOrders;

/// What a delivered bundle did.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
pub struct Receipt {
    /// Notifications in the bundle.
    pub received: usize,
    /// Notifications not seen before (the rest were retries or duplicates).
    pub new: usize,
    /// Feeds marked for rebuild.
    pub feeds_affected: usize,
}

/// Receives bundles.
#[derive(Clone)]
pub struct WebhookService {
    store: Store,
    feeds: FeedService,
    mirror: Mirror,
    reports: FaultReports,
    work_orders: WorkOrders,
    metrics: WebhookMetrics,
}

impl WebhookService {
    /// A service recording to `store` and invalidating what the notifications touch: display
    /// feeds, residents' report views, partners' work orders.
    pub fn new(
        store: Store,
        feeds: FeedService,
        mirror: Mirror,
        reports: FaultReports,
        work_orders: WorkOrders,
    ) -> Self {
        Self {
            store,
            feeds,
            mirror,
            reports,
            work_orders,
            metrics: WebhookMetrics::detached(),
        }
    }

    /// Counts bundles and notifications in `metrics`.
    pub fn with_metrics(mut self, metrics: WebhookMetrics) -> Self {
        self.metrics = metrics;
        self
    }

    fn count(&self, account: &str, bundle: &Bundle, new: usize) {
        let m = &self.metrics;
        m.bundles
            .get_or_create(&AccountLabel {
                account: account.to_owned(),
            })
            .inc();
        for n in &bundle.notifications {
            let action = invalidation::action_label(n.action.trim());
            if action == invalidation::UNKNOWN_ACTION {
                m.unknown_actions.inc();
            }
            m.notifications
                .get_or_create(&ActionLabel {
                    action: action.to_owned(),
                })
                .inc();
        }
        m.duplicates
            .inc_by(bundle.notifications.len().saturating_sub(new) as u64);
    }

    /// Records `bundle` for `account` durably, then applies its new notifications to every
    /// cache in memory (microseconds: marks, redactions, provisional feeds), so that any
    /// request that starts after the answer sees the change. The refetches run afterwards.
    pub async fn receive(&self, account: &str, bundle: Bundle) -> Result<Receipt, StoreError> {
        let received = bundle.notifications.len();
        let records = bundle.records(account);
        let fresh = self
            .store
            .record_notifications(records, chrono::Utc::now().timestamp())
            .await?;
        self.count(account, &bundle, fresh.len());
        let feeds_affected = self.apply(account, &fresh).await;
        for n in &fresh {
            if n.action.starts_with("Ilmoitus")
                && let Ok(report) = n.reference_id.trim().parse::<u64>()
            {
                self.reports.on_report_changed(account, report).await;
                self.work_orders.on_report_changed(account, report);
            }
        }
        tracing::info!(account, bundle = %bundle.id, attempt = bundle.attempt, received, new = fresh.len(), feeds_affected, "webhook bundle");
        Ok(Receipt {
            received,
            new: fresh.len(),
            feeds_affected,
        })
    }
}

impl WebhookService {
    /// Notes each notification in the mirror (what it names becomes pending, its fetch is
    /// queued) and marks the feeds built from what it may concern stale, redacted where it
    /// may concern a person. Returns the number of feeds affected.
    async fn apply(&self, account: &str, fresh: &[NotificationRecord]) -> usize {
        let mut affected = 0;
        for n in fresh {
            match self.mirror.note(account, n).await {
                Ok(changes) if changes.is_empty() => {
                    tracing::debug!(action = %n.action, "webhook notification needs no invalidation");
                }
                Ok(changes) => affected += self.feeds.invalidate(account, &changes),
                Err(e) => {
                    // The mirror cannot be read: fall back to what the feeds know.
                    tracing::error!(error = %e, "cannot note a notification in the mirror");
                    affected += apply_to_feeds(&self.feeds, account, std::slice::from_ref(n));
                }
            }
        }
        affected
    }
}

/// Applies new notifications of `account` to the display feeds: each one's resources are
/// marked stale (redacted where it may concern a person) and the feeds built from them move
/// on. Returns the number of feeds affected.
pub fn apply_to_feeds(feeds: &FeedService, account: &str, fresh: &[NotificationRecord]) -> usize {
    let mut affected = 0;
    for n in fresh {
        let plan = invalidation::plan(feeds, account, n);
        if plan.is_empty() {
            tracing::debug!(action = %n.action, "webhook notification needs no invalidation");
        } else {
            affected += feeds.invalidate(account, &plan.changes);
        }
    }
    affected
}
