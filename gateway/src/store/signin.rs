//! Sign-in mails sent, by a hash of the address: the hourly cap per address survives a
//! restart.

use rusqlite::params;

use super::{Store, StoreError};

impl Store {
    /// Records a mail to `address_hash` at `now` if fewer than `cap` went there since
    /// `since`; `false` (and nothing recorded) when the cap is reached. One transaction, so
    /// two workers cannot both take the last place.
    pub async fn take_signin_mail(
        &self,
        address_hash: String,
        now: i64,
        since: i64,
        cap: u32,
    ) -> Result<bool, StoreError> {
        self.call(move |c| {
            let tx = c.transaction()?;
            let sent: i64 = tx.query_row(
                "SELECT COUNT(*) FROM signin_mails WHERE address_hash = ?1 AND sent_at > ?2",
                params![address_hash, since],
                |r| r.get(0),
            )?;
            if sent >= i64::from(cap) {
                return Ok(false);
            }
            tx.execute(
                "INSERT INTO signin_mails (address_hash, sent_at) VALUES (?1, ?2)",
                params![address_hash, now],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    /// Forgets mails sent before `before`.
    pub async fn prune_signin_mails(&self, before: i64) -> Result<usize, StoreError> {
        self.call(move |c| c.execute("DELETE FROM signin_mails WHERE sent_at < ?1", [before]))
            .await
    }

    /// Forgets one-time codes that expired before `before`.
    pub async fn prune_codes(&self, before: i64) -> Result<usize, StoreError> {
        self.call(move |c| c.execute("DELETE FROM one_time_codes WHERE expires_at < ?1", [before]))
            .await
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[tokio::test]
    async fn the_cap_counts_mails_in_the_window_only() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("t.db")).unwrap();
        let h = "abc".to_owned();
        for at in [100, 200, 300] {
            assert!(store.take_signin_mail(h.clone(), at, 0, 3).await.unwrap());
        }
        assert!(!store.take_signin_mail(h.clone(), 400, 0, 3).await.unwrap());
        assert!(
            store
                .take_signin_mail("other".into(), 400, 0, 3)
                .await
                .unwrap()
        );
        // An hour later the first one has left the window.
        assert!(
            store
                .take_signin_mail(h.clone(), 3700, 100, 3)
                .await
                .unwrap()
        );
        assert!(!store.take_signin_mail(h, 3701, 101, 3).await.unwrap());
        assert_eq!(store.prune_signin_mails(250).await.unwrap(), 2);
    }
}
