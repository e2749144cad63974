//! What a resident sees: Rappu's own record of the report, merged with Tampuuri's state and
//! history once Tampuuri has it.

use chrono::{DateTime, Utc};
use rappu_shared::report::{FaultReport, ReportStatus, ReportTopic, TimelineEntry};
use serde::{Deserialize, Serialize};

use super::db::{Delivery, ReportRow};
use crate::upstream::tampuuri::model::{self, ReportState, Topic};

/// Shown with a `failed` step: the resident learns what happens next, not why Tampuuri
/// refused (that is in the log for the operator).
pub const FAILED_NOTE: &str = "Rappu could not deliver the report to the property manager. \
    The operator has been told and will send it again; for urgent faults call the maintenance company.";

/// Tampuuri's part of a delivered report, as last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RemoteView {
    /// Current status.
    pub status: ReportStatus,
    /// Tampuuri's report number.
    pub number: Option<String>,
    /// Tampuuri's history, oldest first.
    pub timeline: Vec<TimelineEntry>,
}

/// The resident-facing status of a Tampuuri state; a state this version does not know is
/// `unknown` (and logged once by the caller's decoder statistics, not guessed).
pub fn status_of(state: &ReportState) -> ReportStatus {
    match state {
        ReportState::Other(_) => ReportStatus::Unknown,
        ReportState::Open => ReportStatus::Open,
        ReportState::Received => ReportStatus::Received,
        ReportState::Waiting => ReportStatus::Waiting,
        ReportState::Done => ReportStatus::Done,
        ReportState::Completed => ReportStatus::Completed,
    }
}

/// The Tampuuri state a status filter means (`pending`, `handled`, `failed` have none).
pub fn state_of(status: ReportStatus) -> Option<ReportState> {
    match status {
        ReportStatus::Open => Some(ReportState::Open),
        ReportStatus::Received => Some(ReportState::Received),
        ReportStatus::Waiting => Some(ReportState::Waiting),
        ReportStatus::Done => Some(ReportState::Done),
        ReportStatus::Completed => Some(ReportState::Completed),
        ReportStatus::Pending
        | ReportStatus::Handled
        | ReportStatus::Failed
        | ReportStatus::Unknown => None,
    }
}

/// Tampuuri's `Aihe` as Rappu's topic, if it is one Rappu knows.
pub fn topic_from_tampuuri(aihe: Option<&Topic>) -> Option<ReportTopic> {
    match aihe? {
        Topic::Apartment => Some(ReportTopic::Apartment),
        Topic::CommonAreas => Some(ReportTopic::CommonAreas),
        Topic::Outdoors => Some(ReportTopic::Outdoors),
        Topic::Other(_) => None,
    }
}

/// A report Tampuuri has just created but whose details could not be read back yet: open,
/// no number; the next read of the resident's reports fills it in.
pub fn just_filed() -> RemoteView {
    RemoteView {
        status: ReportStatus::Open,
        number: None,
        timeline: Vec::new(),
    }
}

/// Tampuuri's history as timeline steps (rows without a readable time are left out), or
/// one `open` step at creation when there is no history.
pub fn history(report: &model::FaultReport) -> Vec<TimelineEntry> {
    let mut steps: Vec<TimelineEntry> = report
        .history
        .iter()
        .filter_map(|change| {
            Some(TimelineEntry {
                status: status_of(&change.state),
                at: change.at?,
                note: change.note.clone().filter(|n| !n.trim().is_empty()),
            })
        })
        .collect();
    if steps.is_empty()
        && let Some(at) = report.created_at
    {
        steps.push(TimelineEntry {
            status: ReportStatus::Open,
            at,
            note: None,
        });
    }
    steps
}

/// What the resident sees of a Tampuuri report: a report passed on to a follow-up
/// (`Kasitelty`) is *handled* until it is completed.
pub fn remote_view(report: &model::FaultReport) -> RemoteView {
    let mut timeline = history(report);
    let mut status = status_of(&report.state);
    if report.handled == Some(true) && status != ReportStatus::Completed {
        status = ReportStatus::Handled;
        let last = timeline.last().map(|t| t.at);
        let at = report.modified_at.max(last).or(report.created_at);
        if let Some(at) = at {
            timeline.push(TimelineEntry {
                status,
                at,
                note: None,
            });
        }
    }
    RemoteView {
        status,
        number: report.number.clone(),
        timeline,
    }
}

/// The resident's view of a stored report. `fresh` is Tampuuri's view read just now, if it
/// could be read; otherwise the last one stored is shown.
pub fn resident_view(row: &ReportRow, fresh: Option<&RemoteView>) -> FaultReport {
    let mut timeline = vec![step(ReportStatus::Pending, row.created_at, None)];
    let (status, number) = match row.delivery {
        Delivery::Pending => (ReportStatus::Pending, None),
        Delivery::Failed => {
            let at = row.settled_at.unwrap_or(row.created_at);
            timeline.push(step(ReportStatus::Failed, at, Some(FAILED_NOTE)));
            (ReportStatus::Failed, None)
        }
        Delivery::Delivered => match fresh.or(row.remote.as_ref()) {
            Some(remote) => {
                timeline.extend(remote.timeline.iter().cloned());
                (remote.status, remote.number.clone())
            }
            None => {
                let at = row.settled_at.unwrap_or(row.created_at);
                timeline.push(step(ReportStatus::Open, at, None));
                (ReportStatus::Open, None)
            }
        },
    };
    let r = &row.report;
    FaultReport {
        id: row.id.clone(),
        number,
        topic: r.topic,
        title: r.title.clone(),
        description: r.description.clone(),
        location: r.location.clone(),
        master_key_allowed: r.master_key_allowed,
        pets: r.pets.clone(),
        contact_phone: r.contact_phone.clone(),
        photo_count: row.photo_count,
        status,
        created_at: row.created_at,
        timeline,
    }
}

fn step(status: ReportStatus, at: DateTime<Utc>, note: Option<&str>) -> TimelineEntry {
    TimelineEntry {
        status,
        at,
        note: note.map(str::to_owned),
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;
