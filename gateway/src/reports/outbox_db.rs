//! The outbox's own queries: what is due, and recording each attempt and its outcome.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

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

/// The pending report due soonest (oldest first among equals).
pub fn next_due(conn: &Connection, now: DateTime<Utc>) -> rusqlite::Result<Due> {
    let next: Option<(String, i64)> = conn
        .query_row(
            "SELECT id, next_attempt_at FROM fault_reports WHERE delivery = 'pending'
             ORDER BY next_attempt_at, created_at, id LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let Some((id, at)) = next else {
        return Ok(Due::Idle);
    };
    if at > db::millis(now) {
        return Ok(Due::At(DateTime::from_timestamp_millis(at).unwrap_or(now)));
    }
    let Some(row) = db::by_id(conn, &id)? else {
        return Ok(Due::Idle);
    };
    let mut stmt = conn.prepare(
        "SELECT file_name, media_type, data FROM fault_report_photos
         WHERE report_id = ?1 ORDER BY position",
    )?;
    let photos = stmt
        .query_map([&id], |r| {
            Ok(StoredPhoto {
                file_name: r.get(0)?,
                media_type: r.get(1)?,
                data: r.get(2)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Due::Now(Box::new(Job { row, photos })))
}

/// Counts an attempt *before* it is made, synced to disk: after a crash, a counted attempt
/// tells the next one to search Tampuuri first.
pub fn begin_attempt(conn: &mut Connection, id: &str) -> rusqlite::Result<()> {
    db::durably(conn, |tx| {
        tx.execute(
            "UPDATE fault_reports SET attempts = attempts + 1 WHERE id = ?1",
            [id],
        )
        .map(|_| ())
    })
}

/// Tampuuri has the report: record its id and first view, and drop the photos.
pub fn record_delivered(
    conn: &mut Connection,
    id: &str,
    tampuuri_id: u64,
    remote: &RemoteView,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(remote)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    let tx = conn.transaction()?;
    tx.execute(
        "UPDATE fault_reports SET delivery = 'delivered', tampuuri_id = ?2, tampuuri_number = ?3,
             settled_at = ?4, remote_json = ?5, last_error = NULL
         WHERE id = ?1",
        params![id, tampuuri_id, remote.number, db::millis(Utc::now()), json],
    )?;
    tx.execute("DELETE FROM fault_report_photos WHERE report_id = ?1", [id])?;
    tx.commit()
}

/// A transient failure: try again at `at`.
pub fn record_retry(
    conn: &mut Connection,
    id: &str,
    at: DateTime<Utc>,
    error: &str,
) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE fault_reports SET next_attempt_at = ?2, last_error = ?3 WHERE id = ?1",
        params![id, db::millis(at), error],
    )
    .map(|_| ())
}

/// Tampuuri refused the report for good; its photos are kept for a retry.
pub fn record_failed(conn: &mut Connection, id: &str, reason: &str) -> rusqlite::Result<()> {
    conn.execute(
        "UPDATE fault_reports SET delivery = 'failed', settled_at = ?2, last_error = ?3
         WHERE id = ?1",
        params![id, db::millis(Utc::now()), reason],
    )
    .map(|_| ())
}

/// Puts a failed report of `account` back in the queue, due now (an operator fixed the
/// cause). Its attempts are kept, so the retry searches Tampuuri first. Returns whether
/// there was such a failed report.
pub fn requeue(conn: &mut Connection, account: &str, id: &str) -> rusqlite::Result<bool> {
    let n = conn.execute(
        "UPDATE fault_reports SET delivery = 'pending', settled_at = NULL, next_attempt_at = ?3
         WHERE id = ?1 AND account = ?2 AND delivery = 'failed'",
        params![id, account, db::millis(Utc::now())],
    )?;
    Ok(n == 1)
}

/// `account`'s reports not delivered (pending or failed), oldest first, for operators.
pub fn undelivered(
    conn: &Connection,
    account: &str,
    limit: u64,
) -> rusqlite::Result<Vec<ReportRow>> {
    let mut stmt = conn.prepare(
        "SELECT id FROM fault_reports WHERE account = ?1 AND delivery != 'delivered'
         ORDER BY created_at, id LIMIT ?2",
    )?;
    let ids: Vec<String> = stmt
        .query_map(params![account, limit], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    let mut rows = Vec::with_capacity(ids.len());
    for id in ids {
        if let Some(row) = db::by_id(conn, &id)? {
            rows.push(row);
        }
    }
    Ok(rows)
}
