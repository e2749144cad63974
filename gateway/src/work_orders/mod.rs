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
//! Lists and single reports are cached `reports.cache_ttl_secs`; a transition, or a
//! Tampuuri webhook through [`WorkOrders::on_report_changed`], drops them.

pub mod by_place;
pub mod transitions;
pub mod view;

use std::sync::Arc;
use std::time::Duration;

use moka::future::Cache;

use crate::cache::FlightCache;
use rappu_shared::FieldError;
use rappu_shared::report::{ReportPage, ReportStatus, WorkOrder};

use crate::reports::{FaultReports, ReportError, view as report_view};
use crate::upstream::tampuuri::model::{self, ReportQuery};
use crate::upstream::tampuuri::{Tampuuri, TampuuriClient, UpstreamError};

/// A maintenance partner: an assignee party in one Tampuuri account.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Assignee {
    /// Tampuuri account.
    pub account: String,
    /// The assignee's party id.
    pub party: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct ListKey {
    who: Assignee,
    state: Option<ReportStatus>,
}

/// The work-order service; cheap to clone.
#[derive(Clone)]
pub struct WorkOrders {
    inner: Arc<Inner>,
}

struct Inner {
    tampuuri: Tampuuri,
    reports: FaultReports,
    lists: FlightCache<ListKey, Arc<Vec<model::FaultReport>>>,
    orders: FlightCache<(String, u64), Arc<model::FaultReport>>,
    /// Reports by building, for third-party apps ([`by_place`]).
    by_building: FlightCache<by_place::BuildingKey, Arc<Vec<model::FaultReport>>>,
    ttl: Duration,
    places: Cache<(String, u64), Arc<String>>,
}

impl std::fmt::Debug for WorkOrders {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WorkOrders").finish_non_exhaustive()
    }
}

/// Cached lists and orders unread this long are forgotten.
const IDLE: Duration = Duration::from_secs(600);

impl WorkOrders {
    /// The service; `reports` is told when a transition changes what a resident sees.
    pub fn new(tampuuri: Tampuuri, reports: FaultReports, cache_ttl: Duration) -> Self {
        // A zero TTL still coalesces concurrent reads; entries expire at once.
        let ttl = cache_ttl.max(Duration::from_millis(1));
        Self {
            inner: Arc::new(Inner {
                tampuuri,
                reports,
                lists: FlightCache::new(1_000, IDLE, Duration::ZERO),
                orders: FlightCache::new(10_000, IDLE, Duration::ZERO),
                by_building: FlightCache::new(1_000, IDLE, Duration::ZERO),
                ttl,
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
        let client = self.client(&who.account)?;
        let key = ListKey {
            who: who.clone(),
            state,
        };
        let assignee = who.party;
        let rows = self
            .inner
            .lists
            .get(&key, self.inner.ttl, || async move {
                let query = ReportQuery {
                    assignee_id: Some(assignee),
                    states,
                    ..ReportQuery::default()
                };
                let rows = client.fault_reports(&query).await?;
                // Matched here too: never show a report assigned to someone else.
                let mine = rows
                    .into_iter()
                    .filter(|r| r.assignee_id == Some(assignee))
                    .collect();
                Ok::<_, UpstreamError>(Arc::new(mine))
            })
            .await
            .map(|f| Arc::clone(&f.entry.value))
            .map_err(ReportError::Upstream)?;
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

    /// One of `who`'s work orders.
    pub async fn get(&self, who: &Assignee, id: u64) -> Result<WorkOrder, ReportError> {
        let client = self.client(&who.account)?;
        let report = self
            .inner
            .orders
            .get(&(who.account.clone(), id), self.inner.ttl, || async move {
                client.fault_report(id).await.map(Arc::new)
            })
            .await
            .map(|f| Arc::clone(&f.entry.value))
            .map_err(ReportError::Upstream)?;
        if report.assignee_id != Some(who.party) {
            return Err(ReportError::NotFound);
        }
        Ok(self.work_order(&who.account, &report).await)
    }

    /// Tampuuri says report `report_id` of `account` changed: drop what is cached of it.
    pub fn on_report_changed(&self, account: &str, report_id: u64) {
        self.inner
            .orders
            .invalidate(&(account.to_owned(), report_id), None);
        self.inner
            .lists
            .invalidate_where(|key| key.who.account == account);
        self.inner
            .by_building
            .invalidate_where(|key| key.account == account);
    }
}
