//! Issued and revoked tokens.

use rusqlite::{OptionalExtension, params};

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

fn insert_issued(c: &rusqlite::Connection, t: &IssuedToken) -> rusqlite::Result<()> {
    c.execute(
        "INSERT INTO issued_tokens (jti, subject, account, role, grant_json, issued_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
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

fn list_issued(c: &rusqlite::Connection, now: i64) -> rusqlite::Result<Vec<IssuedToken>> {
    let mut stmt = c.prepare(
        "SELECT i.jti, i.subject, i.account, i.role, i.grant_json, i.issued_at, i.expires_at,
                r.jti IS NOT NULL
         FROM issued_tokens i LEFT JOIN revoked_tokens r ON r.jti = i.jti
         WHERE i.expires_at > ?1 ORDER BY i.issued_at DESC, i.jti",
    )?;
    let rows = stmt.query_map([now], |r| {
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
    })?;
    rows.collect()
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
            let mut stmt = c.prepare(
                "SELECT jti, revoked_at FROM revoked_tokens WHERE revoked_at >= ?1 ORDER BY revoked_at",
            )?;
            let mut newest = since;
            let mut jtis = Vec::new();
            let rows = stmt.query_map([since], |r| Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?)))?;
            for row in rows {
                let (jti, at) = row?;
                newest = newest.max(at);
                jtis.push(jti);
            }
            Ok((jtis, newest))
        })
        .await
    }
}

fn revoke(
    c: &mut rusqlite::Connection,
    jti: &str,
    now: i64,
    reason: Option<&str>,
) -> rusqlite::Result<bool> {
    let expires: Option<i64> = c
        .query_row(
            "SELECT expires_at FROM issued_tokens WHERE jti = ?1",
            [jti],
            |r| r.get(0),
        )
        .optional()?;
    let n = c.execute(
        "INSERT INTO revoked_tokens (jti, revoked_at, expires_at, reason) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (jti) DO NOTHING",
        params![jti, now, expires, reason],
    )?;
    Ok(n == 1)
}
