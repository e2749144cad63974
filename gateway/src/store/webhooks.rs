//! Webhook notifications received: each id once, so a bundle retried five times has one
//! effect.

use super::{Store, StoreError};

/// A notification as recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRecord {
    /// Notification id (Tampuuri's, or generated when it sent none).
    pub id: String,
    /// Tampuuri account (from the listener URL).
    pub account: String,
    /// Bundle id.
    pub bundle_id: String,
    /// Delivery attempt of the bundle.
    pub attempt: i64,
    /// Action, e.g. `OsapuoliTietoMuokkaa`.
    pub action: String,
    /// `ReferenceId`.
    pub reference_id: String,
    /// `ReferenceSecondaryId`.
    pub reference_secondary_id: String,
    /// `ReferenceData`.
    pub reference_data: String,
}

impl Store {
    /// Records `notifications` in one durable transaction and returns the ones not seen
    /// before, in order.
    pub async fn record_notifications(
        &self,
        notifications: Vec<NotificationRecord>,
        now: i64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        self.call(move |c| {
            // The caller answers 2xx only after this commit: make it survive a power cut.
            c.durably(|tx| {
                let mut fresh = Vec::new();
                for n in notifications {
                    // On PostgreSQL the primary key makes a second replica receiving the
                    // same id wait for the first's commit, then insert nothing.
                    let inserted = tx.execute(
                        "INSERT INTO webhook_notifications
                           (id, account, bundle_id, attempt, action, reference_id, reference_secondary_id, reference_data, received_at)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                         ON CONFLICT (id) DO NOTHING",
                        crate::args![
                            n.id, n.account, n.bundle_id, n.attempt, n.action, n.reference_id,
                            n.reference_secondary_id, n.reference_data, now
                        ],
                    )?;
                    if inserted == 1 {
                        fresh.push(n);
                    }
                }
                Ok(fresh)
            })
        })
        .await
    }

    /// Forgets notifications received before `before` (unix seconds).
    pub async fn prune_notifications(&self, before: i64) -> Result<usize, StoreError> {
        self.call(move |c| {
            c.execute(
                "DELETE FROM webhook_notifications WHERE received_at < $1",
                crate::args![before],
            )
        })
        .await
    }

    /// How many notifications are recorded (for tests and the admin view).
    pub async fn notification_count(&self) -> Result<u64, StoreError> {
        self.call(|c| {
            c.query_one("SELECT COUNT(*) FROM webhook_notifications", &[])?
                .get::<i64>(0)
        })
        .await
        .map(|n| n.max(0) as u64)
    }
}
