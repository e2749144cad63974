//! Who is signed in, and signing in and out (resident sessions are HttpOnly cookies).

use rappu_shared::Role;
use rappu_shared::session::{DemoLogin, DemoResident, MyContact, RedeemCode};
use serde::Deserialize;

use super::{ApiError, Call, request};

/// The part of [`rappu_shared::Me`] the portal reads: the role of `grant`. Decoding the
/// whole `Grant` (an internally tagged enum) would add ~7 KB of gzip to the portal's wasm
/// for fields it never shows; the role is the shared [`Role`].
#[derive(Deserialize)]
struct MeRole {
    grant: GrantRole,
}

/// The `role` tag of [`rappu_shared::Grant`].
#[derive(Deserialize)]
struct GrantRole {
    role: Role,
}

/// `GET /api/v1/me`: the role the session cookie stands for.
pub async fn my_role() -> Result<Role, ApiError> {
    let me: MeRole = request(Call::get("/api/v1/me")).await?;
    Ok(me.grant.role)
}

/// The phone Tampuuri has for the signed-in resident, if any.
pub async fn my_contact() -> Result<MyContact, ApiError> {
    request(Call::get("/api/v1/me/contact")).await
}

/// The residents a demo lets you sign in as (404 outside demo mode).
pub async fn demo_residents() -> Result<Vec<DemoResident>, ApiError> {
    request(Call::get("/api/v1/auth/demo-residents")).await
}

/// Signs in as a demo resident.
pub async fn demo_login(who: &DemoLogin) -> Result<(), ApiError> {
    request(Call::post("/api/v1/auth/demo-login").json(who)?).await
}

/// Exchanges a one-time login code for a resident session.
pub async fn login(code: &str) -> Result<(), ApiError> {
    request(Call::post("/api/v1/auth/login").json(&RedeemCode {
        code: code.to_owned(),
    })?)
    .await
}

/// Ends the session (the gateway revokes it and clears the cookie).
pub async fn logout() -> Result<(), ApiError> {
    request(Call::post("/api/v1/auth/logout")).await
}
