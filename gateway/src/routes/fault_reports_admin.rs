//! The operator's view of the outbox: reports not yet delivered, and sending a failed one
//! again once the cause is fixed.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Serialize;
use utoipa::ToSchema;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::paging::PageQuery;
use crate::auth::AdminCaller;
use crate::error::ApiResult;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(undelivered))
        .routes(routes!(retry))
}

/// A report Tampuuri does not have yet.
#[derive(Debug, Serialize, ToSchema)]
pub struct UndeliveredReport {
    /// Rappu's id (also the `UlkoinenTunniste` sent to Tampuuri).
    pub id: String,
    /// `pending` (being retried) or `failed` (refused; needs an operator).
    pub delivery: String,
    /// Delivery attempts so far.
    pub attempts: u32,
    /// Why the last attempt failed (no personal data, no Tampuuri payload).
    pub last_error: Option<String>,
    /// When the resident filed it.
    pub created_at: DateTime<Utc>,
    /// When it was marked failed.
    pub failed_at: Option<DateTime<Utc>>,
}

/// Reports of the admin's account not yet delivered to Tampuuri, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/fault-reports/undelivered", tag = "admin",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "Undelivered reports (at most `limit`)", body = Vec<UndeliveredReport>),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "`limit` out of range", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Rappu's database is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn undelivered(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Query(page): Query<PageQuery>,
) -> ApiResult<Json<Vec<UndeliveredReport>>> {
    let (_, limit) = page.resolve()?;
    let rows = state.reports.undelivered(&admin.account, limit).await?;
    Ok(Json(
        rows.into_iter()
            .map(|row| UndeliveredReport {
                id: row.id,
                delivery: row.delivery.as_str().to_owned(),
                attempts: row.attempts,
                last_error: row.last_error,
                created_at: row.created_at,
                failed_at: row.settled_at,
            })
            .collect(),
    ))
}

/// Sends a failed report again. It is looked up in Tampuuri by its id first, so a retry
/// never makes a second copy.
#[utoipa::path(post, path = "/api/v1/admin/fault-reports/{id}/retry", tag = "admin",
    security(("bearer" = [])),
    params(("id" = String, Path, format = Uuid, description = "Rappu's id of the report")),
    responses(
        (status = 202, description = "Queued for delivery"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No failed report with this id in the admin's account", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Rappu's database is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn retry(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    state.reports.retry(&admin.account, &id).await?;
    tracing::info!(report = %id, "failed fault report queued again by an operator");
    Ok(StatusCode::ACCEPTED)
}
