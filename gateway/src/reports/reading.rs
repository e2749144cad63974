//! A resident reads their own reports: the list (newest first, paged) and one report with
//! its timeline. Rows come from SQLite; delivered reports are merged with Tampuuri's
//! current state as the account mirror has it (no call per page view). When the mirror
//! cannot be read, the state last seen is shown.

use std::collections::HashMap;
use std::sync::Arc;

use rappu_shared::report::{FaultReport, ReportPage};

use super::db::{self, Delivery, ReportRow};
use super::error::ReportError;
use super::view::{self, RemoteView};
use super::{FaultReports, Owner, RemoteReports};
use crate::upstream::tampuuri::UpstreamError;

impl FaultReports {
    /// `owner`'s reports, newest first.
    pub async fn list(
        &self,
        owner: &Owner,
        offset: u64,
        limit: u64,
    ) -> Result<ReportPage<FaultReport>, ReportError> {
        let (rows, total) = {
            let owner = owner.clone();
            self.inner
                .store
                .call(move |c| db::page(c, &owner, offset, limit))
                .await?
        };
        let items = self.views(owner, rows).await;
        Ok(ReportPage {
            items,
            total,
            offset,
            limit,
        })
    }

    /// One of `owner`'s reports; anyone else's is [`ReportError::NotFound`].
    pub async fn get(&self, owner: &Owner, id: &str) -> Result<FaultReport, ReportError> {
        if id.len() > 64 {
            return Err(ReportError::NotFound);
        }
        let row = {
            let (owner, id) = (owner.clone(), id.to_owned());
            self.inner
                .store
                .call(move |c| db::one(c, &owner, &id))
                .await?
        };
        let row = row.ok_or(ReportError::NotFound)?;
        self.views(owner, vec![row])
            .await
            .pop()
            .ok_or_else(|| ReportError::Internal("a report vanished".into()))
    }

    async fn views(&self, owner: &Owner, rows: Vec<ReportRow>) -> Vec<FaultReport> {
        let delivered = rows.iter().any(|r| r.delivery == Delivery::Delivered);
        let remote = if delivered {
            match self.remote_reports(owner).await {
                Ok(remote) => Some(remote),
                Err(e) => {
                    tracing::warn!(error = %e, "showing fault reports as last seen: Tampuuri cannot be read");
                    None
                }
            }
        } else {
            None
        };
        let mut changed = Vec::new();
        let items = rows
            .iter()
            .map(|row| {
                let fresh: Option<RemoteView> = remote
                    .as_ref()
                    .zip(row.tampuuri_id)
                    .and_then(|(remote, id)| remote.get(&id))
                    .map(view::remote_view);
                if let Some(fresh) = &fresh
                    && row.remote.as_ref() != Some(fresh)
                {
                    changed.push((row.id.clone(), fresh.clone()));
                }
                view::resident_view(row, fresh.as_ref())
            })
            .collect();
        if !changed.is_empty() {
            // Best effort: this copy only serves reads while Tampuuri cannot be asked.
            if let Err(e) = self
                .inner
                .store
                .call(move |c| db::save_remote(c, &changed))
                .await
            {
                tracing::warn!(error = %e, "cannot store the latest report states");
            }
        }
        items
    }

    /// Tampuuri's reports filed by `owner.party`, from the account mirror (kept current by
    /// report webhooks and Rappu's own writes), cached.
    async fn remote_reports(&self, owner: &Owner) -> Result<RemoteReports, UpstreamError> {
        let mirror = self.inner.mirror.clone();
        let (account, party) = (owner.account.clone(), owner.party);
        let fetch = async move {
            let rows = mirror.reports_by_reporter(&account, party).await?;
            Ok::<_, UpstreamError>(Arc::new(
                rows.into_iter()
                    .map(|r| (r.id, r))
                    .collect::<HashMap<_, _>>(),
            ))
        };
        match &self.inner.remote {
            Some(cache) => cache
                .get(
                    &(owner.account.clone(), party),
                    self.inner.remote_ttl,
                    || fetch,
                )
                .await
                .map(|f| Arc::clone(&f.entry.value)),
            None => fetch.await,
        }
    }
}
