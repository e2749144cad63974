//! What `rappu verify-upstream` found about each Tampuuri account, kept so the outbox can
//! pick its exactly-once scheme and an operator can see the last check.

use super::{Store, StoreError};

/// The last go-live check of an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UpstreamProfile {
    /// Whether a report filed with `UlkoinenTunniste` was found again by it (`None`: not
    /// tested; the check writes only with `--write-test-object`).
    pub external_id_kept: Option<bool>,
    /// When (unix seconds).
    pub checked_at: i64,
    /// The whole report, JSON.
    pub report_json: String,
}

impl Store {
    /// Records the check of `account`, keeping an earlier `external_id_kept` when this
    /// check did not test it.
    pub async fn save_profile(
        &self,
        account: &str,
        profile: UpstreamProfile,
    ) -> Result<(), StoreError> {
        let account = account.to_owned();
        self.call(move |c| {
            c.execute(
                "INSERT INTO upstream_profiles (account, external_id_kept, checked_at, report_json)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (account) DO UPDATE SET
                   external_id_kept = COALESCE(excluded.external_id_kept, upstream_profiles.external_id_kept),
                   checked_at = excluded.checked_at,
                   report_json = excluded.report_json",
                crate::args![account, profile.external_id_kept, profile.checked_at, profile.report_json],
            )
            .map(|_| ())
        })
        .await
    }

    /// The last check of `account`, if any.
    pub async fn profile(&self, account: &str) -> Result<Option<UpstreamProfile>, StoreError> {
        let account = account.to_owned();
        self.call(move |c| {
            c.query_opt(
                "SELECT external_id_kept, checked_at, report_json FROM upstream_profiles WHERE account = $1",
                crate::args![account],
            )?
            .map(|r| {
                Ok(UpstreamProfile {
                    external_id_kept: r.get(0)?,
                    checked_at: r.get(1)?,
                    report_json: r.get(2)?,
                })
            })
            .transpose()
        })
        .await
    }
}
