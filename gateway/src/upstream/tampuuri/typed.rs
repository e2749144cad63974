//! One method per Tampuuri operation Rappu uses, so services never touch routes or JSON.

use super::client::TampuuriClient;
use super::client::decode;
use super::error::UpstreamError;
use super::model::{
    Announcement, AnnouncementQuery, Connection, ConnectionQuery, CreatedId, DescendantQuery,
    DoneRequest, FaultReport, HoldRequest, Object, ObjectKind, PartiesQuery, Party, PartySummary,
    ReportQuery,
};
use super::paging::RawPage;
use super::report_body::{NewFaultReportBody, has_reference};
use super::routes;

/// No request body (GET routes).
const NO_BODY: Option<&()> = None;

impl TampuuriClient {
    /// Every cost centre (housing company) of the account.
    pub async fn cost_centres(&self) -> Result<Vec<Object>, UpstreamError> {
        self.browse_all(&routes::COST_CENTRES, None, NO_BODY).await
    }

    /// One object by id.
    pub async fn object(&self, id: u64) -> Result<Object, UpstreamError> {
        self.call(&routes::OBJECT, Some(id), NO_BODY).await
    }

    /// Objects below `id` of the given kinds (all kinds when empty).
    pub async fn descendants(
        &self,
        id: u64,
        kinds: Vec<ObjectKind>,
    ) -> Result<Vec<Object>, UpstreamError> {
        let query = DescendantQuery { kinds };
        self.browse_all(&routes::OBJECT_DESCENDANTS, Some(id), Some(&query))
            .await
    }

    /// Connections of parties to `query.object_id` (and its descendants if asked).
    pub async fn connections(
        &self,
        query: &ConnectionQuery,
    ) -> Result<Vec<Connection>, UpstreamError> {
        self.browse_all(&routes::CONNECTIONS, None, Some(query))
            .await
    }

    /// Persons whose name or email contains `word` (`GET osapuolet/henkilot?Hakusana=`).
    pub async fn find_persons(&self, word: &str) -> Result<Vec<Party>, UpstreamError> {
        self.search_all(&routes::PERSONS, "Hakusana", word).await
    }

    /// One party by id.
    pub async fn party(&self, id: u64) -> Result<Party, UpstreamError> {
        self.call(&routes::PARTY, Some(id), NO_BODY).await
    }

    /// Many parties by id in one billed call (`osapuolitiedot/osapuolet/hae`). Archived
    /// parties and unknown ids are absent from the answer (vendor (help page)); the answer
    /// has no first or last name. At most 250 ids a call.
    pub async fn parties(&self, ids: &[u64]) -> Result<Vec<PartySummary>, UpstreamError> {
        let mut found = Vec::new();
        for chunk in ids.chunks(250) {
            let query = PartiesQuery {
                ids: chunk.to_vec(),
            };
            let bytes = self
                .raw(&routes::PARTIES, None, Some(&query), false)
                .await?;
            let page: RawPage = decode(&routes::PARTIES, &bytes)?;
            found.extend(self.rows::<PartySummary>(&routes::PARTIES, &page.items));
        }
        Ok(found)
    }

    /// Announcements on `object_id` and its ancestors, newest first.
    pub async fn announcements(&self, object_id: u64) -> Result<Vec<Announcement>, UpstreamError> {
        let query = AnnouncementQuery {
            object_id: Some(object_id),
        };
        self.browse_all(&routes::ANNOUNCEMENTS, None, Some(&query))
            .await
    }

    /// Every announcement of the account (`uutiset/selaa` without `KohdeId`, *assumed* to
    /// mean all; `rappu verify-upstream` checks it).
    pub async fn all_announcements(&self) -> Result<Vec<Announcement>, UpstreamError> {
        let query = AnnouncementQuery { object_id: None };
        self.browse_all(&routes::ANNOUNCEMENTS, None, Some(&query))
            .await
    }
}

impl TampuuriClient {
    /// Fault reports matching `query`, newest first.
    pub async fn fault_reports(
        &self,
        query: &ReportQuery,
    ) -> Result<Vec<FaultReport>, UpstreamError> {
        self.browse_all(&routes::FAULT_REPORTS, None, Some(query))
            .await
    }

    /// Creates a fault report (`POST ilmoitukset/lisaa`), which answers only its id.
    /// **Never retried**: a timeout may hide a report Tampuuri created; the caller must look
    /// for it with [`TampuuriClient::find_fault_report`] before sending it again.
    pub async fn create_fault_report(
        &self,
        body: &NewFaultReportBody,
    ) -> Result<u64, UpstreamError> {
        let created: CreatedId = self
            .call(&routes::FAULT_REPORT_CREATE, None, Some(body))
            .await?;
        Ok(created.0)
    }

    /// The report Rappu filed as `reference`, if Tampuuri has it: by `UlkoinenTunniste`
    /// where the account keeps it (`by_external_id`), else among the reports `reporter`
    /// (when given) filed on `place` since `since`, by the reference line in the
    /// description.
    /// Rows are matched here too, exactly: were Tampuuri to ignore a filter, another report
    /// must never be taken for ours. With several matches (which Rappu never causes) the
    /// oldest wins.
    pub async fn find_fault_report(
        &self,
        reference: &str,
        by_external_id: bool,
        reporter: Option<u64>,
        place: Option<u64>,
        since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<FaultReport>, UpstreamError> {
        let query = if by_external_id {
            ReportQuery {
                external_id: Some(reference.to_owned()),
                ..ReportQuery::default()
            }
        } else {
            // A margin for clocks that disagree and for the time a create takes.
            let margin = chrono::TimeDelta::minutes(10);
            ReportQuery {
                reporter_id: reporter,
                object_id: place,
                created_from: Some((since - margin).to_rfc3339()),
                created_until: Some((chrono::Utc::now() + margin).to_rfc3339()),
                ..ReportQuery::default()
            }
        };
        let rows = self.fault_reports(&query).await?;
        // Our report carries the id as `UlkoinenTunniste` where kept, and always the
        // reference line (a row may leave `UlkoinenTunniste` out, never the description).
        Ok(rows
            .into_iter()
            .filter(|r| {
                let by_description = r
                    .description
                    .as_deref()
                    .is_some_and(|d| has_reference(d, reference));
                if by_external_id {
                    r.external_id.as_deref() == Some(reference) || by_description
                } else {
                    // The reference is a UUID: a row that does not say its reporter is
                    // matched on it alone.
                    r.reporter_id
                        .is_none_or(|id| reporter.is_none_or(|want| id == want))
                        && by_description
                }
            })
            .min_by_key(|r| r.id))
    }

    /// One fault report.
    pub async fn fault_report(&self, id: u64) -> Result<FaultReport, UpstreamError> {
        self.call(&routes::FAULT_REPORT, Some(id), NO_BODY).await
    }

    /// The assignee takes report `id` (open or waiting → received). Never retried.
    pub async fn receive_report(&self, id: u64) -> Result<FaultReport, UpstreamError> {
        self.call(
            &routes::FAULT_REPORT_RECEIVE,
            Some(id),
            Some(&serde_json::json!({})),
        )
        .await
    }

    /// Puts report `id` on hold with a reason the resident sees. Never retried.
    pub async fn hold_report(&self, id: u64, reason: &str) -> Result<FaultReport, UpstreamError> {
        let body = HoldRequest {
            reason: reason.to_owned(),
            notify_parties: true,
        };
        self.call(&routes::FAULT_REPORT_HOLD, Some(id), Some(&body))
            .await
    }

    /// Marks report `id` done with a summary. Never retried.
    pub async fn mark_report_done(
        &self,
        id: u64,
        summary: &str,
    ) -> Result<FaultReport, UpstreamError> {
        let body = DoneRequest {
            summary: summary.to_owned(),
            notify_parties: true,
        };
        self.call(&routes::FAULT_REPORT_DONE, Some(id), Some(&body))
            .await
    }
}
