//! Fault reports: search, read, create, and the lifecycle transitions.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};

use super::Caller;
use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::paging::{Page, PageRequest};
use crate::report::{FaultReport, Transition};
use crate::simulator::Simulator;
use crate::time;
use crate::world::{NewReport, ReportFilter, StepBody};

pub(super) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/ilmoitukset/selaa", post(search))
        .route("/ilmoitukset/base64", post(create))
        .route("/ilmoitukset/{id}", get(one))
        .route("/ilmoitukset/{id}/vastaanota", post(receive))
        .route("/ilmoitukset/{id}/odotukseen", post(wait))
        .route("/ilmoitukset/{id}/kuittaatehdyksi", post(done))
        .route("/ilmoitukset/{id}/kuittaavalmiiksi", post(complete))
        .route("/ilmoitukset/{id}/jatkoilmoitus", post(follow_up))
}

/// `POST ilmoitukset/selaa`
async fn search(
    Extension(caller): Extension<Caller>,
    page: PageRequest,
    body: Bytes,
) -> Result<Json<Page<FaultReport>>, ApiError> {
    let filter: ReportFilter = extract::optional_json(&body)?;
    let world = caller.read();
    let rows = world.find_reports(&filter)?;
    Ok(Json(page.page(&rows, |r| (*r).clone())))
}

/// `GET ilmoitukset/{id}`
async fn one(
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
) -> Result<Json<FaultReport>, ApiError> {
    let id = extract::id(&id)?;
    caller
        .read()
        .report(id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Ilmoitusta {id} ei löydy")))
}

/// `POST ilmoitukset/base64`
async fn create(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<FaultReport>), ApiError> {
    let body: NewReport = extract::required_json(&body)?;
    let (report, changes) = caller.write().create_report(body, None, time::now())?;
    sim.publish(&caller.name, &changes);
    Ok((StatusCode::CREATED, Json(report)))
}

/// `POST ilmoitukset/{id}/jatkoilmoitus`
async fn follow_up(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<FaultReport>), ApiError> {
    let id = extract::id(&id)?;
    let body: NewReport = extract::required_json(&body)?;
    let (report, changes) = caller.write().follow_up(id, body, time::now())?;
    sim.publish(&caller.name, &changes);
    Ok((StatusCode::CREATED, Json(report)))
}

fn step(
    sim: Simulator,
    caller: Caller,
    id: &str,
    body: &[u8],
    transition: Transition,
) -> Result<Json<FaultReport>, ApiError> {
    let id = extract::id(id)?;
    let body: StepBody = extract::optional_json(body)?;
    let (report, changes) = caller
        .write()
        .transition(id, transition, body, time::now())?;
    sim.publish(&caller.name, &changes);
    Ok(Json(report))
}

/// `POST ilmoitukset/{id}/vastaanota`
async fn receive(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<FaultReport>, ApiError> {
    step(sim, caller, &id, &body, Transition::Receive)
}

/// `POST ilmoitukset/{id}/odotukseen`
async fn wait(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<FaultReport>, ApiError> {
    step(sim, caller, &id, &body, Transition::Wait)
}

/// `POST ilmoitukset/{id}/kuittaatehdyksi`
async fn done(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<FaultReport>, ApiError> {
    step(sim, caller, &id, &body, Transition::Done)
}

/// `POST ilmoitukset/{id}/kuittaavalmiiksi`
async fn complete(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<FaultReport>, ApiError> {
    step(sim, caller, &id, &body, Transition::Complete)
}
