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
use crate::upstream::tampuuri::report_body::{NewAttachment, NewFaultReportBody, Topic};
use crate::upstream::tampuuri::{TampuuriClient, UpstreamError, model};

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
        tracing::info!("fault report outbox started");
        while !stop.is_cancelled() {
            let due = self
                .inner
                .store
                .call(move |c| outbox_db::next_due(c, Utc::now()))
                .await;
            let wait = match due {
                Ok(Due::Now(job)) => match self.deliver(*job).await {
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
                Ok(Due::Idle) => None,
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

    /// One delivery attempt of `job`.
    async fn deliver(&self, job: Job) -> Next {
        let Job { row, photos } = job;
        let Some(client) = self.inner.tampuuri.account(&row.owner.account).cloned() else {
            let reason = format!("account {} is not configured", row.owner.account);
            return self.give_up(&row, &reason).await;
        };
        let earlier = row.attempts;
        let id = row.id.clone();
        if let Err(e) = self
            .inner
            .store
            .call(move |c| outbox_db::begin_attempt(c, &id))
            .await
        {
            tracing::error!(report = %row.id, error = %e, "cannot record a delivery attempt; not sending");
            return Next::Pause;
        }
        if earlier > 0 {
            // An earlier attempt may have reached Tampuuri: look before sending again.
            match client.fault_report_by_external_id(&row.id).await {
                Ok(Some(found)) => {
                    tracing::info!(report = %row.id, tampuuri_id = found.id, "fault report was already in Tampuuri; adopted");
                    return self.delivered(&row, &found).await;
                }
                Ok(None) => {}
                Err(e) => return self.retry_later(&row, earlier + 1, &e).await,
            }
        }
        let body = match self.create_body(&client, &row, photos).await {
            Ok(body) => body,
            Err(e) if is_permanent(&e) => return self.give_up(&row, &e.to_string()).await,
            Err(e) => return self.retry_later(&row, earlier + 1, &e).await,
        };
        match client.create_fault_report(&body).await {
            Ok(created) => {
                tracing::info!(report = %row.id, tampuuri_id = created.id, attempt = earlier + 1, "fault report delivered");
                self.delivered(&row, &created).await
            }
            Err(e) if is_permanent(&e) => self.give_up(&row, &e.to_string()).await,
            Err(e) => self.retry_later(&row, earlier + 1, &e).await,
        }
    }

    /// The body of the create call. Common-area faults go on the apartment's parent object
    /// (its staircase or building) and outdoor faults on its property, so that they reach
    /// whoever looks after those; the apartment is read from Tampuuri for that.
    async fn create_body(
        &self,
        client: &TampuuriClient,
        row: &ReportRow,
        photos: Vec<outbox_db::StoredPhoto>,
    ) -> Result<NewFaultReportBody, UpstreamError> {
        let r = &row.report;
        let topic = view::topic_to_tampuuri(r.topic);
        let apartment = row.owner.apartment;
        let object_id = match topic {
            Topic::Apartment => apartment,
            Topic::CommonAreas => client
                .object(apartment)
                .await?
                .parent_id
                .unwrap_or(apartment),
            Topic::Outdoors => {
                let o: model::Object = client.object(apartment).await?;
                o.cost_centre_id.or(o.parent_id).unwrap_or(apartment)
            }
        };
        let engine = base64::engine::general_purpose::STANDARD;
        Ok(NewFaultReportBody {
            title: r.title.clone(),
            description: r.description.clone(),
            topic,
            object_id,
            location: r.location.clone(),
            entry_allowed: r.master_key_allowed,
            pets: r.pets.clone(),
            reporter_id: row.owner.party,
            reporter_phone: r.contact_phone.clone(),
            external_id: row.id.clone(),
            attachments: photos
                .into_iter()
                .map(|p| NewAttachment {
                    file_name: p.file_name,
                    media_type: p.media_type,
                    content_base64: engine.encode(&p.data),
                })
                .collect(),
        })
    }

    async fn delivered(&self, row: &ReportRow, report: &model::FaultReport) -> Next {
        let (id, tampuuri_id, remote) = (row.id.clone(), report.id, view::remote_view(report));
        let recorded = self
            .inner
            .store
            .call(move |c| outbox_db::record_delivered(c, &id, tampuuri_id, &remote))
            .await;
        self.forget_party(&row.owner.account, row.owner.party).await;
        match recorded {
            Ok(()) => Next::Continue,
            Err(e) => {
                // Not recorded: the next attempt finds the report by its id and adopts it.
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
        if let Err(e) = self
            .inner
            .store
            .call(move |c| outbox_db::record_retry(c, &id, at, &error))
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
