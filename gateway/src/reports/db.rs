//! The reports' tables (migration step 2): the outbox and index of reports, their photos
//! until delivery, and idempotency keys. Plain functions over a connection (either engine), run
//! inside [`crate::store::Store::call`].

use crate::store::sql::{Conn, DbError, Row, to_json};
use chrono::{DateTime, Utc};
use rappu_shared::report::NewFaultReport;

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

fn read_row(r: &Row) -> Result<ReportRow, DbError> {
    let remote: Option<String> = r.get(12)?;
    Ok(ReportRow {
        id: r.get(0)?,
        owner: Owner {
            account: r.get(1)?,
            party: r.get(2)?,
            apartment: r.get(3)?,
        },
        report: r.json(4)?,
        photo_count: r.get(5)?,
        created_at: from_millis(r.get(6)?),
        delivery: Delivery::parse(&r.get::<String>(7)?),
        attempts: r.get(8)?,
        last_error: r.get(9)?,
        tampuuri_id: r.get(10)?,
        settled_at: r.get::<Option<i64>>(11)?.map(from_millis),
        // A stored view this version cannot read is only a cache: ignore it.
        remote: remote.and_then(|s| serde_json::from_str(&s).ok()),
    })
}

/// Inserts a new report and its photos (inside the caller's transaction).
pub fn insert(
    tx: &mut Conn<'_>,
    id: &str,
    owner: &Owner,
    report: &NewFaultReport,
    photos: &[Photo],
    now: DateTime<Utc>,
) -> Result<(), DbError> {
    tx.execute(
        "INSERT INTO fault_reports (id, account, party_id, apartment_id, report_json, photo_count,
             created_at, delivery, next_attempt_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $7)",
        crate::args![
            id,
            owner.account,
            owner.party,
            owner.apartment,
            to_json(report)?,
            photos.len(),
            millis(now)
        ],
    )?;
    for (i, photo) in photos.iter().enumerate() {
        tx.execute(
            "INSERT INTO fault_report_photos (report_id, position, file_name, media_type, data)
             VALUES ($1, $2, $3, $4, $5)",
            crate::args![id, i, photo.file_name, photo.media_type, photo.data],
        )?;
    }
    super::kept_photos::keep(tx, id, photos, now.timestamp())
}

/// One page of `owner`'s reports, newest first, and how many there are in all.
pub fn page(
    conn: &mut Conn<'_>,
    owner: &Owner,
    offset: u64,
    limit: u64,
) -> Result<(Vec<ReportRow>, u64), DbError> {
    let total: u64 = conn
        .query_one(
            "SELECT COUNT(*) FROM fault_reports WHERE account = $1 AND party_id = $2 AND apartment_id = $3",
            crate::args![owner.account, owner.party, owner.apartment],
        )?
        .get(0)?;
    let rows = conn
        .query(
            &format!(
                "SELECT {COLUMNS} FROM fault_reports
                 WHERE account = $1 AND party_id = $2 AND apartment_id = $3
                 ORDER BY created_at DESC, id DESC LIMIT $4 OFFSET $5"
            ),
            crate::args![owner.account, owner.party, owner.apartment, limit, offset],
        )?
        .iter()
        .map(read_row)
        .collect::<Result<_, _>>()?;
    Ok((rows, total))
}

/// One report, only if it is `owner`'s.
pub fn one(conn: &mut Conn<'_>, owner: &Owner, id: &str) -> Result<Option<ReportRow>, DbError> {
    conn.query_opt(
        &format!(
            "SELECT {COLUMNS} FROM fault_reports
             WHERE id = $1 AND account = $2 AND party_id = $3 AND apartment_id = $4"
        ),
        crate::args![id, owner.account, owner.party, owner.apartment],
    )?
    .as_ref()
    .map(read_row)
    .transpose()
}

/// Any report by id (the outbox's own reads).
pub fn by_id(conn: &mut Conn<'_>, id: &str) -> Result<Option<ReportRow>, DbError> {
    conn.query_opt(
        &format!("SELECT {COLUMNS} FROM fault_reports WHERE id = $1"),
        crate::args![id],
    )?
    .as_ref()
    .map(read_row)
    .transpose()
}

/// The party who filed Tampuuri report `tampuuri_id` through Rappu, if anyone did.
pub fn party_of(
    conn: &mut Conn<'_>,
    account: &str,
    tampuuri_id: u64,
) -> Result<Option<u64>, DbError> {
    conn.query_opt(
        "SELECT party_id FROM fault_reports WHERE account = $1 AND tampuuri_id = $2",
        crate::args![account, tampuuri_id],
    )?
    .map(|r| r.get(0))
    .transpose()
}

/// Records Tampuuri's view of delivered reports that changed since it was last stored.
pub fn save_remote(conn: &mut Conn<'_>, views: &[(String, RemoteView)]) -> Result<(), DbError> {
    conn.transaction(|tx| {
        for (id, view) in views {
            tx.execute(
                "UPDATE fault_reports SET remote_json = $2 WHERE id = $1",
                crate::args![id, to_json(view)?],
            )?;
        }
        Ok(())
    })
}

/// Delivery states for `rappu` operators: how many reports are in each.
pub fn delivery_counts(conn: &mut Conn<'_>) -> Result<Vec<(String, u64)>, DbError> {
    conn.query(
        "SELECT delivery, COUNT(*) FROM fault_reports GROUP BY delivery ORDER BY 1",
        &[],
    )?
    .iter()
    .map(|r| Ok((r.get(0)?, r.get(1)?)))
    .collect()
}

#[cfg(test)]
#[path = "db_tests.rs"]
mod tests;
