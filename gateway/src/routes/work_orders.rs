//! A maintenance partner's work orders: list, read, receive, hold, done. A third-party
//! app reads (`reports:read`) and works (`work-orders:write`) the reports of the buildings
//! its scopes cover the same way; its list is per building
//! ([`super::integrations`]).

use axum::Json;
use axum::extract::{Path, Query, State};
use rappu_shared::FieldError;
use rappu_shared::report::{CompleteWorkOrder, HoldWorkOrder, ReportPage, ReportStatus, WorkOrder};
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use axum::extract::{FromRef, FromRequestParts};
use axum::http::request::Parts;
use rappu_shared::apps::Scope;

use crate::auth::PartnerCaller;
use crate::auth::app_caller::{self, AppCaller};
use crate::error::{ApiError, ApiResult};
use crate::http::json::ApiJson;
use crate::reports::ReportError;
use crate::state::AppState;
use crate::work_orders::Assignee;
use crate::work_orders::transitions::{Transition, may_change};

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(list_work_orders))
        .routes(routes!(get_work_order))
        .routes(routes!(receive))
        .routes(routes!(hold))
        .routes(routes!(done))
}

fn assignee(caller: &PartnerCaller) -> Assignee {
    Assignee {
        account: caller.principal.account.clone(),
        party: caller.assignee,
    }
}

/// Who works a work order: a partner (the reports assigned to it) or a third-party app
/// (the reports in the buildings its scopes cover).
enum Worker {
    Partner(Assignee),
    App(AppCaller),
}

impl<S> FromRequestParts<S> for Worker
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let app_state = AppState::from_ref(state);
        if let Some(app) = app_caller::of_request(parts, &app_state)? {
            return Ok(Worker::App(app));
        }
        PartnerCaller::from_request_parts(parts, state)
            .await
            .map(|p| Worker::Partner(assignee(&p)))
            .map_err(|e| match e {
                ApiError::WrongRole(_) => ApiError::WrongRole("partner or app"),
                other => other,
            })
    }
}

impl Worker {
    /// Applies `step` to work order `id` if this worker may change it.
    async fn transition(
        &self,
        state: &AppState,
        id: u64,
        step: Transition,
    ) -> ApiResult<WorkOrder> {
        let order = match self {
            Worker::Partner(who) => state.work_orders.transition(who, id, step).await?,
            Worker::App(app) => {
                app.require(Scope::WorkOrdersWrite)?;
                let covers = may_change(|report| {
                    let (app, state) = (app.clone(), state.clone());
                    Box::pin(async move {
                        app.covers_report(&state, Scope::WorkOrdersWrite, report)
                            .await
                    })
                });
                state
                    .work_orders
                    .transition_where(&app.app.account, id, step, &covers)
                    .await?
            }
        };
        Ok(order)
    }
}

/// Which work orders.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct WorkOrderQuery {
    /// Only work orders in this state.
    #[param(inline, value_type = Option<WorkOrderState>)]
    pub(super) state: Option<String>,
    /// Rows to skip, 0 to 1000000 (default 0).
    #[param(minimum = 0, maximum = 1_000_000)]
    pub(super) offset: Option<u64>,
    /// Rows per page, 1 to 100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub(super) limit: Option<u64>,
}

/// The states a work order can be listed by (documentation of `state`; an unknown value is
/// a 422 naming the field rather than a 400, so it is read as text).
#[derive(utoipa::ToSchema)]
#[schema(rename_all = "snake_case")]
#[allow(dead_code)]
enum WorkOrderState {
    Open,
    Received,
    Waiting,
    Done,
    Completed,
}

pub(super) fn parse_state(state: Option<&str>) -> Result<Option<ReportStatus>, ApiError> {
    let Some(state) = state else { return Ok(None) };
    serde_json::from_value(serde_json::Value::String(state.to_owned()))
        .map(Some)
        .map_err(|_| {
            ApiError::Validation(vec![FieldError::new(
                "state",
                "must be one of open, received, waiting, done, completed",
            )])
        })
}

/// The caller's work orders, newest first, optionally only those in one state.
#[utoipa::path(get, path = "/api/v1/work-orders", tag = "work-orders",
    security(("bearer" = [])),
    params(WorkOrderQuery),
    responses(
        (status = 200, description = "A page of the caller's work orders", body = ReportPage<WorkOrder>),
        (status = 400, description = "Malformed query", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown `state` or `limit` out of range", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 502, description = "Tampuuri refused Rappu's request", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn list_work_orders(
    State(state): State<AppState>,
    caller: PartnerCaller,
    Query(query): Query<WorkOrderQuery>,
) -> ApiResult<Json<ReportPage<WorkOrder>>> {
    let status = parse_state(query.state.as_deref())?;
    let (offset, limit) = super::paging::PageQuery {
        offset: query.offset,
        limit: query.limit,
    }
    .resolve()?;
    let page = state
        .work_orders
        .list(&assignee(&caller), status, offset, limit)
        .await?;
    Ok(Json(page))
}

/// One of the caller's work orders with its timeline: for a partner, one assigned to it;
/// for an app (`reports:read`), one in a building its scope covers. Any other is 404,
/// exactly like a missing one.
#[utoipa::path(get, path = "/api/v1/work-orders/{id}", tag = "work-orders",
    security(("bearer" = []), ("oauth2" = ["reports:read"])),
    params(("id" = u64, Path, maximum = 9_223_372_036_854_775_807_u64, description = "Tampuuri report id")),
    responses(
        (status = 200, description = "The work order", body = WorkOrder),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner, or an app without the scope (`insufficient_scope`) or used from an origin it does not list", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work order of the caller's", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn get_work_order(
    State(state): State<AppState>,
    caller: Worker,
    Path(id): Path<u64>,
) -> ApiResult<Json<WorkOrder>> {
    match caller {
        Worker::Partner(who) => Ok(Json(state.work_orders.get(&who, id).await?)),
        Worker::App(app) => {
            app.require(Scope::ReportsRead)?;
            let account = &app.app.account;
            let report = state.work_orders.any_report(account, id).await?;
            if !app
                .covers_report(&state, Scope::ReportsRead, &report)
                .await?
            {
                return Err(ReportError::NotFound.into());
            }
            Ok(Json(state.work_orders.view_of(account, &report).await))
        }
    }
}

/// Takes the job: open or waiting → received.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/receive", tag = "work-orders",
    security(("bearer" = []), ("oauth2" = ["work-orders:write"])),
    params(("id" = u64, Path, maximum = 9_223_372_036_854_775_807_u64, description = "Tampuuri report id")),
    responses(
        (status = 200, description = "Received", body = WorkOrder),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner, or an app without the scope (`insufficient_scope`) or used from an origin it does not list", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work order of the caller's", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not open or waiting", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable; the change may not have been made", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn receive(
    State(state): State<AppState>,
    caller: Worker,
    Path(id): Path<u64>,
) -> ApiResult<Json<WorkOrder>> {
    let order = caller.transition(&state, id, Transition::Receive).await?;
    Ok(Json(order))
}

/// Puts the job on hold: received → waiting. The reason is shown to the resident.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/hold", tag = "work-orders",
    security(("bearer" = []), ("oauth2" = ["work-orders:write"])),
    params(("id" = u64, Path, maximum = 9_223_372_036_854_775_807_u64, description = "Tampuuri report id")),
    request_body(content = HoldWorkOrder, content_type = "application/json"),
    responses(
        (status = 200, description = "On hold", body = WorkOrder),
        (status = 400, description = "Malformed JSON", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner, or an app without the scope (`insufficient_scope`) or used from an origin it does not list", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work order of the caller's", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not received", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than `server.body_limit_bytes`", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or too long `reason`", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable; the change may not have been made", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn hold(
    State(state): State<AppState>,
    caller: Worker,
    Path(id): Path<u64>,
    ApiJson(body): ApiJson<HoldWorkOrder>,
) -> ApiResult<Json<WorkOrder>> {
    let order = caller
        .transition(&state, id, Transition::Hold(body.reason))
        .await?;
    Ok(Json(order))
}

/// Marks the work done: received or waiting → done. The summary is shown to the resident.
#[utoipa::path(post, path = "/api/v1/work-orders/{id}/done", tag = "work-orders",
    security(("bearer" = []), ("oauth2" = ["work-orders:write"])),
    params(("id" = u64, Path, maximum = 9_223_372_036_854_775_807_u64, description = "Tampuuri report id")),
    request_body(content = CompleteWorkOrder, content_type = "application/json"),
    responses(
        (status = 200, description = "Done", body = WorkOrder),
        (status = 400, description = "Malformed JSON", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a partner, or an app without the scope (`insufficient_scope`) or used from an origin it does not list", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such work order of the caller's", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 409, description = "Not received or waiting", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 413, description = "Body larger than `server.body_limit_bytes`", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 415, description = "Not JSON", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Missing or too long `summary`", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable; the change may not have been made", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn done(
    State(state): State<AppState>,
    caller: Worker,
    Path(id): Path<u64>,
    ApiJson(body): ApiJson<CompleteWorkOrder>,
) -> ApiResult<Json<WorkOrder>> {
    let order = caller
        .transition(&state, id, Transition::Done(body.summary))
        .await?;
    Ok(Json(order))
}
