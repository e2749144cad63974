//! What the portal shows a resident besides the reports themselves: their own photos of a
//! report, and the phone Tampuuri has for them (to fill in the report form).

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use rappu_shared::session::MyContact;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::ResidentCaller;
use crate::error::{ApiError, ApiResult};
use crate::reports::Owner;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(photo))
        .routes(routes!(contact))
}

/// Photo `n` (1 to the report's `photo_count`) of one of the caller's reports, as filed
/// (resized in the browser, metadata removed). Kept 180 days after filing; anyone else's
/// report, or a photo no longer kept, is 404.
#[utoipa::path(get, path = "/api/v1/fault-reports/{id}/photos/{n}", tag = "fault-reports",
    security(("bearer" = [])),
    params(
        ("id" = String, Path, format = Uuid, description = "Rappu's id of the report"),
        ("n" = u32, Path, minimum = 1, maximum = 5, description = "The photo's number, 1 to 5")),
    responses(
        (status = 200, description = "The image", content_type = "image/jpeg"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a resident", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such photo of the caller's", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn photo(
    State(state): State<AppState>,
    caller: ResidentCaller,
    Path((id, n)): Path<(String, u32)>,
) -> ApiResult<Response> {
    let owner = Owner {
        account: caller.principal.account.clone(),
        party: caller.party,
        apartment: caller.apartment,
    };
    let kept = state
        .reports
        .photo(&owner, &id, n)
        .await?
        .ok_or_else(|| ApiError::NotFound("no such photo".into()))?;
    let media_type =
        HeaderValue::from_str(&kept.media_type).map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok((
        [
            (header::CONTENT_TYPE, media_type),
            // The resident's own: never in a shared cache; the bytes never change.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("private, max-age=86400, immutable"),
            ),
        ],
        kept.data,
    )
        .into_response())
}

/// How Tampuuri says the signed-in resident can be reached: their phone (the mobile number
/// first), if Tampuuri has a valid one. Read once an hour at most.
#[utoipa::path(get, path = "/api/v1/me/contact", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The resident's contact", body = MyContact),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a resident", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn contact(
    State(state): State<AppState>,
    caller: ResidentCaller,
) -> ApiResult<Json<MyContact>> {
    let account = &caller.principal.account;
    Ok(Json(
        state
            .contacts
            .get(&state.mirror, account, caller.party)
            .await?,
    ))
}
