//! The console's calls to the admin API (same origin; the admin session is the HttpOnly
//! cookie `rappu admin-link` opened).

use rappu_shared::console::{
    ConsoleDisplay, MintedToken, NewToken, TokenInfo, UpstreamHealth, UsageMonth,
};
use rappu_shared::pairing::PairedDisplay;
use rappu_shared::session::{NewEnrolment, OneTimeLink, RedeemCode};
use serde::{Deserialize, Serialize};

use crate::api::{ApiError, Call, request, segment, send};

/// A report Tampuuri does not have yet (`GET /api/v1/admin/fault-reports/undelivered`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Undelivered {
    /// Rappu's id.
    pub id: String,
    /// `pending` or `failed`.
    pub delivery: String,
    /// Attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed.
    pub last_error: Option<String>,
    /// When it was filed.
    pub created_at: chrono::DateTime<chrono::Utc>,
}

/// `POST /api/v1/admin/displays/pairings`'s body.
#[derive(Debug, Clone, Serialize)]
pub struct Pairing {
    /// The code the screen shows.
    pub code: String,
    /// Building object id.
    pub building: u64,
    /// Staircase object id.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staircase: Option<u64>,
    /// A name for the display.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// Exchanges a console link's code for an admin session.
pub async fn sign_in(code: &str) -> Result<(), ApiError> {
    request(Call::post("/api/v1/auth/admin-login").json(&RedeemCode {
        code: code.to_owned(),
    })?)
    .await
}

/// Whether the session is an admin's (`GET /api/v1/me`).
pub async fn is_admin() -> Result<bool, ApiError> {
    #[derive(Deserialize)]
    struct Me {
        grant: Role,
    }
    #[derive(Deserialize)]
    struct Role {
        role: rappu_shared::Role,
    }
    let me: Me = request(Call::get("/api/v1/me")).await?;
    Ok(me.grant.role == rappu_shared::Role::Admin)
}

/// The displays with their state.
pub async fn displays() -> Result<Vec<ConsoleDisplay>, ApiError> {
    request(Call::get("/api/v1/admin/console/displays")).await
}

/// Pairs the screen showing a code.
pub async fn pair(pairing: &Pairing) -> Result<PairedDisplay, ApiError> {
    request(Call::post("/api/v1/admin/displays/pairings").json(pairing)?).await
}

/// A one-time enrolment link for a display.
pub async fn enrolment(body: &NewEnrolment) -> Result<OneTimeLink, ApiError> {
    request(Call::post("/api/v1/admin/displays/enrolments").json(body)?).await
}

/// The QR code of one of this instance's links, as SVG text.
pub async fn link_qr(url: &str) -> Result<String, ApiError> {
    #[derive(Serialize)]
    struct Body<'a> {
        url: &'a str,
    }
    let response = send(&Call::post("/api/v1/admin/console/qr.svg").json(&Body { url })?).await?;
    response
        .text()
        .await
        .map_err(|e| ApiError::Decode(e.to_string()))
}

/// Unpairs a display (its sessions are revoked).
pub async fn unpair(id: &str) -> Result<(), ApiError> {
    let call = Call::post(format!("/api/v1/admin/displays/{}", segment(id))).method_delete();
    request(call).await
}

/// This month's usage.
pub async fn usage() -> Result<UsageMonth, ApiError> {
    request(Call::get("/api/v1/admin/usage/month")).await
}

/// Upstream health.
pub async fn upstream() -> Result<UpstreamHealth, ApiError> {
    request(Call::get("/api/v1/admin/upstream/health")).await
}

/// Reports not delivered.
pub async fn undelivered() -> Result<Vec<Undelivered>, ApiError> {
    request(Call::get(
        "/api/v1/admin/fault-reports/undelivered?limit=100",
    ))
    .await
}

/// Sends a failed report again.
pub async fn retry(id: &str) -> Result<(), ApiError> {
    request(Call::post(format!(
        "/api/v1/admin/fault-reports/{}/retry",
        segment(id)
    )))
    .await
}

/// Tokens.
pub async fn tokens() -> Result<Vec<TokenInfo>, ApiError> {
    request(Call::get("/api/v1/admin/tokens")).await
}

/// Mints a token.
pub async fn mint(body: &NewToken) -> Result<MintedToken, ApiError> {
    request(Call::post("/api/v1/admin/tokens").json(body)?).await
}

/// Revokes a token.
pub async fn revoke(jti: &str) -> Result<(), ApiError> {
    #[derive(Serialize)]
    struct Body<'a> {
        jti: &'a str,
    }
    request(Call::post("/api/v1/admin/tokens/revoke").json(&Body { jti })?).await
}
