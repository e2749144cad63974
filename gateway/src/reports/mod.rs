//! Resident fault reports: filing, the durable outbox that delivers them to Tampuuri, and
//! reading one's own reports with Tampuuri's current state.
//!
//! - [`filing`]: validation (shared rules, photo bytes) and idempotent, durable storage.
//! - [`photos`]: images judged by their bytes; EXIF/XMP/GPS removed without re-encoding.
//! - [`outbox`], [`outbox_db`]: the delivery worker and its queries.
//! - [`reading`]: a resident's list and detail, merged with Tampuuri, cached briefly.
//! - [`view`]: Tampuuri states and history as Rappu's statuses and timeline.
//! - [`db`]: the tables.
//! - [`kept_photos`]: the resident's own copy of each photo, kept 180 days.
//!
//! # Nothing lost: the outbox
//!
//! `POST /api/v1/fault-reports` answers 201 only after the report (with its photos) is
//! committed to SQLite with `synchronous=FULL`; its status is `pending` ("received by
//! Rappu, waiting for delivery") until Tampuuri has it. A background worker, woken at once
//! by each new report, delivers reports one at a time with the documented
//! `POST ilmoitukset/lisaa` (which answers only the new id; the report is then read back
//! with `GET ilmoitukset/{id}`); transient failures (Tampuuri down, timeouts, 5xx, 429) are
//! retried with exponential backoff and jitter (`reports.outbox_backoff_min_ms` … `_max_ms`),
//! forever; a permanent refusal (another 4xx) marks the report `failed`, logs an error, and
//! shows the resident a `failed` step. Photos are deleted from the outbox once Tampuuri has
//! them (the resident's own copy stays for a while: [`kept_photos`]).
//!
//! # Delivered exactly once
//!
//! The create call is not idempotent, and a crash (or a timeout) can come after Tampuuri
//! created the report but before Rappu recorded it. So every report carries a UUID, Rappu's
//! id: the last line of its description is the reference `Rappu-viite: <uuid>`, and the UUID
//! also goes as `UlkoinenTunniste` (an undocumented field some accounts keep). Before each
//! attempt the worker durably counts it (`attempts + 1`, synced to disk); an attempt that
//! finds an earlier one counted (a retry, or any attempt after a restart) first looks for the
//! report and, when Tampuuri already has it, adopts it instead of creating it again:
//! - by `UlkoinenTunniste` (`POST ilmoitukset/selaa {"UlkoinenTunniste"}`) where the account
//!   keeps it — set by `tampuuri.accounts.exactly_once = "external-id"`, or found so by
//!   `rappu verify-upstream --write-test-object` under `auto`;
//! - else by the reference line, among the reports the resident filed on the same place
//!   since the report was filed (`IlmoittajaId`, `KohdeId`, `LuotuAlkaen`/`LuotuPaattyen`):
//!   a scheme that rests only on the description, which every account keeps.
//!
//! Only an exact match counts (the reference line, or the `UlkoinenTunniste` itself), in case
//! Tampuuri ignored a filter. If the search itself fails, nothing is sent until it succeeds.
//! What this relies on: that a created report is searchable by the time the retry's backoff
//! has passed.

pub mod db;
pub mod error;
pub mod filing;
pub mod kept_photos;
pub mod outbox;
pub mod outbox_db;
pub mod photos;
pub mod reading;
pub mod view;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

pub use error::ReportError;
pub use filing::Filed;

use crate::cache::FlightCache;
use crate::config::ReportSettings;
use crate::store::Store;
use crate::upstream::tampuuri::Tampuuri;
use crate::upstream::tampuuri::model;

/// Whose reports: a resident's token names the account, the party and the apartment; a
/// report belongs to all three, and nobody else ever sees it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Owner {
    /// Tampuuri account.
    pub account: String,
    /// The resident's party id.
    pub party: u64,
    /// The apartment the report was filed for.
    pub apartment: u64,
}

/// Tampuuri's reports of one party, by Tampuuri id.
type RemoteReports = Arc<HashMap<u64, model::FaultReport>>;

/// The fault-report service; cheap to clone.
#[derive(Clone)]
pub struct FaultReports {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    tampuuri: Tampuuri,
    mirror: crate::mirror::Mirror,
    settings: ReportSettings,
    /// Wakes the outbox worker when a report is filed.
    wake: Notify,
    /// This replica's claim on a report while it delivers it.
    lease: outbox_db::Lease,
    /// Tampuuri's reports per (account, party), kept `reports.cache_ttl_secs`; `None` when
    /// caching is off. A notification always wins over a read begun before it.
    remote: Option<FlightCache<(String, u64), RemoteReports>>,
    remote_ttl: Duration,
    /// Where an apartment's reports go (its property and staircase), per (account,
    /// apartment): the registry tree almost never changes, so it is read once a day.
    placements: FlightCache<(String, u64), outbox::Placement>,
}

impl std::fmt::Debug for FaultReports {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FaultReports").finish_non_exhaustive()
    }
}

impl FaultReports {
    /// The service over `store` and `tampuuri`.
    pub fn new(
        store: Store,
        tampuuri: Tampuuri,
        mirror: crate::mirror::Mirror,
        settings: &ReportSettings,
    ) -> Self {
        let remote_ttl = Duration::from_secs(settings.cache_ttl_secs);
        // No stale-if-error here: when Tampuuri cannot be read, a resident sees the state
        // last stored in SQLite instead.
        let remote = (settings.cache_ttl_secs > 0).then(|| {
            FlightCache::new(
                10_000,
                remote_ttl.max(Duration::from_secs(60)),
                Duration::ZERO,
            )
        });
        Self {
            inner: Arc::new(Inner {
                store,
                tampuuri,
                mirror,
                settings: settings.clone(),
                wake: Notify::new(),
                lease: outbox_db::Lease {
                    owner: uuid::Uuid::new_v4().to_string(),
                    length: chrono::Duration::seconds(
                        i64::try_from(settings.outbox_lease_secs).unwrap_or(60),
                    ),
                },
                remote,
                remote_ttl,
                placements: FlightCache::new(
                    10_000,
                    Duration::from_secs(86_400),
                    Duration::from_secs(86_400),
                ),
            }),
        }
    }

    /// Tampuuri says report `report_id` of `account` changed (webhooks `IlmoitusUusi`,
    /// `IlmoitusTilamuutos`, `IlmoitusMuokkaa`): the next read of its resident is fresh.
    pub async fn on_report_changed(&self, account: &str, report_id: u64) {
        let lookup = {
            let account = account.to_owned();
            self.inner
                .store
                .call(move |c| db::party_of(c, &account, report_id))
                .await
        };
        match lookup {
            Ok(Some(party)) => self.forget_party(account, party).await,
            Ok(None) => {}
            Err(e) => {
                tracing::warn!(error = %e, "cannot look up a changed report; dropping every cached view");
                if let Some(cache) = &self.inner.remote {
                    cache.invalidate_where(|_| true);
                }
            }
        }
    }

    /// `account`'s reports not yet in Tampuuri (pending or failed), oldest first: what an
    /// operator looks at when deliveries fail.
    pub async fn undelivered(
        &self,
        account: &str,
        limit: u64,
    ) -> Result<Vec<db::ReportRow>, ReportError> {
        let account = account.to_owned();
        Ok(self
            .inner
            .store
            .call(move |c| outbox_db::undelivered(c, &account, limit))
            .await?)
    }

    /// Sends a failed report of `account` again (after an operator fixed the cause).
    /// [`ReportError::NotFound`] when there is no such failed report.
    pub async fn retry(&self, account: &str, id: &str) -> Result<(), ReportError> {
        let (account, id) = (account.to_owned(), id.to_owned());
        let requeued = self
            .inner
            .store
            .call(move |c| outbox_db::requeue(c, &account, &id))
            .await?;
        if !requeued {
            return Err(ReportError::NotFound);
        }
        self.inner.wake.notify_one();
        Ok(())
    }

    /// Drops the cached Tampuuri view of `party`'s reports.
    pub async fn forget_party(&self, account: &str, party: u64) {
        if let Some(cache) = &self.inner.remote {
            cache.invalidate(&(account.to_owned(), party), None);
        }
    }
}
