//! `POST /api/v1/auth/admin-login`: a console link's code for an admin session cookie
//! ([`crate::admin_login`]).

use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use rappu_shared::session::RedeemCode;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::ApiResult;
use crate::http::json::ApiJson;
use crate::sessions;
use crate::state::AppState;
use crate::store::codes::CodeKind;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(admin_login))
}

/// Exchanges an operator's one-time console link code (`rappu admin-link`) for an admin
/// session (an HttpOnly cookie, 12 hours). The code works once.
#[utoipa::path(post, path = "/api/v1/auth/admin-login", tag = "sessions",
    request_body = RedeemCode,
    responses(
        (status = 204, description = "Signed in; the session cookie is set", headers(("Set-Cookie" = String, description = "rappu_session=...; HttpOnly; SameSite=Strict"))),
        (status = 400, description = "Unknown, used or expired code", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn admin_login(
    State(state): State<AppState>,
    ApiJson(body): ApiJson<RedeemCode>,
) -> ApiResult<Response> {
    let (token, ttl) = sessions::redeem(
        &state.store,
        &state.tokens,
        CodeKind::AdminLogin,
        &body.code,
    )
    .await?;
    let secure = state
        .settings
        .server
        .public_url
        .as_ref()
        .is_some_and(|u| u.scheme() == "https");
    let cookie = sessions::session_cookie(&token, ttl, secure)?;
    Ok((StatusCode::NO_CONTENT, [(header::SET_COOKIE, cookie)]).into_response())
}
