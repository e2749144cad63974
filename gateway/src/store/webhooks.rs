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

const COLUMNS: &str = "id, account, bundle_id, attempt, action, reference_id, \
     reference_secondary_id, reference_data";

fn record(r: &super::Row) -> Result<NotificationRecord, super::DbError> {
    Ok(NotificationRecord {
        id: r.get(0)?,
        account: r.get(1)?,
        bundle_id: r.get(2)?,
        attempt: r.get(3)?,
        action: r.get(4)?,
        reference_id: r.get(5)?,
        reference_secondary_id: r.get(6)?,
        reference_data: r.get(7)?,
    })
}

impl Store {
    /// Records `notifications` in one durable transaction and returns the ones not seen
    /// before, in order.
    pub async fn record_notifications(
        &self,
        notifications: Vec<NotificationRecord>,
        now: i64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let from = self.instance.clone();
        self.call(move |c| {
            // The caller answers 2xx only after this commit: make it survive a power cut.
            c.durably(|tx| {
                let mut fresh = Vec::new();
                for n in notifications {
                    // On PostgreSQL the primary key makes a second replica receiving the
                    // same id wait for the first's commit, then insert nothing.
                    let inserted = tx.execute(
                        "INSERT INTO webhook_notifications
                           (id, account, bundle_id, attempt, action, reference_id, reference_secondary_id, reference_data, received_at, received_by)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                         ON CONFLICT (id) DO NOTHING",
                        crate::args![
                            n.id, n.account, n.bundle_id, n.attempt, n.action, n.reference_id,
                            n.reference_secondary_id, n.reference_data, now, &*from
                        ],
                    )?;
                    if inserted == 1 {
                        fresh.push(n);
                    }
                }
                if tx.is_postgres() && !fresh.is_empty() {
                    // The other replicas apply them too (delivered at commit).
                    let ids: Vec<String> = fresh.iter().map(|n| n.id.clone()).collect();
                    for payload in super::listen::webhook_payloads(&from, &ids) {
                        tx.execute(
                            "SELECT pg_notify($1, $2)",
                            crate::args![super::listen::WEBHOOK, payload],
                        )?;
                    }
                }
                Ok(fresh)
            })
        })
        .await
    }

    /// The notifications recorded under `ids` (another replica's announcement).
    pub async fn notifications(
        &self,
        ids: Vec<String>,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        self.call(move |c| {
            let mut out = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(r) = c.query_opt(
                    &format!("SELECT {COLUMNS} FROM webhook_notifications WHERE id = $1"),
                    crate::args![id],
                )? {
                    out.push(record(&r)?);
                }
            }
            Ok(out)
        })
        .await
    }

    /// Every notification received from `since` (unix seconds), by any replica, oldest first
    /// (a new mirror writer notes them again).
    pub async fn all_notifications_since(
        &self,
        since: i64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        self.call(move |c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM webhook_notifications
                     WHERE received_at >= $1 ORDER BY received_at, id"
                ),
                crate::args![since],
            )?
            .iter()
            .map(record)
            .collect()
        })
        .await
    }

    /// Notifications other store instances recorded at or after `since` (unix seconds),
    /// oldest first: what a replica catches up on after it stopped listening.
    pub async fn notifications_since(
        &self,
        since: i64,
    ) -> Result<Vec<NotificationRecord>, StoreError> {
        let me = self.instance.clone();
        self.call(move |c| {
            c.query(
                &format!(
                    "SELECT {COLUMNS} FROM webhook_notifications
                     WHERE received_at >= $1 AND (received_by IS NULL OR received_by != $2)
                     ORDER BY received_at, id"
                ),
                crate::args![since, &*me],
            )?
            .iter()
            .map(record)
            .collect()
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
