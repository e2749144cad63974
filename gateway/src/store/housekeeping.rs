//! The hourly clean-up of what has run out (sign-in mail records, one-time codes, webhook
//! ids past the de-duplication window). With several replicas on PostgreSQL it runs on one
//! at a time: the others find the job's advisory lock taken and skip the round.

use super::postgres::exclusively;
use super::{Store, StoreError};

/// The advisory lock of the clean-up.
pub const JOB: &str = "rappu:housekeeping";

/// What one clean-up removed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pruned {
    /// Sign-in mail records older than the hourly window.
    pub signin_mails: usize,
    /// One-time codes expired a day ago.
    pub codes: usize,
    /// Webhook notification ids older than the de-duplication window.
    pub notifications: usize,
}

impl Store {
    /// Removes what has run out at `now` (unix seconds), keeping webhook ids received from
    /// `notifications_since` on. `None` when another replica is doing it right now.
    pub async fn housekeeping(
        &self,
        now: i64,
        notifications_since: i64,
    ) -> Result<Option<Pruned>, StoreError> {
        self.call(move |c| {
            exclusively(c, JOB, |tx| {
                let signin_mails = tx.execute(
                    "DELETE FROM signin_mails WHERE sent_at < $1",
                    crate::args![now - 3600],
                )?;
                let codes = tx.execute(
                    "DELETE FROM one_time_codes WHERE expires_at < $1",
                    crate::args![now - 86_400],
                )?;
                let notifications = tx.execute(
                    "DELETE FROM webhook_notifications WHERE received_at < $1",
                    crate::args![notifications_since],
                )?;
                if tx.is_postgres() {
                    // The shared mirror's log: a follower catches up on the last minutes.
                    crate::mirror::shared::prune(
                        tx,
                        now.saturating_mul(1000) - crate::mirror::shared::KEEP_MS,
                    )?;
                }
                Ok(Pruned {
                    signin_mails,
                    codes,
                    notifications,
                })
            })
        })
        .await
    }
}
