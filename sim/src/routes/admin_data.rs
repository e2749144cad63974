//! Admin changes to an account's data: what happens in Tampuuri's own UI. Each emits the
//! webhook actions Tampuuri would.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};

use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::model::ConnectionView;
use crate::simulator::{Account, Simulator};
use crate::time;
use crate::world::{AnnouncementPatch, ConnectionPatch, NewAnnouncement, NewResident, PartyPatch};

pub(super) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/accounts/{account}/announcements", post(add_announcement))
        .route(
            "/accounts/{account}/announcements/{id}",
            patch(patch_announcement).delete(delete_announcement),
        )
        .route(
            "/accounts/{account}/parties/{id}",
            get(get_party).patch(patch_party),
        )
        .route("/accounts/{account}/connections", post(add_resident))
        .route(
            "/accounts/{account}/connections/{id}",
            patch(patch_connection).delete(delete_connection),
        )
}

fn account(sim: &Simulator, name: &str) -> Result<std::sync::Arc<Account>, ApiError> {
    sim.account(name)
        .ok_or_else(|| ApiError::NotFound(format!("Tiliä {name} ei ole")))
}

async fn add_announcement(
    State(sim): State<Simulator>,
    Params(name): Params<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let body: NewAnnouncement = extract::required_json(&body)?;
    let (news, changes) = acc.write().add_announcement(body, time::now())?;
    sim.publish(&acc.name, &changes);
    Ok((StatusCode::CREATED, Json(news)).into_response())
}

async fn patch_announcement(
    State(sim): State<Simulator>,
    Params((name, id)): Params<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let patch: AnnouncementPatch = extract::required_json(&body)?;
    let (news, changes) = acc.write().patch_announcement(id, patch, time::now())?;
    sim.publish(&acc.name, &changes);
    Ok(Json(news).into_response())
}

async fn delete_announcement(
    State(sim): State<Simulator>,
    Params((name, id)): Params<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let changes = acc.write().delete_announcement(id)?;
    sim.publish(&acc.name, &changes);
    Ok(StatusCode::NO_CONTENT)
}

/// A party as Tampuuri holds it (tests read names here; the API's own party route is
/// counted as a call).
async fn get_party(
    State(sim): State<Simulator>,
    Params((name, id)): Params<(String, String)>,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let party = acc
        .read()
        .party(id)
        .cloned()
        .ok_or_else(|| ApiError::NotFound(format!("Osapuolta {id} ei ole")))?;
    Ok(Json(party).into_response())
}

async fn patch_party(
    State(sim): State<Simulator>,
    Params((name, id)): Params<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let patch: PartyPatch = extract::required_json(&body)?;
    let (party, changes) = acc.write().patch_party(id, patch, time::now())?;
    sim.publish(&acc.name, &changes);
    Ok(Json(party).into_response())
}

async fn patch_connection(
    State(sim): State<Simulator>,
    Params((name, id)): Params<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let patch: ConnectionPatch = extract::required_json(&body)?;
    let response = {
        let mut world = acc.write();
        let (conn, changes) = world.patch_connection(id, patch, time::now())?;
        let party = world.party(conn.osapuoli_id).cloned();
        (
            changes,
            party.map(|p| Json(ConnectionView::new(&conn, &p)).into_response()),
        )
    };
    sim.publish(&acc.name, &response.0);
    response
        .1
        .ok_or_else(|| ApiError::NotFound(format!("Yhteyden {id} osapuolta ei löydy")))
}

async fn delete_connection(
    State(sim): State<Simulator>,
    Params((name, id)): Params<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let changes = acc.write().delete_connection(id)?;
    sim.publish(&acc.name, &changes);
    Ok(StatusCode::NO_CONTENT)
}

async fn add_resident(
    State(sim): State<Simulator>,
    Params(name): Params<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let body: NewResident = extract::required_json(&body)?;
    let (conn, party, changes) = acc.write().add_resident(body, time::now())?;
    sim.publish(&acc.name, &changes);
    Ok((
        StatusCode::CREATED,
        Json(ConnectionView::new(&conn, &party)),
    )
        .into_response())
}
