//! Third-party apps (OAuth 2.0 clients; the secret only as its Argon2id hash) and their
//! calls by month and route. Each query is a plain function over a connection, run by the
//! gateway on a blocking thread ([`Store::call`]) and by the CLI directly.

use super::sql::{Conn, DbError, Row, to_json};
use super::{Store, StoreError};
use crate::apps::registry::RegisteredApp;

const COLUMNS: &str = "client_id, account, name, contact, scopes_json, origins_json, per_minute, \
     burst, secret_hash, secret_set_at, created_at, created_by, updated_at, revoked_at";

fn row(r: &Row) -> Result<RegisteredApp, DbError> {
    Ok(RegisteredApp {
        client_id: r.get(0)?,
        account: r.get(1)?,
        name: r.get(2)?,
        contact: r.get(3)?,
        scopes: r.json(4)?,
        origins: r.json(5)?,
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
pub fn insert(c: &mut Conn<'_>, app: &RegisteredApp) -> Result<(), DbError> {
    c.execute(
        &format!("INSERT INTO apps ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)"),
        crate::args![
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
pub fn update(c: &mut Conn<'_>, app: &RegisteredApp) -> Result<bool, DbError> {
    c.execute(
        "UPDATE apps SET name = $2, contact = $3, scopes_json = $4, origins_json = $5,
             per_minute = $6, burst = $7, updated_at = $8
         WHERE client_id = $1 AND revoked_at IS NULL",
        crate::args![
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
pub fn all(c: &mut Conn<'_>) -> Result<Vec<RegisteredApp>, DbError> {
    c.query(
        &format!("SELECT {COLUMNS} FROM apps ORDER BY created_at DESC, client_id"),
        &[],
    )?
    .iter()
    .map(row)
    .collect()
}

/// One app.
pub fn get(c: &mut Conn<'_>, client_id: &str) -> Result<Option<RegisteredApp>, DbError> {
    c.query_opt(
        &format!("SELECT {COLUMNS} FROM apps WHERE client_id = $1"),
        crate::args![client_id],
    )?
    .as_ref()
    .map(row)
    .transpose()
}

/// Revokes every unexpired token issued to `client_id` (recorded in `issued_tokens`) and
/// returns their ids.
fn revoke_tokens(
    c: &mut Conn<'_>,
    client_id: &str,
    now: i64,
    why: &str,
) -> Result<Vec<String>, DbError> {
    let jtis: Vec<String> = c
        .query(
            "SELECT jti FROM issued_tokens
             WHERE subject = $1 AND role = 'app' AND expires_at > $2",
            crate::args![client_id, now],
        )?
        .iter()
        .map(|r| r.get(0))
        .collect::<Result<_, _>>()?;
    for jti in &jtis {
        super::revocations::revoke(c, jti, now, Some(why))?;
    }
    Ok(jtis)
}

/// Sets an active app's new secret and revokes the tokens issued with the old one;
/// `None` when there is no such active app.
pub fn rotate(
    c: &mut Conn<'_>,
    client_id: &str,
    secret_hash: &str,
    now: i64,
) -> Result<Option<Vec<String>>, DbError> {
    c.transaction(|tx| {
        let changed = tx.execute(
            "UPDATE apps SET secret_hash = $2, secret_set_at = $3, updated_at = $3
             WHERE client_id = $1 AND revoked_at IS NULL",
            crate::args![client_id, secret_hash, now],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        revoke_tokens(tx, client_id, now, "client secret rotated").map(Some)
    })
}

/// Revokes an app and its tokens; `None` when there is no such app (a revoked app stays
/// revoked: revoking again answers its tokens, now none).
pub fn revoke(c: &mut Conn<'_>, client_id: &str, now: i64) -> Result<Option<Vec<String>>, DbError> {
    c.transaction(|tx| {
        let changed = tx.execute(
            "UPDATE apps SET revoked_at = COALESCE(revoked_at, $2), updated_at = $2
             WHERE client_id = $1",
            crate::args![client_id, now],
        )?;
        if changed == 0 {
            return Ok(None);
        }
        revoke_tokens(tx, client_id, now, "app revoked").map(Some)
    })
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
pub fn add_calls(c: &mut Conn<'_>, calls: &[CallCount]) -> Result<(), DbError> {
    c.transaction(|tx| {
        for CallCount {
            client_id: client,
            month,
            route,
            calls: n,
            last_at: last,
        } in calls
        {
            tx.execute(
                "INSERT INTO app_calls (client_id, month, route, calls, last_at) VALUES ($1, $2, $3, $4, $5)
                 ON CONFLICT (client_id, month, route)
                 DO UPDATE SET calls = app_calls.calls + excluded.calls,
                     last_at = CASE WHEN excluded.last_at > app_calls.last_at
                                    THEN excluded.last_at ELSE app_calls.last_at END",
                crate::args![client, month, route, n, last],
            )?;
        }
        Ok(())
    })
}

/// Calls of `account`'s apps, by app, month and route (one month, or all).
pub fn calls(
    c: &mut Conn<'_>,
    account: &str,
    month: Option<&str>,
) -> Result<Vec<CallCount>, DbError> {
    c.query(
        "SELECT k.client_id, k.month, k.route, k.calls, k.last_at
         FROM app_calls k JOIN apps a ON a.client_id = k.client_id
         WHERE a.account = $1 AND (CAST($2 AS TEXT) IS NULL OR k.month = $2)
         ORDER BY k.month DESC, k.client_id, k.route",
        crate::args![account, month],
    )?
    .iter()
    .map(|r| {
        Ok(CallCount {
            client_id: r.get(0)?,
            month: r.get(1)?,
            route: r.get(2)?,
            calls: r.get::<i64>(3)?.max(0).unsigned_abs(),
            last_at: r.get(4)?,
        })
    })
    .collect()
}

impl Store {
    /// Tells the other replicas the app registry changed (PostgreSQL; nothing on SQLite), so
    /// they re-read it within a second rather than at their next `oauth.refresh_secs`.
    pub async fn announce_apps_changed(&self) -> Result<(), StoreError> {
        if self.postgres().is_none() {
            return Ok(());
        }
        let me = self.instance().to_owned();
        self.call(move |c| {
            c.execute(
                "SELECT pg_notify($1, $2)",
                crate::args![crate::store::listen::APPS, me],
            )
            .map(|_| ())
        })
        .await
    }

    /// Runs one of this module's functions on the gateway's blocking pool.
    pub async fn apps<R, F>(&self, f: F) -> Result<R, StoreError>
    where
        F: FnOnce(&mut Conn<'_>) -> Result<R, DbError> + Send + 'static,
        R: Send + 'static,
    {
        self.call(f).await
    }
}
