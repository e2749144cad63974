//! The object registry: cost centres, one object, and an object's descendants.

use axum::body::Bytes;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::Caller;
use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::model::RegistryObject;
use crate::paging::{Page, PageRequest};
use crate::simulator::Simulator;
use crate::world::ObjectFilter;

pub(super) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/kustannuspaikat/selaa", get(cost_centres))
        .route("/kohteet/{id}", get(object))
        .route("/kohteet/{id}/selaa", post(descendants))
}

/// `GET kustannuspaikat/selaa`
async fn cost_centres(
    Extension(caller): Extension<Caller>,
    page: PageRequest,
) -> Json<Page<RegistryObject>> {
    let world = caller.read();
    Json(page.page(&world.cost_centres(), |o| (*o).clone()))
}

/// `GET kohteet/{id}`
async fn object(
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
) -> Result<Json<RegistryObject>, ApiError> {
    let id = extract::id(&id)?;
    caller
        .read()
        .object(id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Kohdetta {id} ei löydy")))
}

/// `POST kohteet/{id}/selaa`
async fn descendants(
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    page: PageRequest,
    body: Bytes,
) -> Result<Json<Page<RegistryObject>>, ApiError> {
    let id = extract::id(&id)?;
    let filter: ObjectFilter = extract::optional_json(&body)?;
    let world = caller.read();
    let rows = world.descendants(id, &filter)?;
    Ok(Json(page.page(&rows, |o| (*o).clone())))
}
