//! Work orders: the fault reports assigned to a maintenance partner, as the partner sees
//! and works them (`/api/v1/work-orders`).
//!
//! A partner's token names an assignee (`TyonsuorittajaId`); it sees and changes only the
//! reports assigned to it. Anyone else's report answers exactly like a missing one (404),
//! so a partner cannot learn which ids exist. It sees what the job needs: what, where
//! (address, apartment, place), master-key permission, pets and a phone number to call;
//! not the resident's name or other personal data.
//!
//! - [`transitions`]: receive, hold, done; each checked locally against the current state,
//!   then sent to Tampuuri (which has the last word: its 409 is a 409 here too).
//! - [`view`]: a Tampuuri report as a [`WorkOrder`], with its place read from the object
//!   registry (cached an hour).
//! - [`by_place`]: the same reports by building, for third-party apps whose scope covers
//!   the building (`reports:read`, `work-orders:write`).
//!
//! Lists and single reports are read from the account mirror (kept current by report
//! webhooks and reconciliations); a transition writes its result there at once.

pub mod by_place;
pub mod transitions;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use rappu_shared::FieldError;
use rappu_shared::report::{ReportPage, ReportStatus, WorkOrder};

use crate::reports::{FaultReports, ReportError, view as report_view};
use crate::upstream::tampuuri::model;
use crate::upstream::tampuuri::{Tampuuri, TampuuriClient, UpstreamError};

/// A maintenance partner: an assignee party in one Tampuuri account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Assignee {
    /// Tampuuri account.
    pub account: String,
    /// The assignee's party id.
    pub party: u64,
}

/// The work-order service; cheap to clone.
#[derive(Clone)]
pub struct WorkOrders {
    inner: Arc<Inner>,
}

struct Inner {
    tampuuri: Tampuuri,
    mirror: crate::mirror::Mirror,
    reports: FaultReports,
    places: Cache<(String, u64), Arc<String>>,
}

impl std::fmt::Debug for WorkOrders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkOrders").finish_non_exhaustive()
    }
}

impl WorkOrders {
    /// The service over the account `mirror` (reads) and `tampuuri` (transitions); `reports`
    /// is told when a transition changes what a resident sees.
    pub fn new(
        tampuuri: Tampuuri,
        mirror: crate::mirror::Mirror,
        reports: FaultReports,
        _cache_ttl: Duration,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                tampuuri,
                mirror,
                reports,
                places: Cache::builder()
                    .max_capacity(10_000)
                    .time_to_live(Duration::from_secs(3600))
                    .build(),
            }),
        }
    }

    fn client(&self, account: &str) -> Result<TampuuriClient, ReportError> {
        self.inner
            .tampuuri
            .account(account)
            .cloned()
            .ok_or_else(|| {
                ReportError::Upstream(UpstreamError::Unauthorized {
                    account: account.to_owned(),
                })
            })
    }

    /// `who`'s work orders, newest first, optionally only those in `state`.
    pub async fn list(
        &self,
        who: &Assignee,
        state: Option<ReportStatus>,
        offset: u64,
        limit: u64,
    ) -> Result<ReportPage<WorkOrder>, ReportError> {
        let states = match state {
            None => Vec::new(),
            Some(status) => vec![report_view::state_of(status).ok_or_else(|| {
                ReportError::Invalid(vec![FieldError::new(
                    "state",
                    "must be one of open, received, waiting, done, completed",
                )])
            })?],
        };
        let rows = self
            .inner
            .mirror
            .reports_by_assignee(&who.account, who.party, &states)
            .await
            .map_err(|e| ReportError::Upstream(e.into()))?;
        let page: Vec<&model::FaultReport> = rows
            .iter()
            .skip(usize::try_from(offset).unwrap_or(usize::MAX))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect();
        let mut items = Vec::with_capacity(page.len());
        for report in page {
            items.push(self.work_order(&who.account, report).await);
        }
        Ok(ReportPage {
            items,
            total: rows.len() as u64,
            offset,
            limit,
        })
    }

    /// One of `who`'s work orders (as the account mirror has it).
    pub async fn get(&self, who: &Assignee, id: u64) -> Result<WorkOrder, ReportError> {
        let report = self
            .inner
            .mirror
            .report(&who.account, id)
            .await
            .map_err(|e| ReportError::Upstream(e.into()))?
            .ok_or(ReportError::NotFound)?;
        if report.assignee_id != Some(who.party) {
            return Err(ReportError::NotFound);
        }
        Ok(self.work_order(&who.account, &report).await)
    }

    /// Tampuuri says report `report_id` of `account` changed. Work orders are read from the
    /// mirror, which the change reaches by itself: nothing is cached here to drop.
    pub fn on_report_changed(&self, _account: &str, _report_id: u64) {}
}
