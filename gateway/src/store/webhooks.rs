//! Webhook notifications received: each id once, so a bundle retried five times has one
//! effect.

use rusqlite::params;

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
            c.pragma_update(None, "synchronous", "FULL")?;
            let tx = c.transaction()?;
            let mut fresh = Vec::new();
            {
                let mut stmt = tx.prepare_cached(
                    "INSERT INTO webhook_notifications
                       (id, account, bundle_id, attempt, action, reference_id, reference_secondary_id, reference_data, received_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
                     ON CONFLICT (id) DO NOTHING",
                )?;
                for n in notifications {
                    let inserted = stmt.execute(params![
                        n.id, n.account, n.bundle_id, n.attempt, n.action, n.reference_id,
                        n.reference_secondary_id, n.reference_data, now
                    ])?;
                    if inserted == 1 {
                        fresh.push(n);
                    }
                }
            }
            tx.commit()?;
            c.pragma_update(None, "synchronous", "NORMAL")?;
            Ok(fresh)
        })
        .await
    }

    /// Forgets notifications received before `before` (unix seconds).
    pub async fn prune_notifications(&self, before: i64) -> Result<usize, StoreError> {
        self.call(move |c| {
            c.execute(
                "DELETE FROM webhook_notifications WHERE received_at < ?1",
                [before],
            )
        })
        .await
    }

    /// How many notifications are recorded (for tests and the admin view).
    pub async fn notification_count(&self) -> Result<u64, StoreError> {
        self.call(|c| {
            c.query_row("SELECT COUNT(*) FROM webhook_notifications", [], |r| {
                r.get::<_, i64>(0)
            })
        })
        .await
        .map(|n| n.max(0) as u64)
    }
}
