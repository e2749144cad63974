//! Announcements (`uutiset`).

use axum::body::Bytes;
use axum::routing::post;
use axum::{Extension, Json, Router};

use super::Caller;
use crate::error::ApiError;
use crate::extract;
use crate::model::Announcement;
use crate::paging::{Page, PageRequest};
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
) -> Result<Json<Page<Announcement>>, ApiError> {
    let filter: NewsFilter = extract::optional_json(&body)?;
    let world = caller.read();
    let rows = world.find_news(&filter)?;
    Ok(Json(page.page(&rows, |a| (*a).clone())))
}
