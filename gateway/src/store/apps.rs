//! Third-party apps (OAuth 2.0 clients; the secret only as its Argon2id hash) and their
//! calls by month and route. Each query is a plain function over a connection, run by the
//! gateway on a blocking thread ([`Store::call`]) and by the CLI directly.

use rusqlite::{Connection, OptionalExtension, params};

use super::{Store, StoreError};
use crate::apps::registry::RegisteredApp;

fn to_json<T: serde::Serialize>(v: &T) -> rusqlite::Result<String> {
    serde_json::to_string(v).map_err(|e| rusqlite::Error::ToSqlConversionFailure(Box::new(e)))
}

fn from_json<T: serde::de::DeserializeOwned>(i: usize, s: &str) -> rusqlite::Result<T> {
    serde_json::from_str(s).map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

const COLUMNS: &str = "client_id, account, name, contact, scopes_json, origins_json, per_minute, \
     burst, secret_hash, secret_set_at, created_at, created_by, updated_at, revoked_at";

fn row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RegisteredApp> {
    Ok(RegisteredApp {
        client_id: r.get(0)?,
        account: r.get(1)?,
        name: r.get(2)?,
        contact: r.get(3)?,
        scopes: from_json(4, &r.get::<_, String>(4)?)?,
        origins: from_json(5, &r.get::<_, String>(5)?)?,
        per_minute: r.get(6)?,
        burst: r.get(7)?,
        secret_hash: r.get(8)?,
        secret_set_at: r.get(9)?,
        created_at: r.get(10)?,
        created_by: r.get(11)?,
        updated_at: r.get(12)?,
        revoked_at: r.get(13)?,
    })
}

/// Inserts a new app.
pub fn insert(c: &Connection, app: &RegisteredApp) -> rusqlite::Result<()> {
    c.execute(
        &format!("INSERT INTO apps ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"),
        params![
            app.client_id,
            app.account,
            app.name,
            app.contact,
            to_json(&app.scopes)?,
            to_json(&app.origins)?,
            app.per_minute,
            app.burst,
            app.secret_hash,
            app.secret_set_at,
            app.created_at,
            app.created_by,
            app.updated_at,
            app.revoked_at
        ],
    )
    .map(|_| ())
}

/// Replaces an active app's settings (not its secret); `false` when there is none.
pub fn update(c: &Connection, app: &RegisteredApp) -> rusqlite::Result<bool> {
    c.execute(
        "UPDATE apps SET name = ?2, contact = ?3, scopes_json = ?4, origins_json = ?5,
             per_minute = ?6, burst = ?7, updated_at = ?8
         WHERE client_id = ?1 AND revoked_at IS NULL",
        params![
            app.client_id,
            app.name,
            app.contact,
            to_json(&app.scopes)?,
            to_json(&app.origins)?,
            app.per_minute,
            app.burst,
            app.updated_at
        ],
    )
    .map(|n| n == 1)
}

/// Every app, newest first.
pub fn all(c: &Connection) -> rusqlite::Result<Vec<RegisteredApp>> {
    let mut stmt = c.prepare(&format!(
        "SELECT {COLUMNS} FROM apps ORDER BY created_at DESC, client_id"
    ))?;
    let rows = stmt.query_map([], row)?;
    rows.collect()
}

/// One app.
pub fn get(c: &Connection, client_id: &str) -> rusqlite::Result<Option<RegisteredApp>> {
    c.query_row(
        &format!("SELECT {COLUMNS} FROM apps WHERE client_id = ?1"),
        [client_id],
        row,
    )
    .optional()
}

/// Revokes every unexpired token issued to `client_id` (recorded in `issued_tokens`) and
/// returns their ids.
fn revoke_tokens(
    c: &Connection,
    client_id: &str,
    now: i64,
    why: &str,
) -> rusqlite::Result<Vec<String>> {
    let mut stmt = c.prepare(
        "SELECT jti, expires_at FROM issued_tokens
         WHERE subject = ?1 AND role = 'app' AND expires_at > ?2",
    )?;
    let tokens: Vec<(String, i64)> = stmt
        .query_map(params![client_id, now], |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (jti, expires_at) in &tokens {
        c.execute(
            "INSERT OR IGNORE INTO revoked_tokens (jti, revoked_at, expires_at, reason)
             VALUES (?1, ?2, ?3, ?4)",
            params![jti, now, expires_at, why],
        )?;
    }
    Ok(tokens.into_iter().map(|(jti, _)| jti).collect())
}

/// Sets an active app's new secret and revokes the tokens issued with the old one;
/// `None` when there is no such active app.
pub fn rotate(
    c: &mut Connection,
    client_id: &str,
    secret_hash: &str,
    now: i64,
) -> rusqlite::Result<Option<Vec<String>>> {
    let tx = c.transaction()?;
    let changed = tx.execute(
        "UPDATE apps SET secret_hash = ?2, secret_set_at = ?3, updated_at = ?3
         WHERE client_id = ?1 AND revoked_at IS NULL",
        params![client_id, secret_hash, now],
    )?;
    if changed == 0 {
        return Ok(None);
    }
    let revoked = revoke_tokens(&tx, client_id, now, "client secret rotated")?;
    tx.commit()?;
    Ok(Some(revoked))
}

/// Revokes an app and its tokens; `None` when there is no such app (a revoked app stays
/// revoked: revoking again answers its tokens, now none).
pub fn revoke(
    c: &mut Connection,
    client_id: &str,
    now: i64,
) -> rusqlite::Result<Option<Vec<String>>> {
    let tx = c.transaction()?;
    let exists: Option<Option<i64>> = tx
        .query_row(
            "SELECT revoked_at FROM apps WHERE client_id = ?1",
            [client_id],
            |r| r.get(0),
        )
        .optional()?;
    if exists.is_none() {
        return Ok(None);
    }
    tx.execute(
        "UPDATE apps SET revoked_at = COALESCE(revoked_at, ?2), updated_at = ?2 WHERE client_id = ?1",
        params![client_id, now],
    )?;
    let revoked = revoke_tokens(&tx, client_id, now, "app revoked")?;
    tx.commit()?;
    Ok(Some(revoked))
}

/// An app's calls to one route in one month.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallCount {
    /// The app.
    pub client_id: String,
    /// `YYYY-MM` (UTC).
    pub month: String,
    /// Route template (`GET /api/v1/...`).
    pub route: String,
    /// Calls.
    pub calls: u64,
    /// The last one (unix seconds).
    pub last_at: i64,
}

/// Adds counted calls.
pub fn add_calls(c: &mut Connection, calls: &[CallCount]) -> rusqlite::Result<()> {
    let tx = c.transaction()?;
    for CallCount {
        client_id: client,
        month,
        route,
        calls: n,
        last_at: last,
    } in calls
    {
        tx.execute(
            "INSERT INTO app_calls (client_id, month, route, calls, last_at) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (client_id, month, route)
             DO UPDATE SET calls = calls + excluded.calls, last_at = MAX(last_at, excluded.last_at)",
            params![client, month, route, i64::try_from(*n).unwrap_or(i64::MAX), last],
        )?;
    }
    tx.commit()
}

/// Calls of `account`'s apps, by app, month and route (one month, or all).
pub fn calls(
    c: &Connection,
    account: &str,
    month: Option<&str>,
) -> rusqlite::Result<Vec<CallCount>> {
    let mut stmt = c.prepare(
        "SELECT k.client_id, k.month, k.route, k.calls, k.last_at
         FROM app_calls k JOIN apps a ON a.client_id = k.client_id
         WHERE a.account = ?1 AND (?2 IS NULL OR k.month = ?2)
         ORDER BY k.month DESC, k.client_id, k.route",
    )?;
    let rows = stmt.query_map(params![account, month], |r| {
        Ok(CallCount {
            client_id: r.get(0)?,
            month: r.get(1)?,
            route: r.get(2)?,
            calls: u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            last_at: r.get(4)?,
        })
    })?;
    rows.collect()
}

impl Store {
    /// Runs one of this module's functions on the gateway's blocking pool.
    pub async fn apps<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Connection) -> rusqlite::Result<R> + Send + 'static,
        R: Send + 'static,
    {
        self.call(f).await
    }
}
