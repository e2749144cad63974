//! The reports' tables (migration step 2): the outbox and index of reports, their photos
//! until delivery, and idempotency keys. Plain functions over a connection, run inside
//! [`crate::store::Store::call`] (which serialises them).

use chrono::{DateTime, Utc};
use rappu_shared::report::NewFaultReport;
use rusqlite::{Connection, OptionalExtension, Row, Transaction, params};

use super::Owner;
use super::photos::Photo;
use super::view::RemoteView;

/// Where a report is on its way to Tampuuri.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Committed here, not yet in Tampuuri.
    Pending,
    /// Tampuuri has it (`tampuuri_id`).
    Delivered,
    /// Tampuuri refused it for good; an operator must look.
    Failed,
}

impl Delivery {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }

    fn parse(s: &str) -> Self {
        match s {
            "delivered" => Self::Delivered,
            "failed" => Self::Failed,
            _ => Self::Pending,
        }
    }
}

/// One report as stored.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// Rappu's id; also the correlation id (`UlkoinenTunniste`) sent to Tampuuri.
    pub id: String,
    /// Whose it is.
    pub owner: Owner,
    /// What the resident filed (photos not included: they are in their own table).
    pub report: NewFaultReport,
    /// Photos filed.
    pub photo_count: u32,
    /// When Rappu accepted it.
    pub created_at: DateTime<Utc>,
    /// Delivery state.
    pub delivery: Delivery,
    /// Delivery attempts started so far.
    pub attempts: u32,
    /// Why the last attempt failed (for operators; never shown to residents).
    pub last_error: Option<String>,
    /// Tampuuri's id, once delivered.
    pub tampuuri_id: Option<u64>,
    /// When delivery succeeded or failed for good.
    pub settled_at: Option<DateTime<Utc>>,
    /// Tampuuri's view as last seen, for when Tampuuri cannot be asked.
    pub remote: Option<RemoteView>,
}

const COLUMNS: &str = "id, account, party_id, apartment_id, report_json, photo_count, created_at,
    delivery, attempts, last_error, tampuuri_id, settled_at, remote_json";

pub(super) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

fn from_millis(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn read_row(r: &Row<'_>) -> rusqlite::Result<ReportRow> {
    let json: String = r.get(4)?;
    let report = serde_json::from_str(&json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(4, rusqlite::types::Type::Text, Box::new(e))
    })?;
    let remote: Option<String> = r.get(12)?;
    Ok(ReportRow {
        id: r.get(0)?,
        owner: Owner {
            account: r.get(1)?,
            party: r.get(2)?,
            apartment: r.get(3)?,
        },
        report,
        photo_count: r.get(5)?,
        created_at: from_millis(r.get(6)?),
        delivery: Delivery::parse(&r.get::<_, String>(7)?),
        attempts: r.get(8)?,
        last_error: r.get(9)?,
        tampuuri_id: r.get(10)?,
        settled_at: r.get::<_, Option<i64>>(11)?.map(from_millis),
        // A stored view this version cannot read is only a cache: ignore it.
        remote: remote.and_then(|s| serde_json::from_str(&s).ok()),
    })
}

/// Runs `f` in a transaction whose commit is synced to disk before it returns
/// (`synchronous=FULL`): once Rappu has said "received", a power cut must not lose it.
pub fn durably<R>(
    conn: &mut Connection,
    f: impl FnOnce(&Transaction<'_>) -> rusqlite::Result<R>,
) -> rusqlite::Result<R> {
    conn.pragma_update(None, "synchronous", "FULL")?;
    let result = (|| -> rusqlite::Result<R> {
        let tx = conn.transaction()?;
        let value = f(&tx)?;
        tx.commit()?;
        Ok(value)
    })();
    let restored = conn.pragma_update(None, "synchronous", "NORMAL");
    let value = result?;
    restored?;
    Ok(value)
}

/// Inserts a new report and its photos (inside the caller's transaction).
pub fn insert(
    tx: &Transaction<'_>,
    id: &str,
    owner: &Owner,
    report: &NewFaultReport,
    photos: &[Photo],
    now: DateTime<Utc>,
) -> rusqlite::Result<()> {
    let json = serde_json::to_string(report)
        .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
    tx.execute(
        "INSERT INTO fault_reports (id, account, party_id, apartment_id, report_json, photo_count,
             created_at, delivery, next_attempt_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending', ?7)",
        params![
            id,
            owner.account,
            owner.party,
            owner.apartment,
            json,
            photos.len(),
            millis(now)
        ],
    )?;
    for (i, photo) in photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO fault_report_photos (report_id, position, file_name, media_type, data)
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, i, photo.file_name, photo.media_type, photo.data],
        )?;
    }
    super::kept_photos::keep(tx, id, photos, now.timestamp())
}

/// One page of `owner`'s reports, newest first, and how many there are in all.
pub fn page(
    conn: &Connection,
    owner: &Owner,
    offset: u64,
    limit: u64,
) -> rusqlite::Result<(Vec<ReportRow>, u64)> {
    let total: u64 = conn.query_row(
        "SELECT COUNT(*) FROM fault_reports WHERE account = ?1 AND party_id = ?2 AND apartment_id = ?3",
        params![owner.account, owner.party, owner.apartment],
        |r| r.get(0),
    )?;
    let mut stmt = conn.prepare(&format!(
        "SELECT {COLUMNS} FROM fault_reports
         WHERE account = ?1 AND party_id = ?2 AND apartment_id = ?3
         ORDER BY created_at DESC, id DESC LIMIT ?4 OFFSET ?5"
    ))?;
    let rows = stmt.query_map(
        params![owner.account, owner.party, owner.apartment, limit, offset],
        read_row,
    )?;
    Ok((rows.collect::<rusqlite::Result<_>>()?, total))
}

/// One report, only if it is `owner`'s.
pub fn one(conn: &Connection, owner: &Owner, id: &str) -> rusqlite::Result<Option<ReportRow>> {
    conn.query_row(
        &format!(
            "SELECT {COLUMNS} FROM fault_reports
             WHERE id = ?1 AND account = ?2 AND party_id = ?3 AND apartment_id = ?4"
        ),
        params![id, owner.account, owner.party, owner.apartment],
        read_row,
    )
    .optional()
}

/// Any report by id (the outbox's own reads).
pub fn by_id(conn: &Connection, id: &str) -> rusqlite::Result<Option<ReportRow>> {
    conn.query_row(
        &format!("SELECT {COLUMNS} FROM fault_reports WHERE id = ?1"),
        [id],
        read_row,
    )
    .optional()
}

/// The party who filed Tampuuri report `tampuuri_id` through Rappu, if anyone did.
pub fn party_of(
    conn: &Connection,
    account: &str,
    tampuuri_id: u64,
) -> rusqlite::Result<Option<u64>> {
    conn.query_row(
        "SELECT party_id FROM fault_reports WHERE account = ?1 AND tampuuri_id = ?2",
        params![account, tampuuri_id],
        |r| r.get(0),
    )
    .optional()
}

/// Records Tampuuri's view of delivered reports that changed since it was last stored.
pub fn save_remote(conn: &mut Connection, views: &[(String, RemoteView)]) -> rusqlite::Result<()> {
    let tx = conn.transaction()?;
    for (id, view) in views {
        let json = serde_json::to_string(view)
            .map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))?;
        tx.execute(
            "UPDATE fault_reports SET remote_json = ?2 WHERE id = ?1",
            params![id, json],
        )?;
    }
    tx.commit()
}

/// Delivery states for `rappu` operators: how many reports are in each.
pub fn delivery_counts(conn: &Connection) -> rusqlite::Result<Vec<(String, u64)>> {
    let mut stmt =
        conn.prepare("SELECT delivery, COUNT(*) FROM fault_reports GROUP BY delivery ORDER BY 1")?;
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
    rows.collect()
}

#[cfg(test)]
#[path = "db_tests.rs"]
mod tests;
