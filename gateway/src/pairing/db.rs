//! The pairing tables (migration 5): `display_pairings` (pending codes), `paired_displays`
//! and `caretaker_links`. Plain functions over a connection, run through
//! [`crate::store::Store::call`] on either engine. Times are Unix seconds.

use crate::store::sql::{Conn, DbError, Row};

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

fn display_row(r: &Row) -> Result<DisplayRow, DbError> {
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
pub fn prune_pairings(c: &mut Conn<'_>, now: i64) -> Result<usize, DbError> {
    c.execute(
        "DELETE FROM display_pairings WHERE expires_at <= $1",
        crate::args![now],
    )
}

/// Stores a new pairing; `Ok(false)` when its user code is taken by another live one.
pub fn insert_pairing(
    c: &mut Conn<'_>,
    device_hash: &str,
    user_code: &str,
    now: i64,
    expires_at: i64,
) -> Result<bool, DbError> {
    let inserted = c.execute(
        "INSERT INTO display_pairings (device_hash, user_code, created_at, expires_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
        crate::args![device_hash, user_code, now, expires_at],
    )?;
    Ok(inserted == 1)
}

/// The live pairing of a screen's secret.
pub fn pending(
    c: &mut Conn<'_>,
    device_hash: &str,
    now: i64,
) -> Result<Option<PendingRow>, DbError> {
    c.query_opt(
        "SELECT user_code, expires_at, display_id FROM display_pairings
         WHERE device_hash = $1 AND expires_at > $2",
        crate::args![device_hash, now],
    )?
    .map(|r| {
        Ok(PendingRow {
            user_code: r.get(0)?,
            expires_at: r.get(1)?,
            display_id: r.get(2)?,
        })
    })
    .transpose()
}

/// Approves the live, not yet approved pairing showing `user_code` as `display`, and
/// records the display, in one transaction. `Ok(false)` when no screen shows that code.
pub fn approve(
    c: &mut Conn<'_>,
    user_code: &str,
    display: &DisplayRow,
    now: i64,
) -> Result<bool, DbError> {
    c.transaction(|tx| {
    let claimed = tx.execute(
        "UPDATE display_pairings SET display_id = $1
         WHERE user_code = $2 AND display_id IS NULL AND expires_at > $3",
        crate::args![display.id, user_code, now],
    )?;
    if claimed != 1 {
        return Ok(false);
    }
    tx.execute(
        &format!("INSERT INTO paired_displays ({DISPLAY_COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"),
        crate::args![
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
    Ok(true)
    })
}

/// A paired display by id (of any account).
pub fn display(c: &mut Conn<'_>, id: &str) -> Result<Option<DisplayRow>, DbError> {
    c.query_opt(
        &format!("SELECT {DISPLAY_COLUMNS} FROM paired_displays WHERE id = $1"),
        crate::args![id],
    )?
    .as_ref()
    .map(display_row)
    .transpose()
}

/// The account's paired displays, oldest first.
pub fn displays(c: &mut Conn<'_>, account: &str) -> Result<Vec<DisplayRow>, DbError> {
    c.query(
        &format!(
            "SELECT {DISPLAY_COLUMNS} FROM paired_displays WHERE account = $1 ORDER BY paired_at, id"
        ),
        crate::args![account],
    )?
    .iter()
    .map(display_row)
    .collect()
}

/// Moves a display of `account`; `None` when it has no such display.
pub fn reassign(
    c: &mut Conn<'_>,
    account: &str,
    id: &str,
    building: u64,
    staircase: Option<u64>,
    label: Option<&str>,
) -> Result<Option<DisplayRow>, DbError> {
    c.query_opt(
        &format!(
            "UPDATE paired_displays SET building = $3, staircase = $4, label = $5
             WHERE account = $1 AND id = $2 RETURNING {DISPLAY_COLUMNS}"
        ),
        crate::args![account, id, building, staircase, label],
    )?
    .as_ref()
    .map(display_row)
    .transpose()
}

/// Notes that the display renewed its session.
pub fn seen(c: &mut Conn<'_>, id: &str, now: i64) -> Result<(), DbError> {
    c.execute(
        "UPDATE paired_displays SET last_seen_at = $2 WHERE id = $1",
        crate::args![id, now],
    )
    .map(|_| ())
}

/// Removes a display of `account` and any pairing that led to it; `false` when it has no
/// such display.
pub fn remove(c: &mut Conn<'_>, account: &str, id: &str) -> Result<bool, DbError> {
    c.transaction(|tx| {
        let removed = tx.execute(
            "DELETE FROM paired_displays WHERE account = $1 AND id = $2",
            crate::args![account, id],
        )?;
        tx.execute(
            "DELETE FROM display_pairings WHERE display_id = $1",
            crate::args![id],
        )?;
        Ok(removed == 1)
    })
}

/// Token ids issued to `subject` that have not expired yet.
pub fn live_tokens(c: &mut Conn<'_>, subject: &str, now: i64) -> Result<Vec<String>, DbError> {
    c.query(
        "SELECT jti FROM issued_tokens WHERE subject = $1 AND expires_at > $2",
        crate::args![subject, now],
    )?
    .iter()
    .map(|r| r.get(0))
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
pub fn insert_link(c: &mut Conn<'_>, link: &NewLink<'_>, now: i64) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO caretaker_links (id, account, label, buildings_json, link_hash,
             link_expires_at, session_days, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        crate::args![
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

fn caretaker_row(r: &Row) -> Result<CaretakerRow, DbError> {
    Ok(CaretakerRow {
        id: r.get(0)?,
        account: r.get(1)?,
        label: r.get(2)?,
        buildings: r.json(3)?,
        expires_at: r.get(4)?,
    })
}

/// Uses up a link's one-time code: its session gets `session_hash` and starts now.
pub fn open_link(
    c: &mut Conn<'_>,
    link_hash: &str,
    session_hash: &str,
    now: i64,
) -> Result<Option<CaretakerRow>, DbError> {
    c.query_opt(
        "UPDATE caretaker_links SET session_hash = $2, expires_at = $3 + session_days * 86400
         WHERE link_hash = $1 AND session_hash IS NULL AND link_expires_at > $3
         RETURNING id, account, label, buildings_json, expires_at",
        crate::args![link_hash, session_hash, now],
    )?
    .as_ref()
    .map(caretaker_row)
    .transpose()
}

/// The live caretaker session with this secret's hash.
pub fn caretaker(
    c: &mut Conn<'_>,
    session_hash: &str,
    now: i64,
) -> Result<Option<CaretakerRow>, DbError> {
    c.query_opt(
        "SELECT id, account, label, buildings_json, expires_at FROM caretaker_links
         WHERE session_hash = $1 AND expires_at > $2",
        crate::args![session_hash, now],
    )?
    .as_ref()
    .map(caretaker_row)
    .transpose()
}
