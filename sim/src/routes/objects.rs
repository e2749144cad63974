//! The object registry: cost centres, one object, and an object's descendants.

use axum::body::Bytes;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Caller;
use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::paging::PageRequest;
use crate::simulator::Simulator;
use crate::world::ObjectFilter;

pub(super) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/kustannuspaikat/selaa", get(cost_centres))
        .route("/kohteet/{id}", get(object))
        .route("/kohteet/{id}/selaa", post(descendants))
}

/// `GET kustannuspaikat/selaa`
async fn cost_centres(Extension(caller): Extension<Caller>, page: PageRequest) -> Json<Value> {
    Json(caller.render(|wire, world| {
        let rows = world.cost_centres();
        let items = page.window(&rows).iter().map(|o| wire.object(o)).collect();
        wire.page(&page, rows.len(), items)
    }))
}

/// `GET kohteet/{id}`
async fn object(
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
) -> Result<Json<Value>, ApiError> {
    let id = extract::id(&id)?;
    caller
        .render(|wire, world| world.object(id).map(|o| wire.object(o)))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Kohdetta {id} ei löydy")))
}

/// `POST kohteet/{id}/selaa`
async fn descendants(
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    page: PageRequest,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let id = extract::id(&id)?;
    let filter: ObjectFilter = extract::optional_json(&body)?;
    caller.render(|wire, world| {
        let rows = world.descendants_coded(id, &filter, |o| wire.object_code(o))?;
        let items = page.window(&rows).iter().map(|o| wire.object(o)).collect();
        Ok(Json(wire.page(&page, rows.len(), items)))
    })
}
