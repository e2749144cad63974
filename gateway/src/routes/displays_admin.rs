//! The operator's displays: pair one by the code it shows, list them, move or unpair one,
//! and make caretakers' pairing links.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use rappu_shared::pairing::{ApprovePairing, DisplayAssignment, NewCaretakerLink, PairedDisplay};
use rappu_shared::session::OneTimeLink;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AdminCaller;
use crate::error::ApiResult;
use crate::http::json::ApiJson;
use crate::pairing::Approver;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(pair))
        .routes(routes!(list))
        .routes(routes!(reassign, unpair))
        .routes(routes!(caretaker_link))
}

/// Pairs the screen that shows `code` as a display of a building (or one staircase): the
/// screen shows it within a second. Wrong codes are limited to 10 a minute.
#[utoipa::path(post, path = "/api/v1/admin/displays/pairings", tag = "admin",
    request_body = ApprovePairing,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "Paired", body = PairedDisplay),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No display shows that code, or no such building or staircase", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many wrong codes", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn pair(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    ApiJson(body): ApiJson<ApprovePairing>,
) -> ApiResult<(StatusCode, Json<PairedDisplay>)> {
    let approver = Approver::Admin {
        account: admin.account.clone(),
        subject: admin.subject.clone(),
    };
    let paired = state
        .displays
        .approve(&approver, &body, &state.mirror)
        .await?;
    Ok((StatusCode::CREATED, Json(paired)))
}

/// The account's paired displays, with when each last renewed its session.
#[utoipa::path(get, path = "/api/v1/admin/displays", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "Paired displays, oldest first", body = [PairedDisplay]),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn list(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<Vec<PairedDisplay>>> {
    Ok(Json(state.displays.list(&admin.account).await?))
}

/// Moves a display to another building or staircase, or renames it. The display follows
/// at its next session renewal (within 5 minutes while it is on).
#[utoipa::path(put, path = "/api/v1/admin/displays/{id}", tag = "admin",
    params(("id" = String, Path, format = Uuid, description = "Rappu's id of the display")),
    request_body = DisplayAssignment,
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The display", body = PairedDisplay),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such display of the account", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such building or staircase, or a bad label", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn reassign(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<DisplayAssignment>,
) -> ApiResult<Json<PairedDisplay>> {
    Ok(Json(
        state
            .displays
            .reassign(&admin.account, &id, &body, &state.mirror)
            .await?,
    ))
}

/// Unpairs a display: its sessions stop working at once, and the screen shows a new
/// pairing code.
#[utoipa::path(delete, path = "/api/v1/admin/displays/{id}", tag = "admin",
    params(("id" = String, Path, format = Uuid, description = "Rappu's id of the display")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Unpaired"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such display of the account", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn unpair(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state
        .displays
        .unpair(&admin.account, &id, &state.tokens)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// Makes a caretaker's pairing link for some buildings. The caretaker opens it once on
/// their phone (it works 7 days unless opened); the phone may then pair displays in those
/// buildings for `days` (default 90) by entering the code a screen shows.
#[utoipa::path(post, path = "/api/v1/admin/displays/caretaker-links", tag = "admin",
    request_body = NewCaretakerLink,
    security(("bearer" = [])),
    responses(
        (status = 201, description = "The link", body = OneTimeLink),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "No such building, or bad days or label", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn caretaker_link(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    ApiJson(body): ApiJson<NewCaretakerLink>,
) -> ApiResult<(StatusCode, Json<OneTimeLink>)> {
    let link = state
        .displays
        .create_caretaker_link(&admin.account, &body, &state.public_url, &state.mirror)
        .await?;
    Ok((StatusCode::CREATED, Json(link)))
}
