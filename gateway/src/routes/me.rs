//! Who am I: what the caller's credentials grant.

use axum::Json;
use rappu_shared::Me;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(me))
}

/// The role, scope and expiry of the caller's credentials.
#[utoipa::path(get, path = "/api/v1/me", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller", body = Me),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn me(Caller(principal): Caller) -> Json<Me> {
    Json(Me {
        subject: principal.subject.clone(),
        account: principal.account.clone(),
        grant: principal.grant.clone(),
        expires_at: principal.expires_at,
    })
}
