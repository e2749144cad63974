//! Fault reports: search, read, create, and the lifecycle transitions.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Caller;
use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::paging::PageRequest;
use crate::report::{FaultReport, Transition};
use crate::simulator::Simulator;
use crate::time;
use crate::world::{NewReport, ReportFilter, ReportRequest, StepBody};

pub(super) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/ilmoitukset/selaa", post(search))
        .route("/ilmoitukset/base64", post(create))
        .route("/ilmoitukset/lisaa", post(add))
        .route("/ilmoitukset/{id}", get(one))
        .route("/ilmoitukset/{id}/vastaanota", post(receive))
        .route("/ilmoitukset/{id}/odotukseen", post(wait))
        .route("/ilmoitukset/{id}/kuittaatehdyksi", post(done))
        .route("/ilmoitukset/{id}/kuittaavalmiiksi", post(complete))
        .route("/ilmoitukset/{id}/jatkoilmoitus", post(follow_up))
}

/// A changed or created report in the caller's dialect.
fn rendered(caller: &Caller, report: &FaultReport) -> Json<Value> {
    Json(caller.render(|wire, _| wire.report(report)))
}

/// `POST ilmoitukset/selaa`
async fn search(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    page: PageRequest,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut filter: ReportFilter = extract::optional_json(&body)?;
    let scoped = filter.tyonsuorittaja_id.is_some()
        || filter.kohde_id.is_some()
        || filter.tila_id.is_some()
        || filter.ilmoittaja_id.is_some()
        || filter.ulkoinen_tunniste.is_some();
    sim.count_scope(
        &caller.name,
        "POST ilmoitukset/selaa",
        if scoped { "scoped" } else { "account-wide" },
    );
    if !caller.dialect().external_id {
        filter.ulkoinen_tunniste = None;
    }
    caller.render(|wire, world| {
        let rows = world.find_reports(&filter)?;
        let items = page.window(&rows).iter().map(|r| wire.report(r)).collect();
        Ok(Json(wire.page(&page, rows.len(), items)))
    })
}

/// `GET ilmoitukset/{id}`
async fn one(
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
) -> Result<Json<Value>, ApiError> {
    let id = extract::id(&id)?;
    caller
        .render(|wire, world| world.report(id).map(|r| wire.report(r)))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Ilmoitusta {id} ei löydy")))
}

/// A create body without its external id when the account keeps none.
fn new_report(caller: &Caller, body: &[u8]) -> Result<NewReport, ApiError> {
    let mut body: NewReport = extract::required_json(body)?;
    if !caller.dialect().external_id {
        body.ulkoinen_tunniste = None;
    }
    Ok(body)
}

/// `POST ilmoitukset/base64`
async fn create(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let body = new_report(&caller, &body)?;
    let (report, changes) = caller.write().create_report(body, None, time::now())?;
    sim.publish(&caller.name, &changes);
    Ok((StatusCode::CREATED, rendered(&caller, &report)))
}

/// `POST ilmoitukset/lisaa`: answers the new report's id only.
async fn add(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let mut body: ReportRequest = extract::required_json(&body)?;
    if !caller.dialect().external_id {
        body.ulkoinen_tunniste = None;
    }
    let (report, changes) = caller.write().add_report(body, time::now())?;
    sim.publish(&caller.name, &changes);
    Ok(Json(caller.render(|wire, _| wire.created(report.id))))
}

/// `POST ilmoitukset/{id}/jatkoilmoitus`
async fn follow_up(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let id = extract::id(&id)?;
    let body = new_report(&caller, &body)?;
    let (report, changes) = caller.write().follow_up(id, body, time::now())?;
    sim.publish(&caller.name, &changes);
    Ok((StatusCode::CREATED, rendered(&caller, &report)))
}

fn step(
    sim: Simulator,
    caller: Caller,
    id: &str,
    body: &[u8],
    transition: Transition,
) -> Result<Json<Value>, ApiError> {
    let id = extract::id(id)?;
    let body: StepBody = extract::optional_json(body)?;
    let (report, changes) = caller
        .write()
        .transition(id, transition, body, time::now())?;
    sim.publish(&caller.name, &changes);
    Ok(rendered(&caller, &report))
}

/// `POST ilmoitukset/{id}/vastaanota`
async fn receive(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    step(sim, caller, &id, &body, Transition::Receive)
}

/// `POST ilmoitukset/{id}/odotukseen`
async fn wait(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    step(sim, caller, &id, &body, Transition::Wait)
}

/// `POST ilmoitukset/{id}/kuittaatehdyksi`
async fn done(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    step(sim, caller, &id, &body, Transition::Done)
}

/// `POST ilmoitukset/{id}/kuittaavalmiiksi`
async fn complete(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    step(sim, caller, &id, &body, Transition::Complete)
}
