//! The one-time codes of email sign-in: the link in the mail (works once, for
//! `signin.link_ttl_secs`, from any device: nothing ties it to the browser that asked), and,
//! for a resident with several current apartments, the short-lived choice that follows.
//!
//! Both are stored only as hashes, with the apartments found when the mail was sent. A
//! session never outlives the end of the move-out day known then (Finnish time).

use std::time::Duration;

use chrono::{DateTime, NaiveDate, Utc};
use rappu_shared::Grant;
use serde::{Deserialize, Serialize};

use super::directory::Residency;
use crate::auth::Tokens;
use crate::error::ApiError;
use crate::sessions::{self, RESIDENT_SESSION_TTL, hash_code, is_well_formed_code, new_code};
use crate::store::Store;
use crate::store::codes::{CodeGrant, CodeKind};

/// How long the apartment choice after a sign-in link lasts.
pub const CHOICE_TTL: Duration = Duration::from_secs(10 * 60);

/// What a sign-in code stands for.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Homes {
    homes: Vec<Residency>,
}

fn grant_of(homes: &[Residency]) -> Result<CodeGrant, ApiError> {
    let first = homes
        .first()
        .ok_or_else(|| ApiError::Internal("a sign-in code with no apartment".into()))?;
    Ok(CodeGrant {
        account: first.account.clone(),
        subject: format!("resident-{}", first.party),
        grant_json: serde_json::to_string(&Homes {
            homes: homes.to_vec(),
        })
        .map_err(|e| ApiError::Internal(e.to_string()))?,
    })
}

async fn store_code(
    store: &Store,
    kind: CodeKind,
    homes: &[Residency],
    ttl: Duration,
) -> Result<String, ApiError> {
    let (code, hash) = new_code();
    let now = Utc::now().timestamp();
    let ttl = i64::try_from(ttl.as_secs()).unwrap_or(3600);
    store
        .insert_code(hash, kind, grant_of(homes)?, now, now + ttl)
        .await?;
    Ok(code)
}

/// Stores a sign-in code for `homes` and returns the link for the mail.
pub async fn create_link(
    store: &Store,
    public_url: &str,
    homes: &[Residency],
    ttl: Duration,
) -> Result<String, ApiError> {
    let code = store_code(store, CodeKind::ResidentEmail, homes, ttl).await?;
    Ok(format!("{public_url}/portal/login?code={code}"))
}

/// What opening a sign-in link gives.
#[derive(Debug)]
pub enum Opened {
    /// A session (its token and lifetime).
    Session(String, Duration),
    /// Several apartments: the choice's code (for a cookie) and the apartments.
    Choose(String, Vec<Residency>),
}

fn homes_of(grant: &CodeGrant, today: NaiveDate) -> Result<Vec<Residency>, ApiError> {
    let homes: Homes =
        serde_json::from_str(&grant.grant_json).map_err(|e| ApiError::Internal(e.to_string()))?;
    // Moved out since the mail was sent: that apartment is gone from the choice.
    let current: Vec<Residency> = homes
        .homes
        .into_iter()
        .filter(|h| h.ends.is_none_or(|end| end >= today))
        .collect();
    if current.is_empty() {
        return Err(ApiError::InvalidCode);
    }
    Ok(current)
}

/// The session's lifetime: [`RESIDENT_SESSION_TTL`], but never past the end of the
/// move-out day (Finnish time).
pub fn session_ttl(ends: Option<NaiveDate>, now: DateTime<Utc>) -> Duration {
    let Some(end) = ends else {
        return RESIDENT_SESSION_TTL;
    };
    let midnight_after = end
        .succ_opt()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(rappu_shared::finnish_time::from_local);
    match midnight_after {
        Some(t) => (t - now)
            .to_std()
            .unwrap_or(Duration::ZERO)
            .min(RESIDENT_SESSION_TTL),
        None => RESIDENT_SESSION_TTL,
    }
}

async fn open(store: &Store, tokens: &Tokens, home: &Residency) -> Result<Opened, ApiError> {
    let ttl = session_ttl(home.ends, Utc::now());
    let token = sessions::open_session(
        store,
        tokens,
        home.account.clone(),
        format!("resident-{}", home.party),
        Grant::Resident {
            party: home.party,
            apartment: home.apartment,
        },
        ttl,
    )
    .await?;
    Ok(Opened::Session(token, ttl))
}

/// Uses up a sign-in link's `code`: a session for the one apartment, or a choice.
pub async fn open_link(
    store: &Store,
    tokens: &Tokens,
    code: &str,
    today: NaiveDate,
) -> Result<Opened, ApiError> {
    let code = code.trim();
    if !is_well_formed_code(code) {
        return Err(ApiError::InvalidCode);
    }
    let grant = store
        .redeem_code(
            hash_code(code),
            CodeKind::ResidentEmail,
            Utc::now().timestamp(),
        )
        .await?
        .ok_or(ApiError::InvalidCode)?;
    let homes = homes_of(&grant, today)?;
    match homes.as_slice() {
        [home] => open(store, tokens, home).await,
        _ => {
            let choice = store_code(store, CodeKind::ResidentChoice, &homes, CHOICE_TTL).await?;
            Ok(Opened::Choose(choice, homes))
        }
    }
}

/// Uses up the choice `code` for `apartment`. A choice without that apartment is a 422
/// and stays usable; an unknown, used or expired choice is a 400.
pub async fn choose(
    store: &Store,
    tokens: &Tokens,
    code: &str,
    apartment: u64,
    today: NaiveDate,
) -> Result<(String, Duration), ApiError> {
    if !is_well_formed_code(code) {
        return Err(ApiError::InvalidCode);
    }
    let hash = hash_code(code);
    let now = Utc::now().timestamp();
    let grant = store
        .peek_code(hash.clone(), CodeKind::ResidentChoice, now)
        .await?
        .ok_or(ApiError::InvalidCode)?;
    if !homes_of(&grant, today)?
        .iter()
        .any(|h| h.apartment == apartment)
    {
        return Err(ApiError::Validation(vec![rappu_shared::FieldError::new(
            "apartment",
            "is not one of the apartments offered",
        )]));
    }
    let grant = store
        .redeem_code(hash, CodeKind::ResidentChoice, now)
        .await?
        .ok_or(ApiError::InvalidCode)?;
    let homes = homes_of(&grant, today)?;
    let home = homes
        .iter()
        .find(|h| h.apartment == apartment)
        .ok_or(ApiError::InvalidCode)?;
    match open(store, tokens, home).await? {
        Opened::Session(token, ttl) => Ok((token, ttl)),
        Opened::Choose(..) => Err(ApiError::Internal("a choice opened a choice".into())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_session_ends_with_the_move_out_day_in_finnish_time() {
        let now: DateTime<Utc> = "2026-03-10T10:00:00Z".parse().unwrap();
        assert_eq!(session_ttl(None, now), RESIDENT_SESSION_TTL);
        let end = NaiveDate::from_ymd_opt(2026, 3, 12).unwrap();
        // 13 March 00:00 in Helsinki (UTC+2) is 12 March 22:00 UTC: 2 days 12 hours away.
        assert_eq!(
            session_ttl(Some(end), now),
            Duration::from_secs(2 * 86_400 + 12 * 3600)
        );
        let far = NaiveDate::from_ymd_opt(2030, 1, 1).unwrap();
        assert_eq!(session_ttl(Some(far), now), RESIDENT_SESSION_TTL);
        let past = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        assert_eq!(session_ttl(Some(past), now), Duration::ZERO);
    }
}
