//! Caretakers' pairing links: an operator makes a one-time link for the buildings a
//! caretaker looks after; opening it on the caretaker's phone (`/display/pair?link=...`)
//! exchanges the code for the phone's own HttpOnly cookie, with which the phone may pair
//! displays in those buildings until the session ends (90 days by default). The link's
//! code works once and only its hash is stored, like the enrolment and login links.

use std::time::Duration;

use chrono::Utc;
use rappu_shared::pairing::{CaretakerSession, NewCaretakerLink};
use rappu_shared::session::OneTimeLink;

use super::db::{self, CaretakerRow, NewLink};
use super::{Displays, PairingError, at, check_place, clean_label, secs};
use crate::sessions::{hash_code, new_code};

/// How long a caretaker link works unless opened.
pub const LINK_TTL: Duration = Duration::from_secs(7 * 86_400);
/// Days a caretaker's phone may pair displays when the link does not say.
pub const DEFAULT_DAYS: u32 = 90;

/// A caretaker session just opened: the phone's secret and when it ends.
#[derive(Debug, Clone)]
pub struct CaretakerLink {
    /// The secret for the phone's cookie.
    pub secret: String,
    /// Seconds it lasts.
    pub max_age: Duration,
}

impl Displays {
    /// Makes a caretaker link for buildings of `account` (each checked in Tampuuri).
    pub async fn create_caretaker_link(
        &self,
        account: &str,
        body: &NewCaretakerLink,
        public_url: &str,
        mirror: &crate::mirror::Mirror,
    ) -> Result<OneTimeLink, PairingError> {
        body.validate().map_err(PairingError::Invalid)?;
        let mut buildings = body.buildings.clone();
        buildings.sort_unstable();
        buildings.dedup();
        for (i, &building) in buildings.iter().enumerate() {
            check_place(mirror, account, building, None)
                .await
                .map_err(|e| match e {
                    PairingError::Invalid(mut errors) => {
                        for error in &mut errors {
                            error.field = format!("buildings[{i}]");
                        }
                        PairingError::Invalid(errors)
                    }
                    other => other,
                })?;
        }
        let (code, link_hash) = new_code();
        let now = Utc::now().timestamp();
        let link_expires_at = now + secs(LINK_TTL);
        let id = uuid::Uuid::now_v7().to_string();
        let account = account.to_owned();
        let label = clean_label(body.label.as_deref());
        let buildings_json = serde_json::to_string(&buildings)
            .map_err(|e| crate::store::StoreError::Task(e.to_string()))?;
        let session_days = body.days.unwrap_or(DEFAULT_DAYS);
        self.store()
            .call(move |c| {
                db::insert_link(
                    c,
                    &NewLink {
                        id: &id,
                        account: &account,
                        label: label.as_deref(),
                        buildings_json: &buildings_json,
                        link_hash: &link_hash,
                        link_expires_at,
                        session_days,
                    },
                    now,
                )
            })
            .await?;
        Ok(OneTimeLink {
            url: format!("{public_url}/display/pair?link={code}"),
            expires_at: at(link_expires_at),
        })
    }

    /// Uses up a caretaker link's code and opens the phone's session.
    pub async fn open_caretaker_link(&self, code: &str) -> Result<CaretakerLink, PairingError> {
        let code = code.trim();
        if !crate::sessions::is_well_formed_code(code) {
            return Err(PairingError::Gone);
        }
        let link_hash = hash_code(code);
        let (secret, session_hash) = new_code();
        let now = Utc::now().timestamp();
        let row = self
            .store()
            .call(move |c| db::open_link(c, &link_hash, &session_hash, now))
            .await?
            .ok_or(PairingError::Gone)?;
        let left = u64::try_from(row.expires_at - now).unwrap_or(0);
        tracing::info!(link = %row.id, "caretaker link opened");
        Ok(CaretakerLink {
            secret,
            max_age: Duration::from_secs(left),
        })
    }

    /// The live caretaker session of a phone's secret, if any.
    pub async fn caretaker(&self, secret: &str) -> Result<Option<CaretakerRow>, PairingError> {
        let hash = hash_code(secret.trim());
        let now = Utc::now().timestamp();
        Ok(self
            .store()
            .call(move |c| db::caretaker(c, &hash, now))
            .await?)
    }

    /// What the caretaker's phone shows: the buildings it may pair displays in.
    pub async fn caretaker_view(
        &self,
        row: &CaretakerRow,
        mirror: &crate::mirror::Mirror,
    ) -> Result<CaretakerSession, PairingError> {
        let mut buildings = Vec::with_capacity(row.buildings.len());
        for &id in &row.buildings {
            match crate::property::building(mirror, &row.account, id).await {
                Ok(building) => buildings.push(building),
                // A building removed from Tampuuri since the link was made.
                Err(crate::upstream::tampuuri::UpstreamError::NotFound { .. }) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(CaretakerSession {
            label: row.label.clone(),
            expires_at: at(row.expires_at),
            buildings,
        })
    }
}
