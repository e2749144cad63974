//! A resident's fault reports.

use rappu_shared::report::{FaultReport, NewFaultReport, ReportPage};

use super::{ApiError, Call, request, segment};

/// Files a report. `key` is the draft's `Idempotency-Key`: the same key for a retry of the
/// same draft files one report however many times it arrives.
pub async fn file_report(key: &str, report: &NewFaultReport) -> Result<FaultReport, ApiError> {
    request(
        Call::post("/api/v1/fault-reports")
            .header("Idempotency-Key", key)
            .json(report)?,
    )
    .await
}

/// A page of the resident's reports, newest first.
pub async fn list_reports(offset: u64, limit: u64) -> Result<ReportPage<FaultReport>, ApiError> {
    request(Call::get(format!(
        "/api/v1/fault-reports?offset={offset}&limit={limit}"
    )))
    .await
}

/// Photo `n` (from 1) of one of the resident's reports (an `<img>` source: the session
/// cookie goes with it, same origin).
pub fn photo_url(id: &str, n: u32) -> String {
    format!("/api/v1/fault-reports/{}/photos/{n}", segment(id))
}

/// One of the resident's reports, with its timeline.
pub async fn get_report(id: &str) -> Result<FaultReport, ApiError> {
    request(Call::get(format!("/api/v1/fault-reports/{}", segment(id)))).await
}
