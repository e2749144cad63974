//! The outbox's own queries: claiming what is due (a lease, so replicas share the work
//! and never double it), and recording each attempt and its outcome.

use crate::store::sql::{Conn, DbError, to_json};
use chrono::{DateTime, Utc};

use super::db::{self, ReportRow};
use super::view::RemoteView;

/// A photo waiting for delivery.
#[derive(Debug, Clone)]
pub struct StoredPhoto {
    /// File name sent to Tampuuri.
    pub file_name: String,
    /// Media type.
    pub media_type: String,
    /// The image, metadata removed.
    pub data: Vec<u8>,
}

/// A report to deliver now, with its photos.
#[derive(Debug)]
pub struct Job {
    /// The report.
    pub row: ReportRow,
    /// Its photos, in order.
    pub photos: Vec<StoredPhoto>,
}

/// What the outbox holds.
#[derive(Debug)]
pub enum Due {
    /// A report due now.
    Now(Box<Job>),
    /// Nothing due before this time.
    At(DateTime<Utc>),
    /// Nothing pending.
    Idle,
}

/// Who holds a report while delivering it, and until when: the outbox's share of the work
/// between replicas.
#[derive(Debug, Clone)]
pub struct Lease {
    /// This replica's id (fresh at every start).
    pub owner: String,
    /// How long a claim lasts without renewal.
    pub length: chrono::Duration,
}

/// Claims the pending report due soonest (oldest first among equals) that no other
/// replica's live lease holds: it is this replica's until `now + lease.length` (renewed while
/// delivering). This replica's own leases are not in flight when it asks (one delivery loop
/// per replica): a lease left by an attempt that failed before it could let go (the database
/// went away mid-attempt) is taken again at once, not after the lease. On
/// PostgreSQL the candidate row is locked with `FOR UPDATE SKIP LOCKED`, so replicas
/// claiming at the same moment take different reports instead of waiting for each other;
/// on SQLite the write transaction serialises claims anyway.
pub fn claim_due(conn: &mut Conn<'_>, now: DateTime<Utc>, lease: &Lease) -> Result<Due, DbError> {
    let now_ms = db::millis(now);
    let skip_locked = if conn.is_postgres() {
        " FOR UPDATE SKIP LOCKED"
    } else {
        ""
    };
    let claimed: Option<String> = conn.transaction(|tx| {
        let Some(row) = tx.query_opt(
            &format!(
                "SELECT id FROM fault_reports
                 WHERE delivery = 'pending' AND next_attempt_at <= $1
                   AND (lease_until IS NULL OR lease_until <= $1 OR lease_owner = $2)
                 ORDER BY next_attempt_at, created_at, id LIMIT 1{skip_locked}"
            ),
            crate::args![now_ms, lease.owner],
        )?
        else {
            return Ok(None);
        };
        let id: String = row.get(0)?;
        tx.execute(
            "UPDATE fault_reports SET lease_owner = $2, lease_until = $3 WHERE id = $1",
            crate::args![id, lease.owner, now_ms + lease.length.num_milliseconds()],
        )?;
        Ok(Some(id))
    })?;
    let Some(id) = claimed else {
        // Nothing to do now: when is the next report due, or the next lease over?
        let next: Option<i64> = conn
            .query_one(
                "SELECT MIN(CASE WHEN lease_until > next_attempt_at
                                      AND lease_owner IS DISTINCT FROM $1 THEN lease_until
                                 ELSE next_attempt_at END)
                 FROM fault_reports WHERE delivery = 'pending'",
                crate::args![lease.owner],
            )?
            .get(0)?;
        return Ok(match next {
            None => Due::Idle,
            // A lease that just ended: look again in a moment.
            Some(at) => {
                Due::At(DateTime::from_timestamp_millis(at.max(now_ms + 10)).unwrap_or(now))
            }
        });
    };
    let Some(row) = db::by_id(conn, &id)? else {
        return Ok(Due::Idle);
    };
    let photos = conn
        .query(
            "SELECT file_name, media_type, data FROM fault_report_photos
             WHERE report_id = $1 ORDER BY position",
            crate::args![id],
        )?
        .iter()
        .map(|r| {
            Ok(StoredPhoto {
                file_name: r.get(0)?,
                media_type: r.get(1)?,
                data: r.get(2)?,
            })
        })
        .collect::<Result<_, DbError>>()?;
    Ok(Due::Now(Box::new(Job { row, photos })))
}

/// Lets every lease go (SQLite at start: the only instance on the file is this one).
pub fn release_leases(conn: &mut Conn<'_>) -> Result<usize, DbError> {
    conn.execute(
        "UPDATE fault_reports SET lease_owner = NULL, lease_until = NULL
         WHERE lease_owner IS NOT NULL",
        &[],
    )
}

/// Extends this replica's lease on report `id` to `until`; `false` when it no longer holds
/// it (the lease ran out and another replica took the report).
pub fn renew_lease(
    conn: &mut Conn<'_>,
    id: &str,
    owner: &str,
    until: DateTime<Utc>,
) -> Result<bool, DbError> {
    let n = conn.execute(
        "UPDATE fault_reports SET lease_until = $3
         WHERE id = $1 AND lease_owner = $2 AND delivery = 'pending'",
        crate::args![id, owner, db::millis(until)],
    )?;
    Ok(n == 1)
}

/// Counts an attempt *before* it is made, synced to disk: after a crash, a counted attempt
/// tells the next one to search Tampuuri first. `false` (nothing counted, do not send) when
/// this replica's lease on the report is over.
pub fn begin_attempt(conn: &mut Conn<'_>, id: &str, owner: &str) -> Result<bool, DbError> {
    let now = db::millis(Utc::now());
    conn.durably(|tx| {
        tx.execute(
            "UPDATE fault_reports SET attempts = attempts + 1
             WHERE id = $1 AND lease_owner = $2 AND lease_until > $3",
            crate::args![id, owner, now],
        )
        .map(|n| n == 1)
    })
}

/// Tampuuri has the report: record its id and first view, drop the photos and the lease.
pub fn record_delivered(
    conn: &mut Conn<'_>,
    id: &str,
    tampuuri_id: u64,
    remote: &RemoteView,
) -> Result<(), DbError> {
    let json = to_json(remote)?;
    conn.transaction(|tx| {
        tx.execute(
            "UPDATE fault_reports SET delivery = 'delivered', tampuuri_id = $2, tampuuri_number = $3,
                 settled_at = $4, remote_json = $5, last_error = NULL,
                 lease_owner = NULL, lease_until = NULL
             WHERE id = $1",
            crate::args![id, tampuuri_id, remote.number, db::millis(Utc::now()), json],
        )?;
        tx.execute(
            "DELETE FROM fault_report_photos WHERE report_id = $1",
            crate::args![id],
        )?;
        Ok(())
    })
}

/// A transient failure: try again at `at` (and let the lease go).
pub fn record_retry(
    conn: &mut Conn<'_>,
    id: &str,
    owner: &str,
    at: DateTime<Utc>,
    error: &str,
) -> Result<(), DbError> {
    conn.execute(
        "UPDATE fault_reports SET next_attempt_at = $3, last_error = $4,
             lease_owner = NULL, lease_until = NULL
         WHERE id = $1 AND lease_owner = $2",
        crate::args![id, owner, db::millis(at), error],
    )
    .map(|_| ())
}

/// Tampuuri refused the report for good; its photos are kept for a retry.
pub fn record_failed(conn: &mut Conn<'_>, id: &str, reason: &str) -> Result<(), DbError> {
    conn.execute(
        "UPDATE fault_reports SET delivery = 'failed', settled_at = $2, last_error = $3,
             lease_owner = NULL, lease_until = NULL
         WHERE id = $1",
        crate::args![id, db::millis(Utc::now()), reason],
    )
    .map(|_| ())
}

/// Puts a failed report of `account` back in the queue, due now (an operator fixed the
/// cause). Its attempts are kept, so the retry searches Tampuuri first. Returns whether
/// there was such a failed report.
pub fn requeue(conn: &mut Conn<'_>, account: &str, id: &str) -> Result<bool, DbError> {
    let n = conn.execute(
        "UPDATE fault_reports SET delivery = 'pending', settled_at = NULL, next_attempt_at = $3,
             lease_owner = NULL, lease_until = NULL
         WHERE id = $1 AND account = $2 AND delivery = 'failed'",
        crate::args![id, account, db::millis(Utc::now())],
    )?;
    Ok(n == 1)
}

/// `account`'s reports not delivered (pending or failed), oldest first, for operators.
pub fn undelivered(
    conn: &mut Conn<'_>,
    account: &str,
    limit: u64,
) -> Result<Vec<ReportRow>, DbError> {
    let ids: Vec<String> = conn
        .query(
            "SELECT id FROM fault_reports WHERE account = $1 AND delivery != 'delivered'
             ORDER BY created_at, id LIMIT $2",
            crate::args![account, limit],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_, _>>()?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = db::by_id(conn, &id)? {
            rows.push(row);
        }
    }
    Ok(rows)
}
