//! Admin changes to an account's data: what happens in Tampuuri's own UI. Each emits the
//! webhook actions Tampuuri would — unless the request says `?webhook=false`: the change is
//! made and its notification is lost (what a listener's safety net must catch). Nothing
//! here is counted as an API call.

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, patch, post};
use axum::{Json, Router};

use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::model::ConnectionView;
use crate::report::Transition;
use crate::simulator::{Account, Simulator};
use crate::time;
use crate::world::{
    AnnouncementPatch, Change, ConnectionPatch, NewAnnouncement, NewReport, NewResident,
    PartyPatch, StepBody,
};

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
        .route("/accounts/{account}/reports", post(add_report))
        .route("/accounts/{account}/reports/{id}/{step}", post(step_report))
}

/// `?webhook=false`: make the change without its notification (a lost webhook).
#[derive(Debug, Clone, Copy, serde::Deserialize)]
struct Notify {
    #[serde(default = "yes")]
    webhook: bool,
}

fn yes() -> bool {
    true
}

/// Publishes `changes` unless the caller asked for a lost notification.
fn publish(sim: &Simulator, account: &str, changes: &[Change], notify: Notify) {
    if notify.webhook {
        sim.publish(account, changes);
    }
}

fn account(sim: &Simulator, name: &str) -> Result<std::sync::Arc<Account>, ApiError> {
    sim.account(name)
        .ok_or_else(|| ApiError::NotFound(format!("Tiliä {name} ei ole")))
}

async fn add_announcement(
    State(sim): State<Simulator>,
    Query(notify): Query<Notify>,
    Params(name): Params<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let body: NewAnnouncement = extract::required_json(&body)?;
    let (news, changes) = acc.write().add_announcement(body, time::now())?;
    publish(&sim, &acc.name, &changes, notify);
    Ok((StatusCode::CREATED, Json(news)).into_response())
}

async fn patch_announcement(
    State(sim): State<Simulator>,
    Query(notify): Query<Notify>,
    Params((name, id)): Params<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let patch: AnnouncementPatch = extract::required_json(&body)?;
    let (news, changes) = acc.write().patch_announcement(id, patch, time::now())?;
    publish(&sim, &acc.name, &changes, notify);
    Ok(Json(news).into_response())
}

async fn delete_announcement(
    State(sim): State<Simulator>,
    Query(notify): Query<Notify>,
    Params((name, id)): Params<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let changes = acc.write().delete_announcement(id)?;
    publish(&sim, &acc.name, &changes, notify);
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
    Query(notify): Query<Notify>,
    Params((name, id)): Params<(String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let patch: PartyPatch = extract::required_json(&body)?;
    let (party, changes) = acc.write().patch_party(id, patch, time::now())?;
    publish(&sim, &acc.name, &changes, notify);
    Ok(Json(party).into_response())
}

async fn patch_connection(
    State(sim): State<Simulator>,
    Query(notify): Query<Notify>,
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
    publish(&sim, &acc.name, &response.0, notify);
    response
        .1
        .ok_or_else(|| ApiError::NotFound(format!("Yhteyden {id} osapuolta ei löydy")))
}

async fn delete_connection(
    State(sim): State<Simulator>,
    Query(notify): Query<Notify>,
    Params((name, id)): Params<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let changes = acc.write().delete_connection(id)?;
    publish(&sim, &acc.name, &changes, notify);
    Ok(StatusCode::NO_CONTENT)
}

async fn add_resident(
    State(sim): State<Simulator>,
    Query(notify): Query<Notify>,
    Params(name): Params<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let body: NewResident = extract::required_json(&body)?;
    let (conn, party, changes) = acc.write().add_resident(body, time::now())?;
    publish(&sim, &acc.name, &changes, notify);
    Ok((
        StatusCode::CREATED,
        Json(ConnectionView::new(&conn, &party)),
    )
        .into_response())
}

/// A report made in Tampuuri's own UI (by a manager, or phoned in): `POST ilmoitukset/base64`'s
/// body, without the call being counted.
async fn add_report(
    State(sim): State<Simulator>,
    Query(notify): Query<Notify>,
    Params(name): Params<String>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let body: NewReport = extract::required_json(&body)?;
    let (report, changes) = acc.write().create_report(body, None, time::now())?;
    publish(&sim, &acc.name, &changes, notify);
    Ok((StatusCode::CREATED, Json(report)).into_response())
}

/// A report moved on in Tampuuri's own UI; `step` is the API route's last segment
/// (`vastaanota`, `odotukseen`, `kuittaatehdyksi`, `kuittaavalmiiksi`).
async fn step_report(
    State(sim): State<Simulator>,
    Query(notify): Query<Notify>,
    Params((name, id, step)): Params<(String, String, String)>,
    body: Bytes,
) -> Result<Response, ApiError> {
    let acc = account(&sim, &name)?;
    let id = extract::id(&id)?;
    let transition = match step.as_str() {
        "vastaanota" => Transition::Receive,
        "odotukseen" => Transition::Wait,
        "kuittaatehdyksi" => Transition::Done,
        "kuittaavalmiiksi" => Transition::Complete,
        other => return Err(ApiError::NotFound(format!("Tuntematon siirto {other}"))),
    };
    let body: StepBody = extract::optional_json(&body)?;
    let (report, changes) = acc.write().transition(id, transition, body, time::now())?;
    publish(&sim, &acc.name, &changes, notify);
    Ok(Json(report).into_response())
}
