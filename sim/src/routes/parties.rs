//! Parties and their connections to objects.

use axum::body::Bytes;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::Caller;
use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::model::{Connection, ConnectionView, Party};
use crate::paging::{Page, PageRequest};
use crate::simulator::Simulator;
use crate::world::{ConnectionFilter, World};

pub(super) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/osapuolet/yhteydet/selaa", post(connections))
        .route("/osapuolet/{id}", get(party))
}

/// The wire form of a page of connections: each with its party embedded.
fn views<'w>(world: &'w World, rows: &[&'w Connection]) -> Vec<ConnectionView<'w>> {
    rows.iter()
        .filter_map(|c| {
            world
                .party(c.osapuoli_id)
                .map(|p| ConnectionView::new(c, p))
        })
        .collect()
}

/// `POST osapuolet/yhteydet/selaa`
async fn connections(
    Extension(caller): Extension<Caller>,
    page: PageRequest,
    body: Bytes,
) -> Result<Response, ApiError> {
    let filter: ConnectionFilter = extract::optional_json(&body)?;
    let world = caller.read();
    let rows = world.find_connections(&filter)?;
    // The rows borrow the world: serialize while the read lock is held.
    let body = Page {
        items: views(&world, page.window(&rows)),
        metadata: page.metadata(rows.len()),
    };
    Ok(Json(body).into_response())
}

/// `GET osapuolet/{id}`
async fn party(
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
) -> Result<Json<Party>, ApiError> {
    let id = extract::id(&id)?;
    caller
        .read()
        .party(id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Osapuolta {id} ei löydy")))
}
