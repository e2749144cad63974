//! Fault reports by building, as work orders, for third-party apps: an app's scope names
//! buildings and properties, not an assignee.
//!
//! Tampuuri is asked for the building's reports (`KohdeId`, *assumed* to include the
//! objects inside it) and every answer is checked against the object registry all the
//! same, so an account that ignores the filter cannot leak another building's reports.

use std::sync::Arc;

use rappu_shared::FieldError;
use rappu_shared::report::{ReportPage, ReportStatus, WorkOrder};

use super::WorkOrders;
use crate::places::{Lineage, Places};
use crate::reports::{ReportError, view as report_view};
use crate::upstream::tampuuri::UpstreamError;
use crate::upstream::tampuuri::model::{FaultReport, ReportQuery};

/// A cached list of one building's reports.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct BuildingKey {
    /// Tampuuri account.
    pub account: String,
    /// Building object id.
    pub building: u64,
    /// Only this state.
    pub state: Option<ReportStatus>,
}

/// Where `report` is: its object's building and property (the property alone when it names
/// no object).
pub async fn lineage_of(
    places: &Places,
    account: &str,
    report: &FaultReport,
) -> Result<Lineage, UpstreamError> {
    match report.object_id {
        Some(object) => places.lineage(account, object).await,
        None => Ok(Lineage {
            object: 0,
            building: None,
            property: report.cost_centre_id,
        }),
    }
}

impl WorkOrders {
    /// The reports on building `building` of `account` (and on everything in it), newest
    /// first, optionally only those in `state`.
    pub async fn in_building(
        &self,
        places: &Places,
        key: BuildingKey,
        offset: u64,
        limit: u64,
    ) -> Result<ReportPage<WorkOrder>, ReportError> {
        let states = match key.state {
            None => Vec::new(),
            Some(status) => vec![report_view::state_of(status).ok_or_else(|| {
                ReportError::Invalid(vec![FieldError::new(
                    "state",
                    "must be one of open, received, waiting, done, completed",
                )])
            })?],
        };
        let client = self.client(&key.account)?;
        let (account, building, places) = (key.account.clone(), key.building, places.clone());
        let rows = self
            .inner
            .by_building
            .get(&key, self.inner.ttl, || async move {
                let query = ReportQuery {
                    object_id: Some(building),
                    states,
                    ..ReportQuery::default()
                };
                let mut inside = Vec::new();
                for report in client.fault_reports(&query).await? {
                    let lineage = lineage_of(&places, &account, &report).await;
                    match lineage {
                        Ok(l) if l.building == Some(building) => inside.push(report),
                        Ok(_) | Err(UpstreamError::NotFound { .. }) => {}
                        Err(e) => return Err(e),
                    }
                }
                inside.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
                Ok(Arc::new(inside))
            })
            .await
            .map(|f| Arc::clone(&f.entry.value))
            .map_err(ReportError::Upstream)?;
        let mut items = Vec::new();
        let skip = usize::try_from(offset).unwrap_or(usize::MAX);
        let take = usize::try_from(limit).unwrap_or(usize::MAX);
        for report in rows.iter().skip(skip).take(take) {
            items.push(self.work_order(&key.account, report).await);
        }
        Ok(ReportPage {
            items,
            total: rows.len() as u64,
            offset,
            limit,
        })
    }

    /// Report `id` of `account`, whoever it is assigned to (cached like a partner's read);
    /// the caller decides whether it may see it.
    pub async fn any_report(
        &self,
        account: &str,
        id: u64,
    ) -> Result<Arc<FaultReport>, ReportError> {
        let client = self.client(account)?;
        self.inner
            .orders
            .get(&(account.to_owned(), id), self.inner.ttl, || async move {
                client.fault_report(id).await.map(Arc::new)
            })
            .await
            .map(|f| Arc::clone(&f.entry.value))
            .map_err(ReportError::Upstream)
    }

    /// `report` of `account` as a work order.
    pub async fn view_of(&self, account: &str, report: &FaultReport) -> WorkOrder {
        self.work_order(account, report).await
    }
}
