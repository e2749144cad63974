//! Issued and revoked tokens.

use super::sql::{Conn, DbError, Row};
use super::{Store, StoreError};

/// A token `rappu token` minted, as recorded for listing and revocation.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct IssuedToken {
    /// The token id (`jti`).
    pub jti: String,
    /// `sub`.
    pub subject: String,
    /// The Tampuuri account.
    pub account: String,
    /// The role name.
    pub role: String,
    /// The whole grant as JSON.
    pub grant_json: String,
    /// Unix seconds.
    pub issued_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
    /// Whether it has been revoked.
    pub revoked: bool,
}

impl IssuedToken {
    /// The record of a token with `claims`.
    pub fn from_claims(claims: &crate::auth::jwt::Claims) -> Self {
        Self {
            jti: claims.jti.clone(),
            subject: claims.sub.clone(),
            account: claims.acct.clone(),
            role: claims.grant.role().to_string(),
            grant_json: serde_json::to_string(&claims.grant).unwrap_or_default(),
            issued_at: claims.iat,
            expires_at: claims.exp,
            revoked: false,
        }
    }
}

fn insert_issued(c: &mut Conn<'_>, t: &IssuedToken) -> Result<(), DbError> {
    c.execute(
        "INSERT INTO issued_tokens (jti, subject, account, role, grant_json, issued_at, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
        crate::args![
            t.jti,
            t.subject,
            t.account,
            t.role,
            t.grant_json,
            t.issued_at,
            t.expires_at
        ],
    )
    .map(|_| ())
}

fn list_issued(c: &mut Conn<'_>, now: i64) -> Result<Vec<IssuedToken>, DbError> {
    let read = |r: &Row| {
        Ok(IssuedToken {
            jti: r.get(0)?,
            subject: r.get(1)?,
            account: r.get(2)?,
            role: r.get(3)?,
            grant_json: r.get(4)?,
            issued_at: r.get(5)?,
            expires_at: r.get(6)?,
            revoked: r.get(7)?,
        })
    };
    c.query(
        "SELECT i.jti, i.subject, i.account, i.role, i.grant_json, i.issued_at, i.expires_at,
                r.jti IS NOT NULL
         FROM issued_tokens i LEFT JOIN revoked_tokens r ON r.jti = i.jti
         WHERE i.expires_at > $1 ORDER BY i.issued_at DESC, i.jti",
        crate::args![now],
    )?
    .iter()
    .map(read)
    .collect()
}

impl Store {
    /// Records a minted token.
    pub fn record_issued_blocking(&self, token: &IssuedToken) -> Result<(), StoreError> {
        self.call_blocking(|c| insert_issued(c, token))
    }

    /// Records a minted token (async).
    pub async fn record_issued(&self, token: IssuedToken) -> Result<(), StoreError> {
        self.call(move |c| insert_issued(c, &token)).await
    }

    /// Minted tokens that have not expired, newest first.
    pub fn list_issued_blocking(&self, now: i64) -> Result<Vec<IssuedToken>, StoreError> {
        self.call_blocking(move |c| list_issued(c, now))
    }

    /// [`Store::list_issued_blocking`] from a blocking thread.
    pub async fn list_issued(&self, now: i64) -> Result<Vec<IssuedToken>, StoreError> {
        self.call(move |c| list_issued(c, now)).await
    }

    /// Revokes `jti`. Returns false when it was already revoked.
    pub async fn revoke(
        &self,
        jti: String,
        now: i64,
        reason: Option<String>,
    ) -> Result<bool, StoreError> {
        self.call(move |c| revoke(c, &jti, now, reason.as_deref()))
            .await
    }

    /// [`Store::revoke`] for the CLI.
    pub fn revoke_blocking(
        &self,
        jti: &str,
        now: i64,
        reason: Option<&str>,
    ) -> Result<bool, StoreError> {
        self.call_blocking(|c| revoke(c, jti, now, reason))
    }

    /// Every revoked `jti` recorded at or after `since` (unix seconds), with the newest time.
    pub async fn revoked_since(&self, since: i64) -> Result<(Vec<String>, i64), StoreError> {
        self.call(move |c| {
            let rows = c.query(
                "SELECT jti, revoked_at FROM revoked_tokens WHERE revoked_at >= $1 ORDER BY revoked_at",
                crate::args![since],
            )?;
            let mut newest = since;
            let mut jtis = Vec::with_capacity(rows.len());
            for row in rows {
                newest = newest.max(row.get::<i64>(1)?);
                jtis.push(row.get(0)?);
            }
            Ok((jtis, newest))
        })
        .await
    }
}

/// Records the revocation of `jti` (with its expiry, when Rappu issued it); `false` when
/// it was revoked before. Used by every path that revokes: the CLI, unpairing a display,
/// rotating or revoking an app.
pub fn revoke(
    c: &mut Conn<'_>,
    jti: &str,
    now: i64,
    reason: Option<&str>,
) -> Result<bool, DbError> {
    let n = c.execute(
        "INSERT INTO revoked_tokens (jti, revoked_at, expires_at, reason)
         VALUES ($1, $2, (SELECT expires_at FROM issued_tokens WHERE jti = $1), $3)
         ON CONFLICT (jti) DO NOTHING",
        crate::args![jti, now, reason],
    )?;
    if n == 1 && c.is_postgres() {
        // Every replica refuses it within a second (delivered at commit).
        c.execute(
            "SELECT pg_notify($1, $2)",
            crate::args![super::listen::REVOKED, jti],
        )?;
    }
    Ok(n == 1)
}
