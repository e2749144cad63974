//! Buildings: what a display (or an operator) may know about a building.

use axum::Json;
use axum::extract::{Path, State};
use rappu_shared::{Building, Grant};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::Caller;
use crate::error::{ApiError, ApiResult};
use crate::property;
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_building))
}

/// A building with its address and staircases. A display may read only the building it
/// is bound to; an admin any building of its account.
#[utoipa::path(get, path = "/api/v1/buildings/{building_id}", tag = "buildings",
    params(("building_id" = u64, Path, maximum = 9_223_372_036_854_775_807_u64, description = "Tampuuri object id of the building")),
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The building", body = Building),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Another role, or another building", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "No such building", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn get_building(
    State(state): State<AppState>,
    Caller(principal): Caller,
    Path(building_id): Path<u64>,
) -> ApiResult<Json<Building>> {
    match principal.grant {
        Grant::Admin => {}
        Grant::Display { building, .. } if building == building_id => {}
        Grant::Display { .. } => {
            return Err(ApiError::OutOfScope(
                "this display is bound to another building".into(),
            ));
        }
        _ => return Err(ApiError::WrongRole("display or admin")),
    }
    Ok(Json(
        property::building(&state.mirror, &principal.account, building_id).await?,
    ))
}
