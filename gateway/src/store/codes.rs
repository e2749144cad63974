//! One-time codes: a display's enrolment link, a resident's login link. Only a hash of each
//! code is stored, and redeeming one is a single conditional update: a code works once.

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError};

/// What a code is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKind {
    /// Opens a display session.
    DisplayEnrolment,
    /// Opens a resident session.
    ResidentLogin,
    /// Opens an operator's console session ([`crate::admin_login`]).
    AdminLogin,
    /// A resident's sign-in link from a mail: opens a session, or a choice of apartments.
    ResidentEmail,
    /// The choice of apartments after a sign-in link (a short-lived cookie).
    ResidentChoice,
}

impl CodeKind {
    fn as_str(self) -> &'static str {
        match self {
            CodeKind::DisplayEnrolment => "display",
            CodeKind::ResidentLogin => "resident",
            CodeKind::AdminLogin => "admin",
            CodeKind::ResidentEmail => "resident-email",
            CodeKind::ResidentChoice => "resident-choice",
        }
    }
}

/// A stored code's payload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CodeGrant {
    /// Tampuuri account.
    pub account: String,
    /// Subject of the session it opens.
    pub subject: String,
    /// The grant as JSON.
    pub grant_json: String,
}

impl Store {
    /// Stores a new code by its hash.
    pub async fn insert_code(
        &self,
        code_hash: String,
        kind: CodeKind,
        grant: CodeGrant,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.call(move |c| {
            c.execute(
                "INSERT INTO one_time_codes (code_hash, kind, account, subject, grant_json, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![code_hash, kind.as_str(), grant.account, grant.subject, grant.grant_json, now, expires_at],
            )
            .map(|_| ())
        })
        .await
    }

    /// [`Store::insert_code`] for the CLI.
    pub fn insert_code_blocking(
        &self,
        code_hash: &str,
        kind: CodeKind,
        grant: &CodeGrant,
        now: i64,
        expires_at: i64,
    ) -> Result<(), StoreError> {
        self.call_blocking(|c| {
            c.execute(
                "INSERT INTO one_time_codes (code_hash, kind, account, subject, grant_json, created_at, expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![code_hash, kind.as_str(), grant.account, grant.subject, grant.grant_json, now, expires_at],
            )
            .map(|_| ())
        })
    }

    /// Uses up a code: returns its grant if it exists, is of `kind`, has not expired and was
    /// not used before; afterwards it is used.
    pub async fn redeem_code(
        &self,
        code_hash: String,
        kind: CodeKind,
        now: i64,
    ) -> Result<Option<CodeGrant>, StoreError> {
        self.call(move |c| {
            c.query_row(
                "UPDATE one_time_codes SET used_at = ?3
                 WHERE code_hash = ?1 AND kind = ?2 AND used_at IS NULL AND expires_at > ?3
                 RETURNING account, subject, grant_json",
                params![code_hash, kind.as_str(), now],
                |r| {
                    Ok(CodeGrant {
                        account: r.get(0)?,
                        subject: r.get(1)?,
                        grant_json: r.get(2)?,
                    })
                },
            )
            .optional()
        })
        .await
    }

    /// A code's grant if it could be redeemed now, without using it up.
    pub async fn peek_code(
        &self,
        code_hash: String,
        kind: CodeKind,
        now: i64,
    ) -> Result<Option<CodeGrant>, StoreError> {
        self.call(move |c| {
            c.query_row(
                "SELECT account, subject, grant_json FROM one_time_codes
                 WHERE code_hash = ?1 AND kind = ?2 AND used_at IS NULL AND expires_at > ?3",
                params![code_hash, kind.as_str(), now],
                |r| {
                    Ok(CodeGrant {
                        account: r.get(0)?,
                        subject: r.get(1)?,
                        grant_json: r.get(2)?,
                    })
                },
            )
            .optional()
        })
        .await
    }
}
