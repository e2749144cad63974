//! What a third-party app reads per building, each route behind one scope and only for the
//! buildings that scope covers: the display feed (`feeds:read`), the announcements
//! (`announcements:read`) and the fault reports as work orders (`reports:read`). Working a
//! report (`work-orders:write`) is in [`super::work_orders`].

use axum::Json;
use axum::extract::{Path, Query, Request, State};
use rappu_shared::apps::{BuildingAnnouncements, Scope};
use rappu_shared::display::DisplayFeed;
use rappu_shared::report::{ReportPage, WorkOrder};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::work_orders::{WorkOrderQuery, parse_state};
use crate::auth::AppCaller;
use crate::error::{ApiError, ApiResult};
use crate::feeds::RenderedFeed;
use crate::state::AppState;
use crate::work_orders::by_place::BuildingKey;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(building_feed))
        .routes(routes!(building_announcements))
        .routes(routes!(building_work_orders))
}

const BUILDING_ID: &str = "Tampuuri object id of the building";

/// The building's feed, built (and cached) as for its displays.
async fn feed_of(
    state: &AppState,
    app: &AppCaller,
    scope: Scope,
    building: u64,
) -> ApiResult<std::sync::Arc<RenderedFeed>> {
    app.require_building(state, scope, building).await?;
    let key = state
        .feeds
        .key(&app.app.account, building, None)
        .ok_or_else(|| ApiError::NotFound("the app's account is not served here".into()))?;
    Ok(state.feeds.get(key).await?)
}

/// The building's display feed, exactly as its stairwell displays get it (names only where
/// allowed, never anyone under turvakielto): apartments by floor, announcements, contacts,
/// ongoing work. Send `If-None-Match` with the last ETag: an unchanged feed answers `304`.
/// Tampuuri is called once per change however many displays and apps read it.
#[utoipa::path(get, path = "/api/v1/buildings/{building_id}/feed", tag = "integrations",
    security(("oauth2" = ["feeds:read"])),
    params(("building_id" = u64, Path, maximum = 9_223_372_036_854_775_807_u64, example = 100001, description = BUILDING_ID),
           ("If-None-Match" = Option<String>, Header, example = "\"3f1c9a0be27d5e41\"", description = "The ETag of the feed the app has")),
    responses(
        (status = 200, description = "The feed", body = DisplayFeed,
            headers(("ETag" = String, description = "Strong validator of this version"),
                    ("Cache-Control" = String, description = "private, short max-age, stale-while-revalidate, stale-if-error"))),
        (status = 304, description = "Unchanged since the given ETag"),
        (status = 403, description = "No `feeds:read` in the token (`insufficient_scope`), a building the scope does not cover, or a page origin the app does not list", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a building", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn building_feed(
    State(state): State<AppState>,
    app: AppCaller,
    Path(building_id): Path<u64>,
    request: Request,
) -> ApiResult<axum::response::Response> {
    let feed = feed_of(&state, &app, Scope::FeedsRead, building_id).await?;
    super::display::respond(
        &state.feeds,
        &feed,
        request.headers(),
        &state.feed_cache_control,
    )
}

/// The building's announcements valid now, newest first (from the same cached data as its
/// displays).
#[utoipa::path(get, path = "/api/v1/buildings/{building_id}/announcements", tag = "integrations",
    security(("oauth2" = ["announcements:read"])),
    params(("building_id" = u64, Path, maximum = 9_223_372_036_854_775_807_u64, example = 100001, description = BUILDING_ID)),
    responses(
        (status = 200, description = "The announcements", body = BuildingAnnouncements),
        (status = 403, description = "No `announcements:read` in the token (`insufficient_scope`), a building the scope does not cover, or a page origin the app does not list", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "Not a building", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn building_announcements(
    State(state): State<AppState>,
    app: AppCaller,
    Path(building_id): Path<u64>,
) -> ApiResult<Json<BuildingAnnouncements>> {
    let feed = feed_of(&state, &app, Scope::AnnouncementsRead, building_id).await?;
    let json = feed
        .json()
        .map_err(|e| ApiError::Internal(format!("reading a rendered feed: {e}")))?;
    let feed: DisplayFeed = serde_json::from_slice(&json)
        .map_err(|e| ApiError::Internal(format!("reading a rendered feed: {e}")))?;
    Ok(Json(BuildingAnnouncements {
        building: building_id,
        announcements: feed.announcements,
        data_as_of: feed.data_as_of,
        stale: feed.stale,
    }))
}

/// The fault reports on the building and everything in it (apartments, staircases), newest
/// first, as work orders: what, where, master-key permission, pets, a phone to call and the
/// timeline; never the resident's name.
#[utoipa::path(get, path = "/api/v1/buildings/{building_id}/work-orders", tag = "integrations",
    security(("oauth2" = ["reports:read"])),
    params(("building_id" = u64, Path, maximum = 9_223_372_036_854_775_807_u64, example = 100001, description = BUILDING_ID),
           WorkOrderQuery),
    responses(
        (status = 200, description = "A page of the building's work orders", body = ReportPage<WorkOrder>),
        (status = 403, description = "No `reports:read` in the token (`insufficient_scope`), a building the scope does not cover, or a page origin the app does not list", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Unknown `state`, or `offset` or `limit` out of range", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn building_work_orders(
    State(state): State<AppState>,
    app: AppCaller,
    Path(building_id): Path<u64>,
    Query(query): Query<WorkOrderQuery>,
) -> ApiResult<Json<ReportPage<WorkOrder>>> {
    let status = parse_state(query.state.as_deref())?;
    let (offset, limit) = super::paging::PageQuery {
        offset: query.offset,
        limit: query.limit,
    }
    .resolve()?;
    app.require_building(&state, Scope::ReportsRead, building_id)
        .await?;
    let key = BuildingKey {
        account: app.app.account.clone(),
        building: building_id,
        state: status,
    };
    let page = state.work_orders.in_building(key, offset, limit).await?;
    Ok(Json(page))
}
