//! The simulator's own controls: call counts, fault switches, webhook listeners and
//! deliveries, and account summaries.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;

use crate::counter::CallCounts;
use crate::dialect::Dialect;
use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::faults::Faults;
use crate::simulator::Simulator;
use crate::webhooks::{Delivery, RegisteredListener, WebhookListener};
use crate::world::AccountSummary;

pub(super) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/calls", get(calls).delete(reset_calls))
        .route("/faults", get(faults).put(set_faults))
        .route("/webhooks", get(listeners).post(add_listener))
        .route("/webhooks/deliveries", get(deliveries))
        .route("/accounts/{account}/summary", get(summary))
        .route("/accounts/{account}/dialect", get(dialect).put(set_dialect))
}

async fn dialect(
    State(sim): State<Simulator>,
    Params(account): Params<String>,
) -> Result<Json<Dialect>, ApiError> {
    sim.dialect(&account)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Tiliä {account} ei ole")))
}

/// Replace an account's dialect (absent knobs take the classic values); answers it.
async fn set_dialect(
    State(sim): State<Simulator>,
    Params(account): Params<String>,
    body: Bytes,
) -> Result<Json<Dialect>, ApiError> {
    let dialect: Dialect = extract::required_json(&body)?;
    dialect.validate().map_err(ApiError::BadRequest)?;
    if sim.dialect(&account).is_none() {
        return Err(ApiError::NotFound(format!("Tiliä {account} ei ole")));
    }
    sim.set_dialect(&account, dialect.clone())
        .map_err(ApiError::BadRequest)?;
    Ok(Json(dialect))
}

async fn calls(State(sim): State<Simulator>) -> Json<CallCounts> {
    Json(sim.calls())
}

async fn reset_calls(State(sim): State<Simulator>) -> StatusCode {
    sim.reset_calls();
    StatusCode::NO_CONTENT
}

async fn faults(State(sim): State<Simulator>) -> Json<Faults> {
    Json(sim.faults())
}

async fn set_faults(State(sim): State<Simulator>, body: Bytes) -> Result<Json<Faults>, ApiError> {
    let faults: Faults = extract::required_json(&body)?;
    faults.validate().map_err(ApiError::BadRequest)?;
    sim.set_faults(faults.clone());
    Ok(Json(faults))
}

async fn listeners(State(sim): State<Simulator>) -> Json<Vec<RegisteredListener>> {
    Json(sim.listeners())
}

/// The answer to a registration.
#[derive(Serialize)]
struct Registered {
    id: u64,
}

async fn add_listener(
    State(sim): State<Simulator>,
    body: Bytes,
) -> Result<(StatusCode, Json<Registered>), ApiError> {
    let listener: WebhookListener = extract::required_json(&body)?;
    let url = reqwest::Url::parse(&listener.url)
        .map_err(|e| ApiError::BadRequest(format!("url: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::BadRequest("url must be http or https".to_owned()));
    }
    if let Some(h) = &listener.header {
        let valid = axum::http::HeaderName::from_bytes(h.name.as_bytes()).is_ok()
            && axum::http::HeaderValue::from_str(&h.value).is_ok();
        if !valid {
            return Err(ApiError::BadRequest("invalid header".to_owned()));
        }
    }
    if listener.events.is_empty() {
        return Err(ApiError::BadRequest("events must not be empty".to_owned()));
    }
    let id = sim.add_listener(listener);
    Ok((StatusCode::CREATED, Json(Registered { id })))
}

async fn deliveries(State(sim): State<Simulator>) -> Json<Vec<Delivery>> {
    Json(sim.deliveries())
}

async fn summary(
    State(sim): State<Simulator>,
    Params(account): Params<String>,
) -> Result<Json<AccountSummary>, ApiError> {
    sim.summary(&account)
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Tiliä {account} ei ole")))
}
