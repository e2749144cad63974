//! The pairing tables (migration 5): `display_pairings` (pending codes), `paired_displays`
//! and `caretaker_links`. Plain functions over a connection, run through
//! [`crate::store::Store::call`]. Times are Unix seconds.

use rusqlite::{Connection, OptionalExtension, params};

/// A paired display's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisplayRow {
    /// Rappu's id.
    pub id: String,
    /// Tampuuri account.
    pub account: String,
    /// Building object id.
    pub building: u64,
    /// Staircase object id.
    pub staircase: Option<u64>,
    /// Its name.
    pub label: Option<String>,
    /// When it was paired.
    pub paired_at: i64,
    /// Who paired it.
    pub paired_by: String,
    /// When it last renewed its session.
    pub last_seen_at: Option<i64>,
}

const DISPLAY_COLUMNS: &str =
    "id, account, building, staircase, label, paired_at, paired_by, last_seen_at";

fn display_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<DisplayRow> {
    Ok(DisplayRow {
        id: r.get(0)?,
        account: r.get(1)?,
        building: r.get(2)?,
        staircase: r.get(3)?,
        label: r.get(4)?,
        paired_at: r.get(5)?,
        paired_by: r.get(6)?,
        last_seen_at: r.get(7)?,
    })
}

/// A pending pairing as its screen sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingRow {
    /// The code the screen shows.
    pub user_code: String,
    /// When it stops working.
    pub expires_at: i64,
    /// The display it became, once approved.
    pub display_id: Option<String>,
}

/// Forgets pairings that no longer work.
pub fn prune_pairings(c: &Connection, now: i64) -> rusqlite::Result<usize> {
    c.execute("DELETE FROM display_pairings WHERE expires_at <= ?1", [now])
}

/// Stores a new pairing; `Ok(false)` when its user code is taken by another live one.
pub fn insert_pairing(
    c: &Connection,
    device_hash: &str,
    user_code: &str,
    now: i64,
    expires_at: i64,
) -> rusqlite::Result<bool> {
    let inserted = c.execute(
        "INSERT INTO display_pairings (device_hash, user_code, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
        params![device_hash, user_code, now, expires_at],
    )?;
    Ok(inserted == 1)
}

/// The live pairing of a screen's secret.
pub fn pending(
    c: &Connection,
    device_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<PendingRow>> {
    c.query_row(
        "SELECT user_code, expires_at, display_id FROM display_pairings
         WHERE device_hash = ?1 AND expires_at > ?2",
        params![device_hash, now],
        |r| {
            Ok(PendingRow {
                user_code: r.get(0)?,
                expires_at: r.get(1)?,
                display_id: r.get(2)?,
            })
        },
    )
    .optional()
}

/// Approves the live, not yet approved pairing showing `user_code` as `display`, and
/// records the display, in one transaction. `Ok(false)` when no screen shows that code.
pub fn approve(
    c: &mut Connection,
    user_code: &str,
    display: &DisplayRow,
    now: i64,
) -> rusqlite::Result<bool> {
    let tx = c.transaction()?;
    let claimed = tx.execute(
        "UPDATE display_pairings SET display_id = ?1
         WHERE user_code = ?2 AND display_id IS NULL AND expires_at > ?3",
        params![display.id, user_code, now],
    )?;
    if claimed != 1 {
        return Ok(false);
    }
    tx.execute(
        &format!("INSERT INTO paired_displays ({DISPLAY_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            display.id,
            display.account,
            display.building,
            display.staircase,
            display.label,
            display.paired_at,
            display.paired_by,
            display.last_seen_at
        ],
    )?;
    tx.commit()?;
    Ok(true)
}

/// A paired display by id (of any account).
pub fn display(c: &Connection, id: &str) -> rusqlite::Result<Option<DisplayRow>> {
    c.query_row(
        &format!("SELECT {DISPLAY_COLUMNS} FROM paired_displays WHERE id = ?1"),
        [id],
        display_row,
    )
    .optional()
}

/// The account's paired displays, oldest first.
pub fn displays(c: &Connection, account: &str) -> rusqlite::Result<Vec<DisplayRow>> {
    let mut stmt = c.prepare(&format!(
        "SELECT {DISPLAY_COLUMNS} FROM paired_displays WHERE account = ?1 ORDER BY paired_at, id"
    ))?;
    stmt.query_map([account], display_row)?.collect()
}

/// Moves a display of `account`; `None` when it has no such display.
pub fn reassign(
    c: &Connection,
    account: &str,
    id: &str,
    building: u64,
    staircase: Option<u64>,
    label: Option<&str>,
) -> rusqlite::Result<Option<DisplayRow>> {
    c.query_row(
        &format!(
            "UPDATE paired_displays SET building = ?3, staircase = ?4, label = ?5
             WHERE account = ?1 AND id = ?2 RETURNING {DISPLAY_COLUMNS}"
        ),
        params![account, id, building, staircase, label],
        display_row,
    )
    .optional()
}

/// Notes that the display renewed its session.
pub fn seen(c: &Connection, id: &str, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "UPDATE paired_displays SET last_seen_at = ?2 WHERE id = ?1",
        params![id, now],
    )
    .map(|_| ())
}

/// Removes a display of `account` and any pairing that led to it; `false` when it has no
/// such display.
pub fn remove(c: &mut Connection, account: &str, id: &str) -> rusqlite::Result<bool> {
    let tx = c.transaction()?;
    let removed = tx.execute(
        "DELETE FROM paired_displays WHERE account = ?1 AND id = ?2",
        params![account, id],
    )?;
    tx.execute("DELETE FROM display_pairings WHERE display_id = ?1", [id])?;
    tx.commit()?;
    Ok(removed == 1)
}

/// Token ids issued to `subject` that have not expired yet.
pub fn live_tokens(c: &Connection, subject: &str, now: i64) -> rusqlite::Result<Vec<String>> {
    let mut stmt =
        c.prepare("SELECT jti FROM issued_tokens WHERE subject = ?1 AND expires_at > ?2")?;
    stmt.query_map(params![subject, now], |r| r.get(0))?
        .collect()
}

/// A caretaker link's row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaretakerRow {
    /// Rappu's id of the link.
    pub id: String,
    /// Tampuuri account.
    pub account: String,
    /// Who it is for.
    pub label: Option<String>,
    /// The buildings it may pair displays in.
    pub buildings: Vec<u64>,
    /// When the phone's session ends.
    pub expires_at: i64,
}

/// A new caretaker link (its one-time code by hash).
pub struct NewLink<'a> {
    /// Rappu's id.
    pub id: &'a str,
    /// Tampuuri account.
    pub account: &'a str,
    /// Who it is for.
    pub label: Option<&'a str>,
    /// The buildings, as JSON.
    pub buildings_json: &'a str,
    /// Hash of the link's code.
    pub link_hash: &'a str,
    /// The link stops working then unless opened.
    pub link_expires_at: i64,
    /// Days the opened link's session lasts.
    pub session_days: u32,
}

/// Stores a caretaker link.
pub fn insert_link(c: &Connection, link: &NewLink<'_>, now: i64) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO caretaker_links (id, account, label, buildings_json, link_hash,
             link_expires_at, session_days, created_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            link.id,
            link.account,
            link.label,
            link.buildings_json,
            link.link_hash,
            link.link_expires_at,
            link.session_days,
            now
        ],
    )
    .map(|_| ())
}

fn caretaker_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<CaretakerRow> {
    let json: String = r.get(3)?;
    let buildings = serde_json::from_str(&json).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(3, rusqlite::types::Type::Text, Box::new(e))
    })?;
    Ok(CaretakerRow {
        id: r.get(0)?,
        account: r.get(1)?,
        label: r.get(2)?,
        buildings,
        expires_at: r.get(4)?,
    })
}

/// Uses up a link's one-time code: its session gets `session_hash` and starts now.
pub fn open_link(
    c: &Connection,
    link_hash: &str,
    session_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<CaretakerRow>> {
    c.query_row(
        "UPDATE caretaker_links SET session_hash = ?2, expires_at = ?3 + session_days * 86400
         WHERE link_hash = ?1 AND session_hash IS NULL AND link_expires_at > ?3
         RETURNING id, account, label, buildings_json, expires_at",
        params![link_hash, session_hash, now],
        caretaker_row,
    )
    .optional()
}

/// The live caretaker session with this secret's hash.
pub fn caretaker(
    c: &Connection,
    session_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<CaretakerRow>> {
    c.query_row(
        "SELECT id, account, label, buildings_json, expires_at FROM caretaker_links
         WHERE session_hash = ?1 AND expires_at > ?2",
        params![session_hash, now],
        caretaker_row,
    )
    .optional()
}
