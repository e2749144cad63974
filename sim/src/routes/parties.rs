//! Parties and their connections to objects.

use std::collections::{BTreeSet, HashMap};

use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use serde::Deserialize;
use serde_json::Value;

use super::Caller;
use crate::error::ApiError;
use crate::extract::{self, Params};
use crate::model::PartyKind;
use crate::paging::PageRequest;
use crate::simulator::Simulator;
use crate::world::ConnectionFilter;

pub(super) fn routes() -> Router<Simulator> {
    Router::new()
        .route("/osapuolet/yhteydet/selaa", post(connections))
        .route("/osapuolet/henkilot", get(find_persons))
        .route("/osapuolet/{id}", get(party))
        .route("/osapuolitiedot/osapuolet/hae", post(parties_by_id))
}

/// `POST osapuolet/yhteydet/selaa`
async fn connections(
    State(sim): State<Simulator>,
    Extension(caller): Extension<Caller>,
    page: PageRequest,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let filter: ConnectionFilter = extract::optional_json(&body)?;
    let scope = match (filter.osapuoli_id, filter.kohde_id) {
        (Some(_), _) => "one party",
        (None, Some(_)) => "one object",
        (None, None) => "account-wide",
    };
    sim.count_scope(&caller.name, "POST osapuolet/yhteydet/selaa", scope);
    caller.render(|wire, world| {
        let rows = world.find_connections_coded(&filter, |c| wire.role_code(c))?;
        let items = page
            .window(&rows)
            .iter()
            .filter_map(|c| world.party(c.osapuoli_id).map(|p| wire.connection(c, p)))
            .collect();
        Ok(Json(wire.page(&page, rows.len(), items)))
    })
}

/// `GET osapuolet/henkilot?Hakusana=...`: persons whose name or email contains the search
/// word (case-insensitively), paged, ordered by id. A missing or blank `Hakusana` is 400.
async fn find_persons(
    Extension(caller): Extension<Caller>,
    page: PageRequest,
    Query(query): Query<HashMap<String, String>>,
) -> Result<Json<Value>, ApiError> {
    let word = query
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("hakusana"))
        .map(|(_, v)| v.trim().to_lowercase())
        .filter(|v| !v.is_empty())
        .ok_or_else(|| ApiError::BadRequest("Hakusana puuttuu".to_owned()))?;
    Ok(Json(caller.render(|wire, world| {
        let rows: Vec<_> = world
            .parties
            .iter()
            .filter(|p| p.osapuolityyppi == PartyKind::Henkilo)
            .filter(|p| {
                let name = format!(
                    "{} {} {}",
                    p.nimi,
                    p.etunimi.as_deref().unwrap_or(""),
                    p.sukunimi.as_deref().unwrap_or("")
                );
                name.to_lowercase().contains(&word)
                    || p.sahkoposti
                        .as_deref()
                        .is_some_and(|e| e.to_lowercase().contains(&word))
            })
            .collect();
        let items = page.window(&rows).iter().map(|p| wire.party(p)).collect();
        wire.page(&page, rows.len(), items)
    })))
}

/// `GET osapuolet/{id}`
async fn party(
    Extension(caller): Extension<Caller>,
    Params(id): Params<String>,
) -> Result<Json<Value>, ApiError> {
    let id = extract::id(&id)?;
    caller
        .render(|wire, world| world.party(id).map(|p| wire.party(p)))
        .map(Json)
        .ok_or_else(|| ApiError::NotFound(format!("Osapuolta {id} ei löydy")))
}

/// Body of `POST osapuolitiedot/osapuolet/hae` (`ApiOsapuoletRequestModel`). The
/// parameter selectors `Metanimet` and `ParametriIdt` are ignored: the simulator's parties
/// have no parameters (`Parametrit` is always empty).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct PartiesRequest {
    /// The parties (required).
    osapuoli_idt: Option<Vec<i64>>,
}

/// `POST osapuolitiedot/osapuolet/hae`: many parties in one call, a bare array in the
/// order asked; archived and unknown parties are silently absent.
async fn parties_by_id(
    Extension(caller): Extension<Caller>,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let body: PartiesRequest = extract::required_json(&body)?;
    let ids = body
        .osapuoli_idt
        .ok_or_else(|| ApiError::BadRequest("OsapuoliIdt puuttuu".to_owned()))?;
    Ok(Json(caller.render(|wire, world| {
        let mut seen = BTreeSet::new();
        let rows = ids
            .iter()
            .filter(|id| seen.insert(**id))
            .filter_map(|id| world.party(*id))
            .filter(|p| p.arkistoitu.is_none())
            .map(|p| wire.party_brief(p))
            .collect();
        Value::Array(rows)
    })))
}
