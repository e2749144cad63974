//! Replicas announce themselves with a heartbeat, so each knows how many share the rate
//! limits (`http::ratelimit`): a quota is split between the live replicas rather than
//! granted once by each. On SQLite there is one instance.

use super::{Store, StoreError};

/// A replica whose heartbeat is older than this is not counted.
pub const ALIVE_SECS: i64 = 15;

impl Store {
    /// Records this replica's heartbeat at `now` (unix seconds), forgets replicas silent for
    /// a minute, and returns how many are alive (1 on SQLite).
    pub async fn heartbeat(&self, now: i64) -> Result<u32, StoreError> {
        let me = self.instance.clone();
        self.call(move |c| {
            if !c.is_postgres() {
                return Ok(1);
            }
            c.execute(
                "INSERT INTO replicas (instance, seen_at) VALUES ($1, $2)
                 ON CONFLICT (instance) DO UPDATE SET seen_at = excluded.seen_at",
                crate::args![&*me, now],
            )?;
            c.execute(
                "DELETE FROM replicas WHERE seen_at < $1",
                crate::args![now - 60],
            )?;
            let alive: i64 = c
                .query_one(
                    "SELECT COUNT(*) FROM replicas WHERE seen_at >= $1",
                    crate::args![now - ALIVE_SECS],
                )?
                .get(0)?;
            Ok(u32::try_from(alive).unwrap_or(u32::MAX).max(1))
        })
        .await
    }

    /// Removes this replica's heartbeat (at shutdown: the others' shares grow at once).
    pub async fn leave(&self) -> Result<(), StoreError> {
        let me = self.instance.clone();
        self.call(move |c| {
            if c.is_postgres() {
                c.execute(
                    "DELETE FROM replicas WHERE instance = $1",
                    crate::args![&*me],
                )?;
            }
            Ok(())
        })
        .await
    }
}
