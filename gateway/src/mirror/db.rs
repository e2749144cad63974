//! The mirror's tables, in their own SQLite file (`mirror.db` in the data directory): a
//! copy of what displays, residents and partners need of each Tampuuri account, rebuilt
//! from Tampuuri whenever it is lost, so it never holds anything Tampuuri does not.
//!
//! Rows keep Rappu's reading of Tampuuri's JSON (the model types, serialized back with the
//! same field names) with only the fields Rappu reads; names of people who may not be named
//! are removed before a row is stored ([`super::minimize`]). Each table has the columns its
//! queries select on: an object's building and property, a connection's party, object,
//! building and property, a report's building, assignee and reporter.

use rusqlite::{Connection, params};

use crate::args;
use crate::store::sql::{Conn, DbError, Value};

/// Version of the schema below; a database of another version is emptied and rebuilt
/// (it is a copy: Tampuuri has the data), except versions 1 and 2, upgraded in place (an
/// upgrade costs no reload): version 1 lacks the reports' `version` column, and both named
/// the tables without the `mirror_` prefix they have now (the names they have in the shared
/// PostgreSQL database, where other tables are called `reports`).
const SCHEMA_VERSION: i64 = 3;

/// The tables' names before version 3.
const OLD_NAMES: &[&str] = &[
    "objects",
    "connections",
    "announcements",
    "reports",
    "syncs",
];

const SCHEMA: &str = "
CREATE TABLE mirror_objects (
    account TEXT NOT NULL,
    id INTEGER NOT NULL,
    parent_id INTEGER,
    kind TEXT NOT NULL,
    property_id INTEGER,
    building_id INTEGER,
    row TEXT NOT NULL,
    PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE INDEX objects_by_building ON mirror_objects (account, building_id);
CREATE INDEX objects_by_property ON mirror_objects (account, property_id, kind);
CREATE TABLE mirror_connections (
    account TEXT NOT NULL,
    id INTEGER NOT NULL,
    party_id INTEGER NOT NULL,
    object_id INTEGER NOT NULL,
    role TEXT NOT NULL,
    building_id INTEGER,
    property_id INTEGER,
    hides INTEGER NOT NULL,
    row TEXT NOT NULL,
    PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE INDEX connections_by_party ON mirror_connections (account, party_id);
CREATE INDEX connections_by_object ON mirror_connections (account, object_id);
CREATE INDEX connections_by_building ON mirror_connections (account, building_id, role);
CREATE INDEX connections_by_property ON mirror_connections (account, property_id, role);
CREATE TABLE mirror_announcements (
    account TEXT NOT NULL,
    id INTEGER NOT NULL,
    object_id INTEGER,
    row TEXT NOT NULL,
    PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE INDEX announcements_by_object ON mirror_announcements (account, object_id);
CREATE TABLE mirror_reports (
    account TEXT NOT NULL,
    id INTEGER NOT NULL,
    object_id INTEGER,
    building_id INTEGER,
    assignee_id INTEGER,
    reporter_id INTEGER,
    state TEXT NOT NULL,
    open INTEGER NOT NULL,
    seen_at INTEGER NOT NULL,
    row TEXT NOT NULL,
    version INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (account, id)
) WITHOUT ROWID;
CREATE INDEX reports_by_building ON mirror_reports (account, building_id, open);
CREATE INDEX reports_by_assignee ON mirror_reports (account, assignee_id);
CREATE INDEX reports_by_reporter ON mirror_reports (account, reporter_id);
CREATE TABLE mirror_syncs (
    account TEXT NOT NULL,
    kind TEXT NOT NULL,
    done_at INTEGER NOT NULL,
    rows INTEGER NOT NULL,
    calls INTEGER NOT NULL,
    PRIMARY KEY (account, kind)
) WITHOUT ROWID;
";

const TABLES: &[&str] = &[
    "mirror_objects",
    "mirror_connections",
    "mirror_announcements",
    "mirror_reports",
    "mirror_syncs",
];

/// The query planner's statistics (`sqlite_stat1`), fixed: `rows, rows per account, rows
/// per value of the next column, ...` for a large account. Without statistics SQLite takes
/// every index to be equally selective and reads e.g. a party's connections by scanning
/// the account's whole primary key (every row of the account, for each lookup: a first
/// load of 500 buildings took minutes, 10,000 buildings hours). Real `ANALYZE` figures
/// would change with the data and are never gathered; these describe the shape, which
/// does not change: one account has most rows, an id one row, a party two or three
/// connections, an object a few, a building dozens, a property a hundred.
const STATS: &[(&str, &str, &str)] = &[
    ("mirror_objects", "mirror_objects", "1000000 1000000 1"),
    (
        "mirror_objects",
        "objects_by_building",
        "1000000 1000000 25",
    ),
    (
        "mirror_objects",
        "objects_by_property",
        "1000000 1000000 50 15",
    ),
    (
        "mirror_connections",
        "mirror_connections",
        "1000000 1000000 1",
    ),
    (
        "mirror_connections",
        "connections_by_party",
        "1000000 1000000 2",
    ),
    (
        "mirror_connections",
        "connections_by_object",
        "1000000 1000000 3",
    ),
    (
        "mirror_connections",
        "connections_by_building",
        "1000000 1000000 50 40",
    ),
    (
        "mirror_connections",
        "connections_by_property",
        "1000000 1000000 100 25",
    ),
    (
        "mirror_announcements",
        "mirror_announcements",
        "100000 100000 1",
    ),
    (
        "mirror_announcements",
        "announcements_by_object",
        "100000 100000 3",
    ),
    ("mirror_reports", "mirror_reports", "100000 100000 1"),
    ("mirror_reports", "reports_by_building", "100000 100000 5 3"),
    (
        "mirror_reports",
        "reports_by_assignee",
        "100000 100000 1000",
    ),
    ("mirror_reports", "reports_by_reporter", "100000 100000 2"),
    ("mirror_syncs", "mirror_syncs", "10 10 1"),
];

/// Page cache of the writer, KiB. A sweep's writes spill to the WAL past it; 4 MiB until
/// 2026-11-30 (part 3: see README, "Memory (part 3)").
pub const WRITER_CACHE_KIB: i64 = 1024;
/// Page cache of the reader, KiB: feed builds read a few pages per building, mostly from
/// the OS's cache; 4 MiB until 2026-11-30.
pub const READER_CACHE_KIB: i64 = 2048;

/// Opens the connection's schema: creates it, or rebuilds it empty when it is of another
/// version; and gives the planner its statistics ([`STATS`]).
pub fn prepare(conn: &mut Connection) -> rusqlite::Result<()> {
    conn.pragma_update(None, "journal_mode", "WAL")?;
    // A copy of Tampuuri: after a crash it is rebuilt by the next reconciliation, so no
    // fsync per transaction.
    conn.pragma_update(None, "synchronous", "OFF")?;
    // The writer's page cache (KiB): kept for the process's life, filled by every sweep.
    conn.pragma_update(None, "cache_size", -WRITER_CACHE_KIB)?;
    let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version == 1 || version == 2 {
        let tx = conn.transaction()?;
        if version == 1 {
            tx.execute_batch("ALTER TABLE reports ADD COLUMN version INTEGER NOT NULL DEFAULT 0;")?;
        }
        for (old, new) in OLD_NAMES.iter().zip(TABLES) {
            tx.execute_batch(&format!("ALTER TABLE {old} RENAME TO {new};"))?;
        }
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
    } else if version != SCHEMA_VERSION {
        let tx = conn.transaction()?;
        for table in TABLES.iter().chain(OLD_NAMES) {
            tx.execute_batch(&format!("DROP TABLE IF EXISTS {table};"))?;
        }
        tx.execute_batch(SCHEMA)?;
        tx.pragma_update(None, "user_version", SCHEMA_VERSION)?;
        tx.commit()?;
    }
    // Versions are the account states' sequence numbers, which start again with the
    // process: every row kept from the last run is older than anything fetched in this one.
    conn.execute(
        "UPDATE mirror_reports SET version = 0 WHERE version <> 0",
        [],
    )?;
    fix_stats(conn)
}

/// Writes [`STATS`] into `sqlite_stat1` (created by a sampling `ANALYZE` that looks at a
/// row or so per index) and has every connection opened afterwards plan with them.
fn fix_stats(conn: &mut Connection) -> rusqlite::Result<()> {
    let exists: bool = conn.query_row(
        "SELECT count(*) > 0 FROM sqlite_schema WHERE name = 'sqlite_stat1'",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        conn.execute_batch("PRAGMA analysis_limit = 1; ANALYZE;")?;
    }
    let tx = conn.transaction()?;
    tx.execute("DELETE FROM sqlite_stat1", [])?;
    for (table, index, stat) in STATS {
        tx.execute(
            "INSERT INTO sqlite_stat1 (tbl, idx, stat) VALUES (?1, ?2, ?3)",
            params![table, index, stat],
        )?;
    }
    tx.commit()?;
    // Reload the statistics into this connection's schema.
    conn.execute_batch("ANALYZE sqlite_schema;")
}

/// An object row to store.
#[derive(Debug, Clone)]
pub struct ObjectRow {
    /// Object id.
    pub id: u64,
    /// Parent object.
    pub parent_id: Option<u64>,
    /// `KohdeMetatyyppi` as Rappu reads it.
    pub kind: String,
    /// Its property (cost centre).
    pub property_id: Option<u64>,
    /// The building it is in (itself for a building).
    pub building_id: Option<u64>,
    /// The object as JSON.
    pub row: String,
}

/// A connection row to store.
#[derive(Debug, Clone)]
pub struct ConnectionRow {
    /// Connection id.
    pub id: u64,
    /// The party.
    pub party_id: u64,
    /// The object.
    pub object_id: u64,
    /// The role as Rappu reads it.
    pub role: String,
    /// The building the object is in.
    pub building_id: Option<u64>,
    /// The property the object is (in).
    pub property_id: Option<u64>,
    /// Whether the connection asks to be left off displays.
    pub hides: bool,
    /// The connection as JSON.
    pub row: String,
}

/// A report row to store.
#[derive(Debug, Clone)]
pub struct ReportRow {
    /// Report id.
    pub id: u64,
    /// Its object.
    pub object_id: Option<u64>,
    /// The building the object is in.
    pub building_id: Option<u64>,
    /// Assignee party.
    pub assignee_id: Option<u64>,
    /// Reporter party.
    pub reporter_id: Option<u64>,
    /// State as Rappu reads it.
    pub state: String,
    /// Open, received or waiting.
    pub open: bool,
    /// The report as JSON.
    pub row: String,
}

/// A report row with the version of its data: the sequence number of the account's mirror
/// when the fetch that read it began, or when Tampuuri answered Rappu's own write. A row is
/// only ever replaced by data of the same version or a later one.
pub type Versioned = (ReportRow, u64);

fn int(v: Option<u64>) -> Option<i64> {
    v.and_then(|v| i64::try_from(v).ok())
}

fn id(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn unsigned(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Stores (replacing) `rows` of `account`.
pub fn put_objects(c: &mut Conn<'_>, account: &str, rows: &[ObjectRow]) -> Result<(), DbError> {
    for r in rows {
        c.execute(
            "INSERT INTO mirror_objects (account, id, parent_id, kind, property_id, building_id, row)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (account, id) DO UPDATE SET parent_id = excluded.parent_id,
                 kind = excluded.kind, property_id = excluded.property_id,
                 building_id = excluded.building_id, row = excluded.row",
            args![
                account,
                id(r.id),
                int(r.parent_id),
                r.kind,
                int(r.property_id),
                int(r.building_id),
                r.row
            ],
        )?;
    }
    Ok(())
}

/// Stores (replacing) `rows` of `account`.
pub fn put_connections(
    c: &mut Conn<'_>,
    account: &str,
    rows: &[ConnectionRow],
) -> Result<(), DbError> {
    for r in rows {
        c.execute(
            "INSERT INTO mirror_connections
             (account, id, party_id, object_id, role, building_id, property_id, hides, row)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (account, id) DO UPDATE SET party_id = excluded.party_id,
                 object_id = excluded.object_id, role = excluded.role,
                 building_id = excluded.building_id, property_id = excluded.property_id,
                 hides = excluded.hides, row = excluded.row",
            args![
                account,
                id(r.id),
                id(r.party_id),
                id(r.object_id),
                r.role,
                int(r.building_id),
                int(r.property_id),
                r.hides,
                r.row
            ],
        )?;
    }
    Ok(())
}

/// Stores (replacing) announcement rows `(id, object, json)` of `account`.
pub fn put_announcements(
    c: &mut Conn<'_>,
    account: &str,
    rows: &[(u64, Option<u64>, String)],
) -> Result<(), DbError> {
    for (i, object, row) in rows {
        c.execute(
            "INSERT INTO mirror_announcements (account, id, object_id, row) VALUES ($1, $2, $3, $4)
             ON CONFLICT (account, id) DO UPDATE SET object_id = excluded.object_id,
                 row = excluded.row",
            args![account, id(*i), int(*object), row],
        )?;
    }
    Ok(())
}

/// Stores (replacing) `rows` of `account`, seen at `now` (ms).
pub fn put_reports(
    c: &mut Conn<'_>,
    account: &str,
    rows: &[Versioned],
    now: i64,
) -> Result<(), DbError> {
    for (r, version) in rows {
        c.execute(
            "INSERT INTO mirror_reports
             (account, id, object_id, building_id, assignee_id, reporter_id, state, open, seen_at,
              row, version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
             ON CONFLICT (account, id) DO UPDATE SET object_id = excluded.object_id,
                 building_id = excluded.building_id, assignee_id = excluded.assignee_id,
                 reporter_id = excluded.reporter_id, state = excluded.state,
                 open = excluded.open, seen_at = excluded.seen_at, row = excluded.row,
                 version = excluded.version",
            args![
                account,
                id(r.id),
                int(r.object_id),
                int(r.building_id),
                int(r.assignee_id),
                int(r.reporter_id),
                r.state,
                r.open,
                now,
                r.row,
                id(*version)
            ],
        )?;
    }
    Ok(())
}

/// Moves the version of reports `ids` of `account`, read again unchanged, to `version`.
pub fn confirm_reports(
    c: &mut Conn<'_>,
    account: &str,
    ids: &[u64],
    version: u64,
) -> Result<(), DbError> {
    for report in ids {
        c.execute(
            "UPDATE mirror_reports SET version = $3 WHERE account = $1 AND id = $2 AND version < $3",
            args![account, id(*report), id(version)],
        )?;
    }
    Ok(())
}

/// Deletes report `report` of `account` (Tampuuri answers it no longer exists) unless its
/// row holds data newer than `version`; whether it was deleted.
pub fn delete_report(
    c: &mut Conn<'_>,
    account: &str,
    report: u64,
    version: u64,
) -> Result<bool, DbError> {
    Ok(c.execute(
        "DELETE FROM mirror_reports WHERE account = $1 AND id = $2 AND version <= $3",
        args![account, id(report), id(version)],
    )? > 0)
}

/// Deletes rows of `table` of `account` by id.
pub fn delete_ids(
    c: &mut Conn<'_>,
    table: &str,
    account: &str,
    ids: &[u64],
) -> Result<(), DbError> {
    let sql = format!("DELETE FROM {table} WHERE account = $1 AND id = $2");
    for i in ids {
        c.execute(&sql, args![account, id(*i)])?;
    }
    Ok(())
}

/// `(id, json)` rows read by `sql` (which selects `id, row`).
pub fn id_rows(
    c: &mut Conn<'_>,
    sql: &str,
    params: &[Value],
) -> Result<Vec<(u64, String)>, DbError> {
    c.query(sql, params)?
        .into_iter()
        .map(|mut r| Ok((unsigned(r.get(0)?), r.take_text(1)?)))
        .collect()
}

/// `(id, json)` of every row of `table` of `account` where `column = value` (`None`:
/// every row of the account).
pub fn rows_where(
    c: &mut Conn<'_>,
    table: &str,
    account: &str,
    column: Option<(&str, u64)>,
) -> Result<Vec<(u64, String)>, DbError> {
    match column {
        Some((column, value)) => id_rows(
            c,
            &format!(
                "SELECT id, row FROM {table} WHERE account = $1 AND {column} = $2 ORDER BY id"
            ),
            args![account, id(value)],
        ),
        None => id_rows(
            c,
            &format!("SELECT id, row FROM {table} WHERE account = $1 ORDER BY id"),
            args![account],
        ),
    }
}

/// The JSON of one row of `table`.
pub fn row(
    c: &mut Conn<'_>,
    table: &str,
    account: &str,
    key: u64,
) -> Result<Option<String>, DbError> {
    c.query_opt(
        &format!("SELECT row FROM {table} WHERE account = $1 AND id = $2"),
        args![account, id(key)],
    )?
    .map(|r| r.get(0))
    .transpose()
}

/// Values of `select` (a single integer column) from `table` of `account` where `column =
/// value`, distinct.
pub fn ids_where(
    c: &mut Conn<'_>,
    table: &str,
    select: &str,
    account: &str,
    column: &str,
    value: u64,
) -> Result<Vec<u64>, DbError> {
    c.query(
        &format!(
            "SELECT DISTINCT {select} FROM {table}
             WHERE account = $1 AND {column} = $2 AND {select} IS NOT NULL"
        ),
        args![account, id(value)],
    )?
    .into_iter()
    .map(|r| Ok(unsigned(r.get(0)?)))
    .collect()
}

/// Records a finished sync of `kind`.
pub fn record_sync(
    c: &mut Conn<'_>,
    account: &str,
    kind: &str,
    at: i64,
    rows: u64,
    calls: u64,
) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO mirror_syncs (account, kind, done_at, rows, calls) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (account, kind) DO UPDATE SET done_at = excluded.done_at,
             rows = excluded.rows, calls = excluded.calls",
        args![account, kind, at, id(rows), id(calls)],
    )?;
    Ok(())
}

/// When `kind` was last synced for `account` (ms), with its rows and calls.
pub fn last_sync(
    c: &mut Conn<'_>,
    account: &str,
    kind: &str,
) -> Result<Option<(i64, u64, u64)>, DbError> {
    c.query_opt(
        "SELECT done_at, rows, calls FROM mirror_syncs WHERE account = $1 AND kind = $2",
        args![account, kind],
    )?
    .map(|r| Ok((r.get(0)?, unsigned(r.get(1)?), unsigned(r.get(2)?))))
    .transpose()
}

/// Every `(id, hash of the row)` of `table` for `account`, for a reconciliation to tell
/// what changed (read row by row: the rows themselves are never all held).
pub fn digests(
    c: &mut Conn<'_>,
    table: &str,
    account: &str,
) -> Result<std::collections::HashMap<u64, u64>, DbError> {
    let mut out = std::collections::HashMap::new();
    c.for_each(
        &format!("SELECT id, row FROM {table} WHERE account = $1"),
        args![account],
        |r| {
            out.insert(unsigned(r.get(0)?), digest(r.str(1)?));
            Ok(())
        },
    )?;
    Ok(out)
}

/// A stable hash of a stored row.
pub fn digest(text: &str) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn plan(conn: &Connection, sql: &str, args: usize) -> String {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let values: Vec<rusqlite::types::Value> = (0..args)
            .map(|i| {
                if i == 0 {
                    rusqlite::types::Value::Text("demo".into())
                } else {
                    rusqlite::types::Value::Integer(7)
                }
            })
            .collect();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(values), |r| {
                r.get::<_, String>(3)
            })
            .unwrap();
        rows.map(Result::unwrap).collect::<Vec<_>>().join("; ")
    }

    /// A file of schema version 1 (before reports had versions) keeps its rows: the column
    /// is added in place, so an upgrade costs no reload from Tampuuri.
    #[test]
    fn a_version_1_file_gains_report_versions_in_place() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirror.db");
        {
            let mut c = Connection::open(&path).unwrap();
            prepare(&mut c).unwrap();
            let tx = c.transaction().unwrap();
            let row = ReportRow {
                id: 5,
                object_id: Some(8),
                building_id: Some(9),
                assignee_id: None,
                reporter_id: Some(7),
                state: "open".into(),
                open: true,
                row: "{}".into(),
            };
            put_reports(&mut Conn::sqlite(&tx), "demo", &[(row, 3)], 0).unwrap();
            tx.commit().unwrap();
            c.execute_batch(
                "ALTER TABLE mirror_reports DROP COLUMN version; PRAGMA user_version = 1;",
            )
            .unwrap();
            for (old, new) in OLD_NAMES.iter().zip(TABLES) {
                c.execute_batch(&format!("ALTER TABLE {new} RENAME TO {old};"))
                    .unwrap();
            }
        }
        let mut c = Connection::open(&path).unwrap();
        prepare(&mut c).unwrap();
        let kept: (i64, i64) = c
            .query_row(
                "SELECT id, version FROM mirror_reports WHERE account = 'demo'",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!(kept, (5, 0));
        let version: i64 = c
            .query_row("PRAGMA user_version", [], |r| r.get(0))
            .unwrap();
        assert_eq!(version, SCHEMA_VERSION);
    }

    /// Every lookup by a column uses that column's index, not a scan of the account (what
    /// SQLite picks without statistics), on a new file and on one made before the
    /// statistics existed.
    #[test]
    fn lookups_use_their_index() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mirror.db");
        {
            // A file of this schema version without statistics (as older releases made).
            let mut c = Connection::open(&path).unwrap();
            c.execute_batch(SCHEMA).unwrap();
            c.pragma_update(None, "user_version", SCHEMA_VERSION)
                .unwrap();
            let tx = c.transaction().unwrap();
            put_connections(
                &mut Conn::sqlite(&tx),
                "demo",
                &[ConnectionRow {
                    id: 1,
                    party_id: 7,
                    object_id: 8,
                    role: "resident".into(),
                    building_id: Some(9),
                    property_id: Some(10),
                    hides: false,
                    row: "{}".into(),
                }],
            )
            .unwrap();
            tx.commit().unwrap();
            assert!(
                plan(&c, "SELECT id, row FROM mirror_connections WHERE account = ?1 AND party_id = ?2 ORDER BY id", 2)
                    .contains("PRIMARY KEY (account=?)"),
                "without statistics the account is scanned (the case this guards against)"
            );
        }
        for _ in 0..2 {
            let mut writer = Connection::open(&path).unwrap();
            prepare(&mut writer).unwrap();
            let reader = Connection::open(&path).unwrap();
            for (sql, args, index) in [
                (
                    "SELECT id, row FROM mirror_connections WHERE account = ?1 AND party_id = ?2 ORDER BY id",
                    2,
                    "connections_by_party",
                ),
                (
                    "SELECT id, row FROM mirror_connections WHERE account = ?1 AND object_id = ?2 ORDER BY id",
                    2,
                    "connections_by_object",
                ),
                (
                    "SELECT DISTINCT property_id FROM mirror_connections WHERE account = ?1 AND party_id = ?2 AND property_id IS NOT NULL",
                    2,
                    "connections_by_party",
                ),
                (
                    "SELECT DISTINCT building_id FROM mirror_connections WHERE account = ?1 AND party_id = ?2 AND building_id IS NOT NULL",
                    2,
                    "connections_by_party",
                ),
                (
                    "SELECT DISTINCT property_id FROM mirror_connections WHERE account = ?1 AND object_id = ?2 AND property_id IS NOT NULL",
                    2,
                    "connections_by_object",
                ),
                (
                    "SELECT id, row FROM mirror_connections WHERE account = ?1 AND building_id = ?2 AND role = ?3 ORDER BY id",
                    3,
                    "connections_by_building",
                ),
                (
                    "SELECT id, row FROM mirror_connections WHERE account = ?1 AND object_id = ?2 AND role <> ?3 ORDER BY id",
                    3,
                    "connections_by_object",
                ),
                (
                    "SELECT id, row FROM mirror_connections WHERE account = ?1 AND party_id = ?2 AND hides = 1",
                    2,
                    "connections_by_party",
                ),
                (
                    "SELECT id, row FROM mirror_objects WHERE account = ?1 AND building_id = ?2 ORDER BY id",
                    2,
                    "objects_by_building",
                ),
                (
                    "SELECT id, row FROM mirror_objects WHERE account = ?1 AND kind = ?2 AND property_id = ?3 ORDER BY id",
                    3,
                    "objects_by_property",
                ),
                (
                    "SELECT id, row FROM mirror_announcements WHERE account = ?1 AND object_id = ?2 ORDER BY id",
                    2,
                    "announcements_by_object",
                ),
                (
                    "SELECT id, row FROM mirror_reports WHERE account = ?1 AND building_id = ?2 AND open = 1 ORDER BY id DESC",
                    2,
                    "reports_by_building",
                ),
                (
                    "SELECT id, row FROM mirror_reports WHERE account = ?1 AND reporter_id = ?2 ORDER BY id",
                    2,
                    "reports_by_reporter",
                ),
                (
                    "SELECT id, row FROM mirror_reports WHERE account = ?1 AND assignee_id = ?2 ORDER BY id",
                    2,
                    "reports_by_assignee",
                ),
            ] {
                for conn in [&writer, &reader] {
                    let p = plan(conn, sql, args);
                    assert!(p.contains(index), "{sql}: {p}");
                }
            }
            // The rows written before are still there.
            assert_eq!(
                rows_where(
                    &mut Conn::sqlite(&reader),
                    "mirror_connections",
                    "demo",
                    Some(("party_id", 7))
                )
                .unwrap()
                .len(),
                1
            );
        }
    }
}
