//! Filing a report: validate (the shared rules, then each photo's bytes), then in one
//! durable transaction check the idempotency key and store the report with its photos.
//!
//! **Idempotency.** `Idempotency-Key` is required. Keys are scoped like the report they
//! make (account, party and apartment) and remembered for
//! `reports.idempotency_key_ttl_secs`, with a SHA-256 of the request. The same key with the same request answers the first answer again (status and
//! body, byte for byte, with `Idempotent-Replayed: true`); with another request it answers
//! 422. Requests are checked and stored inside one transaction on the single database
//! connection, so two concurrent requests with one key are serialised: the second waits for
//! the first to commit and then gets its answer. A request refused as invalid does not use
//! up its key.

use crate::store::sql::{Conn, DbError};
use chrono::{DateTime, Utc};
use rappu_shared::report::NewFaultReport;
use sha2::{Digest, Sha256};

use super::db::{self, Delivery, ReportRow};
use super::error::ReportError;
use super::photos::{self, Photo};
use super::{FaultReports, Owner, view};

/// Longest `Idempotency-Key` accepted.
pub const KEY_MAX: usize = 255;

/// The answer to a filing request.
#[derive(Debug, Clone)]
pub struct Filed {
    /// Rappu's id of the report.
    pub id: String,
    /// HTTP status of the answer (201).
    pub status: u16,
    /// The JSON body of the answer (a [`rappu_shared::report::FaultReport`]).
    pub body: String,
    /// Whether this is the stored answer to an earlier request with the same key.
    pub replayed: bool,
}

/// Checks an `Idempotency-Key`: 1 to 255 visible ASCII characters (a UUID is a good key).
pub fn check_key(key: &str) -> Result<(), ReportError> {
    if key.is_empty() || key.len() > KEY_MAX || !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(ReportError::BadKey(format!(
            "the Idempotency-Key header must be 1 to {KEY_MAX} visible ASCII characters, e.g. a UUID"
        )));
    }
    Ok(())
}

/// The fields as stored and sent on: text trimmed, empty optional text dropped, no photos.
fn normalized(request: &NewFaultReport) -> NewFaultReport {
    let optional = |s: &Option<String>| {
        s.as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
    };
    NewFaultReport {
        topic: request.topic,
        title: request.title.trim().to_owned(),
        description: request.description.trim().to_owned(),
        location: optional(&request.location),
        master_key_allowed: request.master_key_allowed,
        pets: optional(&request.pets),
        contact_phone: request.contact_phone.trim().to_owned(),
        photos: Vec::new(),
    }
}

/// SHA-256 of the request as parsed (so whitespace and field order do not matter).
fn request_hash(request: &NewFaultReport) -> Result<String, ReportError> {
    let bytes = serde_json::to_vec(request).map_err(|e| ReportError::Internal(e.to_string()))?;
    let digest = Sha256::digest(&bytes);
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// What [`store_once`] did with a filing request.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Stored: a new report.
    Created,
    /// The key was used before for the same request: its first answer.
    Replay {
        /// The first answer's status.
        status: u16,
        /// The first answer's body.
        body: String,
        /// The report it made.
        id: String,
    },
    /// The key was used before for another request.
    KeyReused,
}

impl FaultReports {
    /// Files `request` for `owner` under idempotency `key`. Nothing reaches Tampuuri here:
    /// the report is committed to the outbox and the delivery worker is woken.
    pub async fn file(
        &self,
        owner: &Owner,
        key: &str,
        request: NewFaultReport,
    ) -> Result<Filed, ReportError> {
        check_key(key)?;
        request.validate().map_err(ReportError::Invalid)?;
        let (hash, report, photos) = tokio::task::spawn_blocking(move || {
            let hash = request_hash(&request)?;
            let photos = photos::prepare(&request.photos).map_err(ReportError::Invalid)?;
            Ok::<_, ReportError>((hash, normalized(&request), photos))
        })
        .await
        .map_err(|e| ReportError::Internal(format!("photo check failed: {e}")))??;

        let now = Utc::now();
        let id = uuid::Uuid::now_v7().to_string();
        let row = new_row(&id, owner, report, photos.len(), now);
        let photo_count = row.photo_count;
        let body = serde_json::to_string(&view::resident_view(&row, None))
            .map_err(|e| ReportError::Internal(e.to_string()))?;
        let ttl = i64::try_from(self.inner.settings.idempotency_key_ttl_secs).unwrap_or(i64::MAX);
        let key = key.to_owned();
        let stored_body = body.clone();
        let outcome = self
            .inner
            .store
            .call(move |conn| {
                conn.durably(|tx| {
                    store_once(tx, &row, &photos, &key, &hash, &stored_body, now, ttl)
                })
            })
            .await?;
        match outcome {
            Outcome::Created => {
                tracing::info!(report = %id, account = %owner.account, photos = photo_count, "fault report filed");
                self.inner.wake.notify_one();
                Ok(Filed {
                    id,
                    status: 201,
                    body,
                    replayed: false,
                })
            }
            Outcome::Replay { status, body, id } => Ok(Filed {
                id,
                status,
                body,
                replayed: true,
            }),
            Outcome::KeyReused => Err(ReportError::KeyReused),
        }
    }
}

fn new_row(
    id: &str,
    owner: &Owner,
    report: NewFaultReport,
    photos: usize,
    now: DateTime<Utc>,
) -> ReportRow {
    ReportRow {
        id: id.to_owned(),
        owner: owner.clone(),
        report,
        photo_count: u32::try_from(photos).unwrap_or(u32::MAX),
        created_at: now,
        delivery: Delivery::Pending,
        attempts: 0,
        last_error: None,
        tampuuri_id: None,
        settled_at: None,
        remote: None,
    }
}

/// Inside one transaction: forget expired keys, then replay, refuse, or store. On
/// PostgreSQL the key is held with an advisory lock for the transaction, so the same key
/// sent to two replicas at once files one report.
#[allow(clippy::too_many_arguments)]
pub fn store_once(
    tx: &mut Conn<'_>,
    row: &ReportRow,
    photos: &[Photo],
    key: &str,
    hash: &str,
    body: &str,
    now: DateTime<Utc>,
    ttl_secs: i64,
) -> Result<Outcome, DbError> {
    let owner = &row.owner;
    if tx.is_postgres() {
        // Replicas serialise on the key: a second request with it, on any replica, waits
        // for the first's commit and then finds its answer below.
        let name = format!(
            "{}:{}:{}:{key}",
            owner.account, owner.party, owner.apartment
        );
        tx.execute(
            "SELECT pg_advisory_xact_lock($1)",
            crate::args![crate::store::postgres::lock_key(&name)],
        )?;
    }
    tx.execute(
        "DELETE FROM idempotency_keys WHERE created_at < $1",
        crate::args![db::millis(now).saturating_sub(ttl_secs.saturating_mul(1000))],
    )?;
    let earlier = tx.query_opt(
        "SELECT request_hash, status, response_json, report_id FROM idempotency_keys
         WHERE account = $1 AND party_id = $2 AND apartment_id = $3 AND idempotency_key = $4",
        crate::args![owner.account, owner.party, owner.apartment, key],
    )?;
    if let Some(r) = earlier {
        let (earlier_hash, status, body, id): (String, u32, String, String) =
            (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
        let status = u16::try_from(status).map_err(|e| DbError::decode(1, e))?;
        return Ok(if earlier_hash == hash {
            Outcome::Replay { status, body, id }
        } else {
            Outcome::KeyReused
        });
    }
    db::insert(tx, &row.id, owner, &row.report, photos, now)?;
    tx.execute(
        "INSERT INTO idempotency_keys (account, party_id, apartment_id, idempotency_key,
             request_hash, status, response_json, report_id, created_at)
         VALUES ($1, $2, $3, $4, $5, 201, $6, $7, $8)",
        crate::args![
            owner.account,
            owner.party,
            owner.apartment,
            key,
            hash,
            body,
            row.id,
            db::millis(now)
        ],
    )?;
    Ok(Outcome::Created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_bounded_visible_ascii() {
        assert!(check_key("0193f6d2-8a0e-7c55-b1f5-0d7e5f1d2a10").is_ok());
        assert!(check_key("").is_err());
        assert!(check_key("with space").is_err());
        assert!(check_key("ääkkönen").is_err());
        assert!(check_key(&"k".repeat(KEY_MAX + 1)).is_err());
    }
}
