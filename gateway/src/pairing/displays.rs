//! Paired displays after pairing: their sessions, the operator's list, reassignment and
//! unpairing.

use std::time::Duration;

use chrono::Utc;
use rappu_shared::Grant;
use rappu_shared::pairing::{DisplayAssignment, DisplaySession, PairedDisplay};

use super::db::{self, DisplayRow};
use super::{
    DISPLAY_SESSION_TTL, Displays, PairingError, RENEW_AFTER, check_place, clean_label, view,
};
use crate::auth::{Principal, TokenRequest, Tokens};
use crate::store::revocations::IssuedToken;

/// The token subject of a paired display.
pub fn subject_of(id: &str) -> String {
    format!("display:{id}")
}

fn grant_of(row: &DisplayRow) -> Grant {
    Grant::Display {
        building: row.building,
        staircase: row.staircase,
    }
}

/// A renewal's outcome: the session, and a new token when one was minted.
#[derive(Debug, Clone)]
pub struct Renewal {
    /// What the display is now.
    pub session: DisplaySession,
    /// A new token and its lifetime, for the session cookie.
    pub token: Option<(String, Duration)>,
}

impl Displays {
    /// Mints and records a display token.
    async fn mint(
        &self,
        tokens: &Tokens,
        account: String,
        subject: String,
        grant: Grant,
    ) -> Result<String, PairingError> {
        let minted = tokens.mint(TokenRequest {
            subject,
            account,
            grant,
            ttl: DISPLAY_SESSION_TTL,
        })?;
        self.store()
            .record_issued(IssuedToken::from_claims(&minted.claims))
            .await?;
        Ok(minted.token)
    }

    /// Mints a session for a paired display.
    pub async fn open_session(
        &self,
        tokens: &Tokens,
        display: &DisplayRow,
    ) -> Result<(String, Duration), PairingError> {
        let token = self
            .mint(
                tokens,
                display.account.clone(),
                subject_of(&display.id),
                grant_of(display),
            )
            .await?;
        Ok((token, DISPLAY_SESSION_TTL))
    }

    /// The account's paired displays.
    pub async fn list(&self, account: &str) -> Result<Vec<PairedDisplay>, PairingError> {
        let account = account.to_owned();
        let rows = self
            .store()
            .call(move |c| db::displays(c, &account))
            .await?;
        Ok(rows.iter().map(view).collect())
    }

    /// Moves a display to another building or staircase (or renames it). The display
    /// follows at its next session renewal.
    pub async fn reassign(
        &self,
        account: &str,
        id: &str,
        body: &DisplayAssignment,
        mirror: &crate::mirror::Mirror,
    ) -> Result<PairedDisplay, PairingError> {
        body.validate().map_err(PairingError::Invalid)?;
        check_place(mirror, account, body.building, body.staircase).await?;
        let (account, id) = (account.to_owned(), id.to_owned());
        let (building, staircase) = (body.building, body.staircase);
        let label = clean_label(body.label.as_deref());
        let row = self
            .store()
            .call(move |c| db::reassign(c, &account, &id, building, staircase, label.as_deref()))
            .await?
            .ok_or(PairingError::NotFound)?;
        tracing::info!(display = %row.id, building, "display reassigned");
        Ok(view(&row))
    }

    /// Unpairs a display: its record goes and every session it holds is revoked now.
    pub async fn unpair(
        &self,
        account: &str,
        id: &str,
        tokens: &Tokens,
    ) -> Result<(), PairingError> {
        let (account, id) = (account.to_owned(), id.to_owned());
        let subject = subject_of(&id);
        let now = Utc::now().timestamp();
        let jtis = self
            .store()
            .call(move |c| {
                if !db::remove(c, &account, &id)? {
                    return Ok(None);
                }
                db::live_tokens(c, &subject, now).map(Some)
            })
            .await?
            .ok_or(PairingError::NotFound)?;
        for jti in jtis {
            self.store()
                .revoke(jti.clone(), now, Some("display unpaired".into()))
                .await?;
            tokens.revocations().insert(jti);
        }
        Ok(())
    }

    /// Renews a display's session: a paired display follows its record (reassigned, or
    /// unpaired: [`PairingError::Unpaired`]); any display token older than a day is
    /// replaced by a fresh one of [`DISPLAY_SESSION_TTL`].
    pub async fn renew(
        &self,
        principal: &Principal,
        tokens: &Tokens,
    ) -> Result<Renewal, PairingError> {
        let now = Utc::now();
        let Grant::Display {
            building,
            staircase,
        } = principal.grant
        else {
            return Err(PairingError::Unpaired);
        };
        let paired = match principal.subject.strip_prefix("display:") {
            Some(id) => {
                let id = id.to_owned();
                let at = now.timestamp();
                let row = self
                    .store()
                    .call(move |c| {
                        let row = db::display(c, &id)?;
                        if row.is_some() {
                            db::seen(c, &id, at)?;
                        }
                        Ok(row)
                    })
                    .await?;
                Some(row.ok_or(PairingError::Unpaired)?)
            }
            None => None,
        };
        let (target_building, target_staircase) = paired
            .as_ref()
            .map_or((building, staircase), |row| (row.building, row.staircase));
        let moved = (target_building, target_staircase) != (building, staircase);
        let left = (principal.expires_at - now).to_std().unwrap_or_default();
        let old = left + RENEW_AFTER < DISPLAY_SESSION_TTL;
        if !moved && !old {
            return Ok(Renewal {
                session: DisplaySession {
                    building,
                    staircase,
                    expires_at: principal.expires_at,
                    renewed: false,
                },
                token: None,
            });
        }
        let row = paired.unwrap_or_else(|| DisplayRow {
            id: String::new(),
            account: principal.account.clone(),
            building,
            staircase,
            label: None,
            paired_at: now.timestamp(),
            paired_by: String::new(),
            last_seen_at: None,
        });
        // A display enrolled by a one-time link keeps its subject; a paired one is
        // `display:<id>`, so unpairing finds all of its tokens.
        let subject = if row.id.is_empty() {
            principal.subject.clone()
        } else {
            subject_of(&row.id)
        };
        let token = self
            .mint(tokens, row.account.clone(), subject, grant_of(&row))
            .await?;
        let ttl = chrono::TimeDelta::from_std(DISPLAY_SESSION_TTL).unwrap_or_default();
        Ok(Renewal {
            session: DisplaySession {
                building: row.building,
                staircase: row.staircase,
                expires_at: now + ttl,
                renewed: true,
            },
            token: Some((token, DISPLAY_SESSION_TTL)),
        })
    }
}
