//! Fault reports by building, as work orders, for third-party apps: an app's scope names
//! buildings and properties, not an assignee. Read from the account mirror, which files
//! each report under the building its object is in (no Tampuuri call per request).

use std::sync::Arc;

use rappu_shared::FieldError;
use rappu_shared::report::{ReportPage, ReportStatus, WorkOrder};

use super::WorkOrders;
use crate::places::{Lineage, Places};
use crate::reports::{ReportError, view as report_view};
use crate::upstream::tampuuri::UpstreamError;
use crate::upstream::tampuuri::model::FaultReport;

/// Which of a building's reports.
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
    /// The reports on building `key.building` of `key.account` (and on everything in it),
    /// newest first, optionally only those in `key.state`.
    pub async fn in_building(
        &self,
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
        let rows = self
            .inner
            .mirror
            .reports_in_building(&key.account, key.building, &states)
            .await
            .map_err(|e| ReportError::Upstream(e.into()))?;
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

    /// Report `id` of `account` as the mirror has it, whoever it is assigned to; the caller
    /// decides whether it may see it.
    pub async fn any_report(
        &self,
        account: &str,
        id: u64,
    ) -> Result<Arc<FaultReport>, ReportError> {
        self.inner
            .mirror
            .report(account, id)
            .await
            .map_err(|e| ReportError::Upstream(e.into()))?
            .map(Arc::new)
            .ok_or(ReportError::NotFound)
    }

    /// `report` of `account` as a work order.
    pub async fn view_of(&self, account: &str, report: &FaultReport) -> WorkOrder {
        self.work_order(account, report).await
    }
}
