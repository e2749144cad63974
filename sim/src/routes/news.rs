//! Announcements (`uutiset`).

use axum::body::Bytes;
use axum::routing::post;
use axum::{Extension, Json, Router};
use serde_json::Value;

use super::Caller;
use crate::error::ApiError;
use crate::extract;
use crate::paging::PageRequest;
use crate::simulator::Simulator;
use crate::world::NewsFilter;

pub(super) fn routes() -> Router<Simulator> {
    Router::new().route("/uutiset/selaa", post(news))
}

/// `POST uutiset/selaa`
async fn news(
    Extension(caller): Extension<Caller>,
    page: PageRequest,
    body: Bytes,
) -> Result<Json<Value>, ApiError> {
    let filter: NewsFilter = extract::optional_json(&body)?;
    caller.render(|wire, world| {
        let rows = world.find_news(&filter)?;
        let items = page
            .window(&rows)
            .iter()
            .map(|a| wire.announcement(a))
            .collect();
        Ok(Json(wire.page(&page, rows.len(), items)))
    })
}
