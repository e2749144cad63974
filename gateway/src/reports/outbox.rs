//! The delivery worker: takes the next due report from the outbox, delivers it to Tampuuri
//! exactly once (see the [module doc](super) for the scheme), and backs off while Tampuuri
//! is failing. One worker, one report at a time: Tampuuri is not a bulk endpoint, and order
//! of filing is kept.

use std::time::Duration;

use base64::Engine as _;
use chrono::Utc;
use rand::Rng;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use super::FaultReports;
use super::db::ReportRow;
use super::outbox_db::{self, Due, Job};
use super::view;
use crate::config::ExactlyOnce;
use crate::mirror::Origin;
use crate::upstream::tampuuri::report_body::{
    MAX_DESCRIPTION, MAX_SHORT, NewAttachment, NewFaultReportBody, ReportParty, reference_line,
};
use crate::upstream::tampuuri::{TampuuriClient, UpstreamError, model};
use rappu_shared::report::ReportTopic;

/// What the worker does after one delivery.
enum Next {
    /// Go on with the next report.
    Continue,
    /// Tampuuri is failing: wait before trying anything else.
    Pause,
}

/// Starts the worker; it stops when `stop` is cancelled (a delivery in flight finishes or
/// is abandoned at shutdown; either way the next start finds it by its id).
pub fn spawn(reports: FaultReports, stop: CancellationToken) -> JoinHandle<()> {
    tokio::spawn(async move { reports.run_outbox(stop).await })
}

/// Exponential backoff with jitter: the `n`th wait (1-based) is drawn from the upper half
/// of `min × 2^(n−1)`, capped at `max`.
pub fn backoff(min: Duration, max: Duration, n: u32) -> Duration {
    let ceiling = min
        .saturating_mul(1u32 << n.saturating_sub(1).min(20))
        .min(max);
    ceiling.mul_f64(rand::rng().random_range(0.5..=1.0))
}

/// Where an apartment's reports go in Tampuuri.
#[derive(Debug, Clone, Copy)]
pub struct Placement {
    /// `KustannuspaikkaId`: the property.
    cost_centre: u64,
    /// The apartment's parent (its staircase), for common-area faults.
    staircase: Option<u64>,
}

/// Where a report of `topic` goes: `TilaId` the apartment, its staircase (common areas), or
/// none (outdoors: the property itself).
fn space(apartment: u64, placement: &Placement, topic: ReportTopic) -> Option<u64> {
    match topic {
        ReportTopic::Apartment => Some(apartment),
        ReportTopic::CommonAreas => placement.staircase,
        ReportTopic::Outdoors => None,
    }
}

/// The apartment's property and staircase: from the account mirror, which has the whole
/// registry; read from Tampuuri (with its ancestors when it does not name its property)
/// only for an apartment the mirror does not know.
async fn read_placement(
    mirror: crate::mirror::Mirror,
    client: TampuuriClient,
    apartment: u64,
) -> Result<Placement, UpstreamError> {
    if let Ok(Some(flat)) = mirror.object(client.account(), apartment).await
        && let Some(cost_centre) = flat.cost_centre_id
    {
        return Ok(Placement {
            cost_centre,
            staircase: flat.parent(),
        });
    }
    let flat = client.object(apartment).await?;
    let mut cost_centre = flat.cost_centre_id;
    let mut up = flat.parent();
    // At most staircase, building, property: a registry deeper than that is not walked.
    for _ in 0..3 {
        if cost_centre.is_some() {
            break;
        }
        let Some(id) = up else { break };
        let o = client.object(id).await?;
        cost_centre = if o.kind == model::ObjectKind::CostCentre {
            Some(o.id)
        } else {
            o.cost_centre_id
        };
        up = o.parent();
    }
    let cost_centre = cost_centre.ok_or_else(|| UpstreamError::BadResponse {
        route: crate::upstream::tampuuri::routes::OBJECT.label,
        detail: format!("apartment {apartment} names no property (KustannuspaikkaId)"),
    })?;
    Ok(Placement {
        cost_centre,
        staircase: flat.parent(),
    })
}

/// The body of the create call (`ilmoitukset/lisaa`): the resident's text with Rappu's
/// reference on its last line, topic, location and phone as extra information, the
/// master-key permission as the account's pick-list value, the photos.
fn create_body(
    client: &TampuuriClient,
    row: &ReportRow,
    placement: &Placement,
    photos: Vec<outbox_db::StoredPhoto>,
) -> NewFaultReportBody {
    let space_id = space(row.owner.apartment, placement, row.report.topic);
    let r = &row.report;
    let account = client.settings();
    let topic = match r.topic {
        ReportTopic::Apartment => "huoneisto",
        ReportTopic::CommonAreas => "yleiset tilat",
        ReportTopic::Outdoors => "ulkoalueet",
    };
    let mut extra = vec![format!("Aihe: {topic}")];
    if let Some(location) = &r.location {
        extra.push(format!("Sijainti: {location}"));
    }
    extra.push(format!("Yhteyspuhelin: {}", r.contact_phone));
    // The reference goes last, on its own line, within the documented 8,000 characters.
    let reference = reference_line(&row.id);
    let room = MAX_DESCRIPTION.saturating_sub(reference.chars().count() + 2);
    let text: String = r.description.chars().take(room).collect();
    let engine = base64::engine::general_purpose::STANDARD;
    NewFaultReportBody {
        title: r.title.chars().take(MAX_SHORT).collect(),
        description: format!("{text}\n\n{reference}"),
        extra: Some(extra.join("\n")),
        cost_centre_id: placement.cost_centre,
        space_id,
        entry: if r.master_key_allowed {
            account.entry_allowed_value.clone()
        } else {
            account.entry_denied_value.clone()
        },
        pets: r.pets.clone(),
        reporter: Some(ReportParty {
            party_id: row.owner.party,
            phone: Some(r.contact_phone.clone()),
        }),
        external_id: row.id.clone(),
        attachments: photos
            .into_iter()
            .map(|p| NewAttachment {
                file_name: p.file_name,
                content_type: p.media_type,
                description: None,
                content_base64: engine.encode(&p.data),
            })
            .collect(),
    }
}

/// Whether a failed create should never be retried: Tampuuri understood and refused it.
/// Credentials refused (an operator will fix them), unreadable answers (the report may
/// exist) and transient failures are retried.
fn is_permanent(e: &UpstreamError) -> bool {
    matches!(
        e,
        UpstreamError::Rejected { .. }
            | UpstreamError::NotFound { .. }
            | UpstreamError::Conflict { .. }
    )
}

impl FaultReports {
    async fn run_outbox(&self, stop: CancellationToken) {
        let min = Duration::from_millis(self.inner.settings.outbox_backoff_min_ms);
        let max = Duration::from_millis(self.inner.settings.outbox_backoff_max_ms);
        let mut failures: u32 = 0;
        if self.inner.store.kind() == crate::store::EngineKind::Sqlite {
            // One instance owns a SQLite file: a lease left by this instance's previous
            // run (killed mid-delivery) is nobody's now.
            if let Err(e) = self.inner.store.call(outbox_db::release_leases).await {
                tracing::warn!(error = %e, "cannot release the outbox leases of an earlier run");
            }
        }
        tracing::info!("fault report outbox started");
        while !stop.is_cancelled() {
            let lease = self.inner.lease.clone();
            let due = self
                .inner
                .store
                .call(move |c| outbox_db::claim_due(c, Utc::now(), &lease))
                .await;
            let wait = match due {
                Ok(Due::Now(job)) => match self.deliver_leased(*job).await {
                    Next::Continue => {
                        failures = 0;
                        continue;
                    }
                    Next::Pause => {
                        failures = failures.saturating_add(1);
                        Some(backoff(min, max, failures))
                    }
                },
                Ok(Due::At(at)) => Some((at - Utc::now()).to_std().unwrap_or_default()),
                // Another replica may take a report and die: on a shared database look
                // again once a lease could have run out.
                Ok(Due::Idle) => (self.inner.store.kind() == crate::store::EngineKind::Postgres)
                    .then(|| {
                        self.inner
                            .lease
                            .length
                            .to_std()
                            .unwrap_or(Duration::from_secs(60))
                    }),
                Err(e) => {
                    tracing::error!(error = %e, "fault report outbox cannot read the database");
                    failures = failures.saturating_add(1);
                    Some(backoff(min, max, failures))
                }
            };
            let paused = failures > 0;
            tokio::select! {
                () = stop.cancelled() => break,
                () = sleep_opt(wait) => {}
                // A new report is worth a look now, unless Tampuuri is failing.
                () = self.inner.wake.notified(), if !paused => {}
            }
        }
        tracing::info!("fault report outbox stopped");
    }

    /// [`Self::deliver`] while renewing this replica's lease on the report every third of
    /// its length, so a slow Tampuuri does not hand the report to another replica; a replica
    /// that dies stops renewing and the report is another's once the lease is over.
    async fn deliver_leased(&self, job: Job) -> Next {
        let lease = self.inner.lease.clone();
        let store = self.inner.store.clone();
        let id = job.row.id.clone();
        let renew = async move {
            let every = (lease.length / 3)
                .to_std()
                .unwrap_or(Duration::from_secs(1));
            loop {
                tokio::time::sleep(every).await;
                let (report, owner) = (id.clone(), lease.owner.clone());
                let until = Utc::now() + lease.length;
                match store
                    .call(move |c| outbox_db::renew_lease(c, &report, &owner, until))
                    .await
                {
                    Ok(true) => {}
                    Ok(false) => {
                        tracing::warn!(report = %id, "the outbox lease on a report was lost");
                        return;
                    }
                    Err(e) => {
                        tracing::warn!(report = %id, error = %e, "cannot renew an outbox lease")
                    }
                }
            }
        };
        tokio::select! {
            next = self.deliver(job) => next,
            () = renew => std::future::pending().await,
        }
    }

    /// One delivery attempt of `job`.
    async fn deliver(&self, job: Job) -> Next {
        let Job { row, photos } = job;
        let Some(client) = self.inner.tampuuri.account(&row.owner.account).cloned() else {
            let reason = format!("account {} is not configured", row.owner.account);
            return self.give_up(&row, &reason).await;
        };
        let earlier = row.attempts;
        let id = row.id.clone();
        let owner = self.inner.lease.owner.clone();
        match self
            .inner
            .store
            .call(move |c| outbox_db::begin_attempt(c, &id, &owner))
            .await
        {
            Ok(true) => {}
            Ok(false) => {
                tracing::warn!(report = %row.id, "the outbox lease ran out before sending; another replica has the report");
                return Next::Continue;
            }
            Err(e) => {
                tracing::error!(report = %row.id, error = %e, "cannot record a delivery attempt; not sending");
                return Next::Pause;
            }
        }
        let apartment = row.owner.apartment;
        let key = (row.owner.account.clone(), apartment);
        let reading = client.clone();
        let mirror = self.inner.mirror.clone();
        let placement = self
            .inner
            .placements
            .get(&key, Duration::from_secs(86_400), move || {
                read_placement(mirror, reading, apartment)
            })
            .await;
        let placement = match placement {
            Ok(placement) => placement.entry.value,
            Err(e) if is_permanent(&e) => return self.give_up(&row, &e.to_string()).await,
            Err(e) => return self.retry_later(&row, earlier + 1, &e).await,
        };
        if earlier > 0 {
            // An earlier attempt may have reached Tampuuri: look before sending again.
            let by_external_id = self.finds_by_external_id(&client).await;
            let began = self.inner.mirror.fetch_begins(&row.owner.account);
            let found = client
                .find_fault_report(
                    &row.id,
                    by_external_id,
                    Some(row.owner.party),
                    space(apartment, &placement, row.report.topic).or(Some(placement.cost_centre)),
                    row.created_at,
                )
                .await;
            match found {
                Ok(Some(found)) => {
                    tracing::info!(report = %row.id, tampuuri_id = found.id, by_external_id, "fault report was already in Tampuuri; adopted");
                    let read = Origin::Fetched { began };
                    return self.delivered(&row, found.id, Some((&found, read))).await;
                }
                Ok(None) => {}
                Err(e) => return self.retry_later(&row, earlier + 1, &e).await,
            }
        }
        let body = create_body(&client, &row, &placement, photos);
        match client.create_fault_report(&body).await {
            Ok(tampuuri_id) => {
                tracing::info!(report = %row.id, tampuuri_id, attempt = earlier + 1, "fault report delivered");
                // The create answers the id only: read the report for its number and state.
                let began = self.inner.mirror.fetch_begins(&row.owner.account);
                let report = match client.fault_report(tampuuri_id).await {
                    Ok(report) => Some((report, Origin::Fetched { began })),
                    Err(e) => {
                        tracing::warn!(report = %row.id, tampuuri_id, error = %e, "delivered, but cannot read it back yet");
                        None
                    }
                };
                let report = report.as_ref().map(|(report, read)| (report, *read));
                self.delivered(&row, tampuuri_id, report).await
            }
            Err(e) if is_permanent(&e) => self.give_up(&row, &e.to_string()).await,
            Err(e) => self.retry_later(&row, earlier + 1, &e).await,
        }
    }

    /// Whether reports of this account are found again by `UlkoinenTunniste`: only where
    /// the operator says so, or where the go-live check filed one and found it that way.
    async fn finds_by_external_id(&self, client: &TampuuriClient) -> bool {
        match client.settings().exactly_once {
            ExactlyOnce::ExternalId => true,
            ExactlyOnce::Reference => false,
            ExactlyOnce::Auto => match self.inner.store.profile(client.account()).await {
                Ok(Some(profile)) => profile.external_id_kept == Some(true),
                Ok(None) => false,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the account's profile; finding reports by reference");
                    false
                }
            },
        }
    }

    async fn delivered(
        &self,
        row: &ReportRow,
        tampuuri_id: u64,
        report: Option<(&model::FaultReport, Origin)>,
    ) -> Next {
        let remote = report.map_or_else(view::just_filed, |(report, _)| view::remote_view(report));
        if let Some((report, read)) = report
            && let Err(e) = self
                .inner
                .mirror
                .put_report(&row.owner.account, report.clone(), read)
                .await
        {
            tracing::warn!(report = %row.id, error = %e, "cannot keep the delivered report in the mirror");
        }
        let id = row.id.clone();
        let recorded = self
            .inner
            .store
            .call(move |c| outbox_db::record_delivered(c, &id, tampuuri_id, &remote))
            .await;
        self.forget_party(&row.owner.account, row.owner.party).await;
        match recorded {
            Ok(()) => Next::Continue,
            Err(e) => {
                // Not recorded: the next attempt finds the report by its reference and
                // adopts it.
                tracing::error!(report = %row.id, error = %e, "cannot record a delivery");
                Next::Pause
            }
        }
    }

    async fn retry_later(&self, row: &ReportRow, attempts: u32, e: &UpstreamError) -> Next {
        let min = Duration::from_millis(self.inner.settings.outbox_backoff_min_ms);
        let max = Duration::from_millis(self.inner.settings.outbox_backoff_max_ms);
        let wait = backoff(min, max, attempts);
        let at = Utc::now() + chrono::Duration::from_std(wait).unwrap_or_default();
        if matches!(
            e,
            UpstreamError::Unauthorized { .. } | UpstreamError::BadResponse { .. }
        ) {
            tracing::error!(report = %row.id, attempts, error = %e, ?wait, "fault report not delivered; an operator should look");
        } else {
            tracing::warn!(report = %row.id, attempts, error = %e, ?wait, "fault report not delivered yet; will retry");
        }
        let (id, error) = (row.id.clone(), e.to_string());
        let owner = self.inner.lease.owner.clone();
        if let Err(e) = self
            .inner
            .store
            .call(move |c| outbox_db::record_retry(c, &id, &owner, at, &error))
            .await
        {
            tracing::error!(report = %row.id, error = %e, "cannot record a failed delivery");
        }
        Next::Pause
    }

    async fn give_up(&self, row: &ReportRow, reason: &str) -> Next {
        tracing::error!(report = %row.id, account = %row.owner.account, reason, "Tampuuri refused a fault report; marked failed (retry it with the admin API once fixed)");
        let (id, reason) = (row.id.clone(), reason.to_owned());
        if let Err(e) = self
            .inner
            .store
            .call(move |c| outbox_db::record_failed(c, &id, &reason))
            .await
        {
            tracing::error!(report = %row.id, error = %e, "cannot record a refused delivery");
            return Next::Pause;
        }
        Next::Continue
    }
}

async fn sleep_opt(wait: Option<Duration>) {
    match wait {
        Some(wait) => tokio::time::sleep(wait).await,
        None => std::future::pending().await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_grows_jittered_and_capped() {
        let (min, max) = (Duration::from_millis(100), Duration::from_secs(2));
        for n in 1..30 {
            let ceiling = Duration::from_millis(100 * (1 << (n - 1).min(20))).min(max);
            let wait = backoff(min, max, n);
            assert!(wait <= ceiling && wait >= ceiling / 2, "{n}: {wait:?}");
        }
        assert!(backoff(min, max, 0) <= min);
    }

    #[test]
    fn only_refusals_are_permanent() {
        assert!(is_permanent(&UpstreamError::Rejected {
            route: "x",
            status: 400
        }));
        assert!(!is_permanent(&UpstreamError::Saturated));
        assert!(!is_permanent(&UpstreamError::BadResponse {
            route: "x",
            detail: String::new()
        }));
        assert!(!is_permanent(&UpstreamError::Unauthorized {
            account: "a".into()
        }));
    }
}
