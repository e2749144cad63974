//! What Rappu knows about the admin's Tampuuri account: rows it had to skip, the paging
//! shapes it sees, and the go-live check (`rappu verify-upstream`), run read-only from here.

use axum::Json;
use axum::extract::State;
use serde::Serialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::AdminCaller;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use crate::upstream::tampuuri::breaker::CircuitView;
use crate::upstream::tampuuri::stats::{RouteShape, SkippedRows};
use crate::verify::{self, VerifyReport};

/// A check at most this often per account: each costs up to 25 billed calls.
const CHECK_EVERY_SECS: i64 = 60;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(upstream))
        .routes(routes!(verify_upstream))
}

/// The account's wire as Rappu has read it since it started.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpstreamView {
    /// Tampuuri account.
    pub account: String,
    /// Rows skipped because Rappu could not read them, by route and field.
    pub skipped_rows: Vec<SkippedRows>,
    /// The paging shape each route answered in last.
    pub paging: Vec<RouteShape>,
    /// The last go-live check, if one was run.
    pub last_check: Option<VerifyReport>,
    /// The circuit breaker on the account's calls: closed (calls go through), open (they
    /// fail at once, cached data is served) or half-open (one probe on its way).
    pub circuit: Option<CircuitView>,
    /// The account mirror: its last reconciliations, failures, changes not yet fetched,
    /// and whether the budget holds background work back.
    pub mirror: Option<crate::mirror::Health>,
    /// This month's calls against `usage.monthly_budget_calls`: past 80 % of the pace
    /// `warn`; past the budget `over` (only writes and privacy changes go to Tampuuri, the
    /// rest is served from the mirror marked stale).
    pub budget: crate::usage::BudgetState,
}

/// What Rappu has seen of the admin's Tampuuri account: rows it had to skip (a field it
/// could not read, named by its path, never its value), the paging shapes, the last check,
/// and the circuit breaker's state.
#[utoipa::path(get, path = "/api/v1/admin/upstream", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The account's wire", body = UpstreamView),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn upstream(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<UpstreamView>> {
    let stats = state.tampuuri.wire_stats();
    let last_check = last_check(&state, &admin.account).await?;
    Ok(Json(UpstreamView {
        skipped_rows: stats
            .skipped_rows()
            .into_iter()
            .filter(|s| s.account == admin.account)
            .collect(),
        paging: stats
            .shapes()
            .into_iter()
            .filter(|s| s.account == admin.account)
            .collect(),
        circuit: state.tampuuri.circuit(&admin.account),
        mirror: state.mirror.health(&admin.account),
        budget: state.budget.state(&admin.account),
        account: admin.account.clone(),
        last_check,
    }))
}

async fn last_check(state: &AppState, account: &str) -> ApiResult<Option<VerifyReport>> {
    Ok(state
        .store
        .profile(account)
        .await?
        .and_then(|p| serde_json::from_str(&p.report_json).ok()))
}

/// Runs the go-live check of the admin's account, read-only (at most 25 calls; the write
/// test is `rappu verify-upstream --write-test-object ID`), and records it. Within a minute
/// of the last check its report is answered again instead, so the bill cannot be run up.
#[utoipa::path(get, path = "/api/v1/admin/upstream/verify", tag = "admin",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The check's report", body = VerifyReport),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not an admin", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No Tampuuri account is configured (demo mode checks the simulator)", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn verify_upstream(
    State(state): State<AppState>,
    AdminCaller(admin): AdminCaller,
) -> ApiResult<Json<VerifyReport>> {
    if let Some(last) = last_check(&state, &admin.account).await?
        && (chrono::Utc::now() - last.checked_at).num_seconds() < CHECK_EVERY_SECS
    {
        return Ok(Json(last));
    }
    let settings = state
        .upstream_settings()
        .ok_or_else(|| ApiError::NotFound("no Tampuuri account is configured".into()))?;
    let report = verify::check_account_observed(
        &settings,
        state.usage.clone(),
        state.metrics.upstream.clone(),
        &state.store,
        &admin.account,
        None,
    )
    .await
    .map_err(|e| ApiError::Internal(e.to_string()))?;
    Ok(Json(report))
}
