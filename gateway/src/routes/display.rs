//! The stairwell display's feed and its live-update stream.

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures::Stream;
use prometheus_client::metrics::gauge::Gauge;
use rappu_shared::display::{DisplayFeed, FeedChanged};
use tokio::sync::watch;
use tokio_util::sync::CancellationToken;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::auth::DisplayCaller;
use crate::error::{ApiError, ApiResult};
use crate::feeds::{FeedError, FeedKey, FeedService, RenderedFeed};
use crate::state::AppState;

/// Routes of this module.
pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(feed))
        .routes(routes!(events))
}

impl From<FeedError> for ApiError {
    fn from(e: FeedError) -> Self {
        match e {
            FeedError::Upstream(e) => ApiError::Upstream(e),
            FeedError::NotABuilding => {
                ApiError::NotFound("this display's building does not exist in Tampuuri".into())
            }
            FeedError::Assemble(e) => ApiError::NotFound(format!("this display's {e}")),
            FeedError::Internal(e) => ApiError::Internal(e),
        }
    }
}

fn key_of(state: &AppState, caller: &DisplayCaller) -> ApiResult<FeedKey> {
    state
        .feeds
        .key(&caller.principal.account, caller.building, caller.staircase)
        .ok_or_else(|| ApiError::NotFound("the display's account is not served here".into()))
}

fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|coding| {
            let mut parts = coding.split(';');
            let name = parts.next().unwrap_or("").trim();
            let refused = parts.any(|p| {
                let p = p.trim();
                p == "q=0" || p == "q=0.0" || p == "q=0.00" || p == "q=0.000"
            });
            name.eq_ignore_ascii_case("gzip") && !refused
        })
}

/// The response for `feed`: 304 when the caller has this version, else the bytes rendered
/// once for this version (gzipped when accepted; else its JSON, kept for the next such
/// request while few other versions are asked for without gzip: [`FeedService::plain_body`]).
pub(crate) fn respond(
    feeds: &FeedService,
    feed: &Arc<RenderedFeed>,
    request: &HeaderMap,
    cache_control: &HeaderValue,
) -> ApiResult<Response> {
    let not_modified = request
        .get(header::IF_NONE_MATCH)
        .is_some_and(|v| feed.matches(v.as_bytes()));
    let gzip = !not_modified && accepts_gzip(request);
    let body = if not_modified {
        Body::empty()
    } else if gzip {
        Body::from(feed.gzip.clone())
    } else {
        Body::from(feeds.plain_body(feed)?)
    };
    let mut response = Response::new(body);
    if !not_modified {
        // Room for these, the request id and the security headers added on the way out, so
        // the map is allocated once (a 304's few headers fit the first allocation).
        response.headers_mut().reserve(11);
    }
    *response.status_mut() = if not_modified {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let h = response.headers_mut();
    h.insert(header::ETAG, feed.etag.clone());
    h.insert(header::CACHE_CONTROL, cache_control.clone());
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    h.insert(
        header::AGE,
        HeaderValue::from(feed.oldest_fetch.elapsed().as_secs()),
    );
    if !not_modified {
        h.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        h.insert(header::LAST_MODIFIED, feed.last_modified.clone());
        if gzip {
            h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
    }
    Ok(response)
}

/// Everything the display shows: building, apartments by floor with the names that may be
/// shown, announcements, contacts and ongoing work. Send `If-None-Match` with the last ETag:
/// an unchanged feed answers `304` with no body. Tampuuri is called once per resource per
/// change however many displays poll; while Tampuuri is down the last good feed is served,
/// marked `stale`.
#[utoipa::path(get, path = "/api/v1/display/feed", tag = "display",
    security(("bearer" = [])),
    params(("If-None-Match" = Option<String>, Header, description = "The ETag of the feed the display has")),
    responses(
        (status = 200, description = "The feed", body = DisplayFeed,
            headers(("ETag" = String, description = "Strong validator of this version"),
                    ("Cache-Control" = String, description = "private, short max-age, stale-while-revalidate, stale-if-error"),
                    ("Age" = u64, description = "Seconds since the oldest Tampuuri data in it was fetched"))),
        (status = 304, description = "Unchanged since the given ETag"),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a display token", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The display's building or staircase does not exist", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Too many requests", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 503, description = "Tampuuri is unavailable and no earlier feed exists", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn feed(
    State(state): State<AppState>,
    caller: DisplayCaller,
    // The request itself rather than a `HeaderMap`: that extractor copies every header, on
    // every poll of every display.
    request: Request,
) -> ApiResult<Response> {
    feed_response(&state, &caller, request.headers()).await
}

/// The feed for `caller`, answering the request with `headers`. Also served, with the same
/// result, by the feed lane in front of the router ([`crate::http::lane`]).
pub(crate) async fn feed_response(
    state: &AppState,
    caller: &DisplayCaller,
    headers: &HeaderMap,
) -> ApiResult<Response> {
    let key = key_of(state, caller)?;
    let feed = state.feeds.get(key).await?;
    respond(&state.feeds, &feed, headers, &state.feed_cache_control)
}

/// Live updates: a `feed` event carrying the new ETag whenever the display's feed changes
/// (within a second of a Tampuuri webhook), and a heartbeat comment to keep the connection
/// open. The event id is the ETag; on reconnect the browser sends it back as
/// `Last-Event-ID`, and a display that missed a change gets an event at once.
#[utoipa::path(get, path = "/api/v1/display/events", tag = "display",
    security(("bearer" = [])),
    params(("Last-Event-ID" = Option<String>, Header, description = "The id of the last event received")),
    responses(
        (status = 200, description = "An event stream of `feed` events (heartbeats are comments)", content_type = "text/event-stream", body = FeedEvent),
        (status = 401, description = "Missing or invalid credentials", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 403, description = "Not a display token", body = rappu_shared::Problem, content_type = "application/problem+json"),
        (status = 404, description = "The display's building or staircase does not exist", body = rappu_shared::Problem, content_type = "application/problem+json")))]
async fn events(
    State(state): State<AppState>,
    caller: DisplayCaller,
    headers: HeaderMap,
) -> ApiResult<impl IntoResponse> {
    let key = key_of(&state, &caller)?;
    let slot = state.feeds.slot(key);
    let mut rx = slot.subscribe();
    // Make sure there is a version to announce (and that the scope exists at all), then
    // announce the newest one the receiver has seen, so no version is sent twice or missed.
    let built = state.feeds.get(key).await?;
    let current = rx.borrow_and_update().clone().unwrap_or(built);
    let last_seen = headers
        .get("last-event-id")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let first =
        (last_seen.as_deref() != Some(event_id(&current.etag))).then(|| event_for(&current));
    let open = OpenStream::new(state.metrics.feed.sse_streams.clone());
    let stream = updates(rx, first, state.shutdown.clone(), open);
    let heartbeat = Duration::from_secs(state.settings.feeds.heartbeat_secs);
    Ok((
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Sse::new(stream).keep_alive(KeepAlive::new().interval(heartbeat).text("heartbeat")),
    ))
}

/// One event of `GET /api/v1/display/events`, field by field as the stream carries it
/// (documentation only: the stream is written by [`event_for`]).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
struct FeedEvent {
    /// Always `feed`.
    #[schema(pattern = "^feed$")]
    event: String,
    /// The new ETag without its quotes; sent back as `Last-Event-ID` on reconnect.
    id: String,
    /// A [`FeedChanged`] as JSON text, e.g. `{"etag":"\"3f1c…\""}`.
    #[schema(content_media_type = "application/json")]
    data: String,
    /// How long to wait before reconnecting, in milliseconds.
    retry: Option<u64>,
}

/// The ETag without its quotes, as an SSE id.
fn event_id(etag: &HeaderValue) -> &str {
    etag.to_str().unwrap_or("").trim_matches('"')
}

fn event_for(feed: &RenderedFeed) -> Event {
    let etag = feed.etag.to_str().unwrap_or("").to_owned();
    let data = serde_json::to_string(&FeedChanged { etag }).unwrap_or_default();
    Event::default()
        .event("feed")
        .id(event_id(&feed.etag))
        .data(data)
        .retry(Duration::from_secs(3))
}

/// Counts an open event stream for as long as it lives (`rappu_sse_streams_open`).
struct OpenStream(Gauge);

impl OpenStream {
    fn new(gauge: Gauge) -> Self {
        gauge.inc();
        Self(gauge)
    }
}

impl Drop for OpenStream {
    fn drop(&mut self) {
        self.0.dec();
    }
}

fn updates(
    rx: watch::Receiver<Option<Arc<RenderedFeed>>>,
    first: Option<Event>,
    shutdown: CancellationToken,
    open: OpenStream,
) -> impl Stream<Item = Result<Event, Infallible>> {
    futures::stream::unfold(
        (rx, first, shutdown, open),
        |(mut rx, first, shutdown, open)| async move {
            if let Some(event) = first {
                return Some((Ok(event), (rx, None, shutdown, open)));
            }
            loop {
                tokio::select! {
                    () = shutdown.cancelled() => return None,
                    changed = rx.changed() => {
                        changed.ok()?;
                        let feed = rx.borrow_and_update().clone();
                        if let Some(feed) = feed {
                            return Some((Ok(event_for(&feed)), (rx, None, shutdown, open)));
                        }
                    }
                }
            }
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gzip_negotiation() {
        let mut h = HeaderMap::new();
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("br, gzip;q=0.8"),
        );
        assert!(accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("gzip;q=0, br"),
        );
        assert!(!accepts_gzip(&h));
        h.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_static("identity"),
        );
        assert!(!accepts_gzip(&h));
    }
}
